"""The CDK app's constructs and settings.

The Lambda package (lambdas/automl_archive) is the one home of the facts the infrastructure shares with
the functions (time budgets, metric names, settings); it is put on the import path here so `cdk synth`
(`python3 app.py`) imports it without a PYTHONPATH.
"""

import sys
from pathlib import Path

_LAMBDAS_DIR = str(Path(__file__).resolve().parent.parent / "lambdas")
if _LAMBDAS_DIR not in sys.path:
    sys.path.append(_LAMBDAS_DIR)
