"""EventBridge's cross-account (and cross-region) delivery, which moto does not play faithfully.

A spoke account's rule may target an event bus of another account or region (the hub's). EventBridge then
delivers the event itself to that bus: `id`, `time`, `account`, `region`, `source`, `resources` and
`detail` stay the spoke's, so the hub knows where the event happened. moto 5 does deliver to such a
target, but by a fresh PutEvents in the target account (`Rule.send_to_targets` in moto/events/models.py):
the delivered envelope has the hub's account and region, the delivery time and no resources.

Two stand-ins: `forward_events` delivers given events onto a bus by hand, and `BUS_TARGETS` (installed
by `LocalAws.start`) makes moto's rules deliver to event-bus targets the same way.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from moto.events.models import EventBus, EventsBackend, Rule, events_backends
from moto.events.utils import EventMessageType

_BUS_ARN = re.compile(r"arn:aws:events:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):event-bus/(?P<name>[\w.\-/]+)")


def _bus(bus_arn: str) -> EventBus:
    match = _BUS_ARN.fullmatch(bus_arn)
    if match is None:
        raise ValueError(f"not an event bus ARN: {bus_arn}")
    backend: EventsBackend = events_backends[match["account"]][match["region"]]
    return backend.describe_event_bus(match["name"])  # ResourceNotFoundException when there is no such bus


def _deliver(event: dict[str, Any], bus_arn: str) -> None:
    """Send one event, as moto keeps it inside the service (`time` in epoch seconds), to the targets of
    every enabled rule of the bus whose pattern matches it."""
    bus = _bus(bus_arn)
    for rule in list(bus.rules.values()):
        if rule.state == "ENABLED":  # moto's own PutEvents delivers to disabled rules too
            rule.send_to_targets(cast(EventMessageType, copy.deepcopy(event)))


def forward_events(events: Iterable[dict[str, Any]], bus_arn: str) -> int:
    """Deliver `events` (whole EventBridge envelopes, as `event_builders` makes them for a spoke) onto the
    bus `bus_arn` of another account or region, as EventBridge delivers to a cross-account event-bus
    target: the envelope kept as it is, each event sent to the targets of every enabled rule of that bus
    whose pattern matches it. Returns how many events were forwarded.

    It stands in for what moto lacks (see the module docstring), for events a spoke's rule would send to
    the hub (the rule's own pattern is the caller's to apply). It reaches the in-process moto server's
    backend directly, as EventBridge delivers without a PutEvents call of the product. The hub bus's
    resource policy is not checked (moto does not enforce one either).
    """
    _bus(bus_arn)  # a wrong ARN or a missing bus fails even with no events
    forwarded = 0
    for event in events:
        delivered = dict(event)
        # moto keeps `time` as epoch seconds inside the service and formats it when delivering (to SQS).
        delivered["time"] = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).timestamp()
        delivered["ingestion-time"] = time.time()  # moto's input templates read it (not delivered)
        _deliver(delivered, bus_arn)
        forwarded += 1
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
                    _deliver(dict(original_event), target["Arn"])

            setattr(Rule, "send_to_targets", send_to_targets)  # noqa: B010 (typed as a method)

    def uninstall(self) -> None:
        with self._lock:
            if self._original is not None:
                setattr(Rule, "send_to_targets", self._original)  # noqa: B010
                self._original = None


BUS_TARGETS = BusTargetDelivery()
