"""EventBridge's cross-account (and cross-region) delivery, which moto does not play faithfully.

A spoke account's rule may target an event bus of another account or region (the hub's). EventBridge then
delivers the event itself to that bus: `id`, `time`, `account`, `region`, `source`, `resources` and
`detail` stay the spoke's, so the hub knows where the event happened. moto 5 does deliver to such a
target, but by a fresh PutEvents in the target account (`Rule.send_to_targets` in moto/events/models.py):
the delivered envelope has the hub's account and region, the delivery time and no resources.
`forward_events` stands in for the real delivery.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterable
from datetime import datetime
from typing import cast

from moto.events.models import EventsBackend, events_backends
from moto.events.utils import EventMessageType

from devtools.emulator.event_builders import Event

_BUS_ARN = re.compile(r"arn:aws:events:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):event-bus/(?P<name>[\w.\-/]+)")


def forward_events(events: Iterable[Event], bus_arn: str) -> int:
    """Deliver `events` (whole EventBridge envelopes, as `event_builders` makes them for a spoke) onto the
    bus `bus_arn` of another account or region, as EventBridge delivers to a cross-account event-bus
    target: the envelope kept as it is, each event sent to the targets of every enabled rule of that bus
    whose pattern matches it. Returns how many events were forwarded.

    It stands in for what moto lacks (see the module docstring); call it with the events a spoke's rule
    would send to the hub (the rule's own pattern is the caller's to apply). It reaches the in-process
    moto server's backend directly, as EventBridge delivers without a PutEvents call of the product. The
    hub bus's resource policy is not checked (moto does not enforce one either).
    """
    match = _BUS_ARN.fullmatch(bus_arn)
    if match is None:
        raise ValueError(f"not an event bus ARN: {bus_arn}")
    backend: EventsBackend = events_backends[match["account"]][match["region"]]
    bus = backend.describe_event_bus(match["name"])  # ResourceNotFoundException when the hub has no such bus
    forwarded = 0
    for event in events:
        delivered = copy.deepcopy(event)
        # moto keeps `time` as epoch seconds inside the service and formats it when delivering (to SQS).
        delivered["time"] = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).timestamp()
        delivered["ingestion-time"] = time.time()  # moto's input templates read it (not delivered)
        for rule in list(bus.rules.values()):
            if rule.state == "ENABLED":  # moto's own PutEvents delivers to disabled rules too
                rule.send_to_targets(cast(EventMessageType, copy.deepcopy(delivered)))
        forwarded += 1
    return forwarded
