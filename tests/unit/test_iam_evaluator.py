"""The emulator's IAM evaluator (emulator.iam) decides as AWS does.

Before it existed the emulator allowed every call (moto enforces no IAM), so each "denied" assertion
here fails on the old behaviour. Rules: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
(explicit deny wins, implicit deny by default), .../reference_policies_elements_action.html (action
names case-insensitive), .../reference_policies_elements_resource.html (ARNs case-sensitive, * and ?).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto.kms.models import kms_backends
from moto.sns.models import sns_backends

from devtools.emulator.aws import ACCOUNT_ID, REGION
from devtools.emulator.iam.authorization import authorization_checks, request_resource
from devtools.emulator.iam.errors import IamEmulationError
from devtools.emulator.iam.policies import Decision, Principal
from devtools.emulator.iam.resource_derivations import QUERY_WORKGROUPS, CallSite

AUTOML_JOBS = f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:automl-job/*"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/jobs"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:work"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/work"
OTHER_ACCOUNT = "111122223333"


def principal(*statements: dict[str, Any]) -> Principal:
    return Principal.from_documents([{"Version": "2012-10-17", "Statement": list(statements)}])


def allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def decide(who: Principal, service: str, operation: str, **params: Any) -> Decision:
    """The call's outcome: the first check that is not allowed, as AWS stops at the first denial."""
    for check in authorization_checks(CallSite(service, operation, params)):
        decision = who.decide(check.action, check.resource)
        if decision is not Decision.ALLOWED:
            return decision
    return Decision.ALLOWED


def test_list_candidates_is_denied_on_automl_job_arns_and_allowed_on_star():
    # The archiver's old statement: the Service Authorization Reference lists no resource type for
    # ListCandidatesForAutoMLJob, so AWS authorizes it against "*" and automl-job/* does not match.
    old = principal(allow(["sagemaker:DescribeAutoMLJobV2", "sagemaker:ListCandidatesForAutoMLJob"], AUTOML_JOBS))
    fixed = principal(allow("sagemaker:ListCandidatesForAutoMLJob", "*"))
    assert decide(old, "sagemaker", "ListCandidatesForAutoMLJob", AutoMLJobName="job-1") is Decision.IMPLICIT_DENY
    assert decide(fixed, "sagemaker", "ListCandidatesForAutoMLJob", AutoMLJobName="job-1") is Decision.ALLOWED


def test_describe_automl_job_v2_is_authorized_on_the_job_arn():
    who = principal(allow("sagemaker:DescribeAutoMLJobV2", AUTOML_JOBS))
    (check,) = authorization_checks(CallSite("sagemaker", "DescribeAutoMLJobV2", {"AutoMLJobName": "Job-1"}))
    # SageMaker ARNs carry the name lower-cased.
    assert check.resource == f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:automl-job/job-1"
    assert decide(who, "sagemaker", "DescribeAutoMLJobV2", AutoMLJobName="Job-1") is Decision.ALLOWED
    assert decide(who, "sagemaker", "DescribeAutoMLJob", AutoMLJobName="Job-1") is Decision.IMPLICIT_DENY


def test_wildcard_and_case_insensitive_actions_case_sensitive_arns():
    who = principal(allow("SageMaker:describe*Job", f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:training-job/run-?"))
    training_job = f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:training-job/run-1"
    assert who.decide("sagemaker:DescribeTrainingJob", training_job) is Decision.ALLOWED
    assert decide(who, "sagemaker", "DescribeTrainingJob", TrainingJobName="run-1") is Decision.ALLOWED
    # `?` is exactly one character; ARNs are case-sensitive
    assert who.decide("sagemaker:DescribeTrainingJob", training_job + "2") is Decision.IMPLICIT_DENY
    assert who.decide("sagemaker:DescribeTrainingJob", training_job.replace("training-job", "TRAINING-JOB")) is (
        Decision.IMPLICIT_DENY
    )
    assert decide(who, "sagemaker", "ListTrainingJobsForHyperParameterTuningJob", HyperParameterTuningJobName="t") is (
        Decision.IMPLICIT_DENY
    )


def test_an_explicit_deny_wins_over_any_allow():
    who = principal(
        allow("dynamodb:*", "*"),
        {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": TABLE},
    )
    assert decide(who, "dynamodb", "GetItem", TableName="jobs", Key={}) is Decision.ALLOWED
    assert decide(who, "dynamodb", "PutItem", TableName="jobs", Item={}) is Decision.EXPLICIT_DENY


def test_not_action_and_not_resource():
    everything_but_s3 = principal({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})
    assert decide(everything_but_s3, "sqs", "SendMessage", QueueUrl=QUEUE_URL, MessageBody="x") is Decision.ALLOWED
    assert decide(everything_but_s3, "s3", "PutObject", Bucket="archive", Key="raw/a.json") is Decision.IMPLICIT_DENY
    all_tables_but_jobs = principal({"Effect": "Allow", "Action": "dynamodb:GetItem", "NotResource": TABLE})
    other = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/other"
    assert all_tables_but_jobs.decide("dynamodb:GetItem", other) is Decision.ALLOWED
    assert all_tables_but_jobs.decide("dynamodb:GetItem", TABLE) is Decision.IMPLICIT_DENY


def test_s3_object_keys_under_a_prefix_and_operations_named_differently():
    who = principal(
        allow("s3:PutObject", "arn:aws:s3:::archive/raw/*"), allow("s3:GetObject", "arn:aws:s3:::archive/*")
    )
    assert decide(who, "s3", "PutObject", Bucket="archive", Key="raw/2026/job.json") is Decision.ALLOWED
    assert decide(who, "s3", "PutObject", Bucket="archive", Key="records/job.json") is Decision.IMPLICIT_DENY
    assert decide(who, "s3", "PutObject", Bucket="archive-2", Key="raw/job.json") is Decision.IMPLICIT_DENY
    # HeadObject is authorized as s3:GetObject, ListObjectsV2 as s3:ListBucket on the bucket
    assert decide(who, "s3", "HeadObject", Bucket="archive", Key="records/job.json") is Decision.ALLOWED
    assert decide(who, "s3", "ListObjectsV2", Bucket="archive") is Decision.IMPLICIT_DENY
    assert (
        principal(allow("s3:ListBucket", "arn:aws:s3:::archive")).decide(
            *_only_check("s3", "ListObjectsV2", Bucket="archive")
        )
        is Decision.ALLOWED
    )


def _only_check(service: str, operation: str, **params: Any) -> tuple[str, str]:
    (check,) = authorization_checks(CallSite(service, operation, params))
    return check.action, check.resource


def test_batch_operations_are_authorized_as_their_base_action_on_each_resource():
    assert _only_check("sqs", "SendMessageBatch", QueueUrl=QUEUE_URL, Entries=[]) == ("sqs:SendMessage", QUEUE)
    # moto's queue URLs have a local host; the account and name come from the path
    moto_url = f"http://127.0.0.1:5000/{ACCOUNT_ID}/work"
    assert _only_check("sqs", "DeleteMessageBatch", QueueUrl=moto_url, Entries=[]) == ("sqs:DeleteMessage", QUEUE)
    checks = authorization_checks(CallSite("dynamodb", "BatchGetItem", {"RequestItems": {"jobs": {}, "other": {}}}))
    assert [(c.action, c.resource) for c in checks] == [
        ("dynamodb:BatchGetItem", TABLE),
        ("dynamodb:BatchGetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/other"),
    ]
    # every table must be granted
    jobs_only = principal(allow("dynamodb:BatchGetItem", TABLE))
    both = {"jobs": {}, "other": {}}
    assert decide(jobs_only, "dynamodb", "BatchGetItem", RequestItems=both) is Decision.IMPLICIT_DENY
    assert decide(jobs_only, "dynamodb", "BatchGetItem", RequestItems={"jobs": {}}) is Decision.ALLOWED


def test_an_operation_the_emulator_cannot_map_is_an_error_not_an_allow():
    with pytest.raises(IamEmulationError, match="sagemaker:CreateTrainingJob"):
        authorization_checks(CallSite("sagemaker", "CreateTrainingJob", {"TrainingJobName": "x"}))
    # An action whose only resource is "*" needs no mapping
    assert _only_check("sagemaker", "ListAutoMLJobs") == ("sagemaker:ListAutoMLJobs", "*")


def test_a_derived_arn_must_fit_the_actions_resource_type():
    with pytest.raises(IamEmulationError, match="fits no resource type"):
        request_resource("sagemaker:DescribeTrainingJob", f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:automl-job/x")
    with pytest.raises(IamEmulationError, match="not an action"):
        request_resource("sagemaker:DescribeAutoMLJobV3", None)


def test_a_condition_is_refused_rather_than_guessed():
    with pytest.raises(IamEmulationError, match="conditions"):
        principal({**allow("s3:GetObject", "*"), "Condition": {"Bool": {"aws:SecureTransport": "true"}}})


@pytest.fixture
def moto_topics() -> Iterator[tuple[str, str, str]]:
    """An encrypted and an AWS-managed-key topic in moto's in-process backends, in an account of their own
    (no moto server or mock needed: the evaluator reads the topic's key from the backend)."""
    sns, kms = sns_backends[OTHER_ACCOUNT][REGION], kms_backends[OTHER_ACCOUNT][REGION]
    key = kms.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "alerts key", None)
    encrypted = sns.create_topic("alerts", attributes={"KmsMasterKeyId": key.arn}).arn
    aws_managed = sns.create_topic("other", attributes={"KmsMasterKeyId": "alias/aws/sns"}).arn
    yield encrypted, aws_managed, key.arn
    for topic in (encrypted, aws_managed):
        sns.delete_topic(topic)
    kms.delete_key(key.id)


def test_publishing_to_a_topic_with_a_customer_managed_key_needs_the_key(moto_topics):
    # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html: the publisher needs
    # kms:GenerateDataKey* and kms:Decrypt on the topic's key; SNS answers KMSAccessDenied otherwise.
    encrypted, aws_managed, key_arn = moto_topics
    checks = authorization_checks(CallSite("sns", "Publish", {"TopicArn": encrypted, "Message": "m"}))
    assert [(c.action, c.resource, c.denied_code) for c in checks] == [
        ("sns:Publish", encrypted, None),
        ("kms:GenerateDataKey", key_arn, "KMSAccessDenied"),
        ("kms:Decrypt", key_arn, "KMSAccessDenied"),
    ]
    assert [c.action for c in authorization_checks(CallSite("sns", "Publish", {"TopicArn": aws_managed}))] == [
        "sns:Publish"
    ]
    publisher = principal(allow("sns:Publish", encrypted))
    assert decide(publisher, "sns", "Publish", TopicArn=encrypted, Message="m") is Decision.IMPLICIT_DENY
    with_key = principal(allow("sns:Publish", encrypted), allow(["kms:GenerateDataKey", "kms:Decrypt"], key_arn))
    assert decide(with_key, "sns", "Publish", TopicArn=encrypted, Message="m") is Decision.ALLOWED


def test_a_call_missing_the_parameter_its_resource_comes_from_is_an_emulation_error():
    with pytest.raises(IamEmulationError, match="dynamodb:GetItem"):
        authorization_checks(CallSite("dynamodb", "GetItem", {}))


def test_athena_query_calls_are_authorized_on_the_workgroup_the_query_ran_in(monkeypatch):
    # Given an execution started in the stack's workgroup (enforcement records each start)
    monkeypatch.setitem(QUERY_WORKGROUPS, "exec-1", "AutoMLJobArchive")
    workgroup = f"arn:aws:athena:{REGION}:{ACCOUNT_ID}:workgroup/AutoMLJobArchive"
    start = CallSite("athena", "StartQueryExecution", {"QueryString": "SELECT 1", "WorkGroup": "AutoMLJobArchive"})
    results = CallSite("athena", "GetQueryResults", {"QueryExecutionId": "exec-1"})
    # Then the start and the reads are each checked on that workgroup's ARN
    assert [(c.action, c.resource) for c in authorization_checks(start)] == [("athena:StartQueryExecution", workgroup)]
    assert [(c.action, c.resource) for c in authorization_checks(results)] == [("athena:GetQueryResults", workgroup)]
    # And a grant on another workgroup does not cover it
    other = Principal.from_documents(
        [{"Statement": [{"Effect": "Allow", "Action": "athena:GetQueryResults", "Resource": f"{workgroup}-other"}]}]
    )
    (check,) = authorization_checks(results)
    assert other.decide(check.action, check.resource) is Decision.IMPLICIT_DENY


def test_an_execution_whose_workgroup_is_unknown_is_an_emulation_error():
    with pytest.raises(IamEmulationError):
        authorization_checks(CallSite("athena", "GetQueryExecution", {"QueryExecutionId": "never-started"}))
