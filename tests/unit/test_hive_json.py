"""The local check reads a record line as Athena's Hive JSON SerDe does: strict types, case-blind keys."""

from __future__ import annotations

import pytest

from automl_archive.models.record import BIGINT, BOOLEAN, DOUBLE, METRIC_ARRAY, STRING, STRING_ARRAY, TIMESTAMP, Column
from datalake.hive_json import HiveBadData, read_lines, read_row

COLUMNS = (
    Column("job_name", STRING, ""),
    Column("candidate_count", BIGINT, ""),
    Column("best_objective_metric_value", DOUBLE, ""),
    Column("is_terminal", BOOLEAN, ""),
    Column("end_time", TIMESTAMP, ""),
    Column("algorithms", STRING_ARRAY, ""),
    Column("best_candidate_metrics", METRIC_ARRAY, ""),
)


def test_a_well_typed_row_reads_as_written():
    row = {
        "job_name": "churn",
        "candidate_count": 3,
        "best_objective_metric_value": 0.9,
        "is_terminal": True,
        "end_time": "2026-11-20T09:00:00.250000+00:00",
        "algorithms": ["xgboost"],
        "best_candidate_metrics": [{"metric_name": "F1", "standard_metric_name": "F1", "value": 1, "set": "Train"}],
    }
    assert read_row(row, COLUMNS, "f:1") == row


def test_keys_match_columns_without_regard_to_case_and_absent_columns_read_null():
    row = read_row({"JOB_NAME": "churn", "Best_Candidate_Metrics": [{"Value": 0.5}], "extra": 1}, COLUMNS, "f:1")
    assert row["job_name"] == "churn"
    assert row["best_candidate_metrics"] == [
        {"metric_name": None, "standard_metric_name": None, "value": 0.5, "set": None}
    ]
    assert row["candidate_count"] is None and "extra" not in row


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("best_objective_metric_value", "NaN"),
        ("best_objective_metric_value", "0.9"),
        ("best_objective_metric_value", True),
        ("candidate_count", "3"),
        ("candidate_count", 2.5),
        ("candidate_count", False),
        ("is_terminal", "true"),
        ("is_terminal", 1),
        ("end_time", "2026-11-20 09:00:00"),
        ("end_time", 1790000000),
        ("algorithms", "xgboost"),
        ("job_name", {"a": 1}),
        ("best_candidate_metrics", [{"value": "Infinity"}]),
    ],
)
def test_a_value_of_the_wrong_type_fails_like_hive_bad_data(column, value):
    with pytest.raises(HiveBadData, match=f"HIVE_BAD_DATA at f:1: column {column}"):
        read_row({column: value}, COLUMNS, "f:1")


def test_the_non_standard_nan_token_is_not_json():
    with pytest.raises(HiveBadData, match="valid JSON"):
        list(read_lines('{"best_objective_metric_value": NaN}\n', COLUMNS, "records/x.jsonl"))


def test_two_keys_equal_but_for_case_are_refused():
    with pytest.raises(HiveBadData, match="differs from it only in case"):
        read_row({"job_name": "a", "Job_Name": "b"}, COLUMNS, "f:1")


def test_lines_are_numbered_and_blank_lines_skipped():
    text = '{"job_name": "a"}\n\n{"candidate_count": "x"}\n'
    with pytest.raises(HiveBadData, match=r"at d/f.jsonl:3: column candidate_count"):
        list(read_lines(text, COLUMNS, "d/f.jsonl"))
