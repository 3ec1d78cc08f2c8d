"""`backfill --account`: history in a spoke is listed by the hub's own sweep, which holds the spoke's
reader role and its rate cap. The command moves that spoke's sweep watermark back to `--since`, so the
next pass (within the sweep interval) lists every job modified since then and hands over what the
archive lacks. The operator needs no role in the spoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from automl_archive.contracts.job_identity import JobSource
from automl_archive.contracts.job_table import watermark_name
from automl_archive.dal.aws import DynamoJobStore
from automl_archive.logic.reconcile import SWEEP_WATERMARK
from automl_archive_cli.aws import Deployment
from automl_archive_cli.errors import EXIT_USAGE, CliError


@dataclass(frozen=True)
class Rewind:
    source: JobSource
    rewound: bool  # False: the watermark already was at or before --since (a pass is due to list it)


def spoke_sources(deployment: Deployment, account: str, job_region: str | None) -> list[JobSource]:
    """The registered sources of `account` (in `job_region` only, if given); a usage error names what
    the stack registers when none matches."""
    registered = [spoke.source for spoke in deployment.spokes]
    chosen = [s for s in registered if s.account_id == account and (job_region is None or s.region == job_region)]
    if not chosen:
        known = ", ".join(str(source) for source in registered) or "none"
        where = f"{account}/{job_region}" if job_region else account
        raise CliError(
            f"{where} is not a registered spoke of {deployment.stack_name} (registered: {known}).", EXIT_USAGE
        )
    return chosen


def rewind_spoke_sweeps(
    store: DynamoJobStore, sources: list[JobSource], since: datetime, dry_run: bool
) -> list[Rewind]:
    if dry_run:
        return [Rewind(source, rewound=False) for source in sources]
    return [
        Rewind(source, store.rewind_watermark(watermark_name(SWEEP_WATERMARK, source), since)) for source in sources
    ]
