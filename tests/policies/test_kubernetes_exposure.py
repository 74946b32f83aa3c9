"""Kubernetes exposure rules (policies/rules/kubernetes/exposure.py): LoadBalancer Services and Ingress TLS.

One table of cases (tests/rule_judging.py): a compliant object of every kind each rule judges, one property
changed at a time (exactly one violation, naming the object), one value unknown at preview at a time (none);
then the exemptions, and a small third-party stack export (raw manifests as a team would write them).
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from llmops_infra.policies.rules.kubernetes import exposure
from llmops_infra.policies.runtime.rule import RULES
from llmops_infra.policies.runtime.verdicts import judge
from tests.policies.stack_exports import Raw, export, judged
from tests.rule_judging import (
    DELETE,
    Case,
    changed,
    resource,
    violations,
)

SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
LB_RULE = "k8s-load-balancer-service-restricted"
TLS_RULE = "k8s-ingress-tls"
SERVICE_LABEL = "Service serving/inference"
INGRESS_LABEL = "Ingress serving/inference"


def service(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "inference", "namespace": "serving"},
        "spec": {"type": "LoadBalancer", "selector": {"app": "inference"}, "ports": [{"port": 443}], **spec},
    }


def ingress(api_version: str = "networking.k8s.io/v1") -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": "Ingress",
        "metadata": {"name": "inference", "namespace": "serving"},
        "spec": {
            "rules": [{"host": "api.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix"}]}}],
            "tls": [{"hosts": ["api.example.com"], "secretName": "api-tls"}],
        },
    }


RESTRICTED = service(loadBalancerSourceRanges=["203.0.113.0/24"])
ANNOTATIONS = ("metadata", "annotations")
NO_RANGES = "is a LoadBalancer Service with no spec.loadBalancerSourceRanges and no internal load-balancer annotation"
# What every verdict needs besides its change (Case.needs): the namespace, which may be exempt; for a Service, that
# it is a LoadBalancer one. The object's name only labels messages (the label is checked by assert_one_violation).
NAMESPACE_NEED = ("metadata", "namespace")
SERVICE_NEEDS = [("spec", "type"), NAMESPACE_NEED]

CASES = [
    Case(
        LB_RULE,
        SERVICE,
        RESTRICTED,
        [
            (("spec", "loadBalancerSourceRanges"), DELETE, NO_RANGES),
            (("spec", "loadBalancerSourceRanges"), [], NO_RANGES),
            (("spec", "loadBalancerSourceRanges"), "203.0.113.0/24", NO_RANGES),  # not a list: no ranges
            (
                ("spec", "loadBalancerSourceRanges"),
                ["203.0.113.0/24", "0.0.0.0/0"],
                "spec.loadBalancerSourceRanges admits 0.0.0.0/0",
            ),
            (("spec", "loadBalancerSourceRanges"), ["::/0"], "spec.loadBalancerSourceRanges admits ::/0"),
            (
                ("spec", "loadBalancerSourceRanges"),
                None,
                NO_RANGES,
            ),
        ],
        [
            (("spec", "loadBalancerSourceRanges"), UNKNOWN_ARRAY_VALUE),
            (("spec", "loadBalancerSourceRanges", 0), UNKNOWN_STRING_VALUE),
            (("spec", "type"), UNKNOWN_STRING_VALUE),
            (ANNOTATIONS, UNKNOWN_OBJECT_VALUE),
            ((*ANNOTATIONS, "service.beta.kubernetes.io/aws-load-balancer-scheme"), UNKNOWN_STRING_VALUE),
            (("spec", "loadBalancerClass"), UNKNOWN_STRING_VALUE),
        ],
        id="service-source-ranges",
        label=SERVICE_LABEL,
        needs=SERVICE_NEEDS,
    ),
    # Internal by annotation: the variant first drops the source ranges, so the annotation alone decides.
    Case(
        LB_RULE,
        SERVICE,
        changed(
            changed(RESTRICTED, ("spec", "loadBalancerSourceRanges"), DELETE),
            ANNOTATIONS,
            {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
        ),
        [
            ((*ANNOTATIONS, "service.beta.kubernetes.io/aws-load-balancer-scheme"), "internet-facing", NO_RANGES),
            ((*ANNOTATIONS, "service.beta.kubernetes.io/aws-load-balancer-scheme"), DELETE, NO_RANGES),
            ((*ANNOTATIONS, "service.beta.kubernetes.io/aws-load-balancer-scheme"), True, NO_RANGES),
        ],
        [((*ANNOTATIONS, "service.beta.kubernetes.io/aws-load-balancer-scheme"), UNKNOWN_STRING_VALUE)],
        id="service-internal-annotation",
        label=SERVICE_LABEL,
        needs=SERVICE_NEEDS,
    ),
    Case(
        TLS_RULE,
        INGRESS,
        ingress(),
        [
            (("spec", "tls"), DELETE, "has no spec.tls"),
            (("spec", "tls"), [], "has no spec.tls"),
            (("spec",), {"defaultBackend": {"service": {"name": "inference", "port": {"number": 80}}}}, "no spec.tls"),
        ],
        [(("spec", "tls"), UNKNOWN_ARRAY_VALUE), (("spec",), UNKNOWN_OBJECT_VALUE)],
        label=INGRESS_LABEL,
        needs=[NAMESPACE_NEED],
    ),
    *[
        Case(
            TLS_RULE,
            f"kubernetes:{api}:Ingress",
            ingress(api),
            [(("spec", "tls"), DELETE, "has no spec.tls")],
            [(("spec", "tls"), UNKNOWN_ARRAY_VALUE)],
            label=INGRESS_LABEL,
            needs=[NAMESPACE_NEED],
        )
        for api in ("networking.k8s.io/v1beta1", "extensions/v1beta1")
    ],
]


def test_every_rule_and_type_it_judges_has_a_case():
    rules = {n for n, r in RULES.items() if r.check.__module__ == exposure.__name__}
    assert rules == {LB_RULE, TLS_RULE}
    assert {(c.rule, c.type) for c in CASES} == {(n, t) for n in rules for t in RULES[n].resource_types}


# ---- what makes a LoadBalancer internal, and what is not judged -------------------------------------------------

OPEN = service()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"),
        ("service.beta.kubernetes.io/aws-load-balancer-internal", "true"),
        ("networking.gke.io/load-balancer-type", "Internal"),
    ],
)
def test_documented_internal_annotations_make_an_open_service_internal(key: str, value: str) -> None:
    assert violations(LB_RULE, SERVICE, changed(OPEN, (*ANNOTATIONS, key), value)) == []
    assert len(violations(LB_RULE, SERVICE, changed(OPEN, (*ANNOTATIONS, key), "false"))) == 1


def test_gke_internal_load_balancer_class_is_internal() -> None:
    internal = changed(OPEN, ("spec", "loadBalancerClass"), "networking.gke.io/l4-regional-internal")
    assert violations(LB_RULE, SERVICE, internal) == []


def test_source_ranges_annotation_counts_and_is_read_as_a_list() -> None:
    key = (*ANNOTATIONS, exposure.SOURCE_RANGES_ANNOTATION)
    assert violations(LB_RULE, SERVICE, changed(OPEN, key, "10.0.0.0/8, 192.168.0.0/16")) == []
    assert violations(LB_RULE, SERVICE, changed(OPEN, key, "10.0.0.0/8,0.0.0.0/0")) == [
        f"{SERVICE_LABEL} annotation {exposure.SOURCE_RANGES_ANNOTATION} admits 0.0.0.0/0: the load balancer is "
        "open to the internet"
    ]


@pytest.mark.parametrize("service_type", ["ClusterIP", "NodePort", None])
def test_services_that_are_no_load_balancer_are_not_judged(service_type: str | None) -> None:
    assert violations(LB_RULE, SERVICE, changed(OPEN, ("spec", "type"), service_type)) == []


@pytest.mark.parametrize(("rule_name", "type_", "props"), [(LB_RULE, SERVICE, OPEN), (TLS_RULE, INGRESS, ingress())])
def test_exempt_system_namespaces_are_not_judged(rule_name: str, type_: str, props: dict[str, Any]) -> None:
    broken = changed(props, ("spec", "tls"), DELETE) if type_ == INGRESS else props
    in_system = changed(broken, ("metadata", "namespace"), "kube-system")
    assert violations(rule_name, type_, in_system) == []
    assert len(violations(rule_name, type_, broken)) == 1


def test_a_range_unknown_at_preview_hides_no_open_one() -> None:
    for ranges in ([UNKNOWN_STRING_VALUE, "0.0.0.0/0"], ["0.0.0.0/0", UNKNOWN_STRING_VALUE]):
        found = judge(RULES[LB_RULE], resource(SERVICE, service(loadBalancerSourceRanges=ranges)))
        assert found.verdict == "fail", found
        assert found.messages == (
            f"{SERVICE_LABEL} spec.loadBalancerSourceRanges admits 0.0.0.0/0: the load balancer is open to the "
            "internet",
        )
    # An unknown range is a range: the Service is not "without ranges", nor judged to pass.
    unknown = judge(RULES[LB_RULE], resource(SERVICE, service(loadBalancerSourceRanges=[UNKNOWN_STRING_VALUE])))
    assert unknown.verdict == "not-judged"


def test_ranges_unknown_at_preview_hide_no_open_annotation_range() -> None:
    props = changed(
        service(loadBalancerSourceRanges=UNKNOWN_ARRAY_VALUE),
        (*ANNOTATIONS, exposure.SOURCE_RANGES_ANNOTATION),
        "0.0.0.0/0",
    )
    assert violations(LB_RULE, SERVICE, props) == [
        f"{SERVICE_LABEL} annotation {exposure.SOURCE_RANGES_ANNOTATION} admits 0.0.0.0/0: the load balancer is "
        "open to the internet"
    ]


def test_open_service_message_in_full() -> None:
    assert violations(LB_RULE, SERVICE, OPEN) == [
        f"{SERVICE_LABEL} {NO_RANGES}: it is open to the internet",
    ]


# ---- a third-party stack: raw manifests, as a team writes them ---------------------------------------------------


def _team_stack(tmp_path: FilePath, *, public: bool) -> FilePath:
    chat = service() if public else service(loadBalancerSourceRanges=["198.51.100.0/24"])
    chat["metadata"] = {"name": "chat-api", "namespace": "chat"}
    web = ingress()
    web["metadata"] = {"name": "chat-web", "namespace": "chat"}
    if public:
        del web["spec"]["tls"]
    metrics = service()  # an open LoadBalancer, but in kube-system: exempt
    metrics["metadata"] = {"name": "metrics", "namespace": "kube-system"}
    internal = service()
    internal["metadata"] = {
        "name": "admin",
        "namespace": "chat",
        "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
    }
    return export(
        tmp_path / f"k8s-{'public' if public else 'private'}.json",
        Raw(SERVICE, "chat-api", chat),
        Raw(INGRESS, "chat-web", web),
        Raw(SERVICE, "metrics", metrics),
        Raw(SERVICE, "admin", internal),
    )


def test_third_party_stack_open_service_and_plain_ingress_are_reported_on_them(tmp_path: FilePath) -> None:
    path = _team_stack(tmp_path, public=True)
    assert judged(LB_RULE, path) == [("chat-api", f"Service chat/chat-api {NO_RANGES}: it is open to the internet")]
    assert judged(TLS_RULE, path) == [
        ("chat-web", "Ingress chat/chat-web has no spec.tls: it serves its hosts over plain HTTP")
    ]


def test_third_party_stack_compliant_twin_passes(tmp_path: FilePath) -> None:
    path = _team_stack(tmp_path, public=False)
    assert judged(LB_RULE, path) == [] and judged(TLS_RULE, path) == []
