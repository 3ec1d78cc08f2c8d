"""`automl-archive`: the operator's command line for a deployed AutoML Job Archive stack."""

__all__ = ["__version__"]
__version__ = "0.1.0"
