"""Monitoring: the operations topic, its alarms, the dashboard and their context settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import config
from infra.settings import ArchiveSettings, SettingsError

from .conftest import TEST_CONTEXT, Synthesized, render

STACK = TEST_CONTEXT["stack_name"]
SWEEP_INTERVAL_SECONDS = TEST_CONTEXT["sweep_interval_minutes"] * 60
DLQ_ALARMS = {
    "WorkQueueDeadLetterQueueHasMessages": "IngestDeadLetterQueue",
    "ChildJobStateChangeRuleDeadLetterQueueHasMessages": "IngestChildJobStateChangeRuleDeadLetterQueue",
    "AutoMLApiCallRuleDeadLetterQueueHasMessages": "IngestAutoMLApiCallRuleDeadLetterQueue",
    "SweepScheduleDeadLetterQueueHasMessages": "SweepScheduleDeadLetterQueue",
    "CompactionScheduleDeadLetterQueueHasMessages": "CompactionScheduleDeadLetterQueue",
}
ALARMS = {
    *DLQ_ALARMS,
    "ArchiverErrors",
    "SweepErrors",
    "CompactorErrors",
    "CompactionLag",
    "ArchiverThrottles",
    "WorkQueueAge",
    "SweepLag",
    "SweepNotRunning",
    "LeaderboardsUnavailable",
    "ArchiveLag",
    "StateChangeEventsDue",
}


def _ops_topic(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    return synthesized.only("AWS::SNS::Topic", {"DisplayName": "AutoML job archive operations"})


def _alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """Alarm properties by alarm name without the stack prefix."""
    found = synthesized.template.find_resources("AWS::CloudWatch::Alarm").values()
    return {a["Properties"]["AlarmName"].removeprefix(f"{STACK}-"): a["Properties"] for a in found}


def _logical_id_prefix(ref: Any) -> str:
    """The logical id a Ref/GetAtt points at, without CDK's 8-character hash."""
    value = render(ref)
    return value.strip("${}").split(".")[0][:-8]


# --- Settings ---------------------------------------------------------------------------------------


def test_monitoring_settings_default_and_parse() -> None:
    # Given no context, then a context with both settings
    defaults = ArchiveSettings.from_context({})
    parsed = ArchiveSettings.from_context(
        {"ops_emails": "a@example.com,b@example.org", "queue_age_alarm_seconds": "3600"}
    )
    # Then the defaults are no subscriber and 15 minutes, and command-line strings are accepted
    assert (defaults.ops_emails, defaults.queue_age_alarm_seconds) == ((), 900)
    assert (parsed.ops_emails, parsed.queue_age_alarm_seconds) == (("a@example.com", "b@example.org"), 3600)


@pytest.mark.parametrize(
    ("context", "expected_in_message"),
    [
        # nothing waits in the work queue by design; a minute is the shortest meaningful age
        ({"queue_age_alarm_seconds": 59}, "between 60 and 1209600"),
        ({"queue_age_alarm_seconds": 2_000_000}, "between 60 and 1209600"),
        ({"ops_emails": ["oncall"]}, "e-mail addresses"),
        ({"ops_emails": ["a@example.com", "a@example.com"]}, "each address at most once"),
    ],
)
def test_bad_monitoring_settings_are_rejected(context: dict[str, Any], expected_in_message: str) -> None:
    # Given a bad value, When parsed, Then the message names the key and what is expected
    with pytest.raises(SettingsError, match=expected_in_message) as error:
        ArchiveSettings.from_context(context)
    assert next(iter(context)) in str(error.value) or "queue_age_alarm_seconds" in str(error.value)


# --- Topic -------------------------------------------------------------------------------------------


def test_operations_topic_uses_its_own_rotating_key_that_cloudwatch_may_use(synthesized: Synthesized) -> None:
    # Given the operations topic and its key
    _, topic = _ops_topic(synthesized)
    key_id = render(topic["Properties"]["KmsMasterKeyId"]).removeprefix("${").removesuffix(".Arn}")
    key = synthesized.resources[key_id]
    # Then the key rotates and lets CloudWatch alarms encrypt messages for the topic, and nothing else
    assert key["Properties"]["EnableKeyRotation"] is True
    service_statements = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if "Service" in s.get("Principal", {})]
    assert service_statements == [
        {
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    ]
    # And it is not the alerts topic's key
    _, alerts_topic = synthesized.only("AWS::SNS::Topic", {"DisplayName": "AutoML job alerts"})
    assert alerts_topic["Properties"]["KmsMasterKeyId"] != topic["Properties"]["KmsMasterKeyId"]


def test_operations_topic_policy_is_tls_only_and_admits_this_accounts_alarms(synthesized: Synthesized) -> None:
    # Given the operations topic's policy
    topic_id, _ = _ops_topic(synthesized)
    policies = [
        p
        for p in synthesized.template.find_resources("AWS::SNS::TopicPolicy").values()
        if [render(t) for t in p["Properties"]["Topics"]] == [f"${{{topic_id}}}"]
    ]
    assert len(policies) == 1
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    # Then publishing without TLS is denied
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    # And CloudWatch may publish only for alarms of this account
    (grant,) = [s for s in statements if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert grant["Action"] == "sns:Publish"
    assert render(grant["Condition"]["StringEquals"]["aws:SourceAccount"]) == "${AWS::AccountId}"
    assert render(grant["Condition"]["ArnLike"]["aws:SourceArn"]) == (
        "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"
    )


def test_one_email_subscription_per_ops_address(synthesized: Synthesized) -> None:
    # Given the context's ops e-mail addresses
    topic_id, _ = _ops_topic(synthesized)
    subscriptions = [
        s["Properties"]
        for s in synthesized.template.find_resources("AWS::SNS::Subscription").values()
        if render(s["Properties"]["TopicArn"]) == f"${{{topic_id}}}"
    ]
    # Then each is subscribed by e-mail to the operations topic
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("email", address) for address in sorted(TEST_CONTEXT["ops_emails"])
    ]


# --- Alarms ------------------------------------------------------------------------------------------


def test_the_expected_alarms_exist_and_notify_the_topic_on_alarm_and_ok(synthesized: Synthesized) -> None:
    # Given every alarm
    alarms = _alarms(synthesized)
    topic_id, _ = _ops_topic(synthesized)
    # Then there is exactly the documented set
    assert set(alarms) == ALARMS
    for name, alarm in alarms.items():
        # And each notifies the operations topic when it fires and when it recovers
        assert [render(a) for a in alarm["AlarmActions"]] == [f"${{{topic_id}}}"], name
        assert [render(a) for a in alarm["OKActions"]] == [f"${{{topic_id}}}"], name
        # And says how to treat missing data, and where its runbook is
        assert alarm["TreatMissingData"] in {"notBreaching", "breaching"}, name
        assert "Runbook: docs/operations.md#" in alarm["AlarmDescription"], name
        assert alarm["DatapointsToAlarm"] == alarm["EvaluationPeriods"], name


def test_each_dead_letter_queue_alarms_on_one_visible_message(synthesized: Synthesized) -> None:
    alarms = _alarms(synthesized)
    for name, queue_id_prefix in DLQ_ALARMS.items():
        alarm = alarms[name]
        # Then it watches that queue's visible messages, from the first one
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        (dimension,) = alarm["Dimensions"]
        assert dimension["Name"] == "QueueName"
        assert _logical_id_prefix(dimension["Value"]) == queue_id_prefix
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Maximum",
            "GreaterThanOrEqualToThreshold",
            1,
        )
        assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (300, 1, "notBreaching")


@pytest.mark.parametrize(
    ("name", "metric", "function_prefix"),
    [
        ("ArchiverErrors", "Errors", "ArchiverFunction"),
        ("SweepErrors", "Errors", "SweepFunction"),
        ("CompactorErrors", "Errors", "CompactionFunction"),
        ("ArchiverThrottles", "Throttles", "ArchiverFunction"),
    ],
)
def test_function_errors_and_throttles_alarm_from_the_first(
    synthesized: Synthesized, name: str, metric: str, function_prefix: str
) -> None:
    alarm = _alarms(synthesized)[name]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", metric, "Sum")
    (dimension,) = alarm["Dimensions"]
    assert dimension["Name"] == "FunctionName"
    assert _logical_id_prefix(dimension["Value"]) == function_prefix
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (300, 1, "notBreaching")


def test_work_queue_age_alarm_uses_the_context_threshold(synthesized: Synthesized) -> None:
    alarm = _alarms(synthesized)["WorkQueueAge"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
    )
    assert _logical_id_prefix(alarm["Dimensions"][0]["Value"]) == "IngestWorkQueue"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "GreaterThanThreshold",
        TEST_CONTEXT["queue_age_alarm_seconds"],
    )
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (300, 2, "notBreaching")


def test_sweep_lag_alarm_fires_above_three_intervals_or_without_complete_passes(synthesized: Synthesized) -> None:
    alarm = _alarms(synthesized)["SweepLag"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AutoMLArchive",
        "SweepLagSeconds",
        "Maximum",
    )
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "automl-archive"}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 3 * SWEEP_INTERVAL_SECONDS)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (
        SWEEP_INTERVAL_SECONDS,
        2,
        "breaching",
    )


def test_compaction_lag_alarm_fires_after_three_hours_behind_or_without_runs(synthesized: Synthesized) -> None:
    alarm = _alarms(synthesized)["CompactionLag"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AutoMLArchive",
        "CompactionLagSeconds",
        "Maximum",
    )
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "automl-archive"}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 3 * 3600)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (3600, 3, "breaching")


def test_sweep_not_running_alarm_treats_two_intervals_without_invocations_as_breaching(
    synthesized: Synthesized,
) -> None:
    alarm = _alarms(synthesized)["SweepNotRunning"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", "Invocations", "Sum")
    assert _logical_id_prefix(alarm["Dimensions"][0]["Value"]) == "SweepFunction"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (
        SWEEP_INTERVAL_SECONDS,
        2,
        "breaching",
    )


def test_alarm_evaluation_ranges_are_within_cloudwatch_limits() -> None:
    # Given the extreme sweep intervals the settings allow
    for minutes in (1, 59, 60, 1440):
        period = minutes * 60
        # Then period x evaluation periods stays within one day below an hour, seven days above
        limit = 86_400 if period < 3600 else 604_800
        assert period * config.SWEEP_MISSING_ALARM_INTERVALS <= limit


# --- Dashboard ---------------------------------------------------------------------------------------


def _dashboard_body(synthesized: Synthesized) -> dict[str, Any]:
    _, dashboard = synthesized.only("AWS::CloudWatch::Dashboard")
    return json.loads(render(dashboard["Properties"]["DashboardBody"]))


def _graphs(synthesized: Synthesized) -> dict[str, list[list[Any]]]:
    """Each metric graph's title → its metric arrays."""
    return {
        w["properties"]["title"]: w["properties"]["metrics"]
        for w in _dashboard_body(synthesized)["widgets"]
        if w["type"] == "metric" and "metrics" in w["properties"]
    }


def _custom(metrics: list[list[Any]]) -> list[tuple[str, dict[str, str], str]]:
    """(metric name, dimensions, stat) of each AutoMLArchive metric in a graph."""
    found = []
    for entry in metrics:
        options = entry[-1] if isinstance(entry[-1], dict) else {}
        fields = entry[:-1] if options else entry
        if fields[0] != "AutoMLArchive":
            continue
        dimensions = dict(zip(fields[2::2], fields[3::2], strict=True))
        found.append((fields[1], dimensions, options.get("stat", "")))
    return found


def test_dashboard_is_named_after_the_stack(synthesized: Synthesized) -> None:
    _, dashboard = synthesized.only("AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == f"{STACK}-operations"


def test_dashboard_graphs_the_products_metrics(synthesized: Synthesized) -> None:
    graphs = _graphs(synthesized)
    service = {"service": "automl-archive"}
    assert _custom(graphs["Job states archived"]) == [("StatesArchived", service, "Sum")]
    assert _custom(graphs["Alerts sent"]) == [("AlertsSent", service, "Sum")]
    assert _custom(graphs["Leaderboards missed, records deferred"]) == [
        ("LeaderboardsUnavailable", service, "Sum"),
        ("RecordsDeferred", service, "Sum"),
    ]
    assert _custom(graphs["Describes vs skipped describes"]) == [
        ("Describes", service, "Sum"),
        ("DescribesSkipped", service, "Sum"),
    ]
    # one line per finished status
    assert _custom(graphs["Finished jobs by status"]) == [
        ("JobsFinished", {**service, "status": status}, "Sum") for status in ("Completed", "Failed", "Stopped")
    ]
    assert _custom(graphs["Sweep lag (s)"]) == [("SweepLagSeconds", service, "Maximum")]
    assert _custom(graphs["Jobs enqueued by sweeps"]) == [("SweepJobsEnqueued", service, "Sum")]


def test_dashboard_graphs_queues_and_the_archiver(synthesized: Synthesized) -> None:
    graphs = _graphs(synthesized)
    depths = graphs["Dead-letter queue depths"]
    assert [m[1] for m in depths] == ["ApproximateNumberOfMessagesVisible"] * len(DLQ_ALARMS)
    assert [m[0] for m in graphs["Work queue: age of oldest message (s)"]] == ["AWS/SQS"]
    archiver = graphs["Archiver duration and errors"]
    stats = sorted((m[1], m[-1].get("stat")) for m in archiver)
    assert stats == [("Duration", "p50"), ("Duration", "p99"), ("Errors", "Sum")]


def test_dashboard_shows_every_alarm_without_reading_alarm_attributes(synthesized: Synthesized) -> None:
    # Given the alarm status widget
    (widget,) = [w for w in _dashboard_body(synthesized)["widgets"] if "alarms" in w["properties"]]
    # Then it lists every alarm by an ARN built from its name (moto cannot resolve an alarm's GetAtt)
    expected = {
        f"arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{STACK}-{n}" for n in ALARMS
    }
    assert set(widget["properties"]["alarms"]) == expected
    _, dashboard = synthesized.only("AWS::CloudWatch::Dashboard")
    alarm_ids = set(synthesized.template.find_resources("AWS::CloudWatch::Alarm"))
    assert not any(f'"Fn::GetAtt": ["{alarm_id}"' in json.dumps(dashboard) for alarm_id in alarm_ids)
    assert not any(f'"Ref": "{alarm_id}"' in json.dumps(dashboard) for alarm_id in alarm_ids)


def test_outputs_name_the_topic_and_the_dashboard(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    topic_id, _ = _ops_topic(synthesized)
    dashboard_id, _ = synthesized.only("AWS::CloudWatch::Dashboard")
    assert render(outputs["OperationsTopicArn"]["Value"]) == f"${{{topic_id}}}"
    assert render(outputs["DashboardName"]["Value"]) == f"${{{dashboard_id}}}"


def test_every_alarm_links_to_a_runbook_section_that_exists(synthesized: Synthesized) -> None:
    # Given the runbook page and each alarm's description
    runbook = (config.PROJECT_ROOT / "docs" / "operations.md").read_text()
    for name, alarm in _alarms(synthesized).items():
        anchor = alarm["AlarmDescription"].rsplit("#", 1)[1]
        # Then the anchor exists and the page names the alarm
        assert f'<a id="{anchor}"></a>' in runbook, name
        assert f"`{name}`" in runbook, name


def test_leaderboards_unavailable_alarm_fires_when_finished_jobs_keep_missing_their_leaderboard(
    synthesized: Synthesized,
) -> None:
    alarm = _alarms(synthesized)["LeaderboardsUnavailable"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AutoMLArchive",
        "LeaderboardsUnavailable",
        "Sum",
    )
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3600, 3, 3)
    assert alarm["TreatMissingData"] == "notBreaching"


def test_archive_lag_alarm_fires_when_the_p95_stays_above_five_minutes(synthesized: Synthesized) -> None:
    alarm = _alarms(synthesized)["ArchiveLag"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["ExtendedStatistic"]) == (
        "AutoMLArchive",
        "ArchiveLagSeconds",
        "p95",
    )
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 300)
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (300, 3, 3)
    assert alarm["TreatMissingData"] == "notBreaching"
    graphs = _graphs(synthesized)
    assert [m[0] for m in _custom(graphs["Archive lag: LastModifiedTime to archived (s)"])] == ["ArchiveLagSeconds"] * 3


def test_state_change_events_alarm_fires_when_events_stay_due_or_one_is_dropped(synthesized: Synthesized) -> None:
    alarm = _alarms(synthesized)["StateChangeEventsDue"]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    (result,) = [query for query in queries.values() if query.get("ReturnData", True) and "Expression" in query]
    assert result["Expression"] == "IF(FILL(due, 0) > 0, 1, 0) + FILL(dropped, 0)"
    stats = {
        key: (q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Stat"])
        for key, q in queries.items()
        if key != result["Id"]
    }
    # Jobs with an event due at every pass of the period (Minimum), or any event dropped (Sum)
    assert stats == {"due": ("SweepEventsDue", "Minimum"), "dropped": ("StateChangeEventsDropped", "Sum")}
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["TreatMissingData"]) == (3, 3, "notBreaching")
    graphs = _graphs(synthesized)
    assert [m[0] for m in _custom(graphs["AutoML Job State Change events (docs/events.md)"])] == [
        "StateChangeEventsPublished",
        "StateChangeEventsFailed",
        "StateChangeEventsDropped",
        "SweepEventsDue",
    ]
