"""sts:AssumeRole decided as AWS decides it, and the calls of an assumed role's session made as that role.

moto hands out credentials for any role ARN, whether the role exists or trusts the caller ("the role
does not need to exist", moto/sts/models.py). AWS grants a cross-account AssumeRole only when both sides
allow it: the caller's identity policy allows sts:AssumeRole on the role (checked by `enforcement` like
any call), and the role's trust policy allows the caller, with every condition met
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html);
an external id the trust policy asks for must be presented exactly
(https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). Otherwise STS answers
AccessDenied, as `enforcement` does with `trust_refusal`'s reason.

Each granted session is remembered by its access key: a call signed with it is made as the assumed role,
with the role's policies as they are at the time of the call, as AWS evaluates a session's request. A
role deleted since (or deleted and created again: a new role id) denies every call of the old session.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from typing import Any

from devtools.emulator.iam.errors import IamEmulationError
from devtools.emulator.iam.policies import Principal, resource_matches


@dataclass(frozen=True)
class AssumedSession:
    role_arn: str
    role_id: str
    session_name: str

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def _role(role_arn: str) -> Any:
    """moto's role of that ARN, in its own account (None: no such role)."""
    from moto.iam.models import iam_backends  # noqa: PLC0415 (moto's in-process backend)

    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    for role in iam_backends[account]["aws"].get_roles():
        if role.name == name:
            return role
    return None


def _document(value: Any) -> dict[str, Any]:
    from devtools.emulator.stack import policy_document  # noqa: PLC0415 (stack imports this package)

    return policy_document(value)


def _principal_trusted(principal: Any, caller_arn: str) -> bool:
    """A trust statement's Principal naming the caller: its role ARN, or its account (`:root`, or the id)."""
    caller_account = caller_arn.split(":")[4]
    if principal == "*":
        return True
    names = _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
    return any(name in ("*", caller_arn, caller_account, f"arn:aws:iam::{caller_account}:root") for name in names)


def _conditions_met(condition: dict[str, Any], caller_arn: str, external_id: str | None) -> bool:
    """The conditions a reader role's trust policy uses: StringEquals sts:ExternalId and ArnLike/
    ArnEquals/StringLike/StringEquals aws:PrincipalArn. Any other is refused, not guessed."""
    context = {"sts:ExternalId": external_id, "aws:PrincipalArn": caller_arn}
    for operator, keys in condition.items():
        for key, expected in keys.items():
            if key not in context or operator not in ("StringEquals", "StringLike", "ArnLike", "ArnEquals"):
                raise IamEmulationError(f"the emulator does not evaluate the trust condition {operator} {key}")
            actual = context[key]
            if actual is None:
                return False
            wildcard = operator in ("StringLike", "ArnLike")
            if not any(
                resource_matches(value, actual) if wildcard else value == actual for value in _as_list(expected)
            ):
                return False
    return True


def trust_refusal(caller: Principal, params: dict[str, Any]) -> str | None:
    """Why the role `params["RoleArn"]` does not let `caller` assume it (None: it does)."""
    role_arn, external_id = params["RoleArn"], params.get("ExternalId")
    role = _role(role_arn)
    if role is None:
        return f"the role {role_arn} does not exist"
    allowed = False
    for statement in _document(role.assume_role_policy_document).get("Statement", []):
        if not {"sts:AssumeRole", "sts:*"} & set(_as_list(statement.get("Action"))):
            continue
        if not _principal_trusted(statement.get("Principal"), caller.arn):
            continue
        if not _conditions_met(statement.get("Condition", {}), caller.arn, external_id):
            continue
        if statement.get("Effect") == "Deny":
            return f"the trust policy of {role_arn} denies it"
        allowed = True
    return None if allowed else f"the trust policy of {role_arn} does not allow it"


@functools.lru_cache(maxsize=256)
def _principal(role_arn: str, session_name: str, documents: str) -> Principal:
    return Principal.from_documents(json.loads(documents), arn=role_arn, session_name=session_name)


class AssumedRoles:
    """The sessions AssumeRole granted while a principal was active, by access key id."""

    def __init__(self) -> None:
        self._sessions: dict[str, AssumedSession] = {}
        self._lock = threading.Lock()

    def remember(self, access_key_id: str, params: dict[str, Any]) -> None:
        role = _role(params["RoleArn"])
        if role is None:
            return
        with self._lock:
            self._sessions[access_key_id] = AssumedSession(params["RoleArn"], role.id, params["RoleSessionName"])

    def session(self, access_key_id: str | None) -> AssumedSession | None:
        with self._lock:
            return self._sessions.get(access_key_id or "")

    def principal(self, session: AssumedSession) -> Principal:
        """The session's role with its policies now; a role deleted since (or replaced) allows nothing."""
        role = _role(session.role_arn)
        if role is None or role.id != session.role_id:
            return Principal(arn=session.role_arn, statements=(), session_name=session.session_name)
        documents = [_document(document) for document in role.policies.values()]
        for policy in role.managed_policies.values():
            (version,) = [v for v in policy.versions if v.version_id == policy.default_version_id]
            documents.append(_document(version.document))
        return _principal(session.role_arn, session.session_name, json.dumps(documents, sort_keys=True))

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()


ASSUMED_ROLES = AssumedRoles()
