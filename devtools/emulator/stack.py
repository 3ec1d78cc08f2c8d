"""Synthesise the CDK app and deploy it into moto's CloudFormation, then make it drivable locally."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.emulator.aws import ACCOUNT_ID, REGION, LocalAws
from devtools.emulator.iam.policies import Principal

REPO_ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_VERSION_PARAMETER = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
ASSET_BUCKET = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{ACCOUNT_ID}-{REGION}"
TERMINAL_FAILURES = {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "ROLLBACK_IN_PROGRESS"}


class StackDeployError(RuntimeError):
    pass


@dataclass
class QueueMapping:
    """An SQS event source mapping of a function (disabled in moto; the pipeline polls instead)."""

    uuid: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool


@dataclass
class FunctionInfo:
    name: str
    handler: str
    environment: dict[str, str]
    memory_mb: int
    timeout_seconds: int
    arn: str
    role_arn: str = ""
    mappings: list[QueueMapping] = field(default_factory=list)


@dataclass
class RemovedTarget:
    """A Lambda target taken off an EventBridge rule (moto's PutEvents fails on Lambda targets)."""

    rule_name: str
    schedule_expression: str | None
    target_id: str
    function_arn: str
    input: str | None


@dataclass
class DeployedStack:
    stack_name: str
    outputs: dict[str, str]
    functions: dict[str, FunctionInfo]
    removed_lambda_targets: list[RemovedTarget]
    template: dict[str, Any]

    def output(self, key: str) -> str:
        if key not in self.outputs:
            raise KeyError(f"stack has no output {key}; it has {sorted(self.outputs)}")
        return self.outputs[key]

    def function(self, name: str | None = None) -> FunctionInfo:
        """A function by physical name, or the stack's only queue-fed function (the archiver)."""
        if name:
            return self.functions[name]
        fed = [f for f in self.functions.values() if f.mappings]
        if len(fed) != 1:
            raise LookupError(f"expected one queue-fed function, found {[f.name for f in fed]}")
        return fed[0]

    @property
    def scheduled_targets(self) -> list[RemovedTarget]:
        return [t for t in self.removed_lambda_targets if t.schedule_expression]


@dataclass
class SynthesizedApp:
    outdir: Path
    stack_name: str
    template_path: Path
    assets_path: Path | None


# ---------------------------------------------------------------- synth


def synthesize(
    app_dir: Path = REPO_ROOT,
    outdir: Path | None = None,
    stack_name: str | None = None,
    context: dict[str, Any] | None = None,
) -> SynthesizedApp:
    """Run `python app.py` with CDK_OUTDIR set (no CDK CLI needed) and locate the stack's artifacts.

    `context` is passed as the CDK CLI passes `-c key=value` (CDK_CONTEXT_JSON, which wins over cdk.json).
    """
    target = outdir or Path(tempfile.mkdtemp(prefix="cdk-synth-"))
    env = {
        **os.environ,
        **({"CDK_CONTEXT_JSON": json.dumps(context)} if context else {}),
        "CDK_OUTDIR": str(target),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "PYTHONPATH": os.pathsep.join([str(app_dir), str(app_dir / "lambdas"), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=app_dir, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise StackDeployError(f"synth failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return _stack_artifact(target, stack_name)


def _stack_artifact(outdir: Path, stack_name: str | None) -> SynthesizedApp:
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = {
        artifact_id: artifact
        for artifact_id, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }
    if stack_name is None:
        if len(stacks) != 1:
            raise StackDeployError(f"app has {len(stacks)} stacks; pass stack_name")
        stack_name = next(iter(stacks))
    artifact = stacks[stack_name]
    properties = artifact.get("properties", {})
    assets = [dep for dep in artifact.get("dependencies", []) if dep.endswith(".assets")]
    assets_path = outdir / f"{assets[0]}.json" if assets else None
    return SynthesizedApp(
        outdir=outdir,
        stack_name=properties.get("stackName", stack_name),
        template_path=outdir / properties["templateFile"],
        assets_path=assets_path if assets_path and assets_path.exists() else None,
    )


# ---------------------------------------------------------------- bootstrap and assets


def bootstrap(aws: LocalAws) -> None:
    """What `cdk bootstrap` would leave behind that the default synthesizer's template relies on."""
    aws.client("ssm").put_parameter(Name=BOOTSTRAP_VERSION_PARAMETER, Value="30", Type="String", Overwrite=True)
    s3 = aws.client("s3")
    if ASSET_BUCKET not in {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=ASSET_BUCKET)


def _substitute(text: str) -> str:
    return (
        text.replace("${AWS::AccountId}", ACCOUNT_ID)
        .replace("${AWS::Region}", REGION)
        .replace("${AWS::Partition}", "aws")
    )


def _zip_directory(directory: Path) -> bytes:
    with tempfile.TemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(directory).as_posix())
        buffer.seek(0)
        return buffer.read()


def upload_assets(aws: LocalAws, synthesized: SynthesizedApp) -> list[str]:
    """Upload every file asset to its destination (zip directories), as cdk-assets would."""
    if synthesized.assets_path is None:
        return []
    manifest = json.loads(synthesized.assets_path.read_text())
    s3 = aws.client("s3")
    uploaded = []
    for asset in manifest.get("files", {}).values():
        source = synthesized.outdir / asset["source"]["path"]
        packed = asset["source"].get("packaging") == "zip" or source.is_dir()
        body = _zip_directory(source) if source.is_dir() else source.read_bytes()
        if packed and not source.is_dir() and not zipfile.is_zipfile(source):
            raise StackDeployError(f"asset {source} should be a zip")
        for destination in asset["destinations"].values():
            bucket = _substitute(destination["bucketName"])
            key = _substitute(destination["objectKey"])
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            uploaded.append(f"s3://{bucket}/{key}")
    return uploaded


# ---------------------------------------------------------------- deploy


def create_stack(
    aws: LocalAws, stack_name: str, template_body: str, timeout_seconds: float = 120.0, cloudformation: Any = None
) -> None:
    """`cloudformation`: a client of another account or Region (default: the emulator's own)."""
    cloudformation = cloudformation or aws.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name, TemplateBody=template_body, Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
    )
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
        if status == "CREATE_COMPLETE":
            return
        if status in TERMINAL_FAILURES or time.monotonic() > deadline:
            events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
            failures = [
                f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
                for e in events
                if "FAILED" in e["ResourceStatus"]
            ]
            print("\n".join(failures) or "no failure events", file=sys.stderr)
            raise StackDeployError(f"stack {stack_name} ended {status}: {failures}")
        time.sleep(0.2)


def _resolved(value: Any, account: str, region: str) -> Any:
    """A template value with the intrinsics a bus policy uses resolved (pseudo-parameter Refs, Fn::Join)."""
    pseudo = {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    if isinstance(value, list):
        return [_resolved(item, account, region) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in pseudo:
        return pseudo[value["Ref"]]
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(_resolved(part, account, region)) for part in parts)
    if any(key.startswith("Fn::") or key == "Ref" for key in value):
        raise StackDeployError(f"the emulator cannot resolve {value} in a bus policy")
    return {key: _resolved(item, account, region) for key, item in value.items()}


def with_bus_names(template: dict[str, Any]) -> dict[str, Any]:
    """The template with each `Ref` to a named event bus replaced by its name, which is what CloudFormation's
    Ref of an AWS::Events::EventBus returns; moto's resolves it to its bus object, which a rule's
    `EventBusName` cannot take (AttributeError in moto's _normalize_event_bus_arn)."""
    names = {
        logical: resource["Properties"]["Name"]
        for logical, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::Events::EventBus" and "Name" in resource.get("Properties", {})
    }

    def replaced(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in names:
                return names[value["Ref"]]
            return {key: replaced(item) for key, item in value.items()}
        if isinstance(value, list):
            return [replaced(item) for item in value]
        return value

    return replaced(template) if names else template


def apply_bus_policies(
    events_client: Any, template: dict[str, Any], account: str = ACCOUNT_ID, region: str = REGION
) -> list[str]:
    """Put each event bus's `Policy` property on the bus: moto's CloudFormation creates the bus without
    it (devtools/emulator/cross_account.py enforces it). Returns the buses given a policy."""
    applied = []
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") != "AWS::Events::EventBus" or "Policy" not in properties:
            continue
        policy = _resolved(properties["Policy"], account, region)
        events_client.put_permission(EventBusName=properties["Name"], Policy=json.dumps(policy))
        applied.append(properties["Name"])
    return applied


def create_workgroups(athena_client: Any, template: dict[str, Any]) -> list[str]:
    """Create each Athena workgroup of the template: moto's CloudFormation skips AWS::Athena::WorkGroup,
    and moto's StartQueryExecution refuses a workgroup that does not exist, as Athena does. Only the
    name matters to moto (it runs no SQL); returns the workgroups created."""
    created = []
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Athena::WorkGroup":
            name = resource["Properties"]["Name"]
            athena_client.create_work_group(Name=name)
            created.append(name)
    return created


def stack_outputs(aws: LocalAws, stack_name: str) -> dict[str, str]:
    stack = aws.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def stack_function_names(aws: LocalAws, stack_name: str) -> list[str]:
    paginator = aws.client("cloudformation").get_paginator("list_stack_resources")
    return [
        resource["PhysicalResourceId"]
        for page in paginator.paginate(StackName=stack_name)
        for resource in page["StackResourceSummaries"]
        if resource["ResourceType"] == "AWS::Lambda::Function"
    ]


def describe_functions(aws: LocalAws, names: list[str]) -> dict[str, FunctionInfo]:
    lambda_client = aws.client("lambda")
    functions = {}
    for name in names:
        config = lambda_client.get_function_configuration(FunctionName=name)
        functions[name] = FunctionInfo(
            name=config["FunctionName"],
            handler=config["Handler"],
            environment=dict(config.get("Environment", {}).get("Variables", {})),
            memory_mb=int(config.get("MemorySize", 128)),
            timeout_seconds=int(config.get("Timeout", 3)),
            arn=config["FunctionArn"],
            role_arn=config["Role"],
        )
    return functions


def policy_document(value: Any) -> dict[str, Any]:
    """A policy document as moto's IAM returns it: a dict (boto3 decoded the JSON), or, for roles its
    CloudFormation created, the Python repr of the dict (moto stores str(dict) there)."""
    if isinstance(value, dict):
        return value
    try:
        document = json.loads(value)
    except json.JSONDecodeError:
        document = ast.literal_eval(value)
    if not isinstance(document, dict):
        raise StackDeployError(f"not a policy document: {value!r}")
    return document


def role_policies(aws: LocalAws, role_arn: str) -> list[dict[str, Any]]:
    """The role's deployed, resolved identity policies: inline ones and attached managed ones."""
    iam = aws.client("iam")
    role_name = role_arn.rsplit("/", 1)[-1]
    documents = [
        policy_document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    ]
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"][
            "Document"
        ]
        documents.append(policy_document(document))
    return documents


def role_principal(aws: LocalAws, function: FunctionInfo) -> Principal:
    """The function's execution role as a principal (its session is named after the function, as Lambda's is)."""
    if not function.role_arn:
        raise ValueError(f"{function.name} has no role recorded")
    return Principal.from_documents(
        role_policies(aws, function.role_arn), arn=function.role_arn, session_name=function.name
    )


def disable_queue_mappings(aws: LocalAws, functions: dict[str, FunctionInfo]) -> None:
    """Disable SQS event source mappings: moto would try Docker on every SendMessage and eat receives."""
    lambda_client = aws.client("lambda")
    for function in functions.values():
        mappings = lambda_client.list_event_source_mappings(FunctionName=function.name)["EventSourceMappings"]
        for mapping in mappings:
            if ":sqs:" not in mapping.get("EventSourceArn", ""):
                continue
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
            function.mappings.append(
                QueueMapping(
                    uuid=mapping["UUID"],
                    queue_arn=mapping["EventSourceArn"],
                    batch_size=int(mapping.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []),
                )
            )


def remove_lambda_targets(aws: LocalAws) -> list[RemovedTarget]:
    """Take Lambda targets off every rule of the default bus (moto's PutEvents answers 500 otherwise)."""
    events = aws.client("events")
    removed = []
    for rule in events.list_rules().get("Rules", []):
        targets = events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
        lambda_targets = [t for t in targets if ":lambda:" in t["Arn"]]
        if not lambda_targets:
            continue
        events.remove_targets(Rule=rule["Name"], Ids=[t["Id"] for t in lambda_targets])
        removed += [
            RemovedTarget(rule["Name"], rule.get("ScheduleExpression"), t["Id"], t["Arn"], t.get("Input"))
            for t in lambda_targets
        ]
    return removed


def deploy_stack(
    aws: LocalAws,
    app_dir: Path = REPO_ROOT,
    stack_name: str | None = None,
    synthesized: SynthesizedApp | None = None,
) -> DeployedStack:
    """Synthesise (unless given), bootstrap, upload assets, create the stack and make it locally drivable."""
    app = synthesized or synthesize(app_dir, stack_name=stack_name)
    bootstrap(aws)
    upload_assets(aws, app)
    template_body = json.dumps(with_bus_names(json.loads(app.template_path.read_text())))
    create_stack(aws, app.stack_name, template_body)
    apply_bus_policies(aws.client("events"), json.loads(template_body))
    create_workgroups(aws.client("athena"), json.loads(template_body))
    functions = describe_functions(aws, stack_function_names(aws, app.stack_name))
    disable_queue_mappings(aws, functions)
    removed = remove_lambda_targets(aws)
    return DeployedStack(
        stack_name=app.stack_name,
        outputs=stack_outputs(aws, app.stack_name),
        functions=functions,
        removed_lambda_targets=removed,
        template=json.loads(template_body),
    )
