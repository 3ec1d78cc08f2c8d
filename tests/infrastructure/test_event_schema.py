"""The stack's own EventBridge schema registry holds the AutoML Job State Change event's schema."""

from __future__ import annotations

import json

from automl_archive.contracts.state_change_event import SCHEMA_NAME, openapi_schema
from infra.constructs.event_schema import registry_name

from .conftest import TEST_CONTEXT, Synthesized


def test_one_registry_named_after_the_stack(synthesized: Synthesized) -> None:
    _, registry = synthesized.only("AWS::EventSchemas::Registry")
    assert registry["Properties"]["RegistryName"] == registry_name(TEST_CONTEXT["stack_name"])


def test_the_schema_is_the_contracts_openapi_document_in_that_registry(synthesized: Synthesized) -> None:
    registry_id, _ = synthesized.only("AWS::EventSchemas::Registry")
    _, schema = synthesized.only("AWS::EventSchemas::Schema")
    properties = schema["Properties"]
    assert properties["RegistryName"] == registry_name(TEST_CONTEXT["stack_name"])
    assert registry_id in schema["DependsOn"]
    assert (properties["SchemaName"], properties["Type"]) == (SCHEMA_NAME, "OpenApi3")
    # The deployed content is exactly the event's one definition (no copy to drift)
    assert json.loads(properties["Content"]) == openapi_schema()
