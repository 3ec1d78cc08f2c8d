"""SageMaker in a spoke: the reader role assumed with the external id, one gateway per account and Region.

Credentials refresh themselves before they expire (botocore's refreshable credentials), so a warm
container assumes each spoke's role about once an hour, not once a record. The role's ARN comes from
the registry (contracts/spoke.py), never from a message: a message only says which registered spoke.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import boto3
import botocore.session
from botocore.credentials import RefreshableCredentials

from automl_archive.contracts.call_budget import STORAGE
from automl_archive.contracts.job_identity import JobSource
from automl_archive.contracts.spoke import ROLE_SESSION_NAME, SpokeAccess
from automl_archive.dal.aws.client import aws_config
from automl_archive.dal.aws.ratelimit import RateLimiter
from automl_archive.dal.aws.sagemaker import SageMakerApi

# AssumeRole's shortest session is 900 s (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html);
# an hour is the default maximum of a role, so it needs no change to the spoke's role.
SESSION_SECONDS = 3600


class SpokeSageMaker:
    """`gateway(source)`: a SageMakerApi acting as the spoke's reader role in the spoke's Region."""

    def __init__(self, access: SpokeAccess, retry_mode: str, max_attempts: int, calls_per_second: int) -> None:
        """`calls_per_second`: this container's cap on SageMaker requests to one spoke account (every
        Region, page and retry attempt counts)."""
        self._access = access
        self._calls_per_second = calls_per_second
        self._limiters: dict[str, RateLimiter] = {}
        self._retry_mode = retry_mode
        self._max_attempts = max_attempts
        self._gateways: dict[JobSource, SageMakerApi] = {}
        self._sts: Any = None

    def gateway(self, source: JobSource) -> SageMakerApi:
        if source not in self._access.sources:  # the logic checks first; this keeps the DAL safe alone
            raise ValueError(f"{source} is not a registered spoke")
        gateway = self._gateways.get(source)
        if gateway is None:
            limiter = self._limiters.setdefault(source.account_id, RateLimiter(self._calls_per_second))

            def take_slot(**_: Any) -> None:  # every request to the account, in botocore's before-send
                limiter.acquire()

            gateway = SageMakerApi(self._retry_mode, self._max_attempts, before_send=take_slot)
            gateway._session = self._session_for(source)
            gateway._region = source.region
            self._gateways[source] = gateway
        return gateway

    def forget(self, source: JobSource) -> None:
        """Drop the source's gateway and its assumed-role session (kept otherwise for the hour it lasts):
        after a failure, the next call assumes the role again, so a reader role deleted and restored is
        read again at once instead of after the old session expires."""
        self._gateways.pop(source, None)

    def requests_by_account(self) -> dict[str, int]:
        """Requests each spoke account's limiter granted in this container (every page and attempt)."""
        return {account: limiter.acquired for account, limiter in self._limiters.items()}

    def _session_for(self, source: JobSource) -> boto3.Session:
        role_arn = self._access.reader_role_arn(source)

        def assume() -> dict[str, str]:
            if self._sts is None:
                self._sts = boto3.client("sts", config=aws_config("standard", STORAGE))
            answer = self._sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=ROLE_SESSION_NAME,
                ExternalId=self._access.external_id,
                DurationSeconds=SESSION_SECONDS,
            )["Credentials"]
            return {
                "access_key": answer["AccessKeyId"],
                "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"],
                "expiry_time": answer["Expiration"].astimezone(UTC).isoformat(),
            }

        credentials = RefreshableCredentials.create_from_metadata(
            metadata=assume(), refresh_using=assume, method="sts-assume-role"
        )
        core = botocore.session.get_session()
        core._credentials = credentials
        return boto3.Session(botocore_session=core, region_name=source.region)
