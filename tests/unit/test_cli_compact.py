"""`automl-archive compact`: runs the stack's compaction function and reports its answer in one line."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from click.testing import CliRunner

from automl_archive.contracts import stack_outputs
from automl_archive_cli import aws, data_commands
from automl_archive_cli.errors import EXIT_FAILED


class FakeLambda:
    def __init__(self, payload: Any, function_error: str | None = None) -> None:
        self.payload, self.function_error = payload, function_error
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        answer: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.payload).encode())}
        if self.function_error:
            answer["FunctionError"] = self.function_error
        return answer


@pytest.fixture
def deployed(monkeypatch):
    """The command on a stack whose outputs name the compaction function; returns the client it gets."""
    created: dict[str, Any] = {}

    def run_on_stack(options, body):  # the stack resolution is tested with the other commands
        outputs = {key: f"value-of-{key}" for key in stack_outputs.REQUIRED}
        return body(aws.Deployment(stack_name=options.stack_name, region="eu-west-1", outputs=outputs))

    def client(service_name: str, read_timeout: int = 30):
        created["read_timeout"] = read_timeout
        return created["lambda"]

    monkeypatch.setattr(data_commands, "run_on_stack", run_on_stack)
    monkeypatch.setattr(aws, "client", client)
    return created


def test_compact_invokes_the_function_and_prints_what_it_merged(deployed):
    deployed["lambda"] = FakeLambda(
        {
            "days_by_table": {"automl_jobs_latest": 3},
            "statements": ["m", "o", "v"],
            "bytes_scanned": 1234,
            "watermark": "2026-12-02T07:00:00+00:00",
        }
    )
    result = CliRunner().invoke(data_commands.compact, [], standalone_mode=False)
    assert result.return_value == 0, result.output
    (call,) = deployed["lambda"].calls
    assert call["FunctionName"] == f"value-of-{stack_outputs.COMPACTION_FUNCTION_NAME}"
    assert call["InvocationType"] == "RequestResponse"
    # The client waits longer than the function's 15-minute timeout
    assert deployed["read_timeout"] > 900
    assert "automl_jobs_latest: 3 days" in result.output and "3 statements" in result.output


def test_a_failed_compaction_is_one_line_naming_the_runbook(deployed):
    deployed["lambda"] = FakeLambda({"errorMessage": "merge automl_jobs_latest: FAILED"}, function_error="Unhandled")
    result = CliRunner().invoke(data_commands.compact, [], standalone_mode=False)
    assert result.return_value == EXIT_FAILED
    assert "merge automl_jobs_latest: FAILED" in result.stderr and "CompactorErrors" in result.stderr


def test_compact_beside_a_running_compaction_says_when_to_try_again(deployed):
    deployed["lambda"] = FakeLambda({"busy_until": "2026-12-02T07:16:00+00:00", "statements": []})
    result = CliRunner().invoke(data_commands.compact, [], standalone_mode=False)
    assert result.return_value == EXIT_FAILED
    assert "another compaction is running (its lease ends 2026-12-02T07:16:00+00:00)" in result.output
