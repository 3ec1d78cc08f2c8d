"""Every value the writers emit for a numeric column is a JSON number or null, whatever SageMaker answers.

A NaN, an infinity or a number as text in a `double`/`bigint` column fails every Athena query over the
table (HIVE_BAD_DATA); the writers' JSON Lines must read cleanly through the Hive JSON SerDe's rules.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from automl_archive.contracts.archive_layout import json_lines
from automl_archive.contracts.job_status import DescribeApi
from automl_archive.logic.leaderboard import candidate_rows, rank_candidates
from automl_archive.logic.normalise import normalise
from automl_archive.models.record import BIGINT, CANDIDATE_RECORD_COLUMNS, DOUBLE, JOB_RECORD_COLUMNS
from datalake.hive_json import read_lines
from devtools.answers import best_candidate, v1_answer

ARCHIVED_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
any_number = st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(2**63), max_value=2**63 - 1)


def _numbers_in(value, hive_type):
    """Each value a numeric leaf of the column holds (through arrays and structs)."""
    if hive_type in (BIGINT, DOUBLE):
        yield value
    elif hive_type.startswith("array<struct<") and value:
        for item in value:
            yield from (item[name] for name in ("value",) if name in item)


def _assert_numbers(raw_line: str, columns) -> None:
    parsed = json.loads(raw_line, parse_constant=lambda token: (_ for _ in ()).throw(AssertionError(token)))
    for column in columns:
        for number in _numbers_in(parsed.get(column.name), column.type):
            assert number is None or (isinstance(number, int | float) and not isinstance(number, bool)), (
                column.name,
                number,
            )
            assert number is None or math.isfinite(number), (column.name, number)


@settings(max_examples=60, deadline=None)
@given(objective=any_number, metrics=st.lists(any_number, max_size=4), minutes=st.integers(0, 10**6))
def test_job_and_candidate_records_hold_json_numbers_or_null(objective, metrics, minutes):
    # Given an answer whose objective and metric values may be NaN, infinite or huge
    candidate = best_candidate("churn")
    candidate["FinalAutoMLJobObjectiveMetric"]["Value"] = objective
    candidate["CandidateProperties"]["CandidateMetrics"] = [
        {"MetricName": "F1", "StandardMetricName": "F1", "Value": value, "Set": "Validation"} for value in metrics
    ]
    answer = v1_answer("churn", minutes=minutes, BestCandidate=candidate)
    # When the archiver's writers encode the job record and the candidate rows
    record = normalise(answer, DescribeApi.V1, raw_s3_key="raw", archived_at=ARCHIVED_AT)
    job_lines = json_lines([record]).decode()
    candidate_lines = json_lines(candidate_rows(record, rank_candidates([candidate]), ARCHIVED_AT)).decode()
    # Then every numeric column holds a finite JSON number or null, and Athena's reader accepts each line
    _assert_numbers(job_lines, JOB_RECORD_COLUMNS)
    for line in candidate_lines.splitlines():
        _assert_numbers(line, CANDIDATE_RECORD_COLUMNS)
    assert len(list(read_lines(job_lines, JOB_RECORD_COLUMNS, "job"))) == 1
    assert len(list(read_lines(candidate_lines, CANDIDATE_RECORD_COLUMNS, "candidates"))) == 1


def test_a_non_finite_number_anywhere_in_a_record_is_written_as_null():
    line = json_lines([{"value": float("nan"), "nested": [{"value": float("-inf")}], "text": "NaN"}]).decode()
    assert json.loads(line) == {"value": None, "nested": [{"value": None}], "text": "NaN"}
