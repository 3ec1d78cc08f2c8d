#!/usr/bin/env python3
"""CDK app: the AutoML job archive stack, checked by cdk-nag (AwsSolutions, Serverless) at synth time."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The CDK CLI runs this script with a bare `python3` (cdk.json): the Lambda package the stack imports
# its contracts from lives in lambdas/. The entry script, and only it, puts that folder on the path;
# packages never edit sys.path (make and the tests set PYTHONPATH; the venv installs the project).
_LAMBDAS_DIR = str(Path(__file__).resolve().parent / "lambdas")
if _LAMBDAS_DIR not in sys.path:
    sys.path.append(_LAMBDAS_DIR)

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks, ServerlessChecks  # noqa: E402

from infra import config  # noqa: E402
from infra.settings import ArchiveSettings  # noqa: E402
from infra.spoke_settings import SpokeSettings  # noqa: E402
from infra.spoke_stack import AutoMLJobArchiveSpokeStack  # noqa: E402
from infra.stack import AutoMLJobArchiveStack  # noqa: E402


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` block of cdk.json, so ``python3 app.py`` synthesises what ``cdk synth`` does."""
    context = json.loads(config.CDK_JSON.read_text()).get("context", {})
    return dict(context) if isinstance(context, dict) else {}


def build_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None) -> cdk.App:
    """Build the app with cdk-nag registered; ``context`` overrides cdk.json (the CLI's -c wins)."""
    app = cdk.App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    settings = ArchiveSettings.from_context(app.node.try_get_context)
    AutoMLJobArchiveStack(app, settings.stack_name, settings=settings)
    # A workload account's spoke (docs/multi-account.md), only when the context names its hub.
    spoke = SpokeSettings.from_context(app.node.try_get_context)
    if spoke is not None:
        AutoMLJobArchiveSpokeStack(app, spoke.stack_name, settings=spoke)
    # cdk-nag 3.x is a policy-validation plugin: an unacknowledged finding makes synth fail.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
