"""Glue database and tables (generated from the record schema), Athena workgroup and named queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from automl_archive.models.record import CANDIDATE_RECORD_COLUMNS, JOB_RECORD_COLUMNS
from automl_archive_cli.local_query import duckdb_type
from datalake.named_queries import NAMED_QUERIES
from datalake.names import athena_workgroup_name, glue_database_name
from datalake.tables import TABLES

from .conftest import TEST_CONTEXT, Synthesized, render

DATABASE = glue_database_name(TEST_CONTEXT["stack_name"])
WORKGROUP = athena_workgroup_name(TEST_CONTEXT["stack_name"])


def _archive_bucket_id(synthesized: Synthesized) -> str:
    logical_id, _ = synthesized.only("AWS::S3::Bucket", {"VersioningConfiguration": {"Status": "Enabled"}})
    return logical_id


def _table(synthesized: Synthesized, name: str) -> dict:
    _, table = synthesized.only("AWS::Glue::Table", {"TableInput": {"Name": name}})
    return table["Properties"]


def _normalised_record_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """What the archiver writes, per table: (column, type) in order, from the record schema."""
    return {
        "automl_job_states": tuple((c.name, c.type) for c in JOB_RECORD_COLUMNS),
        "automl_candidates": tuple((c.name, c.type) for c in CANDIDATE_RECORD_COLUMNS),
    }


def test_one_glue_database_named_after_the_stack(synthesized: Synthesized) -> None:
    _, database = synthesized.only("AWS::Glue::Database")
    assert database["Properties"]["DatabaseInput"]["Name"] == DATABASE == "automljobarchivetest"
    assert render(database["Properties"]["CatalogId"]) == "${AWS::AccountId}"


@pytest.mark.parametrize(("name", "prefix"), [("automl_job_states", "records/automl-jobs/"),
                                              ("automl_candidates", "records/automl-candidates/"),
                                              ("automl_child_jobs", "records/automl-child-jobs/")])  # fmt: skip
def test_tables_are_external_json_over_their_prefix_with_dt_projection(
    synthesized: Synthesized, name: str, prefix: str
) -> None:
    # Given the table
    properties = _table(synthesized, name)
    table_input = properties["TableInput"]
    bucket = f"${{{_archive_bucket_id(synthesized)}}}"
    # Then it is an external table in the stack's database, over the archiver's prefix
    assert properties["DatabaseName"] == DATABASE
    assert table_input["TableType"] == "EXTERNAL_TABLE"
    storage = table_input["StorageDescriptor"]
    assert render(storage["Location"]) == f"s3://{bucket}/{prefix}"
    # And it reads JSON Lines with the Hive JSON SerDe, parsing the archive's ISO-8601 timestamps
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert storage["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.apache.hive.hcatalog.data.JsonSerDe"
    formats = storage["SerdeInfo"]["Parameters"]["timestamp.formats"].split(",")
    assert formats[0] == "yyyy-MM-dd'T'HH:mm:ss.SSSSSSZZ"
    # And dt partitions are projected (no crawler, no MSCK REPAIR)
    assert table_input["PartitionKeys"] == [
        {"Name": "dt", "Type": "string", "Comment": "UTC date of last_modified_time (YYYY-MM-DD)"}
    ]
    parameters = {key: render(value) for key, value in table_input["Parameters"].items()}
    assert parameters == {
        "classification": "json",
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": f"{TEST_CONTEXT['datalake_start_date']},NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": f"s3://{bucket}/{prefix}dt=${{dt}}/",
    }
    # And the table depends on the database (created after it)
    database_id, _ = synthesized.only("AWS::Glue::Database")
    table_id, table = synthesized.only("AWS::Glue::Table", {"TableInput": {"Name": name}})
    assert database_id in table["DependsOn"], table_id


@pytest.mark.parametrize("name", ["automl_job_states", "automl_candidates"])
def test_table_columns_equal_the_record_schema(synthesized: Synthesized, name: str) -> None:
    # Given the table's columns and the columns the normaliser emits
    columns = _table(synthesized, name)["TableInput"]["StorageDescriptor"]["Columns"]
    # Then every emitted column exists with the same type, in the same order, and there is no other
    assert tuple((c["Name"], c["Type"]) for c in columns) == _normalised_record_columns()[name]
    # And each carries its description (Glue allows 255 characters)
    assert all(0 < len(c["Comment"]) <= 255 for c in columns)


def test_every_schema_type_has_a_duckdb_reading() -> None:
    for table in TABLES:
        for column in table.columns:
            assert duckdb_type(column.type)
    assert duckdb_type("array<struct<metric_name:string,value:double,set:string>>") == (
        'STRUCT("metric_name" VARCHAR, "value" DOUBLE, "set" VARCHAR)[]'
    )


def test_workgroup_enforces_encrypted_results_cutoff_and_metrics(synthesized: Synthesized) -> None:
    # Given the workgroup
    _, workgroup = synthesized.only("AWS::Athena::WorkGroup")
    properties = workgroup["Properties"]
    configuration = properties["WorkGroupConfiguration"]
    # Then its settings override the clients', results go SSE-S3 encrypted to the archive's athena-results/
    assert properties["Name"] == WORKGROUP
    assert configuration["EnforceWorkGroupConfiguration"] is True
    results = configuration["ResultConfiguration"]
    assert render(results["OutputLocation"]) == f"s3://${{{_archive_bucket_id(synthesized)}}}/athena-results/"
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    # And a query stops at the configured bytes scanned, and metrics are published
    assert configuration["BytesScannedCutoffPerQuery"] == TEST_CONTEXT["athena_bytes_scanned_cutoff"]
    assert configuration["PublishCloudWatchMetricsEnabled"] is True
    assert configuration["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}


def test_each_named_query_in_the_workgroup_and_database(synthesized: Synthesized) -> None:
    # Given the named queries
    found = synthesized.template.find_resources("AWS::Athena::NamedQuery")
    workgroup_id, _ = synthesized.only("AWS::Athena::WorkGroup")
    by_name = {resource["Properties"]["Name"]: resource["Properties"] for resource in found.values()}
    # Then there is one per query in datalake.named_queries, with its Athena text, in the stack's database
    assert sorted(by_name) == sorted(query.title for query in NAMED_QUERIES)
    assert len(NAMED_QUERIES) == 9
    for query in NAMED_QUERIES:
        properties = by_name[query.title]
        assert properties["Database"] == DATABASE
        assert properties["QueryString"] == query.athena_sql
        assert "automl_job_states" in properties["QueryString"]
        assert render(properties["WorkGroup"]) == f"${{{workgroup_id}}}"
        assert properties["Description"] == query.description


def test_outputs_name_the_database_and_workgroup(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    assert outputs["GlueDatabaseName"]["Value"] == DATABASE
    assert outputs["AthenaWorkGroupName"]["Value"] == WORKGROUP


def test_the_analysts_guide_shows_each_query_as_deployed() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "data-lake.md").read_text()
    for query in NAMED_QUERIES:
        assert f"```sql\n{query.athena_sql}\n```" in guide, query.name
