"""`automl-archive`: operate a deployed AutoML Job Archive stack (backfill, redrive, archive, status, policy,
rederive, query); the click group, its commands on the stack, and the entry point."""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import click

from automl_archive.dal.aws import DynamoJobStore, SqsWorkQueue
from automl_archive.logic.archive import JobArchiver
from automl_archive_cli import aws, data_commands, queue_wait
from automl_archive_cli.backfill import JOB_STATUSES, Backfill, BackfillFilters, BackfillReport
from automl_archive_cli.checkpoint import Checkpoint, checkpoint_path
from automl_archive_cli.commands import archive_job, archive_status, status_renderables
from automl_archive_cli.console import Progress, stdout_console
from automl_archive_cli.dead_letter_queues import queue_depth
from automl_archive_cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, CliError
from automl_archive_cli.operator_policy import operator_policy
from automl_archive_cli.params import ACCOUNT_ID, JOB_NAME, POSITIVE_INT, POSITIVE_RATE, SINCE, UNTIL
from automl_archive_cli.ratelimit import RateLimitedSageMakerApi, RateLimiter
from automl_archive_cli.redrive import redrive_all
from automl_archive_cli.runtime import archiver_settings, build_archiver
from automl_archive_cli.spoke_backfill import rewind_spoke_sweeps, spoke_sources
from automl_archive_cli.stack_command import PROGRAM, StackOptions, error_line, run_on_stack, stack_options

CONTEXT = {"help_option_names": ["-h", "--help"]}


@click.group(context_settings=CONTEXT)
def cli() -> None:
    """Operate a deployed AutoML Job Archive stack.

    Each command finds the stack's resources from its CloudFormation outputs (--stack-name,
    --region); `automl-archive COMMAND --help` describes one.
    """


# ---------------------------------------------------------------- backfill


@cli.command(context_settings=CONTEXT)
@click.option("--since", type=SINCE, help="Jobs created at or after (ISO date or datetime; UTC).")
@click.option("--until", type=UNTIL, help="Jobs created before (a bare date includes that whole day; UTC).")
@click.option("--status", type=click.Choice(JOB_STATUSES), help="Only jobs in this status.")
@click.option("--name-contains", help="Only jobs whose name contains this (case-insensitive).")
@click.option(
    "--direct", is_flag=True, help="Archive from this machine instead of enqueueing to the deployed pipeline."
)
@click.option("--workers", type=POSITIVE_INT, default=8, show_default=True, help="Threads for --direct.")
@click.option("--dry-run", is_flag=True, help="List and compare only; write nothing.")
@click.option("--rate", type=POSITIVE_RATE, help="Cap on SageMaker calls per second (default: none).")
@click.option(
    "--checkpoint", type=click.Path(dir_okay=False, path_type=Path), help="Resume file (default: under ~/.cache)."
)
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.option(
    "--account",
    type=ACCOUNT_ID,
    help="A registered spoke's account: its sweep lists from --since on its next pass (docs/multi-account.md).",
)
@click.option("--job-region", help="With --account: only the spoke's sweep in this Region.")
@click.option(
    "--alerts", is_flag=True, help="Alert on the jobs' failures as on news (default: history sends no alert)."
)
@click.option("--wait", is_flag=True, help="After enqueueing, follow the work queue until the archiver has drained it.")
@click.option(
    "--wait-timeout",
    type=POSITIVE_INT,
    help=f"With --wait: give up waiting after this many seconds (default {queue_wait.DEFAULT_TIMEOUT_SECONDS}).",
)
@click.option("--restart", is_flag=True, help="Discard this backfill's checkpoint and hand off every job again.")
@stack_options
def backfill(
    since: datetime | None,
    until: datetime | None,
    status: str | None,
    name_contains: str | None,
    direct: bool,
    workers: int,
    dry_run: bool,
    rate: float | None,
    checkpoint: Path | None,
    no_progress: bool,
    account: str | None,
    job_region: str | None,
    alerts: bool,
    wait: bool,
    wait_timeout: int | None,
    restart: bool,
    stack_name: str,
    region: str | None,
    verbose: bool,
) -> int:
    """Archive historical AutoML jobs.

    By default the jobs are enqueued and the deployed archiver archives them asynchronously: the
    command ends before the archive is complete (--wait follows the queue until it drains).
    """
    if since and until and since >= until:
        error_line("--since must be before --until")
        return EXIT_USAGE
    if job_region and not account:
        error_line("--job-region needs --account")
        return EXIT_USAGE
    if wait and (direct or dry_run):
        error_line(
            "--wait follows the work queue after an enqueue: --direct archives from here, --dry-run enqueues nothing"
        )
        return EXIT_USAGE
    if wait_timeout is not None and not wait:
        error_line("--wait-timeout needs --wait")
        return EXIT_USAGE
    if account:
        if since is None or until or status or name_contains or direct or wait or restart:
            error_line("--account takes --since (and --job-region, --dry-run) only: the hub's sweep lists the spoke")
            return EXIT_USAGE
        return _backfill_spoke(account, job_region, since, dry_run, StackOptions(stack_name, region, verbose))
    filters = BackfillFilters(since=since, until=until, status=status, name_contains=name_contains)

    def body(deployment: aws.Deployment) -> int:
        identity = {
            "stack": deployment.stack_name,
            "region": deployment.region,
            "filters": filters.describe(),
            "mode": "direct" if direct else "enqueue",
        }
        path = checkpoint or checkpoint_path(identity)
        if restart and not dry_run:
            path.unlink(missing_ok=True)
        resume = Checkpoint(path, identity) if restart else Checkpoint.load(path, identity)
        limiter = RateLimiter(rate) if rate else None
        archiver_factory: Callable[[], JobArchiver] | None = None
        if direct:
            environment = aws.archiver_environment(aws.client("lambda"), deployment.archiver_function_name)
            settings = archiver_settings(deployment, environment)
            sagemaker = RateLimitedSageMakerApi(settings.sagemaker_retry_mode, settings.sagemaker_max_attempts, limiter)
            archiver_factory = functools.partial(build_archiver, settings, sagemaker)
        else:
            sagemaker = RateLimitedSageMakerApi("adaptive", 8, limiter)
        job = Backfill(
            sagemaker=sagemaker,
            store=DynamoJobStore(deployment.jobs_table_name),
            checkpoint=resume,
            filters=filters,
            progress=Progress.for_stderr(disabled=no_progress),
            queue=None if direct else SqsWorkQueue(deployment.work_queue_url),
            archiver_factory=archiver_factory,
            workers=workers,
            alerts=alerts,
        )
        try:
            report = job.run(dry_run=dry_run)
        except KeyboardInterrupt:
            resume.close()
            click.echo("\n".join(["Interrupted.", *job.report.summary_lines()]))
            error_line(
                f"interrupted; {len(resume.handed_off)} jobs recorded in {path}. "
                "Run the same command again to resume: jobs already handed off are skipped."
            )
            return EXIT_INTERRUPTED
        title = "Backfill (dry run)" if dry_run else "Backfill"
        click.echo("\n".join([f"{title} of {deployment.stack_name} in {deployment.region}:", *report.summary_lines()]))
        if limiter is not None:
            click.echo(f"SageMaker requests: {sagemaker.requests_sent} (cap {rate:g}/s)")
        if report.failed:
            error_line(f"{report.failed} jobs failed; rerun the same command to retry them.")
            return EXIT_FAILED
        if dry_run:
            return 0
        if direct:
            resume.remove()  # archived from here: the archive itself now tells a rerun what to skip
            return 0
        return _follow_enqueued(deployment, report, resume, wait, wait_timeout)

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


def _follow_enqueued(
    deployment: aws.Deployment, report: BackfillReport, resume: Checkpoint, wait: bool, wait_timeout: int | None
) -> int:
    """After an enqueue: say that archiving goes on in the stack, or follow the queue until it drains.

    The checkpoint is kept while the deployed archiver may still be working on jobs it holds, so a
    rerun in the meantime does not enqueue them again; it goes once the queue has drained (--wait) or a
    run finds every listed job in the archive itself.
    """
    if report.handed_off + report.from_checkpoint == 0:
        resume.remove()  # the archive holds every listed job: nothing is left to resume
        return 0
    if not wait:
        click.echo(
            "Archiving continues asynchronously: the deployed archiver works through the work queue at its "
            "own pace. Watch it with `automl-archive status` (the work queue's depth), or run this command "
            f"again with --wait to follow it until it drains. The checkpoint {resume.path} is kept until then, "
            "so a rerun skips the jobs already enqueued (--restart enqueues them again)."
        )
        return 0
    timeout = wait_timeout or queue_wait.DEFAULT_TIMEOUT_SECONDS
    sqs = aws.client("sqs")
    click.echo(
        f"Waiting for the archiver to drain the work queue (a read every {queue_wait.CHECK_INTERVAL_SECONDS:g} s, "
        f"at most {timeout} s; Ctrl-C stops waiting, not archiving)...",
        err=True,
    )
    try:
        result = queue_wait.wait_until_drained(
            lambda: queue_depth(sqs, deployment.work_queue_url),
            timeout_seconds=timeout,
            report=lambda line: click.echo(f"  {line}", err=True),
        )
    except KeyboardInterrupt:
        error_line(
            f"stopped waiting; the deployed archiver carries on. The checkpoint {resume.path} is kept: "
            "watch with `automl-archive status`, or run this command again with --wait."
        )
        return EXIT_INTERRUPTED
    if not result.drained:
        error_line(
            f"the work queue still holds {result.last.total} messages after {timeout} s; archiving continues. "
            f"The checkpoint {resume.path} is kept: run this command again with --wait to keep following it."
        )
        return EXIT_FAILED
    resume.remove()
    elapsed = time.strftime("%H:%M:%S", time.gmtime(result.elapsed_seconds))
    click.echo(f"The work queue is drained ({elapsed} waited): every message was archived or dead-lettered.")
    dead = queue_depth(sqs, deployment.dead_letter_queue_url).total
    if dead:
        click.echo(
            f"The work queue's dead-letter queue holds {dead} messages: see `automl-archive status`, fix the "
            "cause, then `automl-archive redrive`."
        )
    return 0


def _backfill_spoke(account: str, job_region: str | None, since: datetime, dry_run: bool, options: StackOptions) -> int:
    def body(deployment: aws.Deployment) -> int:
        sources = spoke_sources(deployment, account, job_region)
        rewinds = rewind_spoke_sweeps(DynamoJobStore(deployment.jobs_table_name), sources, since, dry_run)
        for rewind in rewinds:
            if dry_run:
                state = "would list from"
            elif rewind.rewound:
                state = "will list from"
            else:
                state = "already lists from at or before"
            click.echo(f"{rewind.source}: the sweep {state} {since.isoformat()}")
        if not dry_run:
            click.echo(
                "The hub's reconcile pass lists these spokes on its next run (within its interval) and hands "
                "over every job the archive lacks; watch it with `automl-archive status`."
            )
        return 0

    return run_on_stack(options, body)


# ---------------------------------------------------------------- redrive, archive, status, operator-policy


@cli.command(context_settings=CONTEXT)
@click.option("--no-wait", is_flag=True, help="Start the work queue DLQ's move task and do not wait.")
@click.option("--dry-run", is_flag=True, help="Show what each queue holds; move nothing.")
@stack_options
def redrive(no_wait: bool, dry_run: bool, stack_name: str, region: str | None, verbose: bool) -> int:
    """Drain every dead-letter queue into the work queue.

    The work queue's DLQ by an SQS move task; the EventBridge rules' by receive, send to the work
    queue, delete; the sweep schedule's are acknowledged.
    """

    def body(deployment: aws.Deployment) -> int:
        try:
            results = redrive_all(aws.client("sqs"), deployment, wait=not no_wait, dry_run=dry_run)
        except KeyboardInterrupt:
            error_line(
                "interrupted; nothing is lost: run redrive again. Messages already sent but not yet "
                "deleted are sent again (duplicates the archiver ignores); a running move task carries on."
            )
            return EXIT_INTERRUPTED
        title = "Redrive (dry run)" if dry_run else "Redrive"
        click.echo(f"{title} of {deployment.stack_name} in {deployment.region}:")
        click.echo("\n".join(f"  {result.line()}" for result in results))
        if all(result.status == "EMPTY" and not result.found.total for result in results):
            click.echo("Every dead-letter queue is empty: nothing to redrive.")
        failed = [result for result in results if not result.ok]
        if failed:
            names = ", ".join(result.dlq.label for result in failed)
            error_line(f"not everything was redriven ({names}); fix the cause and run redrive again.")
            return EXIT_FAILED
        return 0

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


@cli.command(context_settings=CONTEXT)
@click.argument("job_name", metavar="JOB_NAME", type=JOB_NAME)
@click.option("--alerts", is_flag=True, help="Alert on the job's failure as on news (default: no alert).")
@stack_options
def archive(job_name: str, alerts: bool, stack_name: str, region: str | None, verbose: bool) -> int:
    """Archive one job now and print its record."""

    def body(deployment: aws.Deployment) -> int:
        environment = aws.archiver_environment(aws.client("lambda"), deployment.archiver_function_name)
        settings = archiver_settings(deployment, environment)
        sagemaker = RateLimitedSageMakerApi(settings.sagemaker_retry_mode, settings.sagemaker_max_attempts)
        archiver = build_archiver(settings, sagemaker)
        store = DynamoJobStore(deployment.jobs_table_name)
        record = archive_job(archiver, store, aws.client("s3"), deployment.archive_bucket_name, job_name, alerts)
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return 0

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


@cli.command(context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--newest", type=POSITIVE_INT, default=5, show_default=True, help="How many newest jobs to list.")
@click.option("--account", type=ACCOUNT_ID, help="Only jobs that run in this AWS account.")
# --region names the stack's Region (every command's option), so the jobs' own Region has its own name.
@click.option("--job-region", help="Only jobs that run in this AWS Region.")
@stack_options
def status(
    as_json: bool,
    newest: int,
    account: str | None,
    job_region: str | None,
    stack_name: str,
    region: str | None,
    verbose: bool,
) -> int:
    """Summarise the archive: jobs by status and by account, newest archived, queue depths."""

    def body(deployment: aws.Deployment) -> int:
        store = DynamoJobStore(deployment.jobs_table_name)
        summary = archive_status(
            store, aws.client("sqs"), deployment, newest=newest, account=account, region=job_region
        )
        if as_json:
            document = {"stack": deployment.stack_name, "region": deployment.region, **summary.as_json()}
            click.echo(json.dumps(document, indent=2))
            return 0
        console = stdout_console()
        console.print(f"Stack {deployment.stack_name} in {deployment.region}")
        for renderable in status_renderables(summary):
            console.print(renderable)
        return 0

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


@cli.command("operator-policy", context_settings=CONTEXT)
@stack_options
def print_operator_policy(stack_name: str, region: str | None, verbose: bool) -> int:
    """Print, as JSON, the IAM policy that grants exactly the calls this CLI makes on the stack."""

    def body(deployment: aws.Deployment) -> int:
        click.echo(json.dumps(operator_policy(deployment), indent=2))
        return 0

    return run_on_stack(StackOptions(stack_name, region, verbose), body)


for _command in data_commands.COMMANDS:
    cli.add_command(_command)

# `export` was this command's name before one verb was chosen (decision 22): scripts that still call
# it keep working, and it is left out of --help.
cli.add_command(click.Command("export", params=archive.params, callback=archive.callback, hidden=True))


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code (usage errors 2, failed work 1, Ctrl-C 130)."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name=PROGRAM, standalone_mode=False)
    except click.exceptions.Abort:
        error_line("interrupted.")
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except CliError as error:  # raised outside a stack command (e.g. `query --local`)
        error_line(str(error))
        return error.exit_code
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
