"""Athena DDL the product issues, applied to moto's Glue catalog as Athena applies it.

moto's Athena accepts any statement and runs none (it only records CREATE/DROP DATABASE). The compaction
function owns its Iceberg tables' schema through Athena DDL (lambdas/automl_archive/logic/compaction.py):
``CREATE TABLE IF NOT EXISTS t (...) LOCATION '...' TBLPROPERTIES ('table_type' = 'ICEBERG')`` and
``ALTER TABLE t ADD COLUMNS (...)``. Athena creates or updates the Glue table for them
(querying-iceberg-creating-tables, querying-iceberg-evolving-table-schema); this does the same in moto's
Glue, in the database the statement's QueryExecutionContext names, so the next run finds the table and
its columns through glue:GetTable as it would in AWS. Other statements are left to moto.
"""

from __future__ import annotations

import re
from typing import Any

from moto.athena.models import AthenaBackend
from moto.glue.exceptions import TableNotFoundException
from moto.glue.models import glue_backends

_CREATE = re.compile(
    r"^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s*\((.*)\)\s*LOCATION\s+'([^']+)'\s*TBLPROPERTIES\s*\((.*)\)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ADD_COLUMNS = re.compile(r"^\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMNS\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


def split_columns(text: str) -> list[dict[str, str]]:
    """``a string, b array<struct<x:string,y:double>>`` -> Glue columns (commas inside <> kept)."""
    columns, depth, current = [], 0, ""
    for character in text + ",":
        if character == "," and depth == 0:
            if current.strip():
                name, _, column_type = current.strip().partition(" ")
                columns.append({"Name": name.lower(), "Type": column_type.strip()})
            current = ""
            continue
        depth += {"<": 1, ">": -1}.get(character, 0)
        current += character
    return columns


class AthenaDdl:
    """Installed while the emulator runs (LocalAws.start), like its other patches of moto."""

    def __init__(self) -> None:
        self._original: Any = None

    def install(self) -> None:
        if self._original is not None:
            return
        self._original = original = AthenaBackend._process_ddl

        def process_ddl(backend: AthenaBackend, query: str, context: Any) -> None:
            database = (context or {}).get("Database") if isinstance(context, dict) else None
            if database and apply_to_glue(backend.account_id, backend.region_name, database, query):
                return
            original(backend, query, context)

        AthenaBackend._process_ddl = process_ddl  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            AthenaBackend._process_ddl = self._original  # type: ignore[method-assign]
            self._original = None


def apply_to_glue(account_id: str, region: str, database: str, query: str) -> bool:
    """Apply a CREATE TABLE IF NOT EXISTS or ALTER TABLE ADD COLUMNS to moto's Glue; False for others."""
    glue = glue_backends[account_id][region]
    created = _CREATE.match(query)
    if created:
        name, columns, location, _ = created.groups()
        if database not in glue.databases:
            glue.create_database(database, {"Name": database})
        try:
            glue.get_table(database, name.lower())
        except TableNotFoundException:
            glue.create_table(
                database,
                name.lower(),
                {
                    "Name": name.lower(),
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"table_type": "ICEBERG"},
                    "StorageDescriptor": {"Columns": split_columns(columns), "Location": location},
                },
            )
        return True
    altered = _ADD_COLUMNS.match(query)
    if altered:
        name, columns = altered.groups()
        table = glue.get_table(database, name.lower())
        current = table.get_version(str(table._current_version))
        descriptor = dict(current.get("StorageDescriptor", {}))
        descriptor["Columns"] = [*descriptor.get("Columns", []), *split_columns(columns)]
        glue.update_table(database, name.lower(), {**current, "StorageDescriptor": descriptor})
        return True
    return False


ATHENA_DDL = AthenaDdl()
