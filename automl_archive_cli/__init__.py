"""`automl-archive`: the operator's command line for a deployed AutoML Job Archive stack."""

import os

# The product's Powertools logger is built when `automl_archive.observability` is first imported and
# reads its service name then; without one its lines say `service_undefined`. Set before any import
# of the Lambda package (this package's modules import it); a name set by the caller wins.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "automl-archive")

__all__ = ["__version__"]
__version__ = "0.1.0"
