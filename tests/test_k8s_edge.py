"""EdgeInferenceSite through the offline engine: the K3s site's node patches (exactly its nodes), the RuntimeClass
only on K3s and only when asked, the namespace (restricted Pod Security, records labels, default deny), the
Deployment (digest-pinned image verbatim, the default image a vLLM release pinned by digest, CPU, memory and GPU
requests and limits on every container, probes, restricted security context, model from a claim or fetched by an
init container), the namespace's ResourceQuota (what a rolling update needs, no more) and LimitRange, NetworkPolicy
peers exactly the declared clients, the PDB, and the Kubernetes policy rules passing (and failing on a broken
copy)."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pydantic import TypeAdapter

import llmops_infra.policies.rules.kubernetes  # noqa: F401 - registers the rules
from llmops_infra.cli.recording import Recording
from llmops_infra.components.config.base import PinnedImage
from llmops_infra.components.config.edge import DEFAULT_SERVER_IMAGE, DEFAULT_SERVER_IMAGE_ARCH, check_site
from llmops_infra.components.k8s.edge import EdgeInferenceSite, rollout_pods
from llmops_infra.components.spec import EdgeSiteSpec
from llmops_infra.components.tagging import Tagging
from llmops_infra.policies.runtime.rule import RULES, evaluate, evaluate_stack
from tests.conftest import preview
from tests.k8s_schema import kubernetes_objects, schema_errors
from tests.rule_judging import DELETE, as_resource, changed, rule_violations

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NODE_PATCH = "kubernetes:core/v1:NodePatch"
RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"

IMAGE = "registry.example.com/serving/vllm@sha256:" + "0123456789abcdef" * 4
DOWNLOADER = "public.ecr.aws/aws-cli/aws-cli@sha256:" + "fedcba9876543210" * 4
POD_RULES = (
    "k8s-pod-no-host-access",
    "k8s-pod-privilege",
    "k8s-pod-non-root",
    "k8s-pod-seccomp",
    "k8s-pod-volume-types",
)


def site(kind: str = "k3s", **server: Any) -> EdgeSiteSpec:
    server = {"image": IMAGE, "model_claim": "llama-weights", **server}
    if kind == "k3s":
        return EdgeSiteSpec(
            name="store-7",
            kind="k3s",
            kubeconfig_key="llmops-infra:store-7-kubeconfig",
            nodes=("jetson-a", "jetson-b"),
            server=server,
        )
    return EdgeSiteSpec(
        name="bos",
        kind="local-zone",
        local_zone="us-east-1-bos-1a",
        instance_type="g6.xlarge",
        subnet_cidr="10.0.200.0/24",
        server=server,
    )


def site_preview(spec: EdgeSiteSpec, classification: str = "internal", **kwargs: Any) -> Recording:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        EdgeInferenceSite(
            "edge",
            spec,
            tagging=Tagging("Platform Team", classification),
            **kwargs,
            opts=pulumi.ResourceOptions(provider=provider),
        )

    return preview(program)


def pod(rec: Recording) -> dict[str, Any]:
    return rec.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]


def server_container(rec: Recording) -> dict[str, Any]:
    [container] = pod(rec)["containers"]
    return container


def policies(rec: Recording) -> dict[str, dict[str, Any]]:
    return {p.inputs["metadata"]["name"]: p.inputs for p in rec.of_type(NETWORK_POLICY)}


def fetched() -> dict[str, Any]:
    return {"model_claim": None, "model_uri": "s3://llmops-models/llama-3-8b/"}


# ---- schema --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "server", "kwargs"),
    [
        ("k3s", {"replicas": 2, "client_cidrs": ["192.168.10.0/24"], "client_namespaces": ["pos"]}, {}),
        ("local-zone", {**fetched(), "replicas": 3}, {"downloader_image": DOWNLOADER}),
    ],
)
def test_every_object_validates_against_upstream_schemas(kind: str, server: dict[str, Any], kwargs: Any) -> None:
    rec = site_preview(site(kind, **server), **kwargs)
    objects = kubernetes_objects(rec)
    assert {DEPLOYMENT, LIMIT_RANGE, NAMESPACE, NETWORK_POLICY, RESOURCE_QUOTA, SERVICE, SERVICE_ACCOUNT} <= {
        r.type for r in objects
    }
    assert [e for r in objects for e in schema_errors(r)] == []


# ---- nodes and runtime ----------------------------------------------------------------------------------------


def test_k3s_site_patches_exactly_its_nodes() -> None:
    rec = site_preview(site("k3s"))
    found = rec.of_type(NODE_PATCH)
    assert sorted(p.inputs["metadata"]["name"] for p in found) == ["jetson-a", "jetson-b"]
    for patch in found:
        assert patch.inputs["metadata"]["labels"]["llmops.dev/pool"] == "store-7"
        assert patch.inputs["metadata"]["labels"]["llmops.dev/accelerator"] == "nvidia-l4"
        assert patch.inputs["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]


def test_local_zone_site_patches_no_node() -> None:
    assert site_preview(site("local-zone")).of_type(NODE_PATCH) == []


def test_runtime_class_name_only_on_k3s() -> None:
    assert pod(site_preview(site("k3s")))["runtimeClassName"] == "nvidia"
    assert "runtimeClassName" not in pod(site_preview(site("local-zone")))


def test_no_site_creates_a_runtime_class() -> None:
    # K3s defines `nvidia` itself; a second object of that name would fail to create.
    assert site_preview(site("k3s")).of_type(RUNTIME_CLASS) == []
    assert site_preview(site("local-zone")).of_type(RUNTIME_CLASS) == []


def test_sensitive_site_labels_its_nodes_and_selects_them() -> None:
    rec = site_preview(site("k3s"), classification="phi")
    for patch in rec.of_type(NODE_PATCH):
        assert patch.inputs["metadata"]["labels"]["llmops.dev/allow-phi"] == "true"
    assert pod(rec)["nodeSelector"] == {"llmops.dev/pool": "store-7", "llmops.dev/allow-phi": "true"}
    # An internal site needs no placement label.
    assert pod(site_preview(site("k3s")))["nodeSelector"] == {"llmops.dev/pool": "store-7"}


# ---- namespace -----------------------------------------------------------------------------------------------


def test_namespace_enforces_restricted_and_carries_records_labels() -> None:
    labels = site_preview(site("k3s"), classification="personal").one(NAMESPACE).inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["owner"] == "Platform-Team"  # a valid label value as it is (records labels keep the tag's case)
    assert labels["purpose"] == "edge-inference-store-7"
    assert labels["data-classification"] == "personal"


def test_records_rule_passes_on_the_namespace() -> None:
    assert rule_violations(site_preview(site("k3s")), "k8s-records-of-processing") == []


def test_namespace_has_a_default_deny_and_the_rule_would_see_it_missing() -> None:
    rec = site_preview(site("k3s", client_namespaces=["pos"]))
    rule = RULES["k8s-namespace-default-deny"]
    resources = [as_resource(r) for r in rec.resources if r.custom]
    assert evaluate_stack(rule, resources) == []
    deny = policies(rec)["default-deny-ingress"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    without_deny = [r for r in resources if r.props.get("metadata", {}).get("name") != "default-deny-ingress"]
    assert [m for _, m in evaluate_stack(rule, without_deny)]


# ---- the Deployment ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["k3s", "local-zone"])
def test_pod_security_rules_pass(kind: str) -> None:
    rec = site_preview(site(kind, **fetched()), downloader_image=DOWNLOADER)
    for name in POD_RULES:
        assert rule_violations(rec, name) == [], name


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        (("containers", 0, "securityContext", "runAsNonRoot"), False, "k8s-pod-non-root"),
        (("securityContext", "runAsUser"), 0, "k8s-pod-non-root"),
        (("securityContext", "seccompProfile"), DELETE, "k8s-pod-seccomp"),
        (("initContainers", 0, "securityContext", "allowPrivilegeEscalation"), DELETE, "k8s-pod-privilege"),
        (("containers", 0, "securityContext", "capabilities", "drop"), [], "k8s-pod-privilege"),
    ],
)
def test_pod_security_rules_fail_on_a_broken_copy(path: tuple[Any, ...], value: Any, rule: str) -> None:
    rec = site_preview(site("k3s", **fetched()), downloader_image=DOWNLOADER)
    deployment = rec.one(DEPLOYMENT)
    broken = changed(deployment.inputs, ("spec", "template", "spec", *path), value)
    assert evaluate(RULES[rule], as_resource(deployment, broken))


def test_container_security_context_is_restricted_with_a_read_only_root() -> None:
    rec = site_preview(site("k3s", **fetched()), downloader_image=DOWNLOADER)
    spec = pod(rec)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in spec["containers"] + spec["initContainers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["readOnlyRootFilesystem"] is True
        assert context["runAsNonRoot"] is True and context["runAsUser"] != 0
        assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/tmp", "/models"}
    assert {v["name"]: v for v in spec["volumes"]}["tmp"] == {"name": "tmp", "emptyDir": {}}


@pytest.mark.parametrize("kind", ["k3s", "local-zone"])
def test_digest_pinned_image_is_used_verbatim(kind: str) -> None:
    assert server_container(site_preview(site(kind)))["image"] == IMAGE


def test_gpu_limit_toleration_priority_and_args() -> None:
    rec = site_preview(site("k3s", gpus=2, args=["--model", "/models", "--port", "8000"]))
    container = server_container(rec)
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert "nvidia.com/gpu" not in container["resources"]["requests"]  # requested by its limit
    assert container["args"] == ["--model", "/models", "--port", "8000"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    spec = pod(rec)
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert spec["priorityClassName"] == "llmops-inference"


def test_server_requests_and_limits_cpu_and_memory_as_configured() -> None:
    rec = site_preview(site("k3s", cpu=4, cpu_limit=8, memory_gib=24, memory_limit_gib=48))
    assert server_container(rec)["resources"] == {
        "requests": {"cpu": "4", "memory": "24Gi"},
        "limits": {"cpu": "8", "memory": "48Gi", "nvidia.com/gpu": "1"},
    }


def test_server_defaults_are_vllms_kubernetes_example() -> None:
    # docs/deployment/k8s.md of vllm-project/vllm: requests 2 CPUs and 6G, limits 10 CPUs and 20G (GiB here).
    assert server_container(site_preview(site("local-zone")))["resources"] == {
        "requests": {"cpu": "2", "memory": "6Gi"},
        "limits": {"cpu": "10", "memory": "20Gi", "nvidia.com/gpu": "1"},
    }


def test_model_fetcher_has_requests_and_limits() -> None:
    rec = site_preview(site("local-zone", **fetched()), downloader_image=DOWNLOADER)
    [init] = pod(rec)["initContainers"]
    assert init["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    }


@pytest.mark.parametrize(
    ("server", "key"),
    [
        ({"cpu": 12}, r"server\.cpu: more than cpuLimit \(10\)"),
        ({"memory_gib": 32}, r"server\.memoryGib: more than memoryLimitGib \(20\)"),
    ],
)
def test_a_request_above_its_limit_is_refused(server: dict[str, Any], key: str) -> None:
    with pytest.raises(Exception, match=key):
        site_preview(site("k3s", **server))


def test_the_config_check_names_the_key_and_the_limit() -> None:
    [problem] = check_site(site("local-zone", cpu=4, cpu_limit=2), ("edge", "sites", 0))
    assert problem.path == ("edge", "sites", 0, "server", "cpu")
    assert problem.value == 4
    assert problem.message == "more than cpuLimit (2); request at most the limit, or raise cpuLimit"
    assert check_site(site("local-zone", cpu=2, cpu_limit=2, memory_gib=20, memory_limit_gib=20)) == []


def test_probes_use_the_health_path() -> None:
    container = server_container(site_preview(site("k3s", health_path="/v1/health", port=9000)))
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/v1/health", "port": "http"}
    # Loading weights takes minutes: liveness only starts judging once startup has passed.
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 600


def test_model_claim_is_mounted_read_only_without_an_init_container() -> None:
    rec = site_preview(site("k3s", model_claim="llama-weights"))
    spec = pod(rec)
    assert "initContainers" not in spec
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["models"]["persistentVolumeClaim"] == {"claimName": "llama-weights", "readOnly": True}
    mount = next(m for m in server_container(rec)["volumeMounts"] if m["name"] == "models")
    assert mount == {"name": "models", "mountPath": "/models", "readOnly": True}


@pytest.mark.parametrize(
    ("uri", "command"),
    [
        (
            "s3://llmops-models/llama/",
            ["aws", "s3", "sync", "--only-show-errors", "s3://llmops-models/llama/", "/models"],
        ),
        (
            "gs://llmops-models/llama",
            ["gcloud", "storage", "rsync", "--recursive", "gs://llmops-models/llama", "/models"],
        ),
    ],
)
def test_model_uri_is_fetched_by_a_pinned_init_container_into_an_empty_dir(uri: str, command: list[str]) -> None:
    rec = site_preview(site("local-zone", model_claim=None, model_uri=uri), downloader_image=DOWNLOADER)
    spec = pod(rec)
    [init] = spec["initContainers"]
    assert init["image"] == DOWNLOADER
    assert init["command"] == command
    assert {v["name"]: v for v in spec["volumes"]}["models"] == {"name": "models", "emptyDir": {}}
    # The server only reads what was fetched.
    mount = next(m for m in server_container(rec)["volumeMounts"] if m["name"] == "models")
    assert mount["readOnly"] is True


def test_service_account_carries_the_workload_identity_and_no_token() -> None:
    role = {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/edge-bos"}
    rec = site_preview(site("local-zone"), service_account_annotations=role)
    account = rec.one(SERVICE_ACCOUNT).inputs
    assert account["metadata"]["annotations"] == role
    assert account["automountServiceAccountToken"] is False
    assert pod(rec)["serviceAccountName"] == account["metadata"]["name"]
    assert pod(rec)["automountServiceAccountToken"] is False
    assert "annotations" not in site_preview(site("local-zone")).one(SERVICE_ACCOUNT).inputs["metadata"]


def test_service_is_cluster_ip_on_the_server_port() -> None:
    service = site_preview(site("k3s", port=9000)).one(SERVICE).inputs["spec"]
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [{"name": "http", "port": 9000, "targetPort": "http", "protocol": "TCP"}]


# ---- the default image -------------------------------------------------------------------------------------


def test_the_default_image_is_a_vllm_release_pinned_by_digest() -> None:
    assert TypeAdapter(PinnedImage).validate_python(DEFAULT_SERVER_IMAGE) == DEFAULT_SERVER_IMAGE
    assert re.fullmatch(r"docker\.io/vllm/vllm-openai:v0\.\d+\.\d+@sha256:[0-9a-f]{64}", DEFAULT_SERVER_IMAGE)
    # Not the arm64-only nightly it replaces.
    assert "b0501f99" not in DEFAULT_SERVER_IMAGE


@pytest.mark.parametrize("kind", ["k3s", "local-zone"])
def test_a_site_without_an_image_runs_the_default(kind: str) -> None:
    spec = site(kind)
    unset = spec.model_copy(update={"server": type(spec.server)(model_claim="llama-weights")})
    assert server_container(site_preview(unset))["image"] == DEFAULT_SERVER_IMAGE


@pytest.mark.parametrize("kind", ["k3s", "local-zone"])
def test_the_default_image_runs_only_on_nodes_of_its_architecture(kind: str) -> None:
    spec = site(kind)
    default = spec.model_copy(update={"server": type(spec.server)(model_claim="llama-weights")})
    assert pod(site_preview(default))["nodeSelector"]["kubernetes.io/arch"] == DEFAULT_SERVER_IMAGE_ARCH == "amd64"
    # An image the site names itself may be multi-arch: no architecture is assumed for it.
    assert "kubernetes.io/arch" not in pod(site_preview(spec))["nodeSelector"]


# ---- namespace quota and container defaults ------------------------------------------------------------------


def quantity(value: str) -> float:
    """The Kubernetes quantities these objects use: cores, millicores, Mi and Gi."""
    for suffix, factor in (("m", 1e-3), ("Mi", 2**20), ("Gi", 2**30)):
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * factor
    return float(value)


def pod_totals(spec: dict[str, Any]) -> dict[str, float]:
    """A pod's requests and limits as the quota counts them: per resource, the larger of the sum of its
    containers' and of any one init container's."""
    totals: dict[str, float] = {}
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            containers = sum(quantity(c["resources"][kind][resource]) for c in spec["containers"])
            inits = [quantity(c["resources"][kind][resource]) for c in spec.get("initContainers", [])]
            totals[f"{kind}.{resource}"] = max([containers, *inits])
    totals["requests.nvidia.com/gpu"] = sum(
        quantity(c["resources"]["limits"]["nvidia.com/gpu"]) for c in spec["containers"]
    )
    return totals


@pytest.mark.parametrize(("replicas", "pods"), [(1, 2), (2, 3), (4, 5), (5, 7), (100, 125)])
def test_a_rolling_update_runs_the_replicas_plus_a_quarter_rounded_up(replicas: int, pods: int) -> None:
    assert rollout_pods(replicas) == pods


def test_namespace_quota_is_the_servers_needs_during_a_rolling_update() -> None:
    rec = site_preview(
        site("k3s", replicas=2, gpus=1, cpu=4, cpu_limit=8, memory_gib=16, memory_limit_gib=24), classification="phi"
    )
    quota = rec.one(RESOURCE_QUOTA).inputs
    assert quota["metadata"]["name"] == "edge-quota"
    assert quota["metadata"]["namespace"] == "edge-store-7"
    assert quota["metadata"]["labels"]["data-classification"] == "phi"
    # Two replicas and one surge pod.
    assert quota["spec"]["hard"] == {
        "requests.nvidia.com/gpu": "3",
        "requests.google.com/tpu": "0",
        "requests.aws.amazon.com/neuron": "0",
        "requests.cpu": "12",
        "requests.memory": "48Gi",
        "limits.cpu": "24",
        "limits.memory": "72Gi",
        "pods": "3",
    }


@pytest.mark.parametrize(
    ("kind", "server", "kwargs"),
    [
        ("k3s", {"replicas": 1}, {}),
        ("k3s", {"replicas": 5, "gpus": 2, "cpu": 3, "memory_gib": 10, "memory_limit_gib": 12}, {}),
        ("local-zone", {**fetched(), "replicas": 3, "memory_gib": 1, "memory_limit_gib": 2, "cpu_limit": 1, "cpu": 1},
         {"downloader_image": DOWNLOADER}),
    ],
)  # fmt: skip
def test_the_quota_admits_the_rollouts_pods_and_not_one_more(kind: str, server: dict[str, Any], kwargs: Any) -> None:
    rec = site_preview(site(kind, **server), **kwargs)
    hard = {k: quantity(v) for k, v in rec.one(RESOURCE_QUOTA).inputs["spec"]["hard"].items()}
    per_pod = pod_totals(pod(rec))
    pods = rollout_pods(rec.one(DEPLOYMENT).inputs["spec"]["replicas"])
    assert hard["pods"] == pods
    for key, each in per_pod.items():
        assert each * pods <= hard[key], key
        assert each * (pods + 1) > hard[key], key
    assert hard["requests.google.com/tpu"] == hard["requests.aws.amazon.com/neuron"] == 0


def test_namespace_limit_range_gives_containers_defaults() -> None:
    [limits] = site_preview(site("k3s")).of_type(LIMIT_RANGE)
    assert limits.inputs["metadata"]["name"] == "container-defaults"
    assert limits.inputs["metadata"]["namespace"] == "edge-store-7"
    [item] = limits.inputs["spec"]["limits"]
    assert item == {
        "type": "Container",
        "default": {"cpu": "1", "memory": "2Gi"},
        "defaultRequest": {"cpu": "250m", "memory": "512Mi"},
    }


# ---- network policy and disruption budget ---------------------------------------------------------------------


def test_network_policy_admits_exactly_the_declared_clients_on_the_server_port() -> None:
    rec = site_preview(
        site("k3s", client_cidrs=["192.168.10.0/24", "10.20.0.0/16"], client_namespaces=["pos", "kiosk"])
    )
    allow = policies(rec)["allow-declared-clients"]["spec"]
    assert allow["podSelector"] == rec.one(DEPLOYMENT).inputs["spec"]["selector"]
    assert allow["policyTypes"] == ["Ingress"]
    [rule] = allow["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    assert rule["from"] == [
        {"ipBlock": {"cidr": "192.168.10.0/24"}},
        {"ipBlock": {"cidr": "10.20.0.0/16"}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "pos"}}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kiosk"}}},
    ]


def test_no_declared_client_means_no_allow_policy() -> None:
    assert sorted(policies(site_preview(site("k3s")))) == ["default-deny-ingress"]


def test_every_object_lands_in_the_site_namespace() -> None:
    rec = site_preview(site("k3s", replicas=2, client_namespaces=["pos"]))
    namespaced = [r for r in kubernetes_objects(rec) if r.type not in (NAMESPACE, NODE_PATCH, RUNTIME_CLASS)]
    assert {r.inputs["metadata"]["namespace"] for r in namespaced} == {"edge-store-7"}


@pytest.mark.parametrize(("replicas", "budgets"), [(1, 0), (2, 1), (5, 1)])
def test_disruption_budget_only_with_more_than_one_replica(replicas: int, budgets: int) -> None:
    rec = site_preview(site("k3s", replicas=replicas))
    assert rec.one(DEPLOYMENT).inputs["spec"]["replicas"] == replicas
    found = rec.of_type(PDB)
    assert len(found) == budgets
    if found:
        assert found[0].inputs["spec"]["maxUnavailable"] == 1
        assert found[0].inputs["spec"]["selector"] == rec.one(DEPLOYMENT).inputs["spec"]["selector"]


# ---- refusals ------------------------------------------------------------------------------------------------


def test_model_uri_without_a_downloader_image_is_refused() -> None:
    with pytest.raises(Exception, match="downloaderImage"):
        site_preview(site("local-zone", **fetched()))


def test_downloader_image_may_come_from_the_spec() -> None:
    rec = site_preview(site("local-zone", **fetched(), downloader_image=DOWNLOADER))
    assert pod(rec)["initContainers"][0]["image"] == DOWNLOADER


@pytest.mark.parametrize("server", [{"model_claim": None}, {"model_uri": "s3://llmops-models/x"}])
def test_exactly_one_model_source(server: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="server: set exactly one of modelUri"):
        site_preview(site("k3s", **server), downloader_image=DOWNLOADER)
