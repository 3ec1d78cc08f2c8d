"""The AutoML job archive stack: composes one construct per concern and publishes its outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from automl_archive.contracts import stack_outputs as outputs
from automl_archive.contracts.spoke import encode_spokes
from datalake.names import athena_workgroup_name, glue_database_name
from infra import config
from infra.constructs.alerts import Alerts
from infra.constructs.archiver import TIMEOUT, Archiver, ArchiverResources
from infra.constructs.central_bus import CentralBus
from infra.constructs.chat_channels import ChatChannels
from infra.constructs.compaction import LakeCompaction
from infra.constructs.datalake import DataLake
from infra.constructs.event_bus import StateChangeBus
from infra.constructs.event_schema import EventSchema
from infra.constructs.function import build_dependencies_layer
from infra.constructs.ingest import Ingest
from infra.constructs.monitored import MonitoredResources
from infra.constructs.monitoring import Monitoring
from infra.constructs.storage import Storage
from infra.constructs.sweep import ReconcileSweep
from infra.settings import ArchiveSettings


class AutoMLJobArchiveStack(Stack):
    """Storage, alerts, ingest (rules → queue), the archiver and sweep functions, data lake, monitoring."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: ArchiveSettings, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Archives SageMaker AutoML job states to DynamoDB and S3 and alerts on failures",
            **kwargs,
        )
        # The KMS key is left untagged: moto 5.2's CloudFormation reads AWS::KMS::Key Tags as the KMS
        # API's TagKey/TagValue and fails on CloudFormation's Key/Value, so a tagged key cannot deploy
        # into the local emulator.
        self.settings = settings
        Tags.of(self).add(config.TAG_KEY, config.PROJECT_NAME, exclude_resource_types=["AWS::KMS::Key"])

        self.storage = Storage(self, "Storage")
        self.alerts = Alerts(self, "Alerts", emails=settings.alert_emails)
        # The spokes' bus (docs/multi-account.md), only when the hub admits spokes.
        self.central_bus = (
            CentralBus(
                self,
                "CentralBus",
                hub_stack_name=settings.stack_name,
                accounts=tuple(spoke.source.account_id for spoke in settings.spokes),
                organization_id=settings.spoke_organization_id,
            )
            if settings.admits_spokes
            else None
        )
        self.ingest = Ingest(
            self,
            "Ingest",
            consumer_timeout=TIMEOUT,
            max_receive_count=settings.work_queue_max_receive_count,
            central_bus=self.central_bus.bus if self.central_bus else None,
        )
        self.dependencies_layer = build_dependencies_layer(self, "DependenciesLayer")
        self.state_change_bus = (
            StateChangeBus(self, "StateChangeBus", bus=settings.state_change_event_bus)
            if settings.state_change_event_bus
            else None
        )
        self.archiver = Archiver(
            self,
            "Archiver",
            resources=ArchiverResources(
                table=self.storage.table,
                archive_bucket=self.storage.archive_bucket,
                alerts_topic=self.alerts.topic,
                alerts_key=self.alerts.key,
                work_queue=self.ingest.work_queue,
                state_change_event_bus_arn=self.state_change_bus.bus_arn if self.state_change_bus else None,
            ),
            settings=settings,
            layer=self.dependencies_layer,
        )
        self.sweep = ReconcileSweep(
            self,
            "Sweep",
            table=self.storage.table,
            work_queue=self.ingest.work_queue,
            settings=settings,
            layer=self.dependencies_layer,
        )
        self.datalake = DataLake(
            self,
            "DataLake",
            archive_bucket=self.storage.archive_bucket,
            database_name=glue_database_name(settings.stack_name),
            workgroup_name=athena_workgroup_name(settings.stack_name),
            bytes_scanned_cutoff_per_query=settings.athena_bytes_scanned_cutoff,
            start_date=settings.datalake_start_date,
        )
        self.compaction = LakeCompaction(
            self,
            "Compaction",
            archive_bucket=self.storage.archive_bucket,
            database_name=self.datalake.database_name,
            workgroup_name=self.datalake.workgroup_name,
            settings=settings,
            layer=self.dependencies_layer,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            resources=MonitoredResources(
                archiver=self.archiver.function,
                sweep=self.sweep.function,
                compactor=self.compaction.function,
                work_queue=self.ingest.work_queue,
                dead_letter_queues={
                    "WorkQueueDeadLetterQueue": self.ingest.dead_letter_queue,
                    **{f"{rule}DeadLetterQueue": queue for rule, queue in self.ingest.rule_dead_letter_queues.items()},
                    "SweepScheduleDeadLetterQueue": self.sweep.dead_letter_queue,
                    "CompactionScheduleDeadLetterQueue": self.compaction.dead_letter_queue,
                },
            ),
            settings=settings,
        )
        self.event_schema = EventSchema(self, "EventSchema", stack_name=settings.stack_name)
        if settings.slack or settings.teams:
            self.chat_channels = ChatChannels(
                self,
                "ChatChannels",
                stack_name=settings.stack_name,
                topics={"alerts": self.alerts.topic, "operations": self.monitoring.topic},
                slack=settings.slack,
                teams=settings.teams,
            )
        self._build_outputs()

    def _output(self, logical_id: str, value: str, description: str) -> None:
        output = CfnOutput(self, logical_id, value=value, description=description)
        output.override_logical_id(logical_id)

    def _queue_outputs(self, names: outputs.QueueOutputs, queue: sqs.IQueue, description: str) -> None:
        self._output(names.url, queue.queue_url, description)
        self._output(names.arn, queue.queue_arn, f"{description} (ARN)")

    def _build_outputs(self) -> None:
        """Every name comes from `automl_archive.contracts.stack_outputs`, which the CLI reads them by."""
        work_queue = self.ingest.work_queue
        self._output(outputs.WORK_QUEUE_URL, work_queue.queue_url, "SQS work queue the rules feed")
        self._output(outputs.WORK_QUEUE_ARN, work_queue.queue_arn, "SQS work queue ARN")
        # One pair per dead-letter queue, so `automl-archive redrive` can drain every one of them.
        self._queue_outputs(
            outputs.WORK_QUEUE_DEAD_LETTER_QUEUE, self.ingest.dead_letter_queue, "Messages the archiver gave up on"
        )
        for rule_id, queue in self.ingest.rule_dead_letter_queues.items():
            self._queue_outputs(
                outputs.rule_dead_letter_queue(rule_id), queue, f"Events the {rule_id} could not deliver"
            )
        self._queue_outputs(
            outputs.SWEEP_SCHEDULE_DEAD_LETTER_QUEUE,
            self.sweep.dead_letter_queue,
            "Sweep schedule events EventBridge could not deliver to the sweep function",
        )
        self._queue_outputs(
            outputs.COMPACTION_SCHEDULE_DEAD_LETTER_QUEUE,
            self.compaction.dead_letter_queue,
            "Compaction schedule events EventBridge could not deliver to the compaction function",
        )
        self._output(outputs.JOBS_TABLE_NAME, self.storage.table.table_name, "Latest state per AutoML job")
        self._output(outputs.ARCHIVE_BUCKET_NAME, self.storage.archive_bucket.bucket_name, "Raw answers and JSON Lines")
        self._output(outputs.ALERTS_TOPIC_ARN, self.alerts.topic.topic_arn, "Subscribe here for failure alerts")
        self._output(outputs.ALERTS_KEY_ARN, self.alerts.key.key_arn, "KMS key of the alerts topic")
        self._output(outputs.ARCHIVER_FUNCTION_NAME, self.archiver.function.function_name, "The archiver Lambda")
        self._output(outputs.SWEEP_FUNCTION_NAME, self.sweep.function.function_name, "The scheduled reconcile sweep")
        self._output(
            outputs.COMPACTION_FUNCTION_NAME,
            self.compaction.function.function_name,
            "The hourly data-lake compaction (automl-archive compact runs it now)",
        )
        self._output(outputs.GLUE_DATABASE_NAME, self.datalake.database_name, "Glue database of the archive's tables")
        self._output(
            outputs.ATHENA_WORKGROUP_NAME, self.datalake.workgroup_name, "Athena workgroup with the named queries"
        )
        self._output(
            outputs.OPERATIONS_TOPIC_ARN, self.monitoring.topic.topic_arn, "Subscribe here for the operations alarms"
        )
        if self.state_change_bus is not None:
            self._output(
                outputs.STATE_CHANGE_EVENT_BUS_ARN,
                self.state_change_bus.bus_arn,
                "Where the AutoML Job State Change event is published (docs/events.md)",
            )
        if self.settings.spokes:
            self._output(
                outputs.SPOKES,
                encode_spokes(self.settings.spokes),
                "The registered spokes (<account>:<region>[:<alias>])",
            )
        if self.central_bus:
            self._output(
                outputs.CENTRAL_BUS_ARN,
                self.central_bus.bus.event_bus_arn,
                "The bus spokes forward their SageMaker events to (docs/multi-account.md)",
            )
        self._output(
            outputs.DASHBOARD_NAME, self.monitoring.dashboard.dashboard_name, "CloudWatch operations dashboard"
        )
