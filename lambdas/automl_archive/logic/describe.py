"""DescribeAutoMLJob first, DescribeAutoMLJobV2 when V1 cannot describe the job.

V1 cannot describe jobs created with CreateAutoMLJobV2; V2 describes both. Which call worked is
remembered per job by the caller, so a V2 job costs one describe after its first.
"""

from __future__ import annotations

from typing import Any

from automl_archive.contracts.job_status import DescribeApi
from automl_archive.dal.interfaces import JobNotFound, SageMakerGateway, WrongDescribeApi


def describe_job(
    sagemaker: SageMakerGateway, job_name: str, known_api: DescribeApi | None
) -> tuple[dict[str, Any], DescribeApi]:
    """The job's answer and the API that gave it; JobNotFound if neither knows it."""
    if known_api is DescribeApi.V2:
        return sagemaker.describe_automl_job(job_name, DescribeApi.V2), DescribeApi.V2
    try:
        return sagemaker.describe_automl_job(job_name, DescribeApi.V1), DescribeApi.V1
    except (WrongDescribeApi, JobNotFound):
        # A V2 job (whatever error V1 gives for it); V2 answers ResourceNotFound if there is no job.
        return sagemaker.describe_automl_job(job_name, DescribeApi.V2), DescribeApi.V2
