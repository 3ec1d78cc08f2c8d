"""The stack's fixed names, paths, sizes, durations and alarm thresholds.

The deploy-time choices parsed from CDK context are in `infra/settings.py`; the platform the
dependency layer is built for in `infra/layer_platform.py`; the facts the stack shares with the
functions in `automl_archive.contracts`.
"""

from __future__ import annotations

from pathlib import Path

# --- Paths ---------------------------------------------------------------------------------------
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = PROJECT_ROOT / "cdk.json"
LAMBDAS_DIR = PROJECT_ROOT / "lambdas"
LAMBDA_REQUIREMENTS = LAMBDAS_DIR / "requirements.txt"

# --- Names ---------------------------------------------------------------------------------------
PROJECT_NAME = "automl-job-archive"
TAG_KEY = "project"
LOG_LEVEL = "INFO"

# --- Archiver function ---------------------------------------------------------------------------
ARCHIVER_HANDLER = "automl_archive.handlers.archiver.lambda_handler"
ARCHIVER_TIMEOUT_SECONDS = 60
ARCHIVER_MEMORY_MB = 512
ARCHIVER_MAX_BATCHING_WINDOW_SECONDS = 5
# Visibility timeout of the work queue, as a multiple of the function timeout (AWS guidance: 6x).
WORK_QUEUE_VISIBILITY_FACTOR = 6
# How long the archiver may hold an alert claim before another invocation may take it over.
ALERT_CLAIM_LEASE_FACTOR = 2

# --- Reconcile sweep function --------------------------------------------------------------------
SWEEP_HANDLER = "automl_archive.handlers.sweep.lambda_handler"
SWEEP_TIMEOUT_SECONDS = 300
SWEEP_MEMORY_MB = 256
SWEEP_TARGET_RETRY_ATTEMPTS = 2
SWEEP_TARGET_MAX_EVENT_AGE_MINUTES = 60

# --- Data-lake compaction function (logic/compaction.py) -------------------------------------------
COMPACTOR_HANDLER = "automl_archive.handlers.compactor.lambda_handler"
# Lambda's maximum: the function waits for Athena's MERGE, OPTIMIZE and VACUUM statements, which run for
# seconds on a day's changes and for minutes on a first run over years of days.
COMPACTOR_TIMEOUT_SECONDS = 900
COMPACTOR_MEMORY_MB = 256  # it lists keys and waits; Athena does the work
# Hourly: the named queries read the compacted tables plus the JSON of today and yesterday, so a state
# is visible at once and a backfilled (older) day within the hour.
COMPACTION_INTERVAL_MINUTES = 60
# The CompactionLag alarm: no compaction run reported in 3 hourly periods, or each reported a watermark
# more than 3 hours old. The saved queries read two days of JSON beside the compacted tables, so a lag
# this short is noticed long before a state could be missing from their answers.
COMPACTION_LAG_ALARM_SECONDS = 3 * 3600
COMPACTION_LAG_ALARM_PERIODS = 3
COMPACTION_TARGET_RETRY_ATTEMPTS = 1
COMPACTION_TARGET_MAX_EVENT_AGE_MINUTES = 30

# --- Monitoring (operations topic, alarms, dashboard) ---------------------------------------------
# Nothing waits in the work queue by design (no delayed messages); a message older than this has
# failed at least twice (each retry waits one visibility timeout, 6 x 60 s) or the archiver is behind.
DEFAULT_QUEUE_AGE_ALARM_SECONDS = 900
MIN_QUEUE_AGE_ALARM_SECONDS = 60
MAX_QUEUE_AGE_ALARM_SECONDS = 14 * 24 * 3600  # the work queue keeps a message 14 days at most
# Alarm periods: short for the always-busy paths, the sweep interval for the scheduled sweep.
ALARM_PERIOD_SECONDS = 300
QUEUE_AGE_ALARM_EVALUATION_PERIODS = 2
# Sweep lag alarms above this many sweep intervals between completed passes.
SWEEP_LAG_ALARM_INTERVALS = 3
# "No sweep ran" alarms after this many consecutive sweep intervals without an invocation.
SWEEP_MISSING_ALARM_INTERVALS = 2
# The freshness alarm: p95 of ArchiveLagSeconds above 5 minutes in 3 consecutive 5-minute periods.
ARCHIVE_LAG_ALARM_SECONDS = 300
ARCHIVE_LAG_ALARM_EVALUATION_PERIODS = 3
# Hours in a row with a finished job archived without its leaderboard that raise the alarm: a single
# miss is noise (a burst of throttling); a denied or broken ListCandidatesForAutoMLJob keeps missing.
LEADERBOARDS_UNAVAILABLE_ALARM_HOURS = 3


def dashboard_name(stack_name: str) -> str:
    """The stack's CloudWatch dashboard (unique per account and region, as stacks are)."""
    return f"{stack_name}-operations"


# --- Data lake (Glue catalog, Athena workgroup) -------------------------------------------------------
ATHENA_MIN_BYTES_SCANNED_CUTOFF = 10_000_000  # Athena's minimum per-query data usage control (10 MB)
ATHENA_MAX_BYTES_SCANNED_CUTOFF = 10**15
DEFAULT_ATHENA_BYTES_SCANNED_CUTOFF = 10 * 1024**3  # 10 GiB

# --- Queues, events, storage ---------------------------------------------------------------------
QUEUE_RETENTION_DAYS = 14
EVENT_MAX_AGE_HOURS = 24
EVENT_RETRY_ATTEMPTS = 185
ARCHIVE_NONCURRENT_VERSION_EXPIRATION_DAYS = 90
ATHENA_RESULTS_EXPIRATION_DAYS = 30

# StateChangeEventsDue: events still due at every pass of this many consecutive 5-minute periods. One
# failed put is retried within the minute; three periods mean the bus keeps refusing (an outage, a bus or a
# permission removed by hand).
STATE_CHANGE_EVENTS_DUE_ALARM_PERIODS = 3
# A spoke the sweep could not read in every pass of this many 5-minute periods alarms (one throttled pass
# does not); and any message from an unregistered account or Region in an hour does (a spoke deployed
# but not registered, or a bus policy wider than the registry).
SPOKE_FAILURE_ALARM_PERIODS = 3
