"""Kubernetes exposure: LoadBalancer Services reachable only from known ranges or inside the network, and Ingresses
that terminate TLS.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec, camelCase
as in the API), read through runtime/kubernetes.py: a field of an unexpected type is treated as absent (or as
non-compliant where absence is itself a violation), never as a reason to raise. Objects in the exempt system
namespaces (`exemptNamespaces`) are not judged, as for the pod security rules. Each source range is read on its
own: one unknown at preview hides no open range another shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.kubernetes import describe, elements, object_namespace, stop_if
from llmops_infra.policies.runtime.props import is_open_cidr, items, mapping, nested, strings
from llmops_infra.policies.runtime.rule import NotApplicable, Resource, Settings, rule

SERVICE_TYPES = ("kubernetes:core/v1:Service",)
INGRESS_TYPES = (
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:networking.k8s.io/v1beta1:Ingress",
    "kubernetes:extensions/v1beta1:Ingress",
)

# Annotations (and their value, compared without case) that make a cloud create an internal load balancer.
# - AWS: service.beta.kubernetes.io/aws-load-balancer-scheme "internal", and the older boolean
#   service.beta.kubernetes.io/aws-load-balancer-internal "true" (AWS Load Balancer Controller, "Service
#   annotations", https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/).
#   That controller defaults the scheme to internal, the in-tree cloud provider to internet-facing: which one
#   serves a Service is not in its manifest, so only an explicit annotation counts.
# - GKE: networking.gke.io/load-balancer-type "Internal" (GKE, "LoadBalancer Service parameters",
#   https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters).
INTERNAL_ANNOTATIONS: dict[str, str] = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "networking.gke.io/load-balancer-type": "internal",
}
# spec.loadBalancerClass values that are internal load balancers (GKE, same page: the internal passthrough
# Network Load Balancer's class).
INTERNAL_CLASSES = ("networking.gke.io/l4-regional-internal",)
# The annotation form of spec.loadBalancerSourceRanges (a comma-separated list; AWS Load Balancer Controller,
# same page: service.beta.kubernetes.io/load-balancer-source-ranges, stringList).
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


def _is_internal(service: Resource) -> bool:
    annotations = mapping(nested(service.props, "metadata", "annotations"))
    for key, wanted in INTERNAL_ANNOTATIONS.items():
        value = annotations.get(key)
        if isinstance(value, str) and value.strip().lower() == wanted:
            return True
    return nested(service.props, "spec", "loadBalancerClass") in INTERNAL_CLASSES


@rule(
    "k8s-load-balancer-service-restricted",
    control="no-public-access",
    severity="high",
    types=SERVICE_TYPES,
    remediation="Set spec.loadBalancerSourceRanges to the client CIDRs (not 0.0.0.0/0), or make the load balancer "
    "internal (service.beta.kubernetes.io/aws-load-balancer-scheme: internal on AWS, "
    'networking.gke.io/load-balancer-type: "Internal" on GKE).',
    parameters=("exemptNamespaces",),
    frameworks=("hipaa", "gdpr"),
)
def k8s_load_balancer_service_restricted(resource: Resource, settings: Settings) -> Iterator[str]:
    """LoadBalancer Services admit only listed source ranges, or get an internal load balancer."""
    if nested(resource.props, "spec", "type") != "LoadBalancer":
        raise NotApplicable("not a LoadBalancer Service")
    if (namespace := object_namespace(resource)) in settings.exempt_namespaces:
        raise NotApplicable(f"in exempt namespace {namespace} (exemptNamespaces)")
    if _is_internal(resource):
        return
    sources: tuple[tuple[str, Callable[[], Sequence[Any]]], ...] = (
        ("spec.loadBalancerSourceRanges", lambda: elements(nested(resource.props, "spec", "loadBalancerSourceRanges"))),
        (f"annotation {SOURCE_RANGES_ANNOTATION}", lambda: _annotation_ranges(resource)),
    )
    ranges: list[tuple[str, str]] = []  # (where, range) for each range known at preview
    listed = undecided = False  # whether some range is listed (known or not); whether one is unknown
    for where, read in sources:
        try:
            found = read()
        except UnknownValueError:
            undecided = True
            continue
        for index in range(len(found)):
            try:
                cidr = found[index]
            except UnknownValueError:
                listed = undecided = True
                continue
            if isinstance(cidr, str) and cidr:
                listed = True
                ranges.append((where, cidr))
    if not listed and not undecided:
        yield (
            f"{describe(resource)} is a LoadBalancer Service with no spec.loadBalancerSourceRanges and no internal "
            "load-balancer annotation: it is open to the internet"
        )
    for where, cidr in ranges:
        if is_open_cidr(cidr):
            yield f"{describe(resource)} {where} admits {cidr}: the load balancer is open to the internet"
    stop_if(undecided)


def _annotation_ranges(service: Resource) -> list[str]:
    """The ranges of the source-ranges annotation, a comma-separated list."""
    annotation = mapping(nested(service.props, "metadata", "annotations")).get(SOURCE_RANGES_ANNOTATION)
    return [r.strip() for r in ",".join(strings(annotation)).split(",")]


@rule(
    "k8s-ingress-tls",
    control="encryption-in-transit",
    severity="high",
    types=INGRESS_TYPES,
    remediation="Add spec.tls with the Ingress's hosts and the secretName of their certificate.",
    parameters=("exemptNamespaces",),
    frameworks=("hipaa", "gdpr"),
)
def k8s_ingress_tls(resource: Resource, settings: Settings) -> Iterator[str]:
    """Ingresses terminate TLS (spec.tls)."""
    if (namespace := object_namespace(resource)) in settings.exempt_namespaces:
        raise NotApplicable(f"in exempt namespace {namespace} (exemptNamespaces)")
    if not items(nested(resource.props, "spec", "tls")):
        yield f"{describe(resource)} has no spec.tls: it serves its hosts over plain HTTP"
