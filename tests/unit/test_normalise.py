"""The normaliser on V1 and V2 answers that botocore's Stubber validates against the service model."""

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from automl_archive.contracts.job_status import DescribeApi
from automl_archive.dal.interfaces import StoredState
from automl_archive.logic.normalise import account_and_region, normalise
from automl_archive.logic.stored_state import record_from_state
from automl_archive.models.record import JOB_RECORD_COLUMN_NAMES, SCHEMA_VERSION
from devtools.answers import best_candidate, v1_answer, v2_answer

ARCHIVED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _through_stubber(operation: str, answer: dict) -> dict:
    """Return the answer as boto3 hands it over, after Stubber validated it against the model."""
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_response(operation, answer, {"AutoMLJobName": answer["AutoMLJobName"]})
        return getattr(client, operation)(AutoMLJobName=answer["AutoMLJobName"])


@pytest.mark.parametrize("problem_type", ["BinaryClassification", "MulticlassClassification", "Regression"])
def test_v1_completed_answer_maps_to_flat_columns(problem_type):
    # Given a completed V1 answer of each tabular problem type
    answer = _through_stubber("describe_auto_ml_job", v1_answer(problem_type=problem_type))
    # When it is normalised
    record = normalise(answer, DescribeApi.V1, "raw/key.json", ARCHIVED)
    # Then every column is present, flat and typed
    assert tuple(record) == JOB_RECORD_COLUMN_NAMES
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["problem_type"] == problem_type
    assert record["problem_type_config"] == "Tabular"
    assert record["status"] == "Completed"
    assert record["is_terminal"] is True
    assert record["mode"] == "ENSEMBLING"
    assert record["algorithms"] == ["xgboost", "lightgbm"]
    assert record["max_candidates"] == 10
    assert record["max_job_runtime_seconds"] == 14400
    assert record["target_attribute"] == "churned"
    assert record["input_s3_uris"] == ["s3://data/churn/train.csv"]
    assert record["objective_metric"] == "F1"
    assert record["duration_seconds"] == 3600.0
    assert record["creation_time"] == "2026-11-20T09:00:00.250000+00:00"
    assert record["best_candidate_name"] == "churn-v1-trial-001"
    assert record["best_objective_metric_value"] == pytest.approx(0.91)
    assert record["best_candidate_step_types"] == ["AWS::SageMaker::ProcessingJob", "AWS::SageMaker::TrainingJob"]
    assert len(record["best_candidate_container_images"]) == 3
    assert record["best_candidate_metrics"][0] == {
        "metric_name": "F1",
        "standard_metric_name": "F1",
        "value": 0.9,
        "set": "Validation",
    }
    assert record["explainability_report"] == "s3://out/explainability/"
    assert record["describe_api"] == DescribeApi.V1
    assert record["alert_category"] is None
    assert record["archived_at"] == "2026-11-27T12:00:00.000000+00:00"


@pytest.mark.parametrize(
    ("config", "problem_type", "target"),
    [
        ("Tabular", "Regression", "price"),
        ("ImageClassification", "ImageClassification", None),
        ("TextClassification", "TextClassification", "label"),
        ("TimeSeriesForecasting", "TimeSeriesForecasting", "demand"),
        ("TextGeneration", "TextGeneration", None),
    ],
)
def test_v2_answers_of_every_problem_type(config, problem_type, target):
    # Given a V2 answer for each problem-type config
    answer = _through_stubber("describe_auto_ml_job_v2", v2_answer(config=config))
    # When it is normalised
    record = normalise(answer, DescribeApi.V2, "raw/key.json", ARCHIVED)
    # Then the problem type, target and criteria come out of the union member
    assert tuple(record) == JOB_RECORD_COLUMN_NAMES
    assert record["problem_type"] == problem_type
    assert record["problem_type_config"] == config
    assert record["target_attribute"] == target
    assert record["max_candidates"] == 5
    assert record["objective_metric"] == "Accuracy"
    assert record["describe_api"] == DescribeApi.V2


def test_tabular_v2_mode_and_algorithms_come_from_tabular_config():
    answer = _through_stubber("describe_auto_ml_job_v2", v2_answer(config="Tabular"))
    record = normalise(answer, DescribeApi.V2, "k", ARCHIVED)
    assert (record["mode"], record["algorithms"]) == ("HYPERPARAMETER_TUNING", ["mlp"])


def test_failed_and_partial_failures_set_the_alert_category():
    failed = normalise(
        _through_stubber("describe_auto_ml_job", v1_answer(status="Failed", secondary="Failed")),
        DescribeApi.V1,
        "k",
        ARCHIVED,
    )
    assert (failed["alert_category"], failed["failure_reason"][:11]) == ("Failed", "ClientError")
    partial = v1_answer(PartialFailureReasons=[{"PartialFailureMessage": "one candidate failed"}])
    record = normalise(_through_stubber("describe_auto_ml_job", partial), DescribeApi.V1, "k", ARCHIVED)
    assert record["alert_category"] == "CompletedWithProblems"
    assert record["partial_failure_reasons"] == ["one candidate failed"]
    explain = v1_answer(secondary="ExplainabilityError")
    assert normalise(explain, DescribeApi.V1, "k", ARCHIVED)["alert_category"] == "CompletedWithProblems"


def test_running_job_has_no_end_and_duration_runs_to_last_change():
    answer = _through_stubber(
        "describe_auto_ml_job", v1_answer(status="InProgress", secondary="TrainingModels", minutes=30)
    )
    record = normalise(answer, DescribeApi.V1, "k", ARCHIVED)
    assert record["end_time"] is None
    assert record["is_terminal"] is False
    assert record["best_candidate_name"] is None
    assert record["best_candidate_metrics"] == []
    assert record["duration_seconds"] == 1800.0


def test_very_large_answer_keeps_every_metric_and_container():
    # Given the largest answer the model allows: 40 metrics, 5 containers, 5 partial failures, long reason
    answer = v1_answer(
        status="Completed",
        BestCandidate=best_candidate("churn-v1", metrics=40, containers=5),
        PartialFailureReasons=[{"PartialFailureMessage": "x" * 1024}] * 5,
        FailureReason="y" * 1024,
    )
    record = normalise(_through_stubber("describe_auto_ml_job", answer), DescribeApi.V1, "k", ARCHIVED)
    # Then nothing is truncated in the record
    assert len(record["best_candidate_metrics"]) == 40
    assert len(record["best_candidate_container_images"]) == 5
    assert len(record["partial_failure_reasons"]) == 5
    assert len(record["failure_reason"]) == 1024


def test_minimal_answer_with_only_required_members():
    # Given only the members the model requires
    answer = {
        "AutoMLJobName": "tiny",
        "AutoMLJobArn": "arn:aws:sagemaker:us-east-1:123456789012:automl-job/tiny",
        "InputDataConfig": [
            {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://d/"}}, "TargetAttributeName": "y"}
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://o/"},
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
        "LastModifiedTime": datetime(2026, 1, 1, tzinfo=UTC),
        "AutoMLJobStatus": "InProgress",
        "AutoMLJobSecondaryStatus": "Starting",
    }
    record = normalise(_through_stubber("describe_auto_ml_job", answer), DescribeApi.V1, "k", ARCHIVED)
    # Then absent members become nulls / empty lists, never errors
    assert record["problem_type"] is None
    assert record["algorithms"] == []
    assert record["max_candidates"] is None


def test_a_v2_answer_without_its_problem_type_members_is_not_labelled_tabular():
    answer = v2_answer(config="ImageClassification")
    del answer["AutoMLProblemTypeConfig"], answer["AutoMLProblemTypeConfigName"]
    record = normalise(_through_stubber("describe_auto_ml_job_v2", answer), DescribeApi.V2, "k", ARCHIVED)
    assert record["problem_type_config"] is None
    assert record["describe_api"] == DescribeApi.V2


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:sagemaker:eu-west-1:123456789012:automl-job/churn", ("123456789012", "eu-west-1")),
        ("arn:aws-cn:sagemaker:cn-north-1:210987654321:automl-job/a:b", ("210987654321", "cn-north-1")),
        ("not-an-arn", (None, None)),
        (None, (None, None)),
    ],
)
def test_the_account_and_region_come_from_the_jobs_arn(arn, expected):
    assert account_and_region(arn) == expected
    answer = {**v1_answer(), "AutoMLJobArn": arn}
    record = normalise(answer, DescribeApi.V1, raw_s3_key="raw/x", archived_at=ARCHIVED)
    assert (record["account_id"], record["region"]) == expected


def test_a_state_stored_before_the_record_had_them_still_says_where_the_job_runs():
    # A schema-2 state item (no account_id/region attributes) read back for its alert
    arn = "arn:aws:sagemaker:ap-south-1:123456789012:automl-job/old"
    state = StoredState(1, "Failed", True, DescribeApi.V1, "Failed", attributes={"job_name": "old", "job_arn": arn})
    record = record_from_state(state)
    assert (record["account_id"], record["region"]) == ("123456789012", "ap-south-1")
