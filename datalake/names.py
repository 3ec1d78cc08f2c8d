"""The data lake's AWS names, derived from the stack name: infra creates them, the operator command finds them.

Plain functions with no CDK import, so `automl-archive query` can name the deployed stack's Glue
database and Athena workgroup from `--stack-name` alone.
"""

from __future__ import annotations

import re


def glue_database_name(stack_name: str) -> str:
    """The stack's Glue database: the stack name in lower case, '-' as '_' (Glue/Athena-safe)."""
    return re.sub(r"[^a-z0-9_]", "_", stack_name.lower())


def athena_workgroup_name(stack_name: str) -> str:
    """The stack's Athena workgroup: the stack name (unique per account and region, as stacks are)."""
    return stack_name
