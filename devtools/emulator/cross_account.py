"""EventBridge's cross-account (and cross-region) delivery, which moto does not play faithfully.

A spoke account's rule may target an event bus of another account or region (the hub's). EventBridge then
delivers the event itself to that bus: `id`, `time`, `account`, `region`, `source`, `resources` and
`detail` stay the spoke's, so the hub knows where the event happened. moto 5 does deliver to such a
target, but by a fresh PutEvents in the target account (`Rule.send_to_targets` in moto/events/models.py):
the delivered envelope has the hub's account and region, the delivery time and no resources.

Two stand-ins: `forward_events` delivers given events onto a bus by hand, and `BUS_TARGETS` (installed
by `LocalAws.start`) makes moto's rules deliver to event-bus targets the same way.

Both enforce the receiving bus's resource policy, which moto keeps but never evaluates: an event from
another account is delivered only if a statement of the bus's policy allows that account
events:PutEvents on the bus, by account principal or by `aws:PrincipalOrgID` (the account's
organisation from `ORGANIZATIONS`), as EventBridge requires for a cross-account target
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html). A refused event is
not delivered; a rule's refused event goes to its target's dead-letter queue, as EventBridge sends an
event it could not deliver (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html),
and every refusal is kept in `REFUSED`.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from moto.events.models import EventBus, EventsBackend, Rule, events_backends
from moto.events.utils import EventMessageType
from moto.sqs.models import sqs_backends

_BUS_ARN = re.compile(r"arn:aws:events:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):event-bus/(?P<name>[\w.\-/]+)")


def _bus(bus_arn: str) -> EventBus:
    match = _BUS_ARN.fullmatch(bus_arn)
    if match is None:
        raise ValueError(f"not an event bus ARN: {bus_arn}")
    backend: EventsBackend = events_backends[match["account"]][match["region"]]
    return backend.describe_event_bus(match["name"])  # ResourceNotFoundException when there is no such bus


# The organisation each emulated account belongs to (account id -> organisation id), for the
# `aws:PrincipalOrgID` condition of a bus policy. An account not listed belongs to none.
ORGANIZATIONS: dict[str, str] = {}


@dataclass(frozen=True)
class Refusal:
    """An event the receiving bus's policy did not admit."""

    account: str
    bus_arn: str
    event_id: str
    detail_type: str


REFUSED: list[Refusal] = []
_REFUSED_LOCK = threading.Lock()


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str | dict) else list(value or [])


def _principal_admits(principal: Any, account: str) -> bool:
    if principal == "*":
        return True
    for value in _as_list(principal.get("AWS") if isinstance(principal, dict) else None):
        if value in ("*", account, f"arn:aws:iam::{account}:root"):
            return True
    return False


def _condition_admits(condition: dict[str, Any] | None, account: str) -> bool:
    """Only the condition a bus policy for spokes uses: StringEquals aws:PrincipalOrgID. Any other
    condition is refused rather than guessed."""
    if not condition:
        return True
    if set(condition) != {"StringEquals"} or set(condition["StringEquals"]) != {"aws:PrincipalOrgID"}:
        raise NotImplementedError(f"the emulator evaluates only StringEquals aws:PrincipalOrgID: {condition}")
    organisation = ORGANIZATIONS.get(account)
    return organisation is not None and organisation in _as_list(condition["StringEquals"]["aws:PrincipalOrgID"])


def admits(bus: EventBus, account: str) -> bool:
    """Whether `account` may put events on `bus`: its own account always, another only by the bus's
    policy (an explicit Deny for the account wins)."""
    if account == bus.account_id:
        return True
    allowed = False
    for statement in json.loads(bus.policy or '{"Statement": []}')["Statement"]:
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if not any(action in ("events:PutEvents", "events:*", "*") for action in actions):
            continue
        if resources and not any(resource in (bus.arn, "*") for resource in resources):
            continue
        if not _principal_admits(statement.get("Principal"), account):
            continue
        if not _condition_admits(statement.get("Condition"), account):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def _refused(event: dict[str, Any], bus: EventBus) -> bool:
    account = str(event.get("account", bus.account_id))
    if admits(bus, account):
        return False
    with _REFUSED_LOCK:
        REFUSED.append(Refusal(account, bus.arn, str(event.get("id", "")), str(event.get("detail-type", ""))))
    return True


def _to_dead_letter_queue(event: dict[str, Any], target: dict[str, Any]) -> None:
    """The refused event, as JSON, on the rule target's dead-letter queue (none: dropped)."""
    queue_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not queue_arn:
        return
    region, account, name = queue_arn.split(":")[3:6]
    delivered = dict(event)
    when = event.get("time")
    if isinstance(when, int | float):
        delivered["time"] = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    delivered.pop("ingestion-time", None)
    sqs_backends[account][region].send_message(name, json.dumps(delivered, default=str))


def _deliver(event: dict[str, Any], bus_arn: str) -> bool:
    """Send one event, as moto keeps it inside the service (`time` in epoch seconds), to the targets of
    every enabled rule of the bus whose pattern matches it; False when the bus's policy refuses the
    event's account (nothing delivered)."""
    bus = _bus(bus_arn)
    if _refused(event, bus):
        return False
    for rule in list(bus.rules.values()):
        if rule.state == "ENABLED":  # moto's own PutEvents delivers to disabled rules too
            rule.send_to_targets(cast(EventMessageType, copy.deepcopy(event)))
    return True


def forward_events(events: Iterable[dict[str, Any]], bus_arn: str) -> int:
    """Deliver `events` (whole EventBridge envelopes, as `event_builders` makes them for a spoke) onto the
    bus `bus_arn` of another account or region, as EventBridge delivers to a cross-account event-bus
    target: the envelope kept as it is, each event sent to the targets of every enabled rule of that bus
    whose pattern matches it. Returns how many events were forwarded (those the bus's policy admits).

    It stands in for what moto lacks (see the module docstring), for events a spoke's rule would send to
    the hub (the rule's own pattern is the caller's to apply). It reaches the in-process moto server's
    backend directly, as EventBridge delivers without a PutEvents call of the product. The hub bus's
    resource policy is enforced (see the module docstring).
    """
    _bus(bus_arn)  # a wrong ARN or a missing bus fails even with no events
    forwarded = 0
    for event in events:
        delivered = dict(event)
        # moto keeps `time` as epoch seconds inside the service and formats it when delivering (to SQS).
        delivered["time"] = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).timestamp()
        delivered["ingestion-time"] = time.time()  # moto's input templates read it (not delivered)
        forwarded += _deliver(delivered, bus_arn)
    return forwarded


class BusTargetDelivery:
    """Patches moto's `Rule.send_to_targets` so a rule's event-bus targets (the spoke stack's rules to the
    hub's bus) get the event with its envelope kept, through `_deliver`, instead of moto's re-put; the
    rule's other targets are left to moto. Installed and uninstalled once per `LocalAws` server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._original: Any = None

    @property
    def installed(self) -> bool:
        return self._original is not None

    def install(self) -> None:
        with self._lock:
            if self._original is not None:
                return
            original = self._original = Rule.__dict__["send_to_targets"]

            def send_to_targets(rule: Rule, original_event: EventMessageType, transform_input: bool = True) -> None:
                buses = [target for target in rule.targets if _BUS_ARN.fullmatch(target["Arn"])]
                if not buses:
                    original(rule, original_event, transform_input)
                    return
                if not rule.event_pattern.matches_event(original_event):
                    return
                others = [target for target in rule.targets if target not in buses]
                if others:
                    # A shallow copy with the other targets only: the rule itself is not changed under
                    # a concurrent PutTargets.
                    shadow = copy.copy(rule)
                    shadow.targets = others
                    original(shadow, original_event, transform_input)
                for target in buses:
                    if not _deliver(dict(original_event), target["Arn"]):
                        _to_dead_letter_queue(dict(original_event), target)

            setattr(Rule, "send_to_targets", send_to_targets)  # noqa: B010 (typed as a method)

    def uninstall(self) -> None:
        with self._lock:
            if self._original is not None:
                setattr(Rule, "send_to_targets", self._original)  # noqa: B010
                self._original = None


BUS_TARGETS = BusTargetDelivery()
