"""The child-job table: one row per finished training, processing or transform job of an AutoML job.

Written from the child's own terminal event (``models.child_usage``), once the resolver has found its
AutoML job: no SageMaker call is added. Every copy of the event writes the same key, so duplicates and
redeliveries leave one row.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from automl_archive.contracts.archive_layout import JSON_LINES_CONTENT_TYPE, child_job_key, iso, json_lines
from automl_archive.contracts.metric_names import CHILD_JOBS_ARCHIVED
from automl_archive.dal.interfaces import Archive, MetricsSink
from automl_archive.logic.normalise import encodable
from automl_archive.models.child_usage import ChildUsage
from automl_archive.models.record import CHILD_JOB_RECORD_COLUMN_NAMES, SCHEMA_VERSION

_CHILD_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):")


def child_job_row(usage: ChildUsage, job_name: str, archived_at: datetime) -> dict[str, Any]:
    """The row of one finished child job; account, Region and the AutoML job's ARN from the child's ARN
    (a child job runs in its AutoML job's account and Region)."""
    where = _CHILD_ARN.match(usage.arn or "")
    job_arn = (
        f"arn:{where['partition']}:sagemaker:{where['region']}:{where['account']}:automl-job/{job_name.lower()}"
        if where
        else None
    )
    row = {
        "schema_version": SCHEMA_VERSION,
        "job_name": job_name,
        "job_arn": job_arn,
        "account_id": where["account"] if where else None,
        "region": where["region"] if where else None,
        "child_job_name": usage.name,
        "child_job_arn": usage.arn,
        "kind": usage.kind.value,
        "status": usage.status,
        "failure_reason": usage.failure_reason,
        "instance_type": usage.instance_type,
        "instance_count": usage.instance_count,
        "start_time": iso(usage.start_time),
        "end_time": iso(usage.end_time),
        "billable_seconds": usage.billable_seconds,
        "billable_seconds_source": usage.billable_seconds_source,
        "instance_seconds": usage.instance_seconds,
        "tuning_job_arn": usage.tuning_job_arn,
        "last_modified_time": iso(usage.last_modified_time),
        "archived_at": iso(archived_at),
    }
    assert tuple(row) == CHILD_JOB_RECORD_COLUMN_NAMES, "child-job row and schema drifted"
    return encodable(row)


def archive_child_job(
    archive: Archive, metrics: MetricsSink, job_key: str, job_name: str, usage: ChildUsage, now: datetime
) -> None:
    row = child_job_row(usage, job_name, now)
    archive.put_json(child_job_key(job_key, row), json_lines([row]), JSON_LINES_CONTENT_TYPE)
    metrics.count(CHILD_JOBS_ARCHIVED)
