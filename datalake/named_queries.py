# ruff: noqa: S608 -- the SQL here is fixed text built from constants, never from input
"""The named queries over the data lake's tables: each one's Athena (Trino) text and DuckDB text.

The CDK construct saves the Athena text as Athena named queries; ``automl-archive query`` runs it
through the stack's workgroup, or runs the DuckDB text over a local copy of the archive. Both texts are
built from one template per query; they differ only where the dialects do (the clock: ``current_date``
and ``current_timestamp`` vs the local engine's ``archive_now()``; ``approx_percentile`` vs
``median``). The end-to-end tests prove the DuckDB text against the demo's archive.

Every query bounds ``dt`` (the UTC date of a state's ``last_modified_time``), so Athena's partition
projection reads only the days a question needs instead of every day of the projection range
(docs/data-lake.md, "Cost").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from automl_archive.contracts import lake_tables
from automl_archive.contracts.job_status import COMPLETED, END_PHASE_STEP, PHASE_STEPS, REQUIRED_PHASE_STEPS
from automl_archive.contracts.lake_tables import CHILD_JOBS_COMPACTED, JOBS_LATEST, CompactedTableSpec
from datalake.prices import PRICE_CURRENCY, prices_values_sql

# A job is its account, Region and name: names are unique only within one account and Region (two
# spokes may both run "churn"), and SageMaker compares names without regard to case.
JOB_IDENTITY = ", ".join(key.format(t="") for key in lake_tables.JOB_IDENTITY)
# Latest state first: the archiver's own ordering, the one the compaction's MERGE keeps.
LATEST_STATE_ORDER = lake_tables.order_by(lake_tables.LATEST_STATE_ORDER)
LATEST_STATE_WINDOW = f"row_number() OVER (PARTITION BY {JOB_IDENTITY} ORDER BY {LATEST_STATE_ORDER})"
# The compacted tables are merged every hour (logic/compaction.py); the queries read them together with
# the JSON of today and yesterday (UTC), so a state archived since the last compaction is not missed.
UNCOMPACTED_DAYS = 1

FAILURE_WINDOW_DAYS = 7  # a rolling window: the last 7 x 24 hours, not 7 calendar dates
RECENT_JOBS_DAYS = 90  # latest state per job, durations per mode: jobs whose latest state is this recent
LEADERBOARD_WEEKS = 12  # the best-metric query: this week and the 11 before it, whole weeks only
# A job without its own MaxAutoMLJobRuntimeInSeconds is "long running" after this long.
LONG_RUNNING_HOURS = 24
# SageMaker stops a job that exceeds its MaxAutoMLJobRuntimeInSeconds and ends it gracefully
# (API_AutoMLJobCompletionCriteria); stopping takes a while, so a job is listed this long after its limit.
LONG_RUNNING_GRACE_HOURS = 1
# A running job whose latest archived state is older than this is not looked for (the sweep re-checks
# running jobs, so a job still running keeps getting newer states only when it changes).
LONG_RUNNING_LOOKBACK_DAYS = 90


@dataclass(frozen=True)
class NamedQuery:
    name: str  # identifier: `automl-archive query NAME` and the suffix of the Athena named query's name
    title: str  # the Athena named query's name
    description: str
    athena_sql: str
    duckdb_sql: str


@dataclass(frozen=True)
class Dialect:
    """What the two engines spell differently. ``date_days_ago`` is a DATE expression."""

    now: str  # the current UTC time as a TIMESTAMP without zone, like the tables' timestamps
    date_days_ago: Callable[[int], str]
    median: Callable[[str], str]

    def dt_since(self, days: int) -> str:
        """The partition predicate that reads the last ``days`` UTC dates and today (``dt`` is text)."""
        return f"dt >= CAST({self.date_days_ago(days)} AS varchar)"


ATHENA = Dialect(
    now="CAST(current_timestamp AS timestamp)",
    date_days_ago=lambda days: f"current_date - INTERVAL '{days}' DAY",
    median=lambda expression: f"approx_percentile({expression}, 0.5)",
)
DUCKDB = Dialect(
    now="archive_now()",
    date_days_ago=lambda days: f"CAST(archive_now() AS DATE) - {days}",  # DATE - integer is a DATE
    median=lambda expression: f"median({expression})",
)


def _compacted_and_recent(dialect: Dialect, table: CompactedTableSpec, days: int) -> str:
    """A compacted table's rows of the last ``days`` dates and the JSON rows of the days a compaction may
    not have merged yet: the same row may be in both, so each query keeps the newest per key."""
    columns = ", ".join(column.name for column in table.columns)
    return f"""SELECT {columns} FROM {table.name} WHERE {dialect.dt_since(days)}
        UNION ALL
        SELECT {columns} FROM {table.source.name} WHERE {dialect.dt_since(min(days, UNCOMPACTED_DAYS))}"""


def _latest_states(dialect: Dialect, days: int) -> str:
    """Each job's latest state if it is from the last ``days`` dates (a subquery, as Athena has no
    QUALIFY; ``state_rank = 1`` selects it): a job whose latest state is older is not in it."""
    return f"""(
    SELECT s.*, {LATEST_STATE_WINDOW} AS state_rank
    FROM (
        {_compacted_and_recent(dialect, JOBS_LATEST, days)}
    ) s
)"""


def _named(name: str, title: str, description: str, template: Callable[[Dialect], str]) -> NamedQuery:
    return NamedQuery(name, title, description, athena_sql=template(ATHENA), duckdb_sql=template(DUCKDB))


def _failures(d: Dialect) -> str:
    return f"""SELECT account_id, region, job_name, status, alert_category, failure_reason, partial_failure_reasons,
       problem_type, describe_api, creation_time, last_modified_time, duration_seconds, raw_s3_key
FROM {_latest_states(d, FAILURE_WINDOW_DAYS)}
WHERE state_rank = 1 AND alert_category IS NOT NULL
  AND last_modified_time >= {d.now} - INTERVAL '{FAILURE_WINDOW_DAYS}' DAY
ORDER BY last_modified_time DESC, account_id, region, job_name"""


FAILURES_LAST_7_DAYS = _named(
    "failures_last_7_days",
    "AutoML failures in the last 7 days",
    f"Jobs whose latest state, reached in the last {FAILURE_WINDOW_DAYS} x 24 hours, is Failed, Stopped or "
    "Completed with partial failures (alert_category), with the reasons, newest first. "
    f"Reads the last {FAILURE_WINDOW_DAYS + 1} daily partitions.",
    _failures,
)


def _latest_state_per_job(d: Dialect) -> str:
    return f"""SELECT account_id, region, job_name, status, secondary_status, problem_type, mode, creation_time,
       last_modified_time, duration_seconds, best_objective_metric_name, best_objective_metric_value,
       candidate_count, failure_reason, state_id
FROM {_latest_states(d, RECENT_JOBS_DAYS)}
WHERE state_rank = 1
ORDER BY account_id, region, job_name"""


LATEST_STATE_PER_JOB = _named(
    "latest_state_per_job",
    "AutoML latest state per job",
    f"One row per job (account, Region, name) whose latest state is from the last {RECENT_JOBS_DAYS} days: "
    "that state (terminal first, then the newest LastModifiedTime), de-duplicating the per-state snapshots. "
    f"Reads the last {RECENT_JOBS_DAYS + 1} daily partitions.",
    _latest_state_per_job,
)


def _best_metric(d: Dialect) -> str:
    # Every completed job counts; the best value and job come from those with a metric. The objective
    # falls back to the requested or resolved one for a job without a best candidate. Of jobs that tie on
    # the best value the first by name is named (max_by would pick either, by row order).
    value = "best_objective_metric_value"
    first_week = f"date_trunc('week', {d.now}) - INTERVAL '{(LEADERBOARD_WEEKS - 1) * 7}' DAY"
    group = "PARTITION BY week, problem_type, objective_metric"
    return f"""SELECT week, problem_type, objective_metric,
       max(metric_type) AS metric_type,
       max(group_best) AS best_value,
       min(job_name) FILTER (WHERE {value} = group_best) AS best_job,
       count(*) AS completed_jobs,
       count({value}) AS jobs_with_metric
FROM (
    SELECT *, CASE WHEN max(metric_type) OVER ({group}) = 'Minimize' THEN min({value}) OVER ({group})
                   ELSE max({value}) OVER ({group}) END AS group_best
    FROM (
        SELECT CAST(date_trunc('week', end_time) AS date) AS week, problem_type,
               coalesce(best_objective_metric_name, objective_metric) AS objective_metric,
               best_objective_metric_type AS metric_type, job_name, {value}
        FROM {_latest_states(d, LEADERBOARD_WEEKS * 7)}
        WHERE state_rank = 1 AND status = 'Completed' AND end_time >= {first_week}
    ) completed
) ranked
GROUP BY 1, 2, 3
ORDER BY week, problem_type, objective_metric"""


BEST_METRIC_BY_WEEK = _named(
    "best_metric_per_problem_type_by_week",
    "AutoML best objective metric per problem type by week",
    f"Completed jobs of the last {LEADERBOARD_WEEKS} weeks (whole ISO weeks of end_time), by week, problem type "
    "and objective metric: how many completed, how many reported a final objective value, the best value "
    "(max for Maximize, min for Minimize) and the job that reached it.",
    _best_metric,
)


def _duration_per_mode(d: Dialect) -> str:
    return f"""SELECT coalesce(mode, 'n/a') AS mode,
       count(*) AS jobs,
       count_if(status = 'Completed') AS completed,
       count_if(status = 'Failed') AS failed,
       count_if(status = 'Stopped') AS stopped,
       round(avg(duration_seconds), 1) AS avg_duration_seconds,
       round({d.median("duration_seconds")}, 1) AS median_duration_seconds,
       max(duration_seconds) AS max_duration_seconds,
       sum(candidate_count) AS candidates,
       round(avg(candidate_count), 1) AS avg_candidates
FROM {_latest_states(d, RECENT_JOBS_DAYS)}
WHERE state_rank = 1 AND is_terminal
GROUP BY 1
ORDER BY 1"""


DURATION_AND_CANDIDATES_PER_MODE = _named(
    "duration_and_candidates_per_mode",
    "AutoML duration and candidate counts per mode",
    f"Jobs that finished in the last {RECENT_JOBS_DAYS} days (latest state terminal) per training mode (n/a for "
    "non-tabular V2 jobs): how many, how they ended, their duration (average, median, maximum) and candidate "
    "counts.",
    _duration_per_mode,
)


def _long_running(d: Dialect) -> str:
    limit = f"coalesce(max_job_runtime_seconds, {LONG_RUNNING_HOURS * 3600})"
    running = f"date_diff('second', creation_time, {d.now})"
    return f"""SELECT account_id, region, job_name, status, secondary_status, problem_type, creation_time,
       last_modified_time, round({running} / 3600.0, 1) AS running_hours,
       round({limit} / 3600.0, 1) AS limit_hours
FROM {_latest_states(d, LONG_RUNNING_LOOKBACK_DAYS)}
WHERE state_rank = 1 AND NOT is_terminal
  AND {running} > {limit} + {LONG_RUNNING_GRACE_HOURS * 3600}
ORDER BY creation_time"""


LONG_RUNNING_JOBS = _named(
    "long_running_jobs",
    "AutoML jobs running past their limit",
    "Jobs whose latest archived state is not terminal and that have run longer than their own "
    f"MaxAutoMLJobRuntimeInSeconds (or {LONG_RUNNING_HOURS} hours when they set none) plus "
    f"{LONG_RUNNING_GRACE_HOURS} hour for SageMaker to stop them: stuck jobs, or jobs whose final state the "
    f"archive missed. Reads the last {LONG_RUNNING_LOOKBACK_DAYS + 1} daily partitions.",
    _long_running,
)

PHASE_LOOKBACK_DAYS = 30  # the phase query: jobs with states in the last 30 dates


def _phase_transitions(d: Dialect) -> str:
    # A job's states in order; a phase starts at a state whose phase differs from the state before it.
    step = (
        f"CASE WHEN is_terminal THEN {END_PHASE_STEP} "
        + " ".join(f"WHEN secondary_status = '{name}' THEN {number}" for name, number in PHASE_STEPS.items())
        + " END"
    )
    # Required steps strictly between this phase's step and the next phase's (a completed job's end only:
    # a failed or stopped job may end from any phase).
    missed = " + ".join(
        f"CASE WHEN step < {required} AND next_step > {required} THEN 1 ELSE 0 END" for required in REQUIRED_PHASE_STEPS
    )
    # Athena (Trino) has no named WINDOW clause: the job's order is spelled out in each window.
    job_order = f"PARTITION BY {JOB_IDENTITY} ORDER BY last_modified_time, is_terminal, archived_at"
    return f"""SELECT account_id, region, job_name, phase, secondary_status, entered_at, observed_at,
       date_diff('second', entered_at, observed_at) AS observation_lag_seconds,
       left_at, date_diff('second', entered_at, left_at) AS duration_seconds, next_phase,
       CASE WHEN problem_type_config = 'Tabular' AND step IS NOT NULL AND next_step IS NOT NULL
                 AND (next_step < {END_PHASE_STEP} OR next_phase = '{COMPLETED}')
            THEN {missed} END AS missed_required_phases
FROM (
    SELECT *, lead(phase) OVER ({job_order}) AS next_phase, lead(entered_at) OVER ({job_order}) AS left_at,
           lead(step) OVER ({job_order}) AS next_step
    FROM (
        SELECT account_id, region, job_name, problem_type_config, secondary_status,
               CASE WHEN is_terminal THEN status ELSE secondary_status END AS phase,
               {step} AS step,
               last_modified_time AS entered_at, archived_at AS observed_at,
               lag(CASE WHEN is_terminal THEN status ELSE secondary_status END) OVER ({job_order}) AS previous_phase,
               last_modified_time, is_terminal, archived_at
        FROM automl_job_states
        WHERE {d.dt_since(PHASE_LOOKBACK_DAYS)}
    ) states
    WHERE previous_phase IS NULL OR previous_phase <> phase
) phases
ORDER BY account_id, region, job_name, entered_at"""


PHASE_TRANSITIONS = _named(
    "phase_transitions",
    "AutoML phase transitions",
    "Each phase of each job with states in the last "
    f"{PHASE_LOOKBACK_DAYS} days, from its archived states: the secondary status (or the final status), when "
    "SageMaker entered it (LastModifiedTime), when the archive observed it and how late, when the next phase "
    "began and how long this one lasted. missed_required_phases counts the required steps of a tabular job "
    "(starting, analysing data, training) the archive never observed between this phase and the next: "
    "when it is above 0, this phase's duration includes them.",
    _phase_transitions,
)

COST_LOOKBACK_DAYS = 90  # the cost queries: child jobs that ended in the last 90 dates


def _child_job_cost(d: Dialect) -> str:
    """Each finished child job with its instance hours and on-demand cost (NULL when its type is unpriced)."""
    newest = lake_tables.order_by(CHILD_JOBS_COMPACTED.newest_first)
    key = ", ".join(CHILD_JOBS_COMPACTED.key_of())
    return f"""(
    SELECT c.*, CAST(c.instance_seconds AS double) / 3600 AS instance_hours,
           CAST(c.instance_seconds AS double) / 3600 * prices.usd_per_hour AS on_demand_cost,
           prices.usd_per_hour IS NULL AND c.instance_seconds IS NOT NULL AS unpriced
    FROM (
        SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {newest}) AS copy_rank
        FROM (
            {_compacted_and_recent(d, CHILD_JOBS_COMPACTED, COST_LOOKBACK_DAYS)}
        ) u
    ) c
    LEFT JOIN {prices_values_sql()}
      ON prices.instance_type = c.instance_type
    WHERE c.copy_rank = 1
)"""


def _cost_per_job(d: Dialect) -> str:
    return f"""SELECT costs.account_id, costs.region, costs.job_name,
       max(jobs.problem_type) AS problem_type, max(jobs.status) AS status,
       CAST(date_trunc('week', max(costs.end_time)) AS date) AS week,
       count(*) AS child_jobs,
       count_if(costs.kind = 'training') AS training_jobs,
       round(sum(costs.instance_hours), 3) AS instance_hours,
       round(sum(costs.on_demand_cost), 2) AS on_demand_{PRICE_CURRENCY.lower()},
       count_if(costs.unpriced) AS unpriced_child_jobs,
       count_if(costs.instance_seconds IS NULL) AS child_jobs_without_time
FROM {_child_job_cost(d)} costs
LEFT JOIN {_latest_states(d, COST_LOOKBACK_DAYS)} jobs
  ON jobs.state_rank = 1 AND jobs.account_id = costs.account_id AND jobs.region = costs.region
 AND lower(jobs.job_name) = lower(costs.job_name)
GROUP BY 1, 2, 3
ORDER BY week DESC, on_demand_{PRICE_CURRENCY.lower()} DESC, 1, 2, 3"""


COST_PER_JOB = _named(
    "cost_per_job",
    "AutoML instance hours and on-demand cost per job",
    f"Jobs whose training, processing or transform jobs ended in the last {COST_LOOKBACK_DAYS} days: their "
    "child jobs, instance hours (billable seconds times instance count) and on-demand cost at the prices in "
    "datalake/prices.py, with the job's problem type, latest status and the week its last child job ended. "
    "unpriced_child_jobs counts child jobs whose instance type has no price (not costed at zero).",
    _cost_per_job,
)


def _cost_per_problem_type(d: Dialect) -> str:
    return f"""SELECT CAST(date_trunc('week', costs.end_time) AS date) AS week,
       coalesce(jobs.problem_type, 'unknown') AS problem_type,
       count(DISTINCT costs.account_id || '/' || costs.region || '/' || lower(costs.job_name)) AS jobs,
       round(sum(costs.instance_hours), 3) AS instance_hours,
       round(sum(costs.on_demand_cost), 2) AS on_demand_{PRICE_CURRENCY.lower()},
       count_if(costs.unpriced) AS unpriced_child_jobs
FROM {_child_job_cost(d)} costs
LEFT JOIN {_latest_states(d, COST_LOOKBACK_DAYS)} jobs
  ON jobs.state_rank = 1 AND jobs.account_id = costs.account_id AND jobs.region = costs.region
 AND lower(jobs.job_name) = lower(costs.job_name)
GROUP BY 1, 2
ORDER BY 1 DESC, 2"""


COST_PER_PROBLEM_TYPE_BY_WEEK = _named(
    "cost_per_problem_type_by_week",
    "AutoML instance hours and on-demand cost per problem type by week",
    f"Child jobs that ended in the last {COST_LOOKBACK_DAYS} days, by the week they ended and their AutoML "
    "job's problem type: jobs, instance hours and on-demand cost (prices in datalake/prices.py).",
    _cost_per_problem_type,
)


def _winning_algorithms(d: Dialect) -> str:
    objective = "coalesce(best_objective_metric_name, objective_metric)"
    return f"""SELECT problem_type, {objective} AS objective_metric,
       coalesce(best_candidate_algorithm, 'unknown') AS algorithm,
       count(*) AS jobs_won,
       round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY problem_type, {objective}), 1) AS share_percent,
       round({d.median("best_objective_metric_value")}, 4) AS median_best_value
FROM {_latest_states(d, RECENT_JOBS_DAYS)}
WHERE state_rank = 1 AND status = 'Completed' AND best_candidate_name IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2, jobs_won DESC, 3"""


WINNING_ALGORITHMS = _named(
    "winning_algorithms",
    "AutoML winning algorithms by problem type and objective metric",
    f"Jobs completed in the last {RECENT_JOBS_DAYS} days, by problem type and objective metric: which algorithm "
    "the best candidate used (best_candidate_algorithm), how many jobs each won, its share and the median best "
    "objective value it reached.",
    _winning_algorithms,
)

NAMED_QUERIES: tuple[NamedQuery, ...] = (
    FAILURES_LAST_7_DAYS,
    LATEST_STATE_PER_JOB,
    BEST_METRIC_BY_WEEK,
    DURATION_AND_CANDIDATES_PER_MODE,
    LONG_RUNNING_JOBS,
    PHASE_TRANSITIONS,
    COST_PER_JOB,
    COST_PER_PROBLEM_TYPE_BY_WEEK,
    WINNING_ALGORITHMS,
)
QUERIES_BY_NAME = {query.name: query for query in NAMED_QUERIES}
