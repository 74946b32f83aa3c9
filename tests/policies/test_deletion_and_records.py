"""stateful-store-deletion-protection (backup) and k8s-records-of-processing: baseline, one change each, unknowns."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

import llmops_infra.policies.rules  # noqa: F401 - registers every rule
from llmops_infra.policies.runtime.rule import RULES, Resource, Settings, evaluate

DEFAULT_SETTINGS = Settings()  # a frozen dataclass: one instance serves as every default


def judge(rule: str, type_: str, props: dict[str, Any], settings: Settings = DEFAULT_SETTINGS) -> list[str]:
    return evaluate(RULES[rule], Resource(type_, "db", f"urn:pulumi:s::p::{type_}::db", props), settings)


# ---- stateful-store-deletion-protection --------------------------------------------------------------------

PROTECTED = {
    "aws:rds/instance:Instance": {"deletionProtection": True},
    "aws:rds/cluster:Cluster": {"deletionProtection": True},
    "aws:dynamodb/table:Table": {"deletionProtectionEnabled": True},
    "gcp:sql/databaseInstance:DatabaseInstance": {
        "settings": {"tier": "db-f1-micro", "deletionProtectionEnabled": True}
    },
}


@pytest.mark.parametrize("type_", PROTECTED)
def test_protected_stores_pass(type_):
    assert judge("stateful-store-deletion-protection", type_, PROTECTED[type_]) == []


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        ("aws:rds/instance:Instance", {}, "RDS instance db does not set deletionProtection to true"),
        ("aws:rds/instance:Instance", {"deletionProtection": False}, "RDS instance db does not set deletionProtection"),
        ("aws:rds/cluster:Cluster", {"deletionProtection": "yes"}, "RDS cluster db does not set deletionProtection"),
        ("aws:dynamodb/table:Table", {}, "DynamoDB table db does not set deletionProtectionEnabled to true"),
        (
            "gcp:sql/databaseInstance:DatabaseInstance",
            {"settings": {"deletionProtectionEnabled": True}, "deletionProtection": False},
            "Cloud SQL instance db does not set deletionProtection to true",
        ),
        (
            "gcp:sql/databaseInstance:DatabaseInstance",
            {"settings": {"tier": "db-f1-micro"}},
            "Cloud SQL instance db does not set settings.deletionProtectionEnabled to true",
        ),
        (
            "gcp:sql/databaseInstance:DatabaseInstance",
            {"settings": "odd"},
            "Cloud SQL instance db does not set settings.deletionProtectionEnabled to true",
        ),
    ],
)
def test_unprotected_store_is_reported(type_, props, expected):
    violations = judge("stateful-store-deletion-protection", type_, props)
    assert len(violations) == 1 and violations[0].startswith(expected)


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        ("aws:rds/instance:Instance", {"deletionProtection": UNKNOWN_BOOLEAN_VALUE}),
        ("aws:dynamodb/table:Table", {"deletionProtectionEnabled": UNKNOWN_BOOLEAN_VALUE}),
        (
            "gcp:sql/databaseInstance:DatabaseInstance",
            {"settings": {"deletionProtectionEnabled": UNKNOWN_BOOLEAN_VALUE}},
        ),
        ("gcp:sql/databaseInstance:DatabaseInstance", {"settings": UNKNOWN_STRING_VALUE}),
    ],
)
def test_unknown_protection_is_not_judged(type_, props):
    assert judge("stateful-store-deletion-protection", type_, props) == []


# ---- k8s-records-of-processing ------------------------------------------------------------------------------

LABELS = {"owner": "ml-platform", "purpose": "inference", "data-classification": "phi"}
NAMESPACE = "kubernetes:core/v1:Namespace"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"


def k8s(type_: str, labels: Any, namespace: str | None = "llm") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "llm" if type_ == NAMESPACE else "weights", "labels": labels}
    if namespace and type_ != NAMESPACE:
        metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": type_.rsplit(":", 1)[-1], "metadata": metadata}


@pytest.mark.parametrize("type_", [NAMESPACE, PVC, "kubernetes:apps/v1:StatefulSet"])
def test_labelled_objects_pass(type_):
    assert judge("k8s-records-of-processing", type_, k8s(type_, LABELS)) == []


@pytest.mark.parametrize("missing", ["owner", "purpose", "data-classification"])
def test_each_missing_label_is_reported(missing):
    labels = {k: v for k, v in LABELS.items() if k != missing}
    assert judge("k8s-records-of-processing", PVC, k8s(PVC, labels)) == [
        f"PersistentVolumeClaim llm/weights has no {missing} in metadata.labels"
    ]


def test_unknown_classification_value_is_reported():
    violations = judge("k8s-records-of-processing", NAMESPACE, k8s(NAMESPACE, {**LABELS, "data-classification": "x"}))
    assert violations == [
        "Namespace llm (cluster-scoped) metadata.labels data-classification 'x' is not one of phi, personal, "
        "internal, public"
    ]


def test_objects_in_exempt_system_namespaces_are_not_judged():
    assert judge("k8s-records-of-processing", PVC, k8s(PVC, {}, namespace="kube-system")) == []
    settings = Settings(exempt_namespaces=("llm",))
    assert judge("k8s-records-of-processing", NAMESPACE, k8s(NAMESPACE, {}), settings) == []


@pytest.mark.parametrize("labels", [None, "odd", ["owner"], 3])
def test_odd_labels_read_as_none(labels):
    assert len(judge("k8s-records-of-processing", PVC, k8s(PVC, labels))) == 3


def test_unknown_labels_are_not_judged():
    assert judge("k8s-records-of-processing", PVC, k8s(PVC, UNKNOWN_STRING_VALUE)) == []
    assert judge("k8s-records-of-processing", PVC, k8s(PVC, {**LABELS, "owner": UNKNOWN_STRING_VALUE})) == []
