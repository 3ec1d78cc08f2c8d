"""What every function of the archive has: its own log group, its own role, the shared dependency layer.

`build_function` creates them inside the calling construct (ids LogGroup, Role, Function), so each
function's role holds exactly the statements its code needs plus logging and tracing, and nothing
from AWS managed policies.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, AssetHashType, BundlingOptions, DockerImage, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from automl_archive.contracts.metric_names import METRICS_NAMESPACE, SERVICE_NAME
from infra import config, layer_platform, settings
from infra.layer_bundling import LocalLayerBundler, docker_command, layer_hash
from infra.layer_lock import check_lock_matches

_R = logs.RetentionDays
RETENTION_DAYS: dict[int, logs.RetentionDays] = dict(
    zip(
        settings.CLOUDWATCH_RETENTION_DAYS,
        (
            _R.ONE_DAY, _R.THREE_DAYS, _R.FIVE_DAYS, _R.ONE_WEEK, _R.TWO_WEEKS, _R.ONE_MONTH,
            _R.TWO_MONTHS, _R.THREE_MONTHS, _R.FOUR_MONTHS, _R.FIVE_MONTHS, _R.SIX_MONTHS,
            _R.ONE_YEAR, _R.THIRTEEN_MONTHS, _R.EIGHTEEN_MONTHS, _R.TWO_YEARS, _R.THREE_YEARS,
            _R.FIVE_YEARS, _R.SIX_YEARS, _R.SEVEN_YEARS, _R.EIGHT_YEARS, _R.NINE_YEARS, _R.TEN_YEARS,
        ),
        strict=True,
    )
)  # fmt: skip


def build_dependencies_layer(scope: Construct, construct_id: str) -> lambda_.LayerVersion:
    """The wheels of lambdas/layer.lock, built for arm64 / Python 3.13 (locally, or in Docker)."""
    check_lock_matches()  # a lock older than lambdas/requirements.txt would deploy the old packages
    return lambda_.LayerVersion(
        scope,
        construct_id,
        description="Third-party packages of lambdas/layer.lock (AWS SDK excluded)",
        compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
        compatible_architectures=[lambda_.Architecture.ARM_64],
        code=lambda_.Code.from_asset(
            str(config.LAMBDAS_DIR),
            asset_hash_type=AssetHashType.CUSTOM,
            asset_hash=layer_hash(),
            bundling=BundlingOptions(
                image=DockerImage.from_registry(layer_platform.LAYER_BUILD_IMAGE),
                # Docker runs the image for this platform even on an x86_64 machine (emulated), so
                # anything the build runs is arm64 too.
                # https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/BundlingOptions.html
                platform=layer_platform.LAYER_DOCKER_PLATFORM,
                command=docker_command(),
                local=LocalLayerBundler(),
            ),
        ),
    )


@dataclass(frozen=True)
class FunctionSpec:
    handler: str
    description: str
    role_description: str
    timeout: Duration
    memory_mb: int
    environment: dict[str, str]
    statements: list[iam.PolicyStatement]
    log_retention_days: int
    reserved_concurrency: int | None = None


@dataclass(frozen=True)
class FunctionParts:
    log_group: logs.LogGroup
    role: iam.Role
    function: lambda_.Function


def build_function(scope: Construct, spec: FunctionSpec, layer: lambda_.ILayerVersion) -> FunctionParts:
    log_group = logs.LogGroup(
        scope,
        "LogGroup",
        retention=RETENTION_DAYS[spec.log_retention_days],
        removal_policy=RemovalPolicy.RETAIN,
    )
    statements = [
        *spec.statements,
        iam.PolicyStatement(
            sid="OwnLogGroup",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        ),
        iam.PolicyStatement(
            sid="XRay",
            actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            resources=["*"],
        ),
    ]
    role = iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=spec.role_description,
        inline_policies={"function": iam.PolicyDocument(statements=statements)},
    )
    function = lambda_.Function(
        scope,
        "Function",
        description=spec.description,
        runtime=lambda_.Runtime.PYTHON_3_13,
        architecture=lambda_.Architecture.ARM_64,
        memory_size=spec.memory_mb,
        timeout=spec.timeout,
        tracing=lambda_.Tracing.ACTIVE,
        # Immutable view: CDK helpers (tracing, event sources, targets) cannot add statements; the
        # role's inline policy is the whole permission set.
        role=role.without_policy_updates(),
        log_group=log_group,
        code=lambda_.Code.from_asset(str(config.LAMBDAS_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
        handler=spec.handler,
        layers=[layer],
        environment={
            **spec.environment,
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": config.LOG_LEVEL,
        },
        reserved_concurrent_executions=spec.reserved_concurrency,
    )
    pinned_runtime = (
        "Python 3.13 is pinned on purpose: the dependency layer is built for CPython 3.13 "
        "wheels (pip --python-version 3.13, SAM build-python3.13 image); runtime and layer "
        "must be upgraded together."
    )
    Validations.of(function).acknowledge(
        Acknowledgment(id="AwsSolutions-L1", reason=pinned_runtime),
        Acknowledgment(id="Serverless-LambdaLatestVersion", reason=pinned_runtime),
    )
    return FunctionParts(log_group=log_group, role=role, function=function)
