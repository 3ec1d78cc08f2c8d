"""The Autopilot simulator answers boto3 through moto like SageMaker would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devtools.emulator.autopilot.answer_validation import AnswerValidationError, ShapeValidator
from devtools.emulator.autopilot.simulator import AutopilotSimulator


def error_of(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_v1_job_lifecycle_through_describe(autopilot: AutopilotSimulator, sagemaker_no_retries: Any) -> None:
    # Given a V1 tabular job just created
    autopilot.create_job("churn-v1", api="v1", candidates=3)
    sm = sagemaker_no_retries

    # When it is described at creation and after every phase
    first = sm.describe_auto_ml_job(AutoMLJobName="churn-v1")
    seen_secondary = [first["AutoMLJobSecondaryStatus"]]
    modified = [first["LastModifiedTime"]]
    for phase in (autopilot.analyze_data, autopilot.engineer_features, autopilot.tune_models):
        autopilot.clock.advance(60)
        phase("churn-v1")
        answer = sm.describe_auto_ml_job(AutoMLJobName="churn-v1")
        seen_secondary.append(answer["AutoMLJobSecondaryStatus"])
        modified.append(answer["LastModifiedTime"])
        assert answer["AutoMLJobStatus"] == "InProgress"
        assert "EndTime" not in answer and "BestCandidate" not in answer
    autopilot.clock.advance(60)
    autopilot.finish_tuning("churn-v1")
    autopilot.clock.advance(60)
    autopilot.complete("churn-v1")
    done = sm.describe_auto_ml_job(AutoMLJobName="churn-v1")

    # Then the statuses follow Autopilot's order and the terminal answer is complete
    assert seen_secondary == ["Starting", "AnalyzingData", "FeatureEngineering", "ModelTuning"]
    assert modified == sorted(modified) and len(set(modified)) == len(modified)
    assert done["AutoMLJobStatus"] == "Completed"
    assert done["EndTime"] == done["LastModifiedTime"]
    assert done["ProblemType"] == "BinaryClassification"
    best = done["BestCandidate"]
    assert best["CandidateStatus"] == "Completed"
    assert best["FinalAutoMLJobObjectiveMetric"]["MetricName"] == "F1"
    scores = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in sm.list_candidates_for_auto_ml_job(
        AutoMLJobName="churn-v1")["Candidates"]]  # fmt: skip
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] == max(scores)
    step_types = [step["CandidateStepType"] for step in best["CandidateSteps"]]
    assert step_types == [
        "AWS::SageMaker::ProcessingJob",
        "AWS::SageMaker::TrainingJob",
        "AWS::SageMaker::TransformJob",
        "AWS::SageMaker::TrainingJob",
    ]


def test_v2_describe_serves_v1_and_v2_jobs_in_v2_shape(
    autopilot: AutopilotSimulator, sagemaker_no_retries: Any
) -> None:
    # Given a V1 job and a V2 time-series job
    autopilot.create_job("tab-v1", api="v1")
    autopilot.create_job("ts-v2", api="v2", problem_type_config="TimeSeriesForecasting")
    autopilot.run_to_completion("ts-v2")

    # When both are described with DescribeAutoMLJobV2
    v1_in_v2 = sagemaker_no_retries.describe_auto_ml_job_v2(AutoMLJobName="tab-v1")
    v2 = sagemaker_no_retries.describe_auto_ml_job_v2(AutoMLJobName="ts-v2")

    # Then both come in the V2 shape
    assert v1_in_v2["AutoMLProblemTypeConfigName"] == "Tabular"
    assert "InputDataConfig" not in v1_in_v2 and v1_in_v2["AutoMLJobInputDataConfig"]
    assert "TimeSeriesForecastingJobConfig" in v2["AutoMLProblemTypeConfig"]
    assert v2["AutoMLJobStatus"] == "Completed"
    assert v2["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["Type"] == "Minimize"


def test_describe_v1_of_v2_job_is_validation_exception(
    autopilot: AutopilotSimulator, sagemaker_no_retries: Any
) -> None:
    # Given a job created with CreateAutoMLJobV2
    autopilot.create_job("only-v2", api="v2")

    # When it is described with the V1 API, Then SageMaker's ValidationException comes back
    with pytest.raises(ClientError) as raised:
        sagemaker_no_retries.describe_auto_ml_job(AutoMLJobName="only-v2")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "DescribeAutoMLJobV2" in raised.value.response["Error"]["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_jobs_are_resource_not_found(autopilot: AutopilotSimulator, sagemaker_no_retries: Any) -> None:
    # Given no such job, When described by either API or listed for candidates, Then ResourceNotFound (400)
    sm = sagemaker_no_retries
    assert error_of(lambda: sm.describe_auto_ml_job(AutoMLJobName="ghost")) == ("ResourceNotFound", 400)
    assert error_of(lambda: sm.describe_auto_ml_job_v2(AutoMLJobName="ghost")) == ("ResourceNotFound", 400)
    assert error_of(lambda: sm.list_candidates_for_auto_ml_job(AutoMLJobName="ghost")) == ("ResourceNotFound", 400)


def test_failed_and_stopped_jobs(autopilot: AutopilotSimulator, sagemaker_no_retries: Any) -> None:
    # Given one job that fails while tuning and one that is stopped
    for name in ("fails", "stops"):
        autopilot.create_job(name, api="v2" if name == "stops" else "v1")
        autopilot.analyze_data(name)
        autopilot.engineer_features(name)
        autopilot.tune_models(name)
    autopilot.clock.advance(30)
    failure_events = autopilot.fail("fails", reason="ClientError: bad data")
    stop_events = autopilot.request_stop("stops")
    stopping = sagemaker_no_retries.describe_auto_ml_job_v2(AutoMLJobName="stops")
    autopilot.clock.advance(30)
    autopilot.finish_stop("stops")

    # When they are described
    failed = sagemaker_no_retries.describe_auto_ml_job(AutoMLJobName="fails")
    stopped = sagemaker_no_retries.describe_auto_ml_job_v2(AutoMLJobName="stops")

    # Then Failed carries its reason, Stopping precedes Stopped, and both end
    assert (failed["AutoMLJobStatus"], failed["FailureReason"]) == ("Failed", "ClientError: bad data")
    assert "BestCandidate" not in failed and failed["EndTime"]
    assert all(event["detail"].get("FailureReason") for event in failure_events)
    assert (stopping["AutoMLJobStatus"], stopping["AutoMLJobSecondaryStatus"]) == ("Stopping", "Stopping")
    assert "EndTime" not in stopping
    assert (stopped["AutoMLJobStatus"], stopped["AutoMLJobSecondaryStatus"]) == ("Stopped", "Stopped")
    assert stop_events[0]["detail"]["eventName"] == "StopAutoMLJob"


def test_completed_with_explainability_error_and_partial_failures(
    autopilot: AutopilotSimulator, sagemaker_no_retries: Any
) -> None:
    # Given a job whose explainability report fails
    autopilot.create_job("partial")
    for phase in (autopilot.analyze_data, autopilot.engineer_features, autopilot.tune_models):
        phase("partial")
    autopilot.finish_tuning("partial")
    autopilot.complete("partial", secondary_status="ExplainabilityError", partial_failure_reasons=["SHAP failed"])

    # When described, Then it is Completed with the error secondary status and the partial failure
    answer = sagemaker_no_retries.describe_auto_ml_job(AutoMLJobName="partial")
    assert (answer["AutoMLJobStatus"], answer["AutoMLJobSecondaryStatus"]) == ("Completed", "ExplainabilityError")
    assert answer["PartialFailureReasons"] == [{"PartialFailureMessage": "SHAP failed"}]


def test_large_answer_fits_the_model_limits(autopilot: AutopilotSimulator, sagemaker_no_retries: Any) -> None:
    # Given a job with the size knob on
    autopilot.create_job("heavy", large=True, candidates=5)
    autopilot.run_to_completion("heavy")

    # When described
    best = sagemaker_no_retries.describe_auto_ml_job(AutoMLJobName="heavy")

    # Then the answer is at the service maxima
    assert len(best["BestCandidate"]["CandidateProperties"]["CandidateMetrics"]) == 40
    assert len(best["BestCandidate"]["InferenceContainers"]) == 5
    assert len(best["PartialFailureReasons"]) == 5


def test_list_automl_jobs_filters_sorts_and_paginates(autopilot: AutopilotSimulator, sagemaker_no_retries: Any) -> None:
    # Given 7 jobs created a minute apart, the last 2 completed
    names = [f"list-job-{index}" for index in range(7)]
    for name in names:
        autopilot.create_job(name)
        autopilot.clock.advance(60)
    for name in names[-2:]:
        autopilot.run_to_completion(name)
    middle = autopilot.clock.start + timedelta(seconds=150)

    # When listed with filters and small pages
    sm = sagemaker_no_retries
    pages = list(sm.get_paginator("list_auto_ml_jobs").paginate(SortBy="Name", SortOrder="Ascending",
                                                                 PaginationConfig={"PageSize": 3}))  # fmt: skip
    completed = sm.list_auto_ml_jobs(StatusEquals="Completed")["AutoMLJobSummaries"]
    recent = sm.list_auto_ml_jobs(CreationTimeAfter=middle)["AutoMLJobSummaries"]
    named = sm.list_auto_ml_jobs(NameContains="JOB-3")["AutoMLJobSummaries"]

    # Then pages join to the full sorted list and the filters hold
    assert [len(page["AutoMLJobSummaries"]) for page in pages] == [3, 3, 1]
    assert [s["AutoMLJobName"] for page in pages for s in page["AutoMLJobSummaries"]] == names
    assert {s["AutoMLJobName"] for s in completed} == set(names[-2:])
    assert [s["AutoMLJobName"] for s in recent] == list(reversed(names[3:]))  # default: newest first
    assert [s["AutoMLJobName"] for s in named] == ["list-job-3"]
    assert error_of(lambda: sm.list_auto_ml_jobs(MaxResults=101))[0] in ("ValidationException", "ParamValidation")


def test_list_candidates_filters_and_paginates(autopilot: AutopilotSimulator, sagemaker_no_retries: Any) -> None:
    # Given a completed job with 7 candidates
    autopilot.create_job("many", candidates=7)
    autopilot.run_to_completion("many")
    sm = sagemaker_no_retries

    # When candidates are paged and filtered
    pages = list(sm.get_paginator("list_candidates_for_auto_ml_job").paginate(
        AutoMLJobName="many", SortBy="FinalObjectiveMetricValue", PaginationConfig={"PageSize": 4}))  # fmt: skip
    candidates = [c for page in pages for c in page["Candidates"]]
    one = sm.list_candidates_for_auto_ml_job(AutoMLJobName="many", CandidateNameEquals=candidates[3]["CandidateName"])

    # Then the best candidate comes first and equals BestCandidate
    scores = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in candidates]
    assert len(pages) == 2 and len(candidates) == 7
    assert scores == sorted(scores, reverse=True)
    best = sm.describe_auto_ml_job(AutoMLJobName="many")["BestCandidate"]
    assert best["CandidateName"] == candidates[0]["CandidateName"]
    assert [c["CandidateName"] for c in one["Candidates"]] == [candidates[3]["CandidateName"]]
    assert sm.list_candidates_for_auto_ml_job(AutoMLJobName="many", StatusEquals="Failed")["Candidates"] == []


def test_child_jobs_carry_automl_arn(autopilot: AutopilotSimulator, sagemaker_no_retries: Any) -> None:
    # Given a completed job and an ordinary training job
    autopilot.create_job("a-very-long-autopilot-job-name32")
    autopilot.run_to_completion("a-very-long-autopilot-job-name32")
    autopilot.create_training_job("plain-training")
    sm = sagemaker_no_retries
    job = autopilot.job("a-very-long-autopilot-job-name32")
    steps = sm.describe_auto_ml_job(AutoMLJobName=job.name)["BestCandidate"]["CandidateSteps"]

    # When each step is described by its own API
    describe = {
        "AWS::SageMaker::ProcessingJob": lambda n: sm.describe_processing_job(ProcessingJobName=n),
        "AWS::SageMaker::TrainingJob": lambda n: sm.describe_training_job(TrainingJobName=n),
        "AWS::SageMaker::TransformJob": lambda n: sm.describe_transform_job(TransformJobName=n),
    }
    answers = [describe[s["CandidateStepType"]](s["CandidateStepName"]) for s in steps]
    tuning_name = next(n for n in job.child_job_names if n.endswith("TA"))
    tuning = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_name)
    trainings = sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_name)

    # Then every child points back at the AutoML job, names fit the limits, the ordinary job does not
    assert all(answer["AutoMLJobArn"] == job.arn for answer in answers)
    assert all(len(step["CandidateStepName"]) <= 63 for step in steps)
    assert len(tuning_name) <= 32 and "AutoMLJobArn" not in tuning
    assert tuning["TrainingJobStatusCounters"]["Completed"] == 3
    assert len(trainings["TrainingJobSummaries"]) == 3
    assert "AutoMLJobArn" not in sm.describe_training_job(TrainingJobName="plain-training")


def test_fault_injection_surfaces_through_boto3(autopilot: AutopilotSimulator, sagemaker_no_retries: Any) -> None:
    # Given a job and two injected faults on DescribeAutoMLJob, one on V2
    autopilot.create_job("flaky")
    autopilot.faults.inject("DescribeAutoMLJob", "ThrottlingException", 400, times=2)
    autopilot.faults.inject("DescribeAutoMLJobV2", "ServiceUnavailable", 503, times=1)
    sm = sagemaker_no_retries

    # When called repeatedly, Then the faults come first, then the real answer, and every call is counted
    assert error_of(lambda: sm.describe_auto_ml_job(AutoMLJobName="flaky")) == ("ThrottlingException", 400)
    assert error_of(lambda: sm.describe_auto_ml_job(AutoMLJobName="flaky")) == ("ThrottlingException", 400)
    assert sm.describe_auto_ml_job(AutoMLJobName="flaky")["AutoMLJobName"] == "flaky"
    assert error_of(lambda: sm.describe_auto_ml_job_v2(AutoMLJobName="flaky")) == ("ServiceUnavailable", 503)
    assert autopilot.calls["DescribeAutoMLJob"] == 3
    assert autopilot.calls["DescribeAutoMLJobV2"] == 1


def test_shape_validator_rejects_a_bad_answer() -> None:
    # Given an answer missing required members, When validated, Then it raises loudly
    with pytest.raises(AnswerValidationError):
        ShapeValidator().validate("DescribeAutoMLJob", {"AutoMLJobName": "x"})


def test_uninstall_restores_moto(fresh_aws: Any, sagemaker_no_retries: Any) -> None:
    # Given a simulator installed then uninstalled
    with AutopilotSimulator() as simulator:
        simulator.create_job("gone")
    # When DescribeAutoMLJob is called, Then moto's own (unimplemented → 500) behaviour is back
    _code, status = error_of(lambda: sagemaker_no_retries.describe_auto_ml_job(AutoMLJobName="gone"))
    assert status == 500
