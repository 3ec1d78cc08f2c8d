"""Re-derive the curated job records from the raw Describe answers, with the current normaliser.

When the record schema grows (a new column, a bumped ``schema_version``), records written before
the change lack the column. Every raw answer is archived, so the records can be rebuilt:

    automl-archive rederive [--prefix raw/automl-jobs/<job>/] [--dry-run]   # the stack's bucket
    make rederive ARGS="--dry-run"

For each ``raw/automl-jobs/<job>/<state id>.json`` it re-runs the product's own normaliser and
writes the job record to the key the archiver uses (``records/automl-jobs/dt=<date>/<job>--<state
id>.jsonl``). Fields the raw answer cannot give are kept from the existing record: ``candidate_count``
and ``best_candidate_rank`` (they come from the leaderboard) and ``archived_at``. A record that would
not change is not rewritten, so a second run writes nothing.

Candidate records cannot be rebuilt (their source, ListCandidatesForAutoMLJob, is not archived raw),
so they are repaired in place: a number written as text (``"NaN"``, ``"Infinity"``, ``"0.9"`` by
writers before issue 15) in a numeric column becomes the number, or ``null`` when it is not finite,
and keys become lower case, which makes each line read in Athena (``datalake.hive_json``); a row from
before schema 4 gains the ``algorithm`` its container images name. A file that needs no repair is not
rewritten.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from automl_archive.contracts.archive_layout import (
    CANDIDATES_PREFIX,
    JSON_LINES_CONTENT_TYPE,
    RAW_PREFIX,
    json_lines,
    parse_raw_key,
    record_key,
)
from automl_archive.logic.algorithms import candidate_algorithm
from automl_archive.logic.normalise import normalise
from automl_archive.models.record import BIGINT, CANDIDATE_RECORD_COLUMNS, DOUBLE, SCHEMA_VERSION, Column
from datalake.hive_json import HiveBadData, array_element, read_row, struct_fields

# Fields of a record that a raw Describe answer cannot reproduce; taken from the existing record.
KEPT_FROM_EXISTING = ("candidate_count", "best_candidate_rank", "archived_at")
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}:\d{2}|Z)$")


@dataclass
class Summary:
    scanned: int = 0
    rewritten: int = 0
    created: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    previous_versions: Counter[int | None] = field(default_factory=Counter)
    dry_run: bool = False
    candidate_files: int = 0
    candidate_files_repaired: int = 0

    def lines(self) -> list[str]:
        verb = "would rewrite" if self.dry_run else "rewrote"
        versions = ", ".join(f"v{v}: {n}" for v, n in sorted(self.previous_versions.items(), key=lambda i: i[0] or 0))
        out = [
            f"raw answers scanned: {self.scanned}",
            f"{verb}: {self.rewritten} (schema versions before: {versions or 'none'}; now v{SCHEMA_VERSION})",
            f"{'would create' if self.dry_run else 'created'} (no record existed): {self.created}",
            f"unchanged: {self.unchanged}",
            f"candidate files scanned: {self.candidate_files}, "
            f"{'would repair' if self.dry_run else 'repaired'}: {self.candidate_files_repaired}",
            f"failed: {len(self.failed)}",
        ]
        out += [f"  {key}: {error}" for key, error in self.failed]
        return out


def revive_timestamps(value: Any) -> Any:
    """The raw answer as boto3 returned it: ISO-8601 strings with an offset back to datetimes."""
    if isinstance(value, dict):
        return {key: revive_timestamps(item) for key, item in value.items()}
    if isinstance(value, list):
        return [revive_timestamps(item) for item in value]
    if isinstance(value, str) and _ISO_TIMESTAMP.match(value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def rederive_record(raw: dict[str, Any], raw_key: str, existing: dict[str, Any] | None) -> dict[str, Any]:
    """The current schema's record of one raw answer, keeping what only the existing record knows."""
    answer = revive_timestamps(raw["Response"])
    described_at = datetime.fromisoformat(raw["DescribedAt"])
    record = normalise(answer, raw["DescribeApi"], raw_s3_key=raw_key, archived_at=described_at)
    for name in KEPT_FROM_EXISTING:
        if existing is not None and existing.get(name) is not None:
            record[name] = existing[name]
    return record


def _read_existing(s3_client: Any, bucket: str, key: str) -> tuple[bytes | None, dict[str, Any] | None]:
    try:
        body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3_client.exceptions.NoSuchKey:
        return None, None
    first_line = body.decode().strip().splitlines()[0] if body.strip() else ""
    return body, (json.loads(first_line) if first_line else None)


def rederive(s3_client: Any, bucket: str, prefix: str = RAW_PREFIX, dry_run: bool = False) -> Summary:
    summary = Summary(dry_run=dry_run)
    _rederive_job_records(s3_client, bucket, prefix, summary)
    _repair_candidate_records(s3_client, bucket, prefix.removeprefix(RAW_PREFIX), summary)
    return summary


def _rederive_job_records(s3_client: Any, bucket: str, prefix: str, summary: Summary) -> None:
    dry_run = summary.dry_run
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            raw_key = entry["Key"]
            if not raw_key.endswith(".json"):
                continue
            summary.scanned += 1
            try:
                job_key, state_name = parse_raw_key(raw_key)
                raw = json.loads(s3_client.get_object(Bucket=bucket, Key=raw_key)["Body"].read())
                provisional = rederive_record(raw, raw_key, None)
                if provisional["state_id"] != state_name:
                    raise ValueError(f"state id {provisional['state_id']} differs from the key's {state_name}")
                key = record_key(job_key, provisional)
                old_body, existing = _read_existing(s3_client, bucket, key)
                record = rederive_record(raw, raw_key, existing)
                body = json_lines([record])
            except Exception as error:  # one bad object must not stop the run; reported in the summary
                summary.failed.append((raw_key, f"{type(error).__name__}: {error}"))
                continue
            if old_body == body:
                summary.unchanged += 1
                continue
            if existing is None:
                summary.created += 1
            else:
                summary.rewritten += 1
                summary.previous_versions[existing.get("schema_version")] += 1
            if not dry_run:
                s3_client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=JSON_LINES_CONTENT_TYPE)


def _number_from(value: Any, integer: bool) -> Any:
    """A numeric column's value as a JSON number or None; other values are left for the check to refuse."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not isinstance(value, str):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return None
    return int(number) if integer and number.is_integer() else number


def repair_value(value: Any, hive_type: str) -> Any:
    """One column's value with numbers-as-text made numbers (non-finite: None) and struct keys lower case."""
    if value is None:
        return None
    if hive_type in (BIGINT, DOUBLE):
        return _number_from(value, integer=hive_type == BIGINT)
    element = array_element(hive_type)
    if element is not None and isinstance(value, list):
        return [repair_value(item, element) for item in value]
    fields = struct_fields(hive_type)
    if fields is not None and isinstance(value, dict):
        return _repair_keys(value, dict(fields))
    return value


def _repair_keys(value: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    """The keys present, in lower case, each known one's value repaired; absent keys stay absent."""
    lowered = {str(key).lower(): item for key, item in value.items()}
    return {key: repair_value(item, types[key]) if key in types else item for key, item in lowered.items()}


def repair_row(row: dict[str, Any], columns: tuple[Column, ...]) -> dict[str, Any]:
    return _repair_keys(row, {column.name: column.type for column in columns})


def with_algorithm(row: dict[str, Any]) -> dict[str, Any]:
    """A candidate row written before schema 4 gains the algorithm its container images name (the job's
    configuration is not in the row: a one-algorithm job's candidates are named by their image too)."""
    if "algorithm" in row or not isinstance(row.get("container_images"), list):
        return row
    containers = [{"Image": image} for image in row["container_images"] if isinstance(image, str)]
    algorithm, source = candidate_algorithm({"InferenceContainers": containers}, [])
    return row | {"algorithm": algorithm, "algorithm_source": source}


def _candidate_file_job_key(key: str) -> str:
    return key.rsplit("/", 1)[-1].split("--", 1)[0]


def _repair_candidate_records(s3_client: Any, bucket: str, job_filter: str, summary: Summary) -> None:
    """Rewrite candidate files whose lines Athena would refuse (numbers as text) in the writers' form."""
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=CANDIDATES_PREFIX):
        for entry in page.get("Contents", []):
            key = entry["Key"]
            if not key.endswith(".jsonl") or not f"{_candidate_file_job_key(key)}/".startswith(job_filter):
                continue
            summary.candidate_files += 1
            try:
                body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
                rows = [
                    with_algorithm(repair_row(json.loads(line), CANDIDATE_RECORD_COLUMNS))
                    for line in body.decode().splitlines()
                    if line.strip()
                ]
                for number, row in enumerate(rows, start=1):
                    read_row(row, CANDIDATE_RECORD_COLUMNS, f"{key}:{number}")
                repaired = json_lines(rows)
            except (ValueError, HiveBadData) as error:  # reported in the summary; the run goes on
                summary.failed.append((key, f"{type(error).__name__}: {error}"))
                continue
            if repaired == body:
                continue
            summary.candidate_files_repaired += 1
            if not summary.dry_run:
                s3_client.put_object(Bucket=bucket, Key=key, Body=repaired, ContentType=JSON_LINES_CONTENT_TYPE)
