"""Where the archive keeps each job state in S3, and how what it writes there is encoded.

The archiver writes these keys, the data lake's Glue tables read them, `automl-archive rederive`
rewrites them, and the stack scopes the archiver's s3:PutObject grant to the prefixes. Keys derive from
the state alone, so a repeated write of the same state lands on the same key.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

RAW_PREFIX = "raw/automl-jobs/"  # the full Describe answer of each state: <job key>/<state id>.json
RECORDS_PREFIX = "records/automl-jobs/"  # Athena's job table: dt=<date>/<job key>--<state id>.jsonl
CANDIDATES_PREFIX = "records/automl-candidates/"  # Athena's candidate table, same naming
# Athena's child-job table: dt=<date the child ended>/<job key>--<child job name>.jsonl
CHILD_JOBS_PREFIX = "records/automl-child-jobs/"
ARCHIVER_WRITE_PREFIXES = (RAW_PREFIX, RECORDS_PREFIX, CANDIDATES_PREFIX, CHILD_JOBS_PREFIX)
RECORD_PREFIXES = (RECORDS_PREFIX, CANDIDATES_PREFIX, CHILD_JOBS_PREFIX)  # what the data lake reads
# The compacted (Iceberg) tables: <table name>/data/ and <table name>/metadata/, written by Athena for the
# compaction function (contracts/lake_tables.py); the function's own progress is one object beside them.
COMPACTED_PREFIX = "compacted/"
COMPACTION_STATE_PREFIX = "compaction-state/"
COMPACTION_WATERMARK_KEY = f"{COMPACTION_STATE_PREFIX}watermark.json"
COMPACTION_LEASE_KEY = f"{COMPACTION_STATE_PREFIX}lease.json"  # one run at a time (S3 conditional writes)
ATHENA_RESULTS_PREFIX = "athena-results/"  # the workgroup's query results (a lifecycle rule expires them)
ACCESS_LOGS_PREFIX = "archive-bucket/"  # in the access-log bucket

JSON_CONTENT_TYPE = "application/json"
JSON_LINES_CONTENT_TYPE = "application/x-ndjson"


def raw_key(job_key: str, state_id: str) -> str:
    return f"{RAW_PREFIX}{job_key}/{state_id}.json"


def parse_raw_key(key: str) -> tuple[str, str]:
    """``raw/automl-jobs/<job key>/<state id>.json`` → (job key, state id)."""
    job_key, _, file_name = key.removeprefix(RAW_PREFIX).partition("/")
    if not key.startswith(RAW_PREFIX) or not job_key or not file_name.endswith(".json") or "/" in file_name:
        raise ValueError(f"not a raw answer key: {key}")
    return job_key, file_name.removesuffix(".json")


def partition_date(record: dict[str, Any]) -> str:
    """The `dt` partition of a record: the UTC date of its state's last_modified_time."""
    return str(record["last_modified_time"])[:10]


def record_key(job_key: str, record: dict[str, Any]) -> str:
    return f"{RECORDS_PREFIX}dt={partition_date(record)}/{job_key}--{record['state_id']}.jsonl"


def candidates_key(job_key: str, record: dict[str, Any]) -> str:
    return f"{CANDIDATES_PREFIX}dt={partition_date(record)}/{job_key}--{record['state_id']}.jsonl"


def child_job_key(job_key: str, record: dict[str, Any]) -> str:
    """One object per child job: its terminal event's duplicates and redeliveries land on the same key."""
    day = (record["end_time"] or record["last_modified_time"] or record["archived_at"])[:10]
    return f"{CHILD_JOBS_PREFIX}dt={day}/{job_key}--{record['child_job_name']}.jsonl"


def iso(value: datetime | None) -> str | None:
    """ISO-8601 with an explicit UTC offset and six fractional digits: the archive's one time format."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def json_text(value: Any) -> str:
    """Compact JSON; datetimes as `iso`; NaN and infinities kept as text rather than written as what
    JSON parsers (Athena's among them) reject. For raw answers: nothing SageMaker said is lost."""
    return json.dumps(_json_safe(value), default=_json_default, ensure_ascii=False, separators=(",", ":"))


def json_document(value: Any) -> bytes:
    """JSON as UTF-8; a text UTF-8 cannot carry (a lone surrogate) is written escaped, losing nothing."""
    try:
        return json_text(value).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(_json_safe(value), default=_json_default, ensure_ascii=True, separators=(",", ":")).encode()


def json_lines(rows: list[dict[str, Any]]) -> bytes:
    """JSON Lines for the data lake, one row a line (Athena's JSON SerDe reads one object per line).

    A NaN or infinite number is written as ``null``: text in a ``double`` column, like the bare NaN
    token, fails the whole Athena query (HIVE_BAD_DATA); the raw answer keeps what SageMaker said."""
    return "".join(_record_text(row) + "\n" for row in rows).encode()


def _record_text(row: dict[str, Any]) -> str:
    return json.dumps(_non_finite_as_null(row), default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _non_finite_as_null(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _non_finite_as_null(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_non_finite_as_null(item) for item in value]
    return value


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"cannot serialise {type(value).__name__}")
