"""Data lake: a Glue database with the two archive tables (partition projection) and an Athena workgroup.

Everything that describes the data comes from ``datalake.tables`` and ``datalake.named_queries`` (the
columns generated from the record schema), so a new record column reaches the Glue table at the next
deploy, and the named queries are the ones `automl-archive query` runs. No crawler and no ``MSCK
REPAIR``: ``dt`` partitions are projected from the date range, so a new day's records are queryable
the moment they are written.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from automl_archive.contracts.archive_layout import ATHENA_RESULTS_PREFIX
from datalake.named_queries import NAMED_QUERIES
from datalake.tables import (
    ATHENA_ENGINE_VERSION,
    JSON_SERDE,
    PARTITION_KEY,
    TABLES,
    TEXT_INPUT_FORMAT,
    TEXT_OUTPUT_FORMAT,
    TableSpec,
    glue_comment,
    serde_parameters,
    table_location,
    table_parameters,
)


class DataLake(Construct):
    """Glue database + external JSON tables over ``records/``, Athena workgroup and named queries."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        archive_bucket: s3.IBucket,
        database_name: str,
        workgroup_name: str,
        bytes_scanned_cutoff_per_query: int,
        start_date: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.database_name = database_name
        self.workgroup_name = workgroup_name
        self.start_date = start_date
        self.results_location = f"s3://{archive_bucket.bucket_name}/{ATHENA_RESULTS_PREFIX}"
        account = Stack.of(self).account

        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name,
                description="SageMaker AutoML job archive: job states and candidate leaderboards (JSON Lines in S3)",
            ),
        )
        self.tables: dict[str, glue.CfnTable] = {}
        for table in TABLES:
            resource = self._build_table(table, archive_bucket, account)
            resource.add_resource_dependency(self.database)
            self.tables[table.name] = resource
        # The compacted (Iceberg) tables are not here: the compaction function creates them with Athena DDL
        # and adds the columns a newer record schema brings (logic/compaction.py; decision 35).

        self.workgroup = self._build_workgroup(bytes_scanned_cutoff_per_query)
        self.named_queries: dict[str, athena.CfnNamedQuery] = {}
        for query in NAMED_QUERIES:
            named = athena.CfnNamedQuery(
                self,
                f"Query-{query.name}",
                name=query.title,
                description=query.description,
                database=database_name,
                query_string=query.athena_sql,
                work_group=self.workgroup.ref,
            )
            named.add_resource_dependency(self.workgroup)
            for table_resource in self.tables.values():
                named.add_resource_dependency(table_resource)
            self.named_queries[query.name] = named

    def _build_table(self, table: TableSpec, bucket: s3.IBucket, account: str) -> glue.CfnTable:
        columns = [
            glue.CfnTable.ColumnProperty(name=column.name, type=column.type, comment=glue_comment(column))
            for column in table.columns
        ]
        return glue.CfnTable(
            self,
            f"Table-{table.name}",
            catalog_id=account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=table.name,
                description=table.description,
                table_type="EXTERNAL_TABLE",
                parameters=table_parameters(bucket.bucket_name, table, self.start_date),
                partition_keys=[
                    glue.CfnTable.ColumnProperty(
                        name=PARTITION_KEY, type="string", comment="UTC date of last_modified_time (YYYY-MM-DD)"
                    )
                ],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=columns,
                    location=table_location(bucket.bucket_name, table),
                    input_format=TEXT_INPUT_FORMAT,
                    output_format=TEXT_OUTPUT_FORMAT,
                    compressed=False,
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=JSON_SERDE, parameters=serde_parameters()
                    ),
                    stored_as_sub_directories=False,
                ),
            ),
        )

    def _build_workgroup(self, bytes_scanned_cutoff_per_query: int) -> athena.CfnWorkGroup:
        return athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=self.workgroup_name,
            description="Queries over the AutoML job archive: enforced settings, encrypted results, scan cutoff",
            state="ENABLED",
            # Deleting the stack deletes the workgroup together with its saved queries and history.
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff_per_query,
                requester_pays_enabled=False,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version=ATHENA_ENGINE_VERSION),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.results_location,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )
