"""`make bench` / `python -m devtools.bench`: every performance figure against its floor, measured in one run.

Prints the machine and one table; writes devtools/bench/results.json (and docs/performance-results.json with
--record). Each piece runs in its own interpreter (devtools/bench/coldstart.py, cpu.py, emulated.py,
freshness.py, lake_compaction.py).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from devtools.bench.coldstart import layer_dir
from devtools.bench.common import LAMBDAS_DIR, REPO_ROOT, Row, machine, run_piece
from devtools.bench.cost import cost_per_million_states, describe, workload_from_measurements

RESULTS = REPO_ROOT / "devtools" / "bench" / "results.json"
RECORD = REPO_ROOT / "docs" / "performance-results.json"


def zipped_size(directory: Path) -> tuple[int, int]:
    """(zip bytes, file bytes) of a directory zipped as CDK does, without __pycache__/*.pyc."""
    buffer = io.BytesIO()
    raw = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                archive.write(path, path.relative_to(directory))
                raw += path.stat().st_size
    return len(buffer.getvalue()), raw


def build_rows(cold: dict[str, Any], cpu: dict[str, Any], emulated: dict[str, Any]) -> tuple[list[Row], dict[str, Any]]:
    calls, backfill = emulated["calls"], emulated["backfill"]
    counts = calls["calls_first_run"]
    states = calls["states_archived"]
    updates = calls["update_kinds_first_run"]
    describes = counts.get("sagemaker.DescribeAutoMLJob", 0) + counts.get("sagemaker.DescribeAutoMLJobV2", 0)
    child_describes = sum(
        count for kind, count in counts.items() if kind.startswith("sagemaker.Describe") and "AutoML" not in kind
    )
    added = calls["calls_added_by_replay"]
    # Describes only: the minute sweep's ListAutoMLJobs runs whether or not events are replayed.
    replay_describes = sum(count for kind, count in added.items() if kind.startswith("sagemaker.Describe"))
    # A raw answer and a record per state, a leaderboard per finished job, a row per finished child job.
    s3_floor = 2 * states + calls["leaderboard_objects"] + calls["child_job_objects"]
    rows = [
        Row(
            "cold start, median (as deployed: no bytecode)",
            cold["product_ms"]["median"],
            cold["floor_ms"]["median"],
            "ms",
            "<= 1.25x",
            None,
        ),
        Row("cold start, p90 (as deployed)", cold["product_ms"]["p90"], cold["floor_ms"]["p90"], "ms", "report", None),
        Row(
            "cold start, median (bytecode shipped)",
            cold["compiled_product_ms"]["median"],
            cold["compiled_floor_ms"]["median"],
            "ms",
            "<= 1.25x",
            None,
        ),
        Row(
            "cold start, p90 (bytecode shipped)",
            cold["compiled_product_ms"]["p90"],
            cold["compiled_floor_ms"]["p90"],
            "ms",
            "report",
            None,
        ),
        Row(
            "CPU per record (10-record batches)",
            cpu["product_us_per_record"],
            cpu["floor_us_per_record"],
            "us",
            "<= 2x",
            None,
        ),
        Row("SageMaker describes per state", describes / states, 1.0, "calls", "= floor", None),
        Row("DynamoDB state writes per state", updates.get("state write", 0) / states, 1.0, "calls", "= floor", None),
        Row(
            "DynamoDB writes per state-change event published",
            updates.get("state-change event bookkeeping", 0) / max(1, states),
            None,
            "calls",
            "report",
            None,
        ),
        Row("S3 puts per state", counts.get("s3.PutObject", 0) / states, s3_floor / states, "calls", "= floor", None),
        Row("SNS publishes per alert", counts.get("sns.Publish", 0), max(1, calls["alerts"]), "calls", "= floor", None),
        Row(
            "candidate pages per terminal state",
            counts.get("sagemaker.ListCandidatesForAutoMLJob", 0) / max(1, calls["terminal_states"]),
            1.0,
            "calls",
            "= floor",
            None,
        ),
        Row("describes added by replaying every event x3", replay_describes, 0.0, "calls", "= 0", None),
        Row(
            "reads per state (GetItem/Query)",
            (counts.get("dynamodb.GetItem", 0) + counts.get("dynamodb.Query", 0)) / states,
            None,
            "calls",
            "report",
            None,
        ),
        Row("child-job describes per state", child_describes / states, None, "calls", "report", None),
        # The child-job table (cost per job) is written from the child jobs' own events: at most the
        # resolver's one describe per child job (a tuning job's is of one of its training jobs), none
        # for its row.
        Row(
            "child-job describes per child job (cost rows add none)",
            child_describes / max(1, calls["child_jobs"]),
            1.0,
            "calls",
            "<= floor",
            None,
        ),
        Row(
            f"backfill --direct ({backfill['workers']} workers) vs sequential loop",
            backfill["direct_jobs_per_second"],
            backfill["loop_jobs_per_second"],
            "jobs/s",
            ">= 5x",
            None,
            lower_is_better=False,
        ),
        Row(
            f"backfill --rate {backfill['rate_cap']:g}: achieved SageMaker rate",
            backfill["rate_achieved"],
            backfill["rate_cap"],
            "req/s",
            "within 10%",
            None,
        ),
        Row(
            "backfill --rate: most requests in any 1 s",
            backfill["rate_max_in_1s"],
            backfill["rate_cap"],
            "req",
            "<= cap",
            None,
        ),
    ]
    asset_zip, asset_raw = zipped_size(LAMBDAS_DIR)
    layer = layer_dir()
    layer_zip, layer_raw = zipped_size(layer) if layer else (0, 0)
    rows += [
        Row("Lambda asset, zipped (unzipped)", asset_zip / 1024, None, "KiB", "report", None,
            note=f"unzipped {asset_raw / 1024:.0f} KiB"),
        Row("dependency layer, zipped (unzipped)", layer_zip / 1024 / 1024, None, "MiB", "report", None,
            note=f"unzipped {layer_raw / 1024 / 1024:.1f} MiB; Lambda limit 250 MiB unzipped"),
        Row("peak traced memory per 10-record batch", cpu["product_bytes"] / 1024, cpu["floor_bytes"] / 1024, "KiB",
            "report", None),
        Row("process RSS: cold start + clients", cold["rss_product_kb"] / 1024, cold["rss_floor_kb"] / 1024, "MiB",
            "report", None),
    ]  # fmt: skip
    load = workload_from_measurements(calls, cpu)
    cost = cost_per_million_states(load)
    rows.append(Row("cost per million archived states", cost["total"], None, "USD", "report", None))
    for row in rows:
        row.passed = judge(row, backfill)
    extra = {"cost_breakdown_usd": cost, "cost_workload": describe(load)}
    return rows, extra


def freshness_rows(report: dict[str, Any]) -> list[Row]:
    """Issue 10's goals for this product, from devtools/bench/freshness.py's run (simulated seconds)."""
    product = report["rows"][0]
    terminal, intermediate, alerts = product["terminal"], product["intermediate"], product["alerts"]
    rows = [
        Row("freshness p95, terminal states", terminal["p95"], 60.0, "s", "<= floor", None),
        Row("freshness max, terminal states", terminal["max"], 120.0, "s", "<= floor", None),
        Row("freshness p95, intermediate states", intermediate["p95"], 120.0, "s", "<= floor", None),
        Row("alert max after the failure", alerts["max"], 120.0, "s", "<= floor", None),
        Row("states never archived", product["missed_terminal"] + product["missed_intermediate"], 0.0, "states",
            "= 0", None),
        Row("SageMaker describes per job (floor: distinct states + 2)", product["describes_per_job"],
            report["mean_describe_budget"], "calls", "<= floor", None,
            note=f"{product['jobs_over_describe_budget']} of {report['jobs']} jobs over their own budget"),
        Row("ListAutoMLJobs calls per hour (O(1): one page a minute)", product["list_calls_per_hour"], 61.0, "calls",
            "<= floor", None),
        Row("idle cost per month (no jobs)", product["idle_usd_per_month"], None, "USD", "report", None),
    ]  # fmt: skip
    return rows


def lake_rows(lake: dict[str, Any]) -> list[Row]:
    """What Athena reads per named query, compacted tables vs the JSON they replace, from
    devtools/bench/lake_compaction.py's run (floor: the same query over the JSON tables alone)."""
    queries = lake["queries"]
    worst = max(queries, key=lambda name: queries[name]["ratio"])
    most_objects = max(queries, key=lambda name: queries[name]["objects_ratio"])
    states = f"{lake['states']:,} states"
    rows = [
        Row(
            "lake: MB scanned, compacted vs JSON (worst query)",
            queries[worst]["compacted_bytes"] / 1e6,
            queries[worst]["json_bytes"] / 1e6,
            "MB",
            "<= 0.1x",
            None,
            note=f"{worst}; {states}",
        ),
        Row(
            "lake: objects read, compacted vs JSON (worst query)",
            queries[most_objects]["compacted_objects"],
            queries[most_objects]["json_objects"],
            "objects",
            "report",
            None,
            note=most_objects,
        ),
    ]
    for name, figures in queries.items():
        rows.append(
            Row(
                f"lake: MB scanned: {name}",
                figures["compacted_bytes"] / 1e6,
                figures["json_bytes"] / 1e6,
                "MB",
                "report",
                None,
                note=f"{figures['rows']} rows; objects {figures['json_objects']} -> {figures['compacted_objects']}",
            )
        )
    differing = [name for name, figures in queries.items() if not figures["answers_match"]]
    rows += [
        Row("lake: queries answering differently after compaction", len(differing), 0.0, "queries", "= 0",
            None, note=", ".join(differing)),
        Row("lake: generate + compact the archive", lake["generation_seconds"] + lake["compaction_seconds"], None,
            "s", "report", None,
            note=f"{states}; generate {lake['generation_seconds']:.0f} s, compact {lake['compaction_seconds']:.0f} s"),
    ]  # fmt: skip
    return rows


def print_freshness(report: dict[str, Any]) -> None:
    from devtools.bench.freshness import print_table  # noqa: PLC0415 (imports the emulator; only needed here)

    print_table(report)


def judge(row: Row, backfill: dict[str, Any]) -> bool | None:
    ratio = row.ratio
    if row.target == "<= floor":
        return row.floor is not None and row.product <= row.floor
    if row.target == "<= 1.25x":
        return ratio is not None and ratio <= 1.25
    if row.target == "<= 2x":
        return ratio is not None and ratio <= 2.0
    if row.target == "<= 0.1x":
        return ratio is not None and ratio <= 0.1
    if row.target == "= floor":
        return row.floor is not None and abs(row.product - row.floor) < 1e-9
    if row.target == "= 0":
        return row.product == 0
    if row.target == ">= 5x":
        return ratio is not None and ratio >= 5.0
    if row.target == "within 10%":
        return ratio is not None and 0.9 <= ratio <= 1.0 + 1e-9
    if row.target == "<= cap":
        return row.product <= backfill["rate_cap"]
    return None


def render(rows: list[Row], host: dict[str, Any]) -> str:
    lines = [
        f"machine: {host['cpu']}, {host['cores']} cores, Python {host['python']} ({host['platform']})",
        "",
        f"{'figure':58s} {'product':>11s} {'floor':>11s} {'ratio':>7s} {'unit':>6s}  {'target':11s} result",
    ]
    for row in rows:
        floor = f"{row.floor:11.2f}" if row.floor is not None else f"{'-':>11s}"
        ratio = f"{row.ratio:6.2f}x" if row.ratio is not None else f"{'-':>7s}"
        result = {True: "pass", False: "MISS", None: "-"}[row.passed]
        note = f"  ({row.note})" if row.note else ""
        lines.append(
            f"{row.name:58s} {row.product:11.2f} {floor} {ratio} {row.unit:>6s}  {row.target:11s} {result}{note}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--record", action="store_true", help="also write docs/performance-results.json")
    parser.add_argument("--samples", type=int, default=11, help="cold-start processes per variant (>= 10)")
    parser.add_argument("--jobs", type=int, default=200, help="historical jobs per backfill run")
    parser.add_argument("--lake-states", type=int, default=100_000, help="job states in the lake bench's archive")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    host = machine()
    print(f"cold start ({args.samples} processes per variant)...", file=sys.stderr)
    cold = run_piece("devtools.bench.coldstart", "--samples", str(args.samples))
    print("CPU per record...", file=sys.stderr)
    cpu = run_piece("devtools.bench.cpu", "--repeats", "3")
    print("AWS calls and backfill in the local emulator...", file=sys.stderr)
    emulated = run_piece("devtools.bench.emulated", "--jobs", str(args.jobs))
    print("freshness: three designs on a 6-hour simulated workload...", file=sys.stderr)
    fresh = run_piece("devtools.bench.freshness", timeout=1800)
    print(f"lake: JSON vs compacted tables over {args.lake_states:,} generated states...", file=sys.stderr)
    lake = run_piece("devtools.bench.lake_compaction", "--states", str(args.lake_states), timeout=900)
    rows, extra = build_rows(cold, cpu, emulated)
    for row in freshness_rows(fresh) + lake_rows(lake):
        row.passed = judge(row, emulated["backfill"])
        rows.append(row)
    print(render(rows, host))
    print()
    print_freshness(fresh)
    seconds = time.perf_counter() - began
    print(f"\n(bench took {seconds:.0f} s)")
    results = {
        "machine": host,
        "seconds": seconds,
        "rows": [row.as_json() for row in rows],
        **extra,
        "raw": {"coldstart": cold, "cpu": cpu, "emulated": emulated, "freshness": fresh, "lake": lake},
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    if args.record:
        RECORD.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
