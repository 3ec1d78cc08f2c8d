"""The Powertools tracer, for the Lambda handlers only.

Building it imports the X-Ray SDK, whose recorder creates a boto3 client at import time (and so
reads the AWS profile). It lives here, not in `observability`, so code that shares the product's
logger and metrics outside Lambda (the operator command) builds no AWS client just by importing.
"""

from aws_lambda_powertools import Tracer

tracer = Tracer()
