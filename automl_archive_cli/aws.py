"""The deployed stack as the command line sees it: session, region, stack outputs, readable errors.

Every AWS call goes through boto3's default session, which `aws_session` sets up for the command
(with `--region` when given) and restores afterwards, so the product's own data-access classes
(`automl_archive.dal.aws`, which use `boto3.client(...)`) reach the same account and region.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from automl_archive.contracts import stack_outputs
from automl_archive.contracts.spoke import Spoke, decode_spokes
from automl_archive_cli.errors import EXIT_FAILED, CliError

REQUIRED_OUTPUTS = stack_outputs.REQUIRED
_REJECTED_CREDENTIAL_CODES = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"}
)

NO_CREDENTIALS_MESSAGE = (
    "No usable AWS credentials found: run `aws configure` (or `aws sso login`), set AWS_PROFILE, "
    "or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
)
NO_REGION_MESSAGE = (
    "No AWS region configured: pass --region, set AWS_DEFAULT_REGION (or AWS_REGION), "
    "or set `region` in your AWS profile."
)


def client_config(read_timeout: int = 30) -> Config:
    return Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=read_timeout)


def client(service_name: str, read_timeout: int = 30) -> Any:
    """A client of the command's session (see `aws_session`)."""
    return boto3.client(service_name, config=client_config(read_timeout))


@contextmanager
def aws_session(region: str | None) -> Iterator[str]:
    """Make boto3's default session the command's (region from `--region` or the usual chain); yield the region."""
    previous = boto3.DEFAULT_SESSION
    try:
        try:
            boto3.setup_default_session(region_name=region) if region else boto3.setup_default_session()
            session = boto3.DEFAULT_SESSION
            if session is not None and not session.region_name and os.environ.get("AWS_REGION"):
                # botocore reads only AWS_DEFAULT_REGION and the profile; AWS_REGION is the other usual variable.
                boto3.setup_default_session(region_name=os.environ["AWS_REGION"])
        except ProfileNotFound as error:
            raise CliError(f"AWS profile not found: {error.kwargs.get('profile')} (check AWS_PROFILE).") from error
        resolved = boto3.DEFAULT_SESSION.region_name if boto3.DEFAULT_SESSION else None
        if not resolved:
            raise CliError(NO_REGION_MESSAGE)
        yield resolved
    finally:
        boto3.DEFAULT_SESSION = previous


def describe_aws_error(error: Exception) -> CliError | None:
    """The one-line message for an AWS problem the operator must fix; None for anything else."""
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return CliError(NO_CREDENTIALS_MESSAGE)
    if isinstance(error, NoRegionError):
        return CliError(NO_REGION_MESSAGE)
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        endpoint = error.kwargs.get("endpoint_url", "the AWS endpoint")
        return CliError(
            f"Cannot reach {endpoint}: check your network or proxy, the region, and AWS_ENDPOINT_URL if it is set."
        )
    if isinstance(error, ProfileNotFound):
        return CliError(f"AWS profile not found: {error.kwargs.get('profile')} (check AWS_PROFILE).")
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", ""))
        operation = getattr(error, "operation_name", "the call")
        if code in _REJECTED_CREDENTIAL_CODES:
            return CliError(f"AWS rejected your credentials ({code}: {message}); refresh them and retry.")
        return CliError(f"AWS error on {operation}: {code}: {message}", exit_code=EXIT_FAILED)
    return None


@dataclass(frozen=True)
class QueueRef:
    """One queue of the stack, as its outputs locate it."""

    url: str
    arn: str


@dataclass(frozen=True)
class Deployment:
    """A deployed stack's outputs (named in `stack_outputs`)."""

    stack_name: str
    region: str
    outputs: dict[str, str]

    def output(self, key: str) -> str:
        return self.outputs[key]

    def _queue(self, names: stack_outputs.QueueOutputs) -> QueueRef:
        return QueueRef(url=self.outputs[names.url], arn=self.outputs[names.arn])

    @property
    def work_queue_url(self) -> str:
        return self.outputs[stack_outputs.WORK_QUEUE_URL]

    @property
    def work_queue_arn(self) -> str:
        return self.outputs[stack_outputs.WORK_QUEUE_ARN]

    @property
    def dead_letter_queue_url(self) -> str:
        return self.outputs[stack_outputs.WORK_QUEUE_DEAD_LETTER_QUEUE.url]

    @property
    def work_queue_dead_letter_queue(self) -> QueueRef:
        return self._queue(stack_outputs.WORK_QUEUE_DEAD_LETTER_QUEUE)

    @property
    def rule_dead_letter_queues(self) -> dict[str, QueueRef]:
        """Each EventBridge rule target's dead-letter queue, by rule id."""
        return {
            rule_id: self._queue(stack_outputs.rule_dead_letter_queue(rule_id))
            for rule_id in stack_outputs.rule_ids(self.outputs)
        }

    @property
    def spokes(self) -> tuple[Spoke, ...]:
        """The registered spokes (none for a single-account stack)."""
        return decode_spokes(self.outputs.get(stack_outputs.SPOKES, ""))

    @property
    def sweep_schedule_dead_letter_queue(self) -> QueueRef:
        return self._queue(stack_outputs.SWEEP_SCHEDULE_DEAD_LETTER_QUEUE)

    @property
    def compaction_schedule_dead_letter_queue(self) -> QueueRef:
        return self._queue(stack_outputs.COMPACTION_SCHEDULE_DEAD_LETTER_QUEUE)

    @property
    def jobs_table_name(self) -> str:
        return self.outputs[stack_outputs.JOBS_TABLE_NAME]

    @property
    def archive_bucket_name(self) -> str:
        return self.outputs[stack_outputs.ARCHIVE_BUCKET_NAME]

    @property
    def alerts_topic_arn(self) -> str:
        return self.outputs[stack_outputs.ALERTS_TOPIC_ARN]

    @property
    def alerts_key_arn(self) -> str:
        return self.outputs[stack_outputs.ALERTS_KEY_ARN]

    @property
    def archiver_function_name(self) -> str:
        return self.outputs[stack_outputs.ARCHIVER_FUNCTION_NAME]

    @property
    def compaction_function_name(self) -> str:
        return self.outputs[stack_outputs.COMPACTION_FUNCTION_NAME]

    @property
    def state_change_event_bus_arn(self) -> str | None:
        """The bus of the AutoML Job State Change event; None when the stack publishes none."""
        return self.outputs.get(stack_outputs.STATE_CHANGE_EVENT_BUS_ARN)

    @property
    def partition(self) -> str:
        """The ARN partition (aws, aws-cn, aws-us-gov), read from the work queue's ARN."""
        return self.work_queue_arn.split(":")[1]

    @property
    def account_id(self) -> str:
        return self.work_queue_arn.split(":")[4]


def not_deployed_message(stack_name: str, region: str) -> str:
    return (
        f"Stack '{stack_name}' is not deployed in {region} (CloudFormation has no stack of that name there): "
        "deploy it with `make deploy` or pass --stack-name/--region."
    )


def resolve_stack(cloudformation: Any, stack_name: str, region: str) -> Deployment:
    """DescribeStacks → the stack's outputs; CliError when it is missing or incomplete."""
    try:
        answer = cloudformation.describe_stacks(StackName=stack_name)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        text = str(error.response.get("Error", {}).get("Message", ""))
        if code == "ValidationError" and "does not exist" in text:
            raise CliError(not_deployed_message(stack_name, region)) from error
        raise
    stacks = answer.get("Stacks") or []
    if not stacks:
        raise CliError(not_deployed_message(stack_name, region))
    stack = stacks[0]
    values = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}
    missing = [key for key in REQUIRED_OUTPUTS if key not in values]
    rule_dlqs = [stack_outputs.rule_dead_letter_queue(rule_id) for rule_id in stack_outputs.rule_ids(values)]
    missing += [names.arn for names in rule_dlqs if names.arn not in values]
    if not rule_dlqs:
        missing.append(stack_outputs.RULE_DEAD_LETTER_QUEUE_URLS)
    if missing:
        raise CliError(
            f"Stack '{stack_name}' in {region} is {stack.get('StackStatus', 'in an unknown state')} and lacks the "
            f"outputs {', '.join(missing)}: is it this product's stack? Redeploy it with `make deploy`."
        )
    return Deployment(stack_name=stack_name, region=region, outputs=values)


def archiver_environment(lambda_client: Any, function_name: str) -> dict[str, str]:
    """The deployed archiver function's environment variables (its alert and re-check settings)."""
    answer = lambda_client.get_function_configuration(FunctionName=function_name)
    return dict(answer.get("Environment", {}).get("Variables", {}) or {})
