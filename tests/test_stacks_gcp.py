"""The GCP environments: prod-gdpr and dev-gcp preview, keep their promises, and pass (or fail) the GDPR pack.

These drive the command line as a user does (`llmops preview`, `llmops check`), so the issue's done-when
criteria are tested exactly as they are stated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmops_infra.cli import program
from llmops_infra.cli.recording import Registration
from llmops_infra.cli.stackfile import resolve
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY
from tests.stack_runs import ROOT, recording, remember_stacks, run_cli

PROD = ROOT / "configs" / "Pulumi.prod-gdpr.yaml"
NODE_POOL = "gcp:container/nodePool:NodePool"
CLUSTER = "gcp:container/cluster:Cluster"


@pytest.fixture(autouse=True)
def remembered_stacks(monkeypatch: pytest.MonkeyPatch) -> None:
    remember_stacks(monkeypatch)


def _variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> str:
    """prod-gdpr's stack file with text replaced, as another stack of the same project."""
    text = PROD.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---- done when: preview ----------------------------------------------------------------------------------------


def _resources(report: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [r for r in report["resources"] if r["type"] == token]


def test_preview_json_shows_the_v5e_2x4_slice_as_one_pool_of_exactly_two_nodes(capsys):
    code, out, err = run_cli(capsys, "preview", "prod-gdpr", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    slices = [r for r in _resources(report, NODE_POOL) if r["inputs"].get("placementPolicy", {}).get("tpuTopology")]
    [tpu] = slices
    assert tpu["inputs"]["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "2x4"}
    assert tpu["inputs"]["nodeCount"] == 2
    assert tpu["inputs"]["nodeConfig"]["machineType"] == "ct5lp-hightpu-4t"
    assert "autoscaling" not in tpu["inputs"]  # a multi-host slice is atomic: nothing may resize it
    assert tpu["inputs"]["nodeLocations"] == ["europe-west4-b"]


def test_preview_json_shows_a_private_cluster_with_workload_identity_and_database_encryption(capsys):
    code, out, err = run_cli(capsys, "preview", "prod-gdpr", "--format", "json")
    assert code == 0, err
    [cluster] = _resources(json.loads(out), CLUSTER)
    inputs = cluster["inputs"]
    assert inputs["privateClusterConfig"]["enablePrivateNodes"] is True
    assert inputs["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert inputs["workloadIdentityConfig"]["workloadPool"] == "llmops-prod-gdpr.svc.id.goog"
    assert inputs["databaseEncryption"]["state"] == "ENCRYPTED"
    assert inputs["databaseEncryption"]["keyName"].startswith("projects/llmops-prod-gdpr/locations/europe-west4/")
    assert inputs["location"] == "europe-west4"


def test_preview_text_shows_gpu_and_tpu_capacity(capsys):
    code, out, err = run_cli(capsys, "preview", "prod-gdpr")
    assert code == 0, err
    capacity = out.split("Accelerator capacity:")[1].split("\n\n")[0]
    for pool, machine in (("h100-train", "a3-highgpu-8g"), ("l4-serve", "g2-standard-24"), ("v5e-train", "ct5lp")):
        assert pool in capacity and machine in capacity
    tpu_row = next(line.split() for line in capacity.splitlines() if line.strip().startswith("v5e-train"))
    assert "2x4" in tpu_row and tpu_row[-1] == "8"  # the slice's topology and its 8 chips
    assert "warning" not in out  # every machine type prod-gdpr uses is a verified catalog row


# ---- done when: wrong configs exit 2 naming the key --------------------------------------------------------------


@pytest.mark.parametrize(
    ("replacement", "key", "words"),
    [
        (("topology: 2x4", "topology: 2x3"), "llmops-infra:platform.gcp.tpuPools[0].topology = '2x3'", ["2x4"]),
        (
            ("machineType: g2-standard-24", "machineType: a3-highgpu-8g\n          accelerator: nvidia-l4"),
            "llmops-infra:platform.gcp.gpuPools[1].accelerator = 'nvidia-l4'",
            ["nvidia-h100-80gb"],
        ),
    ],
    ids=["tpu-2x3-on-ct5lp-4t", "l4-on-a3"],
)
def test_a_wrong_accelerator_config_exits_2_naming_the_key(capsys, monkeypatch, tmp_path, replacement, key, words):
    started: list[Any] = []
    monkeypatch.setattr(program, "run_program", lambda *args: started.append(args))
    file = _variant(tmp_path, "bad", replacement)
    code, out, err = run_cli(capsys, "preview", file)
    assert code == 2 and out == ""
    assert "Pulumi.bad.yaml" in err and key in err, err
    for word in words:
        assert word in err
    assert "Traceback" not in err
    assert started == []  # the program never ran, so no resource was registered


# ---- done when: the GDPR pack ----------------------------------------------------------------------------------


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(capsys, "check", *argv, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def test_prod_gdpr_passes_its_declared_gdpr_pack(capsys):
    code, report = _check(capsys, "prod-gdpr")
    [stack] = report["stacks"]
    assert stack["packs"] == ["llmops-gdpr"]
    assert stack["violations"] == [], stack["violations"]
    assert code == 0 and report["passed"] is True
    assert stack["resources"] > 30


def test_prod_gdpr_moved_to_us_central1_fails_data_residency(capsys, tmp_path):
    file = _variant(tmp_path, "prod-gdpr-us", ("europe-west4", "us-central1"))
    code, report = _check(capsys, file)
    assert code == 1 and report["passed"] is False
    violations = report["stacks"][0]["violations"]
    assert violations and {v["policy"] for v in violations} == {"data-residency"}
    judged = {v["type"] for v in violations}
    # The cluster, its pools, the buckets and key ring all hold personal data outside the EU.
    assert {CLUSTER, NODE_POOL, "gcp:storage/bucket:Bucket", "gcp:kms/keyRing:KeyRing"} <= judged
    assert all("us-central1" in v["message"].lower() for v in violations)


# ---- the environments' promises ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod-gdpr", "dev-gcp"])
def test_environment_previews_with_its_outputs(stack: str):
    rec = recording(stack)
    outputs = rec.stack_outputs
    assert outputs["clusterName"] == f"llmops-{stack}"
    assert outputs["kubeconfig"][SIG_KEY] == SECRET_SIG
    pools = [p["name"] for p in _pool_specs(stack)]
    assert outputs["nodePools"] == pools
    # One node pool per accelerator pool, plus the system pool.
    assert len(rec.of_type(NODE_POOL)) == len(pools) + 1


def _pool_specs(stack: str) -> list[dict[str, Any]]:
    platform = json.loads(resolve(stack, ROOT).settings.config["llmops-infra:platform"])
    return [*platform["gcp"].get("gpuPools", []), *platform["gcp"].get("tpuPools", [])]


@pytest.mark.parametrize("stack", ["prod-gdpr", "dev-gcp"])
def test_every_gcp_resource_uses_the_stack_provider_in_its_region(stack: str):
    rec = recording(stack)
    (provider,) = rec.of_type("pulumi:providers:gcp")
    assert provider.inputs["region"] == "europe-west4"
    for r in rec.resources:
        if r.custom and r.type.startswith("gcp:"):
            assert r.provider == f"{provider.urn}::{provider.id}", r.urn


def _personal(r: Registration) -> bool:
    return (r.inputs.get("labels") or {}).get("data-classification") == "personal"


def test_prod_gdpr_buckets_are_personal_cmek_private_and_expire():
    rec = recording("prod-gdpr")
    data = [b for b in rec.of_type("gcp:storage/bucket:Bucket") if _personal(b)]
    assert sorted(b.name for b in data) == ["checkpoints", "datasets", "models"]
    for bucket in data:
        inputs = bucket.inputs
        assert inputs["location"].lower() == "europe-west4"
        assert inputs["encryption"]["defaultKmsKeyName"].startswith("projects/llmops-prod-gdpr/locations/europe-west4/")
        assert inputs["publicAccessPrevention"] == "enforced"
        assert inputs["uniformBucketLevelAccess"] is True
        assert inputs["versioning"]["enabled"] is True
        assert inputs["lifecycleRules"], bucket.name
    ages = {
        b.name: [r["condition"].get("age") for r in b.inputs["lifecycleRules"] if r["action"]["type"] == "Delete"]
        for b in data
    }
    assert 365 in ages["datasets"] and 90 in ages["checkpoints"]


def test_prod_gdpr_pools_run_as_the_dedicated_node_account_on_cmek_shielded_disks():
    rec = recording("prod-gdpr")
    [cluster] = rec.of_type(CLUSTER)
    for pool in rec.of_type(NODE_POOL):
        config = pool.inputs["nodeConfig"]
        # A service account of the project, never the Compute Engine default one.
        assert config["serviceAccount"].endswith("@llmops-prod-gdpr.iam.gserviceaccount.com"), pool.name
        assert config["bootDiskKmsKey"].startswith("projects/llmops-prod-gdpr/locations/europe-west4/"), pool.name
        assert config["shieldedInstanceConfig"]["enableSecureBoot"] is True, pool.name
        assert config["workloadMetadataConfig"]["mode"] == "GKE_METADATA", pool.name
    assert cluster.inputs["removeDefaultNodePool"] is True


def test_prod_gdpr_reservation_and_accelerators_reach_the_h100_pool():
    rec = recording("prod-gdpr")
    pool = rec.one(NODE_POOL, "h100-train")
    config = pool.inputs["nodeConfig"]
    assert config["machineType"] == "a3-highgpu-8g"
    [accelerator] = config["guestAccelerators"]
    assert accelerator["type"] == "nvidia-h100-80gb" and accelerator["count"] == 8
    assert accelerator["gpuDriverInstallationConfig"]["gpuDriverVersion"] == "LATEST"
    assert config["reservationAffinity"]["consumeReservationType"] == "SPECIFIC_RESERVATION"
    assert config["reservationAffinity"]["values"][-1].endswith("h100-europe-west4-b")


def test_dev_gcp_pool_is_spot_without_reservation_and_scales_from_zero():
    rec = recording("dev-gcp")
    pool = rec.one(NODE_POOL, "l4-spot")
    assert pool.inputs["nodeConfig"]["spot"] is True
    assert pool.inputs["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert pool.inputs["autoscaling"]["totalMinNodeCount"] == 0
    assert pool.inputs["autoscaling"]["totalMaxNodeCount"] == 2
