"""The archive bucket: raw answers and Athena records (contracts/archive_layout.py says where)."""

from __future__ import annotations

from automl_archive.dal.aws.client import BotoClient


class S3Archive(BotoClient):
    _service = "s3"

    def __init__(self, bucket_name: str) -> None:
        self._bucket = bucket_name

    def put_json(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def location(self, key: str) -> str:
        return f"s3://{self._bucket}/{key}"
