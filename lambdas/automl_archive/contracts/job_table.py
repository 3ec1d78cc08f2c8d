"""The jobs table's secondary index of alerts still due, shared by the functions and the stack.

A terminal state whose alert is due carries `alert_due`; marking the alert sent removes it, so the
sparse index holds exactly the alerts not yet sent, and the reconcile pass finishes them (an SNS outage
that outlived the queue's retries, a describe that answered stale on the retry).
"""

ALERTS_DUE_INDEX = "AlertsDue"
ALERT_DUE_ATTRIBUTE = "alert_due"
ALERT_DUE_VALUE = "DUE"  # one partition: a handful of items at most, read once a minute
ALERTS_DUE_PROJECTED = ("job_name",)
