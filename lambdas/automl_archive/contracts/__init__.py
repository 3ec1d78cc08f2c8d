"""The product's shared facts, each defined once: what the functions, the stack (infra/), the operator
command, the data lake, the emulator and the benchmarks all import rather than re-type.

- ``archive_layout``: the S3 keys the archive writes and the JSON encoding of what it writes there;
- ``job_table``: the DynamoDB jobs table's keys, items and index;
- ``job_status``: AutoML job statuses, the describe APIs and the child-job event kinds;
- ``metric_names``: the metrics alarms and the dashboard watch;
- ``settings``: each function's environment, read by the function and written by the stack;
- ``stack_outputs``: the stack's default name and the CloudFormation outputs the operator command reads;
- ``state_change_event``: the AutoML Job State Change event's shape and its registry schema;
- ``call_budget``: attempts and timeouts per AWS call, which the functions' timeouts are sized from.

Plain Python with no Powertools or boto3 import, so the CDK app and the CLI import it cheaply.
"""
