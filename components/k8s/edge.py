"""An edge inference site: one digest-pinned model server on the site's GPU nodes, reachable only by its clients.

Two kinds of site (EdgeSiteSpec.kind):
- k3s: a K3s cluster at the site. Its GPU nodes are labelled and tainted here, through the same NodePatch helper
  the bare-metal pools use (components/k8s/nodes.py). The NVIDIA device plugin comes from the cluster baseline
  (components/k8s/baseline.py, GPU software mode device-plugin), not from here. Pods name `runtimeClassName:
  nvidia`: K3s detects the NVIDIA container runtime, adds it to containerd, and "includes Kubernetes RuntimeClass
  definitions for all supported alternative runtimes"; unless the default runtime was changed, pods "must
  explicitly request the NVIDIA runtime by setting runtimeClassName: nvidia" (k3s-io/docs docs/advanced.md,
  "Alternative Container Runtime Support"). K3s defines that `nvidia` RuntimeClass itself, so nothing here
  creates one.
- local-zone: EKS nodes in an AWS Local Zone (components/aws/local_zone.py). The EKS accelerated AMIs make
  nvidia-container-runtime containerd's default runtime (awsdocs/amazon-eks-user-guide doc_source/gpu-ami.md:
  "The nvidia-container-runtime (as the default runtime)"), so pods name no RuntimeClass there.

Everything the site runs sits in namespace `edge-<site>`: Pod Security "restricted" enforced, a ResourceQuota
sized for the server and a LimitRange of container defaults (the team namespaces' helper, components/k8s/quotas.py),
a default-deny ingress NetworkPolicy and one allow for the server port from the declared clients only, the records
labels. The model is either a pre-provisioned PersistentVolumeClaim in that namespace (mounted read-only), or
fetched from the platform's bucket by an init container running as the site's workload identity (service account
annotations from the caller: IRSA role, GKE service account; none for EKS Pod Identity, which binds by service
account name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.config.edge import DEFAULT_SERVER_IMAGE, DEFAULT_SERVER_IMAGE_ARCH, check_site
from llmops_infra.components.config.refusal import refuse
from llmops_infra.components.k8s.gpu_software import NVIDIA_RUNTIME_CLASS
from llmops_infra.components.k8s.labels import record_labels
from llmops_infra.components.k8s.nodes import (
    GPU_RESOURCE,
    GPU_TAINT,
    node_patches,
    untyped,
)
from llmops_infra.components.k8s.quotas import (
    DEFAULT_LIMIT_CPU,
    DEFAULT_LIMIT_MEMORY_GIB,
    DEFAULT_REQUEST,
    compute_quota,
    container_defaults,
    namespace_quota,
)
from llmops_infra.components.spec import BareMetalPoolSpec, EdgeSiteSpec, InferenceServerSpec, PinnedImage
from llmops_infra.components.tagging import CLASSIFICATION, POOL_LABEL, SENSITIVE_CLASSES, Tagging, placement_labels

# The well-known node label of a node's CPU architecture (kubernetes.io/docs/reference/labels-annotations-taints,
# "kubernetes.io/arch").
ARCH_LABEL = "kubernetes.io/arch"

# The serving PriorityClass of the cluster baseline (components/k8s/baseline.py): serving is not preempted by
# training.
INFERENCE_PRIORITY_CLASS = "llmops-inference"
SERVER_NAME = "inference-server"
SERVICE_ACCOUNT = "inference"
# A non-root identity for every container (Pod Security "restricted" wants runAsNonRoot; a fixed UID also lets
# the kubelet verify it without reading the image, and fsGroup makes the volumes writable for it).
RUN_AS_USER = 65532
MODEL_DIR = "/models"
CACHE_DIR = "/cache"
TMP_DIR = "/tmp"
# Pod Security Admission labels (kubernetes.io/docs/concepts/security/pod-security-admission).
PSA_LABELS = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")} | {
    "pod-security.kubernetes.io/enforce-version": "latest"
}

# Probe timing. A model server answers its health path only after the weights are on the GPU, which for a large
# model takes minutes: the startup probe allows up to 30 minutes (180 x 10 s) before the liveness probe, which
# restarts a hung server after 3 missed checks, takes over. Readiness gates the Service endpoints.
STARTUP_PROBE = {"period_seconds": 10, "failure_threshold": 180, "timeout_seconds": 5}
READINESS_PROBE = {"period_seconds": 10, "failure_threshold": 3, "timeout_seconds": 5}
LIVENESS_PROBE = {"period_seconds": 20, "failure_threshold": 3, "timeout_seconds": 5}

# The model fetcher (init container) gets the namespace's container defaults (components/k8s/quotas.py): the CLIs
# stream the objects to the volume, they hold no model in memory. The config keeps the server at or above them
# (cpu and cpuLimit at least 1, memoryGib at least 1, memoryLimitGib at least 2), so the pod's effective request
# and limit, which the scheduler and the quota count ("the higher of: the sum of all app containers request/limit
# for a resource; the effective init request/limit for a resource", kubernetes.io/docs/concepts/workloads/pods/
# init-containers/#resources), are the server's.
FETCHER_RESOURCES = {
    "requests": dict(DEFAULT_REQUEST),
    "limits": {"cpu": DEFAULT_LIMIT_CPU, "memory": f"{DEFAULT_LIMIT_MEMORY_GIB}Gi"},
}
EDGE_QUOTA_NAME = "edge-quota"


def namespace_name(site: EdgeSiteSpec) -> str:
    """The namespace of a site's server: `edge-<site>`."""
    return f"edge-{site.name}"


def rollout_pods(replicas: int) -> int:
    """The most server pods a rolling update runs at once: the replicas plus the Deployment's default surge, 25% of
    them rounded up (RollingUpdateDeployment.maxSurge: "Absolute number is calculated from percentage by rounding
    up. Defaults to 25%", pulumi_kubernetes apps/v1 RollingUpdateDeploymentArgs)."""
    return replicas + -(-replicas * 25 // 100)


def site_quota(server: InferenceServerSpec) -> dict[str, str]:
    """The site namespace's ResourceQuota `hard`: what its server pods need during a rolling update, no more.

    GPUs, CPU and memory are the server's per replica times `rollout_pods(replicas)`; no TPU or Neuron device;
    `pods` caps the pod count at the same number, so nothing else runs in the namespace.
    """
    pods = rollout_pods(server.replicas)
    return {
        **compute_quota(
            {"gpus": server.gpus * pods},
            requests_cpu=server.cpu * pods,
            requests_memory_gib=server.memory_gib * pods,
            limits_cpu=server.cpu_limit * pods,
            limits_memory_gib=server.memory_limit_gib * pods,
        ),
        # Object count: "The total number of Pods in a non-terminal state that can exist in the namespace"
        # (Kubernetes "Resource Quotas").
        "pods": str(pods),
    }


def server_resources(server: InferenceServerSpec) -> dict[str, dict[str, str]]:
    """The server container's requests and limits: CPU and memory as configured, GPUs by their limit."""
    return {
        "requests": {"cpu": str(server.cpu), "memory": f"{server.memory_gib}Gi"},
        # Extended resources are requested by their limit (requests default to it and may not differ).
        "limits": {
            "cpu": str(server.cpu_limit),
            "memory": f"{server.memory_limit_gib}Gi",
            GPU_RESOURCE: str(server.gpus),
        },
    }


def restricted_container_context() -> dict[str, Any]:
    """Pod Security Standards "restricted" for one container, plus a read-only root file system."""
    return {
        "allow_privilege_escalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "read_only_root_filesystem": True,
        "run_as_non_root": True,
        "run_as_user": RUN_AS_USER,
        "run_as_group": RUN_AS_USER,
    }


def download_command(model_uri: str) -> list[str]:
    """Copy the model prefix into the model volume with the cloud's own CLI (the init container's image)."""
    if model_uri.startswith("s3://"):
        return ["aws", "s3", "sync", "--only-show-errors", model_uri, MODEL_DIR]
    return ["gcloud", "storage", "rsync", "--recursive", model_uri, MODEL_DIR]


class EdgeInferenceSite(pulumi.ComponentResource):
    """The model server of one edge site (a K3s cluster or an AWS Local Zone node group), locked down.

    Everything sits in namespace `edge-<site>`: a ResourceQuota sized for the server and a LimitRange of container
    defaults (as a team namespace), a service account, the server Deployment (digest-pinned image, CPU and memory
    requests and limits, GPU limit, startup, readiness and liveness probes on `health_path`, the llmops-inference
    PriorityClass), a ClusterIP Service, NetworkPolicies and, with more than one replica, a PodDisruptionBudget.
    The model is a pre-provisioned claim mounted read-only, or fetched by an init container with the site's
    workload identity.
    On a k3s site the GPU nodes are labelled and tainted here (as a BareMetalGpuPool) and pods name the `nvidia`
    RuntimeClass; the device plugin comes from the cluster's ClusterBaseline.

    Args:
        name: Component name, the prefix of every child.
        spec: EdgeSiteSpec: kind, nodes (k3s), accelerator, and the server. Both or neither of modelUri and
            modelClaim, modelUri without a downloader image, or a k3s site without nodes raise ValueError.
        tagging: Tagging: the records labels of every object; its classification is the site's, and a phi or
            personal site's nodes are labelled (k3s) and selected for it.
        service_account_annotations: Annotations of the server's service account for its workload identity (the
            IRSA role ARN, a GKE service account); None (default): none, as EKS Pod Identity binds by name.
        downloader_image: The digest-pinned image that fetches the model; None (default):
            `spec.server.downloader_image`.
        model_source: The model URI to fetch, when the caller resolved the bucket's physical name; None
            (default): `spec.server.model_uri`.
        opts: Resource options; its provider is the site's Kubernetes API.

    Outputs:
        namespace: The site's `Namespace`.
        quota: Its `ResourceQuota` `edge-quota`: the server's GPUs, CPU and memory (requests and limits) per
            replica times the pods of a rolling update (replicas plus 25%, rounded up), and that many pods.
        limit_range: Its `LimitRange` `container-defaults`: 250m CPU and 512Mi requested, 1 CPU and 2Gi limit for
            a container that states none.
        deployment: The server `Deployment`.
        service: Its `Service` (registered output `service`: `inference-server.edge-<site>.svc`).
        network_policies: The default deny and, with declared clients, the allow.
        node_patches: The NodePatch of each GPU node (k3s); empty on a local-zone site.

    Security:
        - Supply chain: the spec admits only digest-pinned images (server and downloader); a `downloader_image`
          argument is used as given.
        - Pod security: the namespace enforces Pod Security "restricted"; every container runs as UID 65532,
          non-root, no privilege escalation, all capabilities dropped, read-only root file system, RuntimeDefault
          seccomp; no service account token is mounted.
        - Quotas: the namespace admits the server's pods during a rolling update and nothing beyond; every
          container (server and model fetcher) states its CPU and memory requests and limits.
        - Network isolation: default-deny ingress; one allow, to the server port only, from `client_cidrs` and
          `client_namespaces`; none declared: nothing reaches the server. The Service is ClusterIP.
        - Data placement: pods select the site's pool and, for a phi or personal site, the allow label of its
          class.
        - Least privilege: the model is read with the site's own workload identity only; a model claim is mounted
          read-only.
        - Records of processing: namespace, service account, Deployment, Service, policies and budget carry the
          `tagging` labels.
    """

    namespace: k8s.core.v1.Namespace
    quota: k8s.core.v1.ResourceQuota
    limit_range: k8s.core.v1.LimitRange
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service
    network_policies: list[k8s.networking.v1.NetworkPolicy]
    node_patches: list[k8s.core.v1.NodePatch]

    def __init__(
        self,
        name: str,
        spec: EdgeSiteSpec,
        *,
        tagging: Tagging,
        service_account_annotations: Mapping[str, pulumi.Input[str]] | None = None,
        downloader_image: PinnedImage | None = None,
        model_source: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:k8s:EdgeInferenceSite", name, None, opts)
        server = spec.server
        downloader_image = downloader_image or server.downloader_image
        # The config's own site checks, so a site built in code is refused as a config would be.
        refuse(f"edge site {spec.name}", check_site(spec))
        if server.model_uri is not None and downloader_image is None:
            raise ValueError(
                f"edge site {spec.name}: server.modelUri needs server.downloaderImage (or downloader_image), a "
                "digest-pinned image with the aws (s3://) or gcloud (gs://) CLI that fetches the model"
            )
        child = pulumi.ResourceOptions(parent=self)
        k3s = spec.kind == "k3s"
        ns = namespace_name(spec)
        records = record_labels(tagging, f"edge-inference-{spec.name}")
        classification = records[CLASSIFICATION]
        app = {"app.kubernetes.io/name": SERVER_NAME, "app.kubernetes.io/instance": spec.name}
        # Workloads of a sensitive class run only on nodes labelled for it (the placement admission policy,
        # components/k8s/placement.py): the site's own nodes are labelled for the site's class, and the pods
        # select that label.
        allowed = (classification,) if classification in SENSITIVE_CLASSES else ()

        self.node_patches = []
        if k3s:
            pool = BareMetalPoolSpec(
                name=spec.name,
                role="inference",
                nodes=spec.nodes,
                accelerator=spec.accelerator,
                accelerators_per_node=spec.accelerators_per_node,
                allowed_classifications=allowed,  # type: ignore[arg-type]  # a Classification, checked above
            )
            self.node_patches = node_patches(name, pool, parent=self)

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-ns", metadata={"name": ns, "labels": {**records, **PSA_LABELS}}, opts=child
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        # As a team namespace (components/k8s/baseline.py): a quota sized for the server, container defaults.
        self.quota, self.limit_range = namespace_quota(
            name,
            namespace=ns,
            labels=records,
            quota_name=EDGE_QUOTA_NAME,
            hard=site_quota(server),
            defaults=container_defaults(server.memory_limit_gib * rollout_pods(server.replicas)),
            opts=in_ns,
        )

        account_metadata: dict[str, Any] = {"name": SERVICE_ACCOUNT, "namespace": ns, "labels": {**app, **records}}
        if service_account_annotations:
            account_metadata["annotations"] = dict(service_account_annotations)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=untyped(account_metadata),
            # Nothing in the pod talks to the Kubernetes API; the workload identity webhooks (IRSA, EKS Pod
            # Identity) project their own audience-bound token volume, independent of this one.
            automount_service_account_token=False,
            opts=in_ns,
        )

        volumes: list[dict[str, Any]] = [
            {"name": "tmp", "empty_dir": {}},
            {"name": "cache", "empty_dir": {}},
        ]
        init_containers: list[dict[str, Any]] = []
        if server.model_claim is not None:
            volumes.append(
                {"name": "models", "persistent_volume_claim": {"claim_name": server.model_claim, "read_only": True}}
            )
        else:
            assert server.model_uri is not None and downloader_image is not None  # checked above
            volumes.append({"name": "models", "empty_dir": {}})
            init_containers.append(
                {
                    "name": "fetch-model",
                    "image": downloader_image,
                    # model_source: the URI with the bucket's physical name, when the caller resolved it.
                    "command": pulumi.Output.from_input(model_source or server.model_uri).apply(download_command),
                    # The CLIs write their config and credential caches under HOME; the root FS is read-only.
                    "env": [{"name": "HOME", "value": TMP_DIR}],
                    "resources": FETCHER_RESOURCES,
                    "security_context": restricted_container_context(),
                    "volume_mounts": [
                        {"name": "models", "mount_path": MODEL_DIR},
                        {"name": "tmp", "mount_path": TMP_DIR},
                    ],
                }
            )

        def probe(timing: Mapping[str, int]) -> dict[str, Any]:
            return {"http_get": {"path": server.health_path, "port": "http"}, **timing}

        container = {
            "name": "server",
            "image": server.image,  # verbatim: a digest pins the exact bytes that were reviewed
            "args": list(server.args),
            "ports": [{"name": "http", "container_port": server.port, "protocol": "TCP"}],
            "env": [
                {"name": "HOME", "value": TMP_DIR},
                {"name": "XDG_CACHE_HOME", "value": CACHE_DIR},
            ],
            "resources": server_resources(server),
            "startup_probe": probe(STARTUP_PROBE),
            "readiness_probe": probe(READINESS_PROBE),
            "liveness_probe": probe(LIVENESS_PROBE),
            "security_context": restricted_container_context(),
            "volume_mounts": [
                {"name": "models", "mount_path": MODEL_DIR, "read_only": True},
                {"name": "tmp", "mount_path": TMP_DIR},
                {"name": "cache", "mount_path": CACHE_DIR},
            ],
        }
        node_selector = {POOL_LABEL: spec.name, **placement_labels(allowed)}
        if server.image == DEFAULT_SERVER_IMAGE:  # a single-architecture image: only nodes that can run it
            node_selector[ARCH_LABEL] = DEFAULT_SERVER_IMAGE_ARCH
        pod_spec: dict[str, Any] = {
            "service_account_name": SERVICE_ACCOUNT,
            "automount_service_account_token": False,
            "priority_class_name": INFERENCE_PRIORITY_CLASS,
            "node_selector": node_selector,
            # Exists: the GPU taint's value differs between pools (present here and on GKE, true on EKS).
            "tolerations": [{"key": GPU_TAINT.key, "operator": "Exists", "effect": "NoSchedule"}],
            "security_context": {
                "run_as_non_root": True,
                "run_as_user": RUN_AS_USER,
                "run_as_group": RUN_AS_USER,
                "fs_group": RUN_AS_USER,
                "seccomp_profile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": volumes,
        }
        if init_containers:
            pod_spec["init_containers"] = init_containers
        if k3s:
            pod_spec["runtime_class_name"] = NVIDIA_RUNTIME_CLASS

        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-server",
            metadata={"name": SERVER_NAME, "namespace": ns, "labels": {**app, **records}},
            spec=untyped(
                {
                    "replicas": server.replicas,
                    "selector": {"match_labels": app},
                    "template": {"metadata": {"labels": app}, "spec": pod_spec},
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, account]),
        )

        self.service = k8s.core.v1.Service(
            f"{name}-svc",
            metadata={"name": SERVER_NAME, "namespace": ns, "labels": {**app, **records}},
            spec={
                "type": "ClusterIP",
                "selector": app,
                "ports": [{"name": "http", "port": server.port, "target_port": "http", "protocol": "TCP"}],
            },
            opts=in_ns,
        )

        self.network_policies = [
            k8s.networking.v1.NetworkPolicy(
                f"{name}-default-deny",
                metadata={"name": "default-deny-ingress", "namespace": ns, "labels": records},
                # Every pod of the namespace, no ingress rule: nothing gets in unless another policy allows it.
                spec=untyped({"pod_selector": {}, "policy_types": ["Ingress"]}),
                opts=in_ns,
            )
        ]
        peers: list[dict[str, Any]] = [{"ip_block": {"cidr": str(cidr)}} for cidr in server.client_cidrs]
        peers += [
            {"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": client}}}
            for client in server.client_namespaces
        ]
        if peers:  # no declared client: the default deny stands alone and nothing reaches the server
            self.network_policies.append(
                k8s.networking.v1.NetworkPolicy(
                    f"{name}-allow-clients",
                    metadata={"name": "allow-declared-clients", "namespace": ns, "labels": records},
                    spec=untyped(
                        {
                            "pod_selector": {"match_labels": app},
                            "policy_types": ["Ingress"],
                            "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": server.port}]}],
                        }
                    ),
                    opts=in_ns,
                )
            )

        if server.replicas > 1:
            # Drains and upgrades take one server away at a time; the others keep serving.
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata={"name": SERVER_NAME, "namespace": ns, "labels": records},
                spec={"max_unavailable": 1, "selector": {"match_labels": app}},
                opts=in_ns,
            )

        self.register_outputs(
            {
                "namespace": ns,
                "service": f"{SERVER_NAME}.{ns}.svc",
                "nodes": list(spec.nodes),
            }
        )
