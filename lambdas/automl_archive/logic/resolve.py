"""Finds the AutoML job a work item concerns, cheaply.

A child job's link to its AutoML job (or to none) is remembered in DynamoDB for a while and in
the warm container, so an account that trains thousands of ordinary models pays one describe per
child job, not one per event.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from automl_archive.contracts.job_identity import JobSource, job_key
from automl_archive.contracts.job_status import ChildKind
from automl_archive.dal.interfaces import ChildJobNotFound, ChildLink, JobStore, SageMakerGateway
from automl_archive.models.messages import ChildJobEvent, exact_job_name

_MEMORY_LINKS = 4096


@dataclass(frozen=True)
class Resolution:
    job_name: str | None  # None: the child job belongs to no AutoML job (or is not provable yet)


class ChildJobResolver:
    def __init__(
        self,
        store: JobStore,
        link_ttl_seconds: int,
        epoch_seconds: Callable[[], int],
    ) -> None:
        self._store = store
        self._ttl = link_ttl_seconds
        self._now = epoch_seconds
        self._memory: OrderedDict[tuple[ChildKind, str], ChildLink] = OrderedDict()

    def resolve(self, event: ChildJobEvent, sagemaker: SageMakerGateway, source: JobSource | None = None) -> Resolution:
        """The AutoML job of a child job in `source` (None: the hub's own), asking `sagemaker` there."""
        memory_key = (event.kind, job_key(event.child_name, source))
        link = self._memory.get(memory_key) or self._store.get_child_link(event.kind, event.child_name, source)
        if link is not None:
            self._remember(memory_key, link)
            return Resolution(job_name=link.job_name)
        try:
            resolution = self._resolve_from_sagemaker(event, sagemaker)
        except ChildJobNotFound:
            return Resolution(job_name=None)  # not cached: it may be visible on the next event
        link = ChildLink(job_name=resolution.job_name)
        self._store.put_child_link(event.kind, event.child_name, link, self._now() + self._ttl, source)
        self._remember(memory_key, link)
        return resolution

    def _resolve_from_sagemaker(self, event: ChildJobEvent, sagemaker: SageMakerGateway) -> Resolution:
        if event.kind is ChildKind.TUNING:
            return self._resolve_tuning_job(event.child_name, sagemaker)
        arn = sagemaker.automl_job_arn_of_child(event.kind, event.child_name)
        return Resolution(job_name=exact_job_name(arn, event.child_name))

    def _resolve_tuning_job(self, tuning_job_name: str, sagemaker: SageMakerGateway) -> Resolution:
        """DescribeHyperParameterTuningJob has no AutoMLJobArn: one of its training jobs proves the link.

        The `<job>TA` name is only a hint: Autopilot cuts long names before appending `TA`, so the hint
        can name another, existing job whose name is that prefix. Nothing is cached unproven.
        """
        training_job = sagemaker.first_training_job_of_tuning_job(tuning_job_name)
        if training_job is None:
            raise ChildJobNotFound(tuning_job_name)  # nothing to prove it by yet; try on a later event
        arn = sagemaker.automl_job_arn_of_child(ChildKind.TRAINING, training_job)
        return Resolution(job_name=exact_job_name(arn, training_job))

    def _remember(self, key: tuple[ChildKind, str], link: ChildLink) -> None:
        self._memory[key] = link
        self._memory.move_to_end(key)
        if len(self._memory) > _MEMORY_LINKS:
            self._memory.popitem(last=False)
