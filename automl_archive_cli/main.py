"""`automl-archive`: operate a deployed AutoML Job Archive stack (backfill, redrive, archive, status, policy)."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from automl_archive.contracts.settings import ConfigurationError
from automl_archive.dal.aws import DynamoJobStore, SqsWorkQueue
from automl_archive.logic.archive import JobArchiver
from automl_archive_cli import aws
from automl_archive_cli.backfill import JOB_STATUSES, Backfill, BackfillFilters
from automl_archive_cli.checkpoint import Checkpoint, checkpoint_path
from automl_archive_cli.commands import archive_job, archive_status
from automl_archive_cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, CliError
from automl_archive_cli.operator_policy import operator_policy
from automl_archive_cli.progress import Progress
from automl_archive_cli.ratelimit import RateLimitedSageMakerApi, RateLimiter
from automl_archive_cli.redrive import redrive_all
from automl_archive_cli.runtime import archiver_settings, build_archiver, quiet_powertools

STACK_ENV = "AUTOML_ARCHIVE_STACK"
PROGRAM = "automl-archive"


# ---------------------------------------------------------------- argument types


def parse_when(text: str, end_of_day: bool = False) -> datetime:
    """An ISO date or datetime as an aware UTC datetime; a bare date with `end_of_day` means the next midnight."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date or datetime (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)"
        ) from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def since_type(text: str) -> datetime:
    return parse_when(text)


def until_type(text: str) -> datetime:
    return parse_when(text, end_of_day=True)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from error
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--stack-name",
        default=os.environ.get(STACK_ENV) or aws.DEFAULT_STACK_NAME,
        help=f"the deployed stack (default: ${STACK_ENV} or {aws.DEFAULT_STACK_NAME})",
    )
    common.add_argument("--region", default=None, help="AWS region (default: from your AWS configuration)")
    common.add_argument("--verbose", action="store_true", help="show the archiver's INFO logs on stderr")

    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    backfill = commands.add_parser(
        "backfill", parents=[common], help="archive historical AutoML jobs", description="Archive historical jobs."
    )
    backfill.add_argument("--since", type=since_type, help="jobs created at or after (ISO date or datetime; UTC)")
    backfill.add_argument(
        "--until", type=until_type, help="jobs created before (a bare date includes that whole day; UTC)"
    )
    backfill.add_argument("--status", choices=JOB_STATUSES, help="only jobs in this status")
    backfill.add_argument("--name-contains", help="only jobs whose name contains this (case-insensitive)")
    backfill.add_argument(
        "--direct", action="store_true", help="archive from this machine instead of enqueueing to the deployed pipeline"
    )
    backfill.add_argument("--workers", type=positive_int, default=8, help="threads for --direct (default 8)")
    backfill.add_argument("--dry-run", action="store_true", help="list and compare only; write nothing")
    backfill.add_argument("--rate", type=positive_rate, help="cap on SageMaker calls per second (default: none)")
    backfill.add_argument("--checkpoint", type=Path, help="resume file (default: under ~/.cache/automl-archive/)")
    backfill.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    move = commands.add_parser(
        "redrive",
        parents=[common],
        help="drain every dead-letter queue into the work queue",
        description="Drain every dead-letter queue of the stack: the work queue's by an SQS move task, the "
        "EventBridge rules' by receive, send to the work queue, delete; the sweep schedule's are acknowledged.",
    )
    move.add_argument("--no-wait", action="store_true", help="start the work queue DLQ's move task and do not wait")
    move.add_argument("--dry-run", action="store_true", help="show what each queue holds; move nothing")

    archive = commands.add_parser(
        "archive", parents=[common], help="archive one job now and print its record", description="Archive one job."
    )
    archive.add_argument("job_name", metavar="JOB_NAME")

    status = commands.add_parser("status", parents=[common], help="summarise the archive", description="Status.")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--newest", type=positive_int, default=5, help="how many newest jobs to list (default 5)")

    commands.add_parser(
        "operator-policy",
        parents=[common],
        help="print the IAM policy an operator needs for every command",
        description="Print, as JSON, the IAM policy that grants exactly the calls this CLI makes on the stack.",
    )
    return parser


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with aws.aws_session(args.region) as region, quiet_powertools(args.verbose):
            deployment = aws.resolve_stack(aws.client("cloudformation"), args.stack_name, region)
            return int(COMMANDS[args.command](args, deployment))
    except CliError as error:
        print(f"{PROGRAM}: {error}", file=sys.stderr)
        return error.exit_code
    except ConfigurationError as error:
        print(f"{PROGRAM}: the deployed archiver's configuration is invalid: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (BotoCoreError, ClientError) as error:
        translated = aws.describe_aws_error(error)
        if translated is None:
            raise
        print(f"{PROGRAM}: {translated}", file=sys.stderr)
        return translated.exit_code


def run_backfill(args: argparse.Namespace, deployment: aws.Deployment) -> int:
    if args.since and args.until and args.since >= args.until:
        raise CliError("--since must be before --until")
    filters = BackfillFilters(since=args.since, until=args.until, status=args.status, name_contains=args.name_contains)
    identity = {
        "stack": deployment.stack_name,
        "region": deployment.region,
        "filters": filters.describe(),
        "mode": "direct" if args.direct else "enqueue",
    }
    path = args.checkpoint or checkpoint_path(identity)
    checkpoint = Checkpoint.load(path, identity)
    limiter = RateLimiter(args.rate) if args.rate else None
    archiver_factory: Callable[[], JobArchiver] | None = None
    if args.direct:
        environment = aws.archiver_environment(aws.client("lambda"), deployment.archiver_function_name)
        settings = archiver_settings(deployment, environment)
        sagemaker = RateLimitedSageMakerApi(settings.sagemaker_retry_mode, settings.sagemaker_max_attempts, limiter)
        archiver_factory = functools.partial(build_archiver, settings, sagemaker)
    else:
        sagemaker = RateLimitedSageMakerApi("adaptive", 8, limiter)

    job = Backfill(
        sagemaker=sagemaker,
        store=DynamoJobStore(deployment.jobs_table_name),
        checkpoint=checkpoint,
        filters=filters,
        progress=Progress.for_stderr(disabled=args.no_progress),
        queue=None if args.direct else SqsWorkQueue(deployment.work_queue_url),
        archiver_factory=archiver_factory,
        workers=args.workers,
    )
    try:
        report = job.run(dry_run=args.dry_run)
    except KeyboardInterrupt:
        checkpoint.close()
        report = job.report
        print("\n".join(["Interrupted.", *report.summary_lines()]))
        print(
            f"{PROGRAM}: interrupted; {len(checkpoint.handed_off)} jobs recorded in {path}. "
            "Run the same command again to resume: jobs already handed off are skipped.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    title = "Backfill (dry run)" if args.dry_run else "Backfill"
    print("\n".join([f"{title} of {deployment.stack_name} in {deployment.region}:", *report.summary_lines()]))
    if limiter is not None:
        print(f"SageMaker requests: {sagemaker.requests_sent} (cap {args.rate:g}/s)")
    if report.failed:
        print(f"{PROGRAM}: {report.failed} jobs failed; rerun the same command to retry them.", file=sys.stderr)
        return EXIT_FAILED
    if not args.dry_run and checkpoint.path.exists():
        checkpoint.remove()  # complete: the archive itself now tells a rerun what to skip
    return 0


def run_redrive(args: argparse.Namespace, deployment: aws.Deployment) -> int:
    try:
        results = redrive_all(aws.client("sqs"), deployment, wait=not args.no_wait, dry_run=args.dry_run)
    except KeyboardInterrupt:
        print(
            f"{PROGRAM}: interrupted; nothing is lost: run redrive again. Messages already sent but not yet "
            "deleted are sent again (duplicates the archiver ignores); a running move task carries on.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    title = "Redrive (dry run)" if args.dry_run else "Redrive"
    print(f"{title} of {deployment.stack_name} in {deployment.region}:")
    print("\n".join(f"  {result.line()}" for result in results))
    if all(result.status == "EMPTY" and not result.found.total for result in results):
        print("Every dead-letter queue is empty: nothing to redrive.")
    failed = [result for result in results if not result.ok]
    if failed:
        names = ", ".join(result.dlq.label for result in failed)
        print(
            f"{PROGRAM}: not everything was redriven ({names}); fix the cause and run redrive again.", file=sys.stderr
        )
        return EXIT_FAILED
    return 0


def run_archive(args: argparse.Namespace, deployment: aws.Deployment) -> int:
    environment = aws.archiver_environment(aws.client("lambda"), deployment.archiver_function_name)
    settings = archiver_settings(deployment, environment)
    sagemaker = RateLimitedSageMakerApi(settings.sagemaker_retry_mode, settings.sagemaker_max_attempts)
    archiver = build_archiver(settings, sagemaker)
    store = DynamoJobStore(deployment.jobs_table_name)
    record = archive_job(archiver, store, aws.client("s3"), deployment.archive_bucket_name, args.job_name)
    print(json.dumps(record, indent=2, ensure_ascii=False))
    return 0


def run_status(args: argparse.Namespace, deployment: aws.Deployment) -> int:
    status = archive_status(
        DynamoJobStore(deployment.jobs_table_name), aws.client("sqs"), deployment, newest=args.newest
    )
    if args.json:
        print(json.dumps({"stack": deployment.stack_name, "region": deployment.region, **status.as_json()}, indent=2))
    else:
        print(f"Stack {deployment.stack_name} in {deployment.region}")
        print(status.as_text())
    return 0


def run_operator_policy(_: argparse.Namespace, deployment: aws.Deployment) -> int:
    print(json.dumps(operator_policy(deployment), indent=2))
    return 0


COMMANDS = {
    "backfill": run_backfill,
    "redrive": run_redrive,
    "archive": run_archive,
    "status": run_status,
    "operator-policy": run_operator_policy,
}


if __name__ == "__main__":
    sys.exit(main())
