"""The data lake over the archive: the Glue tables and named Athena queries, as data.

Infra deploys them (Glue catalog, Athena workgroup); the operator command runs them (`automl-archive
query`), on Athena or locally through DuckDB.
"""
