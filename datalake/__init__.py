"""The data lake over the archive: Glue/Athena definitions as data, a DuckDB runner, re-derivation.

The table columns are generated from the product's record schema (``automl_archive.models.record``),
which lives in ``lambdas/``. Tests, ``make`` and the emulator put ``lambdas/`` on ``PYTHONPATH``;
``python3 app.py`` run by the CDK CLI from a bare shell may not, so the repository's ``lambdas/`` is
appended to ``sys.path`` here when (and only when) the package cannot be found otherwise.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_LAMBDAS_DIR = Path(__file__).resolve().parent.parent / "lambdas"

if importlib.util.find_spec("automl_archive") is None and _LAMBDAS_DIR.is_dir():  # pragma: no cover
    sys.path.append(str(_LAMBDAS_DIR))
