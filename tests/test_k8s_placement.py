"""DataPlacementPolicy through the offline engine: every object validates against the upstream schemas, the
policies check the pod spec where each kind keeps it, the bindings deny in exactly the classified namespaces, and
the CEL requires the class's allow label by nodeSelector or required node affinity."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from llmops_infra.cli.recording import Recording
from llmops_infra.components.k8s.placement import DataPlacementPolicy
from llmops_infra.components.tagging import allow_label
from tests.conftest import preview
from tests.k8s_schema import kubernetes_objects, schema_errors

POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
LABELS = {"owner": "platform", "purpose": "data-placement", "data-classification": "phi"}


def placement_preview(classes: tuple[str, ...] = ("phi", "personal")) -> Recording:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        DataPlacementPolicy("placement", classes, labels=LABELS, opts=pulumi.ResourceOptions(provider=provider))

    return preview(program)


def by_name(rec: Recording, token: str) -> dict[str, dict[str, Any]]:
    return {r.inputs["metadata"]["name"]: r.inputs for r in rec.of_type(token)}


def variables(policy: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["expression"] for v in policy["spec"]["variables"]}


def test_every_object_is_schema_valid() -> None:
    objects = kubernetes_objects(placement_preview())
    assert len(objects) == 6
    assert [e for r in objects for e in schema_errors(r)] == []


def test_policies_read_the_pod_spec_where_each_kind_keeps_it() -> None:
    policies = by_name(placement_preview(), POLICY)
    expected = {
        "placement-pods": ([("", ["pods"])], "object.spec"),
        "placement-workloads": (
            [("apps", ["deployments", "statefulsets", "daemonsets", "replicasets"]), ("batch", ["jobs"])],
            "object.spec.template.spec",
        ),
        "placement-cronjobs": ([("batch", ["cronjobs"])], "object.spec.jobTemplate.spec.template.spec"),
    }
    assert set(policies) == set(expected)
    for name, (rules, pod_spec) in expected.items():
        spec = policies[name]["spec"]
        got = [(r["apiGroups"][0], r["resources"]) for r in spec["matchConstraints"]["resourceRules"]]
        assert got == rules
        assert all(r["operations"] == ["CREATE", "UPDATE"] for r in spec["matchConstraints"]["resourceRules"])
        assert variables(policies[name])["podSpec"] == pod_spec
        assert spec["failurePolicy"] == "Fail"
        assert policies[name]["metadata"]["labels"] == LABELS


def test_cel_requires_the_class_label_by_selector_or_required_affinity() -> None:
    policy = by_name(placement_preview(), POLICY)["placement-pods"]
    v = variables(policy)
    assert v["key"] == "'llmops.dev/allow-' + namespaceObject.metadata.labels['data-classification']"
    assert "variables.podSpec.nodeSelector[variables.key] == 'true'" in v["pinnedBySelector"]
    affinity = v["pinnedByAffinity"]
    # Every term (the scheduler ORs them) must pin the label; preferred affinity does not count.
    assert "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.all(t," in affinity
    assert "e.key == variables.key && e.operator == 'In'" in affinity
    assert "e.values.all(v, v == 'true')" in affinity
    assert "preferred" not in affinity
    [validation] = policy["spec"]["validations"]
    assert validation["expression"] == "variables.pinnedBySelector || variables.pinnedByAffinity"
    assert validation["reason"] == "Forbidden"
    # Variables are evaluated in order: each may use only those before it.
    assert list(v) == ["podSpec", "key", "pinnedBySelector", "pinnedByAffinity"]


@pytest.mark.parametrize("classes", [("phi", "personal"), ("phi",)])
def test_bindings_deny_in_exactly_the_classified_namespaces(classes: tuple[str, ...]) -> None:
    rec = placement_preview(classes)
    bindings = by_name(rec, BINDING)
    assert set(bindings) == set(by_name(rec, POLICY))
    for name, binding in bindings.items():
        spec = binding["spec"]
        assert spec["policyName"] == name
        assert spec["validationActions"] == ["Deny"]
        assert spec["matchResources"]["namespaceSelector"] == {
            "matchExpressions": [{"key": "data-classification", "operator": "In", "values": list(classes)}]
        }


def test_allow_label_is_the_one_pools_carry() -> None:
    assert allow_label("phi") == "llmops.dev/allow-phi"


@pytest.mark.parametrize("classes", [(), ("secret",)])
def test_unknown_or_no_classes_are_refused(classes: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="classes"):
        DataPlacementPolicy("placement", classes, labels=LABELS)
