"""`python -m automl_archive_cli` runs the same entry point as the `automl-archive` console script."""

import sys

from automl_archive_cli.main import main

sys.exit(main())
