"""The emulator's multi-account world (issue 14, docs/multi-account.md): a hub and its spokes in moto.

moto keeps separate backends per account id and Region, so one server plays them all:

- the hub, account `ACCOUNT_ID` in `REGION`: the archive stack, deployed with the `spokes` registry;
- spoke A (111111111111, eu-west-1, alias team-a); spoke B (222222222222) in eu-west-1 and
  ap-southeast-2 (team-b); and the hub account's second Region, us-west-2 (archive-hub);
- each spoke source runs the spoke stack (synthesized from the same app with the spoke_* context) through
  moto's CloudFormation in its own account and Region: its rules forward SageMaker's events to the hub's
  central bus (delivered with the spoke's envelope by `cross_account`, which enforces the bus's policy),
  and its reader role is what the hub's functions assume (`iam.assumed_roles` enforces its trust policy
  and external id, and runs the session's calls as that role);
- an Autopilot simulator per source plays the same job names in every one, so names collide across
  accounts and Regions as they do in an organisation.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from automl_archive.contracts.job_identity import JobId, JobSource
from automl_archive.contracts.spoke import central_bus_name, reader_role_name
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import ACCOUNT_ID, REGION, LocalAws
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.cross_account import ORGANIZATIONS
from devtools.emulator.event_builders import Event
from devtools.emulator.events import PUT_EVENTS_BATCH, put_event_entry
from devtools.emulator.limits import as_aws_service
from devtools.emulator.scenarios import JobHistory
from devtools.emulator.stack import (
    DeployedStack,
    SynthesizedApp,
    _stack_artifact,
    create_stack,
    deploy_stack,
    policy_document,
    synthesize,
)

HUB_STACK = "AutoMLJobArchive"
EXTERNAL_ID = "emulator-org-archive"
ORGANIZATION_ID = "o-emulatororg1"
OUTSIDER = "333333333333"  # an account the hub's bus does not admit


@dataclass(frozen=True)
class Source:
    """One account and Region the archive covers, with the alias the registry gives its account."""

    account_id: str
    region: str
    alias: str = ""

    @property
    def job_source(self) -> JobSource | None:
        """The product's source: None for the hub's own account and Region."""
        return (
            None if (self.account_id, self.region) == (ACCOUNT_ID, REGION) else JobSource(self.account_id, self.region)
        )

    def job_key(self, job_name: str) -> str:
        return JobId(job_name, self.job_source).key

    def __str__(self) -> str:
        return f"{self.account_id}/{self.region}" + (f" ({self.alias})" if self.alias else "")


HUB = Source(ACCOUNT_ID, REGION)
SPOKE_A = Source("111111111111", "eu-west-1", "team-a")
SPOKE_B_EU = Source("222222222222", "eu-west-1", "team-b")
SPOKE_B_AP = Source("222222222222", "ap-southeast-2", "team-b")
HUB_WEST = Source(ACCOUNT_ID, "us-west-2", "archive-hub")
SPOKES = (SPOKE_A, SPOKE_B_EU, SPOKE_B_AP, HUB_WEST)
SOURCES = (HUB, *SPOKES)
# The load test's world: three accounts in two Regions each (spoke A in a second Region too).
SPOKE_A_2 = Source("111111111111", "us-east-2", "team-a")
LOAD_SPOKES = (*SPOKES, SPOKE_A_2)


def registry(spokes: tuple[Source, ...] = SPOKES) -> list[dict[str, Any]]:
    """The `spokes` context for `spokes`: one entry per account, with its Regions and alias."""
    by_account: dict[str, dict[str, Any]] = {}
    for spoke in spokes:
        entry = by_account.setdefault(spoke.account_id, {"account": spoke.account_id, "regions": []})
        entry["regions"].append(spoke.region)
        if spoke.alias:
            entry["alias"] = spoke.alias
    return list(by_account.values())


def world_context(spokes: tuple[Source, ...] = SPOKES) -> dict[str, Any]:
    """CDK context for the hub with its spokes and, in the same synth, the spoke stack."""
    return {
        "spokes": json.dumps(registry(spokes)),
        "spoke_external_id": EXTERNAL_ID,
        "spoke_hub_account": ACCOUNT_ID,
        "spoke_hub_region": REGION,
    }


@dataclass
class MultiAccountWorld:
    """The deployed hub and spokes, one simulator per source (installed), and how events get to SageMaker's
    own bus in each source."""

    aws: LocalAws
    hub: DeployedStack
    spoke_template: str
    simulators: dict[Source, AutopilotSimulator]
    _events_clients: dict[Source, Any] = field(default_factory=dict)
    _removed_roles: dict[Source, tuple[dict[str, Any], dict[str, dict[str, Any]], int]] = field(default_factory=dict)

    @property
    def hub_simulator(self) -> AutopilotSimulator:
        return self.simulators[HUB]

    @property
    def hub_bus_arn(self) -> str:
        return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{central_bus_name(HUB_STACK)}"

    def session(self, account_id: str, region: str) -> boto3.Session:
        """A boto3 session acting in `account_id` (the harness's, not the product's: no IAM is enforced)."""
        credentials = {} if account_id == ACCOUNT_ID else self.aws.credentials_as(account_id)
        return boto3.Session(
            aws_access_key_id=credentials.get("aws_access_key_id", "testing"),
            aws_secret_access_key=credentials.get("aws_secret_access_key", "testing"),
            aws_session_token=credentials.get("aws_session_token"),
            region_name=region,
        )

    def client(self, service: str, source: Source) -> Any:
        return self.session(source.account_id, source.region).client(service, endpoint_url=self.aws.endpoint_url)

    # ------------------------------------------------------------ SageMaker's events

    def publish(self, events: list[Event]) -> int:
        """Put each event on the default bus of the account and Region it names, as SageMaker there does;
        the spoke stack's rules forward it to the hub's central bus."""
        by_source: dict[Source, list[Event]] = defaultdict(list)
        for event in events:
            by_source[self.source_of(event["account"], event["region"])].append(event)
        for source, batch in by_source.items():
            self.put_on_default_bus(source, batch)
        return len(events)

    def source_of(self, account_id: str, region: str) -> Source:
        for source in self.simulators:
            if (source.account_id, source.region) == (account_id, region):
                return source
        return Source(account_id, region)

    def put_on_default_bus(self, source: Source, events: list[Event]) -> None:
        client = self._events_clients.get(source)
        if client is None:
            client = self._events_clients[source] = self.client("events", source)
        for start in range(0, len(events), PUT_EVENTS_BATCH):
            entries = [put_event_entry(event) for event in events[start : start + PUT_EVENTS_BATCH]]
            with as_aws_service():  # SageMaker's own "aws.sagemaker" events
                answer = client.put_events(Entries=entries)
            if answer.get("FailedEntryCount"):
                raise RuntimeError(f"PutEvents in {source} rejected entries: {answer['Entries']}")

    # ------------------------------------------------------------ histories

    def schedule(self, source: Source, histories: list[JobHistory], offset_seconds: float = 0.0) -> None:
        """Play `histories` in `source`: the hub's simulator keeps the one schedule (the pipeline runs it as
        simulated time passes), each step acting on `source`'s simulator."""
        player = self.simulators[source]
        start = self.hub_simulator.clock.now()
        for history in histories:
            for step in sorted(history.steps, key=lambda s: s.at_seconds):
                due = start + _seconds(step.at_seconds + offset_seconds)
                history.scheduled.append(
                    self.hub_simulator.schedule_step(
                        due, f"{source} {history.job_name}: {step.description}", _bound(step.action, player)
                    )
                )

    # ------------------------------------------------------------ outages

    def reader_role_name(self, source: Source) -> str:
        return reader_role_name(HUB_STACK, source.region)

    def delete_reader_role(self, source: Source) -> None:
        """The spoke's reader role deleted (an outage: the hub can no longer read that source)."""
        iam = self.client("iam", source)
        name = self.reader_role_name(source)
        role = iam.get_role(RoleName=name)["Role"]
        policies = {
            policy: policy_document(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
        }
        for policy in policies:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)
        trust = policy_document(role["AssumeRolePolicyDocument"])
        self._removed_roles[source] = (trust, policies, int(role.get("MaxSessionDuration", 3600)))

    def restore_reader_role(self, source: Source) -> None:
        """The reader role created again as the spoke stack had it (a new role, with a new id)."""
        trust, policies, max_session = self._removed_roles.pop(source)
        iam = self.client("iam", source)
        name = self.reader_role_name(source)
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=max_session)
        for policy, document in policies.items():
            iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(document))

    def uninstall(self) -> None:
        for simulator in self.simulators.values():
            simulator.uninstall()


def _seconds(value: float) -> Any:
    from datetime import timedelta  # noqa: PLC0415

    return timedelta(seconds=value)


def _bound(action: Any, player: AutopilotSimulator) -> Any:
    return lambda _scheduler: action(player)


def synthesize_world(outdir: Path | None = None, spokes: tuple[Source, ...] = SPOKES) -> tuple[SynthesizedApp, str]:
    """One synth of the app with the world's context: the hub (with its registry) and the spoke template."""
    hub = synthesize(outdir=outdir, stack_name=HUB_STACK, context=world_context(spokes))
    spoke = _stack_artifact(hub.outdir, f"{HUB_STACK}-spoke")
    return hub, spoke.template_path.read_text()


def deploy_spoke(aws: LocalAws, world: MultiAccountWorld, source: Source) -> None:
    """The spoke stack in `source`'s account and Region, through moto's CloudFormation there."""
    create_stack(aws, f"{HUB_STACK}-spoke", world.spoke_template, cloudformation=world.client("cloudformation", source))


def deploy_world(
    aws: LocalAws,
    clock: SimulatedClock,
    synthesized: tuple[SynthesizedApp, str] | None = None,
    quiet: bool = True,
    spokes: tuple[Source, ...] = SPOKES,
) -> MultiAccountWorld:
    """Deploy the hub and every spoke and install a simulator per source; the caller uninstalls them
    (`world.uninstall()`). Every account of the world belongs to the organisation `ORGANIZATION_ID`, the
    outsider not."""
    hub_app, spoke_template = synthesized or synthesize_world(spokes=spokes)
    sources = (HUB, *spokes)
    output = io.StringIO() if quiet else None
    with contextlib.ExitStack() as stack:
        if output is not None:
            stack.enter_context(contextlib.redirect_stdout(output))
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
        hub = deploy_stack(aws, synthesized=hub_app)
        simulators = {
            source: AutopilotSimulator(clock=clock, account_id=source.account_id, region=source.region).install()
            for source in sources
        }
        world = MultiAccountWorld(aws, hub, spoke_template, simulators)
        for source in spokes:
            deploy_spoke(aws, world, source)
    for source in sources:
        ORGANIZATIONS[source.account_id] = ORGANIZATION_ID
    return world


@contextlib.contextmanager
def multi_account_world(
    aws: LocalAws, clock: SimulatedClock, spokes: tuple[Source, ...] = SPOKES
) -> Iterator[MultiAccountWorld]:
    """The world, torn down afterwards: simulators uninstalled, the organisation forgotten, and the process
    environment as it was (the hub's functions set SPOKES and the rest at cold start, which a later
    single-account function, whose environment has no such key, would otherwise read)."""
    environment = dict(os.environ)
    world = deploy_world(aws, clock, spokes=spokes)
    try:
        yield world
    finally:
        world.uninstall()
        for source in world.simulators:
            ORGANIZATIONS.pop(source.account_id, None)
        os.environ.clear()
        os.environ.update(environment)
