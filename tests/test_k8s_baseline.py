"""ClusterBaseline through the offline engine: every object valid against the upstream Kubernetes schemas, the
Kubernetes rules of the packs passing over what it registers (and failing when one property breaks), team
namespaces with exact Pod Security labels, quotas and default-deny networking, GPU software per platform, the
RBAC subjects exactly the configured groups, and the PriorityClasses."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

import llmops_infra.policies.rules.kubernetes  # noqa: F401 - registers the Kubernetes rules
from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.catalog.charts import CHARTS
from llmops_infra.components.k8s.baseline import ClusterBaseline
from llmops_infra.components.spec import GpuSoftwareSpec, KubernetesSpec, RbacSpec, TeamSpec
from llmops_infra.components.tagging import Tagging
from llmops_infra.policies.runtime.rule import RULES, Resource, Settings, evaluate, evaluate_stack
from tests.conftest import preview
from tests.k8s_schema import kubernetes_objects, schema_errors
from tests.rule_judging import as_resource, changed

NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
BASELINE = "llmops:k8s:ClusterBaseline"

TAGGING = Tagging("ML Platform <ml@example.com>", "personal", {"cost-center": "4711"})
TEAMS = (
    TeamSpec(name="research", classification="phi", gpus=8, tpus=0, neuron_devices=2, cpu=96, memory_gib=768),
    TeamSpec(name="serving", gpus=4, allow_from_namespaces=("gateway", "monitoring")),
)
RBAC = RbacSpec(
    platform_admins=("platform-admins",),
    ml_engineers=("ml-engineers", "ml-oncall"),
    data_scientists=("data-scientists",),
    auditors=("auditors",),
)
SPEC = KubernetesSpec(teams=TEAMS, rbac=RBAC)
PSA_RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
}
PSA_PRIVILEGED = {key: "privileged" if value == "restricted" else value for key, value in PSA_RESTRICTED.items()}
TIME_SLICED_ONPREM = GpuSoftwareSpec(mode="operator", driver=True, mig_strategy="mixed", time_slicing_replicas=4)


def baseline_preview(spec: KubernetesSpec = SPEC, platform: Any = "eks") -> Recording:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        ClusterBaseline(
            "base", spec, platform=platform, tagging=TAGGING, opts=pulumi.ResourceOptions(provider=provider)
        )

    return preview(program)


def judged(reg: Registration) -> Resource:
    return Resource(reg.type, reg.name, reg.urn, reg.inputs, reg.parent, dependencies=reg.property_dependencies)


def named(rec: Recording, token: str, name: str, namespace: str | None = None) -> Registration:
    found = [
        r
        for r in rec.of_type(token)
        if r.inputs["metadata"]["name"] == name and r.inputs["metadata"].get("namespace") == namespace
    ]
    assert len(found) == 1, f"{token} {namespace}/{name}: {len(found)}"
    return found[0]


def in_namespace(rec: Recording, token: str, namespace: str) -> list[dict[str, Any]]:
    return [r.inputs for r in rec.of_type(token) if r.inputs["metadata"].get("namespace") == namespace]


def release_values(rec: Recording) -> dict[str, Any]:
    values: dict[str, Any] = rec.one(RELEASE).inputs["values"]
    return values


PLATFORM_SPECS = [
    ("eks", SPEC),
    ("gke", SPEC),
    ("onprem", KubernetesSpec(teams=TEAMS, rbac=RBAC, gpu_software=TIME_SLICED_ONPREM)),
    (
        "k3s",
        KubernetesSpec(
            teams=TEAMS,
            rbac=RBAC,
            gpu_software=GpuSoftwareSpec(mode="device-plugin", driver=False, time_slicing_replicas=2),
        ),
    ),
]


# ---- every object valid upstream, every rule passing ----------------------------------------------------------


@pytest.mark.parametrize(("platform", "spec"), PLATFORM_SPECS, ids=[p for p, _ in PLATFORM_SPECS])
def test_every_kubernetes_object_validates_against_the_upstream_schemas(platform: str, spec: KubernetesSpec) -> None:
    objects = kubernetes_objects(baseline_preview(spec, platform))
    assert len(objects) > 20
    assert [e for obj in objects for e in schema_errors(obj)] == []


@pytest.mark.parametrize(("platform", "spec"), PLATFORM_SPECS, ids=[p for p, _ in PLATFORM_SPECS])
def test_the_kubernetes_resource_rules_pass_over_the_baseline(platform: str, spec: KubernetesSpec) -> None:
    rec = baseline_preview(spec, platform)
    judged_rules: set[str] = set()
    violations: list[str] = []
    for rule in RULES.values():
        if rule.scope != "resource" or not rule.name.startswith("k8s-"):
            continue
        for reg in rec.resources:
            if reg.custom and rule.applies_to(reg.type):
                judged_rules.add(rule.name)
                violations += [f"{rule.name}: {m}" for m in evaluate(rule, as_resource(reg))]
    assert violations == []
    assert {
        "k8s-rbac-no-cluster-admin-binding",
        "k8s-rbac-no-wildcard",
        "k8s-rbac-no-escalation-verbs",
        "k8s-rbac-sensitive-access-platform-roles-only",
        "k8s-records-of-processing",
    } <= judged_rules


def default_deny_violations(resources: list[Resource]) -> list[str]:
    return [message for _, message in evaluate_stack(RULES["k8s-namespace-default-deny"], resources)]


@pytest.mark.parametrize(("platform", "spec"), PLATFORM_SPECS, ids=[p for p, _ in PLATFORM_SPECS])
def test_every_namespace_has_a_default_deny_ingress_policy(platform: str, spec: KubernetesSpec) -> None:
    rec = baseline_preview(spec, platform)
    resources = [judged(r) for r in rec.resources if r.custom]
    assert default_deny_violations(resources) == []
    # Without the teams' default-deny policies the rule fails for exactly the team namespaces.
    stripped = [
        r for r in resources if not (r.type == NETWORK_POLICY and r.props["metadata"]["name"] == "default-deny-ingress")
    ]
    failures = default_deny_violations(stripped)
    assert len(failures) == len(TEAMS)
    assert all(any(team.name in message for team in TEAMS) for message in failures)


def test_records_rule_fails_if_a_team_namespace_loses_its_labels() -> None:
    namespace = named(baseline_preview(), NAMESPACE, "research")
    broken = changed(namespace.inputs, ("metadata", "labels"), {})
    assert evaluate(RULES["k8s-records-of-processing"], as_resource(namespace, broken))


def test_cluster_admin_rule_fails_if_the_admin_binding_names_another_subject() -> None:
    binding = named(baseline_preview(), CLUSTER_ROLE_BINDING, "llmops-platform-admins")
    broken = changed(binding.inputs, ("subjects", 0), {"kind": "User", "name": "alice", "apiGroup": "x"})
    assert evaluate(RULES["k8s-rbac-no-cluster-admin-binding"], as_resource(binding, broken))
    assert evaluate(RULES["k8s-rbac-no-cluster-admin-binding"], as_resource(binding), Settings()) == []


# ---- team namespaces ------------------------------------------------------------------------------------------


def test_team_namespaces_carry_exact_restricted_pod_security_labels_and_records_labels() -> None:
    rec = baseline_preview()
    research = named(rec, NAMESPACE, "research").inputs["metadata"]["labels"]
    serving = named(rec, NAMESPACE, "serving").inputs["metadata"]["labels"]
    for labels in (research, serving):
        assert {k: v for k, v in labels.items() if k.startswith("pod-security.")} == PSA_RESTRICTED
        assert labels["owner"] == "ML-Platform-ml-example.com"  # the owner made a valid label value
        assert labels["cost-center"] == "4711"
    assert research["purpose"] == "team-research"
    assert research["data-classification"] == "phi"  # the team's own classification
    assert serving["data-classification"] == "personal"  # the platform's


def test_quotas_carry_exact_keys_per_team() -> None:
    rec = baseline_preview()
    quotas = {q["metadata"]["namespace"]: q["spec"]["hard"] for q in (r.inputs for r in rec.of_type(QUOTA))}
    assert quotas == {
        "research": {
            "requests.nvidia.com/gpu": "8",
            "requests.google.com/tpu": "0",
            "requests.aws.amazon.com/neuron": "2",
            "requests.cpu": "96",
            "requests.memory": "768Gi",
            "limits.cpu": "96",
            "limits.memory": "768Gi",
        },
        "serving": {
            "requests.nvidia.com/gpu": "4",
            "requests.google.com/tpu": "0",
            "requests.aws.amazon.com/neuron": "0",
            "requests.cpu": "64",
            "requests.memory": "256Gi",
            "limits.cpu": "64",
            "limits.memory": "256Gi",
        },
    }


def test_limit_range_gives_containers_defaults_within_the_quota() -> None:
    small = KubernetesSpec(teams=(TeamSpec(name="tiny", memory_gib=1, cpu=1),))
    [limits] = in_namespace(baseline_preview(small), LIMIT_RANGE, "tiny")
    [item] = limits["spec"]["limits"]
    assert item["type"] == "Container"
    assert item["defaultRequest"] == {"cpu": "250m", "memory": "512Mi"}
    assert item["default"] == {"cpu": "1", "memory": "1Gi"}  # clamped to the team's whole memory quota


def policies_by_name(rec: Recording, namespace: str) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p["spec"] for p in in_namespace(rec, NETWORK_POLICY, namespace)}


def test_team_networking_denies_both_directions_and_allows_only_what_is_listed() -> None:
    rec = baseline_preview()
    serving = policies_by_name(rec, "serving")
    assert serving["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert serving["default-deny-egress"] == {"podSelector": {}, "policyTypes": ["Egress"]}
    same = serving["allow-same-namespace"]
    assert same["ingress"] == [{"from": [{"podSelector": {}}]}]
    assert same["egress"] == [{"to": [{"podSelector": {}}]}]
    assert serving["allow-from-namespaces"]["ingress"] == [
        {
            "from": [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}},
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
            ]
        }
    ]
    [dns] = serving["allow-dns"]["egress"]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert sorted((p["protocol"], p["port"]) for p in dns["ports"]) == [("TCP", 53), ("UDP", 53)]
    assert serving["allow-https-egress"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    ]
    # A team that names no other namespace admits none.
    assert "allow-from-namespaces" not in policies_by_name(rec, "research")


@pytest.mark.parametrize(
    ("platform", "endpoints"),
    [
        ("eks", [("169.254.170.23/32", 80)]),
        ("gke", [("169.254.169.254/32", 80), ("169.254.169.252/32", 988)]),
        ("onprem", None),
    ],
)
def test_workload_identity_egress_only_to_the_platforms_credential_endpoint(platform: str, endpoints: Any) -> None:
    spec = KubernetesSpec(teams=TEAMS, gpu_software=GpuSoftwareSpec(mode="none")) if platform == "onprem" else SPEC
    policies = policies_by_name(baseline_preview(spec, platform), "research")
    if endpoints is None:
        assert "allow-workload-identity" not in policies
        return
    rules = policies["allow-workload-identity"]["egress"]
    assert [(r["to"][0]["ipBlock"]["cidr"], r["ports"][0]["port"]) for r in rules] == endpoints


# ---- GPU software ---------------------------------------------------------------------------------------------


def test_eks_default_is_the_operator_with_driver_and_toolkit_off() -> None:
    rec = baseline_preview()
    release = rec.one(RELEASE).inputs
    pin = CHARTS["gpu-operator"]  # the pin table is the only place a version is written
    assert (release["chart"], release["version"], release["namespace"]) == ("gpu-operator", pin.version, "gpu-operator")
    assert release["repositoryOpts"] == {"repo": pin.repo}
    values = release_values(rec)
    assert values["driver"] == {"enabled": False}
    assert values["toolkit"] == {"enabled": False}
    assert values["mig"] == {"strategy": "none"}
    assert values["migManager"] == {"enabled": False}
    assert values["dcgmExporter"] == {"enabled": True}
    assert "devicePlugin" not in values  # no time-slicing asked for
    assert rec.of_type(CONFIG_MAP) == []


def test_gpu_operator_namespace_is_privileged_labelled_and_closed_but_for_dcgm_metrics() -> None:
    rec = baseline_preview()
    labels = named(rec, NAMESPACE, "gpu-operator").inputs["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security.")} == PSA_PRIVILEGED
    assert (labels["purpose"], labels["data-classification"]) == ("gpu-operator", "internal")
    policies = policies_by_name(rec, "gpu-operator")
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    metrics = policies["allow-dcgm-exporter-metrics"]
    assert metrics["podSelector"] == {"matchLabels": {"app": "nvidia-dcgm-exporter"}}
    assert metrics["ingress"] == [{"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 9400}]}]


def test_onprem_default_installs_driver_and_toolkit() -> None:
    values = release_values(baseline_preview(KubernetesSpec(teams=TEAMS), "onprem"))
    assert values["driver"] == {"enabled": True}
    assert values["toolkit"] == {"enabled": True}


def test_operator_mig_strategy_time_slicing_and_dcgm_exporter_follow_the_spec() -> None:
    rec = baseline_preview(KubernetesSpec(gpu_software=TIME_SLICED_ONPREM), "onprem")
    values = release_values(rec)
    assert values["mig"] == {"strategy": "mixed"}
    assert values["migManager"] == {"enabled": True}
    assert values["devicePlugin"] == {"config": {"name": "time-slicing-config", "default": "any"}}
    configmap_reg = named(rec, CONFIG_MAP, "time-slicing-config", "gpu-operator")
    assert configmap_reg.urn in rec.one(RELEASE).dependencies  # installed only once its config exists
    configmap = configmap_reg.inputs
    assert set(configmap["data"]) == {"any"}
    assert yaml.safe_load(configmap["data"]["any"]) == {
        "version": "v1",
        "flags": {"migStrategy": "mixed"},
        "sharing": {"timeSlicing": {"resources": [{"name": "nvidia.com/gpu", "replicas": 4}]}},
    }
    no_dcgm = KubernetesSpec(gpu_software=GpuSoftwareSpec(dcgm_exporter=False))
    rec = baseline_preview(no_dcgm, "onprem")
    assert release_values(rec)["dcgmExporter"] == {"enabled": False}
    assert "allow-dcgm-exporter-metrics" not in policies_by_name(rec, "gpu-operator")


def test_k3s_default_is_the_device_plugin_on_k3s_own_nvidia_runtime_class() -> None:
    rec = baseline_preview(KubernetesSpec(teams=TEAMS), "k3s")
    release = rec.one(RELEASE).inputs
    pin = CHARTS["nvidia-device-plugin"]
    assert (release["chart"], release["version"], release["namespace"]) == (
        "nvidia-device-plugin",
        pin.version,
        "kube-system",
    )
    assert release["repositoryOpts"] == {"repo": pin.repo}
    values = release["values"]
    assert values["runtimeClassName"] == "nvidia"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in values["tolerations"]
    assert values["migStrategy"] == "none"
    assert "config" not in values
    # K3s defines the `nvidia` RuntimeClass itself: a second one would fail to create ("already exists").
    assert rec.of_type(RUNTIME_CLASS) == []
    assert [r for r in rec.of_type(NAMESPACE) if r.inputs["metadata"]["name"] == "gpu-operator"] == []


def test_device_plugin_time_slicing_configmap_is_referenced_by_name_and_default() -> None:
    spec = KubernetesSpec(gpu_software=GpuSoftwareSpec(mode="device-plugin", driver=False, time_slicing_replicas=2))
    rec = baseline_preview(spec, "k3s")
    assert release_values(rec)["config"] == {"name": "time-slicing-config", "default": "any"}
    configmap = named(rec, CONFIG_MAP, "time-slicing-config", "kube-system").inputs
    config = yaml.safe_load(configmap["data"]["any"])
    assert config["sharing"]["timeSlicing"]["resources"] == [{"name": "nvidia.com/gpu", "replicas": 2}]


@pytest.mark.parametrize(
    ("platform", "spec"), [("gke", SPEC), ("eks", KubernetesSpec(gpu_software=GpuSoftwareSpec(mode="none")))]
)
def test_mode_none_creates_no_release_and_no_gpu_namespace(platform: str, spec: KubernetesSpec) -> None:
    rec = baseline_preview(spec, platform)
    assert rec.of_type(RELEASE) == []
    assert rec.of_type(RUNTIME_CLASS) == []
    assert [r for r in rec.of_type(NAMESPACE) if r.inputs["metadata"]["name"] == "gpu-operator"] == []
    assert rec.one(BASELINE).outputs.get("gpuNamespace") is None  # None outputs are left out


def test_an_operator_driver_on_an_image_that_ships_one_is_refused() -> None:
    with pytest.raises(Exception, match="already ships the NVIDIA driver"):
        baseline_preview(KubernetesSpec(gpu_software=GpuSoftwareSpec(mode="operator", driver=True)), "eks")


@pytest.mark.parametrize("team", ["kube-system", "gpu-operator", "default"])
def test_a_team_may_not_take_a_system_namespace(team: str) -> None:
    with pytest.raises(Exception, match="system namespace"):
        baseline_preview(KubernetesSpec(teams=(TeamSpec(name=team),)))


def test_a_team_named_twice_is_refused() -> None:
    with pytest.raises(Exception, match="more than once"):
        baseline_preview(KubernetesSpec(teams=(TeamSpec(name="a"), TeamSpec(name="a"))))


# ---- RBAC -----------------------------------------------------------------------------------------------------


def subjects(reg: Registration) -> list[dict[str, str]]:
    return list(reg.inputs["subjects"])


def groups(*names: str) -> list[dict[str, str]]:
    return [{"kind": "Group", "name": n, "apiGroup": "rbac.authorization.k8s.io"} for n in names]


def test_rbac_subjects_are_exactly_the_configured_groups() -> None:
    rec = baseline_preview()
    admins = named(rec, CLUSTER_ROLE_BINDING, "llmops-platform-admins")
    assert admins.inputs["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "cluster-admin",
    }
    assert subjects(admins) == groups("platform-admins")
    auditors = named(rec, CLUSTER_ROLE_BINDING, "llmops-auditor")
    assert auditors.inputs["roleRef"]["name"] == "llmops-auditor"
    assert subjects(auditors) == groups("auditors")
    # Team roles: one RoleBinding per team namespace, never cluster-wide.
    for team in ("research", "serving"):
        engineers = named(rec, ROLE_BINDING, "llmops-ml-engineer", team)
        assert engineers.inputs["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "llmops-ml-engineer",
        }
        assert subjects(engineers) == groups("ml-engineers", "ml-oncall")
        assert subjects(named(rec, ROLE_BINDING, "llmops-data-scientist", team)) == groups("data-scientists")
    assert len(rec.of_type(ROLE_BINDING)) == 4
    assert len(rec.of_type(CLUSTER_ROLE_BINDING)) == 2


def test_unconfigured_roles_are_bound_to_no_one() -> None:
    rec = baseline_preview(KubernetesSpec(teams=TEAMS, rbac=RbacSpec(platform_admins=())))
    assert rec.of_type(ROLE_BINDING) == []
    assert rec.of_type(CLUSTER_ROLE_BINDING) == []
    assert len(rec.of_type(CLUSTER_ROLE)) == 3


def rules_of(rec: Recording, role: str) -> list[dict[str, Any]]:
    return list(named(rec, CLUSTER_ROLE, role).inputs["rules"])


def grants(rules: list[dict[str, Any]], resource: str) -> set[str]:
    return {verb for rule in rules if resource in rule["resources"] for verb in rule["verbs"]}


def test_no_role_reads_secrets_execs_escalates_or_uses_wildcards() -> None:
    rec = baseline_preview()
    for role in rec.of_type(CLUSTER_ROLE):
        labels = role.inputs["metadata"]["labels"]
        assert "llmops.dev/platform-role" not in labels  # not exempted from the sensitive-access rule
        assert labels["purpose"].startswith("rbac-")
        for rule in role.inputs["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])
            assert not {"secrets", "pods/exec", "pods/attach", "pods/portforward"} & set(rule["resources"])


def test_ml_engineers_manage_workloads_and_data_scientists_create_jobs_and_read_logs() -> None:
    rec = baseline_preview()
    engineer = rules_of(rec, "llmops-ml-engineer")
    for resource in ("deployments", "statefulsets", "jobs", "cronjobs", "pods", "services", "configmaps"):
        assert {"create", "update", "delete"} <= grants(engineer, resource), resource
    assert grants(engineer, "persistentvolumeclaims") >= {"create", "delete"}
    assert grants(engineer, "pods/log") == {"get", "list", "watch"}
    scientist = rules_of(rec, "llmops-data-scientist")
    assert grants(scientist, "jobs") == {"get", "list", "watch", "create"}
    assert grants(scientist, "pods") == {"get", "list", "watch"}
    assert grants(scientist, "pods/log") == {"get", "list", "watch"}
    assert grants(scientist, "deployments") == set()


def test_auditors_only_read_and_not_logs() -> None:
    auditor = rules_of(baseline_preview(), "llmops-auditor")
    assert {verb for rule in auditor for verb in rule["verbs"]} == {"get", "list", "watch"}
    assert grants(auditor, "networkpolicies") and grants(auditor, "clusterrolebindings")
    assert grants(auditor, "pods/log") == set()


# ---- priority classes and outputs ----------------------------------------------------------------------------


def test_inference_outranks_training_and_neither_is_the_global_default() -> None:
    rec = baseline_preview()
    inference = named(rec, PRIORITY_CLASS, "llmops-inference").inputs
    training = named(rec, PRIORITY_CLASS, "llmops-training").inputs
    assert 0 < training["value"] < inference["value"] <= 1_000_000_000
    assert inference["globalDefault"] is False and training["globalDefault"] is False
    assert inference["preemptionPolicy"] == "PreemptLowerPriority"
    assert training["preemptionPolicy"] == "Never"


def test_outputs_name_the_namespaces_and_priority_classes() -> None:
    outputs = baseline_preview().one(BASELINE).outputs
    assert outputs["teamNamespaces"] == {"research": "research", "serving": "serving"}
    assert outputs["gpuNamespace"] == "gpu-operator"
    assert outputs["priorityClasses"] == {"inference": "llmops-inference", "training": "llmops-training"}
    k3s = baseline_preview(KubernetesSpec(), "k3s").one(BASELINE).outputs
    assert (k3s["gpuNamespace"], k3s["runtimeClass"]) == ("kube-system", "nvidia")


def test_every_child_uses_the_provider_passed_in() -> None:
    rec = baseline_preview()
    provider = rec.one("pulumi:providers:kubernetes", "cluster").urn
    objects = [r for r in rec.resources if r.custom and r.type.startswith("kubernetes:")]
    assert objects and all(r.provider.startswith(provider) for r in objects)
