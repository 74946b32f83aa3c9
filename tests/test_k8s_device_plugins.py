"""The right device plugins on every pool, the driver where the hosts lack it, and the pinned chart versions.

Through the offline engine, on the stack program itself (stacks.platform.deploy) for specs built from the shipped
configs with the pools each case needs: every EFA pool is served by the EFA device plugin (its node selection
matches the pool's nodes, its tolerations the pool's taints), every Neuron pool by the Neuron device plugin, no
Bottlerocket NVIDIA pool gets a second NVIDIA device plugin, a hybrid cluster's operator installs driver and
toolkit while the cloud pools are labelled to skip them (unless the config says the hosts have them), and every
Helm release carries the version of the one pin table.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import kubernetes_validate
import pytest

from llmops_infra.cli.recording import Recording
from llmops_infra.cli.stackfile import resolve
from llmops_infra.components.catalog.charts import CHARTS
from llmops_infra.components.config.platform import parse_platform
from llmops_infra.components.spec import KUBERNETES_EFFECT, SpecError
from llmops_infra.stacks.platform import deploy
from tests.conftest import preview
from tests.k8s_schema import newest_minor_versions
from tests.stack_runs import ROOT, recording

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
POOL = "llmops:aws:GpuNodePool"
VENDOR_TAINTS = {"nvidia": ("nvidia.com/gpu", "true"), "neuron": ("aws.amazon.com/neuron", "true")}
DEDICATED = {"key": "dedicated", "value": "training", "effect": "NO_SCHEDULE"}


def platform(stack: str) -> dict[str, Any]:
    settings = resolve(stack, ROOT).settings.config
    data: dict[str, Any] = json.loads(settings["llmops-infra:platform"])
    if "aws:region" in settings:  # what stacks/config.py gives the platform from the provider's region
        data["region"] = settings["aws:region"]
    return data


def pool(name: str, instance_type: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "instanceType": instance_type, "capacityType": "ON_DEMAND", "maxSize": 2, **fields}


def with_pools(*pools: dict[str, Any], stack: str = "prod-hipaa") -> dict[str, Any]:
    data = copy.deepcopy(platform(stack))
    data["aws"]["acceleratorPools"] = list(pools)
    return data


def run(data: dict[str, Any]) -> Recording:
    return preview(lambda: deploy(parse_platform(data)))


def releases(rec: Recording) -> dict[str, dict[str, Any]]:
    """Chart name -> the release's inputs (a chart is installed at most once per cluster)."""
    found = [r.inputs for r in rec.of_type(RELEASE)]
    by_chart = {inputs["name"]: inputs for inputs in found}
    assert len(by_chart) == len(found)
    return by_chart


def node_group(rec: Recording, pool_name: str) -> dict[str, Any]:
    component = rec.one(POOL, pool_name).urn
    [group] = [r for r in rec.of_type(NODE_GROUP) if r.parent == component]
    return group.inputs


def taints(group: dict[str, Any]) -> list[dict[str, str]]:
    return [{**t, "effect": KUBERNETES_EFFECT[t["effect"]]} for t in group["taints"]]


def tolerated(tolerations: list[dict[str, str]], taint: dict[str, str]) -> bool:
    """Kubernetes' rule: a toleration matches a taint by key (or empty key with Exists), effect (empty: any) and,
    with operator Equal (the default), value."""
    for t in tolerations:
        key_ok = t.get("key") == taint["key"] or (not t.get("key") and t.get("operator") == "Exists")
        effect_ok = not t.get("effect") or t["effect"] == taint["effect"]
        value_ok = t.get("operator") == "Exists" or t.get("value", "") == taint["value"]
        if key_ok and effect_ok and value_ok:
            return True
    return False


def matches(expression: dict[str, Any], labels: dict[str, str]) -> bool:
    key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    raise AssertionError(f"unexpected operator {operator}")


def selects(affinity: dict[str, Any], labels: dict[str, str]) -> bool:
    """Required node affinity: any term, every expression of it."""
    terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    return any(all(matches(e, labels) for e in term["matchExpressions"]) for term in terms)


def schedulable(values_affinity: dict[str, Any] | None, node_selector: dict[str, str], labels: dict[str, str]) -> bool:
    selected = all(labels.get(k) == v for k, v in node_selector.items())
    return selected and (values_affinity is None or selects(values_affinity, labels))


def pod_spec_errors(spec: dict[str, Any]) -> list[str]:
    """The scheduling fragment of chart values as a Pod's spec, checked against the upstream schemas."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe"},
        "spec": {"containers": [{"name": "probe", "image": "probe"}], **spec},
    }
    errors = []
    for version in newest_minor_versions():
        try:
            kubernetes_validate.validate(pod, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{version}: {error.message}")
    return errors


# ---- pins -----------------------------------------------------------------------------------------------------

EFA_NEURON = with_pools(
    pool("h100", "p5.48xlarge", efa=True, taints=[DEDICATED]),
    pool("trn1", "trn1.32xlarge", efa=True, role="training"),
    pool("inf2", "inf2.xlarge", taints=[{"key": "serving", "value": "llm", "effect": "NO_EXECUTE"}]),
    pool("l40s", "g6e.12xlarge"),
)


def test_every_pin_has_a_repository_a_version_and_a_source():
    assert set(CHARTS) == {"gpu-operator", "nvidia-device-plugin", "aws-efa-k8s-device-plugin", "neuron-helm-chart"}
    for name, pin in CHARTS.items():
        assert pin.chart == name and pin.version and pin.source.startswith("github.com/")
        assert pin.repo.startswith(("https://", "oci://"))


@pytest.mark.parametrize("stack", ["dev", "prod-hipaa", "hybrid", "onprem", "edge", "efa-neuron"])
def test_every_release_carries_the_pinned_chart_and_version(stack: str):
    rec = run(EFA_NEURON) if stack == "efa-neuron" else recording(stack)
    pinned = {pin.reference: pin for pin in CHARTS.values()}
    for inputs in rec.of_type(RELEASE):
        release = inputs.inputs
        pin = pinned.get(release["chart"])
        if pin is None:  # a chart another component owns (Cilium)
            continue
        assert release["version"] == pin.version
        assert release.get("repositoryOpts") == (None if pin.oci else {"repo": pin.repo})


def test_the_built_specs_install_every_pinned_chart():
    charts = set(releases(run(EFA_NEURON))) | set(releases(recording("edge")))
    assert charts == set(CHARTS)


# ---- EFA ------------------------------------------------------------------------------------------------------


def test_every_efa_pool_gets_the_efa_device_plugin_on_its_nodes_tolerating_its_taints():
    rec = run(EFA_NEURON)
    efa = releases(rec)["aws-efa-k8s-device-plugin"]
    assert (efa["namespace"], efa["version"]) == ("kube-system", CHARTS["aws-efa-k8s-device-plugin"].version)
    values = efa["values"]
    for name in ("h100", "trn1"):
        group = node_group(rec, name)
        assert schedulable(None, values["nodeSelector"], group["labels"]), name
        for taint in taints(group):
            assert tolerated(values["tolerations"], taint), (name, taint)
    # Nowhere else: the pools without EFA do not carry what it selects.
    for name in ("inf2", "l40s"):
        assert not schedulable(None, values["nodeSelector"], node_group(rec, name)["labels"]), name
    # Exact tolerations: the EFA pools' taints, no wildcard that would admit it onto other tainted nodes.
    assert all(t["operator"] == "Equal" for t in values["tolerations"])
    assert not tolerated(values["tolerations"], {"key": "serving", "value": "llm", "effect": "NoExecute"})
    assert pod_spec_errors({"nodeSelector": values["nodeSelector"], "tolerations": values["tolerations"]}) == []


def test_the_shipped_efa_pool_is_served_and_a_cluster_without_efa_gets_no_efa_plugin():
    rec = recording("prod-hipaa")
    values = releases(rec)["aws-efa-k8s-device-plugin"]["values"]
    group = node_group(rec, "h100-train")
    assert schedulable(None, values["nodeSelector"], group["labels"])
    assert all(tolerated(values["tolerations"], t) for t in taints(group))
    assert not schedulable(None, values["nodeSelector"], node_group(rec, "l40s-serve")["labels"])
    assert "aws-efa-k8s-device-plugin" not in releases(recording("dev"))


# ---- Neuron ---------------------------------------------------------------------------------------------------


def test_every_neuron_pool_gets_the_neuron_device_plugin_alone_on_its_nodes():
    rec = run(EFA_NEURON)
    neuron = releases(rec)["neuron-helm-chart"]
    pin = CHARTS["neuron-helm-chart"]
    assert (neuron["chart"], neuron["version"]) == ("oci://public.ecr.aws/neuron/neuron-helm-chart", pin.version)
    values = neuron["values"]
    plugin = values["devicePlugin"]
    assert plugin["enabled"] is True
    assert values["npd"] == {"enabled": False}
    assert values["scheduler"] == values["draDriver"] == values["ultraserverOperator"] == {"enabled": False}
    for name in ("trn1", "inf2"):
        group = node_group(rec, name)
        assert selects(plugin["affinity"], group["labels"]), name
        assert group["taints"][0] == {"key": "aws.amazon.com/neuron", "value": "true", "effect": "NO_SCHEDULE"}
        for taint in taints(group):
            assert tolerated(plugin["tolerations"], taint), (name, taint)
    for name in ("h100", "l40s"):
        assert not selects(plugin["affinity"], node_group(rec, name)["labels"]), name
    assert not tolerated(plugin["tolerations"], {"key": "dedicated", "value": "training", "effect": "NoSchedule"})
    # Never onto hybrid nodes, as the chart's own affinity says.
    hybrid_node = {**node_group(rec, "inf2")["labels"], "eks.amazonaws.com/compute-type": "hybrid"}
    assert not selects(plugin["affinity"], hybrid_node)
    assert pod_spec_errors({"affinity": plugin["affinity"], "tolerations": plugin["tolerations"]}) == []


def test_no_neuron_pool_no_neuron_plugin():
    assert "neuron-helm-chart" not in releases(recording("prod-hipaa"))


# ---- Bottlerocket NVIDIA: its own device plugin, never a second ---------------------------------------------

BOTTLEROCKET = pool("br", "g6e.12xlarge", amiType="BOTTLEROCKET_x86_64_NVIDIA")


def test_a_bottlerocket_pool_is_kept_off_the_operators_operands_while_al2023_pools_keep_the_operator():
    rec = run(with_pools(BOTTLEROCKET, pool("al", "g6e.12xlarge")))
    operator = releases(rec)["gpu-operator"]["values"]
    assert operator["driver"] == {"enabled": False} and operator["toolkit"] == {"enabled": False}
    assert node_group(rec, "br")["labels"]["nvidia.com/gpu.deploy.operands"] == "false"
    al = node_group(rec, "al")["labels"]
    assert "nvidia.com/gpu.deploy.operands" not in al
    assert (al["nvidia.com/gpu.deploy.driver"], al["nvidia.com/gpu.deploy.container-toolkit"]) == ("false", "false")


def test_a_cluster_of_bottlerocket_pools_only_installs_no_nvidia_device_plugin():
    found = releases(run(with_pools(BOTTLEROCKET, {**BOTTLEROCKET, "name": "br2"})))
    assert "gpu-operator" not in found and "nvidia-device-plugin" not in found


def test_the_standalone_device_plugin_skips_bottlerocket_nodes():
    data = with_pools(BOTTLEROCKET, pool("al", "g6e.12xlarge"))
    data["kubernetes"] = {"gpuSoftware": {"mode": "device-plugin", "driver": False}}
    rec = run(data)
    affinity = releases(rec)["nvidia-device-plugin"]["values"]["affinity"]
    present = {"nvidia.com/gpu.present": "true"}
    assert not selects(affinity, {**node_group(rec, "br")["labels"], **present})
    assert selects(affinity, {**node_group(rec, "al")["labels"], **present})
    assert selects(affinity, {"feature.node.kubernetes.io/pci-10de.present": "true"})  # the chart's own terms
    assert pod_spec_errors({"affinity": affinity}) == []


# ---- hosts that run their own OS: hybrid and on-prem ----------------------------------------------------------


def test_a_hybrid_cluster_installs_driver_and_toolkit_for_the_hybrid_nodes_and_labels_the_cloud_pools_out():
    rec = recording("hybrid")
    operator = releases(rec)["gpu-operator"]["values"]
    assert operator["driver"] == {"enabled": True} and operator["toolkit"] == {"enabled": True}
    labels = node_group(rec, "l40s-burst")["labels"]
    assert labels["nvidia.com/gpu.deploy.driver"] == "false"
    assert labels["nvidia.com/gpu.deploy.container-toolkit"] == "false"


def test_hybrid_hosts_with_their_own_driver_get_neither():
    data = copy.deepcopy(platform("hybrid"))
    data["hybrid"]["hostsHaveNvidiaDriver"] = True
    operator = releases(run(data))["gpu-operator"]["values"]
    assert operator["driver"] == {"enabled": False} and operator["toolkit"] == {"enabled": False}


def test_onprem_installs_driver_and_toolkit_unless_the_hosts_have_them():
    operator = releases(recording("onprem"))["gpu-operator"]["values"]
    assert operator["driver"] == {"enabled": True} and operator["toolkit"] == {"enabled": True}
    data = copy.deepcopy(platform("onprem"))
    data["onprem"]["hostsHaveNvidiaDriver"] = True
    rec = preview(lambda: deploy(parse_platform(data)), config={"llmops-infra:kubeconfig": "{}"})
    operator = releases(rec)["gpu-operator"]["values"]
    assert operator["driver"] == {"enabled": False} and operator["toolkit"] == {"enabled": False}


@pytest.mark.parametrize("stack", ["onprem", "hybrid"])
def test_the_operators_driver_on_hosts_that_have_one_is_refused_with_the_key(stack: str):
    data = copy.deepcopy(platform(stack))
    data[stack]["hostsHaveNvidiaDriver"] = True
    data.setdefault("kubernetes", {})["gpuSoftware"] = {"mode": "operator", "driver": True}
    with pytest.raises(SpecError) as error:
        parse_platform(data)
    [problem] = [p for p in error.value.problems if p.path[:2] == ("kubernetes", "gpuSoftware")]
    assert problem.path == ("kubernetes", "gpuSoftware", "driver")
    assert "set driver: false" in problem.message
    # Without the switch the same spec is accepted: those hosts need the driver.
    data[stack]["hostsHaveNvidiaDriver"] = False
    parse_platform(data)
