"""In-process Autopilot simulator served through moto's SageMaker responses.

moto answers DescribeAutoMLJob, CreateAutoMLJob and ListCandidatesForAutoMLJob with HTTP 500 and keeps
V2 jobs InProgress forever. `simulator.AutopilotSimulator` holds simulated jobs and steps them through
Autopilot's lifecycle; `moto_patch` makes the moto server answer from it, each answer built by the
`*_answers` modules and checked by `answer_validation` against botocore's output shapes; `paging` and
`api_errors` (error answers, injected faults) serve the list actions and the failures.

A simulator plays one account and region (`AutopilotSimulator(account_id=..., region=...)`, by default
moto's account in us-east-1); several can be installed at once, and each request is answered by the one
playing the request's account and region (a hub's spokes with colliding job names).
"""
