"""Cost per million archived job states, from published prices and the measured calls and CPU.

Prices: us-east-1, on-demand, from the AWS pricing pages named in docs/performance.md (with their
date). The model: per archived state, every AWS request the archiver made in the recorded emulator
run divided by the states it archived, plus the SQS traffic that carries the records, the Lambda
time of the records (measured CPU per record plus an assumed latency per AWS call), the log lines
and the bytes stored for a month.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PRICES_USD = {
    "lambda_arm64_gb_second": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "sqs_request_64kb": 0.40 / 1e6,
    "dynamodb_write_request_unit": 0.625 / 1e6,
    "dynamodb_read_request_unit": 0.125 / 1e6,
    "s3_put_request": 0.005 / 1000,
    "s3_standard_gb_month": 0.023,
    "sns_publish": 0.50 / 1e6,
    "kms_request": 0.03 / 10_000,
    "cloudwatch_logs_ingested_gb": 0.50,
}
GB = 1024**3


@dataclass(frozen=True)
class Workload:
    """Everything per archived job state (averages over a recorded run)."""

    records: float  # SQS records handled (events, duplicates, the sweep's references)
    batch_size: int
    cpu_ms_per_record: float
    aws_calls: float  # requests the archiver made
    call_latency_ms: float  # assumed wait per AWS call (the function waits, and is billed, for it)
    memory_gb: float
    sqs_sends: float  # messages the archiver itself sends (none since the re-check chains went)
    dynamodb_writes: float  # write requests (UpdateItem, PutItem)
    write_units_each: float  # WRU per write (1 KB units)
    dynamodb_reads: float  # GetItem/Query, strongly consistent: 1 RRU per 4 KB
    s3_puts: float
    stored_bytes: float  # bytes written to S3 per state, kept one month
    sns_publishes: float
    kms_per_publish: float
    log_bytes_per_record: float
    log_bytes_per_invocation: float


def cost_per_million_states(load: Workload, prices: dict[str, float] = PRICES_USD) -> dict[str, float]:
    invocations = load.records / load.batch_size
    seconds = (load.records * load.cpu_ms_per_record + load.aws_calls * load.call_latency_ms) / 1000
    # Lambda's poller receives and deletes in batches; EventBridge sends each record to the queue.
    sqs_requests = load.records + 2 * invocations + load.sqs_sends
    log_bytes = load.records * load.log_bytes_per_record + invocations * load.log_bytes_per_invocation
    per_state = {
        "lambda_compute": seconds * load.memory_gb * prices["lambda_arm64_gb_second"],
        "lambda_requests": invocations * prices["lambda_request"],
        "sqs": sqs_requests * prices["sqs_request_64kb"],
        "dynamodb_writes": load.dynamodb_writes * load.write_units_each * prices["dynamodb_write_request_unit"],
        "dynamodb_reads": load.dynamodb_reads * prices["dynamodb_read_request_unit"],
        "s3_puts": load.s3_puts * prices["s3_put_request"],
        "s3_storage_month": load.stored_bytes / GB * prices["s3_standard_gb_month"],
        "sns": load.sns_publishes * prices["sns_publish"],
        "kms": load.sns_publishes * load.kms_per_publish * prices["kms_request"],
        "cloudwatch_logs": log_bytes / GB * prices["cloudwatch_logs_ingested_gb"],
    }
    result = {name: value * 1e6 for name, value in per_state.items()}
    result["total"] = sum(result.values())
    return result


def workload_from_measurements(calls: dict[str, Any], cpu: dict[str, Any]) -> Workload:
    """The model's inputs from devtools/bench/emulated.py's call counts and devtools/bench/cpu.py's CPU per record."""
    states = max(1, int(calls["states_archived"]))
    counts = calls["calls_first_run"]

    def total(*kinds: str) -> float:
        return float(sum(counts.get(kind, 0) for kind in kinds))

    return Workload(
        records=calls["records_first_run"] / states,
        batch_size=10,
        cpu_ms_per_record=cpu["product_us_per_record"] / 1000,
        aws_calls=float(sum(counts.values())) / states,
        call_latency_ms=15.0,
        memory_gb=0.5,
        sqs_sends=total("sqs.SendMessage") / states,
        dynamodb_writes=total("dynamodb.UpdateItem", "dynamodb.PutItem") / states,
        write_units_each=2.0,
        dynamodb_reads=total("dynamodb.GetItem", "dynamodb.Query") / states,
        s3_puts=total("s3.PutObject") / states,
        stored_bytes=calls.get("stored_bytes", 0) / states,
        sns_publishes=total("sns.Publish") / states,
        kms_per_publish=1.0,
        log_bytes_per_record=700.0,
        log_bytes_per_invocation=450.0,
    )


def describe(load: Workload) -> dict[str, Any]:
    return asdict(load)
