"""How GPU nodes get their driver, container toolkit, device plugin and metrics, per platform, as data.

The node image decides most of it: what the image already ships must not be installed a second time (two
drivers on one kernel do not load; two toolkits fight over the containerd config), and what it lacks must be.
`resolve` turns a platform and an optional spec into exactly what to install; `install` creates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
import yaml

from llmops_infra.components.catalog import charts
from llmops_infra.components.catalog.aws import AmiType
from llmops_infra.components.catalog.charts import ChartPin
from llmops_infra.components.config.kubernetes import gpu_driver_problems
from llmops_infra.components.config.refusal import refuse
from llmops_infra.components.k8s.labels import record_labels
from llmops_infra.components.spec import GpuSoftware, GpuSoftwareSpec, MigStrategy
from llmops_infra.components.tagging import Tagging

Platform = Literal["eks", "gke", "onprem", "k3s"]

GPU_RESOURCE = "nvidia.com/gpu"
# The taint every GPU pool of this project carries (docs/accelerators.md: nvidia.com/gpu=present:NoSchedule); GPU
# daemons tolerate the key with Exists so that any value and a differently valued on-prem taint still match.
GPU_TOLERATION = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}

# ---- the GPU Operator ----------------------------------------------------------------------------------------
# Chart `gpu-operator` (pinned in components/catalog/charts.py), installed into namespace gpu-operator as NVIDIA's
# getting-started page does (docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/getting-started.html).
OPERATOR_NAMESPACE = "gpu-operator"
# DCGM exporter: it listens on `DCGM_EXPORTER_LISTEN ":9400"` and its pods carry `app: nvidia-dcgm-exporter`
# (NVIDIA/gpu-operator v26.7.0 assets/state-dcgm-exporter/0800_daemonset.yaml: the DaemonSet the operator renders;
# the chart at that tag has no networkpolicy template, so the policies below are ours).
DCGM_EXPORTER_PORT = 9400
DCGM_EXPORTER_POD_LABELS = {"app": "nvidia-dcgm-exporter"}

# ---- the device plugin alone ---------------------------------------------------------------------------------
# Chart `nvidia-device-plugin` (pinned in components/catalog/charts.py), in kube-system.
DEVICE_PLUGIN_NAMESPACE = "kube-system"

# The pins the two installers read (components/catalog/charts.py: repository, chart, version, source).
OPERATOR_CHART = charts.CHARTS[charts.GPU_OPERATOR]
DEVICE_PLUGIN_CHART = charts.CHARTS[charts.NVIDIA_DEVICE_PLUGIN]
# K3s "will automatically add NVIDIA runtimes to the containerd configuration" and "includes Kubernetes
# RuntimeClass definitions for all supported alternative runtimes"; unless the node's default runtime was changed,
# pods "must explicitly request the NVIDIA runtime by setting runtimeClassName: nvidia" (k3s-io/docs advanced.md,
# "NVIDIA Container Runtime"). The device plugin itself needs it too, to see the GPUs through NVML.
NVIDIA_RUNTIME_CLASS = "nvidia"
# The chart's default node affinity (values.yaml `affinity`) admits nodes labelled by NFD with the NVIDIA PCI vendor,
# or nodes carrying this label "to force a GPU deployment"; without NFD (gfd off) GPU nodes need this label.
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
# That default affinity (NVIDIA/k8s-device-plugin v0.20.0 deployments/helm/nvidia-device-plugin/values.yaml): three
# alternative terms, the NFD PCI vendor label, the NFD CPU vendor (Tegra) and the label above. Restated here because
# a node image that runs its own plugin (Bottlerocket NVIDIA) must be excluded from each term.
DEVICE_PLUGIN_NODE_TERMS = (
    ("feature.node.kubernetes.io/pci-10de.present", "true"),
    ("feature.node.kubernetes.io/cpu-model.vendor_id", "NVIDIA"),
    (GPU_PRESENT_LABEL, "true"),
)

# Time-slicing: a ConfigMap of device plugin configs, one chosen by default. Keys as the GPU Operator's
# "Time-Slicing GPUs in Kubernetes" page gives them (docs.nvidia.com/.../gpu-operator/latest/gpu-sharing.html):
# config `any` = {version: v1, flags: {migStrategy}, sharing: {timeSlicing: {resources: [{name, replicas}]}}},
# referenced by `devicePlugin.config.name` / `.default` (operator values.yaml) or `config.name` / `config.default`
# (device plugin values.yaml).
TIME_SLICING_CONFIGMAP = "time-slicing-config"
TIME_SLICING_DEFAULT = "any"


@dataclass(frozen=True, kw_only=True)
class NodeImage:
    """What a GPU node's image (or host OS) already carries, and so what GPU software it needs by default."""

    mode: GpuSoftware = field(
        metadata={"description": "What the image needs by default: `operator`, `device-plugin` or `none`."}
    )
    has_driver: bool = field(metadata={"description": "The image ships the NVIDIA driver."})
    has_toolkit: bool = field(metadata={"description": "The image ships the NVIDIA Container Toolkit."})
    has_device_plugin: bool = field(
        default=False, metadata={"description": "The image runs its own NVIDIA device plugin (Bottlerocket NVIDIA)."}
    )


# Platform -> its GPU node image. Sources:
# - eks: the EKS AL2023 NVIDIA AMI ships the driver but not the device plugin (docs/accelerators.md); its build script
#   also installs the container toolkit (awslabs/amazon-eks-ami templates/al2023/provisioners/
#   install-nvidia-driver.sh: `dnf -y install nvidia-container-toolkit`). So: the operator for the device plugin,
#   DCGM exporter and GPU feature discovery, with its driver and toolkit off.
# - gke: GKE installs the drivers and runs its own device plugin (docs/accelerators.md, GKE section): nothing to add.
# - onprem: bare metal as delivered, nothing installed: the operator with driver and toolkit.
# - k3s: edge images carry the driver and the toolkit and K3s detects the NVIDIA runtime (k3s docs, above): the
#   device plugin alone.
NODE_IMAGES: dict[Platform, NodeImage] = {
    "eks": NodeImage(mode="operator", has_driver=True, has_toolkit=True),
    "gke": NodeImage(mode="none", has_driver=True, has_toolkit=True, has_device_plugin=True),
    "onprem": NodeImage(mode="operator", has_driver=False, has_toolkit=False),
    "k3s": NodeImage(mode="device-plugin", has_driver=True, has_toolkit=True),
}

# The images a cluster's GPU nodes may run besides its platform's own, for a cluster whose nodes differ:
# - the EKS NVIDIA AMIs (AL2023, AL2): driver and toolkit, no device plugin (the eks row above);
# - Bottlerocket NVIDIA: "When using the EKS-optimized Bottlerocket AMIs with NVIDIA GPUs, you don't need to install
#   the NVIDIA Kubernetes device plugin, as it is already included" (Amazon EKS User Guide, "Install Kubernetes
#   device plugin for GPUs"); Bottlerocket runs it "as a system service ... Running a second copy of it could cause
#   unexpected behavior" (bottlerocket-os/bottlerocket#3992). Its driver is built in (catalog AMI vendor nvidia);
#   the toolkit is counted as present because the image hands GPUs to containers itself and the operator is kept
#   off these nodes entirely (components/catalog/charts.py operator_node_labels);
# - machines running their own OS (on-prem, EKS Hybrid Nodes): nothing NVIDIA installed, unless the config says
#   the hosts have the driver and toolkit (`hostsHaveNvidiaDriver`).
EKS_NVIDIA_AMI = NODE_IMAGES["eks"]
BOTTLEROCKET_NVIDIA = NodeImage(mode="none", has_driver=True, has_toolkit=True, has_device_plugin=True)
OWN_OS = NODE_IMAGES["onprem"]
OWN_OS_WITH_DRIVER = NodeImage(mode="operator", has_driver=True, has_toolkit=True)


def eks_node_image(ami: AmiType) -> NodeImage | None:
    """The image an EKS node group's AMI type gives its NVIDIA nodes; None for a non-NVIDIA AMI (Neuron, system)."""
    if ami.vendor != "nvidia":
        return None
    return BOTTLEROCKET_NVIDIA if ami.ships_device_plugin else EKS_NVIDIA_AMI


def own_os_image(hosts_have_driver: bool) -> NodeImage:
    """The image of GPU machines running their own OS: with or without the NVIDIA driver and toolkit."""
    return OWN_OS_WITH_DRIVER if hosts_have_driver else OWN_OS


@dataclass(frozen=True)
class GpuSoftwarePlan:
    """Exactly what to install on one cluster."""

    mode: GpuSoftware
    driver: bool
    toolkit: bool
    mig_strategy: MigStrategy
    time_slicing_replicas: int | None
    dcgm_exporter: bool
    runtime_class: str | None  # the RuntimeClass GPU pods (and the device plugin) must name, if any


def resolve(platform: Platform, spec: GpuSoftwareSpec | None, images: Sequence[NodeImage] = ()) -> GpuSoftwarePlan:
    """What to install on one cluster: the default for its GPU nodes when `spec` is None, otherwise the spec.

    `images` are the images the cluster's NVIDIA nodes run, where the caller knows them (an EKS cluster: one per
    node group, plus its hybrid machines); empty: the platform's own image. The driver is installed by default
    when some node lacks it, the toolkit whenever some node lacks it (the spec has no toolkit switch: installing a
    second toolkit rewrites containerd's config, and nodes that have one are labelled to skip it); the mode is
    `none` by default when every node's image runs its own device plugin, the platform's mode otherwise.
    """
    hosts = tuple(images) or (NODE_IMAGES[platform],)
    lacks_driver = any(not image.has_driver for image in hosts)
    lacks_toolkit = any(not image.has_toolkit for image in hosts)
    mode = "none" if all(image.has_device_plugin for image in hosts) else NODE_IMAGES[platform].mode
    chosen = spec or GpuSoftwareSpec(mode=mode, driver=lacks_driver)
    # A second driver on a kernel that already has one does not load, and the operator's validator then holds
    # every GPU operand back: a broken pool, found only when the nodes come up. The config refuses it with the
    # same check (components/config/kubernetes.py).
    refuse("kubernetes.gpuSoftware", gpu_driver_problems(spec, f"this {platform} cluster", not lacks_driver, ()))
    runtime_class = NVIDIA_RUNTIME_CLASS if platform == "k3s" and chosen.mode == "device-plugin" else None
    return GpuSoftwarePlan(
        mode=chosen.mode,
        driver=chosen.driver,
        toolkit=lacks_toolkit,
        mig_strategy=chosen.mig_strategy,
        time_slicing_replicas=chosen.time_slicing_replicas,
        dcgm_exporter=chosen.dcgm_exporter,
        runtime_class=runtime_class,
    )


def time_slicing_config(plan: GpuSoftwarePlan) -> dict[str, str]:
    """The ConfigMap data: one device plugin config named `any` advertising each GPU `replicas` times."""
    config = {
        "version": "v1",
        "flags": {"migStrategy": plan.mig_strategy},
        "sharing": {"timeSlicing": {"resources": [{"name": GPU_RESOURCE, "replicas": plan.time_slicing_replicas}]}},
    }
    return {TIME_SLICING_DEFAULT: yaml.safe_dump(config, sort_keys=False)}


def operator_values(plan: GpuSoftwarePlan) -> dict[str, Any]:
    """GPU Operator chart values (keys from NVIDIA/gpu-operator deployments/gpu-operator/values.yaml)."""
    values: dict[str, Any] = {
        "driver": {"enabled": plan.driver},
        "toolkit": {"enabled": plan.toolkit},
        # ClusterPolicy's MIGStrategy is one of none, single, mixed (gpu-operator api clusterpolicy_types.go).
        "mig": {"strategy": plan.mig_strategy},
        # The MIG manager is a privileged daemon that repartitions GPUs: run it only where MIG is used.
        "migManager": {"enabled": plan.mig_strategy != "none"},
        "dcgmExporter": {"enabled": plan.dcgm_exporter},
        # Operands run on the tainted GPU nodes; the chart's default is this toleration, pinned here because the
        # pools' taint (GPU_TOLERATION) depends on it.
        "daemonsets": {"tolerations": [GPU_TOLERATION]},
    }
    if plan.time_slicing_replicas is not None:
        values["devicePlugin"] = {"config": {"name": TIME_SLICING_CONFIGMAP, "default": TIME_SLICING_DEFAULT}}
    return values


def device_plugin_values(plan: GpuSoftwarePlan) -> dict[str, Any]:
    """nvidia-device-plugin chart values (keys from NVIDIA/k8s-device-plugin deployments/helm/nvidia-device-plugin/
    values.yaml)."""
    values: dict[str, Any] = {
        "migStrategy": plan.mig_strategy,
        # The chart's defaults, pinned: CriticalAddonsOnly for the add-on, and the GPU pools' taint.
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}, GPU_TOLERATION],
        # GPU feature discovery needs NFD and a privileged pod; the plugin alone is what advertises the GPUs.
        "gfd": {"enabled": False},
        # The chart's own node terms, each also requiring that the node has not opted out of NVIDIA's operands:
        # a Bottlerocket NVIDIA node runs its own plugin and carries nvidia.com/gpu.deploy.operands=false
        # (components/catalog/charts.py operator_node_labels); NotIn also admits nodes without the label.
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": key, "operator": "In", "values": [value]},
                                {"key": charts.OPERATOR_DEPLOY_OPERANDS, "operator": "NotIn", "values": ["false"]},
                            ]
                        }
                        for key, value in DEVICE_PLUGIN_NODE_TERMS
                    ]
                }
            }
        },
    }
    if plan.runtime_class is not None:
        values["runtimeClassName"] = plan.runtime_class
    if plan.time_slicing_replicas is not None:
        values["config"] = {"name": TIME_SLICING_CONFIGMAP, "default": TIME_SLICING_DEFAULT}
    return values


def _namespace_labels(tagging: Tagging, purpose: str) -> dict[str, str]:
    # GPU daemons load kernel modules, mount host paths and run privileged: the one namespace besides kube-system
    # allowed to (GPU Operator getting-started: label the namespace pod-security.kubernetes.io/enforce=privileged).
    return {
        **record_labels(tagging, purpose, "internal"),
        **{f"pod-security.kubernetes.io/{mode}": "privileged" for mode in ("enforce", "audit", "warn")},
        **{f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in ("enforce", "audit", "warn")},
    }


def _time_slicing_configmap(
    name: str, plan: GpuSoftwarePlan, namespace: pulumi.Input[str], tagging: Tagging, opts: pulumi.ResourceOptions
) -> k8s.core.v1.ConfigMap:
    return k8s.core.v1.ConfigMap(
        f"{name}-time-slicing",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=TIME_SLICING_CONFIGMAP,
            namespace=namespace,
            labels=record_labels(tagging, "gpu-time-slicing", "internal"),
        ),
        data=time_slicing_config(plan),
        opts=opts,
    )


def install(
    name: str, plan: GpuSoftwarePlan, tagging: Tagging, parent: pulumi.Resource
) -> tuple[str | None, list[pulumi.Resource]]:
    """Create what `plan` needs under `parent`; return the namespace holding it and the resources created."""
    child = pulumi.ResourceOptions(parent=parent)
    if plan.mode == "operator":
        return OPERATOR_NAMESPACE, _install_operator(name, plan, tagging, child)
    if plan.mode == "device-plugin":
        return DEVICE_PLUGIN_NAMESPACE, _install_device_plugin(name, plan, tagging, child)
    return None, []


def _install_operator(
    name: str, plan: GpuSoftwarePlan, tagging: Tagging, child: pulumi.ResourceOptions
) -> list[pulumi.Resource]:
    namespace = k8s.core.v1.Namespace(
        f"{name}-gpu-operator",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=OPERATOR_NAMESPACE, labels=_namespace_labels(tagging, "gpu-operator")),
        opts=child,
    )
    ns_name = namespace.metadata.name
    created: list[pulumi.Resource] = [namespace]
    # Default-deny ingress here too: the operator's components take no inbound traffic but metrics (NVIDIA's own
    # chart renders the same `gpu-operator-deny-all-ingress` policy with per-component allows when its
    # networkPolicy is enabled: deployments/gpu-operator/templates/networkpolicy.yaml).
    created.append(
        k8s.networking.v1.NetworkPolicy(
            f"{name}-gpu-operator-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny-ingress", namespace=ns_name),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress"]
            ),
            opts=child,
        )
    )
    if plan.dcgm_exporter:
        # Metrics scraping from anywhere inside the cluster (a Prometheus in any namespace), on the exporter port only.
        created.append(
            k8s.networking.v1.NetworkPolicy(
                f"{name}-gpu-operator-dcgm-metrics",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="allow-dcgm-exporter-metrics", namespace=ns_name),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=DCGM_EXPORTER_POD_LABELS),
                    policy_types=["Ingress"],
                    ingress=[
                        k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                            from_=[
                                k8s.networking.v1.NetworkPolicyPeerArgs(
                                    namespace_selector=k8s.meta.v1.LabelSelectorArgs()
                                )
                            ],
                            ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=DCGM_EXPORTER_PORT)],
                        )
                    ],
                ),
                opts=child,
            )
        )
    if plan.time_slicing_replicas is not None:
        created.append(_time_slicing_configmap(name, plan, ns_name, tagging, child))
    created.append(helm_release(f"{name}-gpu-operator", OPERATOR_CHART, ns_name, operator_values(plan), created, child))
    return created


def _install_device_plugin(
    name: str, plan: GpuSoftwarePlan, tagging: Tagging, child: pulumi.ResourceOptions
) -> list[pulumi.Resource]:
    created: list[pulumi.Resource] = []
    # No RuntimeClass here: K3s defines `nvidia` itself when it finds the NVIDIA runtime (k3s docs, "Alternative
    # Container Runtime Support"), and creating an object that exists fails unless the provider upserts.
    if plan.time_slicing_replicas is not None:
        created.append(_time_slicing_configmap(name, plan, DEVICE_PLUGIN_NAMESPACE, tagging, child))
    created.append(
        helm_release(
            f"{name}-device-plugin",
            DEVICE_PLUGIN_CHART,
            DEVICE_PLUGIN_NAMESPACE,
            device_plugin_values(plan),
            created,
            child,
        )
    )
    return created


def helm_release(
    name: str,
    chart: ChartPin,
    namespace: pulumi.Input[str],
    values: dict[str, Any],
    after: Sequence[pulumi.Resource],
    child: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """The pinned chart's release (named as the chart), installed once `after` (its namespace, its config) exists.

    An OCI chart is given by its full reference (`oci://.../<chart>`) and no repository: helm.v3.Release pulls OCI
    charts since pulumi-kubernetes#1892 ("[Helm/Release] Add initial support for OCI registries")."""
    return k8s.helm.v3.Release(
        name,
        name=chart.chart,
        chart=chart.reference,
        version=chart.version,
        repository_opts=None if chart.oci else k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo),
        namespace=namespace,
        values=values,
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(after))),
    )
