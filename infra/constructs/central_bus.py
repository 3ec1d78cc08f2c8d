"""The hub's central bus (docs/multi-account.md): spokes forward their SageMaker events here; its policy
admits the organisation (`aws:PrincipalOrgID`) or the registered accounts, and nobody else."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from automl_archive.contracts.spoke import central_bus_name


class CentralBus(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        hub_stack_name: str,
        accounts: tuple[str, ...],
        organization_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        name = central_bus_name(hub_stack_name)
        self.bus = events.EventBus(self, "Bus", event_bus_name=name)
        # Built from the name: the bus's own policy cannot refer to its own attribute.
        bus_arn = Stack.of(self).format_arn(service="events", resource="event-bus", resource_name=name)
        # A forwarding rule in another account puts the event on this bus with events:PutEvents, as that
        # account: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
        if organization_id:
            statement = iam.PolicyStatement(
                sid="OrganizationPutsSpokeEvents",
                principals=[iam.AnyPrincipal()],
                actions=["events:PutEvents"],
                resources=[bus_arn],
                conditions={"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            )
        else:
            statement = iam.PolicyStatement(
                sid="SpokesPutEvents",
                principals=[iam.AccountPrincipal(account) for account in sorted(set(accounts))],
                actions=["events:PutEvents"],
                resources=[bus_arn],
            )
        # On the bus itself (its Policy property) rather than a separate AWS::Events::EventBusPolicy: one
        # resource, and moto's CloudFormation, which the local emulator deploys into, knows this one.
        bus_resource = self.bus.node.default_child
        assert isinstance(bus_resource, events.CfnEventBus)
        bus_resource.policy = {"Version": "2012-10-17", "Statement": [statement.to_statement_json()]}
