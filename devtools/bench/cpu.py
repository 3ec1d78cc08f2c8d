"""CPU per record: the archiver handler on 10-record SQS batches, with the in-memory fakes of the DAL.

The workload is realistic for a tracked job's life: per job and phase, the child-job event that
reveals the new state, an EventBridge duplicate of it (another message id), and a second event of
the same child at the same AutoML state (a state no event reveals reaches the archiver as the
reconcile pass's reference, which costs what an event's first delivery costs). Phases: AnalyzingData,
FeatureEngineering, ModelTuning, then Completed (with ten candidates) or Failed (one job in five: an
alert). Records are shuffled into batches of ten and handed to `lambda_handler` (Powertools logger
at INFO, metrics on; tracing off: X-Ray work is per invocation, not per record) with `build_archiver`
returning a `JobArchiver` wired to the fakes.

Floor, for the same records: json-decode every body, json-decode the describe answer (its wire JSON)
for every describe the product made, json-encode every output the product wrote (raw answer, record
line, leaderboard, DynamoDB summary). Both are timed with `time.process_time` after a warm-up scenario.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from automl_archive.contracts.metric_names import METRICS_NAMESPACE, SERVICE_NAME
from devtools.bench.common import median

JOBS_PER_SCENARIO = 100
BATCH_SIZE = 10
PHASES = (
    ("InProgress", "AnalyzingData", 5),
    ("InProgress", "FeatureEngineering", 20),
    ("InProgress", "ModelTuning", 45),
)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:AutoMLJobArchive-Work"
LAMBDA_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
    "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_LAMBDA_FUNCTION_NAME": "AutoMLJobArchive-Archiver",
    "AWS_REGION": "us-east-1",
    # Read by the handler at cold start (the fakes replace what they name).
    "JOBS_TABLE_NAME": "bench-jobs",
    "ARCHIVE_BUCKET_NAME": "bench-archive",
    "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:bench-alerts",
}


@dataclass
class Context:
    """The Lambda context attributes Powertools reads."""

    function_name: str = "AutoMLJobArchive-Archiver"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:AutoMLJobArchive-Archiver"
    aws_request_id: str = "bench"
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/AutoMLJobArchive-Archiver"
    log_stream_name: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def sqs_record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1763640000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1763640000100",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def child_event(kind: str, child_name: str, status: str, moment: datetime, job_arn: str) -> dict[str, Any]:
    """An EventBridge '<kind> Job State Change' event with a detail shaped like the Describe answer."""
    millis = int(moment.timestamp() * 1000)
    if kind == "processing":
        detail_type, name_field, status_field = (
            "SageMaker Processing Job State Change",
            "ProcessingJobName",
            "ProcessingJobStatus",
        )
        specific: dict[str, Any] = {
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.2xlarge", "VolumeSizeInGB": 30}
            },
            "AppSpecification": {
                "ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-sklearn-automl:2.5-1"
            },
            "ProcessingInputs": [
                {
                    "InputName": "input",
                    "S3Input": {
                        "S3Uri": "s3://data/train.csv",
                        "LocalPath": "/opt/ml/processing/input",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
        }
    else:
        detail_type, name_field, status_field = (
            "SageMaker Training Job State Change",
            "TrainingJobName",
            "TrainingJobStatus",
        )
        specific = {
            "AlgorithmSpecification": {
                "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                "TrainingInputMode": "File",
            },
            "HyperParameters": {"max_depth": "6", "eta": "0.2", "num_round": "100", "objective": "binary:logistic"},
            "ResourceConfig": {"InstanceType": "ml.m5.4xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
            "SecondaryStatus": "Training" if status == "InProgress" else status,
            "TuningJobArn": job_arn.replace("automl-job/", "hyper-parameter-tuning-job/") + "ta",
        }
    detail = {
        name_field: child_name,
        f"{name_field[:-4]}Arn": f"arn:aws:sagemaker:us-east-1:123456789012:{kind}-job/{child_name.lower()}",
        status_field: status,
        "CreationTime": millis - 60_000,
        "LastModifiedTime": millis,
        "RoleArn": "arn:aws:iam::123456789012:role/autopilot",
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Environment": {"AUTOML_JOB": "1"},
        "Tags": {},
        **specific,
    }
    return {
        "version": "0",
        "id": hashlib.sha1(f"{child_name}{status}{millis}".encode(), usedforsecurity=False).hexdigest(),
        "detail-type": detail_type,
        "source": "aws.sagemaker",
        "account": "123456789012",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [detail[f"{name_field[:-4]}Arn"]],
        "detail": detail,
    }


def wire_json(answer: dict[str, Any]) -> str:
    """The describe answer as SageMaker sends it (timestamps as epoch seconds)."""

    def default(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.timestamp()
        raise TypeError(type(value).__name__)

    return json.dumps(answer, default=default)


@dataclass
class Scenario:
    """Fakes, the archiver wired to them, and what the product did (for the floor)."""

    prefix: str
    world: Any = None
    describes: list[str] = field(default_factory=list)  # wire JSON of each answer described
    bodies: list[str] = field(default_factory=list)
    records: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def new_world(scenario: Scenario) -> Any:
    from automl_archive.composition import assemble_archiver  # noqa: PLC0415
    from automl_archive.contracts.job_status import DescribeApi  # noqa: PLC0415
    from automl_archive.contracts.settings import ArchiverSettings  # noqa: PLC0415
    from automl_archive.observability import PowertoolsMetrics  # noqa: PLC0415
    from devtools.fakes import FakeArchive, FakeNotifier, FakeSageMaker, FakeStore  # noqa: PLC0415

    class RecordingSageMaker(FakeSageMaker):
        def __init__(self) -> None:
            super().__init__()
            self.wire: dict[str, str] = {}  # lower job name -> the describe answer's wire JSON

        def describe_automl_job(self, job_name: str, api: DescribeApi) -> dict[str, Any]:
            answer = super().describe_automl_job(job_name, api)
            scenario.describes.append(self.wire[job_name.lower()])
            return answer

    sagemaker = RecordingSageMaker()
    store, archive, notifier = FakeStore(), FakeArchive(), FakeNotifier()
    # Wired as the function wires itself, Powertools metrics included; only the gateways are fakes.
    archiver = assemble_archiver(
        ArchiverSettings("jobs", "archive", "topic"),
        sagemaker=sagemaker,
        store=store,
        archive=archive,
        notifier=notifier,
        metrics=PowertoolsMetrics(),
        clock=lambda: NOW,
        epoch=lambda: int(NOW.timestamp()),
    )
    return {"sagemaker": sagemaker, "store": store, "archive": archive, "archiver": archiver}


def rounds(scenario: Scenario, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """Per phase: set every job's answer, yield the phase's shuffled SQS records."""
    from devtools.answers import arn, best_candidate, v1_answer  # noqa: PLC0415

    world = scenario.world
    names = [f"{scenario.prefix}-{index:04d}" for index in range(JOBS_PER_SCENARIO)]
    phases: list[tuple[str, str, int]] = [*PHASES, ("Terminal", "", 80)]
    serial = 0
    for number, (status, secondary, minutes) in enumerate(phases):
        records: list[dict[str, Any]] = []
        for index, name in enumerate(names):
            if status == "Terminal":
                failed = index % 5 == 0
                answer = v1_answer(
                    name, "Failed" if failed else "Completed", "Failed" if failed else "Completed", minutes=minutes
                )
                if not failed:
                    world["sagemaker"].candidates[name.lower()] = [
                        {**best_candidate(name), "CandidateName": f"{name}-trial-{rank:03d}"} for rank in range(10)
                    ]
            else:
                answer = v1_answer(name, status, secondary, minutes=minutes)
            world["sagemaker"].put_job(answer)
            world["sagemaker"].wire[name.lower()] = wire_json(answer)
            kind = "processing" if number < 2 else "training"
            child = f"{name}-p{number}-{kind[:4]}"
            from automl_archive.models.messages import ChildKind  # noqa: PLC0415

            world["sagemaker"].child_links[(ChildKind(kind), child)] = arn("automl-job", name)
            moment = answer["LastModifiedTime"] + timedelta(seconds=1)
            first = json.dumps(child_event(kind, child, "InProgress", moment, arn("automl-job", name)))
            second = json.dumps(
                child_event(kind, child, "Completed", moment + timedelta(minutes=1), arn("automl-job", name))
            )
            for body in (first, first, second):  # the event, an EventBridge duplicate, the child's next event
                serial += 1
                records.append(sqs_record(f"{scenario.prefix}-m{serial:07d}", body))
        rng.shuffle(records)
        scenario.records += len(records)
        scenario.bodies += [record["body"] for record in records]
        yield records


def batches(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for start in range(0, len(records), BATCH_SIZE):
        yield {"Records": records[start : start + BATCH_SIZE]}


def run_product(scenario: Scenario, handler: Callable[..., Any], seed: int) -> float:
    """Process time of the handler over every batch of the scenario (setup between phases untimed)."""
    cpu = 0.0
    context = Context()
    for records in rounds(scenario, random.Random(seed)):
        for event in batches(records):
            began = time.process_time()
            result = handler(event, context)
            cpu += time.process_time() - began
            if result.get("batchItemFailures"):
                raise RuntimeError(f"records failed: {result['batchItemFailures']}")
    return cpu


def floor_outputs(scenario: Scenario) -> list[Any]:
    """What the product wrote, decoded once (untimed): the floor encodes the same values."""
    outputs: list[Any] = [json.loads(body.splitlines()[0]) for body in scenario.world["archive"].objects.values()]
    for body in scenario.world["archive"].objects.values():
        lines = body.decode().splitlines()
        outputs += [json.loads(line) for line in lines[1:]]  # leaderboard rows beyond the first
    for item in scenario.world["store"].states.values():
        summary = {key: sorted(value) if isinstance(value, frozenset | set) else value for key, value in item.items()}
        outputs.append(summary)
    return outputs


def run_floor(scenario: Scenario) -> float:
    outputs = floor_outputs(scenario)
    began = time.process_time()
    for body in scenario.bodies:
        json.loads(body)
    for answer in scenario.describes:
        json.loads(answer)
    for value in outputs:
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return time.process_time() - began


def peak_memory(handler: Callable[..., Any], scenario: Scenario) -> dict[str, float]:
    """tracemalloc peak while handling one 10-record batch (first phase: new states), and its floor."""
    records = next(rounds(scenario, random.Random(99)))[:BATCH_SIZE]
    tracemalloc.start()
    handler({"Records": records}, Context())
    _, product_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    answers = [scenario.world["sagemaker"].wire[key] for key in list(scenario.world["sagemaker"].wire)[:BATCH_SIZE]]
    tracemalloc.start()
    decoded = [json.loads(record["body"]) for record in records] + [json.loads(answer) for answer in answers]
    encoded = [json.dumps(value) for value in decoded]
    _, floor_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del decoded, encoded
    return {"product_bytes": float(product_peak), "floor_bytes": float(floor_peak)}


def measure(repeats: int, profile: bool) -> dict[str, Any]:
    os.environ.update(LAMBDA_ENVIRONMENT)
    real_stdout = sys.stdout
    sys.stdout = io.TextIOWrapper(open(os.devnull, "wb"), write_through=True)  # noqa: SIM115 - log lines go here
    try:
        from automl_archive.handlers import archiver as handler_module  # noqa: PLC0415

        def install(scenario: Scenario) -> None:
            scenario.world = new_world(scenario)
            handler_module.build_archiver = lambda: scenario.world["archiver"]  # type: ignore[assignment]

        warm = Scenario("warmup-job")
        install(warm)
        run_product(warm, handler_module.lambda_handler, seed=1)
        product_per_record, floor_per_record, describes, writes = [], [], [], []
        profiler = cProfile.Profile() if profile else None
        last = warm
        for repeat in range(repeats):
            scenario = Scenario(f"bench-job-r{repeat}")
            install(scenario)
            if profiler and repeat == repeats - 1:
                profiler.enable()
            cpu = run_product(scenario, handler_module.lambda_handler, seed=2)
            if profiler:
                profiler.disable()
            product_per_record.append(cpu / scenario.records)
            floor_per_record.append(run_floor(scenario) / scenario.records)
            describes.append(len(scenario.describes))
            writes.append(len(scenario.world["archive"].objects))
            last = scenario
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        memory_scenario = Scenario("memory-job")
        install(memory_scenario)
        memory = peak_memory(handler_module.lambda_handler, memory_scenario)
    finally:
        sys.stdout = real_stdout
    result: dict[str, Any] = {
        "records_per_scenario": last.records,
        "describes_per_scenario": describes[-1],
        "objects_per_scenario": writes[-1],
        "repeats": repeats,
        "product_us_per_record": median(product_per_record) * 1e6,
        "floor_us_per_record": median(floor_per_record) * 1e6,
        "product_all_us": [value * 1e6 for value in product_per_record],
        "floor_all_us": [value * 1e6 for value in floor_per_record],
        "rss_kb": rss_kb,
        **memory,
    }
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        result["profile"] = text.getvalue()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile the last repeat (printed)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    with contextlib.ExitStack():
        result = measure(args.repeats, args.profile)
    if args.json:
        print(json.dumps(result))
    else:
        profile = result.pop("profile", "")
        print(json.dumps({k: v for k, v in result.items() if not k.endswith("_all_us")}, indent=2))
        print(profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
