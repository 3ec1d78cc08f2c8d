"""The layering docs/architecture.md describes, checked on the imports themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lambdas" / "automl_archive"
SHIPPED = [PACKAGE, ROOT / "infra", ROOT / "automl_archive_cli", ROOT / "datalake", ROOT / "app.py"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def python_files(*roots: Path) -> list[Path]:
    return [file for root in roots for file in ([root] if root.is_file() else sorted(root.rglob("*.py")))]


def importers_of(prefix: str, files: list[Path]) -> list[str]:
    return [
        str(file.relative_to(ROOT))
        for file in files
        if any(module == prefix or module.startswith(prefix + ".") for module in imported_modules(file))
    ]


@pytest.mark.parametrize("layer", ["contracts", "models", "dal"])
def test_lower_layers_never_import_logic(layer):
    assert importers_of("automl_archive.logic", python_files(PACKAGE / layer)) == []


@pytest.mark.parametrize("heavy", ["boto3", "botocore", "aws_lambda_powertools", "aws_cdk"])
def test_the_contracts_import_nothing_heavy(heavy):
    # infra and the CLI import them at synth and start-up: they stay plain Python
    assert importers_of(heavy, python_files(PACKAGE / "contracts")) == []


def test_logic_never_touches_boto3():
    assert importers_of("boto3", python_files(PACKAGE / "logic")) == []
    assert importers_of("botocore", python_files(PACKAGE / "logic")) == []


def test_what_ships_never_imports_development_tooling_or_tests():
    files = python_files(*SHIPPED)
    assert importers_of("devtools", files) == []
    assert importers_of("tests", files) == []


def test_the_functions_import_nothing_outside_their_asset():
    # Each function runs from its asset folder (lambdas/): the CLI, infra and the data lake are not there
    files = python_files(PACKAGE)
    for outside in ("infra", "automl_archive_cli", "datalake"):
        assert importers_of(outside, files) == [], outside


def test_only_the_lambda_handlers_build_the_tracer():
    # The X-Ray SDK behind Powertools' Tracer creates a boto3 client at import (reading AWS_PROFILE):
    # the operator command, which shares logic and observability, must not import it
    files = python_files(*SHIPPED)
    handlers = {str(file.relative_to(ROOT)) for file in python_files(PACKAGE / "handlers")}
    assert set(importers_of("automl_archive.handlers.tracing", files)) <= handlers
    assert [file for file in files if "Tracer" in file.read_text(encoding="utf-8")] == [
        PACKAGE / "handlers" / "tracing.py"
    ]
