"""A grant taken away from a deployed role makes the end-to-end run fail as it would on AWS.

Each test rewrites the archiver role's inline policy in moto's IAM, starts a new execution environment
(the pipeline reads the role at cold start), runs a job to its end, and restores the role. On the old
emulator (no IAM) every call succeeded, so each of these runs archived the job and these tests failed.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from devtools.emulator.iam.enforcement import ENFORCEMENT, Denial
from devtools.emulator.scenarios import failing_job, schedule_all
from devtools.emulator.stack import policy_document

Document = dict[str, Any]


@contextlib.contextmanager
def archiver_role_edited(archive, edit: Callable[[Document], Document]) -> Iterator[None]:
    """Replace the archiver role's inline policies with `edit(policy)`; restore them afterwards."""
    iam = archive.aws.client("iam")
    role = archive.stack.function().role_arn.rsplit("/", 1)[-1]
    originals = {
        name: policy_document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    try:
        for name, document in originals.items():
            edited = edit(copy.deepcopy(document))
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(edited))
        archive.pipeline.cold_start()
        yield
    finally:
        for name, document in originals.items():
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))
        archive.pipeline.cold_start()


def without_statement(sid: str) -> Callable[[Document], Document]:
    def edit(document: Document) -> Document:
        kept = [statement for statement in document["Statement"] if statement.get("Sid") != sid]
        assert len(kept) == len(document["Statement"]) - 1, f"no statement {sid} in {document}"
        return {**document, "Statement": kept}

    return edit


def errors_seen_by_the_function() -> list[ClientError]:
    """Spy on the archiver's batch processor: the exceptions its records failed with."""
    processor = sys.modules["automl_archive.handlers.archiver"].processor
    seen: list[ClientError] = []
    original = processor.failure_handler

    def failure_handler(record: Any, exception: Any) -> Any:
        if isinstance(exception[1], ClientError):
            seen.append(exception[1])
        return original(record, exception)

    processor.failure_handler = failure_handler
    return seen


def run_failing_job(archive, name: str, minutes: int | None = None) -> None:
    """Play a failing job until idle, or for `minutes` of simulated time (an alert that cannot be sent
    stays due, and the reconcile pass hands it over every minute: never idle)."""
    schedule_all(archive.simulator, [failing_job(name, api="v2")])
    if minutes is None:
        archive.run_until_idle()
        return
    for _ in range(minutes):
        archive.pipeline.advance(60)
        archive.pipeline.drain()


def denied(action: str) -> list[Denial]:
    """The denials since the last take, all of which must be of `action`."""
    denials = ENFORCEMENT.take_denials()
    assert {denial.check.action for denial in denials} <= {action}, denials
    return denials


def test_without_s3_put_object_no_record_is_archived_and_the_messages_are_not_acknowledged(archive):
    dead_letters_before = archive.queue_depth("DeadLetterQueueUrl")
    with archiver_role_edited(archive, without_statement("ArchiveObjects")):
        seen = errors_seen_by_the_function()
        # When a job fails while the archiver may not write to its bucket
        run_failing_job(archive, "iam-no-put-object")
        denials = denied("s3:PutObject")
    # Then S3 answered AccessDenied, the function saw it, and its records were not acknowledged
    assert denials and {denial.code for denial in denials} == {"AccessDenied"}
    assert any(e.operation_name == "PutObject" and e.response["Error"]["Code"] == "AccessDenied" for e in seen)
    assert archive.queue_depth("DeadLetterQueueUrl") > dead_letters_before
    assert not [key for key, _ in archive.object_versions() if "iam-no-put-object" in key]
    assert not [alert for alert in archive.inbox.read() if "iam-no-put-object" in (alert.subject or "")]


def test_list_candidates_granted_on_automl_job_arns_again_is_denied(archive):
    # The archiver's old statement: ListCandidatesForAutoMLJob on automl-job/* (AWS authorizes it on "*")
    def old_statement(document: Document) -> Document:
        (statement,) = [s for s in document["Statement"] if s.get("Sid") == "ListAutoMLJobCandidates"]
        (describe,) = [s for s in document["Statement"] if s.get("Sid") == "DescribeAutoMLJobs"]
        statement["Resource"] = describe["Resource"]
        return document

    with archiver_role_edited(archive, old_statement):
        seen = errors_seen_by_the_function()
        run_failing_job(archive, "iam-old-candidates")
        denials = denied("sagemaker:ListCandidatesForAutoMLJob")
    assert denials and {denial.code for denial in denials} == {"AccessDeniedException"}
    assert {denial.check.resource for denial in denials} == {"*"}
    # The denial failed no record: enrichment never blocks the state, so the failed state is archived
    # without a leaderboard and alerted once all the same
    assert not [e for e in seen if e.operation_name == "ListCandidatesForAutoMLJob"]
    assert archive.status_of("iam-old-candidates") == "Failed"
    assert "candidate_count" not in archive.job_states()["JOB#iam-old-candidates"]
    alerts = [a.subject for a in archive.inbox.read() if "iam-old-candidates" in (a.subject or "")]
    assert alerts == ["AutoML job iam-old-candidates failed in 123456789012 us-east-1"]


def test_without_the_alert_keys_grant_the_alert_cannot_be_published(archive):
    # SNS needs kms:GenerateDataKey and kms:Decrypt on the topic's customer-managed key from the publisher
    # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)
    with archiver_role_edited(archive, without_statement("AlertsKey")):
        seen = errors_seen_by_the_function()
        run_failing_job(archive, "iam-no-alerts-key", minutes=60)
        denials = denied("kms:GenerateDataKey")
    assert denials and {denial.code for denial in denials} == {"KMSAccessDenied"}
    assert any(e.operation_name == "Publish" and e.response["Error"]["Code"] == "KMSAccessDenied" for e in seen)
    assert not [alert for alert in archive.inbox.read() if "iam-no-alerts-key" in (alert.subject or "")]


def test_with_the_deployed_role_restored_the_same_run_succeeds(archive):
    # Given the role as deployed (the tests above restored it)
    run_failing_job(archive, "iam-as-deployed")
    assert archive.status_of("iam-as-deployed") == "Failed"
    alerts = [alert.subject for alert in archive.inbox.read()]
    assert [subject for subject in alerts if "iam-as-deployed" in (subject or "")]
    # And the alert the missing key grant blocked is sent by the reconcile pass, once, now that it can be
    assert [subject for subject in alerts if "iam-no-alerts-key" in (subject or "")] == [
        "AutoML job iam-no-alerts-key failed in 123456789012 us-east-1"
    ]
