"""The alert a terminal job state raises: subject, readable body and filterable attributes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# SNS Publish: a subject is "less than 100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
SUBJECT_LIMIT = 99


@dataclass(frozen=True)
class Alert:
    subject: str
    message: str
    attributes: dict[str, str]


def console_url(job_arn: str | None, job_name: str) -> str:
    region = (job_arn or "").split(":")[3] if (job_arn or "").count(":") >= 5 else "us-east-1"
    return f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/automl-jobs/{job_name}"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def build_alert(record: dict[str, Any], raw_location: str, record_location: str) -> Alert:
    category = record["alert_category"]
    headline = {
        "Failed": "failed",
        "Stopped": "was stopped",
        "CompletedWithProblems": "completed with problems",
    }.get(category, category.lower())
    subject = f"AutoML job {record['job_name']} {headline}"
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 3] + "..."
    lines = [
        f"AutoML job {record['job_name']} {headline}.",
        "",
        f"Status:            {record['status']} ({record['secondary_status'] or 'no secondary status'})",
        f"Problem type:      {record['problem_type'] or 'unknown'}",
        f"Failure reason:    {record['failure_reason'] or 'none given'}",
    ]
    lines += [f"Partial failure:   {reason}" for reason in record["partial_failure_reasons"]]
    lines += [
        f"Ran for:           {human_duration(record['duration_seconds'])}"
        f" (created {record['creation_time']}, ended {record['end_time'] or 'not yet'})",
        f"Best candidate:    {record['best_candidate_name'] or 'none'}",
        f"Console:           {console_url(record['job_arn'], record['job_name'])}",
        f"Raw answer:        {raw_location}",
        f"Archived record:   {record_location}",
        f"Job ARN:           {record['job_arn']}",
    ]
    attributes = {
        "status": record["status"],
        "alert_category": category,
        "problem_type": record["problem_type"] or "unknown",
        "job_name": record["job_name"],
    }
    return Alert(subject=subject, message="\n".join(lines), attributes=attributes)
