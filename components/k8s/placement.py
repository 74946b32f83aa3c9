"""Data placement: pods of a namespace classified phi or personal run only on the node pools allowed that class.

Nodes of a pool that the config allows a class carry the label `llmops.dev/allow-<class>: "true"` (bare-metal
pools through their NodePatch, EKS node groups through their labels). This admission policy makes the other half
hold: in a namespace labelled `data-classification: <class>`, a pod (or the pod template of a workload) is admitted
only if it *requires* that label, by nodeSelector or by required node affinity. Scheduling then cannot place it
anywhere else, and a pool without the label (a cloud burst pool not allowed PHI) never receives it.

The CEL, evaluated with `object` (the pod or workload), `namespaceObject` (its namespace) and `variables`:
  key              = 'llmops.dev/allow-' + namespaceObject.metadata.labels['data-classification']
  pinnedBySelector = podSpec.nodeSelector has key and its value is 'true'
  pinnedByAffinity = requiredDuringSchedulingIgnoredDuringExecution exists, has at least one term, and EVERY term
                     (terms are ORed by the scheduler) has a matchExpression key In ['true', ...only 'true']
  allowed          = pinnedBySelector || pinnedByAffinity
nodeSelector and node affinity are ANDed by the scheduler, so either one pinning the label is enough.
Preferred affinity, tolerations or matchFields do not count: none of them keeps a pod off other nodes.

Three policies, one per place the pod spec lives (Pod: spec; Deployment/StatefulSet/DaemonSet/ReplicaSet/Job:
spec.template.spec; CronJob: spec.jobTemplate.spec.template.spec), so every expression type-checks against the
kinds it matches. Templates are checked so a misplaced Deployment is refused when applied, not left with pods that
never start. Each binding selects namespaces whose data-classification is one of the classes and denies
(validationActions [Deny]); failurePolicy Fail, so an expression error refuses rather than admits.
Object shapes: kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/ (v1, GA in 1.30).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.spec import Classification
from llmops_infra.components.tagging import ALLOW_LABEL_PREFIX, CLASSIFICATION

CLASSES: tuple[Classification, ...] = ("phi", "personal", "internal", "public")
OPERATIONS = ["CREATE", "UPDATE"]
admission = k8s.admissionregistration.v1
meta = k8s.meta.v1


@dataclass(frozen=True)
class Target:
    """Where the pod spec lives in the objects one policy matches."""

    suffix: str
    rules: tuple[tuple[str, str, tuple[str, ...]], ...]  # (apiGroup, apiVersion, resources)
    pod_spec: str


TARGETS = (
    Target("pods", (("", "v1", ("pods",)),), "object.spec"),
    Target(
        "workloads",
        (
            ("apps", "v1", ("deployments", "statefulsets", "daemonsets", "replicasets")),
            ("batch", "v1", ("jobs",)),
        ),
        "object.spec.template.spec",
    ),
    Target("cronjobs", (("batch", "v1", ("cronjobs",)),), "object.spec.jobTemplate.spec.template.spec"),
)

_REQUIRED = "variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
VARIABLES: tuple[tuple[str, str], ...] = (
    ("key", f"'{ALLOW_LABEL_PREFIX}' + namespaceObject.metadata.labels['{CLASSIFICATION}']"),
    (
        "pinnedBySelector",
        "has(variables.podSpec.nodeSelector) && variables.key in variables.podSpec.nodeSelector"
        " && variables.podSpec.nodeSelector[variables.key] == 'true'",
    ),
    (
        "pinnedByAffinity",
        "has(variables.podSpec.affinity) && has(variables.podSpec.affinity.nodeAffinity)"
        f" && has({_REQUIRED}) && size({_REQUIRED}.nodeSelectorTerms) > 0"
        f" && {_REQUIRED}.nodeSelectorTerms.all(t, has(t.matchExpressions) && t.matchExpressions.exists(e,"
        " e.key == variables.key && e.operator == 'In' && size(e.values) > 0 && e.values.all(v, v == 'true')))",
    ),
)
VALIDATION = "variables.pinnedBySelector || variables.pinnedByAffinity"
MESSAGE = (
    f"'namespace ' + namespaceObject.metadata.name + ' holds '"
    f" + namespaceObject.metadata.labels['{CLASSIFICATION}'] + ' data: pods must require the node label '"
    " + variables.key + '=true (nodeSelector or required node affinity) so they run only on pools allowed it'"
)


class DataPlacementPolicy(pulumi.ComponentResource):
    """ValidatingAdmissionPolicies and bindings that keep classified workloads on the pools allowed their class.

    In a namespace labelled `data-classification: <class>` (one of `classes`), a pod, a workload's pod template
    or a CronJob's is admitted only if it requires the node label `llmops.dev/allow-<class>: "true"` by
    nodeSelector or by required node affinity (every term). Pools carry that label for the classes the config
    allows them (BareMetalGpuPool, GpuNodePool), so scheduling cannot place such a pod anywhere else. Three
    policies, one per place the pod spec lives (pods, workloads, cronjobs), each with its binding.

    Args:
        name: Component name; the policies and bindings are `<name>-pods`, `<name>-workloads`, `<name>-cronjobs`.
        classes: The data classes whose namespaces are bound (default phi and personal); a non-empty selection of
            phi, personal, internal and public, else ValueError.
        labels: Labels of the policies and bindings (the records labels).
        opts: Resource options; its provider is the cluster's Kubernetes API (admissionregistration.k8s.io/v1,
            Kubernetes 1.30 or later).

    Outputs:
        policies: The `ValidatingAdmissionPolicy` objects (registered output `policy_names`).
        bindings: Their `ValidatingAdmissionPolicyBinding` objects.

    Security:
        - Data placement: CREATE and UPDATE of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
          CronJobs in the classified namespaces are denied (validationActions Deny) unless pinned to nodes allowed
          the namespace's class; preferred affinity and tolerations do not count.
        - Fail closed: failurePolicy Fail, so an expression error refuses rather than admits.
    """

    policies: list[admission.ValidatingAdmissionPolicy]
    bindings: list[admission.ValidatingAdmissionPolicyBinding]

    def __init__(
        self,
        name: str,
        classes: Sequence[str] = ("phi", "personal"),
        *,
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        unknown = [c for c in classes if c not in CLASSES]
        if not classes or unknown:
            raise ValueError(f"classes must be a non-empty selection of {', '.join(CLASSES)}; got {list(classes)}")
        super().__init__("llmops:k8s:DataPlacementPolicy", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.policies, self.bindings = [], []
        for target in TARGETS:
            policy_name = f"{name}-{target.suffix}"
            policy = admission.ValidatingAdmissionPolicy(
                policy_name,
                metadata=meta.ObjectMetaArgs(name=policy_name, labels=dict(labels)),
                spec=admission.ValidatingAdmissionPolicySpecArgs(
                    failure_policy="Fail",
                    match_constraints=admission.MatchResourcesArgs(
                        resource_rules=[
                            admission.NamedRuleWithOperationsArgs(
                                api_groups=[group],
                                api_versions=[version],
                                resources=list(resources),
                                operations=list(OPERATIONS),
                            )
                            for group, version, resources in target.rules
                        ]
                    ),
                    variables=[
                        admission.VariableArgs(name="podSpec", expression=target.pod_spec),
                        *(admission.VariableArgs(name=n, expression=e) for n, e in VARIABLES),
                    ],
                    validations=[
                        admission.ValidationArgs(expression=VALIDATION, message_expression=MESSAGE, reason="Forbidden")
                    ],
                ),
                opts=child,
            )
            binding = admission.ValidatingAdmissionPolicyBinding(
                policy_name,
                metadata=meta.ObjectMetaArgs(name=policy_name, labels=dict(labels)),
                spec=admission.ValidatingAdmissionPolicyBindingSpecArgs(
                    policy_name=policy.metadata.name,
                    validation_actions=["Deny"],
                    match_resources=admission.MatchResourcesArgs(
                        namespace_selector=meta.LabelSelectorArgs(
                            match_expressions=[
                                meta.LabelSelectorRequirementArgs(
                                    key=CLASSIFICATION, operator="In", values=list(classes)
                                )
                            ]
                        )
                    ),
                ),
                opts=child,
            )
            self.policies.append(policy)
            self.bindings.append(binding)
        self.register_outputs({"policy_names": [p.metadata.name for p in self.policies]})
