"""Backfill clients run in their own process by devtools/bench/emulated.py (AWS_ENDPOINT_URL set by the parent).

`loop PREFIX --bucket B --table T`: the sequential boto3 loop, the floor of the backfill rate.
`cli PREFIX --stack-name S [--workers N] [--rate R]`: the product's `backfill --direct`, with the time
of each SageMaker request recorded once the rate limiter has let it through.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from automl_archive.contracts.archive_layout import CANDIDATES_PREFIX, RECORDS_PREFIX, raw_key
from automl_archive.contracts.job_table import state_key


def sequential_loop(prefix: str, bucket: str, table: str) -> int:
    """The same work as an archive run, done plainly: one job after another, no checks, no conditions."""
    sagemaker, s3, dynamodb = boto3.client("sagemaker"), boto3.client("s3"), boto3.client("dynamodb")
    done = 0
    for page in sagemaker.get_paginator("list_auto_ml_jobs").paginate(NameContains=prefix):
        for summary in page["AutoMLJobSummaries"]:
            name = summary["AutoMLJobName"]
            answer = sagemaker.describe_auto_ml_job(AutoMLJobName=name)
            answer.pop("ResponseMetadata", None)
            candidates = sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName=name)["Candidates"]
            key = name.lower()
            raw = json.dumps(answer, default=str).encode()
            s3.put_object(Bucket=bucket, Key=raw_key(key, "loop"), Body=raw)
            line = (json.dumps({"job_name": name, "status": answer["AutoMLJobStatus"]}) + "\n").encode()
            s3.put_object(Bucket=bucket, Key=f"{RECORDS_PREFIX}dt=loop/{key}.jsonl", Body=line)
            rows = "".join(json.dumps(candidate, default=str) + "\n" for candidate in candidates).encode()
            s3.put_object(Bucket=bucket, Key=f"{CANDIDATES_PREFIX}dt=loop/{key}.jsonl", Body=rows)
            dynamodb.update_item(
                TableName=table,
                Key=state_key(key),
                UpdateExpression="SET #s = :s, job_name = :n",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": answer["AutoMLJobStatus"]}, ":n": {"S": name}},
            )
            done += 1
    return done


def run_cli(prefix: str, stack_name: str, extra: list[str]) -> dict[str, Any]:
    from automl_archive_cli import main as cli  # noqa: PLC0415
    from automl_archive_cli import ratelimit  # noqa: PLC0415

    sent: list[float] = []
    original = ratelimit.RateLimiter.acquire

    def timed(self: Any) -> float:
        granted = original(self)  # the moment the limiter lets the request go (monotonic clock)
        sent.append(granted)
        return granted

    ratelimit.RateLimiter.acquire = timed  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as temporary, contextlib.redirect_stdout(io.StringIO()):
        argv = ["backfill", "--direct", "--name-contains", prefix, "--no-progress", "--stack-name", stack_name]
        began = time.perf_counter()
        code = cli.main([*argv, "--checkpoint", str(Path(temporary) / "checkpoint.jsonl"), *extra])
        seconds = time.perf_counter() - began
    return {"code": code, "seconds": seconds, "requests": len(sent), "sent": sent}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("loop", "cli"))
    parser.add_argument("prefix")
    parser.add_argument("--bucket")
    parser.add_argument("--table")
    parser.add_argument("--stack-name")
    args, extra = parser.parse_known_args(argv)
    if args.mode == "loop":
        began = time.perf_counter()
        jobs = sequential_loop(args.prefix, args.bucket, args.table)
        print(json.dumps({"jobs": jobs, "seconds": time.perf_counter() - began}))
    else:
        print(json.dumps(run_cli(args.prefix, args.stack_name, extra)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
