"""DynamoDB table, S3 archive + access-log buckets, and the encrypted alerts topic."""

from __future__ import annotations

from aws_cdk.assertions import Match

from .conftest import Synthesized, render

# The stack has a second key and topic (operations, tests/infrastructure/test_monitoring.py).
ALERTS_KEY = {"Description": "Encrypts the AutoML job archive alerts topic"}
ALERTS_TOPIC = {"DisplayName": "AutoML job alerts"}


def test_table_has_the_expected_keys_ttl_pitr_and_is_retained(synthesized: Synthesized) -> None:
    # Given the one table
    _, table = synthesized.only("AWS::DynamoDB::Table")
    properties = table["Properties"]
    # Then it is on-demand, keyed pk/sk (strings), expires items by expires_at, with PITR
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(properties["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "alert_due", "AttributeType": "S"},
        {"AttributeName": "event_due", "AttributeType": "S"},
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    # And two sparse indexes, of the alerts and of the state-change events still due, carrying the job's name
    assert properties["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "AlertsDue",
            "KeySchema": [{"AttributeName": "alert_due", "KeyType": "HASH"}],
            "Projection": {"NonKeyAttributes": ["job_name"], "ProjectionType": "INCLUDE"},
        },
        {
            "IndexName": "EventsDue",
            "KeySchema": [{"AttributeName": "event_due", "KeyType": "HASH"}],
            "Projection": {"NonKeyAttributes": ["job_name"], "ProjectionType": "INCLUDE"},
        },
    ]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    # And deleting the stack keeps the data
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_archive_bucket_is_private_versioned_encrypted_logged_and_retained(synthesized: Synthesized) -> None:
    # Given the archive bucket (the versioned one)
    _, bucket = synthesized.only("AWS::S3::Bucket", {"VersioningConfiguration": {"Status": "Enabled"}})
    properties = bucket["Properties"]
    # Then it is SSE-S3 encrypted, blocks all public access and expires old versions after 90 days
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert properties["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True
    )
    rules = {rule["Id"]: rule for rule in properties["LifecycleConfiguration"]["Rules"]}
    assert set(rules) == {"expire-noncurrent-versions", "expire-athena-results"}
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert "Prefix" not in rules["expire-noncurrent-versions"]  # the whole archive keeps 90 days of versions
    # And Athena's results (not archive) expire after 30 days, nothing else does
    assert (rules["expire-athena-results"]["Prefix"], rules["expire-athena-results"]["ExpirationInDays"]) == (
        "athena-results/",
        30,
    )
    assert all(rule["Status"] == "Enabled" for rule in rules.values())
    # And it logs to the access-log bucket, not to itself
    access_log_id, _ = synthesized.only("AWS::S3::Bucket", {"VersioningConfiguration": Match.absent()})
    assert render(properties["LoggingConfiguration"]["DestinationBucketName"]) == f"${{{access_log_id}}}"
    assert bucket["DeletionPolicy"] == "Retain"


def test_access_log_bucket_is_encrypted_private_and_retained(synthesized: Synthesized) -> None:
    # Given the access-log bucket
    _, bucket = synthesized.only("AWS::S3::Bucket", {"VersioningConfiguration": Match.absent()})
    properties = bucket["Properties"]
    # Then it is SSE-S3 encrypted (the only encryption log delivery supports) and public-blocked
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert all(properties["PublicAccessBlockConfiguration"].values())
    assert bucket["DeletionPolicy"] == "Retain"


def test_both_buckets_deny_non_tls_requests(synthesized: Synthesized) -> None:
    # Given every bucket policy
    policies = synthesized.template.find_resources("AWS::S3::BucketPolicy").values()
    # When the TLS-only deny statements are collected
    protected = {
        render(policy["Properties"]["Bucket"])
        for policy in policies
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny" and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    }
    # Then both buckets are covered
    buckets = {f"${{{logical_id}}}" for logical_id in synthesized.template.find_resources("AWS::S3::Bucket")}
    assert protected == buckets
    assert len(buckets) == 2


def test_alerts_topic_uses_a_rotating_customer_managed_key(synthesized: Synthesized) -> None:
    # Given the topic and the key
    key_id, key = synthesized.only("AWS::KMS::Key", ALERTS_KEY)
    _, topic = synthesized.only("AWS::SNS::Topic", ALERTS_TOPIC)
    # Then the topic is encrypted with that key and the key rotates
    assert render(topic["Properties"]["KmsMasterKeyId"]) == f"${{{key_id}.Arn}}"
    assert key["Properties"]["EnableKeyRotation"] is True


def test_alerts_topic_policy_denies_non_tls_publishing(synthesized: Synthesized) -> None:
    # Given the topic policy
    topic_id, _ = synthesized.only("AWS::SNS::Topic", ALERTS_TOPIC)
    _, policy = synthesized.only("AWS::SNS::TopicPolicy", {"Topics": [{"Ref": topic_id}]})
    # Then it applies to the topic and denies requests without TLS
    assert [render(t) for t in policy["Properties"]["Topics"]] == [f"${{{topic_id}}}"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_one_email_subscription_per_context_address(synthesized: Synthesized) -> None:
    # Given the context's two alert e-mail addresses
    topic_id, _ = synthesized.only("AWS::SNS::Topic", ALERTS_TOPIC)
    subscriptions = synthesized.template.find_resources(
        "AWS::SNS::Subscription", {"Properties": {"TopicArn": {"Ref": topic_id}}}
    ).values()
    # Then each is subscribed, by e-mail, to the alerts topic, and no other address is
    assert sorted(
        (s["Properties"]["Protocol"], s["Properties"]["Endpoint"], render(s["Properties"]["TopicArn"]))
        for s in subscriptions
    ) == [
        ("email", "ml-team@example.com", f"${{{topic_id}}}"),
        ("email", "ops@example.com", f"${{{topic_id}}}"),
    ]
