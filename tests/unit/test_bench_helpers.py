"""The benchmark helpers' own logic: cost arithmetic, statistics, the 1-second window, row verdicts."""

from __future__ import annotations

import pytest

from devtools.bench.common import Row, percentile
from devtools.bench.cost import PRICES_USD, Workload, cost_per_million_states
from devtools.bench.emulated import max_in_window, update_kind


def workload(**changes: float) -> Workload:
    values = {
        "records": 10.0,
        "batch_size": 10,
        "cpu_ms_per_record": 0.0,
        "aws_calls": 0.0,
        "call_latency_ms": 0.0,
        "memory_gb": 0.5,
        "sqs_sends": 0.0,
        "dynamodb_writes": 0.0,
        "write_units_each": 1.0,
        "dynamodb_reads": 0.0,
        "s3_puts": 0.0,
        "stored_bytes": 0.0,
        "sns_publishes": 0.0,
        "kms_per_publish": 1.0,
        "log_bytes_per_record": 0.0,
        "log_bytes_per_invocation": 0.0,
    }
    values.update(changes)
    return Workload(**values)  # type: ignore[arg-type]


def test_ten_records_in_one_batch_cost_one_invocation_and_twelve_sqs_requests():
    cost = cost_per_million_states(workload())
    # one invocation per state: a million Lambda requests
    assert cost["lambda_requests"] == pytest.approx(0.20)
    # 10 sends + 1 receive + 1 delete batch per state
    assert cost["sqs"] == pytest.approx(12 * 0.40)
    assert cost["lambda_compute"] == 0


def test_lambda_seconds_count_cpu_and_call_waits_at_the_memory_size():
    cost = cost_per_million_states(workload(cpu_ms_per_record=1.0, aws_calls=10.0, call_latency_ms=20.0))
    seconds = (10 * 1.0 + 10 * 20.0) / 1000  # per state
    assert cost["lambda_compute"] == pytest.approx(seconds * 0.5 * PRICES_USD["lambda_arm64_gb_second"] * 1e6)


def test_request_priced_services_and_storage():
    cost = cost_per_million_states(
        workload(dynamodb_writes=2, write_units_each=2, dynamodb_reads=3, s3_puts=3, sns_publishes=0.5,
                 stored_bytes=1024**3 / 1e6)
    )  # fmt: skip
    assert cost["dynamodb_writes"] == pytest.approx(4 * 0.625)
    assert cost["dynamodb_reads"] == pytest.approx(3 * 0.125)
    assert cost["s3_puts"] == pytest.approx(3 * 5.0)
    assert cost["s3_storage_month"] == pytest.approx(0.023)  # a million states of 1/1e6 GB: one GB-month
    assert cost["sns"] == pytest.approx(0.25)
    assert cost["kms"] == pytest.approx(0.5 * 3.0)
    assert cost["total"] == pytest.approx(sum(value for name, value in cost.items() if name != "total"))


def test_log_ingestion_per_record_and_per_invocation():
    cost = cost_per_million_states(workload(log_bytes_per_record=1024**3 / 1e7, log_bytes_per_invocation=0))
    assert cost["cloudwatch_logs"] == pytest.approx(0.50)


def test_nearest_rank_percentile():
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert percentile([5.0], 0.9) == 5.0


def test_window_counts_half_open_seconds():
    assert max_in_window([0.0, 0.1, 0.2, 1.0, 1.05]) == 4  # [0.1, 1.1) holds 0.1, 0.2, 1.0, 1.05
    assert max_in_window([0.0, 1.0, 2.0]) == 1  # evenly spaced at the cap: never two in one second
    assert max_in_window([i / 8 for i in range(24)]) == 8  # exact binary fractions: 8 per second


def test_update_items_are_classified_by_their_expression():
    def update(expression: str, **names: str) -> dict:
        return {"UpdateExpression": expression, "ExpressionAttributeNames": names}

    assert update_kind({"UpdateExpression": "ADD seen_events :fingerprint"}) == "duplicate-event fingerprint"
    assert update_kind(update("SET #owner = :o, #until = :l", **{"#owner": "alert_Failed_owner"})) == "alert claim"
    assert update_kind(update("SET #sent = :s REMOVE #due", **{"#sent": "alert_Failed_sent_at"})) == "alert sent mark"
    assert update_kind(update("SET #a0 = :a0, #ordering = :o", **{"#a0": "status", "#ordering": "ordering"})) == (
        "state write"
    )
    assert update_kind(
        update("DELETE #pending :e REMOVE #due", **{"#pending": "pending_events", "#due": "event_due"})
    ) == ("state-change event bookkeeping")
    assert update_kind(update("SET #value = :v", **{"#value": "value"})) == "watermark"


def test_row_ratio_and_missing_floor():
    assert Row("x", 3.0, 2.0, "ms", "<= 2x", None).ratio == 1.5
    assert Row("x", 3.0, None, "ms", "report", None).ratio is None
