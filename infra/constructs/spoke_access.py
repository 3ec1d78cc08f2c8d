"""What the hub's functions need to read their spokes (docs/multi-account.md): their environment's hub
scope, and leave to assume exactly the registered spokes' reader roles."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from automl_archive.contracts.settings import HubScope
from automl_archive.contracts.spoke import reader_role_arn
from infra.settings import ArchiveSettings


def hub_scope(settings: ArchiveSettings) -> HubScope:
    """The hub's own account and Region (the deploy's), and the registered spokes."""
    return HubScope(
        hub_account_id=Aws.ACCOUNT_ID,
        hub_region=Aws.REGION,
        hub_stack_name=settings.stack_name if settings.spokes else "",
        spokes=settings.spokes,
        spoke_external_id=settings.spoke_external_id,
        spoke_calls_per_second=settings.spoke_calls_per_second,
    )


def assume_reader_roles(settings: ArchiveSettings) -> list[iam.PolicyStatement]:
    """sts:AssumeRole on each registered spoke's reader role, by its exact ARN (resource type `role`:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html).
    None without spokes: a single-account hub assumes nothing."""
    if not settings.spokes:
        return []
    return [
        iam.PolicyStatement(
            sid="AssumeSpokeReaderRoles",
            actions=["sts:AssumeRole"],
            resources=[reader_role_arn(settings.stack_name, spoke.source, Aws.PARTITION) for spoke in settings.spokes],
        )
    ]
