"""`python -m automl_archive_cli.preflight`: before `make deploy`/`make diff`, say which account and
region CDK will use, or say in one line what to fix (instead of CDK's "Unable to resolve AWS account").

It reads the same credentials and region chain as CDK and the operator command (AWS_PROFILE, the
environment, `aws configure`/SSO) and asks STS who they are: GetCallerIdentity needs no permission.
"""

from __future__ import annotations

import sys

from botocore.exceptions import BotoCoreError, ClientError

from automl_archive_cli.aws import aws_session, client, describe_aws_error
from automl_archive_cli.errors import CliError


def preflight() -> str:
    """The line to print when credentials and region resolve; CliError with what to fix otherwise."""
    with aws_session(None) as region:
        try:
            identity = client("sts").get_caller_identity()
        except (BotoCoreError, ClientError) as error:
            raise describe_aws_error(error) or CliError(f"AWS check failed: {error}") from error
    return f"Deploying to account {identity['Account']} in {region} as {identity['Arn']}"


def main() -> int:
    try:
        print(preflight())
    except CliError as error:
        print(f"automl-archive: {error}", file=sys.stderr)
        return error.exit_code or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
