"""A job's identity: its name, and the account and Region it runs in (docs/multi-account.md).

SageMaker job names are unique only within an account and Region, so a hub that archives several
accounts keys each job by all three. The hub's own jobs (its account and Region: the single-account
deploy) keep the key they always had, the name in lower case, so an archive written before spokes
existed needs no migration. A spoke's job is keyed `<account>.<region>.<name>`: a job name cannot
hold a `.` (`[a-zA-Z0-9-]`), so the two forms never collide, and the key is safe both in a DynamoDB
partition key and in an S3 key (no `/` to nest folders inside an Athena partition, none of the
characters S3 asks to avoid).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# SageMaker's own name patterns (botocore's model: AutoMLJobName, and the child jobs' names); the
# message parser, the operator command's JOB_NAME argument and the docs all read them from here.
AUTOML_JOB_NAME_RULE = "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"
AUTOML_JOB_NAME = re.compile(f"^{AUTOML_JOB_NAME_RULE}$")
CHILD_JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
KEY_SEPARATOR = "."


@dataclass(frozen=True, order=True)
class JobSource:
    """An account and Region whose AutoML jobs the hub archives (a spoke)."""

    account_id: str
    region: str

    def __post_init__(self) -> None:
        if not ACCOUNT_ID.match(self.account_id):
            raise ValueError(f"not a 12-digit account id: {self.account_id[:40]!r}")
        if not REGION.match(self.region):
            raise ValueError(f"not a Region name: {self.region[:40]!r}")

    def __str__(self) -> str:
        return f"{self.account_id}/{self.region}"

    @property
    def key_prefix(self) -> str:
        return f"{self.account_id}{KEY_SEPARATOR}{self.region}{KEY_SEPARATOR}"


def job_key(job_name: str, source: JobSource | None = None) -> str:
    """The job's key in the table and in S3 (`source` None: the hub's own account and Region)."""
    return job_name.lower() if source is None else f"{source.key_prefix}{job_name.lower()}"


def source_of_key(key: str) -> JobSource | None:
    """The source a job key names (None: the hub's own); ValueError for a malformed qualified key."""
    if KEY_SEPARATOR not in key:
        return None
    account_id, region, _name = key.split(KEY_SEPARATOR, 2)
    return JobSource(account_id, region)


def name_of_key(key: str) -> str:
    """The job name (lower case) a job key holds."""
    return key.rsplit(KEY_SEPARATOR, 1)[-1]


@dataclass(frozen=True)
class JobId:
    """A job as the archive names it: its name (as SageMaker spells it) and where it runs."""

    name: str
    source: JobSource | None = None  # None: the hub's own account and Region

    @property
    def key(self) -> str:
        return job_key(self.name, self.source)
