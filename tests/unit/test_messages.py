"""Parsing of every message kind the work queue carries, and rejection of everything else."""

import dataclasses
import json
from dataclasses import replace

import pytest

from automl_archive.contracts.job_status import ChildKind, DescribeApi
from automl_archive.models.messages import (
    ChildJobEvent,
    JobReference,
    MalformedMessage,
    UnrelatedMessage,
    parse_message,
    reference_body,
)


def without_fingerprint(item):
    """The parsed event without what every event carries (its fingerprint, its envelope's time and the
    account and Region that sent it)."""
    assert item.fingerprint, "every event carries a fingerprint"
    assert item.occurred_at is not None, "every event carries its time"
    assert item.stated_source is not None, "every event carries its sender's account and Region"
    return dataclasses.replace(item, fingerprint=None, occurred_at=None, stated_source=None)


def _event(detail_type: str, detail: dict) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": "e-1",
            "detail-type": detail_type,
            "source": "aws.sagemaker",
            "account": "123456789012",
            "time": "2026-11-20T10:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
    )


@pytest.mark.parametrize(
    ("detail_type", "detail", "kind", "name"),
    [
        (
            "SageMaker Training Job State Change",
            {"TrainingJobName": "churn-dpp1-1-a1b2", "TrainingJobStatus": "Completed"},
            ChildKind.TRAINING,
            "churn-dpp1-1-a1b2",
        ),
        (
            "SageMaker HyperParameter Tuning Job State Change",
            {"HyperParameterTuningJobName": "churnTA", "HyperParameterTuningJobStatus": "InProgress"},
            ChildKind.TUNING,
            "churnTA",
        ),
        (
            "SageMaker Processing Job State Change",
            {"ProcessingJobName": "churn-db-1-ff", "ProcessingJobStatus": "Failed"},
            ChildKind.PROCESSING,
            "churn-db-1-ff",
        ),
        (
            "SageMaker Transform Job State Change",
            {"TransformJobName": "churn-dpp1-csv-1-9", "TransformJobStatus": "Stopped"},
            ChildKind.TRANSFORM,
            "churn-dpp1-csv-1-9",
        ),
    ],
)
def test_child_job_events_parse_to_their_kind(detail_type, detail, kind, name):
    # Given a SageMaker child-job state-change event without AutoMLJobArn
    # When it is parsed
    item = without_fingerprint(parse_message(_event(detail_type, detail)))
    # Then it is a child-job event of that kind, to be resolved later
    status = next(v for k, v in detail.items() if k.endswith("Status"))
    assert replace(item, child_usage=None) == ChildJobEvent(kind=kind, child_name=name, child_status=status)
    # And a finished training, processing or transform job says what it used (a tuning job does not)
    if kind is ChildKind.TUNING or status == "InProgress":
        assert item.child_usage is None
    else:
        assert (item.child_usage.name, item.child_usage.status) == (name, status)


def test_child_event_with_automl_arn_names_the_job_with_its_real_case():
    # Given a training event whose detail carries the (lower-cased) AutoMLJobArn
    detail = {
        "TrainingJobName": "ChurnJob-dpp1-1-a1b2",
        "AutoMLJobArn": "arn:aws:sagemaker:us-east-1:123456789012:automl-job/churnjob",
    }
    # When it is parsed
    item = without_fingerprint(parse_message(_event("SageMaker Training Job State Change", detail)))
    # Then the job is referenced directly, its case recovered from the child's name
    assert item == JobReference(job_name="ChurnJob", origin="event:training", child_kind="training")


@pytest.mark.parametrize(
    ("event_name", "api"),
    [("CreateAutoMLJob", DescribeApi.V1), ("CreateAutoMLJobV2", DescribeApi.V2), ("StopAutoMLJob", None)],
)
def test_cloudtrail_calls_reference_the_job_and_its_api(event_name, api):
    # Given a CloudTrail API-call event for an AutoML job
    detail = {
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": event_name,
        "requestParameters": {"autoMLJobName": "sales-7"},
    }
    # When it is parsed
    item = without_fingerprint(parse_message(_event("AWS API Call via CloudTrail", detail)))
    # Then it names the job, and the create call tells which describe API works
    assert item == JobReference(job_name="sales-7", origin=f"cloudtrail:{event_name}", api_hint=api)


def test_failed_api_call_is_unrelated():
    detail = {
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": "CreateAutoMLJob",
        "errorCode": "ValidationException",
        "requestParameters": {"autoMLJobName": "sales-7"},
    }
    with pytest.raises(UnrelatedMessage, match="ValidationException"):
        parse_message(_event("AWS API Call via CloudTrail", detail))


def test_a_re_check_sent_by_an_earlier_version_is_an_ordinary_reference():
    # Given a re-check link still queued from the version that kept per-job chains
    body = json.dumps(
        {
            "AutoMLJobName": "sales-7",
            "Origin": "recheck",
            "DescribeApi": "v2",
            "Recheck": {"Token": "m-1", "Attempt": 3},
        }
    )
    # Then it is archived once like any reference (its chain fields are ignored, never rejected)
    assert parse_message(body) == JobReference(job_name="sales-7", origin="recheck", api_hint=DescribeApi.V2)


def test_the_reconcile_pass_reference_carries_the_listed_ordering_and_events_their_child_status():
    # Given the reference the reconcile pass sends and a child event that names its AutoML job
    reference = parse_message('{"AutoMLJobName": "sales-7", "Origin": "sweep", "ListedOrdering": 42}')
    detail = {
        "TrainingJobName": "sales-7-dpp1-1-ab",
        "TrainingJobStatus": "Failed",
        "AutoMLJobArn": "arn:aws:sagemaker:us-east-1:123456789012:automl-job/sales-7",
    }
    event = parse_message(_event("SageMaker Training Job State Change", detail))
    # Then each keeps what the archiver decides a describe by
    assert (reference.listed_ordering, reference.child_status) == (42, None)
    assert (event.job_name, event.child_kind, event.child_status) == ("sales-7", "training", "Failed")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "JSON list"),
        ('{"hello": 1}', "neither"),
        ('{"AutoMLJobName": "../../etc/passwd"}', "not a valid AutoML job name"),
        ('{"AutoMLJobName": "' + "a" * 33 + '"}', "not a valid AutoML job name"),
        ('{"AutoMLJobName": 42}', "not a valid AutoML job name"),
        ('{"AutoMLJobName": "ok", "DescribeApi": "v3"}', "DescribeApi"),
        ('{"AutoMLJobName": "ok", "ListedOrdering": -1}', "ListedOrdering"),
        ('{"AutoMLJobName": "ok", "ListedOrdering": "9"}', "ListedOrdering"),
        ('{"detail-type": "SageMaker Training Job State Change", "detail": "x"}', "no detail object"),
        ('{"detail-type": "SageMaker Training Job State Change", "detail": {"TrainingJobName": 7}}', "TrainingJobName"),
        (
            '{"detail-type": "SageMaker Training Job State Change", "detail": {"TrainingJobName": "a/b"}}',
            "TrainingJobName",
        ),
        (
            json.dumps(
                {
                    "detail-type": "AWS API Call via CloudTrail",
                    "detail": {"eventSource": "sagemaker.amazonaws.com", "eventName": "StopAutoMLJob"},
                }
            ),
            "requestParameters",
        ),
    ],
)
def test_malformed_bodies_are_rejected_with_a_reason(body, reason):
    # Given a body that is not a usable message / When parsed / Then it is rejected, saying why
    with pytest.raises(MalformedMessage, match=reason):
        parse_message(body)


def test_unhandled_detail_type_is_unrelated():
    with pytest.raises(UnrelatedMessage, match="not handled"):
        parse_message(_event("SageMaker Endpoint State Change", {"EndpointName": "x"}))


def test_oversized_body_is_rejected():
    with pytest.raises(MalformedMessage, match="larger than"):
        parse_message(json.dumps({"AutoMLJobName": "a", "pad": "x" * 300_000}))


def test_copies_of_an_event_share_a_fingerprint_and_other_events_do_not():
    # Given two deliveries of one event (envelope id and time differ) and a different state change
    detail = {"TrainingJobName": "churn-dpp1-1-a1b2", "TrainingJobStatus": "InProgress", "LastModifiedTime": 1}
    first = json.loads(_event("SageMaker Training Job State Change", detail))
    copy = {**first, "id": "e-2", "time": "2026-11-20T10:00:05Z"}
    later = {**first, "detail": {**detail, "TrainingJobStatus": "Completed", "LastModifiedTime": 2}}
    # When they are parsed
    fingerprints = [parse_message(json.dumps(event)).fingerprint for event in (first, copy, later)]
    # Then the copies match and the other event differs
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]
    assert fingerprints[0] is not None


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ('{"detail-type": ' + "[" * 60_000 + "]" * 60_000 + "}", "RecursionError"),  # deeper than the recursion limit
        ('{"AutoMLJobName": ' + "7" * 5_000 + "}", "ValueError"),  # over Python's int conversion limit
        (
            json.dumps(
                {
                    "detail-type": "AWS API Call via CloudTrail",
                    "detail": {"eventSource": "sagemaker.amazonaws.com", "eventName": ["CreateAutoMLJob"]},
                }
            ),
            "TypeError",
        ),
    ],
)
def test_a_body_that_breaks_the_parser_is_rejected_not_retried(body, cause):
    # Given a body that valid JSON tooling cannot turn into a work item (found by an adversarial review:
    # each used to raise, be retried five times and dead-letter)
    # When it is parsed / Then it is rejected with its cause, like any malformed message
    with pytest.raises(MalformedMessage, match=cause):
        parse_message(body)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"listed_ordering": 10**16 + 5}, {"force": True}, {"listed_ordering": 0, "force": True}],
)
def test_a_reference_body_reads_back_as_the_reference_it_names(kwargs):
    # Given a body built by the one builder the sweep, the alert hand-over and the backfill use
    body = json.dumps(reference_body("Churn-Model-7", "sweep", **kwargs))
    # When the archiver parses it / Then every field arrives, the name's case kept
    assert parse_message(body) == JobReference(
        job_name="Churn-Model-7",
        origin="sweep",
        force=kwargs.get("force", False),
        listed_ordering=kwargs.get("listed_ordering"),
    )
