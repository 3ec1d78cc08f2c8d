"""The whole flow on the deployed stack: events on the bus -> rules -> queue -> archiver -> archive."""

from __future__ import annotations

import json

import pytest

from automl_archive.models.record import JOB_RECORD_COLUMN_NAMES
from devtools.emulator.scenarios import all_events, demo_histories, replay_shuffled, schedule_all


@pytest.fixture(scope="module")
def played(archive):
    """Play the demo histories once (simulated time) and return them."""
    histories = demo_histories()
    schedule_all(archive.simulator, histories)
    archive.run_until_idle()
    archive.inbox.read()
    archive.events.read()
    return histories


def test_every_demo_job_reaches_its_final_state(archive, played):
    # Given V1/V2 jobs that complete (the V1 one ~20 min after its last child event), fail and stop
    statuses = {h.job_name: archive.status_of(h.job_name) for h in played}
    # Then the archive holds each job's final state and nothing for the ordinary training job
    assert statuses == {
        "churn-v1-completes": "Completed",
        "sales-v2-completes": "Completed",
        "fraud-v1-fails": "Failed",
        "images-v2-stopped": "Stopped",
        "nightly-xgboost-training": None,
    }
    states = archive.job_states()
    assert states["JOB#churn-v1-completes"]["describe_api"]["S"] == "DescribeAutoMLJob"
    assert states["JOB#sales-v2-completes"]["describe_api"]["S"] == "DescribeAutoMLJobV2"


def test_the_failure_alerts_once_with_a_useful_message(archive, played):
    assert [alert.subject for alert in archive.inbox.received] == [
        "AutoML job fraud-v1-fails failed in 123456789012 us-east-1"
    ]
    alert = archive.inbox.received[0]
    assert alert.attributes["status"] == "Failed"
    assert alert.attributes["problem_type"]
    assert "console.aws.amazon.com/sagemaker" in alert.message
    assert f"s3://{archive.stack.output('ArchiveBucketName')}/raw/automl-jobs/fraud-v1-fails/" in alert.message
    # The publish is structured (MessageStructure json): an SQS subscriber gets the readable "default"
    # text, never the chat JSON meant for AWS Chatbot's HTTPS subscription
    assert alert.message.startswith("AutoML job fraud-v1-fails failed.")


def test_records_are_athena_ready_json_lines(archive, played):
    s3 = archive.aws.client("s3")
    bucket = archive.stack.output("ArchiveBucketName")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="records/automl-jobs/")["Contents"]]
    assert keys and all("/dt=" in key and key.endswith(".jsonl") for key in keys)
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        record = json.loads(body)
        assert tuple(record) == JOB_RECORD_COLUMN_NAMES
        assert f"dt={record['last_modified_time'][:10]}/" in key
        # the raw answer the record came from is archived too
        raw = json.loads(s3.get_object(Bucket=bucket, Key=record["raw_s3_key"])["Body"].read())
        assert raw["Response"]["AutoMLJobStatus"] == record["status"]


def test_candidate_rows_equal_each_finished_jobs_candidates(archive, played):
    # Given the candidates SageMaker lists for the completed V1 job
    sagemaker = archive.aws.client("sagemaker")
    listed = sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName="churn-v1-completes")["Candidates"]
    # When the archived leaderboard is read
    s3 = archive.aws.client("s3")
    bucket = archive.stack.output("ArchiveBucketName")
    (key,) = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="records/automl-candidates/")["Contents"]
        if "/churn-v1-completes--" in o["Key"]
    ]
    rows = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()]
    # Then there is one row per candidate, ranked, and the job record counts them
    assert sorted(row["candidate_name"] for row in rows) == sorted(c["CandidateName"] for c in listed)
    assert [row["rank"] for row in rows] == list(range(1, len(listed) + 1))
    assert sum(row["is_best"] for row in rows) == 1
    state = archive.job_states()["JOB#churn-v1-completes"]
    assert int(state["candidate_count"]["N"]) == len(listed)


def test_each_archived_state_published_one_state_change_event_in_order(archive, played):
    # Given every state the archive wrote (one raw answer each)
    archived = archive.archived_state_ids()
    # Then a user's rule for every AutoML Job State Change event got each exactly once
    assert sorted(archive.events.state_ids()) == archived
    # And each job's events arrived in its states' order, each naming the status it came from
    for history in (h for h in played if h.api != "none"):  # not the ordinary training job
        received = [e["detail"] for e in archive.events.received if e["detail"]["job_name"] == history.job_name]
        assert [d["last_modified_time"] for d in received] == sorted(d["last_modified_time"] for d in received)
        assert [d["previous_status"] for d in received] == [None, *(d["status"] for d in received[:-1])]
    # And the event names the job as its resource
    assert all(e["resources"] == [e["detail"]["job_arn"]] for e in archive.events.received)


def test_nothing_is_left_in_the_queues(archive, played):
    assert archive.queue_depth("WorkQueueUrl") == 0
    assert archive.queue_depth("DeadLetterQueueUrl") == 0


def test_replaying_every_event_three_times_shuffled_changes_nothing(archive, played):
    # Given the archive after the first play
    states_before = archive.job_states()
    versions_before = archive.object_versions()
    alerts_before = len(archive.inbox.received)
    describes_before = archive.simulator.calls["DescribeAutoMLJob"] + archive.simulator.calls["DescribeAutoMLJobV2"]
    # When every event is replayed three times in random order
    archive.put(replay_shuffled(all_events(played), copies=3, seed=11))
    archive.run_until_idle()
    archive.inbox.read()
    # Then no state changed, no S3 object (or version) was written, no alert was sent, no event published
    assert archive.job_states() == states_before
    assert archive.object_versions() == versions_before
    assert len(archive.inbox.received) == alerts_before
    assert archive.events.read() == []
    # And finished jobs cost no describe at all
    describes_after = archive.simulator.calls["DescribeAutoMLJob"] + archive.simulator.calls["DescribeAutoMLJobV2"]
    assert describes_after == describes_before
