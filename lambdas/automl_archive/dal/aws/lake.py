"""The data lake as the compaction function uses it: the archive bucket's record objects and the
compaction's watermark (S3), and Athena running the compaction's statements in the stack's workgroup."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from botocore.exceptions import ClientError

from automl_archive.contracts.archive_layout import COMPACTION_LEASE_KEY, COMPACTION_WATERMARK_KEY, JSON_CONTENT_TYPE
from automl_archive.dal.aws.client import BotoClient, error_code
from automl_archive.dal.interfaces import CompactionQueryFailed, LakeObject

_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict"}


def _lease_end(body: bytes) -> datetime | None:
    try:
        value = datetime.fromisoformat(json.loads(body)["until"])
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: treated as run out
    return value if value.tzinfo is not None else None


# GetQueryExecution's states (API_QueryExecutionStatus): QUEUED and RUNNING are not final.
_FINAL_STATES = {"SUCCEEDED", "FAILED", "CANCELLED"}
POLL_SECONDS = 2.0


class S3LakeStorage(BotoClient):
    _service = "s3"

    def __init__(self, bucket_name: str) -> None:
        self._bucket = bucket_name

    def list_objects(self, prefix: str) -> Iterator[LakeObject]:
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                yield LakeObject(key=entry["Key"], last_modified=entry["LastModified"], size=int(entry["Size"]))

    def read_watermark(self) -> str | None:
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=COMPACTION_WATERMARK_KEY)["Body"].read()
        except ClientError as error:
            # Without s3:ListBucket on the key a missing object is AccessDenied; the role has ListBucket,
            # so a missing watermark is NoSuchKey (AWS's GetObject reference, "Permissions").
            if error_code(error) == "NoSuchKey":
                return None
            raise
        return bytes(body).decode("utf-8", errors="replace")

    def write_watermark(self, body: bytes) -> None:
        self._client.put_object(
            Bucket=self._bucket, Key=COMPACTION_WATERMARK_KEY, Body=body, ContentType=JSON_CONTENT_TYPE
        )

    def acquire_lease(self, until: datetime, now: datetime) -> datetime | None:
        """S3 conditional writes (conditional-writes.html): If-None-Match: * creates the lease only if
        none exists; If-Match on the ETag of a lease that ran out replaces exactly that one. A
        PreconditionFailed (412) or ConditionalRequestConflict (409) means another run won."""
        body = json.dumps({"until": until.isoformat()}).encode()
        try:
            self._client.put_object(
                Bucket=self._bucket, Key=COMPACTION_LEASE_KEY, Body=body, IfNoneMatch="*", ContentType=JSON_CONTENT_TYPE
            )
            return None
        except ClientError as error:
            if error_code(error) not in _LOST_RACE:
                raise
        try:
            current = self._client.get_object(Bucket=self._bucket, Key=COMPACTION_LEASE_KEY)
        except ClientError as error:
            if error_code(error) == "NoSuchKey":  # released in between: the next run takes it
                return now
            raise
        held_until = _lease_end(current["Body"].read())
        if held_until is not None and held_until > now:
            return held_until
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=COMPACTION_LEASE_KEY,
                Body=body,
                IfMatch=current["ETag"],
                ContentType=JSON_CONTENT_TYPE,
            )
            return None
        except ClientError as error:
            if error_code(error) in _LOST_RACE:
                return now
            raise

    def release_lease(self) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=COMPACTION_LEASE_KEY)


class GlueLakeCatalog(BotoClient):
    _service = "glue"

    def __init__(self, database: str) -> None:
        self._database = database

    def columns(self, table_name: str) -> list[str] | None:
        try:
            table = self._client.get_table(DatabaseName=self._database, Name=table_name)["Table"]
        except ClientError as error:
            if error_code(error) == "EntityNotFoundException":  # API_GetTable: no such table (or database)
                return None
            raise
        return [column["Name"] for column in table.get("StorageDescriptor", {}).get("Columns", [])]


class AthenaQueryEngine(BotoClient):
    """Runs one statement at a time in the stack's workgroup (its enforced settings: result location,
    encryption, engine version 3, which MERGE INTO, OPTIMIZE and VACUUM need)."""

    _service = "athena"

    def __init__(
        self,
        workgroup: str,
        database: str,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._workgroup = workgroup
        self._database = database
        self._sleep = sleep
        self._clock = clock

    def run(self, label: str, sql: str, deadline: float) -> int:
        execution_id = self._client.start_query_execution(
            QueryString=sql, WorkGroup=self._workgroup, QueryExecutionContext={"Database": self._database}
        )["QueryExecutionId"]
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            status = execution["Status"]
            if status["State"] in _FINAL_STATES:
                break
            if self._clock() + POLL_SECONDS > deadline:
                # Stopped, so the next run's statement on the same table cannot overlap it.
                self._client.stop_query_execution(QueryExecutionId=execution_id)
                raise TimeoutError(
                    f"{label}: Athena query {execution_id} still {status['State']} at the deadline; stopped"
                )
            self._sleep(POLL_SECONDS)
        if status["State"] != "SUCCEEDED":
            reason = (
                status.get("StateChangeReason")
                or status.get("AthenaError", {}).get("ErrorMessage")
                or "no reason given"
            )
            raise CompactionQueryFailed(label, f"{status['State']} ({execution_id}): {reason}")
        return int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
