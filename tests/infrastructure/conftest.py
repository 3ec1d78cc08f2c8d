"""Synthesise the app once per test session (with cdk-nag, as app.py does) and share the result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app as cdk_app

# Non-default values everywhere, so a test can tell a context value from a default.
TEST_CONTEXT: dict[str, Any] = {
    "stack_name": "AutoMLJobArchiveTest",
    "alert_emails": ["ops@example.com", "ml-team@example.com"],
    "alert_on_statuses": ["Failed", "Stopped"],
    "archiver_max_concurrency": 7,
    "archiver_batch_size": 8,
    "work_queue_max_receive_count": 4,
    "log_retention_days": 30,
    "child_link_ttl_days": 14,
    "sweep_interval_minutes": 20,
    "sweep_overlap_seconds": 600,
    "sweep_initial_lookback_days": 7,
    "athena_bytes_scanned_cutoff": 1_000_000_000,
    "datalake_start_date": "2024-06-01",
    "ops_emails": ["oncall@example.com"],
    "queue_age_alarm_seconds": 2400,
    "state_change_event_bus": "ml-automation",
}


@dataclass(frozen=True)
class Synthesized:
    app: cdk.App
    stack: cdk.Stack
    template: Template
    outdir: Path

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.to_json()["Resources"]

    def only(self, resource_type: str, props: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """The one resource of a type (optionally matching properties): (logical id, resource)."""
        found = self.template.find_resources(resource_type, {"Properties": props} if props else None)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def function(self, handler: str) -> tuple[str, dict[str, Any]]:
        """The function running `handler`: (logical id, resource)."""
        return self.only("AWS::Lambda::Function", {"Handler": handler})

    def role_of(self, function: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        return role_id, self.resources[role_id]

    def log_group_of(self, function: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        log_group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        return log_group_id, self.resources[log_group_id]

    def asset_dir(self, logical_id: str) -> Path:
        """The staged asset directory of a Lambda function's Code or a layer's Content."""
        properties = self.resources[logical_id]["Properties"]
        s3_key = (properties.get("Code") or properties["Content"])["S3Key"]
        return self.outdir / f"asset.{s3_key.removesuffix('.zip')}"


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    application = cdk_app.build_app(TEST_CONTEXT, outdir=str(outdir))
    application.synth()  # runs cdk-nag: raises on any unacknowledged finding
    stack = application.node.find_child(TEST_CONTEXT["stack_name"])
    assert isinstance(stack, cdk.Stack)
    return Synthesized(app=application, stack=stack, template=Template.from_stack(stack), outdir=outdir)


def render(value: Any) -> Any:
    """Flatten intrinsics into readable strings: Fn::Join → concatenation, Ref → ${X}, GetAtt → ${X.Attr}."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [render(item) for item in value]
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return f"${{{arg}}}"
        if key == "Fn::GetAtt":
            return f"${{{arg[0]}.{arg[1]}}}"
        if key == "Fn::Join":
            return arg[0].join(render(part) for part in arg[1])
    return json.dumps(value, sort_keys=True)
