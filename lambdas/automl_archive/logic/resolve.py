"""Finds the AutoML job a work item concerns, cheaply.

A child job's link to its AutoML job (or to none) is remembered in DynamoDB for a while and in
the warm container, so an account that trains thousands of ordinary models pays one describe per
child job, not one per event.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from automl_archive.dal.interfaces import ChildJobNotFound, ChildLink, JobNotFound, JobStore, SageMakerGateway
from automl_archive.logic.describe import describe_job
from automl_archive.models.messages import ChildJobEvent, ChildKind, job_name_from_arn

TUNING_NAME_SUFFIX = "TA"  # Autopilot names its tuning job <job>TA (observed, undocumented)
_MEMORY_LINKS = 4096


@dataclass(frozen=True)
class Resolution:
    job_name: str | None
    prefetched_answer: dict[str, Any] | None = None  # a describe made while confirming a name hint
    describe_api: str | None = None


class ChildJobResolver:
    def __init__(
        self,
        sagemaker: SageMakerGateway,
        store: JobStore,
        link_ttl_seconds: int,
        epoch_seconds: Callable[[], int],
    ) -> None:
        self._sagemaker = sagemaker
        self._store = store
        self._ttl = link_ttl_seconds
        self._now = epoch_seconds
        self._memory: OrderedDict[tuple[ChildKind, str], ChildLink] = OrderedDict()

    def resolve(self, event: ChildJobEvent, known_api: Callable[[str], str | None] = lambda _name: None) -> Resolution:
        """The event's AutoML job; `known_api` names the describe API already known to work for a job
        (the exporter's warm memory), so confirming a name hint costs no V1-then-V2 fallback."""
        memory_key = (event.kind, event.child_name.lower())
        link = self._memory.get(memory_key) or self._store.get_child_link(event.kind, event.child_name)
        if link is not None:
            self._remember(memory_key, link)
            return Resolution(job_name=link.job_name)
        try:
            resolution = self._resolve_from_sagemaker(event, known_api)
        except ChildJobNotFound:
            return Resolution(job_name=None)  # not cached: it may be visible on the next event
        link = ChildLink(job_name=resolution.job_name)
        self._store.put_child_link(event.kind, event.child_name, link, self._now() + self._ttl)
        self._remember(memory_key, link)
        return resolution

    def _resolve_from_sagemaker(self, event: ChildJobEvent, known_api: Callable[[str], str | None]) -> Resolution:
        if event.kind is ChildKind.TUNING:
            return self._resolve_tuning_job(event.child_name, known_api)
        arn = self._sagemaker.automl_job_arn_of_child(event.kind, event.child_name)
        return Resolution(job_name=exact_job_name(arn, event.child_name))

    def _resolve_tuning_job(self, tuning_job_name: str, known_api: Callable[[str], str | None]) -> Resolution:
        """DescribeHyperParameterTuningJob has no AutoMLJobArn: try the name hint, then prove it."""
        if tuning_job_name.endswith(TUNING_NAME_SUFFIX) and len(tuning_job_name) > len(TUNING_NAME_SUFFIX):
            candidate = tuning_job_name[: -len(TUNING_NAME_SUFFIX)]
            try:
                answer, api = describe_job(self._sagemaker, candidate, known_api=known_api(candidate))
            except JobNotFound:
                pass
            else:
                # The describe that confirms the hint is the one the export needs: hand it over.
                return Resolution(job_name=answer["AutoMLJobName"], prefetched_answer=answer, describe_api=api)
        # No hint, or the hint named no job (names are cut to 32 characters): ask a training job of it.
        training_job = self._sagemaker.first_training_job_of_tuning_job(tuning_job_name)
        if training_job is None:
            raise ChildJobNotFound(tuning_job_name)  # nothing to prove it by yet; try on a later event
        arn = self._sagemaker.automl_job_arn_of_child(ChildKind.TRAINING, training_job)
        return Resolution(job_name=exact_job_name(arn, training_job))

    def _remember(self, key: tuple[ChildKind, str], link: ChildLink) -> None:
        self._memory[key] = link
        self._memory.move_to_end(key)
        if len(self._memory) > _MEMORY_LINKS:
            self._memory.popitem(last=False)


def exact_job_name(automl_job_arn: str | None, child_name: str) -> str | None:
    """The job name from its ARN, with its real case recovered from the child's name when possible.

    ARNs are lower-cased; Autopilot's child names start with the job's name in its real case.
    """
    name = job_name_from_arn(automl_job_arn or "")
    if not name:
        return None
    prefix = child_name[: len(name)]
    return prefix if prefix.lower() == name.lower() else name
