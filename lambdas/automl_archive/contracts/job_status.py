"""AutoML job statuses, the two describe APIs, and the SageMaker events that concern AutoML jobs.

The functions decide with these, the stack's EventBridge rules filter on them, the alarms and the
dashboard name them, and the emulator plays them.
"""

from __future__ import annotations

from enum import StrEnum

# --- Job statuses (DescribeAutoMLJob's AutoMLJobStatus) -------------------------------------------
COMPLETED = "Completed"
FAILED = "Failed"
STOPPED = "Stopped"
STOPPING = "Stopping"
IN_PROGRESS = "InProgress"
TERMINAL_STATUSES = frozenset({COMPLETED, FAILED, STOPPED})
FINISHED_JOB_STATUSES = (COMPLETED, FAILED, STOPPED)  # the JobsFinished metric's `status` dimension
# How far along a status is, within one LastModifiedTime (the ordering key's last digit).
STATUS_RANK = {IN_PROGRESS: 1, STOPPING: 2, COMPLETED: 3, STOPPED: 3, FAILED: 3}
# Secondary statuses that mean the job finished but part of its work did not.
ERROR_SECONDARY_STATUSES = frozenset({"ExplainabilityError", "ModelInsightsError", "ModelDeploymentError"})

# --- Phases: where a running tabular job is, in the order Autopilot goes through them --------------
# A step number per secondary status (alternatives share one: ModelTuning in HYPERPARAMETER_TUNING mode,
# TrainingModels in ENSEMBLING mode, CandidateDefinitionsGenerated when only definitions are asked for).
# A finished job is at END_PHASE_STEP whatever its secondary status says. The data lake's phase query
# flags a transition that jumps over a REQUIRED step: the archive did not observe a phase, so the
# previous phase's duration includes it (docs/data-lake.md, "Phase transitions").
PHASE_STEPS = {
    "Starting": 1,
    "AnalyzingData": 2,
    "FeatureEngineering": 3,
    "PreTraining": 3,
    "ModelTuning": 4,
    "TrainingModels": 4,
    "CandidateDefinitionsGenerated": 4,
    "MaxCandidatesReached": 5,
    "MaxAutoMLJobRuntimeReached": 5,
    "GeneratingExplainabilityReport": 6,
    "GeneratingModelInsightsReport": 7,
    "DeployingModel": 8,
}
END_PHASE_STEP = 9
# Every tabular job that completes starts, analyses its data and trains (or generates definitions);
# feature engineering, the reports and deployment depend on the mode and the job's settings.
REQUIRED_PHASE_STEPS = (1, 2, 4)

# --- Alert categories (what a terminal state can alert as; the stack's alert_on_statuses picks) ------
COMPLETED_WITH_PROBLEMS = "CompletedWithProblems"
ALERT_CATEGORIES = (FAILED, STOPPED, COMPLETED_WITH_PROBLEMS)
DEFAULT_ALERT_CATEGORIES = (FAILED,)


class DescribeApi(StrEnum):
    """The call that describes a job. V1 cannot describe a job created with CreateAutoMLJobV2."""

    V1 = "DescribeAutoMLJob"
    V2 = "DescribeAutoMLJobV2"


# --- Events --------------------------------------------------------------------------------------
SAGEMAKER_EVENT_SOURCE = "aws.sagemaker"


class ChildKind(StrEnum):
    """The SageMaker jobs an AutoML job runs, each with its own state-change event."""

    TRAINING = "training"
    TUNING = "tuning"
    PROCESSING = "processing"
    TRANSFORM = "transform"


# detail-type -> (kind, the detail's name field, its status field)
CHILD_EVENT_FIELDS: dict[str, tuple[ChildKind, str, str]] = {
    "SageMaker Training Job State Change": (ChildKind.TRAINING, "TrainingJobName", "TrainingJobStatus"),
    "SageMaker HyperParameter Tuning Job State Change": (
        ChildKind.TUNING,
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobStatus",
    ),
    "SageMaker Processing Job State Change": (ChildKind.PROCESSING, "ProcessingJobName", "ProcessingJobStatus"),
    "SageMaker Transform Job State Change": (ChildKind.TRANSFORM, "TransformJobName", "TransformJobStatus"),
}
CHILD_JOB_DETAIL_TYPES = tuple(CHILD_EVENT_FIELDS)

# CloudTrail's record of the AutoML API calls: the only event that names a job while it starts.
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
CLOUDTRAIL_EVENT_SOURCE = "sagemaker.amazonaws.com"
# call -> the describe API that job answers to (None: the call does not say)
AUTOML_API_CALLS: dict[str, DescribeApi | None] = {
    "CreateAutoMLJob": DescribeApi.V1,
    "CreateAutoMLJobV2": DescribeApi.V2,
    "StopAutoMLJob": None,
}
