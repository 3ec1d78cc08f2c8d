"""The data lake's tables as data: the JSON tables the archiver writes and the compacted tables built
from them.

One home for both, in the Lambda package, because the compaction function builds its MERGE statements
from them; the CDK construct (``infra/constructs/datalake.py``), the local engine
(``automl_archive_cli/local_query.py``), the named queries and the benchmarks import them too.
Columns come from the record schema (``automl_archive.models.record``), never listed here.

The compacted tables are Apache Iceberg tables (docs/decisions.md, decision 35): one row per job (its
latest state), per candidate and per child job, in Parquet, merged from the JSON days that changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from automl_archive.contracts.archive_layout import (
    CANDIDATES_PREFIX,
    CHILD_JOBS_PREFIX,
    COMPACTED_PREFIX,
    RECORDS_PREFIX,
)
from automl_archive.models.record import (
    CANDIDATE_RECORD_COLUMNS,
    CHILD_JOB_RECORD_COLUMNS,
    JOB_RECORD_COLUMNS,
    STRING,
    Column,
)

PARTITION_KEY = "dt"  # the JSON tables' partition: UTC date of last_modified_time (child jobs: end_time)


@dataclass(frozen=True)
class TableSpec:
    """A JSON Lines table: one object per state (or candidate list, or child job), partitioned by ``dt``."""

    name: str
    prefix: str
    description: str
    columns: tuple[Column, ...]


JOB_STATES = TableSpec(
    name="automl_job_states",
    prefix=RECORDS_PREFIX,
    description="One row per observed state of each SageMaker AutoML job (JSON Lines written by the archiver).",
    columns=JOB_RECORD_COLUMNS,
)
CANDIDATES = TableSpec(
    name="automl_candidates",
    prefix=CANDIDATES_PREFIX,
    description="One row per candidate of each AutoML job, archived when the job reached a terminal state.",
    columns=CANDIDATE_RECORD_COLUMNS,
)
CHILD_JOBS = TableSpec(
    name="automl_child_jobs",
    prefix=CHILD_JOBS_PREFIX,
    description="One row per finished training, processing or transform job of an AutoML job (its resources and time).",
    columns=CHILD_JOB_RECORD_COLUMNS,
)
TABLES: tuple[TableSpec, ...] = (JOB_STATES, CANDIDATES, CHILD_JOBS)


@dataclass(frozen=True)
class OrderTerm:
    """One term of a "which row is newer" order. ``expression`` names columns as ``{t}column`` so the
    same term reads a table's own columns (``{t}`` = "") or an aliased one's (``{t}`` = "s.")."""

    expression: str
    descending: bool = True

    def of(self, alias: str = "") -> str:
        return self.expression.format(t=f"{alias}." if alias else "")


def order_by(terms: tuple[OrderTerm, ...], alias: str = "") -> str:
    """The ORDER BY text that puts the newest row first."""
    return ", ".join(f"{term.of(alias)} {'DESC' if term.descending else 'ASC'}" for term in terms)


def outranks_or_equals(terms: tuple[OrderTerm, ...], newer: str, older: str) -> str:
    """A condition true when row ``newer`` sorts first by ``terms`` or ties with ``older``: the MERGE
    replaces a stored row only then, so a compaction that reads an older day again never regresses it,
    and a rewritten record of the same state (``automl-archive rederive``) replaces its old copy."""
    clauses: list[str] = []
    for index, term in enumerate(terms):
        sign = ">" if term.descending else "<"
        equal = [f"{earlier.of(newer)} = {earlier.of(older)}" for earlier in terms[:index]]
        clauses.append("(" + " AND ".join([*equal, f"{term.of(newer)} {sign} {term.of(older)}"]) + ")")
    clauses.append("(" + " AND ".join(f"{term.of(newer)} = {term.of(older)}" for term in terms) + ")")
    return "(" + " OR ".join(clauses) + ")"


# A job's latest state: the archiver's own order (terminal outranks running, then LastModifiedTime, then
# the further-along status, then the later observation). Never NULL in a record.
LATEST_STATE_ORDER: tuple[OrderTerm, ...] = (
    OrderTerm("{t}is_terminal"),
    OrderTerm("{t}last_modified_time"),
    OrderTerm("CASE {t}status WHEN 'InProgress' THEN 1 WHEN 'Stopping' THEN 2 ELSE 3 END"),
    OrderTerm("{t}archived_at"),
)
# A job is its account, Region and name; SageMaker compares names without regard to case.
JOB_IDENTITY: tuple[str, ...] = ("{t}account_id", "{t}region", "lower({t}job_name)")


@dataclass(frozen=True)
class CompactedTableSpec:
    """An Iceberg table holding one row per ``key`` of a JSON table: the newest by ``newest_first``."""

    name: str
    source: TableSpec
    key: tuple[str, ...]  # expressions with {t}, as OrderTerm's
    newest_first: tuple[OrderTerm, ...]
    description: str

    @property
    def prefix(self) -> str:
        return f"{COMPACTED_PREFIX}{self.name}/"

    @property
    def columns(self) -> tuple[Column, ...]:
        """The source's columns, then ``dt`` as an ordinary column (the day the row was read from)."""
        return (
            *self.source.columns,
            Column(PARTITION_KEY, STRING, "The JSON table's dt partition this row was compacted from."),
        )

    def key_of(self, alias: str = "") -> tuple[str, ...]:
        prefix = f"{alias}." if alias else ""
        return tuple(expression.format(t=prefix) for expression in self.key)


JOBS_LATEST = CompactedTableSpec(
    name="automl_jobs_latest",
    source=JOB_STATES,
    key=JOB_IDENTITY,
    newest_first=LATEST_STATE_ORDER,
    description="Each AutoML job's latest archived state (Iceberg, compacted from automl_job_states).",
)
CANDIDATES_COMPACTED = CompactedTableSpec(
    name="automl_candidates_compacted",
    source=CANDIDATES,
    key=(*JOB_IDENTITY, "{t}candidate_name"),
    newest_first=(OrderTerm("{t}archived_at"), OrderTerm("{t}job_state_id")),
    description="Each candidate of each AutoML job, latest archived copy (Iceberg, compacted from automl_candidates).",
)
CHILD_JOBS_COMPACTED = CompactedTableSpec(
    name="automl_child_jobs_compacted",
    source=CHILD_JOBS,
    key=("{t}child_job_arn",),
    newest_first=(OrderTerm("{t}archived_at"),),
    description="Each finished child job of each AutoML job (Iceberg, compacted from automl_child_jobs).",
)
COMPACTED_TABLES: tuple[CompactedTableSpec, ...] = (JOBS_LATEST, CANDIDATES_COMPACTED, CHILD_JOBS_COMPACTED)
