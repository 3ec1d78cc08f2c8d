"""The spoke stack's deploy-time settings (docs/multi-account.md), from CDK context.

A spoke is synthesized only when `spoke_hub_account` is set; the default app is the single-account
stack, unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from automl_archive.contracts import stack_outputs
from automl_archive.contracts.job_identity import ACCOUNT_ID as _ACCOUNT
from automl_archive.contracts.job_identity import REGION as _REGION
from automl_archive.contracts.spoke import EXTERNAL_ID, LONGEST_HUB_STACK_NAME, central_bus_name
from infra.settings import SettingsError

_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_BUS_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,256}$")
SPOKE_STACK_SUFFIX = "-spoke"


def _fail(key: str, value: Any, expected: str) -> SettingsError:
    return SettingsError(f"CDK context '{key}' = {value!r} is invalid: expected {expected}.")


@dataclass(frozen=True)
class SpokeSettings:
    hub_account: str
    hub_region: str
    hub_bus_name: str
    external_id: str
    hub_stack_name: str = stack_outputs.DEFAULT_STACK_NAME

    @property
    def stack_name(self) -> str:
        return f"{self.hub_stack_name}{SPOKE_STACK_SUFFIX}"

    @property
    def hub_bus_arn(self) -> str:
        return f"arn:aws:events:{self.hub_region}:{self.hub_account}:event-bus/{self.hub_bus_name}"

    @classmethod
    def from_context(cls, context: Mapping[str, Any] | Callable[[str], Any]) -> SpokeSettings | None:
        """None when no spoke is asked for (`spoke_hub_account` absent)."""
        get: Callable[[str], Any] = context.get if isinstance(context, Mapping) else context
        account = get("spoke_hub_account")
        if account in (None, ""):
            return None
        hub_stack = get("stack_name") or stack_outputs.DEFAULT_STACK_NAME
        # The hub's central bus is named after its stack (contracts/spoke.py), unless given.
        bus_name = get("spoke_hub_bus_name") or (central_bus_name(hub_stack) if isinstance(hub_stack, str) else None)
        checks = {
            "spoke_hub_account": (account, _ACCOUNT, "the hub's 12-digit AWS account id"),
            "spoke_hub_region": (get("spoke_hub_region"), _REGION, "the hub's Region, like eu-west-1"),
            "spoke_hub_bus_name": (bus_name, _BUS_NAME, "the name of the hub's central event bus"),
            "spoke_external_id": (get("spoke_external_id"), EXTERNAL_ID, "2 to 1,224 of [A-Za-z0-9+=,.@:/_-]"),
        }
        for key, (value, pattern, expected) in checks.items():
            if not isinstance(value, str) or not pattern.match(value):
                raise _fail(key, value, expected)
        valid = isinstance(hub_stack, str) and _STACK_NAME.match(hub_stack) is not None
        if not valid or len(hub_stack) > LONGEST_HUB_STACK_NAME:
            raise _fail(
                "stack_name",
                hub_stack,
                f"the hub's stack name, at most {LONGEST_HUB_STACK_NAME} characters (the spoke's reader role is "
                "named after it and must fit IAM's 64)",
            )
        return cls(
            hub_account=account,
            hub_region=get("spoke_hub_region"),
            hub_bus_name=str(bus_name),
            external_id=get("spoke_external_id"),
            hub_stack_name=hub_stack,
        )
