"""Enforcement on boto3 calls: botocore hooks that authorize every call made while a principal is active."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.handlers
from botocore.endpoint import convert_to_response_dict
from botocore.parsers import create_parser

from devtools.emulator.aws import ACCOUNT_ID, REGION
from devtools.emulator.faults import error_response
from devtools.emulator.iam.assumed_roles import ASSUMED_ROLES, trust_refusal
from devtools.emulator.iam.authorization import Check, authorization_checks
from devtools.emulator.iam.policies import Decision, Principal
from devtools.emulator.iam.resource_derivations import DEFAULT_WORKGROUP, QUERY_WORKGROUPS, CallSite

# The access-denied error each service answers: DynamoDB, SageMaker, KMS and EventBridge use the common
# AccessDeniedException, HTTP 400 (e.g. https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html);
# S3 AccessDenied 403 and SNS AuthorizationError 403 (botocore's service models); SQS AccessDenied 403
# (its query-compatible code); CloudFormation AccessDenied 403; Lambda AccessDeniedException 403.
_DENIED_ERRORS: dict[str, tuple[str, int, str | None]] = {
    "sagemaker": ("AccessDeniedException", 400, None),
    "dynamodb": ("AccessDeniedException", 400, None),
    "kms": ("AccessDeniedException", 400, None),
    "events": ("AccessDeniedException", 400, None),
    "sqs": ("AccessDeniedException", 403, "AccessDenied"),
    "s3": ("AccessDenied", 403, None),
    "sns": ("AuthorizationError", 403, None),
    "cloudformation": ("AccessDenied", 403, None),
    "lambda": ("AccessDeniedException", 403, None),
    "athena": ("AccessDeniedException", 400, None),
    # STS: AccessDenied, HTTP 403 (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
    "sts": ("AccessDenied", 403, None),
}
_PARAMS_KEY = "emulator_iam_params"


@dataclass(frozen=True)
class Denial:
    principal: str
    operation: str
    check: Check
    decision: Decision
    code: str


def denied_message(principal: Principal, check: Check, decision: Decision, reason: str | None = None) -> str:
    """AWS's wording (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_denied_error_messages.html)."""
    reason = reason or (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {check.action} action"
    )
    who = f"User: {principal.session_arn} is not authorized to perform: {check.action}"
    return f"{who} on resource: {check.resource} {reason}"


@dataclass
class _Enforcement:
    """The botocore hooks (installed once per process) and the stack of active principals."""

    denials: list[Denial] = field(default_factory=list)
    # (principal ARN, action) -> how many checks allowed it: what each role's grants are used for.
    authorized: Counter[tuple[str, str]] = field(default_factory=Counter)
    _principals: list[Principal] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _installed: bool = False

    def install(self) -> None:
        """Hook the default session and every session created later (the CLI makes its own default
        session; botocore registers BUILTIN_HANDLERS on each new session). Clients copy their session's
        hooks when created, so install before the code under test creates its clients."""
        with self._lock:
            if self._installed:
                return
            if boto3.DEFAULT_SESSION is None:
                boto3.setup_default_session()
            assert boto3.DEFAULT_SESSION is not None
            for event, handler in self._hooks():
                boto3.DEFAULT_SESSION.events.register(event, handler)
                botocore.handlers.BUILTIN_HANDLERS.append((event, handler))
            self._installed = True

    def _hooks(self) -> list[tuple[str, Any]]:
        return [
            ("before-parameter-build", self._keep_params),
            ("before-call", self._authorize),
            ("after-call.athena.StartQueryExecution", self._remember_query_workgroup),
            ("after-call.sts.AssumeRole", self._remember_session),
        ]

    def active(self) -> Principal | None:
        with self._lock:
            return self._principals[-1] if self._principals else None

    def push(self, principal: Principal) -> None:
        with self._lock:
            self._principals.append(principal)

    def pop(self, principal: Principal) -> None:
        with self._lock:
            if not self._principals or self._principals[-1] is not principal:
                raise RuntimeError("principals must be left in the order they were entered")
            self._principals.pop()

    @contextlib.contextmanager
    def unrestricted(self) -> Iterator[None]:
        """No principal until exit, then the principals as they were: the emulator's own calls made while
        a caller waits (a Lambda invoked in-process reads its role before running as it)."""
        with self._lock:
            saved, self._principals = self._principals, []
        try:
            yield
        finally:
            with self._lock:
                self._principals = saved

    def actions_authorized(self, principal_arn: str) -> set[str]:
        with self._lock:
            return {action for (arn, action) in self.authorized if arn == principal_arn}

    def take_denials(self) -> list[Denial]:
        with self._lock:
            taken, self.denials = self.denials, []
        return taken

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS_KEY] = dict(params)  # also outside a principal: an Athena start is remembered

    @staticmethod
    def _remember_query_workgroup(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        execution = parsed.get("QueryExecutionId")
        if execution:
            workgroup = context.get(_PARAMS_KEY, {}).get("WorkGroup") or DEFAULT_WORKGROUP
            QUERY_WORKGROUPS[execution] = workgroup

    def _remember_session(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """A session AssumeRole granted to the active principal: its calls are made as the role."""
        credentials = parsed.get("Credentials")
        if credentials and self.active() is not None:
            ASSUMED_ROLES.remember(credentials["AccessKeyId"], context.get(_PARAMS_KEY, {}))

    @staticmethod
    def _access_key(request_signer: Any) -> str | None:
        credentials = getattr(request_signer, "_credentials", None)
        return credentials.get_frozen_credentials().access_key if credentials is not None else None

    def _authorize(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], request_signer: Any = None, **_: Any
    ) -> Any:
        principal = self.active()
        if principal is None:
            return None
        account = ACCOUNT_ID
        session = ASSUMED_ROLES.session(self._access_key(request_signer))
        if session is not None:  # signed with an assumed role's credentials: made as that role, in its account
            principal, account = ASSUMED_ROLES.principal(session), session.account
        service = model.service_model.signing_name
        api_params = context.get(_PARAMS_KEY, {})
        call = CallSite(service, model.name, api_params, context.get("client_region") or REGION, account)
        for check in authorization_checks(call):
            decision = principal.decide(check.action, check.resource)
            refusal = None
            if decision is Decision.ALLOWED and check.action == "sts:AssumeRole":
                refusal = trust_refusal(principal, api_params)  # the role's side of a cross-account grant
                decision = Decision.IMPLICIT_DENY if refusal else decision
            if decision is Decision.ALLOWED:
                with self._lock:
                    self.authorized[(principal.arn, check.action)] += 1
                continue
            return self._denied(model, params, principal, check, decision, refusal)
        return None

    def _denied(
        self, model: Any, params: dict[str, Any], principal: Principal, check: Check, decision: Decision, reason: Any
    ) -> tuple[Any, Any]:
        service = model.service_model.signing_name
        code, status, query_code = _DENIED_ERRORS[service]
        code, status = check.denied_code or code, check.denied_status or status
        with self._lock:
            self.denials.append(Denial(principal.arn, f"{service}:{model.name}", check, decision, query_code or code))
        # Answering in before-call skips the HTTP request and botocore's retry handler entirely.
        message = denied_message(principal, check, decision, reason and f"because {reason}")
        raw = error_response(params["url"], service, code, status, message, query_code)
        response_dict = convert_to_response_dict(raw, model)
        parsed = create_parser(model.service_model.protocol).parse(response_dict, model.output_shape)
        return raw, parsed


ENFORCEMENT = _Enforcement()


@contextlib.contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """Every boto3 call of this process, until exit, is made as `principal` and denied as AWS would.

    Process-wide, not per thread: code under test that fans out to worker threads (the CLI's backfill)
    stays under its principal. Run one principal's code at a time."""
    ENFORCEMENT.install()
    ENFORCEMENT.push(principal)
    try:
        yield principal
    finally:
        ENFORCEMENT.pop(principal)
