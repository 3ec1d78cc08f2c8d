#!/usr/bin/env python3
"""CDK app: the AutoML job archive stack, checked by cdk-nag (AwsSolutions, Serverless) at synth time."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from infra import config
from infra.config import ArchiveSettings
from infra.stack import AutoMLJobArchiveStack


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` block of cdk.json, so ``python3 app.py`` synthesises what ``cdk synth`` does."""
    context = json.loads(config.CDK_JSON.read_text()).get("context", {})
    return dict(context) if isinstance(context, dict) else {}


def build_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None) -> cdk.App:
    """Build the app with cdk-nag registered; ``context`` overrides cdk.json (the CLI's -c wins)."""
    app = cdk.App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    settings = ArchiveSettings.from_context(app.node.try_get_context)
    AutoMLJobArchiveStack(app, settings.stack_name, settings=settings)
    # cdk-nag 3.x is a policy-validation plugin: an unacknowledged finding makes synth fail.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
