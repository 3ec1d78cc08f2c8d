"""The product's own EventBridge schema registry, holding the AutoML Job State Change event's schema.

The schema comes from `automl_archive.contracts.state_change_event`, the one definition of the event,
so the console shows its shape and code bindings can be downloaded
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-schema-registry.html).
"""

from __future__ import annotations

import json

from aws_cdk import aws_eventschemas as eventschemas
from constructs import Construct

from automl_archive.contracts.state_change_event import DETAIL_TYPE, SCHEMA_NAME, openapi_schema


def registry_name(stack_name: str) -> str:
    return f"{stack_name}-events"


class EventSchema(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stack_name: str) -> None:
        super().__init__(scope, construct_id)
        name = registry_name(stack_name)
        self.registry = eventschemas.CfnRegistry(
            self,
            "Registry",
            registry_name=name,
            description="Events the AutoML job archive publishes",
        )
        # Schema type: OpenAPI 3 or JSONSchema Draft 4 (AWS::EventSchemas::Schema Type); OpenAPI 3 is the
        # form EventBridge's code bindings read.
        self.schema = eventschemas.CfnSchema(
            self,
            "Schema",
            # The name, not Fn::GetAtt: moto's CloudFormation skips AWS::EventSchemas resources and
            # rejects a template that reads their attributes, and the stack must deploy in the emulator.
            registry_name=name,
            schema_name=SCHEMA_NAME,
            type="OpenApi3",
            content=json.dumps(openapi_schema(), sort_keys=True),
            description=f"{DETAIL_TYPE} (docs/events.md)",
        )
        self.schema.add_dependency(self.registry)
