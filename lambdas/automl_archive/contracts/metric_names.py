"""Every metric the functions emit: the alarms and the dashboard watch them by these names. Plain
constants, so the CDK app imports them as cheaply as the functions do.
"""

# Powertools' service name and metrics namespace (the stack sets POWERTOOLS_SERVICE_NAME and
# POWERTOOLS_METRICS_NAMESPACE to these; every metric carries the `service` dimension).
SERVICE_NAME = "automl-archive"
METRICS_NAMESPACE = "AutoMLArchive"
SERVICE_DIMENSION = "service"

# --- The archiver ------------------------------------------------------------------------------------
STATES_ARCHIVED = "StatesArchived"  # a new job state written
DUPLICATE_STATES = "DuplicateStates"  # a described state the archive already held
JOBS_FINISHED = "JobsFinished"  # a terminal state archived, by the `status` dimension
JOBS_FINISHED_DIMENSION = "status"
CANDIDATES_ARCHIVED = "CandidatesArchived"
LEADERBOARDS_UNAVAILABLE = "LeaderboardsUnavailable"  # a finished job archived without its leaderboard
DESCRIBES = "Describes"
DESCRIBES_SKIPPED = "DescribesSkipped"  # a reference or progress event the archive already answers
DUPLICATE_EVENTS_SKIPPED = "DuplicateEventsSkipped"
CHILD_JOBS_SKIPPED = "ChildJobsSkipped"  # a child job no AutoML job runs
CHILD_JOBS_ARCHIVED = "ChildJobsArchived"  # a finished child job's row (instance type, count, seconds)
JOBS_NOT_FOUND = "JobsNotFound"
ALERTS_SENT = "AlertsSent"
ALERTS_DEDUPLICATED = "AlertsDeduplicated"
ALERTS_NOT_SENT_FOR_HISTORY = "AlertsNotSentForHistory"  # a failure archived as history: no alert
ALERT_MARKS_FAILED = "AlertMarksFailed"  # an alert published whose "sent" mark could not be stored
# Seconds from a state's LastModifiedTime to its archive (the product's freshness), per archived state.
ARCHIVE_LAG_SECONDS = "ArchiveLagSeconds"
# The AutoML Job State Change event (contracts/state_change_event.py): accepted by the bus; refused or
# failed (the record is retried, the event stays due); not kept because a job had too many still due.
STATE_CHANGE_EVENTS_PUBLISHED = "StateChangeEventsPublished"
STATE_CHANGE_EVENTS_FAILED = "StateChangeEventsFailed"
STATE_CHANGE_EVENTS_DROPPED = "StateChangeEventsDropped"
RECORDS_DEFERRED = "RecordsDeferred"  # a record handed back untouched: too little time left to start it
MALFORMED_MESSAGES = "MalformedMessages"
UNRELATED_MESSAGES = "UnrelatedMessages"
# A message about a job in an account or Region that is neither the hub's nor a registered spoke's:
# acknowledged, nothing read there (docs/multi-account.md).
MESSAGES_FROM_UNREGISTERED_SOURCES = "MessagesFromUnregisteredSources"

# --- The reconcile sweep -----------------------------------------------------------------------------
SWEEP_JOBS_LISTED = "SweepJobsListed"
SWEEP_JOBS_ENQUEUED = "SweepJobsEnqueued"
SWEEP_LAG_SECONDS = "SweepLagSeconds"  # since the last complete pass's watermark
SWEEP_ALERTS_DUE = "SweepAlertsDue"
SWEEP_EVENTS_DUE = "SweepEventsDue"  # jobs with a state-change event still due, handed to the archiver
# The sweep found its stored watermark unreadable and looked back as a first pass does.
SWEEP_WATERMARK_INVALID = "SweepWatermarkInvalid"
# A spoke the pass could not read (its role deleted, its Region disabled, throttled): the other sources
# are swept all the same, and this spoke's watermark stays where it was.
SWEEP_SPOKE_FAILURES = "SweepSpokeFailures"

# --- Compaction of the data lake (logic/compaction.py) -----------------------------------------------
COMPACTION_PARTITIONS_MERGED = "CompactionPartitionsMerged"  # JSON days merged into the Iceberg tables
COMPACTION_STATEMENTS = "CompactionStatements"  # MERGE, OPTIMIZE and VACUUM statements run
COMPACTION_BYTES_SCANNED = "CompactionBytesScanned"
COMPACTION_SKIPPED = "CompactionSkipped"  # another run held the lease (an operator's compact beside the hourly run)
# Since the last complete compaction's watermark: the named queries' compacted tables are this far behind.
COMPACTION_LAG_SECONDS = "CompactionLagSeconds"
