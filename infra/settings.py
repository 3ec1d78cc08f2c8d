"""The deploy-time settings: parsed and validated from the CDK context (`cdk.json` or `-c key=value`).

A setting that becomes a function's environment is bounded by that function's own settings model
(`automl_archive.contracts.settings`), so the stack cannot deploy what the function would refuse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from automl_archive.contracts import stack_outputs
from automl_archive.contracts.job_identity import JobSource
from automl_archive.contracts.job_status import ALERT_CATEGORIES, DEFAULT_ALERT_CATEGORIES
from automl_archive.contracts.settings import (
    ALERT_MAX_AGE_HOURS,
    CHILD_LINK_TTL_DAYS,
    SPOKE_CALLS_PER_SECOND,
    SWEEP_INITIAL_LOOKBACK_DAYS,
    SWEEP_OVERLAP_SECONDS,
    IntSetting,
)
from automl_archive.contracts.spoke import (
    EXTERNAL_ID,
    LONGEST_HUB_STACK_NAME,
    ORGANIZATION_ID,
    Spoke,
    encode_spokes,
)
from automl_archive.contracts.state_change_event import DEFAULT_EVENT_BUS
from datalake.tables import DEFAULT_PROJECTION_START
from infra.config import (
    ATHENA_MAX_BYTES_SCANNED_CUTOFF,
    ATHENA_MIN_BYTES_SCANNED_CUTOFF,
    DEFAULT_ATHENA_BYTES_SCANNED_CUTOFF,
    DEFAULT_QUEUE_AGE_ALARM_SECONDS,
    MAX_QUEUE_AGE_ALARM_SECONDS,
    MIN_QUEUE_AGE_ALARM_SECONDS,
)

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

# AWS Chatbot ("Amazon Q Developer in chat applications") channel ids: the pattern and length CloudFormation
# documents for each property (checked against the resource schemas cfn-lint bundles).
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-chatbot-slackchannelconfiguration.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-chatbot-microsoftteamschannelconfiguration.html
# (the channel patterns also in https://docs.aws.amazon.com/chatbot/latest/APIReference/API_SlackChannelConfiguration.html
# and API_TeamsChannelConfiguration.html).
_UUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_TEAMS_CHANNEL_CHARS = r"[a-zA-Z0-9-_=+/.,]"
CHAT_ID_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "slack_workspace_id": (re.compile(r"^[0-9A-Z]{1,255}$"), "a Slack workspace id like T012ABCDEFG"),
    "slack_channel_id": (re.compile(r"^[A-Za-z0-9]{1,256}$"), "a Slack channel id like C07EZ1ABC23"),
    "teams_tenant_id": (re.compile(rf"^{_UUID}$"), "a Microsoft Teams tenant id (a GUID)"),
    "teams_team_id": (re.compile(rf"^{_UUID}$"), "a Microsoft Teams team id (a GUID)"),
    "teams_channel_id": (
        re.compile(rf"^(?=.{{1,256}}$){_TEAMS_CHANNEL_CHARS}*%3[aA]{_TEAMS_CHANNEL_CHARS}*%40{_TEAMS_CHANNEL_CHARS}*$"),
        "a URL-encoded Microsoft Teams channel id like 19%3Aabc%40thread.tacv2",
    ),
}
SLACK_KEYS = ("slack_workspace_id", "slack_channel_id")
TEAMS_KEYS = ("teams_tenant_id", "teams_team_id", "teams_channel_id")

# The bus of the AutoML Job State Change event: "default", a custom bus's name (CreateEventBus: 1 to 256 of
# [.-_A-Za-z0-9], no "/" outside partner buses, not "default"), or an existing bus's ARN.
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html
_CUSTOM_BUS_NAME_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,256}$")
_EVENT_BUS_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:events:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):event-bus/(?P<name>[.\-_A-Za-z0-9]{1,256})$"
)

# The registry travels in the functions' environment, whose variables share 4 KB in all
# (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html); the rest of it takes well
# under 1 KB, so the registry gets 3 KB (about 100 account-Region pairs).
SPOKES_ENVIRONMENT_BUDGET = 3072


def _spokes(value: Any) -> tuple[Spoke, ...]:
    """`spokes`: [{"account": "111122223333", "regions": ["eu-west-1"], "alias": "team-a"}, ...], or that
    list as JSON text (a `-c` value is a string)."""
    expected = 'a list of {"account": "<12 digits>", "regions": ["<region>", ...], "alias": "<optional>"}'
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _fail("spokes", value, expected) from None
    if not isinstance(value, list):
        raise _fail("spokes", value, expected)
    spokes: list[Spoke] = []
    for entry in value:
        regions = entry.get("regions") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(regions, list) or not regions:
            raise _fail("spokes", entry, expected)
        for region in regions:
            try:
                spoke = Spoke(JobSource(str(entry.get("account")), str(region)), str(entry.get("alias") or ""))
                Spoke.decode(spoke.encode())  # the alias's rule
            except ValueError as error:
                raise _fail("spokes", entry, f"{expected} ({error})") from None
            if spoke.source in {known.source for known in spokes}:
                raise _fail("spokes", entry, f"each account and Region once ({spoke.source} twice)")
            spokes.append(spoke)
    if len(encode_spokes(tuple(spokes))) > SPOKES_ENVIRONMENT_BUDGET:
        raise _fail(
            "spokes",
            f"{len(spokes)} account-Region pairs",
            f"at most {SPOKES_ENVIRONMENT_BUDGET} bytes once encoded: the functions' environment is limited to 4 KB",
        )
    return tuple(spokes)


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


def _as_past_date(key: str, value: Any) -> str:
    """A calendar date YYYY-MM-DD, not after today (a projection range starting later would be empty)."""
    expected = "a date YYYY-MM-DD, not in the future"
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise _fail(key, value, expected)
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise _fail(key, value, expected) from None
    if parsed > datetime.now(UTC).date():
        raise _fail(key, value, expected)
    return parsed.isoformat()


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


def _chat_ids(get: Callable[[str], Any], keys: tuple[str, ...], what: str) -> tuple[str, ...] | None:
    """The ids of one chat channel: all of `keys` given and well formed, or none (None: no channel)."""
    given = {key: get(key) for key in keys if get(key) not in (None, "")}
    if not given:
        return None
    missing = [key for key in keys if key not in given]
    if missing:
        raise SettingsError(
            f"CDK context '{missing[0]}' is missing: a {what} channel needs {', '.join(keys)} together."
        )
    for key, value in given.items():
        pattern, expected = CHAT_ID_PATTERNS[key]
        if not isinstance(value, str) or not pattern.match(value):
            raise _fail(key, value, expected)
    return tuple(given[key] for key in keys)


@dataclass(frozen=True)
class SlackChannel:
    workspace_id: str
    channel_id: str


@dataclass(frozen=True)
class TeamsChannel:
    tenant_id: str
    team_id: str
    channel_id: str


@dataclass(frozen=True)
class StateChangeEventBus:
    """Where the AutoML Job State Change event goes: `name` of a bus the stack creates, or `arn` of one it
    does not (the account's default bus is `default` in this account and region)."""

    name: str | None = None
    arn: str | None = None

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_EVENT_BUS


def _event_bus(value: Any) -> StateChangeEventBus:
    key = "state_change_event_bus"
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, value, f"'{DEFAULT_EVENT_BUS}', a custom event bus name or an event bus ARN")
    text = value.strip()
    if text.startswith("arn:"):
        if not _EVENT_BUS_ARN_RE.match(text):
            raise _fail(key, value, "an event bus ARN like arn:aws:events:eu-west-1:123456789012:event-bus/ml-events")
        return StateChangeEventBus(arn=text)
    if not _CUSTOM_BUS_NAME_RE.match(text):
        raise _fail(key, value, "an event bus name of 1 to 256 characters from A-Z a-z 0-9 . - _ (no '/')")
    return StateChangeEventBus(name=text)


def _as_bool(key: str, value: Any) -> bool:
    """true/false (JSON booleans in cdk.json, or the strings `-c key=false` passes)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _fail(key, value, "true or false")


@dataclass(frozen=True)
class ArchiveSettings:
    """Deploy-time settings, validated. Build with :meth:`from_context`."""

    stack_name: str = stack_outputs.DEFAULT_STACK_NAME
    alert_emails: tuple[str, ...] = ()
    alert_on_statuses: tuple[str, ...] = DEFAULT_ALERT_CATEGORIES
    # Alerts only for jobs that ended at most this long before the archive learned of them.
    alert_max_age_hours: int = ALERT_MAX_AGE_HOURS.default
    archiver_max_concurrency: int = 5
    archiver_batch_size: int = 10
    work_queue_max_receive_count: int = 5
    log_retention_days: int = 90
    child_link_ttl_days: int = CHILD_LINK_TTL_DAYS.default
    sweep_interval_minutes: int = 1
    sweep_overlap_seconds: int = SWEEP_OVERLAP_SECONDS.default
    sweep_initial_lookback_days: int = SWEEP_INITIAL_LOOKBACK_DAYS.default
    athena_bytes_scanned_cutoff: int = DEFAULT_ATHENA_BYTES_SCANNED_CUTOFF
    # The first day the Glue tables' partition projection enumerates (docs/data-lake.md, "Cost").
    datalake_start_date: str = DEFAULT_PROJECTION_START
    ops_emails: tuple[str, ...] = ()
    queue_age_alarm_seconds: int = DEFAULT_QUEUE_AGE_ALARM_SECONDS
    # 0: no reservation (the default). A reservation fails the deploy in accounts whose concurrency quota
    # is low ("decreases account's UnreservedConcurrentExecution below its minimum value"); overlapping
    # sweeps are safe without one, so it is an opt-in.
    sweep_reserved_concurrency: int = 0
    # Optional AWS Chatbot channels for the alerts and operations topics (None: not created).
    slack: SlackChannel | None = None
    teams: TeamsChannel | None = None
    # The AutoML Job State Change event's bus (docs/events.md); None publishes no events.
    state_change_event_bus: StateChangeEventBus | None = StateChangeEventBus(name=DEFAULT_EVENT_BUS)
    # The registered spokes (docs/multi-account.md) and the external id the hub presents to their roles.
    spokes: tuple[Spoke, ...] = ()
    spoke_external_id: str = ""
    # The central bus admits this organisation; "" admits the registered spokes' accounts only.
    spoke_organization_id: str = ""
    spoke_calls_per_second: int = SPOKE_CALLS_PER_SECOND.default

    @property
    def admits_spokes(self) -> bool:
        """The hub has a central bus for spokes' events."""
        return bool(self.spokes or self.spoke_organization_id)

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

        slack = _chat_ids(get, SLACK_KEYS, "Slack")
        teams = _chat_ids(get, TEAMS_KEYS, "Microsoft Teams")

        events_on = get("state_change_events")
        events_on = True if events_on is None else _as_bool("state_change_events", events_on)
        bus = get("state_change_event_bus")
        event_bus = _event_bus(DEFAULT_EVENT_BUS if bus is None else bus)

        spokes = _spokes(get("spokes") or [])
        external_id = get("spoke_external_id") or ""
        if spokes and (not isinstance(external_id, str) or not EXTERNAL_ID.match(external_id)):
            raise _fail("spoke_external_id", external_id, "2 to 1,224 of [A-Za-z0-9+=,.@:/_-] (spokes need it)")
        if spokes and len(stack_name) > LONGEST_HUB_STACK_NAME:
            raise _fail(
                "stack_name",
                stack_name,
                f"at most {LONGEST_HUB_STACK_NAME} characters with spokes (their reader roles are named after it)",
            )

        organization = get("spoke_organization_id") or ""
        if organization and (not isinstance(organization, str) or not ORGANIZATION_ID.match(organization)):
            raise _fail("spoke_organization_id", organization, "an AWS Organizations id like o-a1b2c3d4e5")

        return cls(
            spokes=spokes,
            spoke_organization_id=organization,
            spoke_calls_per_second=_as_setting(
                "spoke_calls_per_second", value("spoke_calls_per_second"), SPOKE_CALLS_PER_SECOND
            ),
            spoke_external_id=external_id if spokes else "",
            stack_name=stack_name,
            slack=SlackChannel(*slack) if slack else None,
            teams=TeamsChannel(*teams) if teams else None,
            alert_emails=tuple(emails),
            alert_on_statuses=tuple(statuses),
            alert_max_age_hours=_as_setting("alert_max_age_hours", value("alert_max_age_hours"), ALERT_MAX_AGE_HOURS),
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
            datalake_start_date=_as_past_date("datalake_start_date", value("datalake_start_date")),
            ops_emails=tuple(ops_emails),
            sweep_reserved_concurrency=_as_int(
                "sweep_reserved_concurrency", value("sweep_reserved_concurrency"), 0, MAX_SWEEP_RESERVED_CONCURRENCY
            ),
            queue_age_alarm_seconds=queue_age_alarm,
            state_change_event_bus=event_bus if events_on else None,
        )
