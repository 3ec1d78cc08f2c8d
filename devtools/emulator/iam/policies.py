"""Identity-based policies and their evaluation: statements, principals, decisions."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from devtools.emulator.aws import ACCOUNT_ID
from devtools.emulator.iam.errors import IamEmulationError


class Decision(Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


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
