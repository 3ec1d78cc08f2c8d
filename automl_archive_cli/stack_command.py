"""What every stack command shares: --stack-name/--region/--verbose, the resolved stack, one-line errors.

A command body receives the deployed stack (`aws.Deployment`) and returns its exit code; whatever the
operator has to fix (credentials, region, stack, an AWS refusal) ends it with one line on stderr and
the code in `errors` (2 to fix the setup, 1 when work failed), never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from botocore.exceptions import BotoCoreError, ClientError

from automl_archive.contracts import stack_outputs
from automl_archive.contracts.settings import ConfigurationError
from automl_archive_cli import aws
from automl_archive_cli.errors import EXIT_USAGE, CliError
from automl_archive_cli.runtime import quiet_powertools

PROGRAM = "automl-archive"
STACK_ENV = "AUTOML_ARCHIVE_STACK"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class StackOptions:
    stack_name: str
    region: str | None = None
    verbose: bool = False


def stack_options(function: F) -> F:
    """--stack-name, --region and --verbose on a command (its function takes them as keyword arguments)."""
    function = click.option("--verbose", is_flag=True, help="Show the archiver's INFO logs on stderr.")(function)
    function = click.option("--region", default=None, help="AWS region (default: from your AWS configuration).")(
        function
    )
    return click.option(
        "--stack-name",
        envvar=STACK_ENV,
        default=stack_outputs.DEFAULT_STACK_NAME,
        show_default=True,
        show_envvar=True,
        help="The deployed stack.",
    )(function)


def error_line(message: str) -> None:
    click.echo(f"{PROGRAM}: {message}", err=True)


def run_on_stack(options: StackOptions, body: Callable[[aws.Deployment], int]) -> int:
    """Resolve the stack in the command's AWS session and run `body` on it; errors as one line."""
    try:
        with aws.aws_session(options.region) as region, quiet_powertools(options.verbose):
            deployment = aws.resolve_stack(aws.client("cloudformation"), options.stack_name, region)
            return int(body(deployment))
    except CliError as error:
        error_line(str(error))
        return error.exit_code
    except ConfigurationError as error:
        error_line(f"the deployed archiver's configuration is invalid: {error}")
        return EXIT_USAGE
    except (BotoCoreError, ClientError) as error:
        translated = aws.describe_aws_error(error)
        if translated is None:
            raise
        error_line(str(translated))
        return translated.exit_code
