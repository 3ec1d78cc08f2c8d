"""The bus the AutoML Job State Change event goes to (docs/events.md): the account's default bus, a bus
this stack creates, or an existing bus named by its ARN. Only its ARN leaves this construct: the
archiver's role may put events on that one bus."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_events as events
from constructs import Construct

from infra.settings import StateChangeEventBus


class StateChangeBus(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, bus: StateChangeEventBus) -> None:
        super().__init__(scope, construct_id)
        self.bus: events.EventBus | None = None
        if bus.arn is not None:
            self.bus_arn = bus.arn
        elif bus.is_default:
            self.bus_arn = Stack.of(self).format_arn(service="events", resource="event-bus", resource_name=bus.name)
        else:
            self.bus = events.EventBus(self, "Bus", event_bus_name=bus.name)
            self.bus_arn = self.bus.event_bus_arn
