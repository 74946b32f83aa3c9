"""ClusterBaseline: what every cluster the toolkit manages gets, whatever runs it (EKS, GKE, on-prem, K3s).

- GPU software as the platform's node image needs it (components/k8s/gpu_software.py);
- one namespace per team: Pod Security "restricted", quotas on accelerators and compute, container defaults, and
  default-deny networking in both directions with explicit allows;
- the platform roles bound to the configured groups (components/k8s/rbac.py);
- PriorityClasses so that serving outranks training.

The Kubernetes provider comes in through `opts` and every child inherits it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.k8s import gpu_software
from llmops_infra.components.k8s.gpu_software import GpuSoftwarePlan, NodeImage, Platform
from llmops_infra.components.k8s.labels import record_labels
from llmops_infra.components.k8s.quotas import (
    ACCELERATOR_QUOTA_KEYS,
    compute_quota,
    container_defaults as namespace_container_defaults,
    namespace_quota,
)
from llmops_infra.components.k8s.rbac import create_rbac
from llmops_infra.components.spec import KubernetesSpec, TeamSpec
from llmops_infra.components.tagging import Tagging

__all__ = ["ClusterBaseline", "Platform"]

# Namespaces a team may not take: Kubernetes' own and the GPU software's (privileged add-ons live there).
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", "gpu-operator"})

# Pod Security Admission (Kubernetes "Pod Security Admission"): pod-security.kubernetes.io/<mode> with modes enforce,
# audit and warn, and <mode>-version pinning the standard's version ("latest" follows the cluster's).
PSA_MODES = ("enforce", "audit", "warn")

# Cluster DNS: the kube-dns Service's pods carry k8s-app=kube-dns in kube-system on EKS, GKE and K3s alike
# (Kubernetes "Debugging DNS Resolution": `kubectl get pods --namespace=kube-system -l k8s-app=kube-dns`).
DNS_NAMESPACE = "kube-system"
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace

# Where pods get cloud credentials without keys, per platform (only there is port 80 on a link-local address opened):
# - eks: the EKS Pod Identity Agent "uses the loopback (localhost) IP address 169.254.170.23 for IPv4" (EKS user
#   guide, "Set up the Amazon EKS Pod Identity Agent"); IRSA goes to STS over HTTPS, covered below.
# - gke: the GKE metadata server for Workload Identity: 169.254.169.254:80 with Dataplane V2, 169.254.169.252:988
#   with Calico network policy (as public GKE deployments allow it; see the report's open points).
IDENTITY_ENDPOINTS: dict[Platform, tuple[tuple[str, int], ...]] = {
    "eks": (("169.254.170.23/32", 80),),
    "gke": (("169.254.169.254/32", 80), ("169.254.169.252/32", 988)),
    "onprem": (),
    "k3s": (),
}
# Egress beyond the namespace: HTTPS only, to any address. Model hubs and object storage are on the internet or
# behind VPC endpoints with private addresses, cloud APIs and the Kubernetes API are HTTPS too, so an "internet
# except private ranges" rule would break private endpoints; pods of other namespaces stay closed by their own
# default-deny ingress, and plain-text protocols, SSH and databases outside the cluster stay closed.
HTTPS_PORT = 443
ANY_IPV4 = "0.0.0.0/0"

# PriorityClasses (Kubernetes "Pod Priority and Preemption": user classes take any value up to 1,000,000,000; larger
# ones are reserved for system-cluster-critical (2,000,000,000) and system-node-critical). Inference above training,
# both above pods without a class (0), both far below the system classes so cluster add-ons always win.
# Inference may preempt lower-priority pods (a serving replica must not wait behind a training job); training
# never preempts: batch work waits for capacity instead of evicting anyone's pods.
PRIORITY_CLASSES = {
    "inference": ("llmops-inference", 1_000_000, "PreemptLowerPriority"),
    "training": ("llmops-training", 100_000, "Never"),
}


def _check_teams(teams: Sequence[TeamSpec]) -> None:
    names = [team.name for team in teams]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"teams: {', '.join(duplicates)} named more than once; each team gets one namespace")
    reserved = sorted(set(names) & RESERVED_NAMESPACES)
    if reserved:
        raise ValueError(f"teams: {', '.join(reserved)} is a system namespace; name the team something else")


def psa_labels(level: str) -> dict[str, str]:
    """Namespace labels that enforce, audit and warn Pod Security `level` at the cluster's latest version."""
    return {
        **{f"pod-security.kubernetes.io/{mode}": level for mode in PSA_MODES},
        **{f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in PSA_MODES},
    }


def quota(team: TeamSpec) -> dict[str, str]:
    """The team's ResourceQuota `hard`: accelerators (0 forbids them), and compute requests and limits.

    Limits equal requests in total: a team can burst within its grant but never past it (memory cannot be
    reclaimed once given, so a limit above the grant would let one team push another's pods out of memory).
    """
    return compute_quota(
        {field: getattr(team, field) for field in ACCELERATOR_QUOTA_KEYS},
        requests_cpu=team.cpu,
        requests_memory_gib=team.memory_gib,
        limits_cpu=team.cpu,
        limits_memory_gib=team.memory_gib,
    )


def container_defaults(team: TeamSpec) -> dict[str, dict[str, str]]:
    """The team's LimitRange defaults: 250m CPU and 512Mi requested, 1 CPU and up to 2Gi limit per container."""
    return namespace_container_defaults(team.memory_gib)


def _namespace_peer(namespace: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: namespace})
    )


def network_policies(
    prefix: str, team: TeamSpec, namespace: pulumi.Input[str], platform: Platform, opts: pulumi.ResourceOptions
) -> list[k8s.networking.v1.NetworkPolicy]:
    """Deny everything in both directions, then allow: the namespace itself, the listed namespaces in, DNS and HTTPS
    out, and the platform's workload identity endpoint."""
    net = k8s.networking.v1
    all_pods = k8s.meta.v1.LabelSelectorArgs()

    def policy(name: str, spec: k8s.networking.v1.NetworkPolicySpecArgs) -> k8s.networking.v1.NetworkPolicy:
        return net.NetworkPolicy(
            f"{prefix}-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
            spec=spec,
            opts=opts,
        )

    policies = [
        # The rule the packs check (k8s-namespace-default-deny): podSelector {}, policyTypes [Ingress], no rules.
        policy("default-deny-ingress", net.NetworkPolicySpecArgs(pod_selector=all_pods, policy_types=["Ingress"])),
        policy("default-deny-egress", net.NetworkPolicySpecArgs(pod_selector=all_pods, policy_types=["Egress"])),
        policy(
            "allow-same-namespace",
            net.NetworkPolicySpecArgs(
                pod_selector=all_pods,
                policy_types=["Ingress", "Egress"],
                ingress=[net.NetworkPolicyIngressRuleArgs(from_=[net.NetworkPolicyPeerArgs(pod_selector=all_pods)])],
                egress=[net.NetworkPolicyEgressRuleArgs(to=[net.NetworkPolicyPeerArgs(pod_selector=all_pods)])],
            ),
        ),
        policy(
            "allow-dns",
            net.NetworkPolicySpecArgs(
                pod_selector=all_pods,
                policy_types=["Egress"],
                egress=[
                    net.NetworkPolicyEgressRuleArgs(
                        # Both selectors in one peer: the DNS pods of kube-system, not every pod there.
                        to=[
                            net.NetworkPolicyPeerArgs(
                                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={NAMESPACE_NAME_LABEL: DNS_NAMESPACE}
                                ),
                                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=DNS_POD_LABELS),
                            )
                        ],
                        ports=[
                            net.NetworkPolicyPortArgs(protocol="UDP", port=53),
                            net.NetworkPolicyPortArgs(protocol="TCP", port=53),
                        ],
                    )
                ],
            ),
        ),
        policy(
            "allow-https-egress",
            net.NetworkPolicySpecArgs(
                pod_selector=all_pods,
                policy_types=["Egress"],
                egress=[
                    net.NetworkPolicyEgressRuleArgs(
                        to=[net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=ANY_IPV4))],
                        ports=[net.NetworkPolicyPortArgs(protocol="TCP", port=HTTPS_PORT)],
                    )
                ],
            ),
        ),
    ]
    if team.allow_from_namespaces:
        policies.append(
            policy(
                "allow-from-namespaces",
                net.NetworkPolicySpecArgs(
                    pod_selector=all_pods,
                    policy_types=["Ingress"],
                    ingress=[
                        net.NetworkPolicyIngressRuleArgs(
                            from_=[_namespace_peer(source) for source in team.allow_from_namespaces]
                        )
                    ],
                ),
            )
        )
    endpoints = IDENTITY_ENDPOINTS[platform]
    if endpoints:
        policies.append(
            policy(
                "allow-workload-identity",
                net.NetworkPolicySpecArgs(
                    pod_selector=all_pods,
                    policy_types=["Egress"],
                    egress=[
                        net.NetworkPolicyEgressRuleArgs(
                            to=[net.NetworkPolicyPeerArgs(ip_block=net.IPBlockArgs(cidr=cidr))],
                            ports=[net.NetworkPolicyPortArgs(protocol="TCP", port=port)],
                        )
                        for cidr, port in endpoints
                    ],
                ),
            )
        )
    return policies


class ClusterBaseline(pulumi.ComponentResource):
    """What every cluster the toolkit manages gets: GPU software, team namespaces, RBAC and PriorityClasses.

    Works on EKS, GKE, on-prem and K3s alike: the Kubernetes provider comes in through `opts` and every child
    inherits it. The GPU software is what the platform's node image lacks (GPU Operator, device plugin alone, or
    nothing). Each team gets a namespace with quotas, container defaults and default-deny networking; the platform
    roles are bound to the configured groups; PriorityClasses `llmops-inference` (1,000,000, may preempt) and
    `llmops-training` (100,000, never preempts) make serving outrank training.

    Args:
        name: Component name, the prefix of every child.
        spec: KubernetesSpec: GPU software (None: the platform's default), teams, RBAC groups. Team names that
            repeat or take a system namespace (default, kube-*, gpu-operator) raise ValueError.
        platform: `eks`, `gke`, `onprem` or `k3s`: decides the default GPU software and which workload identity
            endpoint team pods may reach; anything else raises ValueError.
        tagging: Tagging: the records labels (owner, purpose, data-classification) on the objects it creates.
        gpu_images: The images the cluster's NVIDIA GPU nodes run, where they differ from the platform's own
            (gpu_software.eks_node_image per EKS node group, own_os_image for hybrid or on-prem machines); empty
            (default): the platform's image. Some node without the driver or toolkit makes the operator install
            it (nodes that have it are labelled to skip it); every node running its own device plugin
            (Bottlerocket NVIDIA) makes the default nothing at all.
        opts: Resource options; its provider is the cluster's Kubernetes API.

    Outputs:
        team_namespaces: Team name -> namespace name (registered output `teamNamespaces`).
        gpu_namespace: Namespace of the GPU software: gpu-operator, kube-system, or None when nothing is
            installed (`gpuNamespace`).
        priority_classes: Role (inference, training) -> PriorityClass name (`priorityClasses`).
        runtime_class: The RuntimeClass GPU pods must name (`nvidia` on K3s with the device plugin), or None
            (`runtimeClass`).
        gpu_software: The GpuSoftwarePlan installed: mode, driver, toolkit, MIG, time-slicing, DCGM exporter.

    Security:
        - Pod security: team namespaces enforce, audit and warn Pod Security "restricted"; only gpu-operator (with
          the operator) is privileged, for the GPU daemons.
        - Network isolation: each team namespace denies all ingress and egress, then allows its own namespace,
          DNS to kube-dns, HTTPS (443) out, ingress from `allow_from_namespaces`, and the platform's workload
          identity endpoint (EKS Pod Identity agent, GKE metadata server); gpu-operator denies all ingress but
          to the DCGM exporter's metrics port.
        - Quotas: accelerators (0 forbids them), CPU and memory with limits equal to requests in total.
        - RBAC: cluster-admin only for `spec.rbac.platform_admins`; ml-engineer and data-scientist in the team
          namespaces, auditor read-only cluster-wide; explicit verbs and resources, never `*`, never escalate,
          bind or impersonate, no secrets, no pods/exec.
        - Records of processing: namespaces, quotas, limit ranges, PriorityClasses and RBAC objects carry the
          `tagging` labels; Helm chart versions are pinned.
    """

    team_namespaces: dict[str, str]
    gpu_namespace: str | None
    priority_classes: dict[str, str]
    runtime_class: str | None
    gpu_software: GpuSoftwarePlan

    def __init__(
        self,
        name: str,
        spec: KubernetesSpec,
        *,
        platform: Platform,
        tagging: Tagging,
        gpu_images: Sequence[NodeImage] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if platform not in gpu_software.NODE_IMAGES:
            raise ValueError(f"platform {platform!r} is not one of {', '.join(gpu_software.NODE_IMAGES)}")
        _check_teams(spec.teams)
        super().__init__("llmops:k8s:ClusterBaseline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        plan = gpu_software.resolve(platform, spec.gpu_software, gpu_images)
        self.gpu_software = plan
        self.gpu_namespace, _ = gpu_software.install(name, plan, tagging, self)
        # The RuntimeClass GPU pods must name on this platform (K3s), or None where the NVIDIA runtime is the default.
        self.runtime_class = plan.runtime_class

        self.priority_classes = {}
        for role, (class_name, value, preemption) in PRIORITY_CLASSES.items():
            k8s.scheduling.v1.PriorityClass(
                f"{name}-{class_name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=class_name, labels=record_labels(tagging, f"priority-{role}", "internal")
                ),
                value=value,
                global_default=False,
                preemption_policy=preemption,
                description=f"llmops {role} workloads",
                opts=child,
            )
            self.priority_classes[role] = class_name

        self.team_namespaces = {}
        namespace_outputs: dict[str, pulumi.Input[str]] = {}
        for team in spec.teams:
            namespace = self._team(name, team, platform, tagging, child)
            self.team_namespaces[team.name] = team.name
            namespace_outputs[team.name] = namespace.metadata.name

        create_rbac(name, spec.rbac, namespace_outputs, tagging, self)

        self.register_outputs(
            {
                "teamNamespaces": self.team_namespaces,
                "gpuNamespace": self.gpu_namespace,
                "priorityClasses": self.priority_classes,
                "runtimeClass": self.runtime_class,
            }
        )

    def _team(
        self, name: str, team: TeamSpec, platform: Platform, tagging: Tagging, child: pulumi.ResourceOptions
    ) -> k8s.core.v1.Namespace:
        prefix = f"{name}-{team.name}"
        namespace = k8s.core.v1.Namespace(
            f"{prefix}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=team.name,
                labels={
                    **record_labels(tagging, f"team-{team.name}", team.classification),
                    **psa_labels("restricted"),
                },
            ),
            opts=child,
        )
        # Everything else names the namespace through its output, so it waits for the namespace to exist.
        ns_name = namespace.metadata.name
        labels = record_labels(tagging, f"team-{team.name}", team.classification)
        namespace_quota(
            prefix,
            namespace=ns_name,
            labels=labels,
            quota_name="team-quota",
            hard=quota(team),
            defaults=container_defaults(team),
            opts=child,
        )
        network_policies(prefix, team, ns_name, platform, child)
        return namespace
