"""What the hub and a spoke agree on (docs/multi-account.md): the reader role's name and its external id.

A spoke is a workload account and Region whose AutoML jobs the hub archives. Its reader role is
named after the hub stack and the spoke's Region (IAM is global to the account; one spoke stack per
Region must not collide), so the hub can name the role of any spoke without asking it.
"""

from __future__ import annotations

import re

# IAM role names: at most 64 characters of [\w+=,.@-]
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
ROLE_NAME_LIMIT = 64
# sts:ExternalId: 2 to 1,224 characters of [\w+=,.@:/-]
# (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
READER_ROLE_SUFFIX = "-reader-"
LONGEST_REGION_NAME = 14  # e.g. ap-southeast-4: a spoke's Region is only known at deploy time
LONGEST_HUB_STACK_NAME = ROLE_NAME_LIMIT - len(READER_ROLE_SUFFIX) - LONGEST_REGION_NAME


def reader_role_name(hub_stack_name: str, region: str) -> str:
    """The spoke reader role's name: `<hub stack>-reader-<region>`, within IAM's 64 characters."""
    name = f"{hub_stack_name}{READER_ROLE_SUFFIX}{region}"
    if len(name) > ROLE_NAME_LIMIT:
        raise ValueError(f"reader role name {name!r} is over IAM's {ROLE_NAME_LIMIT} characters")
    return name
