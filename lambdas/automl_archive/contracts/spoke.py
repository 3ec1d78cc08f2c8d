"""What the hub and a spoke agree on (docs/multi-account.md): the reader role's name and its external id.

A spoke is a workload account and Region whose AutoML jobs the hub archives. Its reader role is
named after the hub stack and the spoke's Region (IAM is global to the account; one spoke stack per
Region must not collide), so the hub can name the role of any spoke without asking it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from automl_archive.contracts.job_identity import JobSource

# IAM role names: at most 64 characters of [\w+=,.@-]
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
ROLE_NAME_LIMIT = 64
# sts:ExternalId: 2 to 1,224 characters of [\w+=,.@:/-]
# (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
READER_ROLE_SUFFIX = "-reader-"
LONGEST_REGION_NAME = 14  # e.g. ap-southeast-4: a spoke's Region is only known at deploy time
LONGEST_HUB_STACK_NAME = ROLE_NAME_LIMIT - len(READER_ROLE_SUFFIX) - LONGEST_REGION_NAME


# The hub's central bus, which admits the spokes' forwarded events: named after the hub stack, so a
# spoke's template can default to it.
CENTRAL_BUS_SUFFIX = "-spokes"
ORGANIZATION_ID = re.compile(
    r"^o-[a-z0-9]{10,32}$"
)  # https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html


def central_bus_name(hub_stack_name: str) -> str:
    return f"{hub_stack_name}{CENTRAL_BUS_SUFFIX}"


def reader_role_name(hub_stack_name: str, region: str) -> str:
    """The spoke reader role's name: `<hub stack>-reader-<region>`, within IAM's 64 characters."""
    name = f"{hub_stack_name}{READER_ROLE_SUFFIX}{region}"
    if len(name) > ROLE_NAME_LIMIT:
        raise ValueError(f"reader role name {name!r} is over IAM's {ROLE_NAME_LIMIT} characters")
    return name


# One spoke in the functions' environment: `<account>:<region>[:<alias>]`, comma-separated. Compact on
# purpose: a function's environment variables share 4 KB in all
# (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), and the stack refuses a
# registry that would not fit.
SPOKE_ALIAS = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")  # IAM account aliases' rule
ROLE_SESSION_NAME = "automl-job-archive"


@dataclass(frozen=True)
class Spoke:
    """A registered spoke: an account and Region the hub archives, and the account's alias if known."""

    source: JobSource
    alias: str = ""

    def encode(self) -> str:
        return f"{self.source.account_id}:{self.source.region}" + (f":{self.alias}" if self.alias else "")

    @classmethod
    def decode(cls, text: str) -> Spoke:
        account_id, region, *rest = text.strip().split(":")
        alias = rest[0] if rest else ""
        if len(rest) > 1 or (alias and not SPOKE_ALIAS.match(alias)):
            raise ValueError(f"not <account>:<region>[:<alias>]: {text[:80]!r}")
        return cls(JobSource(account_id, region), alias)


def encode_spokes(spokes: tuple[Spoke, ...]) -> str:
    return ",".join(spoke.encode() for spoke in spokes)


def decode_spokes(text: str) -> tuple[Spoke, ...]:
    """The spokes an environment value lists ("" none); ValueError naming the first bad entry."""
    return tuple(Spoke.decode(item) for item in text.split(",") if item.strip())


@dataclass(frozen=True)
class SpokeAccess:
    """How the hub's functions reach their spokes: which are registered, the hub's own source (jobs
    there are read with the functions' own role), the reader role's name and the external id."""

    hub: JobSource
    spokes: tuple[Spoke, ...]
    external_id: str
    hub_stack_name: str
    partition: str = "aws"

    def source_of_envelope(self, account_id: str, region: str) -> JobSource | None:
        """The registered source an event's envelope names: None for the hub's own; UnregisteredSource
        for any other account or Region (the hub never reads a job where it has no role to assume)."""
        try:
            source = JobSource(account_id, region)
        except ValueError as error:
            raise UnregisteredSource(str(error)) from None
        if source == self.hub:
            return None
        if source not in self.sources:
            raise UnregisteredSource(f"{source} is not a registered spoke")
        return source

    @property
    def sources(self) -> frozenset[JobSource]:
        return frozenset(spoke.source for spoke in self.spokes)

    def account_alias(self, account_id: str) -> str:
        """The alias the registry gives an account (any of its Regions' entries), else ""."""
        return next((spoke.alias for spoke in self.spokes if spoke.source.account_id == account_id and spoke.alias), "")

    def reader_role_arn(self, source: JobSource) -> str:
        return reader_role_arn(self.hub_stack_name, source, self.partition)


def reader_role_arn(hub_stack_name: str, source: JobSource, partition: str = "aws") -> str:
    """The ARN of a spoke's reader role: the hub names it without asking the spoke."""
    return f"arn:{partition}:iam::{source.account_id}:role/{reader_role_name(hub_stack_name, source.region)}"


class UnregisteredSource(ValueError):
    """A job in an account and Region that is neither the hub's nor a registered spoke's."""
