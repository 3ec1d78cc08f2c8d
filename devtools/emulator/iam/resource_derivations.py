"""The resources an API call names, read from its parameters, per service and operation.

Each derivation turns a call into (action name, resource ARN) pairs; `authorization` checks them against
the Service Authorization Reference and the principal's policies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from devtools.emulator.aws import ACCOUNT_ID, REGION

PARTITION = "aws"


@dataclass(frozen=True)
class CallSite:
    service: str  # the IAM prefix (botocore's signing name)
    operation: str
    params: dict[str, Any]
    region: str = REGION
    account: str = ACCOUNT_ID

    def arn(self, service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


Derivation = Callable[[CallSite], list[tuple[str, str | None]]]


def _named(param: str, resource_type: str) -> Derivation:
    # SageMaker ARNs carry the job name lower-cased (DescribeAutoMLJobV2 answers
    # arn:aws:sagemaker:...:automl-job/<lower-cased name>).
    return lambda call: [(call.operation, call.arn("sagemaker", f"{resource_type}/{call.params[param].lower()}"))]


_SAGEMAKER: dict[str, Derivation] = {
    "DescribeAutoMLJob": _named("AutoMLJobName", "automl-job"),
    "DescribeAutoMLJobV2": _named("AutoMLJobName", "automl-job"),
    "ListCandidatesForAutoMLJob": _named("AutoMLJobName", "automl-job"),  # the reference: "*" only
    "StopAutoMLJob": _named("AutoMLJobName", "automl-job"),
    "DescribeTrainingJob": _named("TrainingJobName", "training-job"),
    "DescribeProcessingJob": _named("ProcessingJobName", "processing-job"),
    "DescribeTransformJob": _named("TransformJobName", "transform-job"),
    "DescribeHyperParameterTuningJob": _named("HyperParameterTuningJobName", "hyper-parameter-tuning-job"),
    "ListTrainingJobsForHyperParameterTuningJob": _named("HyperParameterTuningJobName", "hyper-parameter-tuning-job"),
}


def _table_arn(call: CallSite, table: str) -> str:
    # TableName also accepts the table's ARN.
    return table if table.startswith("arn:") else call.arn("dynamodb", f"table/{table}")


def _dynamodb_table(call: CallSite) -> list[tuple[str, str | None]]:
    arn = _table_arn(call, call.params["TableName"])
    if call.params.get("IndexName"):
        arn += f"/index/{call.params['IndexName']}"
    return [(call.operation, arn)]


def _dynamodb_batch(call: CallSite) -> list[tuple[str, str | None]]:
    return [(call.operation, _table_arn(call, table)) for table in call.params["RequestItems"]]


_DYNAMODB: dict[str, Derivation] = {
    **dict.fromkeys(
        ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable"), _dynamodb_table
    ),
    "BatchGetItem": _dynamodb_batch,
    "BatchWriteItem": _dynamodb_batch,
}

# S3 operations authorized as a differently named action
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html; HeadObject
# needs s3:GetObject, ListObjectsV2 s3:ListBucket, as each operation's API reference says).
_S3_OBJECT_ACTIONS = {
    "GetObject": "GetObject",
    "HeadObject": "GetObject",
    "PutObject": "PutObject",
    "DeleteObject": "DeleteObject",
}
_S3_BUCKET_ACTIONS = {
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "GetBucketVersioning": "GetBucketVersioning",
}


def _s3_object(call: CallSite) -> list[tuple[str, str | None]]:
    action = _S3_OBJECT_ACTIONS[call.operation]
    if call.params.get("VersionId") and action in ("GetObject", "DeleteObject"):
        action += "Version"  # s3:GetObjectVersion / s3:DeleteObjectVersion for a given version
    return [(action, f"arn:{PARTITION}:s3:::{call.params['Bucket']}/{call.params['Key']}")]


def _s3_bucket(call: CallSite) -> list[tuple[str, str | None]]:
    return [(_S3_BUCKET_ACTIONS[call.operation], f"arn:{PARTITION}:s3:::{call.params['Bucket']}")]


_S3: dict[str, Derivation] = {
    **dict.fromkeys(_S3_OBJECT_ACTIONS, _s3_object),
    **dict.fromkeys(_S3_BUCKET_ACTIONS, _s3_bucket),
}


def queue_arn_of_url(call: CallSite, queue_url: str) -> str:
    """`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (or moto's `http://host:port/ACCOUNT/NAME`) -> ARN."""
    parsed = urlparse(queue_url)
    account, name = parsed.path.strip("/").split("/")[-2:]
    host = parsed.hostname or ""
    region = host.split(".")[1] if host.startswith("sqs.") and host.count(".") >= 3 else call.region
    return call.arn("sqs", name, region=region, account=account)


# Batch operations are authorized as their single-message action: "You cannot set permissions explicitly
# for SendMessageBatch, DeleteMessageBatch, or ChangeMessageVisibilityBatch"
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html).
_SQS_QUEUE_ACTIONS = {
    "SendMessage": "SendMessage",
    "SendMessageBatch": "SendMessage",
    "ReceiveMessage": "ReceiveMessage",
    "DeleteMessage": "DeleteMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibility": "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "GetQueueAttributes": "GetQueueAttributes",
    "SetQueueAttributes": "SetQueueAttributes",
    "PurgeQueue": "PurgeQueue",
}


def _sqs_queue(call: CallSite) -> list[tuple[str, str | None]]:
    return [(_SQS_QUEUE_ACTIONS[call.operation], queue_arn_of_url(call, call.params["QueueUrl"]))]


def _sqs_get_queue_url(call: CallSite) -> list[tuple[str, str | None]]:
    account = call.params.get("QueueOwnerAWSAccountId") or call.account
    return [("GetQueueUrl", call.arn("sqs", call.params["QueueName"], account=account))]


def _sqs_start_move_task(call: CallSite) -> list[tuple[str, str | None]]:
    # A move task needs, besides sqs:StartMessageMoveTask, to read and delete from the source and send
    # to the destination (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
    source = call.params["SourceArn"]
    checks: list[tuple[str, str | None]] = [
        (action, source) for action in ("StartMessageMoveTask", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
    ]
    if call.params.get("DestinationArn"):
        checks.append(("SendMessage", call.params["DestinationArn"]))
    return checks


_SQS: dict[str, Derivation] = {
    **dict.fromkeys(_SQS_QUEUE_ACTIONS, _sqs_queue),
    "GetQueueUrl": _sqs_get_queue_url,
    "StartMessageMoveTask": _sqs_start_move_task,
    "ListMessageMoveTasks": lambda call: [("ListMessageMoveTasks", call.params["SourceArn"])],
}

_SNS: dict[str, Derivation] = {
    "Publish": lambda call: [("Publish", call.params.get("TopicArn") or call.params.get("TargetArn"))],
    "GetTopicAttributes": lambda call: [("GetTopicAttributes", call.params["TopicArn"])],
}


def _stack_arn(call: CallSite) -> list[tuple[str, str | None]]:
    # CloudFormation authorizes a call by stack name on stack/NAME/* (the stack id is not known yet).
    name = call.params.get("StackName")
    if not name:
        return [(call.operation, "*")]
    return [(call.operation, name if name.startswith("arn:") else call.arn("cloudformation", f"stack/{name}/*"))]


_CLOUDFORMATION: dict[str, Derivation] = dict.fromkeys(
    ("DescribeStacks", "DescribeStackResources", "ListStackResources"), _stack_arn
)


# Lambda's Invoke operation is authorized as lambda:InvokeFunction (API_Invoke; the Service Authorization
# Reference lists no lambda:Invoke action).
_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction"}


def _function_arn(call: CallSite) -> list[tuple[str, str | None]]:
    name = call.params["FunctionName"]
    if name.startswith("arn:"):
        name = name.split(":")[6]
    action = _LAMBDA_ACTIONS.get(call.operation, call.operation)
    return [(action, call.arn("lambda", f"function:{name.split(':')[0]}"))]


_LAMBDA: dict[str, Derivation] = dict.fromkeys(("GetFunctionConfiguration", "GetFunction", "Invoke"), _function_arn)


def _event_buses(call: CallSite) -> list[tuple[str, str | None]]:
    buses = {entry.get("EventBusName") or "default" for entry in call.params["Entries"]}
    return [
        ("PutEvents", bus if bus.startswith("arn:") else call.arn("events", f"event-bus/{bus}"))
        for bus in sorted(buses)
    ]


# Athena authorizes query calls on the query's workgroup
# (https://docs.aws.amazon.com/athena/latest/ug/example-policies-workgroup.html). A call that names an
# execution is resolved to the workgroup it was started in, as `enforcement` records each start.
DEFAULT_WORKGROUP = "primary"
QUERY_WORKGROUPS: dict[str, str] = {}


def _workgroup_arn(call: CallSite, name: str) -> str:
    return call.arn("athena", f"workgroup/{name}")


def _athena_start(call: CallSite) -> list[tuple[str, str | None]]:
    return [(call.operation, _workgroup_arn(call, call.params.get("WorkGroup") or DEFAULT_WORKGROUP))]


def _athena_execution(call: CallSite) -> list[tuple[str, str | None]]:
    execution = call.params["QueryExecutionId"]
    workgroup = QUERY_WORKGROUPS.get(execution)
    if workgroup is None:
        raise KeyError(f"the IAM emulator does not know the workgroup of query execution {execution}")
    return [(call.operation, _workgroup_arn(call, workgroup))]


_ATHENA: dict[str, Derivation] = {
    "StartQueryExecution": _athena_start,
    **dict.fromkeys(("GetQueryExecution", "GetQueryResults", "StopQueryExecution"), _athena_execution),
}


def _glue_table(call: CallSite) -> list[tuple[str, str | None]]:
    """A Glue table call is authorized on the catalog, the database and the table, each named
    (https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html, "Table" row)."""
    database, table = call.params["DatabaseName"], call.params["Name"]
    return [
        (call.operation, call.arn("glue", "catalog")),
        (call.operation, call.arn("glue", f"database/{database}")),
        (call.operation, call.arn("glue", f"table/{database}/{table}")),
    ]


DERIVATIONS: dict[str, dict[str, Derivation]] = {
    "sagemaker": _SAGEMAKER,
    "dynamodb": _DYNAMODB,
    "s3": _S3,
    "sqs": _SQS,
    "sns": _SNS,
    "cloudformation": _CLOUDFORMATION,
    "lambda": _LAMBDA,
    "events": {"PutEvents": _event_buses},
    "athena": _ATHENA,
    "glue": {"GetTable": _glue_table},
    # sts:AssumeRole is authorized on the role (resource type `role`); the role's trust policy is the
    # other half (devtools/emulator/iam/assumed_roles.py).
    "sts": {"AssumeRole": lambda call: [("AssumeRole", call.params["RoleArn"])]},
}
