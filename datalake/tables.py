"""How Athena reads the data lake's tables (``automl_archive.contracts.lake_tables``): SerDe, formats, projection.

One definition for every consumer: the CDK construct (``infra/constructs/datalake.py``) builds the
Glue tables from it, the operator command's local engine (``automl_archive_cli/local_query.py``) reads
the same prefixes with DuckDB, and ``docs/data-lake.md`` describes it. Columns are generated from the
record schema (``automl_archive.models.record``), never listed here.

This module must stay importable with only the CDK app's dependencies installed (``requirements.txt``):
it imports the pure schema module, not the Lambda's logic (which needs Powertools).
"""

from __future__ import annotations

from automl_archive.contracts.lake_tables import (
    CANDIDATES,
    CHILD_JOBS,
    COMPACTED_TABLES,
    JOB_STATES,
    PARTITION_KEY,
    TABLES,
    CompactedTableSpec,
    TableSpec,
)
from automl_archive.models.record import Column

__all__ = [
    "CANDIDATES",
    "CHILD_JOBS",
    "COMPACTED_TABLES",
    "JOB_STATES",
    "PARTITION_KEY",
    "TABLES",
    "CompactedTableSpec",
    "TableSpec",
]

# --- How Athena reads the JSON Lines ----------------------------------------------------------------
PARTITION_FORMAT = "yyyy-MM-dd"  # Java date pattern for partition projection (dt=YYYY-MM-DD)
# The first day partition projection enumerates (context `datalake_start_date`): SageMaker Autopilot was
# announced on 2019-12-03, so no AutoML job's last_modified_time is older. A later start makes a query
# without its own `dt` predicate list fewer days; a record older than the start is invisible to Athena.
DEFAULT_PROJECTION_START = "2019-12-01"
JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
# Joda-Time patterns, tried in order. The archive writes "2026-11-20T09:00:00.250000+00:00" (always six
# fractional digits and an offset, see normalise.iso); ZZ parses "+00:00". The second pattern accepts a
# value without a fraction, should one ever be written by hand.
TIMESTAMP_FORMATS = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSZZ,yyyy-MM-dd'T'HH:mm:ssZZ"
TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
GLUE_COMMENT_MAX = 255
ATHENA_ENGINE_VERSION = "Athena engine version 3"


def table_location(bucket_name: str, table: TableSpec) -> str:
    return f"s3://{bucket_name}/{table.prefix}"


def projection_range(start_date: str) -> str:
    """``projection.dt.range``: from ``start_date`` (YYYY-MM-DD) to today (UTC), one partition a day."""
    return f"{start_date},NOW"


def table_parameters(bucket_name: str, table: TableSpec, start_date: str = DEFAULT_PROJECTION_START) -> dict[str, str]:
    """Glue table parameters: JSON classification and partition projection of ``dt`` (no crawler, no MSCK)."""
    return {
        "classification": "json",
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        f"projection.{PARTITION_KEY}.type": "date",
        f"projection.{PARTITION_KEY}.format": PARTITION_FORMAT,
        f"projection.{PARTITION_KEY}.range": projection_range(start_date),
        f"projection.{PARTITION_KEY}.interval": "1",
        f"projection.{PARTITION_KEY}.interval.unit": "DAYS",
        "storage.location.template": f"{table_location(bucket_name, table)}{PARTITION_KEY}=${{{PARTITION_KEY}}}/",
    }


def serde_parameters() -> dict[str, str]:
    return {"timestamp.formats": TIMESTAMP_FORMATS}


def glue_comment(column: Column) -> str:
    text = column.description
    return text if len(text) <= GLUE_COMMENT_MAX else text[: GLUE_COMMENT_MAX - 1] + "…"
