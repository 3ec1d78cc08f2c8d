"""EventBridge rules → SQS work queue, with per-rule dead-letter queues."""

from __future__ import annotations

from aws_cdk.assertions import Match

from .conftest import Synthesized, render

CHILD_JOB_DETAIL_TYPES = [
    "SageMaker Training Job State Change",
    "SageMaker HyperParameter Tuning Job State Change",
    "SageMaker Processing Job State Change",
    "SageMaker Transform Job State Change",
]


def _work_queue_id(synthesized: Synthesized) -> str:
    logical_id, _ = synthesized.only("AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
    return logical_id


def test_child_job_rule_matches_the_four_sagemaker_state_changes(synthesized: Synthesized) -> None:
    # Given the synthesized template
    # When the child-job rule is looked up by its pattern
    _, rule = synthesized.only(
        "AWS::Events::Rule", {"EventPattern": {"source": ["aws.sagemaker"], "detail-type": CHILD_JOB_DETAIL_TYPES}}
    )
    # Then it matches exactly the four documented detail types, on the default bus
    assert rule["Properties"]["EventPattern"] == {"source": ["aws.sagemaker"], "detail-type": CHILD_JOB_DETAIL_TYPES}
    assert "EventBusName" not in rule["Properties"]
    assert rule["Properties"]["State"] == "ENABLED"


def test_cloudtrail_rule_matches_automl_api_calls_only(synthesized: Synthesized) -> None:
    # Given the synthesized template
    # When the CloudTrail rule is looked up
    _, rule = synthesized.only("AWS::Events::Rule", {"EventPattern": {"detail-type": ["AWS API Call via CloudTrail"]}})
    # Then its pattern is limited to SageMaker's AutoML create/stop calls
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["sagemaker.amazonaws.com"],
            "eventName": ["CreateAutoMLJob", "CreateAutoMLJobV2", "StopAutoMLJob"],
        },
    }


def test_each_rule_delivers_the_whole_event_to_the_work_queue_with_its_own_dlq(synthesized: Synthesized) -> None:
    # Given both rules
    rules = synthesized.template.find_resources(
        "AWS::Events::Rule", {"Properties": {"EventPattern": Match.any_value()}}
    )
    assert len(rules) == 2
    work_queue = _work_queue_id(synthesized)
    dead_letter_queues = []
    for rule in rules.values():
        # When its single target is inspected
        (target,) = rule["Properties"]["Targets"]
        # Then it is the work queue, with no input transformation, a DLQ and the full retry budget
        assert render(target["Arn"]) == f"${{{work_queue}.Arn}}"
        assert not {"Input", "InputPath", "InputTransformer"} & target.keys()
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
        dead_letter_queues.append(render(target["DeadLetterConfig"]["Arn"]))
    # And the two DLQs are distinct queues, neither of them the work queue
    assert len(set(dead_letter_queues)) == 2
    assert f"${{{work_queue}.Arn}}" not in dead_letter_queues


def test_every_queue_is_sse_sqs_encrypted_with_14_day_retention(synthesized: Synthesized) -> None:
    # Given all queues (work queue, its DLQ, one DLQ per rule, the sweep's and the compaction's schedule DLQs)
    queues = synthesized.template.find_resources("AWS::SQS::Queue")
    # Then there are six, all SSE-SQS encrypted and keeping messages 14 days
    assert len(queues) == 6
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert "KmsMasterKeyId" not in queue["Properties"]
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_queue_denies_non_tls_access(synthesized: Synthesized) -> None:
    # Given every queue and every queue policy
    queue_ids = set(synthesized.template.find_resources("AWS::SQS::Queue"))
    protected: set[str] = set()
    for policy in synthesized.template.find_resources("AWS::SQS::QueuePolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        ):
            protected |= {render(q).strip("${}") for q in policy["Properties"]["Queues"]}
    # Then each queue has a TLS-only policy
    assert protected == queue_ids


def test_work_queue_redrives_to_its_dlq_and_outlasts_the_function(synthesized: Synthesized) -> None:
    # Given the work queue
    _, queue = synthesized.only("AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
    properties = queue["Properties"]
    # Then it redrives after the context's max_receive_count, to a DLQ that is not a rule DLQ
    assert properties["RedrivePolicy"]["maxReceiveCount"] == 4
    dlq = render(properties["RedrivePolicy"]["deadLetterTargetArn"])
    rule_dlqs = {
        render(rule["Properties"]["Targets"][0]["DeadLetterConfig"]["Arn"])
        for rule in synthesized.template.find_resources(
            "AWS::Events::Rule", {"Properties": {"EventPattern": Match.any_value()}}
        ).values()
    }
    assert dlq not in rule_dlqs
    # And its visibility timeout is six times the archiver timeout
    _, function = synthesized.function("automl_archive.handlers.archiver.lambda_handler")
    assert properties["VisibilityTimeout"] == 6 * function["Properties"]["Timeout"] == 360


def test_eventbridge_may_send_to_the_work_queue_only_from_the_two_rules(synthesized: Synthesized) -> None:
    # Given the work queue's policy
    work_queue = _work_queue_id(synthesized)
    (policy,) = [
        p
        for p in synthesized.template.find_resources("AWS::SQS::QueuePolicy").values()
        if [render(q) for q in p["Properties"]["Queues"]] == [f"${{{work_queue}}}"]
    ]
    # When the statements allowing EventBridge are collected
    allows = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and s.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
    # Then there is one per rule, each conditioned on that rule's ARN
    rule_arns = {
        f"${{{rule_id}.Arn}}"
        for rule_id in synthesized.template.find_resources(
            "AWS::Events::Rule", {"Properties": {"EventPattern": Match.any_value()}}
        )
    }
    assert {render(s["Condition"]["ArnEquals"]["aws:SourceArn"]) for s in allows} == rule_arns
