"""The operations dashboard: what the archive did, how fresh it is, and where it is stuck."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from automl_archive.contracts.job_status import FINISHED_JOB_STATUSES
from automl_archive.contracts.metric_names import (
    ALERTS_SENT,
    ARCHIVE_LAG_SECONDS,
    DESCRIBES,
    DESCRIBES_SKIPPED,
    JOBS_FINISHED,
    JOBS_FINISHED_DIMENSION,
    LEADERBOARDS_UNAVAILABLE,
    METRICS_NAMESPACE,
    RECORDS_DEFERRED,
    SERVICE_DIMENSION,
    SERVICE_NAME,
    STATE_CHANGE_EVENTS_DROPPED,
    STATE_CHANGE_EVENTS_FAILED,
    STATE_CHANGE_EVENTS_PUBLISHED,
    STATES_ARCHIVED,
    SWEEP_EVENTS_DUE,
    SWEEP_JOBS_ENQUEUED,
    SWEEP_LAG_SECONDS,
)
from infra import config
from infra.constructs.monitored import RUNBOOK, MonitoredResources
from infra.settings import ArchiveSettings


def custom_metric(
    name: str,
    statistic: str,
    period: Duration | None = None,
    extra_dimensions: Mapping[str, str] | None = None,
    label: str | None = None,
) -> cloudwatch.Metric:
    """A metric the functions emit (Powertools EMF: namespace AutoMLArchive, dimension service)."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={SERVICE_DIMENSION: SERVICE_NAME, **(extra_dimensions or {})},
        statistic=statistic,
        period=period or Duration.seconds(config.ALARM_PERIOD_SECONDS),
        label=label,
    )


def build_dashboard(
    scope: Construct,
    res: MonitoredResources,
    settings: ArchiveSettings,
    *,
    alarm_arns: Mapping[str, str],
    sweep_interval: Duration,
) -> cloudwatch.Dashboard:
    """The operations dashboard, in `scope` (the Monitoring construct: its ids stay as deployed)."""
    count = custom_metric
    period = Duration.seconds(config.ALARM_PERIOD_SECONDS)
    width = 8  # three graphs per row (24 columns)

    def graph(
        title: str,
        left: Sequence[cloudwatch.IMetric],
        right: Sequence[cloudwatch.IMetric] = (),
        left_annotations: Sequence[cloudwatch.HorizontalAnnotation] = (),
    ) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title=title,
            left=list(left),
            right=list(right),
            left_annotations=list(left_annotations),
            width=width,
            height=6,
        )

    alarms = [cloudwatch.Alarm.from_alarm_arn(scope, f"{name}AlarmRef", arn) for name, arn in alarm_arns.items()]
    dashboard = cloudwatch.Dashboard(
        scope,
        "Dashboard",
        dashboard_name=config.dashboard_name(settings.stack_name),
        default_interval=Duration.days(1),
    )
    dashboard.add_widgets(
        cloudwatch.TextWidget(
            markdown=f"# AutoML job archive — operations\nAlarms notify the operations topic; "
            f"what each means and what to do: `{RUNBOOK}` in the project repository.",
            width=24,
            height=2,
        )
    )
    dashboard.add_widgets(cloudwatch.AlarmStatusWidget(alarms=alarms, title="Alarms", width=24, height=3))
    dashboard.add_widgets(
        graph("Job states archived", [count(STATES_ARCHIVED, "Sum", label=STATES_ARCHIVED)]),
        graph(
            "Finished jobs by status",
            [
                count(JOBS_FINISHED, "Sum", extra_dimensions={JOBS_FINISHED_DIMENSION: status}, label=status)
                for status in FINISHED_JOB_STATUSES
            ],
        ),
        graph("Alerts sent", [count(ALERTS_SENT, "Sum", label=ALERTS_SENT)]),
    )
    dashboard.add_widgets(
        graph(
            "Describes vs skipped describes",
            [
                count(DESCRIBES, "Sum", label=DESCRIBES),
                count(DESCRIBES_SKIPPED, "Sum", label=DESCRIBES_SKIPPED),
            ],
        ),
        graph(
            "Dead-letter queue depths",
            [
                queue.metric_approximate_number_of_messages_visible(
                    period=period, statistic="Maximum", label=queue_name
                )
                for queue_name, queue in res.dead_letter_queues.items()
            ],
        ),
        graph(
            "Archiver duration and errors",
            [
                res.archiver.metric_duration(period=period, statistic="p50", label="Duration p50"),
                res.archiver.metric_duration(period=period, statistic="p99", label="Duration p99"),
            ],
            right=[res.archiver.metric_errors(period=period, statistic="Sum", label="Errors")],
        ),
    )
    dashboard.add_widgets(
        graph(
            "Work queue: age of oldest message (s)",
            [
                res.work_queue.metric_approximate_age_of_oldest_message(
                    period=period, statistic="Maximum", label="Age of oldest message"
                )
            ],
            left_annotations=[
                cloudwatch.HorizontalAnnotation(value=settings.queue_age_alarm_seconds, label="WorkQueueAge alarm")
            ],
        ),
        graph(
            "Sweep lag (s)",
            [count(SWEEP_LAG_SECONDS, "Maximum", sweep_interval, label=SWEEP_LAG_SECONDS)],
            left_annotations=[
                cloudwatch.HorizontalAnnotation(
                    value=config.SWEEP_LAG_ALARM_INTERVALS * sweep_interval.to_seconds(),
                    label="SweepLag alarm",
                )
            ],
        ),
        graph(
            "Jobs enqueued by sweeps",
            [count(SWEEP_JOBS_ENQUEUED, "Sum", sweep_interval, label=SWEEP_JOBS_ENQUEUED)],
        ),
    )
    dashboard.add_widgets(
        graph(
            "Archive lag: LastModifiedTime to archived (s)",
            [count(ARCHIVE_LAG_SECONDS, stat, label=f"{stat}") for stat in ("p50", "p95", "Maximum")],
            left_annotations=[
                cloudwatch.HorizontalAnnotation(value=config.ARCHIVE_LAG_ALARM_SECONDS, label="ArchiveLag alarm")
            ],
        ),
        graph(
            "Leaderboards missed, records deferred",
            [
                count(LEADERBOARDS_UNAVAILABLE, "Sum", label=LEADERBOARDS_UNAVAILABLE),
                count(RECORDS_DEFERRED, "Sum", label=RECORDS_DEFERRED),
            ],
        ),
        graph(
            "AutoML Job State Change events (docs/events.md)",
            [
                count(name, "Sum", label=name)
                for name in (STATE_CHANGE_EVENTS_PUBLISHED, STATE_CHANGE_EVENTS_FAILED, STATE_CHANGE_EVENTS_DROPPED)
            ],
            right=[count(SWEEP_EVENTS_DUE, "Maximum", sweep_interval, label="Jobs with an event due")],
        ),
    )
    return dashboard
