"""AutoML job archive: the Lambda functions' code (handlers, logic, data access, models)."""
