"""The DynamoDB jobs table: its keys, the items it holds, and its indexes of alerts and events still due.

One table holds three kinds of item, told apart by the partition key's prefix:
- a job's latest state (`JOB#<job key>` / `STATE`), with its alert claims and its events still due;
- a child job's link to its AutoML job (`CHILD#<kind>#<child key>` / `LINK`), expiring by TTL;
- a sweep watermark (`WATERMARK#<name>` / `WATERMARK`), one per source swept.

The job key is the job name in lower case (SageMaker job names are case-insensitive; ARNs carry them
lower-cased), qualified by account and Region for a spoke's job (contracts/job_identity.py); a child
job's key likewise. The data-access layer reads and writes these; the stack declares the keys and the
indexes; the operator command and the emulator read job states through the data-access layer.
"""

from __future__ import annotations

from automl_archive.contracts.job_identity import JobSource, job_key

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"

JOB_PREFIX = "JOB#"
STATE_SORT_KEY = "STATE"
CHILD_PREFIX = "CHILD#"
LINK_SORT_KEY = "LINK"
WATERMARK_PREFIX = "WATERMARK#"
WATERMARK_SORT_KEY = "WATERMARK"

# A terminal state whose alert is due carries `alert_due`; marking the alert sent removes it, so the
# sparse index holds exactly the alerts not yet sent, and the reconcile pass finishes them (an SNS outage
# that outlived the queue's retries, a describe that answered stale on the retry).
ALERTS_DUE_INDEX = "AlertsDue"
ALERT_DUE_ATTRIBUTE = "alert_due"
ALERT_DUE_VALUE = "DUE"  # one partition: a handful of items at most, read once a minute
ALERTS_DUE_PROJECTED = ("job_name",)

# A newly archived state's AutoML Job State Change event waits on the state item until the event bus
# accepts it: `pending_events` is a string set of encoded events (several when the bus is down while
# the job moves on), `event_due` the sparse index's key, removed once no event is pending. The reconcile
# pass reads the index every minute, so an event a failure left is published without an operator.
EVENTS_DUE_INDEX = "EventsDue"
EVENT_DUE_ATTRIBUTE = "event_due"
EVENT_DUE_VALUE = "DUE"
EVENTS_DUE_PROJECTED = ("job_name",)
PENDING_EVENTS_ATTRIBUTE = "pending_events"
# At most this many events wait per job: far more states than an AutoML job has (a few dozen), and far
# below DynamoDB's 400 KB item (an event is at most a few KB). Beyond it a state's event is dropped,
# counted (StateChangeEventsDropped) and logged as an error.
PENDING_EVENTS_LIMIT = 100

# The record fields a job's state item keeps: bounded scalars (a few KB at most) and pointers to the
# full answer and record in S3. The item also holds `ordering`, `record_s3_key`, the events seen at
# this state, the alert claims, `alert_due` and the state-change events still due.
SUMMARY_FIELDS = (
    "job_name",
    "job_arn",
    "account_id",
    "region",
    "describe_api",
    "status",
    "secondary_status",
    "is_terminal",
    "problem_type",
    "problem_type_config",
    "objective_metric",
    "mode",
    "creation_time",
    "end_time",
    "last_modified_time",
    "duration_seconds",
    "failure_reason",
    "partial_failure_reasons",
    "best_candidate_name",
    "best_objective_metric_name",
    "best_objective_metric_value",
    "deployed_endpoint",
    "candidate_count",
    "best_candidate_rank",
    "alert_category",
    "state_id",
    "raw_s3_key",
    "archived_at",
    "schema_version",
)


def job_pk(key: str) -> str:
    return f"{JOB_PREFIX}{key}"


def job_key_of(pk: str) -> str | None:
    """The job key of a job-state item's partition key; None for the table's other items."""
    return pk.removeprefix(JOB_PREFIX) if pk.startswith(JOB_PREFIX) else None


def state_key(key: str) -> dict[str, dict[str, str]]:
    """The DynamoDB key (attribute-value form) of a job's state item."""
    return {PARTITION_KEY: {"S": job_pk(key)}, SORT_KEY: {"S": STATE_SORT_KEY}}


def child_link_key(kind: str, child_name: str, source: JobSource | None = None) -> dict[str, dict[str, str]]:
    """A child job's link item (child names, like job names, are unique per account and Region)."""
    return {
        PARTITION_KEY: {"S": f"{CHILD_PREFIX}{kind}#{job_key(child_name, source)}"},
        SORT_KEY: {"S": LINK_SORT_KEY},
    }


def watermark_name(base: str, source: JobSource | None = None) -> str:
    """A source's own watermark: the hub's keeps the name it always had."""
    return base if source is None else f"{base}#{source.key_prefix.rstrip('.')}"


def watermark_key(name: str) -> dict[str, dict[str, str]]:
    return {PARTITION_KEY: {"S": f"{WATERMARK_PREFIX}{name}"}, SORT_KEY: {"S": WATERMARK_SORT_KEY}}


def alert_sent_attribute(status: str) -> str:
    """The attribute that records when a job's alert for this terminal status was sent (or settled
    without one: see `alert_notification_attribute`)."""
    return f"alert_{status}_sent_at"


def alert_notification_attribute(status: str) -> str:
    """The SNS message id of the job's alert for this status, or `not-sent: <why>` for a state that
    settled without one (history: an operator's backfill, a job that ended long before)."""
    return f"alert_{status}_notification_id"
