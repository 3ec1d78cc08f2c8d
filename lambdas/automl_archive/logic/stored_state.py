"""The job state item's fields (contracts/job_table.SUMMARY_FIELDS), from a record and back."""

from __future__ import annotations

from typing import Any

from automl_archive.contracts.job_table import SUMMARY_FIELDS
from automl_archive.dal.interfaces import StoredState
from automl_archive.logic.normalise import account_and_region


def state_summary(record: dict[str, Any], record_key: str) -> dict[str, Any]:
    """What DynamoDB keeps: bounded scalars (a few KB at most) and pointers to the full answer."""
    summary = {field: record[field] for field in SUMMARY_FIELDS}
    summary["record_s3_key"] = record_key
    return summary


def record_from_state(state: StoredState) -> dict[str, Any]:
    """The alert's fields from the stored summary (absent attributes were empty)."""
    record: dict[str, Any] = dict.fromkeys(SUMMARY_FIELDS)
    record.update(state.attributes)
    record["partial_failure_reasons"] = list(record.get("partial_failure_reasons") or [])
    if not record.get("account_id"):  # a state archived before the record carried them (schema 2)
        record["account_id"], record["region"] = account_and_region(record.get("job_arn"))
    return record
