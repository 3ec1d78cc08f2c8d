# ruff: noqa: S608 -- the SQL here is fixed text built from constants, never from input
"""The data lake as data: the two tables, how Athena and DuckDB read them, and the named queries.

Everything here is plain data so that three consumers share one definition:
- the CDK construct (``infra/constructs/datalake.py``) builds the Glue tables and Athena named queries;
- the DuckDB runner (``datalake/duckdb_runner.py``) runs the same queries over a local copy of the archive;
- ``docs/data-lake.md`` shows the Athena text.

Columns are generated from the record schema (``automl_archive.models.record``), never listed here.
Each query carries its Athena (Trino) text and its DuckDB text side by side; they differ only where
the dialects do (``QUALIFY``, ``approx_percentile`` vs ``median``, ``current_date`` vs the runner's
``archive_now()`` clock), and the end-to-end tests prove the DuckDB text against the demo's archive.

This module must stay importable with only the CDK app's dependencies installed (``requirements.txt``):
it imports the pure schema module, not the Lambda's logic (which needs Powertools).
"""

from __future__ import annotations

from dataclasses import dataclass

from automl_archive.contracts.archive_layout import CANDIDATES_PREFIX, RECORDS_PREFIX
from automl_archive.models.record import (
    BIGINT,
    BOOLEAN,
    CANDIDATE_RECORD_COLUMNS,
    DOUBLE,
    JOB_RECORD_COLUMNS,
    STRING,
    TIMESTAMP,
    Column,
)

# --- How Athena reads the JSON Lines ----------------------------------------------------------------
PARTITION_KEY = "dt"
PARTITION_FORMAT = "yyyy-MM-dd"  # Java date pattern for partition projection (dt=YYYY-MM-DD)
PROJECTION_RANGE = "2017-01-01,NOW"  # before Autopilot existed .. today (UTC), one partition a day
JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
# Joda-Time patterns, tried in order. The archive writes "2026-11-20T09:00:00.250000+00:00" (always six
# fractional digits and an offset, see normalise.iso); ZZ parses "+00:00". The second pattern accepts a
# value without a fraction, should one ever be written by hand.
TIMESTAMP_FORMATS = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSZZ,yyyy-MM-dd'T'HH:mm:ssZZ"
TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
GLUE_COMMENT_MAX = 255
ATHENA_ENGINE_VERSION = "Athena engine version 3"


@dataclass(frozen=True)
class TableSpec:
    name: str
    prefix: str
    description: str
    columns: tuple[Column, ...]


JOB_STATES = TableSpec(
    name="automl_job_states",
    prefix=RECORDS_PREFIX,
    description="One row per observed state of each SageMaker AutoML job (JSON Lines written by the archiver).",
    columns=JOB_RECORD_COLUMNS,
)
CANDIDATES = TableSpec(
    name="automl_candidates",
    prefix=CANDIDATES_PREFIX,
    description="One row per candidate of each AutoML job, archived when the job reached a terminal state.",
    columns=CANDIDATE_RECORD_COLUMNS,
)
TABLES: tuple[TableSpec, ...] = (JOB_STATES, CANDIDATES)


def table_location(bucket_name: str, table: TableSpec) -> str:
    return f"s3://{bucket_name}/{table.prefix}"


def table_parameters(bucket_name: str, table: TableSpec) -> dict[str, str]:
    """Glue table parameters: JSON classification and partition projection of ``dt`` (no crawler, no MSCK)."""
    return {
        "classification": "json",
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        f"projection.{PARTITION_KEY}.type": "date",
        f"projection.{PARTITION_KEY}.format": PARTITION_FORMAT,
        f"projection.{PARTITION_KEY}.range": PROJECTION_RANGE,
        f"projection.{PARTITION_KEY}.interval": "1",
        f"projection.{PARTITION_KEY}.interval.unit": "DAYS",
        "storage.location.template": f"{table_location(bucket_name, table)}{PARTITION_KEY}=${{{PARTITION_KEY}}}/",
    }


def serde_parameters() -> dict[str, str]:
    return {"timestamp.formats": TIMESTAMP_FORMATS}


def glue_comment(column: Column) -> str:
    text = column.description
    return text if len(text) <= GLUE_COMMENT_MAX else text[: GLUE_COMMENT_MAX - 1] + "…"


# --- DuckDB -------------------------------------------------------------------------------------------
_DUCKDB_SCALARS = {STRING: "VARCHAR", BIGINT: "BIGINT", DOUBLE: "DOUBLE", BOOLEAN: "BOOLEAN", TIMESTAMP: "TIMESTAMPTZ"}


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def duckdb_type(hive_type: str) -> str:
    """The DuckDB type that reads a Hive/Athena column type from JSON (timestamps as TIMESTAMPTZ)."""
    hive_type = hive_type.strip()
    if hive_type in _DUCKDB_SCALARS:
        return _DUCKDB_SCALARS[hive_type]
    if hive_type.startswith("array<") and hive_type.endswith(">"):
        return duckdb_type(hive_type[len("array<") : -1]) + "[]"
    if hive_type.startswith("struct<") and hive_type.endswith(">"):
        fields = []
        for field in _split_top_level(hive_type[len("struct<") : -1]):
            name, _, field_type = field.partition(":")
            fields.append(f"{quote(name)} {duckdb_type(field_type)}")
        return f"STRUCT({', '.join(fields)})"
    raise ValueError(f"no DuckDB type for Hive type {hive_type!r}")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def duckdb_source(table: TableSpec, archive_root: str) -> str:
    """The SELECT a DuckDB view runs to read one table from a local copy of the archive's records/ tree.

    ``read_json`` over the hive-partitioned JSON Lines, typed by the same schema as the Glue table;
    ``dt`` stays a string as in Athena, and timestamps are read with their offset and then held as UTC
    ``TIMESTAMP`` values, which is what Athena's Hive JSON SerDe yields.
    """
    columns = ", ".join(f"{_sql_string(c.name)}: {_sql_string(duckdb_type(c.type))}" for c in table.columns)
    select = ", ".join(
        f"CAST({quote(c.name)} AS TIMESTAMP) AS {quote(c.name)}" if c.type == TIMESTAMP else quote(c.name)
        for c in table.columns
    )
    pattern = f"{archive_root.rstrip('/')}/{table.prefix}*/*.jsonl"
    return (
        f"SELECT {select}, {quote(PARTITION_KEY)} FROM read_json({_sql_string(pattern)}, "
        f"format = 'newline_delimited', hive_partitioning = true, hive_types = {{'{PARTITION_KEY}': 'VARCHAR'}}, "
        f"columns = {{{columns}}})"
    )


def duckdb_empty_source(table: TableSpec) -> str:
    """The same columns with no rows: what a table over an empty prefix reads in Athena."""
    select = ", ".join(
        f"CAST(NULL AS {'TIMESTAMP' if c.type == TIMESTAMP else duckdb_type(c.type)}) AS {quote(c.name)}"
        for c in table.columns
    )
    return f"SELECT {select}, CAST(NULL AS VARCHAR) AS {quote(PARTITION_KEY)} WHERE false"


# --- The named queries --------------------------------------------------------------------------------
# Latest state first: the archiver's own ordering (terminal outranks running, then LastModifiedTime,
# then the further-along status). The same text in both dialects.
LATEST_STATE_ORDER = (
    "is_terminal DESC, last_modified_time DESC, "
    "CASE status WHEN 'InProgress' THEN 1 WHEN 'Stopping' THEN 2 ELSE 3 END DESC, archived_at DESC"
)
LATEST_STATE_WINDOW = f"row_number() OVER (PARTITION BY lower(job_name) ORDER BY {LATEST_STATE_ORDER})"
LONG_RUNNING_HOURS = 24
FAILURE_WINDOW_DAYS = 7


@dataclass(frozen=True)
class NamedQuery:
    name: str  # identifier: the DuckDB runner's key and the suffix of the Athena named query's name
    title: str  # the Athena named query's name
    description: str
    athena_sql: str
    duckdb_sql: str


FAILURES_LAST_7_DAYS = NamedQuery(
    name="failures_last_7_days",
    title="AutoML failures in the last 7 days",
    description=(
        f"Jobs whose latest state in the last {FAILURE_WINDOW_DAYS} days (UTC dates) is Failed, with the failure "
        "reason, newest first. Scans only the last 8 daily partitions."
    ),
    athena_sql=f"""SELECT job_name, failure_reason, partial_failure_reasons, problem_type, describe_api,
       creation_time, last_modified_time, duration_seconds, raw_s3_key
FROM (
    SELECT s.*, {LATEST_STATE_WINDOW} AS state_rank
    FROM automl_job_states s
    WHERE dt >= CAST(current_date - INTERVAL '{FAILURE_WINDOW_DAYS}' DAY AS varchar)
)
WHERE state_rank = 1 AND status = 'Failed'
ORDER BY last_modified_time DESC, job_name""",
    duckdb_sql=f"""SELECT job_name, failure_reason, partial_failure_reasons, problem_type, describe_api,
       creation_time, last_modified_time, duration_seconds, raw_s3_key
FROM automl_job_states
WHERE dt >= CAST(CAST(archive_now() AS DATE) - {FAILURE_WINDOW_DAYS} AS VARCHAR)
QUALIFY {LATEST_STATE_WINDOW} = 1 AND status = 'Failed'
ORDER BY last_modified_time DESC, job_name""",
)

LATEST_STATE_PER_JOB = NamedQuery(
    name="latest_state_per_job",
    title="AutoML latest state per job",
    description=(
        "One row per job: its latest archived state (terminal first, then the newest LastModifiedTime), "
        "de-duplicating the per-state snapshots. Scans every partition; add a dt filter to narrow it."
    ),
    athena_sql=f"""SELECT job_name, status, secondary_status, problem_type, mode, creation_time, last_modified_time,
       duration_seconds, best_objective_metric_name, best_objective_metric_value, candidate_count,
       failure_reason, state_id
FROM (
    SELECT s.*, {LATEST_STATE_WINDOW} AS state_rank
    FROM automl_job_states s
)
WHERE state_rank = 1
ORDER BY job_name""",
    duckdb_sql=f"""SELECT job_name, status, secondary_status, problem_type, mode, creation_time, last_modified_time,
       duration_seconds, best_objective_metric_name, best_objective_metric_value, candidate_count,
       failure_reason, state_id
FROM automl_job_states
QUALIFY {LATEST_STATE_WINDOW} = 1
ORDER BY job_name""",
)

_BEST_METRIC_BODY = """SELECT CAST(date_trunc('week', end_time) AS date) AS week,
       problem_type,
       best_objective_metric_name AS objective_metric,
       best_objective_metric_type AS metric_type,
       CASE WHEN best_objective_metric_type = 'Minimize' THEN min(best_objective_metric_value)
            ELSE max(best_objective_metric_value) END AS best_value,
       CASE WHEN best_objective_metric_type = 'Minimize' THEN min_by(job_name, best_objective_metric_value)
            ELSE max_by(job_name, best_objective_metric_value) END AS best_job,
       count(DISTINCT job_name) AS completed_jobs
FROM automl_job_states
WHERE status = 'Completed' AND best_objective_metric_value IS NOT NULL
GROUP BY 1, 2, 3, 4
ORDER BY week, problem_type, objective_metric"""

BEST_METRIC_BY_WEEK = NamedQuery(
    name="best_metric_per_problem_type_by_week",
    title="AutoML best objective metric per problem type by week",
    description=(
        "For completed jobs, by ISO week of end_time, problem type and objective metric: the best final "
        "objective value (max for Maximize, min for Minimize), the job that reached it and how many jobs completed."
    ),
    athena_sql=_BEST_METRIC_BODY,
    duckdb_sql=_BEST_METRIC_BODY,  # identical: date_trunc, min_by/max_by and CASE mean the same in both
)

DURATION_AND_CANDIDATES_PER_MODE = NamedQuery(
    name="duration_and_candidates_per_mode",
    title="AutoML duration and candidate counts per mode",
    description=(
        "Finished jobs (latest state terminal) per training mode (n/a for non-tabular V2 jobs): how many, how "
        "they ended, their duration (average, median, maximum) and candidate counts."
    ),
    athena_sql=f"""SELECT coalesce(mode, 'n/a') AS mode,
       count(*) AS jobs,
       count_if(status = 'Completed') AS completed,
       count_if(status = 'Failed') AS failed,
       count_if(status = 'Stopped') AS stopped,
       round(avg(duration_seconds), 1) AS avg_duration_seconds,
       round(approx_percentile(duration_seconds, 0.5), 1) AS median_duration_seconds,
       max(duration_seconds) AS max_duration_seconds,
       sum(candidate_count) AS candidates,
       round(avg(candidate_count), 1) AS avg_candidates
FROM (
    SELECT s.*, {LATEST_STATE_WINDOW} AS state_rank
    FROM automl_job_states s
)
WHERE state_rank = 1 AND is_terminal
GROUP BY 1
ORDER BY 1""",
    duckdb_sql=f"""SELECT coalesce(mode, 'n/a') AS mode,
       count(*) AS jobs,
       count_if(status = 'Completed') AS completed,
       count_if(status = 'Failed') AS failed,
       count_if(status = 'Stopped') AS stopped,
       round(avg(duration_seconds), 1) AS avg_duration_seconds,
       round(median(duration_seconds), 1) AS median_duration_seconds,
       max(duration_seconds) AS max_duration_seconds,
       sum(candidate_count) AS candidates,
       round(avg(candidate_count), 1) AS avg_candidates
FROM (
    SELECT * FROM automl_job_states
    QUALIFY {LATEST_STATE_WINDOW} = 1
)
WHERE is_terminal
GROUP BY 1
ORDER BY 1""",
)

LONG_RUNNING_JOBS = NamedQuery(
    name="long_running_jobs",
    title="AutoML jobs running longer than 24 hours",
    description=(
        f"Jobs whose latest archived state is not terminal and that were created more than {LONG_RUNNING_HOURS} "
        "hours ago: stuck jobs, or jobs whose final state the archive missed."
    ),
    athena_sql=f"""SELECT job_name, status, secondary_status, problem_type, creation_time, last_modified_time,
       round(date_diff('second', creation_time, CAST(current_timestamp AS timestamp)) / 3600.0, 1) AS running_hours
FROM (
    SELECT s.*, {LATEST_STATE_WINDOW} AS state_rank
    FROM automl_job_states s
)
WHERE state_rank = 1 AND NOT is_terminal
  AND creation_time < CAST(current_timestamp AS timestamp) - INTERVAL '{LONG_RUNNING_HOURS}' HOUR
ORDER BY creation_time""",
    duckdb_sql=f"""SELECT job_name, status, secondary_status, problem_type, creation_time, last_modified_time,
       round(date_diff('second', creation_time, archive_now()) / 3600.0, 1) AS running_hours
FROM automl_job_states
QUALIFY {LATEST_STATE_WINDOW} = 1 AND NOT is_terminal
    AND creation_time < archive_now() - INTERVAL {LONG_RUNNING_HOURS} HOUR
ORDER BY creation_time""",
)

NAMED_QUERIES: tuple[NamedQuery, ...] = (
    FAILURES_LAST_7_DAYS,
    LATEST_STATE_PER_JOB,
    BEST_METRIC_BY_WEEK,
    DURATION_AND_CANDIDATES_PER_MODE,
    LONG_RUNNING_JOBS,
)
QUERIES_BY_NAME = {query.name: query for query in NAMED_QUERIES}
