"""The emulator plays several AWS accounts and regions at once: a hub and its spokes.

Each Autopilot simulator plays one account and region; requests are routed by the account moto derives
from the request's access key and the region of its signature. Clients act in another account through
moto's STS AssumeRole (`LocalAws.client_as`), and events cross accounts with `forward_events`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError
from moto.sqs.models import sqs_backends

from devtools.emulator.autopilot.moto_patch import played_sources
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import ACCOUNT_ID, REGION, LocalAws
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.cross_account import BUS_TARGETS, ORGANIZATIONS, REFUSED, forward_events
from devtools.emulator.event_builders import Event
from devtools.emulator.events import put_event_entry
from devtools.emulator.limits import as_aws_service

ACCOUNT_A, REGION_1 = "111111111111", "eu-west-1"
ACCOUNT_B, REGION_2 = "222222222222", "ap-southeast-2"
SHARED_NAME = "churn"  # the same job name in both spokes
NO_RETRIES = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


def error_of(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def sagemaker_as(aws: LocalAws, account_id: str, region: str) -> Any:
    return aws.client_as("sagemaker", account_id, region, config=NO_RETRIES)


@pytest.fixture
def spokes(fresh_aws: LocalAws, simulated_clock: SimulatedClock) -> Iterator[tuple[AutopilotSimulator, ...]]:
    """Spoke A (eu-west-1) and spoke B (ap-southeast-2), each with a job named `churn`: A's completes,
    B's fails."""
    spoke_a = AutopilotSimulator(clock=simulated_clock, account_id=ACCOUNT_A, region=REGION_1).install()
    spoke_b = AutopilotSimulator(clock=simulated_clock, account_id=ACCOUNT_B, region=REGION_2).install()
    try:
        spoke_a.create_job(SHARED_NAME, candidates=2)
        spoke_b.create_job(SHARED_NAME, candidates=3, problem_type="Regression")
        spoke_a.run_to_completion(SHARED_NAME)
        spoke_b.fail(SHARED_NAME, reason="ClientError: no data")
        yield spoke_a, spoke_b
    finally:
        spoke_a.uninstall()
        spoke_b.uninstall()


def test_colliding_names_answer_per_account_and_region(
    fresh_aws: LocalAws, spokes: tuple[AutopilotSimulator, ...]
) -> None:
    # Given the same job name in two spokes, When each spoke's own client describes it
    in_a = sagemaker_as(fresh_aws, ACCOUNT_A, REGION_1).describe_auto_ml_job(AutoMLJobName=SHARED_NAME)
    in_b = sagemaker_as(fresh_aws, ACCOUNT_B, REGION_2).describe_auto_ml_job(AutoMLJobName=SHARED_NAME)

    # Then each answers its own job, every ARN naming its own account and region
    assert in_a["AutoMLJobStatus"] == "Completed"
    assert in_a["AutoMLJobArn"] == f"arn:aws:sagemaker:{REGION_1}:{ACCOUNT_A}:automl-job/{SHARED_NAME}"
    assert in_a["RoleArn"].startswith(f"arn:aws:iam::{ACCOUNT_A}:role/")
    assert in_a["OutputDataConfig"]["S3OutputPath"].startswith(f"s3://sagemaker-{REGION_1}-{ACCOUNT_A}/")
    step_arns = [step["CandidateStepArn"] for step in in_a["BestCandidate"]["CandidateSteps"]]
    assert step_arns and all(arn.startswith(f"arn:aws:sagemaker:{REGION_1}:{ACCOUNT_A}:") for arn in step_arns)
    assert in_b["AutoMLJobStatus"] == "Failed" and in_b["FailureReason"] == "ClientError: no data"
    assert in_b["AutoMLJobArn"] == f"arn:aws:sagemaker:{REGION_2}:{ACCOUNT_B}:automl-job/{SHARED_NAME}"
    assert in_b["ProblemType"] == "Regression"


def test_child_jobs_answer_in_their_own_account(fresh_aws: LocalAws, spokes: tuple[AutopilotSimulator, ...]) -> None:
    # Given A's completed job, When a candidate's training job is described in A and in B
    spoke_a, _spoke_b = spokes
    training = next(c for c in spoke_a.children.values() if c.kind == "training" and c.tuning_job_arn)
    in_a = sagemaker_as(fresh_aws, ACCOUNT_A, REGION_1).describe_training_job(TrainingJobName=training.name)
    candidates = sagemaker_as(fresh_aws, ACCOUNT_A, REGION_1).list_candidates_for_auto_ml_job(
        AutoMLJobName=SHARED_NAME
    )["Candidates"]

    # Then A answers with A's ARNs; B, which never ran that training job, does not know it (moto's own answer)
    assert in_a["TrainingJobArn"] == f"arn:aws:sagemaker:{REGION_1}:{ACCOUNT_A}:training-job/{training.name.lower()}"
    assert in_a["AutoMLJobArn"] == spoke_a.job(SHARED_NAME).arn
    assert in_a["TuningJobArn"].startswith(f"arn:aws:sagemaker:{REGION_1}:{ACCOUNT_A}:hyper-parameter-tuning-job/")
    assert len(candidates) == 2
    code, status = error_of(
        lambda: sagemaker_as(fresh_aws, ACCOUNT_B, REGION_2).describe_training_job(TrainingJobName=training.name)
    )
    assert status == 400, code


def test_an_account_and_region_nobody_plays_has_no_jobs(
    fresh_aws: LocalAws, spokes: tuple[AutopilotSimulator, ...]
) -> None:
    # Given spoke A plays eu-west-1 only, When a client of A in ap-southeast-2 (and the default account) asks
    for sm in (sagemaker_as(fresh_aws, ACCOUNT_A, REGION_2), fresh_aws.client("sagemaker", config=NO_RETRIES)):
        # Then the job is not found and nothing is listed, as SageMaker answers an account without jobs
        assert error_of(lambda sm=sm: sm.describe_auto_ml_job(AutoMLJobName=SHARED_NAME)) == ("ResourceNotFound", 400)
        assert error_of(lambda sm=sm: sm.describe_auto_ml_job_v2(AutoMLJobName=SHARED_NAME)) == (
            "ResourceNotFound",
            400,
        )
        assert error_of(lambda sm=sm: sm.list_candidates_for_auto_ml_job(AutoMLJobName=SHARED_NAME)) == (
            "ResourceNotFound",
            400,
        )
        assert sm.list_auto_ml_jobs()["AutoMLJobSummaries"] == []
    # And the spokes' simulators did not count those calls as theirs
    assert all(spoke.calls["DescribeAutoMLJob"] == 0 for spoke in spokes)


def test_each_source_lists_only_its_own_jobs(fresh_aws: LocalAws, spokes: tuple[AutopilotSimulator, ...]) -> None:
    # Given a second job in A only
    spoke_a, _spoke_b = spokes
    spoke_a.create_job("a-only")

    # When each spoke lists its AutoML jobs
    listed_a = sagemaker_as(fresh_aws, ACCOUNT_A, REGION_1).list_auto_ml_jobs()["AutoMLJobSummaries"]
    listed_b = sagemaker_as(fresh_aws, ACCOUNT_B, REGION_2).list_auto_ml_jobs()["AutoMLJobSummaries"]

    # Then each lists its own, with its own ARNs and statuses
    assert sorted((s["AutoMLJobName"], s["AutoMLJobStatus"]) for s in listed_a) == [
        ("a-only", "InProgress"),
        (SHARED_NAME, "Completed"),
    ]
    assert all(f":{REGION_1}:{ACCOUNT_A}:" in s["AutoMLJobArn"] for s in listed_a)
    assert [(s["AutoMLJobName"], s["AutoMLJobStatus"]) for s in listed_b] == [(SHARED_NAME, "Failed")]
    assert f":{REGION_2}:{ACCOUNT_B}:" in listed_b[0]["AutoMLJobArn"]


def test_events_carry_their_simulators_account_and_region(simulated_clock: SimulatedClock) -> None:
    # Given a spoke simulator and a default one (events need no moto server)
    spoke = AutopilotSimulator(clock=simulated_clock, account_id=ACCOUNT_B, region=REGION_2)
    default = AutopilotSimulator(clock=simulated_clock)
    for simulator in (spoke, default):
        simulator.create_job(SHARED_NAME)

    # When each job runs and is stopped, with its CloudTrail events
    for simulator in (spoke, default):
        account, region = simulator.account_id, simulator.region
        events = [simulator.creation_event(SHARED_NAME), *simulator.run_to_completion(SHARED_NAME)]
        simulator.create_job("stopped")
        events += simulator.request_stop("stopped")

        # Then every envelope, resource and CloudTrail record names the simulator's own account and region
        assert events and all((e["account"], e["region"]) == (account, region) for e in events)
        resources = [arn for e in events for arn in e["resources"]]
        assert resources and all(arn.startswith(f"arn:aws:sagemaker:{region}:{account}:") for arn in resources)
        trails = [e["detail"] for e in events if e["detail-type"] == "AWS API Call via CloudTrail"]
        assert [t["eventName"] for t in trails] == ["CreateAutoMLJob", "StopAutoMLJob"]
        for trail in trails:
            assert (trail["recipientAccountId"], trail["awsRegion"]) == (account, region)
            assert trail["userIdentity"]["accountId"] == account
            assert trail["userIdentity"]["arn"].startswith(f"arn:aws:sts::{account}:assumed-role/")
        assert trails[0]["responseElements"]["autoMLJobArn"] == simulator.job(SHARED_NAME).arn
    assert (default.account_id, default.region) == (ACCOUNT_ID, REGION)


def test_uninstalling_one_spoke_leaves_the_other_serving(
    fresh_aws: LocalAws, spokes: tuple[AutopilotSimulator, ...]
) -> None:
    # Given both spokes installed, When the first one installed is uninstalled
    spoke_a, spoke_b = spokes
    spoke_a.uninstall()

    # Then A's job is gone from A, while B still answers its own
    sm_a, sm_b = sagemaker_as(fresh_aws, ACCOUNT_A, REGION_1), sagemaker_as(fresh_aws, ACCOUNT_B, REGION_2)
    assert error_of(lambda: sm_a.describe_auto_ml_job(AutoMLJobName=SHARED_NAME)) == ("ResourceNotFound", 400)
    assert sm_b.describe_auto_ml_job(AutoMLJobName=SHARED_NAME)["AutoMLJobStatus"] == "Failed"
    assert played_sources() == [(ACCOUNT_B, REGION_2)]

    # And once B is uninstalled too, moto's own (unimplemented: HTTP 500) DescribeAutoMLJob is back
    spoke_b.uninstall()
    assert played_sources() == []
    assert error_of(lambda: sm_b.describe_auto_ml_job(AutoMLJobName=SHARED_NAME))[1] == 500


def test_a_later_simulator_of_the_same_source_serves_until_uninstalled(
    fresh_aws: LocalAws, simulated_clock: SimulatedClock
) -> None:
    # Given two simulators of the default source installed one after the other (as tests nest them)
    sm = fresh_aws.client("sagemaker", config=NO_RETRIES)
    with AutopilotSimulator(clock=simulated_clock) as outer:
        outer.create_job("outer-job")
        with AutopilotSimulator(clock=simulated_clock) as inner:
            inner.create_job("inner-job")
            # Then the latest installed answers
            assert [s["AutoMLJobName"] for s in sm.list_auto_ml_jobs()["AutoMLJobSummaries"]] == ["inner-job"]
        # And the earlier one answers again once the later one is gone
        assert [s["AutoMLJobName"] for s in sm.list_auto_ml_jobs()["AutoMLJobSummaries"]] == ["outer-job"]


def test_source_must_be_an_account_id_and_a_region() -> None:
    with pytest.raises(ValueError, match="12 digits"):
        AutopilotSimulator(account_id="1234")
    with pytest.raises(ValueError, match="region"):
        AutopilotSimulator(account_id=ACCOUNT_A, region="Europe")


# ------------------------------------------------------------ clients acting in another account


def test_client_as_acts_in_the_other_account(fresh_aws: LocalAws) -> None:
    # Given a client of account B obtained through STS AssumeRole (with an ExternalId, as the hub's)
    credentials = fresh_aws.credentials_as(ACCOUNT_B, role_name="AutoMLArchiveReader", external_id="hub-secret")
    sts_b = fresh_aws.client("sts", **credentials)
    sqs_b = fresh_aws.client_as("sqs", ACCOUNT_B)

    # When it asks who it is and creates a queue
    identity = sts_b.get_caller_identity()
    queue_url = sqs_b.create_queue(QueueName="spoke-queue")["QueueUrl"]

    # Then it is the assumed role of B, and the queue lives in B's backend, not the default account's
    assert identity["Account"] == ACCOUNT_B
    assert identity["Arn"].startswith(f"arn:aws:sts::{ACCOUNT_B}:assumed-role/AutoMLArchiveReader/")
    assert fresh_aws.client_as("sts", ACCOUNT_A).get_caller_identity()["Account"] == ACCOUNT_A
    assert f"/{ACCOUNT_B}/spoke-queue" in queue_url
    assert "spoke-queue" in sqs_backends[ACCOUNT_B][REGION].queues
    assert "spoke-queue" not in sqs_backends[ACCOUNT_ID][REGION].queues
    assert fresh_aws.client("sqs").list_queues().get("QueueUrls", []) == []


# ------------------------------------------------------------ cross-account EventBridge delivery

HUB_BUS = "central-ml"
HUB_BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{HUB_BUS}"


def hub_bus(aws: LocalAws, policy: dict[str, Any] | None = None) -> None:
    """The hub's bus, whose policy admits spokes A and B by account (or `policy`)."""
    events = aws.client("events")
    events.create_event_bus(Name=HUB_BUS)
    statement = {
        "Sid": "Spokes",
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT_A}:root", f"arn:aws:iam::{ACCOUNT_B}:root"]},
        "Action": "events:PutEvents",
        "Resource": HUB_BUS_ARN,
    }
    document = policy or {"Version": "2012-10-17", "Statement": [statement]}
    events.put_permission(EventBusName=HUB_BUS, Policy=json.dumps(document))


def hub_inbox(aws: LocalAws, name: str, pattern: dict[str, Any]) -> str:
    """A queue in the hub fed by a rule of the hub's bus; returns its URL."""
    sqs, events = aws.client("sqs"), aws.client("events")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=HUB_BUS, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=HUB_BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return str(queue_url)


def received(aws: LocalAws, queue_url: str) -> list[Event]:
    sqs = aws.client("sqs")
    bodies: list[Event] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def spoke_rule_to_hub(aws: LocalAws, simulated_clock: SimulatedClock, extra_targets: list[Any]) -> tuple[Any, Event]:
    """Spoke B's rule on its default bus targeting the hub's bus (as the spoke stack's rules), and one
    child-job event of B; returns B's events client and the event."""
    spoke_events = aws.client_as("events", ACCOUNT_B, REGION_2)
    spoke_events.put_rule(Name="to-hub", EventPattern=json.dumps({"source": ["aws.sagemaker"]}))
    spoke_events.put_targets(Rule="to-hub", Targets=[{"Id": "hub", "Arn": HUB_BUS_ARN}, *extra_targets])
    spoke = AutopilotSimulator(clock=simulated_clock, account_id=ACCOUNT_B, region=REGION_2)
    spoke.create_job(SHARED_NAME)
    simulated_clock.advance(90)
    (event,) = spoke.analyze_data(SHARED_NAME)
    return spoke_events, event


def put_in_spoke(spoke_events: Any, event: Event) -> None:
    with as_aws_service():  # the emulator's limits refuse "aws." sources from customers
        answer = spoke_events.put_events(Entries=[put_event_entry(event)])
    assert answer["FailedEntryCount"] == 0


def test_moto_alone_delivers_to_a_cross_account_bus_but_rewrites_the_envelope(
    fresh_aws: LocalAws, simulated_clock: SimulatedClock
) -> None:
    # Given the hub's bus with a rule to a queue, spoke B's rule targeting the hub's bus, and moto's own
    # delivery (the emulator's stand-in uninstalled for this test)
    hub_bus(fresh_aws)
    inbox = hub_inbox(fresh_aws, "hub-inbox", {"source": ["aws.sagemaker"]})
    spoke_events, event = spoke_rule_to_hub(fresh_aws, simulated_clock, [])
    BUS_TARGETS.uninstall()
    try:
        # When a SageMaker event is put on B's default bus
        put_in_spoke(spoke_events, event)
    finally:
        BUS_TARGETS.install()

    # Then moto does deliver it to the hub, but as the hub's own event: the spoke's account, region and
    # resources are lost (what the stand-ins are for; if this starts failing, moto got better)
    (delivered,) = received(fresh_aws, inbox)
    assert delivered["detail"] == event["detail"]
    assert (delivered["account"], delivered["region"]) == (ACCOUNT_ID, REGION)
    assert delivered["resources"] == []


def test_spoke_rules_deliver_to_the_hub_bus_with_the_spokes_envelope(
    fresh_aws: LocalAws, simulated_clock: SimulatedClock
) -> None:
    # Given the hub's bus (admitting A and B) with a rule to a queue, and spoke B's rule targeting both
    # the hub's bus and a queue of B's own
    hub_bus(fresh_aws)
    inbox = hub_inbox(fresh_aws, "hub-inbox", {"source": ["aws.sagemaker"]})
    spoke_sqs = fresh_aws.client_as("sqs", ACCOUNT_B, REGION_2)
    spoke_queue = spoke_sqs.create_queue(QueueName="spoke-copy")["QueueUrl"]
    spoke_queue_arn = f"arn:aws:sqs:{REGION_2}:{ACCOUNT_B}:spoke-copy"
    spoke_events, event = spoke_rule_to_hub(fresh_aws, simulated_clock, [{"Id": "copy", "Arn": spoke_queue_arn}])

    # When a SageMaker event is put on B's default bus (the emulator's stand-in installed, as always)
    assert BUS_TARGETS.installed
    put_in_spoke(spoke_events, event)

    # Then the hub receives B's event as EventBridge delivers it (B's account, region, resources and
    # time) and B's own queue target still gets its copy
    (delivered,) = received(fresh_aws, inbox)
    assert {key: delivered[key] for key in ("account", "region", "resources", "time", "detail")} == {
        key: event[key] for key in ("account", "region", "resources", "time", "detail")
    }
    copies = spoke_sqs.receive_message(QueueUrl=spoke_queue)["Messages"]
    assert [json.loads(m["Body"])["account"] for m in copies] == [ACCOUNT_B]


def test_forward_events_keeps_the_spokes_envelope(fresh_aws: LocalAws, simulated_clock: SimulatedClock) -> None:
    # Given the hub's bus with a rule for spoke B's events and one for spoke A's
    hub_bus(fresh_aws)
    from_b = hub_inbox(fresh_aws, "from-b", {"source": ["aws.sagemaker"], "account": [ACCOUNT_B]})
    from_a = hub_inbox(fresh_aws, "from-a", {"source": ["aws.sagemaker"], "account": [ACCOUNT_A]})
    spoke = AutopilotSimulator(clock=simulated_clock, account_id=ACCOUNT_B, region=REGION_2)
    spoke.create_job(SHARED_NAME)
    simulated_clock.advance(90)
    events = [spoke.creation_event(SHARED_NAME), *spoke.analyze_data(SHARED_NAME)]

    # When B's events are forwarded to the hub's bus
    assert forward_events(events, HUB_BUS_ARN) == 2

    # Then the hub's rule for B receives them with B's envelope intact; the rule for A receives nothing
    delivered = received(fresh_aws, from_b)
    assert sorted(delivered, key=lambda e: e["id"]) == sorted(events, key=lambda e: e["id"])
    assert received(fresh_aws, from_a) == []


def test_forward_events_to_a_missing_bus_fails_loudly(fresh_aws: LocalAws, simulated_clock: SimulatedClock) -> None:
    spoke = AutopilotSimulator(clock=simulated_clock, account_id=ACCOUNT_B, region=REGION_2)
    spoke.create_job(SHARED_NAME)
    with pytest.raises(Exception, match="does not exist"):
        forward_events([spoke.creation_event(SHARED_NAME)], HUB_BUS_ARN)
    with pytest.raises(ValueError, match="not an event bus ARN"):
        forward_events([], "arn:aws:sqs:us-east-1:123456789012:queue")


def test_the_hub_bus_refuses_an_account_its_policy_does_not_admit(
    fresh_aws: LocalAws, simulated_clock: SimulatedClock
) -> None:
    # Given the hub's bus admitting account A only, and spoke B's rule to it with a dead-letter queue
    refused_before = len(REFUSED)
    only_a = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_A}:root"},
                "Action": "events:PutEvents",
                "Resource": HUB_BUS_ARN,
            }
        ],
    }
    hub_bus(fresh_aws, only_a)
    inbox = hub_inbox(fresh_aws, "hub-inbox", {"source": ["aws.sagemaker"]})
    spoke_sqs = fresh_aws.client_as("sqs", ACCOUNT_B, REGION_2)
    dead_letters = spoke_sqs.create_queue(QueueName="to-hub-dlq")["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:{REGION_2}:{ACCOUNT_B}:to-hub-dlq"
    spoke_events = fresh_aws.client_as("events", ACCOUNT_B, REGION_2)
    spoke_events.put_rule(Name="to-hub", EventPattern=json.dumps({"source": ["aws.sagemaker"]}))
    spoke_events.put_targets(
        Rule="to-hub", Targets=[{"Id": "hub", "Arn": HUB_BUS_ARN, "DeadLetterConfig": {"Arn": dlq_arn}}]
    )
    spoke = AutopilotSimulator(clock=simulated_clock, account_id=ACCOUNT_B, region=REGION_2)
    spoke.create_job(SHARED_NAME)
    event = spoke.creation_event(SHARED_NAME)

    # When B's event is put on B's default bus, and forwarded by hand too
    put_in_spoke(spoke_events, event)
    assert forward_events([event], HUB_BUS_ARN) == 0

    # Then the hub received nothing; the rule's copy went to B's dead-letter queue; both were refused
    assert received(fresh_aws, inbox) == []
    (dead,) = [json.loads(m["Body"]) for m in spoke_sqs.receive_message(QueueUrl=dead_letters)["Messages"]]
    assert (dead["account"], dead["detail"]) == (ACCOUNT_B, event["detail"])
    assert [(r.account, r.bus_arn) for r in REFUSED[refused_before:]] == [(ACCOUNT_B, HUB_BUS_ARN)] * 2


def test_the_hub_bus_admits_an_organisation_by_principal_org_id(
    fresh_aws: LocalAws, simulated_clock: SimulatedClock
) -> None:
    # Given the hub's bus admitting organisation o-emulated01 by aws:PrincipalOrgID; B belongs to it, A not
    statement = {
        "Sid": "Organisation",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "events:PutEvents",
        "Resource": HUB_BUS_ARN,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-emulated01"}},
    }
    hub_bus(fresh_aws, {"Version": "2012-10-17", "Statement": [statement]})
    inbox = hub_inbox(fresh_aws, "hub-inbox", {"source": ["aws.sagemaker"]})
    ORGANIZATIONS[ACCOUNT_B] = "o-emulated01"
    try:
        events = []
        for account, region in ((ACCOUNT_A, REGION_1), (ACCOUNT_B, REGION_2)):
            simulator = AutopilotSimulator(clock=simulated_clock, account_id=account, region=region)
            simulator.create_job(SHARED_NAME)
            events.append(simulator.creation_event(SHARED_NAME))
        # When both spokes' events are forwarded
        assert forward_events(events, HUB_BUS_ARN) == 1
    finally:
        del ORGANIZATIONS[ACCOUNT_B]
    # Then only the organisation's member is delivered
    assert [e["account"] for e in received(fresh_aws, inbox)] == [ACCOUNT_B]
