"""A named query on Athena, through the stack's workgroup: start, wait, read every page of the answer.

The workgroup enforces its own result location (``athena-results/`` in the archive bucket), encryption
and scan cutoff, so the query names only the workgroup and the Glue database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from automl_archive_cli.errors import EXIT_FAILED, CliError
from automl_archive_cli.results import QueryResult
from datalake.named_queries import NamedQuery

SUCCEEDED = "SUCCEEDED"
FAILED_STATES = ("FAILED", "CANCELLED")
FIRST_POLL_SECONDS = 0.5
MAX_POLL_SECONDS = 5.0


class AthenaQueryInterrupted(KeyboardInterrupt):
    """Ctrl-C while waiting: the execution id lets the operator find (or stop) the query in Athena."""

    def __init__(self, execution_id: str) -> None:
        super().__init__(execution_id)
        self.execution_id = execution_id


def start_query(athena: Any, query: NamedQuery, workgroup: str, database: str) -> str:
    answer = athena.start_query_execution(
        QueryString=query.athena_sql, WorkGroup=workgroup, QueryExecutionContext={"Database": database}
    )
    return str(answer["QueryExecutionId"])


def wait_for_query(
    athena: Any,
    execution_id: str,
    sleep: Callable[[float], None] = time.sleep,
    first_poll: float = FIRST_POLL_SECONDS,
    max_poll: float = MAX_POLL_SECONDS,
) -> dict[str, Any]:
    """Poll GetQueryExecution (backing off to `max_poll`) until the query ends; its QueryExecution when it
    SUCCEEDED, a one-line CliError with Athena's StateChangeReason when it FAILED or was CANCELLED."""
    delay = first_poll
    try:
        while True:
            execution: dict[str, Any] = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            status = execution.get("Status", {})
            state = status.get("State", "")
            if state == SUCCEEDED:
                return execution
            if state in FAILED_STATES:
                reason = " ".join(str(status.get("StateChangeReason") or "no reason given").split())
                raise CliError(f"Athena query {execution_id} {state}: {reason}", exit_code=EXIT_FAILED)
            sleep(delay)
            delay = min(delay * 2, max_poll)
    except KeyboardInterrupt as interrupt:
        raise AthenaQueryInterrupted(execution_id) from interrupt


def read_results(athena: Any, execution_id: str, name: str) -> QueryResult:
    """Every page of GetQueryResults; the header row Athena puts first for a SELECT is dropped."""
    columns: list[str] = []
    rows: list[tuple[Any, ...]] = []
    first_page = True
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
        result_set = page.get("ResultSet", {})
        if first_page:
            columns = [column["Name"] for column in result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])]
        page_rows = [
            tuple(cell.get("VarCharValue") for cell in row.get("Data", [])) for row in result_set.get("Rows", [])
        ]
        if first_page and page_rows and list(page_rows[0]) == columns:
            page_rows = page_rows[1:]
        rows += page_rows
        first_page = False
    return QueryResult(name=name, columns=columns, rows=rows)


def run_on_athena(
    athena: Any, query: NamedQuery, workgroup: str, database: str, sleep: Callable[[float], None] = time.sleep
) -> tuple[QueryResult, dict[str, Any]]:
    """The query's answer and its QueryExecution (statistics: data scanned, run time)."""
    execution_id = start_query(athena, query, workgroup, database)
    execution = wait_for_query(athena, execution_id, sleep)
    return read_results(athena, execution_id, query.name), execution
