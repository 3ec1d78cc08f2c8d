"""Names, defaults and the settings read from CDK context.

Everything the stack needs to know that is not a resource lives here: fixed names and limits as
module constants, and the deploy-time choices as :class:`ArchiveSettings`, parsed and validated from
the CDK context (``cdk.json`` or ``cdk synth -c key=value``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automl_archive.contracts.job_status import ALERT_CATEGORIES, DEFAULT_ALERT_CATEGORIES
from automl_archive.contracts.settings import (
    CHILD_LINK_TTL_DAYS,
    SWEEP_INITIAL_LOOKBACK_DAYS,
    SWEEP_OVERLAP_SECONDS,
    IntSetting,
)

# --- Paths ---------------------------------------------------------------------------------------
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = PROJECT_ROOT / "cdk.json"
LAMBDAS_DIR = PROJECT_ROOT / "lambdas"
LAMBDA_REQUIREMENTS = LAMBDAS_DIR / "requirements.txt"

# --- Names ---------------------------------------------------------------------------------------
PROJECT_NAME = "automl-job-archive"
TAG_KEY = "project"
DEFAULT_STACK_NAME = "AutoMLJobArchive"
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


def glue_database_name(stack_name: str) -> str:
    """The stack's Glue database: the stack name in lower case, '-' as '_' (Glue/Athena-safe)."""
    return re.sub(r"[^a-z0-9_]", "_", stack_name.lower())


def athena_workgroup_name(stack_name: str) -> str:
    """The stack's Athena workgroup: the stack name (unique per account and region, as stacks are)."""
    return stack_name


# --- Dependency layer ----------------------------------------------------------------------------
# python3.13 runs on Amazon Linux 2023 (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html),
# whose C library is glibc 2.34 (https://docs.aws.amazon.com/linux/al2023/ug/core-glibc.html): any
# manylinux wheel for glibc 2.17 to 2.34 runs there. Newest first, as pip prefers on the machine itself.
LAYER_PYTHON_VERSION = "3.13"
LAYER_PLATFORMS = (
    *(f"manylinux_2_{minor}_aarch64" for minor in range(34, 16, -1)),
    "manylinux2014_aarch64",  # the legacy alias of manylinux_2_17: some wheels carry only this tag
)
LAYER_DOCKER_PLATFORM = "linux/arm64"  # the functions' architecture (ARM_64)
LAYER_BUILD_IMAGE = "public.ecr.aws/sam/build-python3.13"
# Distributions the Lambda runtime already provides (the AWS SDK and its dependencies): left out of
# the lock, so the layer never shadows the runtime's boto3.
LAYER_EXCLUDED_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six")
# The whole dependency closure for LAYER_PLATFORMS with sha256 hashes, written by `make lock`.
LAYER_LOCK = LAMBDAS_DIR / "layer.lock"
LAYER_CACHE_DIR = Path.home() / ".cache" / "automl-archive"

# --- Queues, events, storage ---------------------------------------------------------------------
QUEUE_RETENTION_DAYS = 14
EVENT_MAX_AGE_HOURS = 24
EVENT_RETRY_ATTEMPTS = 185
ARCHIVE_NONCURRENT_VERSION_EXPIRATION_DAYS = 90
ATHENA_RESULTS_EXPIRATION_DAYS = 30

# --- Limits used by validation -------------------------------------------------------------------
ESM_MIN_MAX_CONCURRENCY = 2  # SQS event source MaximumConcurrency range is 2..1000
ESM_MAX_MAX_CONCURRENCY = 1000
SQS_ESM_MAX_BATCH_SIZE = 10_000
SQS_MAX_RECEIVE_COUNT = 1000
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
MAX_SWEEP_RESERVED_CONCURRENCY = 10  # one sweep at a time needs 1; more only spends the account's quota

# Context keys renamed when the "exporter" became the "archiver" (one verb for one thing): a cdk.json
# that still sets one fails synth with the new name instead of silently deploying the default.
RENAMED_CONTEXT_KEYS = {
    "exporter_max_concurrency": "archiver_max_concurrency",
    "exporter_batch_size": "archiver_batch_size",
}

_EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_STACK_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")


class SettingsError(ValueError):
    """A CDK context value is missing its expected type or is out of range."""


def _fail(key: str, value: Any, expected: str) -> SettingsError:
    return SettingsError(f"CDK context '{key}' = {value!r} is invalid: expected {expected}.")


def _as_int(key: str, value: Any, low: int, high: int) -> int:
    expected = f"an integer between {low} and {high}"
    if isinstance(value, bool):
        raise _fail(key, value, expected)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        number = int(value)  # `cdk synth -c key=60` passes strings
    elif isinstance(value, int):
        number = value
    else:
        raise _fail(key, value, expected)
    if not low <= number <= high:
        raise _fail(key, value, expected)
    return number


def _as_setting(key: str, value: Any, setting: IntSetting) -> int:
    """A context value that becomes a function setting: the function's own bounds apply."""
    return _as_int(key, value, setting.minimum, setting.maximum)


def _as_str_list(key: str, value: Any) -> list[str]:
    """A list of strings; a comma-separated string is accepted too (``-c key=a,b``)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            raise _fail(key, value, "a list of strings (JSON lists from -c are not parsed: use a,b)")
        return [item.strip() for item in stripped.split(",") if item.strip()]
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value]
    raise _fail(key, value, "a list of strings or a comma-separated string")


def _as_emails(key: str, value: Any) -> list[str]:
    """Distinct e-mail addresses (a list, or a comma-separated string from ``-c``)."""
    emails = _as_str_list(key, value)
    for email in emails:
        if not _EMAIL_RE.match(email):
            raise _fail(key, email, "e-mail addresses like ops@example.com")
    if len(set(emails)) != len(emails):
        raise _fail(key, emails, "each address at most once")
    return emails


@dataclass(frozen=True)
class ArchiveSettings:
    """Deploy-time settings, validated. Build with :meth:`from_context`."""

    stack_name: str = DEFAULT_STACK_NAME
    alert_emails: tuple[str, ...] = ()
    alert_on_statuses: tuple[str, ...] = DEFAULT_ALERT_CATEGORIES
    archiver_max_concurrency: int = 5
    archiver_batch_size: int = 10
    work_queue_max_receive_count: int = 5
    log_retention_days: int = 90
    child_link_ttl_days: int = CHILD_LINK_TTL_DAYS.default
    sweep_interval_minutes: int = 1
    sweep_overlap_seconds: int = SWEEP_OVERLAP_SECONDS.default
    sweep_initial_lookback_days: int = SWEEP_INITIAL_LOOKBACK_DAYS.default
    athena_bytes_scanned_cutoff: int = DEFAULT_ATHENA_BYTES_SCANNED_CUTOFF
    ops_emails: tuple[str, ...] = ()
    queue_age_alarm_seconds: int = DEFAULT_QUEUE_AGE_ALARM_SECONDS
    # 0: no reservation (the default). A reservation fails the deploy in accounts whose concurrency quota
    # is low ("decreases account's UnreservedConcurrentExecution below its minimum value"); overlapping
    # sweeps are safe without one, so it is an opt-in.
    sweep_reserved_concurrency: int = 0

    @classmethod
    def from_context(cls, context: Mapping[str, Any] | Callable[[str], Any]) -> ArchiveSettings:
        """Parse settings from a context mapping or a ``node.try_get_context`` function.

        A key that is absent (or ``None``) takes its default. Raises :class:`SettingsError` with the
        key, the bad value and what was expected.
        """
        get: Callable[[str], Any] = context.get if isinstance(context, Mapping) else context
        defaults = cls()
        for old, new in RENAMED_CONTEXT_KEYS.items():
            if get(old) is not None:
                raise SettingsError(f"CDK context '{old}' was renamed to '{new}': rename it in cdk.json or -c.")

        def value(key: str) -> Any:
            found = get(key)
            return getattr(defaults, key) if found is None else found

        stack_name = value("stack_name")
        if not isinstance(stack_name, str) or not _STACK_NAME_RE.match(stack_name):
            raise _fail("stack_name", stack_name, "a CloudFormation stack name ([A-Za-z][A-Za-z0-9-]*)")

        emails = _as_emails("alert_emails", value("alert_emails"))
        ops_emails = _as_emails("ops_emails", value("ops_emails"))

        statuses = _as_str_list("alert_on_statuses", value("alert_on_statuses"))
        allowed = ", ".join(ALERT_CATEGORIES)
        if not statuses or any(status not in ALERT_CATEGORIES for status in statuses):
            raise _fail("alert_on_statuses", statuses, f"a non-empty subset of {allowed}")
        statuses = list(dict.fromkeys(statuses))

        queue_age_alarm = _as_int(
            "queue_age_alarm_seconds",
            value("queue_age_alarm_seconds"),
            MIN_QUEUE_AGE_ALARM_SECONDS,
            MAX_QUEUE_AGE_ALARM_SECONDS,
        )

        retention = _as_int("log_retention_days", value("log_retention_days"), 1, 3653)
        if retention not in CLOUDWATCH_RETENTION_DAYS:
            raise _fail(
                "log_retention_days",
                retention,
                "a CloudWatch Logs retention: " + ", ".join(map(str, CLOUDWATCH_RETENTION_DAYS)),
            )

        return cls(
            stack_name=stack_name,
            alert_emails=tuple(emails),
            alert_on_statuses=tuple(statuses),
            archiver_max_concurrency=_as_int(
                "archiver_max_concurrency",
                value("archiver_max_concurrency"),
                ESM_MIN_MAX_CONCURRENCY,
                ESM_MAX_MAX_CONCURRENCY,
            ),
            archiver_batch_size=_as_int("archiver_batch_size", value("archiver_batch_size"), 1, SQS_ESM_MAX_BATCH_SIZE),
            work_queue_max_receive_count=_as_int(
                "work_queue_max_receive_count", value("work_queue_max_receive_count"), 1, SQS_MAX_RECEIVE_COUNT
            ),
            log_retention_days=retention,
            child_link_ttl_days=_as_setting("child_link_ttl_days", value("child_link_ttl_days"), CHILD_LINK_TTL_DAYS),
            sweep_interval_minutes=_as_int("sweep_interval_minutes", value("sweep_interval_minutes"), 1, 1440),
            sweep_overlap_seconds=_as_setting(
                "sweep_overlap_seconds", value("sweep_overlap_seconds"), SWEEP_OVERLAP_SECONDS
            ),
            sweep_initial_lookback_days=_as_setting(
                "sweep_initial_lookback_days", value("sweep_initial_lookback_days"), SWEEP_INITIAL_LOOKBACK_DAYS
            ),
            athena_bytes_scanned_cutoff=_as_int(
                "athena_bytes_scanned_cutoff",
                value("athena_bytes_scanned_cutoff"),
                ATHENA_MIN_BYTES_SCANNED_CUTOFF,
                ATHENA_MAX_BYTES_SCANNED_CUTOFF,
            ),
            ops_emails=tuple(ops_emails),
            sweep_reserved_concurrency=_as_int(
                "sweep_reserved_concurrency", value("sweep_reserved_concurrency"), 0, MAX_SWEEP_RESERVED_CONCURRENCY
            ),
            queue_age_alarm_seconds=queue_age_alarm,
        )
