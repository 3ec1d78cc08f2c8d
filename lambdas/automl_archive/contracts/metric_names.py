"""Names of the metrics the functions emit that alarms and the dashboard watch.

Plain constants (no Powertools import), so the CDK app imports them as cheaply as the functions do.
"""

LEADERBOARDS_UNAVAILABLE = "LeaderboardsUnavailable"  # a finished job archived without its leaderboard
RECORDS_DEFERRED = "RecordsDeferred"  # a record handed back untouched: too little time left to start it
# Seconds from a state's LastModifiedTime to its archive (the product's freshness), per archived state.
ARCHIVE_LAG_SECONDS = "ArchiveLagSeconds"
# The sweep found its stored watermark unreadable and looked back as a first pass does.
SWEEP_WATERMARK_INVALID = "SweepWatermarkInvalid"
