"""The normalised job record: one flat, typed row per observed job state.

`JOB_RECORD_COLUMNS` is the single source of truth for the record's shape: the normaliser emits
exactly these keys, `docs/schema.md` documents them and the data-lake table is generated from them.
Changes are additive only; bump `SCHEMA_VERSION` when a column is added.
"""

from __future__ import annotations

from dataclasses import dataclass

# 2: candidate_count, best_candidate_rank; the candidate leaderboard table. 3: account_id, region.
# 4: best_candidate_algorithm; the candidates' algorithm and algorithm_source; the child-job table.
SCHEMA_VERSION = 4

STRING = "string"
BIGINT = "bigint"
DOUBLE = "double"
BOOLEAN = "boolean"
TIMESTAMP = "timestamp"  # ISO-8601 text with a UTC offset in JSON
STRING_ARRAY = "array<string>"
METRIC_ARRAY = "array<struct<metric_name:string,standard_metric_name:string,value:double,set:string>>"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


JOB_RECORD_COLUMNS: tuple[Column, ...] = (
    Column("schema_version", BIGINT, "Version of this record layout; grows when columns are added."),
    Column("job_name", STRING, "AutoML job name (AutoMLJobName)."),
    Column("job_arn", STRING, "AutoML job ARN (AutoMLJobArn)."),
    Column("account_id", STRING, "AWS account the job runs in (from its ARN)."),
    Column("region", STRING, "AWS Region the job runs in (from its ARN)."),
    Column("describe_api", STRING, "Which call described the job: DescribeAutoMLJob or DescribeAutoMLJobV2."),
    Column("status", STRING, "AutoMLJobStatus: Completed, InProgress, Failed, Stopped or Stopping."),
    Column("secondary_status", STRING, "AutoMLJobSecondaryStatus, e.g. TrainingModels, MaxCandidatesReached."),
    Column("is_terminal", BOOLEAN, "True when status is Completed, Failed or Stopped."),
    Column(
        "problem_type",
        STRING,
        "Problem type: ProblemType (V1), TabularJobConfig.ProblemType or the resolved tabular problem "
        "type (V2), else the V2 problem-type config name (e.g. ImageClassification).",
    ),
    Column(
        "problem_type_config",
        STRING,
        "V2 AutoMLProblemTypeConfigName (Tabular, ImageClassification, TextClassification, "
        "TimeSeriesForecasting, TextGeneration); Tabular for V1 jobs.",
    ),
    Column("objective_metric", STRING, "Objective metric name, as requested or as resolved by SageMaker."),
    Column("mode", STRING, "Training mode: AUTO, ENSEMBLING or HYPERPARAMETER_TUNING (tabular jobs)."),
    Column("algorithms", STRING_ARRAY, "Algorithms the job was limited to (empty when not restricted)."),
    Column("max_candidates", BIGINT, "Completion criterion: maximum number of candidates."),
    Column(
        "max_runtime_per_training_job_seconds",
        BIGINT,
        "Completion criterion: maximum runtime of one training job, in seconds.",
    ),
    Column("max_job_runtime_seconds", BIGINT, "Completion criterion: maximum runtime of the whole job."),
    Column(
        "generate_candidate_definitions_only",
        BOOLEAN,
        "True when the job only generated candidate definitions.",
    ),
    Column("creation_time", TIMESTAMP, "When the job was created."),
    Column("end_time", TIMESTAMP, "When the job ended (null while it runs)."),
    Column("last_modified_time", TIMESTAMP, "When the job last changed; orders the job's states."),
    Column("duration_seconds", DOUBLE, "end_time (or last_modified_time while running) minus creation_time."),
    Column("failure_reason", STRING, "FailureReason, when the job failed."),
    Column("partial_failure_reasons", STRING_ARRAY, "PartialFailureReasons messages (at most 5)."),
    Column("input_s3_uris", STRING_ARRAY, "S3 URIs of the input data channels."),
    Column("input_content_types", STRING_ARRAY, "Content types of the input data channels."),
    Column("output_s3_path", STRING, "OutputDataConfig.S3OutputPath."),
    Column("target_attribute", STRING, "Target column (tabular) or target label column (text, forecasting)."),
    Column("role_arn", STRING, "IAM role the job ran with."),
    Column("best_candidate_name", STRING, "Best candidate's name."),
    Column("best_candidate_status", STRING, "Best candidate's CandidateStatus."),
    Column("best_objective_metric_name", STRING, "Best candidate's final objective metric name."),
    Column("best_objective_metric_type", STRING, "Maximize or Minimize."),
    Column("best_objective_metric_value", DOUBLE, "Best candidate's final objective metric value."),
    Column("best_candidate_step_arns", STRING_ARRAY, "ARNs of the best candidate's steps (child jobs)."),
    Column("best_candidate_step_types", STRING_ARRAY, "Types of the best candidate's steps, same order."),
    Column("best_candidate_container_images", STRING_ARRAY, "Images of the best candidate's inference containers."),
    Column("best_candidate_metrics", METRIC_ARRAY, "Best candidate's metrics by data set (at most 40)."),
    Column("candidate_definition_notebook", STRING, "S3 location of the candidate definition notebook."),
    Column("data_exploration_notebook", STRING, "S3 location of the data exploration notebook."),
    Column("explainability_report", STRING, "S3 location of the best candidate's explainability artifacts."),
    Column("model_insights_report", STRING, "S3 location of the best candidate's model insights."),
    Column("backtest_results", STRING, "S3 location of the best candidate's backtest results (forecasting)."),
    Column("auto_deploy_endpoint", STRING, "Endpoint requested by ModelDeployConfig, if any."),
    Column("deployed_endpoint", STRING, "ModelDeployResult.EndpointName: the endpoint actually deployed."),
    Column("candidate_count", BIGINT, "Candidates the job produced (terminal states only; null while running)."),
    Column(
        "best_candidate_rank", BIGINT, "Rank of the best candidate by objective metric among all candidates (1 = top)."
    ),
    Column("alert_category", STRING, "Failed, Stopped, CompletedWithProblems or null: what an alert would say."),
    Column("state_id", STRING, "Identifier of this observed state (time, status, secondary status)."),
    Column("raw_s3_key", STRING, "Key of the full DescribeAutoMLJob(V2) answer in the archive bucket."),
    Column("archived_at", TIMESTAMP, "When this record was written."),
    Column(
        "best_candidate_algorithm",
        STRING,
        "The best candidate's algorithm (xgboost, linear-learner, ensemble, ...): see the candidates' algorithm.",
    ),
)

JOB_RECORD_COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in JOB_RECORD_COLUMNS)
NUMERIC_JOB_RECORD_COLUMNS = frozenset(column.name for column in JOB_RECORD_COLUMNS if column.type in (BIGINT, DOUBLE))


CANDIDATE_RECORD_COLUMNS: tuple[Column, ...] = (
    Column("schema_version", BIGINT, "Version of this record layout."),
    Column("job_name", STRING, "AutoML job the candidate belongs to."),
    Column("job_arn", STRING, "AutoML job ARN."),
    Column("account_id", STRING, "AWS account the job runs in (from its ARN)."),
    Column("region", STRING, "AWS Region the job runs in (from its ARN)."),
    Column("job_status", STRING, "The job's terminal status when the leaderboard was archived."),
    Column("job_state_id", STRING, "The job state this leaderboard belongs to (see the job record's state_id)."),
    Column("problem_type", STRING, "The job's problem type."),
    Column("rank", BIGINT, "Rank by final objective metric value (1 = best; candidates without a value last)."),
    Column("is_best", BOOLEAN, "True for the job's BestCandidate."),
    Column("candidate_name", STRING, "CandidateName."),
    Column("candidate_status", STRING, "CandidateStatus: Completed, InProgress, Failed, Stopped, Stopping."),
    Column("objective_status", STRING, "ObjectiveStatus: Succeeded, Pending or Failed."),
    Column("objective_metric_name", STRING, "FinalAutoMLJobObjectiveMetric.MetricName."),
    Column("objective_metric_type", STRING, "Maximize or Minimize."),
    Column("objective_metric_value", DOUBLE, "FinalAutoMLJobObjectiveMetric.Value."),
    Column("standard_metric_name", STRING, "FinalAutoMLJobObjectiveMetric.StandardMetricName."),
    Column("step_arns", STRING_ARRAY, "ARNs of the candidate's steps (processing, training, transform jobs)."),
    Column("step_types", STRING_ARRAY, "Types of the candidate's steps, same order."),
    Column("step_names", STRING_ARRAY, "Names of the candidate's steps, same order."),
    Column("container_images", STRING_ARRAY, "Images of the candidate's inference containers."),
    Column("candidate_metrics", METRIC_ARRAY, "The candidate's metrics by data set (at most 40)."),
    Column("creation_time", TIMESTAMP, "When the candidate was created."),
    Column("end_time", TIMESTAMP, "When the candidate finished."),
    Column("last_modified_time", TIMESTAMP, "When the candidate last changed."),
    Column("failure_reason", STRING, "Why the candidate failed, if it did."),
    Column("explainability_report", STRING, "S3 location of the candidate's explainability artifacts."),
    Column("model_insights_report", STRING, "S3 location of the candidate's model insights."),
    Column("backtest_results", STRING, "S3 location of the candidate's backtest results (forecasting)."),
    Column("archived_at", TIMESTAMP, "When this row was written."),
    Column(
        "algorithm",
        STRING,
        "The candidate's algorithm: the job's only configured algorithm, else named by its model's "
        "SageMaker container (xgboost, linear-learner, ensemble; otherwise the container repository).",
    ),
    Column("algorithm_source", STRING, "job_config or inference_container: what says the algorithm."),
)

CANDIDATE_RECORD_COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in CANDIDATE_RECORD_COLUMNS)


# One row per finished child job (training, processing, transform) of an AutoML job, from the child's own
# terminal state-change event: what it ran on and for how long. The data lake's cost queries sum it.
CHILD_JOB_RECORD_COLUMNS: tuple[Column, ...] = (
    Column("schema_version", BIGINT, "Version of this record layout."),
    Column("job_name", STRING, "AutoML job that ran the child job."),
    Column("job_arn", STRING, "AutoML job ARN."),
    Column("account_id", STRING, "AWS account the jobs run in."),
    Column("region", STRING, "AWS Region the jobs run in."),
    Column("child_job_name", STRING, "The child job's name."),
    Column("child_job_arn", STRING, "The child job's ARN (a candidate's step_arns name it)."),
    Column("kind", STRING, "training, processing or transform."),
    Column("status", STRING, "The child job's terminal status: Completed, Failed or Stopped."),
    Column("failure_reason", STRING, "Why the child job failed, if it did."),
    Column("instance_type", STRING, "ML instance type, e.g. ml.m5.2xlarge."),
    Column("instance_count", BIGINT, "Number of instances."),
    Column("start_time", TIMESTAMP, "When the child job started running (Training/Processing/TransformStartTime)."),
    Column("end_time", TIMESTAMP, "When it ended."),
    Column(
        "billable_seconds",
        BIGINT,
        "Billable seconds per instance: BillableTimeInSeconds when the event carries it, else end minus start.",
    ),
    Column("billable_seconds_source", STRING, "BillableTimeInSeconds or start_end: where billable_seconds came from."),
    Column("instance_seconds", BIGINT, "billable_seconds times instance_count."),
    Column("tuning_job_arn", STRING, "The hyperparameter tuning job that ran this training job, if any."),
    Column("last_modified_time", TIMESTAMP, "The child job's LastModifiedTime in its terminal event."),
    Column("archived_at", TIMESTAMP, "When this row was written."),
)

CHILD_JOB_RECORD_COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in CHILD_JOB_RECORD_COLUMNS)
