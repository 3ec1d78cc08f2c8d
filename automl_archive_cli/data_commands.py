"""The data-lake commands: `rederive` (records from raw answers), `query` (named queries, on Athena or
locally through DuckDB) and `download-records` (a local copy of the record prefixes for `query --local`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import ModuleType

import click

from automl_archive.contracts.archive_layout import RAW_PREFIX, RECORD_PREFIXES
from automl_archive_cli import aws
from automl_archive_cli.athena import AthenaQueryInterrupted, run_on_athena
from automl_archive_cli.console import stdout_console
from automl_archive_cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, CliError
from automl_archive_cli.params import SINCE
from automl_archive_cli.rederive import rederive as rederive_records
from automl_archive_cli.results import OUTPUT_FORMATS, print_result
from automl_archive_cli.stack_command import StackOptions, error_line, run_on_stack, stack_options
from datalake.hive_json import HiveBadData
from datalake.named_queries import NAMED_QUERIES, QUERIES_BY_NAME
from datalake.names import athena_workgroup_name, glue_database_name

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _raw_prefix(_: click.Context, __: click.Parameter, value: str) -> str:
    if not value.startswith(RAW_PREFIX):
        raise click.BadParameter(f"must be under {RAW_PREFIX}")
    return value


@click.command(context_settings=CONTEXT)
@click.option("--prefix", default=RAW_PREFIX, show_default=True, callback=_raw_prefix, help="Raw answers to re-derive.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@stack_options
def rederive(prefix: str, dry_run: bool, stack_name: str, region: str | None, verbose: bool) -> int:
    """Rebuild job records from the archived raw Describe answers with the current schema."""

    def body(deployment: aws.Deployment) -> int:
        bucket = deployment.archive_bucket_name
        summary = rederive_records(aws.client("s3"), bucket, prefix, dry_run)
        title = "Rederive (dry run)" if dry_run else "Rederive"
        click.echo("\n".join([f"{title} of s3://{bucket}/{prefix}:", *summary.lines()]))
        if summary.failed:
            error_line(f"{len(summary.failed)} raw answers could not be re-derived (listed above).")
            return EXIT_FAILED
        return 0

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


@click.command("download-records", context_settings=CONTEXT)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@stack_options
def download_records(directory: Path, stack_name: str, region: str | None, verbose: bool) -> int:
    """Copy the archive's record prefixes into DIRECTORY (for `query --local DIRECTORY`)."""

    def body(deployment: aws.Deployment) -> int:
        local_query = _local_engine()
        bucket = deployment.archive_bucket_name
        count = local_query.download_records(aws.client("s3"), bucket, directory)
        prefixes = ", ".join(f"s3://{bucket}/{prefix}" for prefix in RECORD_PREFIXES)
        click.echo(f"downloaded {count} record files from {prefixes} into {directory}")
        return 0

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


@click.command(context_settings=CONTEXT)
@click.argument("name", metavar="NAME", required=False, type=click.Choice(sorted(QUERIES_BY_NAME)))
@click.option("--format", "output_format", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)
@click.option(
    "--local",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Run the DuckDB text over this copy of the records (see download-records) instead of Athena.",
)
@click.option("--as-of", type=SINCE, help="With --local: the queries' clock (ISO date or datetime; default now).")
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and exit.")
@stack_options
def query(
    name: str | None,
    output_format: str,
    local: Path | None,
    as_of: datetime | None,
    list_queries: bool,
    stack_name: str,
    region: str | None,
    verbose: bool,
) -> int:
    """Run the named query NAME: on Athena through the stack's workgroup, or locally with --local."""
    if list_queries:
        for named in NAMED_QUERIES:
            click.echo(f"{named.name:<40} {named.title}")
        return 0
    if name is None:
        raise click.UsageError("Missing argument 'NAME' (or pass --list).")
    if as_of is not None and local is None:
        raise click.UsageError("--as-of applies to --local only (Athena's clock is its own).")
    named = QUERIES_BY_NAME[name]
    title = f"{named.title} ({named.name})"
    if local is not None:
        engine = _local_engine()
        try:
            result = engine.run_queries(local, [name], as_of)[name]
        except HiveBadData as error:
            raise CliError(f"Athena would refuse {local}: {error}", EXIT_FAILED) from error
        except engine.duckdb.Error as error:
            raise CliError(f"DuckDB could not run {name} over {local}: {error}", EXIT_FAILED) from error
        print_result(stdout_console(), result, output_format, title=title)
        return 0

    def body(deployment: aws.Deployment) -> int:
        workgroup = athena_workgroup_name(deployment.stack_name)
        try:
            result, execution = run_on_athena(
                aws.client("athena"), named, workgroup, glue_database_name(deployment.stack_name)
            )
        except AthenaQueryInterrupted as interrupt:
            error_line(
                f"interrupted; the query may still run in Athena (execution {interrupt.execution_id} in "
                f"workgroup {workgroup})."
            )
            return EXIT_INTERRUPTED
        print_result(stdout_console(), result, output_format, title=title)
        scanned = execution.get("Statistics", {}).get("DataScannedInBytes")
        if scanned is not None:
            click.echo(f"{len(result.rows)} rows; Athena scanned {scanned} bytes.", err=True)
        return 0

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


def _local_engine() -> ModuleType:
    """The DuckDB engine, imported when used: the other commands run without DuckDB installed."""
    try:
        from automl_archive_cli import local_query  # noqa: PLC0415
    except ImportError as error:
        raise CliError(f"the local query engine needs DuckDB ({error}): pip install duckdb", EXIT_USAGE) from error
    return local_query


# The function may run up to its 15-minute timeout; wait a little longer for its answer.
COMPACT_READ_TIMEOUT_SECONDS = 960


@click.command(context_settings=CONTEXT)
@stack_options
def compact(stack_name: str, region: str | None, verbose: bool) -> int:
    """Run the data-lake compaction now (it runs every hour) and print what it merged."""

    def body(deployment: aws.Deployment) -> int:
        function_name = deployment.compaction_function_name
        lambda_client = aws.client("lambda", read_timeout=COMPACT_READ_TIMEOUT_SECONDS)
        response = lambda_client.invoke(FunctionName=function_name, InvocationType="RequestResponse", Payload=b"{}")
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            message = payload.get("errorMessage", payload) if isinstance(payload, dict) else payload
            error_line(f"the compaction failed: {message} (see the CompactorErrors runbook in docs/operations.md)")
            return EXIT_FAILED
        if payload.get("busy_until"):
            error_line(
                f"another compaction is running (its lease ends {payload['busy_until']}); nothing done, try again then"
            )
            return EXIT_FAILED
        days = payload.get("days_by_table") or {}
        merged = ", ".join(f"{table}: {count} days" for table, count in days.items()) or "no day changed"
        click.echo(
            f"Compacted ({merged}); {len(payload.get('statements', []))} statements; "
            f"Athena scanned {payload.get('bytes_scanned', 0)} bytes; watermark {payload.get('watermark')}."
        )
        return 0

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


COMMANDS = (rederive, query, download_records, compact)
