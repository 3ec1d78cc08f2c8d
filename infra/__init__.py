"""CDK infrastructure of the AutoML job archive."""
