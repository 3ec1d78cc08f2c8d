# ruff: noqa: S608 -- the SQL here is fixed text built from constants, never from input
"""The named queries over the data lake's tables: each one's Athena (Trino) text and DuckDB text.

The CDK construct saves the Athena text as Athena named queries; ``automl-archive query`` runs it
through the stack's workgroup, or runs the DuckDB text over a local copy of the archive. The two texts
differ only where the dialects do (``QUALIFY``, ``approx_percentile`` vs ``median``, ``current_date``
vs the local engine's ``archive_now()`` clock); the end-to-end tests prove the DuckDB text against
the demo's archive.
"""

from __future__ import annotations

from dataclasses import dataclass

# Latest state first: the archiver's own ordering (terminal outranks running, then LastModifiedTime,
# then the further-along status). The same text in both dialects.
LATEST_STATE_ORDER = (
    "is_terminal DESC, last_modified_time DESC, "
    "CASE status WHEN 'InProgress' THEN 1 WHEN 'Stopping' THEN 2 ELSE 3 END DESC, archived_at DESC"
)
# A job is its account, Region and name (issue 14): the same name in two accounts is two jobs.
LATEST_STATE_WINDOW = (
    f"row_number() OVER (PARTITION BY account_id, region, lower(job_name) ORDER BY {LATEST_STATE_ORDER})"
)
LONG_RUNNING_HOURS = 24
FAILURE_WINDOW_DAYS = 7


@dataclass(frozen=True)
class NamedQuery:
    name: str  # identifier: `automl-archive query NAME` and the suffix of the Athena named query's name
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
    athena_sql=f"""SELECT job_name, account_id, region, failure_reason, partial_failure_reasons, problem_type,
       describe_api, creation_time, last_modified_time, duration_seconds, raw_s3_key
FROM (
    SELECT s.*, {LATEST_STATE_WINDOW} AS state_rank
    FROM automl_job_states s
    WHERE dt >= CAST(current_date - INTERVAL '{FAILURE_WINDOW_DAYS}' DAY AS varchar)
)
WHERE state_rank = 1 AND status = 'Failed'
ORDER BY last_modified_time DESC, job_name, account_id, region""",
    duckdb_sql=f"""SELECT job_name, account_id, region, failure_reason, partial_failure_reasons, problem_type,
       describe_api, creation_time, last_modified_time, duration_seconds, raw_s3_key
FROM automl_job_states
WHERE dt >= CAST(CAST(archive_now() AS DATE) - {FAILURE_WINDOW_DAYS} AS VARCHAR)
QUALIFY {LATEST_STATE_WINDOW} = 1 AND status = 'Failed'
ORDER BY last_modified_time DESC, job_name, account_id, region""",
)

LATEST_STATE_PER_JOB = NamedQuery(
    name="latest_state_per_job",
    title="AutoML latest state per job",
    description=(
        "One row per job: its latest archived state (terminal first, then the newest LastModifiedTime), "
        "de-duplicating the per-state snapshots. Scans every partition; add a dt filter to narrow it."
    ),
    athena_sql=f"""SELECT job_name, account_id, region, status, secondary_status, problem_type, mode, creation_time,
       last_modified_time, duration_seconds, best_objective_metric_name, best_objective_metric_value, candidate_count,
       failure_reason, state_id
FROM (
    SELECT s.*, {LATEST_STATE_WINDOW} AS state_rank
    FROM automl_job_states s
)
WHERE state_rank = 1
ORDER BY job_name, account_id, region""",
    duckdb_sql=f"""SELECT job_name, account_id, region, status, secondary_status, problem_type, mode, creation_time,
       last_modified_time, duration_seconds, best_objective_metric_name, best_objective_metric_value, candidate_count,
       failure_reason, state_id
FROM automl_job_states
QUALIFY {LATEST_STATE_WINDOW} = 1
ORDER BY job_name, account_id, region""",
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
    athena_sql=f"""SELECT job_name, account_id, region, status, secondary_status, problem_type, creation_time,
       last_modified_time,
       round(date_diff('second', creation_time, CAST(current_timestamp AS timestamp)) / 3600.0, 1) AS running_hours
FROM (
    SELECT s.*, {LATEST_STATE_WINDOW} AS state_rank
    FROM automl_job_states s
)
WHERE state_rank = 1 AND NOT is_terminal
  AND creation_time < CAST(current_timestamp AS timestamp) - INTERVAL '{LONG_RUNNING_HOURS}' HOUR
ORDER BY creation_time""",
    duckdb_sql=f"""SELECT job_name, account_id, region, status, secondary_status, problem_type, creation_time,
       last_modified_time,
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
