"""BareMetalGpuPool through the offline engine: one NodePatch per configured node and no other, the pool labels
(the cloud pools' keys plus llmops.dev/allow-<class>), the GPU taint first and the spec's taints after it, the
force annotation only when asked, the capacity row, and every patch valid against the upstream Node schema."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from llmops_infra.cli.recording import Recording
from llmops_infra.components.k8s.nodes import BareMetalGpuPool
from llmops_infra.components.spec import BareMetalPoolSpec
from tests.conftest import preview
from tests.k8s_schema import kubernetes_objects, schema_errors

NODE_PATCH = "kubernetes:core/v1:NodePatch"
NODES = ("gpu-node-01", "gpu-node-02.rack3", "dgx-a")


def pool_spec(**overrides: Any) -> BareMetalPoolSpec:
    fields: dict[str, Any] = {
        "name": "a100",
        "nodes": NODES,
        "accelerator": "nvidia-a100-80gb",
        "accelerators_per_node": 8,
        **overrides,
    }
    return BareMetalPoolSpec(**fields)


def pool_preview(spec: BareMetalPoolSpec | None = None, **kwargs: Any) -> Recording:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        pool = BareMetalGpuPool("onprem", spec or pool_spec(), **kwargs, opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("capacity", pool.capacity)

    return preview(program)


def patches(rec: Recording) -> dict[str, dict[str, Any]]:
    """Node name -> the patch's inputs."""
    found = rec.of_type(NODE_PATCH)
    by_node = {p.inputs["metadata"]["name"]: p.inputs for p in found}
    assert len(by_node) == len(found), "two patches on one node"
    return by_node


def test_patches_exactly_the_configured_nodes() -> None:
    rec = pool_preview()
    assert sorted(patches(rec)) == sorted(NODES)
    assert len(rec.of_type(NODE_PATCH)) == len(NODES)
    # Nothing else is written to the cluster.
    assert {r.type for r in kubernetes_objects(rec)} == {NODE_PATCH}


def test_patches_are_children_of_the_pool_and_use_its_provider() -> None:
    rec = pool_preview()
    pool = rec.one("llmops:k8s:BareMetalGpuPool")
    for patch in rec.of_type(NODE_PATCH):
        assert patch.parent == pool.urn
        assert "pulumi:providers:kubernetes::cluster" in patch.provider


def test_every_patch_validates_against_the_node_schema() -> None:
    rec = pool_preview(pool_spec(labels={"site": "fra1"}, allowed_classifications=("phi",)))
    objects = kubernetes_objects(rec)
    assert objects
    assert [e for r in objects for e in schema_errors(r)] == []


def test_labels_are_the_pool_labels_on_every_node() -> None:
    spec = pool_spec(role="training", labels={"site": "fra1", "llmops.dev/pool": "spoofed"})
    for labels in (p["metadata"]["labels"] for p in patches(pool_preview(spec)).values()):
        assert labels == {
            "site": "fra1",
            "llmops.dev/pool": "a100",  # ours win over the spec's own
            "llmops.dev/role": "training",
            "llmops.dev/accelerator": "nvidia-a100-80gb",
            "llmops.dev/accelerator-count": "8",
            "nvidia.com/gpu.present": "true",  # where the device plugin chart schedules without discovery
        }


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        ((), set()),
        (("phi",), {"llmops.dev/allow-phi"}),
        (("phi", "personal"), {"llmops.dev/allow-phi", "llmops.dev/allow-personal"}),
    ],
)
def test_one_allow_label_per_allowed_classification(classes: tuple[str, ...], expected: set[str]) -> None:
    for patch in patches(pool_preview(pool_spec(allowed_classifications=classes))).values():
        labels = patch["metadata"]["labels"]
        allow = {k for k in labels if k.startswith("llmops.dev/allow-")}
        assert allow == expected
        assert all(labels[k] == "true" for k in allow)


def test_gpu_taint_first_then_the_spec_taints_without_duplicates() -> None:
    spec = pool_spec(
        taints=(
            {"key": "nvidia.com/gpu", "value": "other", "effect": "NO_SCHEDULE"},  # same key and effect: dropped
            {"key": "dedicated", "value": "llm", "effect": "NO_EXECUTE"},
        )
    )
    for patch in patches(pool_preview(spec)).values():
        assert patch["spec"]["taints"] == [
            {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
            {"key": "dedicated", "value": "llm", "effect": "NoExecute"},
        ]


def test_no_force_annotation_unless_asked() -> None:
    for patch in patches(pool_preview()).values():
        assert "annotations" not in patch["metadata"]
    for patch in patches(pool_preview(force=True)).values():
        assert patch["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}


def test_capacity_row_counts_the_nodes() -> None:
    capacity = pool_preview().stack_outputs["capacity"]
    assert capacity == {
        "pool": "a100",
        "instance_type": "bare-metal",
        "accelerator": "nvidia-a100-80gb",
        "accelerators_per_node": 8,
        "min": 3,
        "desired": 3,
        "max": 3,
        "total_at_max": 24,
    }  # no "verified": the count is the operator's own, no catalog row to doubt
