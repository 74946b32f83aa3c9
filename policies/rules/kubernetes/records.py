"""Kubernetes records of processing: namespaces and the objects that keep state say whose, what for, what data.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec, camelCase
as in the API), read through runtime/kubernetes.py: a field of an unexpected type is treated as absent (or as
non-compliant where absence is itself a violation), never as a reason to raise.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_infra.policies.runtime.kubernetes import NAMESPACE, describe, object_name, object_namespace
from llmops_infra.policies.runtime.props import mapping, nested
from llmops_infra.policies.runtime.resources import record_problems
from llmops_infra.policies.runtime.rule import NotApplicable, Resource, Settings, rule

# Where Kubernetes holds data or draws a tenancy line: the namespace, and the claims and sets that keep state.
LABELS = "metadata.labels"  # where the records live, as messages name them
RECORD_TYPES = (
    NAMESPACE,
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:apps/v1:StatefulSet",
)


@rule(
    "k8s-records-of-processing",
    control="records-of-processing",
    severity="low",
    types=RECORD_TYPES,
    remediation="Label the object (metadata.labels) with owner, purpose and data-classification "
    "(phi, personal, internal or public).",
    parameters=("exemptNamespaces",),
    frameworks=("hipaa", "gdpr"),
)
def k8s_records_of_processing(resource: Resource, settings: Settings) -> Iterator[str]:
    """Namespaces, persistent volume claims and stateful sets say whose they are, what for and what data they hold."""
    namespace = object_name(resource) if resource.type == NAMESPACE else object_namespace(resource)
    if namespace in settings.exempt_namespaces:  # system namespaces hold cluster machinery, not processing records
        raise NotApplicable(f"in exempt namespace {namespace} (exemptNamespaces)")
    yield from record_problems(describe(resource), mapping(nested(resource.props, "metadata", "labels")), LABELS)
