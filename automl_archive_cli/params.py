"""Option and argument types of `automl-archive`: ISO dates as aware UTC datetimes, account ids, job names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import click

from automl_archive.contracts.job_identity import AUTOML_JOB_NAME, AUTOML_JOB_NAME_RULE


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
        raise ValueError(
            f"{text!r} is not an ISO date or datetime (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)"
        ) from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class When(click.ParamType):
    """An ISO date or datetime option (UTC when no offset is given)."""

    name = "date"

    def __init__(self, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_when(str(value), end_of_day=self.end_of_day)
        except ValueError as error:
            self.fail(str(error), param, ctx)


SINCE = When()
UNTIL = When(end_of_day=True)
POSITIVE_INT = click.IntRange(min=1)


class AccountId(click.ParamType):
    """A 12-digit AWS account id."""

    name = "ACCOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not (len(text) == 12 and text.isdigit()):
            self.fail(f"{value!r} is not a 12-digit AWS account id", param, ctx)
        return text


ACCOUNT_ID = AccountId()
POSITIVE_RATE = click.FloatRange(min=0, min_open=True)


class JobName(click.ParamType):
    """An AutoML job name as SageMaker accepts it, checked before any AWS call."""

    name = "JOB_NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if not AUTOML_JOB_NAME.match(text):
            shown = text if len(text) <= 80 else text[:80] + "..."
            self.fail(
                f"{shown!r} is not an AutoML job name: 1 to 32 letters, digits and hyphens, starting and ending "
                f"with a letter or digit (SageMaker's pattern {AUTOML_JOB_NAME_RULE})",
                param,
                ctx,
            )
        return text


JOB_NAME = JobName()
