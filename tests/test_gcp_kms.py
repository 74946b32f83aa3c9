"""CloudKmsKeys on the offline engine: rotating CMEKs, protected from destroy, used only by the agents needing them."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pytest

from llmops_infra.cli.mock_outputs import GCP_PROJECT_NUMBER
from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.gcp.kms import CloudKmsKeys, CloudKmsKeySpec
from tests.conftest import preview
from tests.rule_judging import judge

CONFIG = {"gcp:project": "llmops-test", "gcp:region": "europe-west4"}
COMPONENT = "llmops:gcp:CloudKmsKeys"
KEY_RING = "gcp:kms/keyRing:KeyRing"
KEY = "gcp:kms/cryptoKey:CryptoKey"
GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
LABELS = {"owner": "ml-platform", "purpose": "encryption", "data-classification": "phi"}
ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
DAY = 86400

GCS_AGENT = f"serviceAccount:service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
COMPUTE_AGENT = f"serviceAccount:service-{GCP_PROJECT_NUMBER}@compute-system.iam.gserviceaccount.com"
GKE_AGENT = f"serviceAccount:service-{GCP_PROJECT_NUMBER}@container-engine-robot.iam.gserviceaccount.com"


def _spec(**overrides: Any) -> CloudKmsKeySpec:
    return CloudKmsKeySpec(**{"location": "europe-west4", "labels": LABELS, **overrides})


def _keys(spec: CloudKmsKeySpec | None = None, name: str = "llmops-test") -> Recording:
    return preview(lambda: CloudKmsKeys(name, spec or _spec()), CONFIG)


@pytest.fixture(scope="module")
def rec() -> Recording:
    return _keys()


def _key(rec: Recording, purpose: str) -> Registration:
    return rec.one(KEY, f"llmops-test-{purpose}")


def _grants_on(rec: Recording, purpose: str) -> dict[str, str]:
    """member -> role of every grant on the purpose's key."""
    key_id = _key(rec, purpose).id
    return {g.inputs["member"]: g.inputs["role"] for g in rec.of_type(GRANT) if g.inputs["cryptoKeyId"] == key_id}


# ---- keys -------------------------------------------------------------------------------------------------


def test_one_key_per_purpose_in_one_ring_at_the_location(rec: Recording) -> None:
    ring = rec.one(KEY_RING)
    assert ring.inputs == {"name": "llmops-test", "location": "europe-west4"}
    keys = rec.of_type(KEY)
    assert sorted(k.inputs["name"] for k in keys) == ["cluster", "storage"]
    assert all(k.inputs["keyRing"] == ring.id for k in keys)
    assert _key(rec, "storage").id.endswith("/keyRings/llmops-test/cryptoKeys/storage")


def test_keys_rotate_every_90_days_by_default(rec: Recording) -> None:
    for key in rec.of_type(KEY):
        assert key.inputs["rotationPeriod"] == f"{90 * DAY}s"


@pytest.mark.parametrize("days", [1, 30, 89, 90])
def test_rotation_period_follows_the_spec_in_seconds(days: int) -> None:
    keys = _keys(_spec(rotation_days=days)).of_type(KEY)
    assert {k.inputs["rotationPeriod"] for k in keys} == {f"{days * DAY}s"}


@pytest.mark.parametrize("days", [0, -1, 91, 365])
def test_rotation_outside_1_to_90_days_is_rejected(days: int) -> None:
    with pytest.raises(ValueError, match=f"rotation_days={days}.*1 to 90 days"):
        _keys(_spec(rotation_days=days))


def test_keys_are_symmetric_encrypt_decrypt_software_keys_by_default(rec: Recording) -> None:
    for key in rec.of_type(KEY):
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
        assert key.inputs["versionTemplate"] == {
            "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
            "protectionLevel": "SOFTWARE",
        }


def test_hsm_protection_when_the_spec_asks() -> None:
    keys = _keys(_spec(protection_level="HSM")).of_type(KEY)
    assert {k.inputs["versionTemplate"]["protectionLevel"] for k in keys} == {"HSM"}


def test_protection_levels_that_need_an_ekm_connection_are_rejected() -> None:
    with pytest.raises(ValueError, match="protection_level 'EXTERNAL'"):
        _keys(_spec(protection_level="EXTERNAL"))


def test_destroyed_key_versions_stay_restorable_for_30_days(rec: Recording) -> None:
    for key in rec.of_type(KEY):
        assert key.inputs["destroyScheduledDuration"] == f"{30 * DAY}s"


def test_keys_are_protected_from_pulumi_destroy(rec: Recording) -> None:
    # Destroying a CryptoKey destroys every version, and with them every byte encrypted with it.
    assert all(k.protect for k in rec.of_type(KEY))


def test_keys_carry_the_records_of_processing_labels(rec: Recording) -> None:
    for key in rec.of_type(KEY):
        assert key.inputs["labels"] == LABELS


# ---- service agents ---------------------------------------------------------------------------------------


def test_storage_key_is_usable_by_cloud_storage_and_compute_engine_only(rec: Recording) -> None:
    assert _grants_on(rec, "storage") == {GCS_AGENT: ROLE, COMPUTE_AGENT: ROLE}


def test_cluster_key_is_usable_by_the_gke_service_agent_only(rec: Recording) -> None:
    assert _grants_on(rec, "cluster") == {GKE_AGENT: ROLE}


def test_every_grant_is_the_encrypter_decrypter_role_on_one_key(rec: Recording) -> None:
    grants = rec.of_type(GRANT)
    assert len(grants) == 3
    key_ids = {k.id for k in rec.of_type(KEY)}
    for grant in grants:
        assert grant.inputs["role"] == ROLE
        assert grant.inputs["cryptoKeyId"] in key_ids


def test_a_purpose_without_known_users_gets_a_key_and_no_grants() -> None:
    rec = _keys(_spec(purposes=("models",)))
    assert [k.inputs["name"] for k in rec.of_type(KEY)] == ["models"]
    assert rec.of_type(GRANT) == []


def test_a_consumer_of_key_id_waits_for_that_keys_grants() -> None:
    def program() -> None:
        keys = CloudKmsKeys("llmops-test", _spec())
        for purpose in ("storage", "cluster"):
            # Any resource given the id: here a bucket, as EncryptedBucket does.
            gcp.storage.Bucket(
                f"uses-{purpose}",
                location="EUROPE-WEST4",
                encryption={"default_kms_key_name": keys.key_id(purpose)},
                opts=pulumi.ResourceOptions(parent=keys),
            )

    rec = preview(program, CONFIG)
    for purpose in ("storage", "cluster"):
        consumer = rec.one("gcp:storage/bucket:Bucket", f"uses-{purpose}")
        key = _key(rec, purpose)
        grants = [g for g in rec.of_type(GRANT) if g.inputs["cryptoKeyId"] == key.id]
        assert consumer.inputs["encryption"] == {"defaultKmsKeyName": key.id}
        assert grants
        assert all(g.urn in consumer.property_dependencies["encryption"] for g in grants)
        others = [g for g in rec.of_type(GRANT) if g not in grants]
        assert not any(g.urn in consumer.dependencies for g in others)


def test_key_id_of_an_unknown_purpose_names_the_known_ones() -> None:
    found: dict[str, Any] = {}

    def program() -> None:
        keys = CloudKmsKeys("llmops-test", _spec())
        found["same"] = keys.key_id("cluster") is keys.key_ids["cluster"]
        with pytest.raises(KeyError, match="no Cloud KMS key for purpose 'logs'.*cluster, storage"):
            keys.key_id("logs")
        found["raised"] = True

    preview(program, CONFIG)
    assert found == {"same": True, "raised": True}


# ---- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        ("llmops-test", {"purposes": ()}, "purposes is empty"),
        ("llmops-test", {"purposes": ("storage", "storage")}, "repeat a purpose"),
        ("llmops-test", {"purposes": ("model weights",)}, "not Cloud KMS key ids"),
        ("llmops.test", {}, "key ring id"),
        ("x" * 64, {}, "key ring id"),
        ("llmops-test", {"location": "Europe West 4"}, "not a Cloud KMS location"),
    ],
)
def test_specs_cloud_kms_cannot_take_are_rejected(name: str, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _keys(_spec(**overrides), name=name)


def test_every_resource_is_a_child_of_the_component(rec: Recording) -> None:
    component = rec.one(COMPONENT, "llmops-test")
    gcp_resources = [r for r in rec.resources if r.type.startswith("gcp:")]
    assert {r.type for r in gcp_resources} == {KEY_RING, KEY, GRANT}
    assert all(r.parent == component.urn for r in gcp_resources)
    assert component.outputs["key_ids"] == {p: _key(rec, p).id for p in ("storage", "cluster")}
    assert component.outputs["key_ring_id"] == rec.one(KEY_RING).id


# ---- the policy rules over what was registered ------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 90])
def test_the_keys_pass_the_key_rotation_rule(days: int) -> None:
    judged, violations = judge(_keys(_spec(rotation_days=days)))
    assert "gcp-kms-key-rotation-period" in judged
    assert violations == []


def test_the_rule_would_catch_a_key_rotating_less_often_than_every_90_days(rec: Recording) -> None:
    key = copy.deepcopy(_key(rec, "storage"))
    key.inputs["rotationPeriod"] = f"{91 * DAY}s"
    _, violations = judge(rec, [key])
    assert [v.split(":")[0] for v in violations] == ["gcp-kms-key-rotation-period"]
