"""Monitoring: the operations topic and the alarms that notify it (the dashboard: dashboard.py).

Alarms watch what an operator must act on: messages in any dead-letter queue, function errors and
throttles, a work queue that stops draining, and a reconcile sweep that stops running or falls
behind. Each alarm notifies the operations topic when it goes to ALARM and again when it is OK.
The runbook for each alarm is docs/operations.md (the alarm description names its section).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from automl_archive.contracts.metric_names import (
    ARCHIVE_LAG_SECONDS,
    COMPACTION_LAG_SECONDS,
    LEADERBOARDS_UNAVAILABLE,
    MESSAGES_FROM_UNREGISTERED_SOURCES,
    STATE_CHANGE_EVENTS_DROPPED,
    SWEEP_EVENTS_DUE,
    SWEEP_LAG_SECONDS,
    SWEEP_SPOKE_FAILURES,
)
from infra import config
from infra.constructs.alerts import subscribe_emails
from infra.constructs.dashboard import build_dashboard, custom_metric
from infra.constructs.monitored import RUNBOOK, MonitoredResources
from infra.settings import ArchiveSettings

_CLOUDWATCH = "cloudwatch.amazonaws.com"
_Op = cloudwatch.ComparisonOperator
_Missing = cloudwatch.TreatMissingData


class Monitoring(Construct):
    """Operations topic (own rotating key, TLS-only), e-mail subscriptions, alarms, dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resources: MonitoredResources,
        settings: ArchiveSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self._resources = resources
        self._settings = settings
        self._prefix = settings.stack_name
        self._period = Duration.seconds(config.ALARM_PERIOD_SECONDS)
        self._sweep_interval = Duration.minutes(settings.sweep_interval_minutes)
        self.key = self._build_key()
        self.topic = self._build_topic(self.key)
        self._build_subscriptions(self.topic, settings.ops_emails)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self._build_alarms()
        self.dashboard = build_dashboard(
            self,
            resources,
            settings,
            alarm_arns={name: self._alarm_arn(name) for name in self.alarms},
            sweep_interval=self._sweep_interval,
        )

    # --- Topic ------------------------------------------------------------------------------------

    def _build_key(self) -> kms.Key:
        key = kms.Key(
            self,
            "OperationsKey",
            description="Encrypts the AutoML job archive operations topic",
            enable_key_rotation=True,
        )
        # CloudWatch alarms publish to an encrypted topic only if the key lets them use it; this key
        # encrypts nothing but the operations topic.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(_CLOUDWATCH)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        return key

    def _build_topic(self, key: kms.IKey) -> sns.Topic:
        topic = sns.Topic(
            self,
            "Topic",
            display_name="AutoML job archive operations",
            master_key=key,
            enforce_ssl=True,
        )
        # The topic policy CDK creates (for enforce_ssl) replaces SNS's default policy, so the
        # alarms of this account need an explicit grant.
        stack = Stack.of(self)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(_CLOUDWATCH)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        return topic

    def _build_subscriptions(self, topic: sns.ITopic, emails: Sequence[str]) -> None:
        subscribe_emails(
            topic,
            emails,
            why_no_dead_letter_queue="The endpoint is a person's mailbox, and every notification is an alarm "
            "state change that CloudWatch keeps in the alarm's history; a dead-letter queue for undelivered "
            "e-mails would be a second copy nobody reads.",
        )

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        missing: cloudwatch.TreatMissingData,
        what: str,
        runbook: str,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"{name}Alarm",
            alarm_name=self._alarm_name(name),
            alarm_description=f"{what} Runbook: {RUNBOOK}#{runbook}",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            treat_missing_data=missing,
        )
        action = cloudwatch_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms[name] = alarm
        return alarm

    def _alarm_arn(self, name: str) -> str:
        # An ARN built from the alarm's name, not Fn::GetAtt: moto's CloudFormation cannot create
        # AWS::CloudWatch::Alarm and rejects a template that reads one's attributes, and the stack must
        # deploy into the local emulator.
        return Stack.of(self).format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name=self._alarm_name(name),
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _alarm_name(self, name: str) -> str:
        return f"{self._prefix}-{name}"

    def _build_alarms(self) -> None:
        res, settings = self._resources, self._settings
        for queue_name, queue in res.dead_letter_queues.items():
            self._alarm(
                f"{queue_name}HasMessages",
                queue.metric_approximate_number_of_messages_visible(period=self._period, statistic="Maximum"),
                threshold=1,
                comparison=_Op.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                # An empty, idle queue may publish no datapoint; that is the healthy state.
                missing=_Missing.NOT_BREACHING,
                what=f"The {queue_name} holds messages the archive gave up on.",
                runbook="dead-letter-queues",
            )
        for function_name, function in (("Archiver", res.archiver), ("Sweep", res.sweep), ("Compactor", res.compactor)):
            self._alarm(
                f"{function_name}Errors",
                function.metric_errors(period=self._period, statistic="Sum"),
                threshold=1,
                comparison=_Op.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                missing=_Missing.NOT_BREACHING,  # no invocation, no error
                what=f"The {function_name.lower()} function failed (an invocation raised or timed out).",
                runbook=f"{function_name.lower()}-errors",
            )
        self._alarm(
            "ArchiverThrottles",
            res.archiver.metric_throttles(period=self._period, statistic="Sum"),
            threshold=1,
            comparison=_Op.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            missing=_Missing.NOT_BREACHING,
            what="Lambda throttled the archiver (account or function concurrency exhausted).",
            runbook="archiver-throttles",
        )
        self._alarm(
            "WorkQueueAge",
            res.work_queue.metric_approximate_age_of_oldest_message(period=self._period, statistic="Maximum"),
            threshold=settings.queue_age_alarm_seconds,
            comparison=_Op.GREATER_THAN_THRESHOLD,
            missing=_Missing.NOT_BREACHING,  # an idle queue publishes nothing
            evaluation_periods=config.QUEUE_AGE_ALARM_EVALUATION_PERIODS,
            what=f"The oldest work-queue message is older than {settings.queue_age_alarm_seconds} s "
            "(nothing waits there by design: messages are failing or the archiver is behind).",
            runbook="work-queue-age",
        )
        lag_threshold = config.SWEEP_LAG_ALARM_INTERVALS * self._sweep_interval.to_seconds()
        self._alarm(
            "SweepLag",
            custom_metric(SWEEP_LAG_SECONDS, "Maximum", self._sweep_interval),
            threshold=lag_threshold,
            comparison=_Op.GREATER_THAN_THRESHOLD,
            # Only a complete pass reports its lag; sweeps that run but never complete report
            # nothing, and two intervals without a report are treated as lagging.
            missing=_Missing.BREACHING,
            evaluation_periods=config.SWEEP_MISSING_ALARM_INTERVALS,
            what=f"No complete reconcile sweep in {config.SWEEP_MISSING_ALARM_INTERVALS} intervals, or "
            f"a sweep's watermark was more than {int(lag_threshold)} s old.",
            runbook="sweep-lag",
        )
        compaction_period = Duration.minutes(config.COMPACTION_INTERVAL_MINUTES)
        self._alarm(
            "CompactionLag",
            custom_metric(COMPACTION_LAG_SECONDS, "Maximum", compaction_period),
            threshold=config.COMPACTION_LAG_ALARM_SECONDS,
            comparison=_Op.GREATER_THAN_THRESHOLD,
            # Every run reports its lag as it starts (0 on the first), failed runs too; no report at all
            # means the compaction is not running.
            missing=_Missing.BREACHING,
            evaluation_periods=config.COMPACTION_LAG_ALARM_PERIODS,
            what=f"No data-lake compaction ran in {config.COMPACTION_LAG_ALARM_PERIODS} hourly periods, or each "
            f"started from a watermark more than {config.COMPACTION_LAG_ALARM_SECONDS} s old.",
            runbook="compaction-lag",
        )
        self._alarm(
            "ArchiveLag",
            custom_metric(ARCHIVE_LAG_SECONDS, "p95"),
            threshold=config.ARCHIVE_LAG_ALARM_SECONDS,
            comparison=_Op.GREATER_THAN_THRESHOLD,
            missing=_Missing.NOT_BREACHING,  # no state archived, nothing late
            evaluation_periods=config.ARCHIVE_LAG_ALARM_EVALUATION_PERIODS,
            what=f"The p95 of ArchiveLagSeconds (a state's LastModifiedTime to its archive) stayed above "
            f"{config.ARCHIVE_LAG_ALARM_SECONDS} s for {config.ARCHIVE_LAG_ALARM_EVALUATION_PERIODS} periods.",
            runbook="archive-lag",
        )
        self._alarm(
            "LeaderboardsUnavailable",
            custom_metric(LEADERBOARDS_UNAVAILABLE, "Sum", Duration.hours(1)),
            threshold=1,
            comparison=_Op.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            missing=_Missing.NOT_BREACHING,  # reported only when a leaderboard was missed
            evaluation_periods=config.LEADERBOARDS_UNAVAILABLE_ALARM_HOURS,
            what=f"Finished jobs were archived without their candidate leaderboard in each of "
            f"{config.LEADERBOARDS_UNAVAILABLE_ALARM_HOURS} consecutive hours (ListCandidatesForAutoMLJob "
            "denied, refused or failing).",
            runbook="leaderboards-unavailable",
        )
        if settings.state_change_event_bus is not None:
            self._alarm(
                "StateChangeEventsDue",
                cloudwatch.MathExpression(
                    # Jobs still holding an event the bus has not accepted, at every pass of a period; or an
                    # event dropped because one job had too many due.
                    expression="IF(FILL(due, 0) > 0, 1, 0) + FILL(dropped, 0)",
                    using_metrics={
                        "due": custom_metric(SWEEP_EVENTS_DUE, "Minimum"),
                        "dropped": custom_metric(STATE_CHANGE_EVENTS_DROPPED, "Sum"),
                    },
                    period=self._period,
                    label="Events due all period, or dropped",
                ),
                threshold=1,
                comparison=_Op.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                missing=_Missing.NOT_BREACHING,  # no pass reported, nothing dropped: SweepNotRunning watches that
                evaluation_periods=config.STATE_CHANGE_EVENTS_DUE_ALARM_PERIODS,
                what=f"AutoML Job State Change events stayed due (the bus refused or failed them) for "
                f"{config.STATE_CHANGE_EVENTS_DUE_ALARM_PERIODS} periods, or an event was dropped.",
                runbook="state-change-events-due",
            )
        if settings.admits_spokes:
            self._alarm(
                "SpokesNotSwept",
                custom_metric(SWEEP_SPOKE_FAILURES, "Sum"),
                threshold=1,
                comparison=_Op.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                missing=_Missing.NOT_BREACHING,  # reported only when a spoke failed
                evaluation_periods=config.SPOKE_FAILURE_ALARM_PERIODS,
                what=f"A registered spoke could not be swept in each of {config.SPOKE_FAILURE_ALARM_PERIODS} "
                "periods (its reader role deleted or changed, its Region disabled, or SageMaker throttling).",
                runbook="spokes-not-swept",
            )
            self._alarm(
                "MessagesFromUnregisteredSources",
                custom_metric(MESSAGES_FROM_UNREGISTERED_SOURCES, "Sum", Duration.hours(1)),
                threshold=1,
                comparison=_Op.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                missing=_Missing.NOT_BREACHING,
                what="Events about jobs in an account or Region that is not a registered spoke reached the "
                "archiver; they were acknowledged and nothing was read there.",
                runbook="messages-from-unregistered-sources",
            )
        self._alarm(
            "SweepNotRunning",
            res.sweep.metric_invocations(period=self._sweep_interval, statistic="Sum"),
            threshold=1,
            comparison=_Op.LESS_THAN_THRESHOLD,
            missing=_Missing.BREACHING,  # the schedule invoked nothing: no datapoint at all
            evaluation_periods=config.SWEEP_MISSING_ALARM_INTERVALS,
            what=f"The reconcile sweep did not run in {config.SWEEP_MISSING_ALARM_INTERVALS} consecutive "
            f"{self._settings.sweep_interval_minutes}-minute intervals.",
            runbook="sweep-not-running",
        )
