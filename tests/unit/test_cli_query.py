"""`automl-archive query`: waiting for Athena, reading its pages, printing tables and CSV; the progress bar."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from automl_archive_cli.athena import AthenaQueryInterrupted, read_results, run_on_athena, wait_for_query
from automl_archive_cli.errors import CliError
from automl_archive_cli.main import main
from automl_archive_cli.results import NO_ROWS, cell_text, format_csv, result_table
from datalake.named_queries import NAMED_QUERIES, QUERIES_BY_NAME

QUERY = QUERIES_BY_NAME["latest_state_per_job"]


class FakeAthena:
    """Athena's three calls: each GetQueryExecution answers the next state; results come in pages."""

    def __init__(self, states, pages=(), reason=None):
        self.states = list(states)
        self.pages = list(pages)
        self.reason = reason
        self.started = []
        self.polls = 0

    def start_query_execution(self, **params):
        self.started.append(params)
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, QueryExecutionId):
        assert QueryExecutionId == "q-1"
        state = self.states[min(self.polls, len(self.states) - 1)]
        self.polls += 1
        status = {"State": state}
        if self.reason:
            status["StateChangeReason"] = self.reason
        execution = {"QueryExecutionId": "q-1", "Status": status, "Statistics": {"DataScannedInBytes": 7}}
        return {"QueryExecution": execution}

    def get_paginator(self, name):
        assert name == "get_query_results"
        pages = self.pages

        class Paginator:
            def paginate(self, QueryExecutionId):
                assert QueryExecutionId == "q-1"
                return iter(pages)

        return Paginator()


def page(rows, columns=None):
    result = {"Rows": [{"Data": [{} if value is None else {"VarCharValue": value} for value in row]} for row in rows]}
    if columns is not None:
        result["ResultSetMetadata"] = {"ColumnInfo": [{"Name": name, "Type": "varchar"} for name in columns]}
    return {"ResultSet": result}


def test_polling_backs_off_until_the_query_succeeds():
    # Given a query that is queued, then running three polls long, then done
    athena = FakeAthena(["QUEUED", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"])
    sleeps = []
    # When the command waits for it
    execution = wait_for_query(athena, "q-1", sleep=sleeps.append, first_poll=0.5, max_poll=2.0)
    # Then it polled until SUCCEEDED, doubling the pause up to the cap
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert sleeps == [0.5, 1.0, 2.0, 2.0]


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_a_failed_query_is_one_line_with_athenas_reason(state):
    athena = FakeAthena(["RUNNING", state], reason="COLUMN_NOT_FOUND: line 1:8:\n Column 'x' cannot be resolved")
    with pytest.raises(CliError) as error:
        wait_for_query(athena, "q-1", sleep=lambda _: None)
    assert error.value.exit_code == 1
    assert str(error.value) == f"Athena query q-1 {state}: COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved"


def test_an_interrupt_while_waiting_names_the_execution():
    def interrupted(_):
        raise KeyboardInterrupt

    with pytest.raises(AthenaQueryInterrupted) as error:
        wait_for_query(FakeAthena(["RUNNING"]), "q-1", sleep=interrupted)
    assert error.value.execution_id == "q-1"


def test_results_drop_athenas_header_row_and_join_every_page():
    # Given two pages: the first starts with the header row Athena adds to a SELECT's answer
    athena = FakeAthena(
        ["SUCCEEDED"],
        pages=[page([["job_name", "status"], ["a", "Completed"]], ["job_name", "status"]), page([["b", None]])],
    )
    result = read_results(athena, "q-1", "latest_state_per_job")
    # Then the columns come from the metadata, the rows from every page, a missing value is None
    assert result.columns == ["job_name", "status"]
    assert result.rows == [("a", "Completed"), ("b", None)]


def test_the_query_runs_in_the_workgroup_against_the_database():
    athena = FakeAthena(["SUCCEEDED"], pages=[page([["job_name"]], ["job_name"])])
    result, execution = run_on_athena(athena, QUERY, "MyArchive", "myarchive", sleep=lambda _: None)
    assert athena.started == [
        {"QueryString": QUERY.athena_sql, "WorkGroup": "MyArchive", "QueryExecutionContext": {"Database": "myarchive"}}
    ]
    assert (result.rows, execution["Statistics"]["DataScannedInBytes"]) == ([], 7)


def test_cells_print_plainly():
    assert cell_text(None) == ""
    assert cell_text(0.30000000000000004) == "0.3"
    assert cell_text(datetime(2026, 11, 20, 9, 0, 0, 250000, tzinfo=UTC)) == "2026-11-20 09:00:00+00:00"
    assert cell_text(True) == "true"
    assert cell_text([{"metric_name": "F1"}]) == '[{"metric_name": "F1"}]'


def test_csv_quotes_what_needs_quoting():
    text = format_csv(["job_name", "failure_reason"], [("a", 'bad "value", twice'), ("b", None)])
    assert list(csv.reader(io.StringIO(text))) == [
        ["job_name", "failure_reason"],
        ["a", 'bad "value", twice'],
        ["b", ""],
    ]


def test_the_table_shows_every_cell_and_says_when_there_are_no_rows():
    out = Console(file=io.StringIO(), width=200, color_system=None)
    out.print(result_table(["job_name", "status"], [("churn-model", "Completed")], title="Latest"))
    printed = out.file.getvalue()
    assert "churn-model" in printed and "Completed" in printed and "Latest" in printed
    assert result_table(["job_name"], []).caption == NO_ROWS


def test_list_names_every_query_without_aws(capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "")  # nothing is called: no credentials needed
    assert main(["query", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [query.name for query in NAMED_QUERIES]
    assert QUERY.title in lines[1]


def test_as_of_needs_local(capsys):
    assert main(["query", QUERY.name, "--as-of", "2026-11-20"]) == 2
    assert "--as-of applies to --local only" in capsys.readouterr().err
