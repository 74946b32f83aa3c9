"""The data placement policies' CEL, executed: which pods and workload templates each policy admits.

The expressions are taken from the ValidatingAdmissionPolicies as the component registered them and evaluated the
way the API server does: `object` and `namespaceObject` bound, then each variable in order (each may read the ones
before it as `variables.<name>`), then the validation. cel-python implements the CEL standard (has, all, exists,
size, map membership), which is all these expressions use.
"""

from __future__ import annotations

import copy
from typing import Any

import celpy
import pulumi
import pulumi_kubernetes as k8s
import pytest
from celpy import celtypes

from llmops_infra.components.k8s.placement import DataPlacementPolicy
from tests.conftest import preview

POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
ENV = celpy.Environment()


def _policies() -> dict[str, dict[str, Any]]:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        DataPlacementPolicy("placement", labels={"owner": "x"}, opts=pulumi.ResourceOptions(provider=provider))

    rec = preview(program)
    return {r.inputs["metadata"]["name"].removeprefix("placement-"): r.inputs["spec"] for r in rec.of_type(POLICY)}


POLICIES = _policies()


def _evaluate(expression: str, activation: dict[str, Any]) -> Any:
    return ENV.program(ENV.compile(expression)).evaluate(activation)


def admission(policy: str, obj: dict[str, Any], classification: str) -> tuple[bool, str]:
    """(admitted, message) for `obj` created in a namespace labelled data-classification=<classification>."""
    spec = POLICIES[policy]
    namespace = {"metadata": {"name": "clinical", "labels": {"data-classification": classification}}}
    activation: dict[str, Any] = {
        "object": celpy.json_to_cel(obj),
        "namespaceObject": celpy.json_to_cel(namespace),
    }
    variables = celtypes.MapType({})
    for variable in spec["variables"]:
        activation["variables"] = variables
        variables = celtypes.MapType(
            {**variables, celtypes.StringType(variable["name"]): _evaluate(variable["expression"], activation)}
        )
    activation["variables"] = variables
    [validation] = spec["validations"]
    admitted = bool(_evaluate(validation["expression"], activation))
    return admitted, str(_evaluate(validation["messageExpression"], activation))


def _required(*terms: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions} for expressions in terms]
            }
        }
    }


def _in(key: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": "In", "values": list(values)}


CONTAINER = {"name": "server", "image": "registry.example.com/server@sha256:" + "a" * 64}
PHI = "llmops.dev/allow-phi"

# (pod spec fields, namespace class, admitted)
CASES = [
    ({"nodeSelector": {PHI: "true"}}, "phi", True),
    ({"nodeSelector": {PHI: "true", "llmops.dev/pool": "a100"}}, "phi", True),
    ({"nodeSelector": {PHI: "false"}}, "phi", False),
    ({"nodeSelector": {"llmops.dev/pool": "a100"}}, "phi", False),
    ({}, "phi", False),
    ({"affinity": _required([_in(PHI, "true")])}, "phi", True),
    ({"affinity": _required([_in(PHI, "true"), _in("llmops.dev/role", "training")])}, "phi", True),
    # Terms are ORed by the scheduler: one term without the label lets the pod land anywhere.
    ({"affinity": _required([_in(PHI, "true")], [_in("llmops.dev/role", "training")])}, "phi", False),
    ({"affinity": _required([_in(PHI, "true", "false")])}, "phi", False),
    ({"affinity": _required([{"key": PHI, "operator": "Exists"}])}, "phi", False),
    ({"affinity": _required()}, "phi", False),
    (
        {
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 100, "preference": {"matchExpressions": [_in(PHI, "true")]}}
                    ]
                }
            }
        },
        "phi",
        False,
    ),
    ({"tolerations": [{"key": PHI, "operator": "Exists"}]}, "phi", False),
    # The label of another class does not admit: personal data needs the personal pools.
    ({"nodeSelector": {PHI: "true"}}, "personal", False),
    ({"nodeSelector": {"llmops.dev/allow-personal": "true"}}, "personal", True),
]


def _pod(fields: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [CONTAINER], **copy.deepcopy(fields)}}


def _deployment(fields: dict[str, Any]) -> dict[str, Any]:
    template = {"spec": {"containers": [CONTAINER], **copy.deepcopy(fields)}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": template}}


def _cron_job(fields: dict[str, Any]) -> dict[str, Any]:
    template = {"spec": {"containers": [CONTAINER], **copy.deepcopy(fields)}}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": template}}}}


@pytest.mark.parametrize(("policy", "build"), [("pods", _pod), ("workloads", _deployment), ("cronjobs", _cron_job)])
@pytest.mark.parametrize(("fields", "classification", "expected"), CASES)
def test_policy_admits_only_pods_pinned_to_pools_allowed_their_class(
    policy: str, build: Any, fields: dict[str, Any], classification: str, expected: bool
) -> None:
    admitted, _ = admission(policy, build(fields), classification)
    assert admitted is expected


def test_the_denial_says_which_label_the_pod_must_require() -> None:
    admitted, message = admission("pods", _pod({}), "personal")
    assert not admitted
    assert "namespace clinical holds personal data" in message
    assert "llmops.dev/allow-personal=true" in message
