"""The Helm charts the toolkit installs, pinned, and the node labels of the GPU Operator it sets: data with sources.

Every chart a component installs is one row of CHARTS (repository, chart, version, source), read by the installers
(components/k8s/gpu_software.py, components/k8s/device_plugins.py); nothing else names a chart version. Data only
(no pulumi, no components). A version is a release the chart's own repository publishes: its Helm repository
index (the `gh-pages` branch the chart repository serves) or, for the OCI chart, its Chart.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmops_infra.components.catalog.aws import AmiType


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class ChartPin:
    """One Helm chart as installed: where it is published, its name there, the exact version, and the source."""

    repo: str  # a Helm repository URL, or an OCI registry path `oci://<registry>/<namespace>`
    chart: str
    version: str
    source: str

    @property
    def oci(self) -> bool:
        """The chart is an OCI artifact (`oci://<repo>/<chart>`), not an entry of a repository index."""
        return self.repo.startswith("oci://")

    @property
    def reference(self) -> str:
        """What Helm is given as the chart: the chart's name in its repository, or its full OCI reference."""
        return f"{self.repo}/{self.chart}" if self.oci else self.chart


GPU_OPERATOR = "gpu-operator"
NVIDIA_DEVICE_PLUGIN = "nvidia-device-plugin"
EFA_DEVICE_PLUGIN = "aws-efa-k8s-device-plugin"
NEURON = "neuron-helm-chart"

CHARTS: dict[str, ChartPin] = {
    pin.chart: pin
    for pin in (
        # NVIDIA installs the operator from its NGC Helm repository (`helm repo add nvidia
        # https://helm.ngc.nvidia.com/nvidia`, docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/
        # getting-started.html). v26.7.0 is the newest release: tag v26.7.0 (versions.mk `VERSION ?= v26.7.0`) and
        # the first entry of the chart index NVIDIA publishes on GitHub Pages; NVIDIA's platform-support page (a
        # nvidia.github.io/cloud-native-docs build) lists 26.7.x as supported and 25.10.x as end of support. It
        # bundles device plugin v0.20.0. That NGC serves the same version was not checked (no NGC index offline).
        ChartPin(
            repo="https://helm.ngc.nvidia.com/nvidia",
            chart=GPU_OPERATOR,
            version="v26.7.0",
            source="github.com/NVIDIA/gpu-operator tag v26.7.0 (versions.mk, deployments/gpu-operator/values.yaml "
            "devicePlugin.version v0.20.0); gh-pages stable/index.yaml (gpu-operator v26.7.0, 2026-08-21)",
        ),
        # The device plugin alone: NVIDIA/k8s-device-plugin's Helm repository; tag v0.20.0 is the newest, and its
        # deployments/helm/nvidia-device-plugin/Chart.yaml says version "0.20.0".
        ChartPin(
            repo="https://nvidia.github.io/k8s-device-plugin",
            chart=NVIDIA_DEVICE_PLUGIN,
            version="0.20.0",
            source="github.com/NVIDIA/k8s-device-plugin tag v0.20.0 deployments/helm/nvidia-device-plugin/"
            "Chart.yaml; gh-pages index.yaml (nvidia-device-plugin 0.20.0, 2026-08-20)",
        ),
        # The EFA device plugin from AWS's eks-charts repository (`helm repo add eks https://aws.github.io/eks-charts`,
        # the chart's README). Chart version v0.5.30 (appVersion v0.5.20, image tag v0.5.20) is the newest.
        ChartPin(
            repo="https://aws.github.io/eks-charts",
            chart=EFA_DEVICE_PLUGIN,
            version="v0.5.30",
            source="github.com/aws/eks-charts stable/aws-efa-k8s-device-plugin/Chart.yaml (master, 2026-08-03); "
            "gh-pages index.yaml (aws-efa-k8s-device-plugin v0.5.30)",
        ),
        # The Neuron chart AWS documents for EKS (`helm upgrade --install neuron-helm-chart
        # oci://public.ecr.aws/neuron/neuron-helm-chart`, awsdocs-neuron "Neuron Helm Chart"). 1.9.0 is the newest
        # Chart.yaml version the stored history of aws-neuron/neuron-helm-charts holds (commit b77a6f90, the one
        # adding the UltraServer operator); the registry's own tag list could not be read offline.
        ChartPin(
            repo="oci://public.ecr.aws/neuron",
            chart=NEURON,
            version="1.9.0",
            source="github.com/aws-neuron/neuron-helm-charts charts/neuron-helm-chart/Chart.yaml at "
            "b77a6f90bb00dc0ee57d21e35e275b05e26b79c1 (version 1.9.0); not checked against the registry's tags",
        ),
    )
}

# ---- the GPU Operator's per-node switches -------------------------------------------------------------------
# Each operand's DaemonSet selects nodes labelled `nvidia.com/gpu.deploy.<operand>: "true"` (NVIDIA/gpu-operator
# v26.7.0 assets/state-driver/0500_daemonset.yaml, state-container-toolkit/, state-device-plugin/: nodeSelector
# nvidia.com/gpu.deploy.driver / .container-toolkit / .device-plugin "true"). The operator sets those labels on GPU
# nodes but honours a value already there ("If a required state label already exists on the node with a non-empty
# value, honor it": controllers/state_manager.go addGPUStateLabels), so a node labelled "false" in advance never
# gets that operand. `nvidia.com/gpu.deploy.operands: "false"` removes every operand label from the node
# (state_manager.go commonOperandsLabelKey, hasOperandsDisabled -> removeAllGPUStateLabels): no operand runs there.
OPERATOR_DEPLOY_DRIVER = "nvidia.com/gpu.deploy.driver"
OPERATOR_DEPLOY_TOOLKIT = "nvidia.com/gpu.deploy.container-toolkit"
OPERATOR_DEPLOY_OPERANDS = "nvidia.com/gpu.deploy.operands"


def operator_node_labels(ami: AmiType) -> dict[str, str]:
    """The GPU Operator labels a node group of `ami` carries so the operator installs nothing its image has.

    - Bottlerocket NVIDIA runs its own device plugin (and driver): every operand off (`operands: "false"`), so
      neither a second device plugin nor the DCGM exporter, GPU feature discovery or the validator run there;
    - the other NVIDIA AMIs ship the driver and toolkit: those two off, so that on a cluster whose operator installs
      them (EKS Hybrid Nodes without a driver) the cloud nodes keep their own;
    - other AMIs (Neuron, system nodes) have no NVIDIA GPU for the operator to manage: nothing.
    """
    if ami.vendor != "nvidia":
        return {}
    if ami.ships_device_plugin:
        return {OPERATOR_DEPLOY_OPERANDS: "false"}
    return {OPERATOR_DEPLOY_DRIVER: "false", OPERATOR_DEPLOY_TOOLKIT: "false"}
