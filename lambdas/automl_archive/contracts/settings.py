"""Each function's settings: one typed model per function that reads its environment at cold start
and that the stack uses to write that environment (`to_environment`), so the two cannot disagree on a
variable's name, default or bounds.

A missing or malformed variable raises `ConfigurationError` naming every problem at once, so a
mis-deployed function fails loudly on its first invocation instead of misbehaving later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from automl_archive.contracts.call_budget import SAGEMAKER
from automl_archive.contracts.job_identity import ACCOUNT_ID, REGION, JobSource
from automl_archive.contracts.job_status import ALERT_CATEGORIES, DEFAULT_ALERT_CATEGORIES
from automl_archive.contracts.spoke import EXTERNAL_ID, Spoke, SpokeAccess, decode_spokes, encode_spokes

RETRY_MODES = frozenset({"legacy", "standard", "adaptive"})
DEFAULT_RETRY_MODE = "adaptive"


@dataclass(frozen=True)
class IntSetting:
    """An integer setting: its environment variable, default and bounds (the stack's context uses them too)."""

    env: str
    default: int
    minimum: int
    maximum: int


CHILD_LINK_TTL_DAYS = IntSetting("CHILD_LINK_TTL_DAYS", 30, 1, 3650)
ALERT_CLAIM_LEASE_SECONDS = IntSetting("ALERT_CLAIM_LEASE_SECONDS", 120, 1, 3600)
# A terminal state alerts only if the job ended at most this long before the archive learned of it:
# alerts are for failures people can still act on, not for history a first sweep or a backfill finds.
ALERT_MAX_AGE_HOURS = IntSetting("ALERT_MAX_AGE_HOURS", 24, 1, 24 * 3650)
# Attempts per SageMaker call: the call budget's, which fits one call's worst case inside the function's
# timeout; what still fails is retried by the queue.
SAGEMAKER_MAX_ATTEMPTS = IntSetting("SAGEMAKER_MAX_ATTEMPTS", SAGEMAKER.max_attempts, 1, SAGEMAKER.max_attempts)
SWEEP_OVERLAP_SECONDS = IntSetting("SWEEP_OVERLAP_SECONDS", 900, 0, 86400)
SWEEP_INITIAL_LOOKBACK_DAYS = IntSetting("SWEEP_INITIAL_LOOKBACK_DAYS", 30, 1, 3650)
# SageMaker calls per second one function container makes to one spoke account (all its Regions): the
# hub must not spend the quota a spoke's own users and pipelines share with it.
SPOKE_CALLS_PER_SECOND = IntSetting("SPOKE_CALLS_PER_SECOND", 5, 1, 100)

JOBS_TABLE_NAME = "JOBS_TABLE_NAME"
ARCHIVE_BUCKET_NAME = "ARCHIVE_BUCKET_NAME"
ALERTS_TOPIC_ARN = "ALERTS_TOPIC_ARN"
WORK_QUEUE_URL = "WORK_QUEUE_URL"
ALERT_ON_STATUSES = "ALERT_ON_STATUSES"
SAGEMAKER_RETRY_MODE = "SAGEMAKER_RETRY_MODE"
# The ARN of the bus the AutoML Job State Change event goes to; absent or empty: no events.
STATE_CHANGE_EVENT_BUS = "STATE_CHANGE_EVENT_BUS"
EVENT_BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[/.\-_A-Za-z0-9]{1,256}$")
# Where the hub runs and which spokes it reads (docs/multi-account.md).
HUB_ACCOUNT_ID = "HUB_ACCOUNT_ID"
HUB_REGION = "HUB_REGION"
HUB_STACK_NAME = "HUB_STACK_NAME"
SPOKES = "SPOKES"
SPOKE_EXTERNAL_ID = "SPOKE_EXTERNAL_ID"
# The data lake the compaction merges into (datalake/names.py derives both from the stack name).
GLUE_DATABASE_NAME = "GLUE_DATABASE_NAME"
ATHENA_WORKGROUP = "ATHENA_WORKGROUP"
GLUE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or invalid."""


@dataclass(frozen=True)
class HubScope:
    """The hub's own account and Region, and the spokes it reads. Without the hub's account (an
    environment from before spokes) every job is the hub's own, as it always was."""

    hub_account_id: str = ""
    hub_region: str = ""
    hub_stack_name: str = ""
    spokes: tuple[Spoke, ...] = ()
    spoke_external_id: str = ""
    spoke_calls_per_second: int = SPOKE_CALLS_PER_SECOND.default

    @property
    def spoke_access(self) -> SpokeAccess | None:
        if not self.hub_account_id:
            return None
        return SpokeAccess(
            hub=JobSource(self.hub_account_id, self.hub_region),
            spokes=self.spokes,
            external_id=self.spoke_external_id,
            hub_stack_name=self.hub_stack_name,
        )

    @classmethod
    def read(cls, reader: _EnvReader) -> HubScope:
        account = reader.optional_match(HUB_ACCOUNT_ID, ACCOUNT_ID, "a 12-digit account id")
        region = reader.optional_match(HUB_REGION, REGION, "a Region name")
        spokes = reader.spokes(SPOKES)
        external_id = reader.optional_match(SPOKE_EXTERNAL_ID, EXTERNAL_ID, "2 to 1,224 of [A-Za-z0-9+=,.@:/_-]")
        stack = reader.optional_match(HUB_STACK_NAME, re.compile(r"^[A-Za-z][A-Za-z0-9-]*$"), "a stack name")
        if account and not region:
            reader.problem(f"{HUB_REGION} is required with {HUB_ACCOUNT_ID}")
        if spokes and not (account and external_id and stack):
            reader.problem(f"{SPOKES} needs {HUB_ACCOUNT_ID}, {SPOKE_EXTERNAL_ID} and {HUB_STACK_NAME}")
        return cls(account, region, stack, spokes, external_id, reader.integer(SPOKE_CALLS_PER_SECOND))

    def to_environment(self) -> dict[str, str]:
        values = {
            HUB_ACCOUNT_ID: self.hub_account_id,
            HUB_REGION: self.hub_region,
            HUB_STACK_NAME: self.hub_stack_name,
            SPOKES: encode_spokes(self.spokes),
            SPOKE_EXTERNAL_ID: self.spoke_external_id,
            SPOKE_CALLS_PER_SECOND.env: str(self.spoke_calls_per_second) if self.spokes else "",
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class ArchiverSettings:
    jobs_table_name: str
    archive_bucket_name: str
    alerts_topic_arn: str
    alert_on: frozenset[str] = frozenset(DEFAULT_ALERT_CATEGORIES)
    child_link_ttl_days: int = CHILD_LINK_TTL_DAYS.default
    alert_claim_lease_seconds: int = ALERT_CLAIM_LEASE_SECONDS.default
    alert_max_age_hours: int = ALERT_MAX_AGE_HOURS.default
    sagemaker_retry_mode: str = DEFAULT_RETRY_MODE
    sagemaker_max_attempts: int = SAGEMAKER_MAX_ATTEMPTS.default
    state_change_event_bus: str = ""  # the bus's ARN; "" publishes no events
    hub: HubScope = HubScope()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ArchiverSettings:
        reader = _EnvReader(os.environ if environ is None else environ)
        settings = cls(
            jobs_table_name=reader.text(JOBS_TABLE_NAME),
            archive_bucket_name=reader.text(ARCHIVE_BUCKET_NAME),
            alerts_topic_arn=reader.text(ALERTS_TOPIC_ARN),
            alert_on=reader.choices(ALERT_ON_STATUSES, ALERT_CATEGORIES, default=",".join(DEFAULT_ALERT_CATEGORIES)),
            child_link_ttl_days=reader.integer(CHILD_LINK_TTL_DAYS),
            alert_claim_lease_seconds=reader.integer(ALERT_CLAIM_LEASE_SECONDS),
            alert_max_age_hours=reader.integer(ALERT_MAX_AGE_HOURS),
            sagemaker_retry_mode=reader.choice(SAGEMAKER_RETRY_MODE, RETRY_MODES, default=DEFAULT_RETRY_MODE),
            sagemaker_max_attempts=reader.integer(SAGEMAKER_MAX_ATTEMPTS),
            state_change_event_bus=reader.optional_match(STATE_CHANGE_EVENT_BUS, EVENT_BUS_ARN, "an event bus ARN"),
            hub=HubScope.read(reader),
        )
        reader.raise_if_invalid()
        return settings

    def to_environment(self) -> dict[str, str]:
        """The environment that `from_environ` reads back as these settings (the stack deploys it)."""
        events = {STATE_CHANGE_EVENT_BUS: self.state_change_event_bus} if self.state_change_event_bus else {}
        return {
            **events,
            **self.hub.to_environment(),
            JOBS_TABLE_NAME: self.jobs_table_name,
            ARCHIVE_BUCKET_NAME: self.archive_bucket_name,
            ALERTS_TOPIC_ARN: self.alerts_topic_arn,
            ALERT_ON_STATUSES: ",".join(category for category in ALERT_CATEGORIES if category in self.alert_on),
            CHILD_LINK_TTL_DAYS.env: str(self.child_link_ttl_days),
            ALERT_CLAIM_LEASE_SECONDS.env: str(self.alert_claim_lease_seconds),
            ALERT_MAX_AGE_HOURS.env: str(self.alert_max_age_hours),
            SAGEMAKER_RETRY_MODE: self.sagemaker_retry_mode,
            SAGEMAKER_MAX_ATTEMPTS.env: str(self.sagemaker_max_attempts),
        }


@dataclass(frozen=True)
class SweepSettings:
    jobs_table_name: str
    work_queue_url: str
    overlap_seconds: int = SWEEP_OVERLAP_SECONDS.default
    initial_lookback_days: int = SWEEP_INITIAL_LOOKBACK_DAYS.default
    sagemaker_retry_mode: str = DEFAULT_RETRY_MODE
    sagemaker_max_attempts: int = SAGEMAKER_MAX_ATTEMPTS.default
    hub: HubScope = HubScope()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> SweepSettings:
        reader = _EnvReader(os.environ if environ is None else environ)
        settings = cls(
            jobs_table_name=reader.text(JOBS_TABLE_NAME),
            work_queue_url=reader.text(WORK_QUEUE_URL),
            overlap_seconds=reader.integer(SWEEP_OVERLAP_SECONDS),
            initial_lookback_days=reader.integer(SWEEP_INITIAL_LOOKBACK_DAYS),
            sagemaker_retry_mode=reader.choice(SAGEMAKER_RETRY_MODE, RETRY_MODES, default=DEFAULT_RETRY_MODE),
            sagemaker_max_attempts=reader.integer(SAGEMAKER_MAX_ATTEMPTS),
            hub=HubScope.read(reader),
        )
        reader.raise_if_invalid()
        return settings

    def to_environment(self) -> dict[str, str]:
        return {
            **self.hub.to_environment(),
            JOBS_TABLE_NAME: self.jobs_table_name,
            WORK_QUEUE_URL: self.work_queue_url,
            SWEEP_OVERLAP_SECONDS.env: str(self.overlap_seconds),
            SWEEP_INITIAL_LOOKBACK_DAYS.env: str(self.initial_lookback_days),
            SAGEMAKER_RETRY_MODE: self.sagemaker_retry_mode,
            SAGEMAKER_MAX_ATTEMPTS.env: str(self.sagemaker_max_attempts),
        }


@dataclass(frozen=True)
class CompactorSettings:
    archive_bucket_name: str
    glue_database_name: str
    athena_workgroup: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> CompactorSettings:
        reader = _EnvReader(os.environ if environ is None else environ)
        settings = cls(
            archive_bucket_name=reader.text(ARCHIVE_BUCKET_NAME),
            glue_database_name=reader.text(GLUE_DATABASE_NAME),
            athena_workgroup=reader.text(ATHENA_WORKGROUP),
        )
        if settings.glue_database_name and not GLUE_NAME.match(settings.glue_database_name):
            reader.problem(
                f"{GLUE_DATABASE_NAME} must be lower-case letters, digits and _, got {settings.glue_database_name!r}"
            )
        reader.raise_if_invalid()
        return settings

    def to_environment(self) -> dict[str, str]:
        return {
            ARCHIVE_BUCKET_NAME: self.archive_bucket_name,
            GLUE_DATABASE_NAME: self.glue_database_name,
            ATHENA_WORKGROUP: self.athena_workgroup,
        }


class _EnvReader:
    """Reads typed values, collecting every problem so the error lists them all."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._problems: list[str] = []

    def text(self, name: str) -> str:
        value = self._env.get(name, "").strip()
        if not value:
            self._problems.append(f"{name} is required")
        return value

    def integer(self, setting: IntSetting) -> int:
        name, default, minimum, maximum = setting.env, setting.default, setting.minimum, setting.maximum
        raw = self._env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self._problems.append(f"{name} must be an integer, got {raw!r}")
            return default
        if not minimum <= value <= maximum:
            self._problems.append(f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    def optional_match(self, name: str, pattern: re.Pattern[str], expected: str) -> str:
        value = self._env.get(name, "").strip()
        if value and not pattern.match(value):
            self._problems.append(f"{name} must be {expected}, got {value[:100]!r}")
        return value

    def spokes(self, name: str) -> tuple[Spoke, ...]:
        try:
            return decode_spokes(self._env.get(name, ""))
        except ValueError as error:
            self._problems.append(f"{name}: {error}")
            return ()

    def problem(self, text: str) -> None:
        self._problems.append(text)

    def choice(self, name: str, allowed: frozenset[str], default: str) -> str:
        value = self._env.get(name, "").strip() or default
        if value not in allowed:
            self._problems.append(f"{name} must be one of {sorted(allowed)}, got {value!r}")
        return value

    def choices(self, name: str, allowed: tuple[str, ...], default: str) -> frozenset[str]:
        raw = self._env.get(name)
        raw = default if raw is None else raw
        values = frozenset(item.strip() for item in raw.split(",") if item.strip())
        unknown = values - set(allowed)
        if unknown:
            self._problems.append(f"{name} has unknown values {sorted(unknown)}; allowed: {sorted(allowed)}")
        return values & set(allowed)

    def raise_if_invalid(self) -> None:
        if self._problems:
            raise ConfigurationError("Invalid function environment: " + "; ".join(self._problems))
