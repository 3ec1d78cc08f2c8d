"""`python -m automl_archive_cli.preflight [deploy|diff|bootstrap]`: before `make deploy`, `make diff` and
`make bootstrap`, say which account and region CDK will use, or say in one line what to fix (instead of
CDK's "Unable to resolve AWS account"), with the operator command's messages.

It reads the same credentials and region chain as CDK and the operator command (AWS_PROFILE, the
environment, `aws configure`/SSO) and asks STS who they are: GetCallerIdentity needs no permission.
"""

from __future__ import annotations

import sys

from botocore.exceptions import BotoCoreError, ClientError

from automl_archive_cli.aws import aws_session, client, describe_aws_error
from automl_archive_cli.errors import CliError

ACTIONS = {"deploy": "Deploying to", "diff": "Comparing with", "bootstrap": "Bootstrapping"}


def preflight(action: str = "deploy") -> str:
    """The line to print when credentials and region resolve; CliError with what to fix otherwise."""
    with aws_session(None) as region:
        try:
            identity = client("sts").get_caller_identity()
        except (BotoCoreError, ClientError) as error:
            raise describe_aws_error(error) or CliError(f"AWS check failed: {error}") from error
    return f"{ACTIONS[action]} account {identity['Account']} in {region} as {identity['Arn']}"


def main(argv: list[str] | None = None) -> int:
    words = argv or []
    action = words[0] if words else "deploy"
    if action not in ACTIONS or len(words) > 1:
        print(f"usage: python -m automl_archive_cli.preflight [{'|'.join(ACTIONS)}]", file=sys.stderr)
        return 2
    try:
        print(preflight(action))
    except CliError as error:
        print(f"automl-archive: {error}", file=sys.stderr)
        return error.exit_code or 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
