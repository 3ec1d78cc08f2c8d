"""The named queries' answers over records written with the product's own encoder and keys (DuckDB text).

Each test fails on the queries as they were before issue 15: completed jobs without a metric went
uncounted, the failures window was calendar dates and Failed only, one job's limit was ignored, and
jobs of the same name in two accounts were one job.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from automl_archive.contracts.archive_layout import child_job_key, iso, json_lines, raw_key, record_key
from automl_archive.contracts.job_identity import JobSource, job_key
from automl_archive.contracts.job_status import ChildKind, DescribeApi
from automl_archive.logic.child_jobs import child_job_row
from automl_archive.logic.normalise import normalise
from automl_archive.models.child_usage import child_usage
from automl_archive_cli.local_query import run_queries
from datalake.prices import ON_DEMAND_USD_PER_HOUR
from devtools.answers import ACCOUNT, REGION, v1_answer

ARCHIVED_AT = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def _archive(root, answer: dict[str, Any], source: JobSource | None = None) -> dict[str, Any]:
    key = job_key(answer["AutoMLJobName"], source)
    record = normalise(answer, DescribeApi.V1, raw_s3_key="raw", archived_at=ARCHIVED_AT)
    record["raw_s3_key"] = raw_key(key, record["state_id"])
    path = root / record_key(key, record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json_lines([record]))
    return record


def _in(account: str, region: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as SageMaker in another account and Region gives it (the ARN says where)."""
    answer["AutoMLJobArn"] = answer["AutoMLJobArn"].replace(f":{REGION}:{ACCOUNT}:", f":{region}:{account}:")
    return answer


def _rows(root, name: str, as_of: datetime) -> list[dict[str, Any]]:
    return run_queries(root, [name], as_of=as_of)[name].as_dicts()


def test_the_leaderboard_counts_every_completed_job_not_only_those_with_a_metric(tmp_path):
    # Given three jobs completed the same week: two with a best candidate, one without (no candidate finished)
    finished = {"LastModifiedTime": MONDAY, "EndTime": MONDAY}
    _archive(tmp_path, v1_answer("churn-a", **finished))
    better = v1_answer("churn-b", **finished)
    better["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["Value"] = 0.97
    _archive(tmp_path, better)
    without_metric = v1_answer("churn-c", **finished)
    del without_metric["BestCandidate"]
    _archive(tmp_path, without_metric)
    # When the weekly leaderboard runs later that week
    (row,) = _rows(tmp_path, "best_metric_per_problem_type_by_week", MONDAY + timedelta(days=2))
    # Then all three completed, two reported a value, and the best is the better job's
    assert (row["completed_jobs"], row["jobs_with_metric"]) == (3, 2)
    assert (row["best_job"], row["best_value"], row["objective_metric"]) == ("churn-b", 0.97, "F1")
    assert str(row["week"]) == "2026-11-16"


@pytest.mark.parametrize(
    "names", [("tie-b", "tie-a", "tie-c"), ("tie-c", "tie-a", "tie-b"), ("tie-a", "tie-c", "tie-b")]
)
def test_of_jobs_that_tie_on_the_best_value_the_leaderboard_names_the_first_by_name(tmp_path, names):
    # Given jobs of one week tied on the best value, written in different orders (max_by named either)
    finished = {"LastModifiedTime": MONDAY, "EndTime": MONDAY}
    for name in names:
        answer = v1_answer(name, **finished)
        answer["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["Value"] = 0.9
        _archive(tmp_path, answer)
    (row,) = _rows(tmp_path, "best_metric_per_problem_type_by_week", MONDAY + timedelta(days=2))
    assert (row["best_job"], row["best_value"], row["jobs_with_metric"]) == ("tie-a", 0.9, 3)


def test_the_leaderboard_reads_whole_weeks_only(tmp_path):
    _archive(
        tmp_path, v1_answer("old", LastModifiedTime=MONDAY - timedelta(weeks=12), EndTime=MONDAY - timedelta(weeks=12))
    )
    _archive(
        tmp_path,
        v1_answer("recent", LastModifiedTime=MONDAY - timedelta(weeks=11), EndTime=MONDAY - timedelta(weeks=11)),
    )
    rows = _rows(tmp_path, "best_metric_per_problem_type_by_week", MONDAY + timedelta(days=3))
    assert [row["best_job"] for row in rows] == ["recent"]


def test_failures_are_a_rolling_seven_days_of_failed_stopped_and_partly_failed_jobs(tmp_path):
    as_of = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    inside = as_of - timedelta(days=7) + timedelta(minutes=5)  # 2026-11-20 12:05, a calendar day "8 days" back
    outside = as_of - timedelta(days=7) - timedelta(minutes=5)  # the same date, 10 minutes earlier
    _archive(tmp_path, v1_answer("failed-inside", status="Failed", secondary="Failed", LastModifiedTime=inside))
    _archive(tmp_path, v1_answer("failed-outside", status="Failed", secondary="Failed", LastModifiedTime=outside))
    _archive(
        tmp_path,
        v1_answer("stopped", status="Stopped", secondary="Stopped", LastModifiedTime=as_of - timedelta(days=1)),
    )
    _archive(
        tmp_path,
        v1_answer(
            "partly",
            PartialFailureReasons=[{"PartialFailureMessage": "1 candidate failed"}],
            LastModifiedTime=as_of - timedelta(days=2),
        ),
    )
    _archive(tmp_path, v1_answer("fine", LastModifiedTime=as_of - timedelta(days=1)))
    rows = _rows(tmp_path, "failures_last_7_days", as_of)
    assert [(row["job_name"], row["status"], row["alert_category"]) for row in rows] == [
        ("stopped", "Stopped", "Stopped"),
        ("partly", "Completed", "CompletedWithProblems"),
        ("failed-inside", "Failed", "Failed"),
    ]


def test_a_job_whose_latest_state_is_not_a_failure_is_not_listed(tmp_path):
    as_of = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    stopping = v1_answer(
        "retried", status="Stopping", secondary="Stopping", LastModifiedTime=as_of - timedelta(hours=3)
    )
    _archive(tmp_path, stopping)
    _archive(tmp_path, v1_answer("retried", LastModifiedTime=as_of - timedelta(hours=2)))
    assert _rows(tmp_path, "failures_last_7_days", as_of) == []


def test_jobs_of_one_name_in_several_accounts_and_regions_are_several_jobs(tmp_path):
    # Given "churn" completed in the hub, failed in a spoke account and runs in the spoke's second Region
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    _archive(tmp_path, v1_answer("churn", LastModifiedTime=at))
    spoke = JobSource("111111111111", "eu-west-1")
    _archive(
        tmp_path,
        _in(
            spoke.account_id, spoke.region, v1_answer("churn", status="Failed", secondary="Failed", LastModifiedTime=at)
        ),
        spoke,
    )
    second = JobSource("111111111111", "ap-southeast-2")
    running = v1_answer("churn", status="InProgress", secondary="Training", LastModifiedTime=at)
    _archive(tmp_path, _in(second.account_id, second.region, running), second)
    # When the latest state per job is asked for
    rows = _rows(tmp_path, "latest_state_per_job", at + timedelta(days=1))
    # Then each source's job is its own row with its own status
    assert [(row["account_id"], row["region"], row["job_name"], row["status"]) for row in rows] == [
        ("111111111111", "ap-southeast-2", "churn", "InProgress"),
        ("111111111111", "eu-west-1", "churn", "Failed"),
        (ACCOUNT, REGION, "churn", "Completed"),
    ]


def test_the_latest_state_query_reads_the_last_ninety_days(tmp_path):
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    _archive(tmp_path, v1_answer("churn", LastModifiedTime=at))
    assert [row["job_name"] for row in _rows(tmp_path, "latest_state_per_job", at + timedelta(days=89))] == ["churn"]
    assert _rows(tmp_path, "latest_state_per_job", at + timedelta(days=92)) == []


def _state(root, name: str, status: str, secondary: str, entered: datetime, observed: datetime) -> None:
    answer = v1_answer(name, status=status, secondary=secondary, LastModifiedTime=entered)
    key = job_key(name)
    record = normalise(answer, DescribeApi.V1, raw_s3_key="raw", archived_at=observed)
    path = root / record_key(key, record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json_lines([record]))


def test_phase_transitions_show_each_phase_its_duration_and_how_late_it_was_seen(tmp_path):
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    for status, secondary, at, lag in [
        ("InProgress", "Starting", 0, 1),
        ("InProgress", "AnalyzingData", 5, 1),
        ("InProgress", "FeatureEngineering", 20, 7),
        ("InProgress", "FeatureEngineering", 25, 1),  # a later state of the same phase: one phase
        ("InProgress", "ModelTuning", 30, 1),
        ("Completed", "Completed", 90, 2),
    ]:
        _state(tmp_path, "churn", status, secondary, start + at * minute, start + (at + lag) * minute)
    rows = _rows(tmp_path, "phase_transitions", start + timedelta(days=1))
    assert [
        (row["phase"], row["duration_seconds"], row["observation_lag_seconds"], row["missed_required_phases"])
        for row in rows
    ] == [
        ("Starting", 300, 60, 0),
        ("AnalyzingData", 900, 60, 0),
        ("FeatureEngineering", 600, 420, 0),
        ("ModelTuning", 3600, 60, 0),
        ("Completed", None, 120, None),
    ]
    assert rows[1]["next_phase"] == "FeatureEngineering" and rows[-1]["left_at"] is None


def test_a_transition_over_an_unobserved_required_phase_is_flagged(tmp_path):
    # Given a job seen analysing its data and then completed: its training phase was never observed
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    _state(tmp_path, "churn", "InProgress", "AnalyzingData", start, start)
    _state(
        tmp_path, "churn", "Completed", "MaxCandidatesReached", start + timedelta(hours=2), start + timedelta(hours=2)
    )
    # And one that failed while analysing its data (a failure may come from any phase)
    _state(tmp_path, "fraud", "InProgress", "AnalyzingData", start, start)
    _state(tmp_path, "fraud", "Failed", "Failed", start + timedelta(hours=1), start + timedelta(hours=1))
    rows = {
        (row["job_name"], row["phase"]): row for row in _rows(tmp_path, "phase_transitions", start + timedelta(days=1))
    }
    # Then the completed job's AnalyzingData row says a required phase is missing from its 2 hours
    flagged = rows[("churn", "AnalyzingData")]
    assert (flagged["missed_required_phases"], flagged["duration_seconds"], flagged["next_phase"]) == (
        1,
        7200,
        "Completed",
    )
    assert rows[("fraud", "AnalyzingData")]["missed_required_phases"] is None


def _child(root, job_name: str, child: str, instance_type: str, count: int, hours: float, account: str = ACCOUNT):
    source = None if account == ACCOUNT else JobSource(account, REGION)
    usage = child_usage(
        ChildKind.TRAINING,
        {
            "TrainingJobName": child,
            "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{account}:training-job/{child.lower()}",
            "TrainingJobStatus": "Completed",
            "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": count},
            "TrainingStartTime": iso(MONDAY),
            "TrainingEndTime": iso(MONDAY + timedelta(hours=hours)),
        },
    )
    row = child_job_row(usage, job_name, ARCHIVED_AT)
    path = root / child_job_key(job_key(job_name, source), row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json_lines([row]))


def test_cost_per_job_sums_instance_hours_at_the_price_table_and_flags_unpriced_types(tmp_path):
    # Given a completed job with two priced training jobs and one on an instance type without a price
    _archive(
        tmp_path, v1_answer("churn", LastModifiedTime=MONDAY + timedelta(hours=3), EndTime=MONDAY + timedelta(hours=3))
    )
    _child(tmp_path, "churn", "churn-dpp1-1-a", "ml.m5.2xlarge", 1, 1.0)
    _child(tmp_path, "churn", "churnTA-001-b", "ml.m5.2xlarge", 2, 0.5)
    _child(tmp_path, "churn", "churnTA-002-c", "ml.x9.mega", 1, 1.0)
    # And a job of the same name in another account
    _child(tmp_path, "churn", "churnTA-001-z", "ml.m5.xlarge", 1, 2.0, account="111111111111")
    rows = _rows(tmp_path, "cost_per_job", MONDAY + timedelta(days=1))
    by_account = {row["account_id"]: row for row in rows}
    hub = by_account[ACCOUNT]
    # Then the hub's job has 3 instance hours, 2 of them priced (2 x $0.461), and one unpriced child job
    assert (hub["child_jobs"], hub["instance_hours"], hub["unpriced_child_jobs"]) == (3, 3.0, 1)
    assert hub["on_demand_usd"] == pytest.approx(2 * ON_DEMAND_USD_PER_HOUR["ml.m5.2xlarge"], abs=0.01)
    assert (hub["problem_type"], hub["status"], str(hub["week"])) == ("BinaryClassification", "Completed", "2026-11-16")
    # And the other account's job is its own row
    assert by_account["111111111111"]["on_demand_usd"] == pytest.approx(
        2 * ON_DEMAND_USD_PER_HOUR["ml.m5.xlarge"], abs=0.01
    )
    # And by problem type, the other account's job (no state of it archived) is "unknown", not dropped
    weeks = _rows(tmp_path, "cost_per_problem_type_by_week", MONDAY + timedelta(days=1))
    assert [(row["problem_type"], row["jobs"], row["instance_hours"]) for row in weeks] == [
        ("BinaryClassification", 1, 3.0),
        ("unknown", 1, 2.0),
    ]


def test_winning_algorithms_count_each_completed_jobs_winner_by_problem_type_and_metric(tmp_path):
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    images = {"xgboost": "sagemaker-xgboost", "linear-learner": "linear-learner"}
    for name, algorithm in [("a", "xgboost"), ("b", "xgboost"), ("c", "linear-learner")]:
        answer = v1_answer(name, LastModifiedTime=at, EndTime=at)
        answer["BestCandidate"]["InferenceContainers"] = [
            {"Image": f"683313688378.dkr.ecr.us-east-1.amazonaws.com/{images[algorithm]}:1", "ModelDataUrl": "s3://m"}
        ]
        _archive(tmp_path, answer)
    _archive(tmp_path, v1_answer("d", status="Failed", secondary="Failed", LastModifiedTime=at))  # no winner
    rows = _rows(tmp_path, "winning_algorithms", at + timedelta(days=1))
    assert [
        (row["problem_type"], row["objective_metric"], row["algorithm"], row["jobs_won"], row["share_percent"])
        for row in rows
    ] == [
        ("BinaryClassification", "F1", "xgboost", 2, 66.7),
        ("BinaryClassification", "F1", "linear-learner", 1, 33.3),
    ]
