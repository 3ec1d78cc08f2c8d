"""On-demand prices per instance-hour for the cost queries: a small table the analyst edits, not fetched.

Edit the numbers to your Region's and your agreement's (SageMaker pricing page, "On-Demand Pricing",
https://aws.amazon.com/sagemaker/pricing/), run `make docs`, and redeploy: the named queries carry the
table in their text. An instance type missing here is reported by the cost queries as unpriced, never
costed at zero. The figures below are illustrative us-east-1 list prices for training-class instances
as this table was written; they were not fetched and may be out of date.
"""

from __future__ import annotations

PRICE_CURRENCY = "USD"
ON_DEMAND_USD_PER_HOUR: dict[str, float] = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.m5.12xlarge": 2.765,
    "ml.m5.24xlarge": 5.53,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
    "ml.c5.9xlarge": 1.836,
    "ml.c5.18xlarge": 3.672,
    "ml.g4dn.xlarge": 0.736,
    "ml.g4dn.2xlarge": 0.94,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
    "ml.p3.2xlarge": 3.825,
}


def prices_values_sql() -> str:
    """The table as SQL both engines read: ``(VALUES ('ml.m5.xlarge', 0.23), ...) AS prices(...)``."""
    rows = ",\n        ".join(f"('{name}', {price!r})" for name, price in sorted(ON_DEMAND_USD_PER_HOUR.items()))
    return f"(VALUES\n        {rows}\n    ) AS prices (instance_type, usd_per_hour)"
