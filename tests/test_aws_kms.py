"""KmsKeys on the offline engine: rotating CMKs whose policies let CloudWatch Logs and EKS nodes use them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.aws.kms import KeySpec, KmsKeys
from tests.conftest import preview

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
ACCOUNT = "123456789012"
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
TAGS = {"owner": "ml-platform", "purpose": "encryption", "data-classification": "phi"}


def _keys(spec: KeySpec | None = None, config: dict[str, str] | None = None) -> Recording:
    return preview(lambda: KmsKeys("k", spec or KeySpec(tags=TAGS)), config)


def _policy(key: Registration) -> dict[str, Any]:
    policy = key.inputs["policy"]
    assert isinstance(policy, str), f"{key.name}: key policy not resolved at preview: {policy!r}"
    return json.loads(policy)


def _statements_for(policy: dict[str, Any], principal_kind: str, principal: str) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if s["Principal"].get(principal_kind) == principal]


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def test_every_key_rotates() -> None:
    keys = _keys().of_type(KEY)
    assert sorted(k.name for k in keys) == ["k-cluster", "k-logs", "k-storage"]
    assert all(k.inputs["enableKeyRotation"] is True for k in keys)


def test_deletion_window_comes_from_the_spec() -> None:
    keys = _keys(KeySpec(tags=TAGS, deletion_window_days=14)).of_type(KEY)
    assert {k.inputs["deletionWindowInDays"] for k in keys} == {14}


@pytest.mark.parametrize("days", [0, 6, 31, 365])
def test_deletion_window_outside_kms_limits_is_rejected(days: int) -> None:
    with pytest.raises(ValueError, match="deletion_window_days"):
        _keys(KeySpec(tags=TAGS, deletion_window_days=days))


def test_every_key_policy_keeps_the_account_root_as_administrator() -> None:
    for key in _keys().of_type(KEY):
        root = _statements_for(_policy(key), "AWS", f"arn:aws:iam::{ACCOUNT}:root")
        assert len(root) == 1 and root[0]["Effect"] == "Allow" and _actions(root[0]) == {"kms:*"}


def test_logs_key_allows_cloudwatch_logs_only_for_this_accounts_log_groups() -> None:
    rec = _keys(config={"aws:region": "eu-central-1"})
    policy = _policy(rec.one(KEY, "k-logs"))
    logs = _statements_for(policy, "Service", "logs.eu-central-1.amazonaws.com")
    assert len(logs) == 1
    statement = logs[0]
    assert _actions(statement) == {
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
    }
    assert statement["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-central-1:{ACCOUNT}:log-group:*"}
    }
    # No other statement may hand the logs service the key without that condition.
    services = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    assert services == [statement]


def test_only_the_logs_key_trusts_the_logs_service() -> None:
    rec = _keys()
    for name in ("k-storage", "k-cluster"):
        assert not [s for s in _policy(rec.one(KEY, name))["Statement"] if "Service" in s["Principal"]]


def test_storage_key_lets_autoscaling_launch_nodes_with_encrypted_volumes() -> None:
    policy = _policy(_keys().one(KEY, "k-storage"))
    slr = _statements_for(policy, "AWS", SLR)
    use = [s for s in slr if "Condition" not in s]
    grant = [s for s in slr if _actions(s) == {"kms:CreateGrant"}]
    assert len(use) == 1 and _actions(use[0]) == {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    }
    assert len(grant) == 1
    assert grant[0]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": True}}
    # The unconditioned statement must not carry CreateGrant, or grants could go to anything.
    assert "kms:CreateGrant" not in _actions(use[0])


def test_autoscaling_role_appears_only_in_the_storage_key() -> None:
    rec = _keys()
    for name in ("k-logs", "k-cluster"):
        assert not _statements_for(_policy(rec.one(KEY, name)), "AWS", SLR)


def test_each_key_has_an_alias_named_after_component_and_purpose() -> None:
    rec = _keys()
    aliases = {a.inputs["name"]: a.inputs["targetKeyId"] for a in rec.of_type(ALIAS)}
    key_ids = {k.name: k.outputs["keyId"] for k in rec.of_type(KEY)}
    assert aliases == {f"alias/k-{p}": key_ids[f"k-{p}"] for p in ("storage", "cluster", "logs")}


def test_keys_carry_the_data_classification_tag() -> None:
    for key in _keys().of_type(KEY):
        assert key.inputs["tags"]["data-classification"] == "phi"
        assert key.inputs["tags"]["owner"] == "ml-platform"


def test_children_are_parented_to_the_component() -> None:
    rec = _keys()
    component = rec.one("llmops:aws:KmsKeys", "k")
    children = rec.of_type(KEY) + rec.of_type(ALIAS)
    assert len(children) == 6
    for child in children:
        assert child.parent == component.urn
        assert "llmops:aws:KmsKeys$" in child.urn


def test_custom_purposes_get_only_the_root_statement() -> None:
    rec = _keys(KeySpec(tags=TAGS, purposes=("models",)))
    key = rec.one(KEY, "k-models")
    assert [s["Sid"] for s in _policy(key)["Statement"]] == ["AccountRootAdministersKey"]


def test_arn_lookup_by_purpose_and_unknown_purpose_names_the_known_ones() -> None:
    found: dict[str, Any] = {}

    def program() -> None:
        keys = KmsKeys("k", KeySpec(tags=TAGS))
        found["same"] = keys.arn("logs") is keys.arns["logs"]
        with pytest.raises(KeyError, match="no KMS key for purpose 'backups'.*cluster, logs, storage"):
            keys.arn("backups")
        found["raised"] = True

    preview(program)
    assert found == {"same": True, "raised": True}


def test_repeated_purposes_are_rejected() -> None:
    with pytest.raises(ValueError, match="repeat"):
        _keys(KeySpec(tags=TAGS, purposes=("logs", "logs")))


def test_the_autoscaling_service_linked_role_is_created_before_the_storage_key_when_asked() -> None:
    rec = _keys(KeySpec(tags=TAGS, create_autoscaling_role=True))
    role = rec.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["awsServiceName"] == "autoscaling.amazonaws.com"
    assert role.urn in rec.one("aws:kms/key:Key", "k-storage").dependencies
    # Only the storage key's policy names the role.
    assert role.urn not in rec.one("aws:kms/key:Key", "k-logs").dependencies


def test_the_autoscaling_service_linked_role_is_not_created_by_default_or_without_a_storage_key() -> None:
    assert _keys().of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    rec = _keys(KeySpec(tags=TAGS, purposes=("logs",), create_autoscaling_role=True))
    assert rec.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
