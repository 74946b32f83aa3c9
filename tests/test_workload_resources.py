"""Every container of every workload a shipped stack registers states CPU and memory requests and limits.

Walks the preview of each configs/Pulumi.<env>.yaml (tests/stack_runs.py) and every workload kind the pod
security rules read a pod template from (policies/rules/kubernetes/pod_security.py WORKLOAD_TEMPLATES), plus
bare Pods. Helm releases are not walked: their charts' pods are the charts' (and no release here sets resources in
its values).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from llmops_infra.cli.recording import Registration
from llmops_infra.policies.rules.kubernetes.pod_security import CONTAINER_FIELDS, WORKLOAD_TEMPLATES
from tests.rule_judging import DELETE, changed
from tests.stack_runs import recording
from tests.test_stacks_k8s import SHIPPED

POD_TEMPLATES = {**WORKLOAD_TEMPLATES, "kubernetes:core/v1:Pod": ()}
RESOURCES = ("cpu", "memory")


def pod_spec(registration: Registration) -> dict[str, Any] | None:
    """The pod spec of a workload (its template's spec, or a Pod's own), None for anything else."""
    path = POD_TEMPLATES.get(registration.type)
    if path is None:
        return None
    node: Any = registration.inputs
    for key in (*path, "spec"):
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def missing_resources(registration: Registration) -> Iterator[str]:
    """`<workload> <container>: <requests|limits>.<cpu|memory>` for each one a container does not state."""
    spec = pod_spec(registration)
    if spec is None:
        return
    for field, label in CONTAINER_FIELDS:
        for container in spec.get(field) or []:
            resources = container.get("resources") or {}
            for kind in ("requests", "limits"):
                for resource in RESOURCES:
                    if not (resources.get(kind) or {}).get(resource):
                        yield f"{registration.name} {label} {container.get('name')}: {kind}.{resource}"


def workloads(stack: str) -> list[Registration]:
    return [r for r in recording(stack).resources if r.custom and r.type in POD_TEMPLATES]


@pytest.mark.parametrize("stack", SHIPPED)
def test_every_container_of_every_workload_has_cpu_and_memory_requests_and_limits(stack: str) -> None:
    assert [m for r in workloads(stack) for m in missing_resources(r)] == []


def test_the_walk_sees_the_shipped_workloads() -> None:
    # The edge stack runs a model server on each site, one with the model fetcher as an init container: the walk
    # must find both kinds of container, or the test above proves nothing.
    found = workloads("edge")
    assert {r.type for r in found} >= {"kubernetes:apps/v1:Deployment"}
    containers = {
        field for r in found for field, _ in CONTAINER_FIELDS if (spec := pod_spec(r)) is not None and spec.get(field)
    }
    assert containers >= {"containers", "initContainers"}


@pytest.mark.parametrize("field", ["containers", "initContainers"])
@pytest.mark.parametrize(("kind", "resource"), [(k, r) for k in ("requests", "limits") for r in RESOURCES])
def test_the_walk_reports_a_container_without_one(field: str, kind: str, resource: str) -> None:
    [server] = [r for r in workloads("edge") if (pod_spec(r) or {}).get("initContainers")]
    assert list(missing_resources(server)) == []
    inputs = changed(server.inputs, ("spec", "template", "spec", field, 0, "resources", kind, resource), DELETE)
    broken = dataclasses.replace(server, inputs=inputs)
    name = server.inputs["spec"]["template"]["spec"][field][0]["name"]
    assert list(missing_resources(broken)) == [
        f"{server.name} {dict(CONTAINER_FIELDS)[field]} {name}: {kind}.{resource}"
    ]
