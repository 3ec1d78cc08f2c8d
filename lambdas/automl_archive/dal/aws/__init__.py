"""boto3 implementations of the data-access interfaces (dal/interfaces.py), one module per AWS resource.

Throttling and transient errors are retried by botocore's retry modes; what still fails propagates
so the queue redelivers the record.
"""

from automl_archive.dal.aws.archive_bucket import S3Archive
from automl_archive.dal.aws.event_bus import EventBridgeBus
from automl_archive.dal.aws.job_store import DynamoJobStore
from automl_archive.dal.aws.notifier import SnsNotifier
from automl_archive.dal.aws.sagemaker import SageMakerApi
from automl_archive.dal.aws.work_queue import SqsWorkQueue

__all__ = ["DynamoJobStore", "EventBridgeBus", "S3Archive", "SageMakerApi", "SnsNotifier", "SqsWorkQueue"]
