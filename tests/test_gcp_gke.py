"""GkeCluster through the offline engine: private nodes and endpoint, authorized networks only, Workload Identity,
secrets encrypted with the cluster key, shielded nodes on a release channel, control-plane logging, Dataplane V2,
a dedicated node service account with exactly GKE's documented node roles, hardened default and system pools, a
kubeconfig that is a secret without credentials, and the GCP policy rules passing over what it registers."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY
from llmops_infra.components.gcp.gke import GkeCluster
from llmops_infra.components.spec import GkeClusterSpec, GkeSystemNodesSpec
from llmops_infra.policies.runtime.rule import RULES, evaluate
from tests.conftest import preview
from tests.kubeconfig_checks import credential_free_exec, secret_kubeconfig
from tests.rule_judging import DELETE, as_resource, changed, rule_violations
from tests.stack_runs import recording

CONFIG = {"gcp:project": "llmops-test", "gcp:region": "europe-west4"}
NAME = "llm"
REGION = "europe-west4"
KEYS = "projects/llmops-test/locations/europe-west4/keyRings/llm"
DATABASE_KEY = f"{KEYS}/cryptoKeys/cluster"
BOOT_DISK_KEY = f"{KEYS}/cryptoKeys/storage"
LABELS = {"owner": "ml-platform", "purpose": "llm-serving", "data-classification": "phi"}
NODE_SA = "llm-nodes@llmops-test.iam.gserviceaccount.com"

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
ACCOUNT = "gcp:serviceaccount/account:Account"

# The node roles GKE documents for a least-privilege node service account, and image pulls.
DOCUMENTED_NODE_ROLES = {"roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"}
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}


def cluster_preview(spec: GkeClusterSpec | None = None, name: str = NAME) -> Recording:
    def program() -> None:
        GkeCluster(
            name,
            spec or GkeClusterSpec(),
            region=REGION,
            network="projects/llmops-test/global/networks/llm",
            subnetwork="projects/llmops-test/regions/europe-west4/subnetworks/llm-nodes",
            pods_range_name="pods",
            services_range_name="services",
            database_key_id=DATABASE_KEY,
            boot_disk_key_id=BOOT_DISK_KEY,
            labels=LABELS,
        )

    return preview(program, CONFIG)


def cluster_inputs(rec: Recording) -> dict[str, Any]:
    return rec.one(CLUSTER).inputs


def component(rec: Recording) -> Registration:
    return rec.one("llmops:gcp:GkeCluster", NAME)


def assert_hardened_node_config(config: dict[str, Any], service_account: str, boot_disk_key: str) -> None:
    """Every property a node of ours must have, whatever its pool."""
    assert config["serviceAccount"] == service_account
    assert config["oauthScopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert config["bootDiskKmsKey"] == boot_disk_key
    assert config["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert config["metadata"]["disable-legacy-endpoints"] == "true"


# ---- policy rules over a recording ------------------------------------------------------------------------

# Each rule, and one property of ours that, broken, the rule must report: proof that the rule judges what we
# registered rather than passing it by default.
CLUSTER_RULES = {
    "gke-database-encryption": (CLUSTER, ("databaseEncryption", "state"), "DECRYPTED"),
    "gke-node-pool-boot-disk-cmek": (NODE_POOL, ("nodeConfig", "bootDiskKmsKey"), DELETE),
    "gke-private-nodes": (CLUSTER, ("privateClusterConfig", "enablePrivateNodes"), False),
    "gke-master-authorized-networks": (CLUSTER, ("masterAuthorizedNetworksConfig",), DELETE),
    "gke-logging-monitoring": (CLUSTER, ("loggingConfig", "enableComponents"), ["WORKLOADS"]),
    "gke-nodes-not-default-service-account": (CLUSTER, ("nodeConfig", "serviceAccount"), "default"),
    "gke-workload-identity": (NODE_POOL, ("nodeConfig", "workloadMetadataConfig", "mode"), "GCE_METADATA"),
    "gcp-iam-no-primitive-roles": (PROJECT_MEMBER, ("role",), "roles/editor"),
    "data-store-records-of-processing": (CLUSTER, ("resourceLabels", "data-classification"), DELETE),
}


@pytest.mark.parametrize("rule_name", sorted(CLUSTER_RULES))
def test_policy_rules_pass_over_the_cluster_and_fail_when_its_property_breaks(rule_name: str) -> None:
    rec = cluster_preview()
    assert rule_violations(rec, rule_name) == []
    type_, path, value = CLUSTER_RULES[rule_name]
    subject = rec.of_type(type_)[0]
    broken = as_resource(subject, changed(subject.inputs, path, value))
    assert evaluate(RULES[rule_name], broken) != []


@pytest.mark.parametrize(
    "spec",
    [
        GkeClusterSpec(private_endpoint=False, master_authorized_networks=(ipaddress.IPv4Network("203.0.113.0/24"),)),
        GkeClusterSpec(zones=("europe-west4-a", "europe-west4-b"), release_channel="STABLE"),
    ],
)
def test_policy_rules_pass_for_other_specs_too(spec: GkeClusterSpec) -> None:
    rec = cluster_preview(spec)
    for rule_name in CLUSTER_RULES:
        assert rule_violations(rec, rule_name) == [], rule_name


# ---- no-public-access -------------------------------------------------------------------------------------


def test_nodes_and_endpoint_are_private_by_default() -> None:
    private = cluster_inputs(cluster_preview())["privateClusterConfig"]
    assert private["enablePrivateNodes"] is True
    assert private["enablePrivateEndpoint"] is True
    assert private["masterIpv4CidrBlock"] == "172.16.0.0/28"
    assert private["masterGlobalAccessConfig"] == {"enabled": False}


def test_a_public_endpoint_when_asked_still_keeps_nodes_private() -> None:
    spec = GkeClusterSpec(private_endpoint=False, master_ipv4_cidr=ipaddress.IPv4Network("172.16.8.0/28"))
    private = cluster_inputs(cluster_preview(spec))["privateClusterConfig"]
    assert private["enablePrivateEndpoint"] is False
    assert private["enablePrivateNodes"] is True
    assert private["masterIpv4CidrBlock"] == "172.16.8.0/28"


def test_no_authorized_networks_means_only_the_nodes_reach_the_control_plane() -> None:
    config = cluster_inputs(cluster_preview())["masterAuthorizedNetworksConfig"]
    # The SDK: omitting cidrBlocks disallows every external address except the nodes'.
    assert "cidrBlocks" not in config
    assert config["gcpPublicCidrsAccessEnabled"] is False
    assert config["privateEndpointEnforcementEnabled"] is True


def test_authorized_networks_are_exactly_the_listed_ranges() -> None:
    cidrs = (ipaddress.IPv4Network("203.0.113.0/24"), ipaddress.IPv4Network("10.8.0.0/16"))
    config = cluster_inputs(cluster_preview(GkeClusterSpec(master_authorized_networks=cidrs)))[
        "masterAuthorizedNetworksConfig"
    ]
    assert [b["cidrBlock"] for b in config["cidrBlocks"]] == ["203.0.113.0/24", "10.8.0.0/16"]
    assert config["gcpPublicCidrsAccessEnabled"] is False


def test_no_client_certificate_and_no_legacy_abac() -> None:
    inputs = cluster_inputs(cluster_preview())
    assert inputs["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}
    assert inputs["enableLegacyAbac"] is False


# ---- identity and encryption ------------------------------------------------------------------------------


def test_workload_identity_pool_is_the_projects_and_is_an_output() -> None:
    rec = cluster_preview()
    assert cluster_inputs(rec)["workloadIdentityConfig"] == {"workloadPool": "llmops-test.svc.id.goog"}
    assert component(rec).outputs["workload_pool"] == "llmops-test.svc.id.goog"


def test_kubernetes_secrets_are_encrypted_with_the_database_key() -> None:
    encryption = cluster_inputs(cluster_preview())["databaseEncryption"]
    assert encryption == {"state": "ENCRYPTED", "keyName": DATABASE_KEY}


def test_node_service_account_is_dedicated_and_holds_exactly_the_documented_roles() -> None:
    rec = cluster_preview()
    account = rec.one(ACCOUNT)
    assert account.inputs["accountId"] == "llm-nodes"
    grants = rec.of_type(PROJECT_MEMBER)
    assert sorted(g.inputs["role"] for g in grants) == sorted(DOCUMENTED_NODE_ROLES)
    for grant in grants:
        assert grant.inputs["member"] == f"serviceAccount:{NODE_SA}"
        assert grant.inputs["project"] == "llmops-test"
        assert grant.inputs["role"] not in PRIMITIVE_ROLES
    assert component(rec).outputs["node_service_account_email"] == NODE_SA


def test_the_cluster_waits_for_the_node_roles() -> None:
    rec = cluster_preview()
    dependencies = rec.one(CLUSTER).dependencies
    assert all(g.urn in dependencies for g in rec.of_type(PROJECT_MEMBER))


# ---- cluster configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["REGULAR", "STABLE", "EXTENDED"])
def test_shielded_nodes_on_the_spec_release_channel(channel: Any) -> None:
    inputs = cluster_inputs(cluster_preview(GkeClusterSpec(release_channel=channel)))
    assert inputs["enableShieldedNodes"] is True
    assert inputs["releaseChannel"] == {"channel": channel}


def test_control_plane_system_and_workload_logs_and_metrics_are_collected() -> None:
    inputs = cluster_inputs(cluster_preview())
    assert inputs["loggingConfig"]["enableComponents"] == [
        "SYSTEM_COMPONENTS",
        "APISERVER",
        "CONTROLLER_MANAGER",
        "SCHEDULER",
        "WORKLOADS",
    ]
    monitoring = inputs["monitoringConfig"]
    assert "SYSTEM_COMPONENTS" in monitoring["enableComponents"]
    assert monitoring["managedPrometheus"] == {"enabled": True}
    # Left at GKE's defaults (Cloud Logging and Monitoring for Kubernetes), never "none".
    assert "loggingService" not in inputs and "monitoringService" not in inputs


def test_dataplane_v2_enforces_network_policy_without_the_legacy_addon() -> None:
    inputs = cluster_inputs(cluster_preview())
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    assert "networkPolicy" not in inputs
    assert "networkPolicyConfig" not in inputs["addonsConfig"]


def test_vpc_native_on_the_given_network_ranges_and_zones() -> None:
    zones = ("europe-west4-a", "europe-west4-c")
    inputs = cluster_inputs(cluster_preview(GkeClusterSpec(zones=zones)))
    assert inputs["name"] == NAME
    assert inputs["location"] == REGION
    assert inputs["nodeLocations"] == list(zones)
    assert inputs["networkingMode"] == "VPC_NATIVE"
    assert inputs["network"] == "projects/llmops-test/global/networks/llm"
    assert inputs["subnetwork"] == "projects/llmops-test/regions/europe-west4/subnetworks/llm-nodes"
    assert inputs["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "pods",
        "servicesSecondaryRangeName": "services",
    }


def test_no_zones_leaves_node_locations_to_gke() -> None:
    assert "nodeLocations" not in cluster_inputs(cluster_preview())


def test_gcs_fuse_csi_driver_is_enabled_for_model_loading() -> None:
    addons = cluster_inputs(cluster_preview())["addonsConfig"]
    assert addons["gcsFuseCsiDriverConfig"] == {"enabled": True}


@pytest.mark.parametrize("protect", [True, False])
def test_resource_labels_and_deletion_protection(protect: bool) -> None:
    inputs = cluster_inputs(cluster_preview(GkeClusterSpec(deletion_protection=protect)))
    assert inputs["resourceLabels"] == LABELS
    assert inputs["deletionProtection"] is protect


# ---- RBAC groups, Binary Authorization, intranode visibility ----------------------------------------------

SECURITY_GROUP = "gke-security-groups@example.com"


def test_google_groups_binary_authorization_and_intranode_visibility_are_off_by_default():
    inputs = cluster_inputs(cluster_preview())
    # No Google Groups for RBAC: GKE passes no groups, so the config refuses RBAC groups without it.
    assert "authenticatorGroupsConfig" not in inputs
    # Written as DISABLED rather than left out, so turning the switch off disables it on the cluster too.
    assert inputs["binaryAuthorization"] == {"evaluationMode": "DISABLED"}
    assert inputs["enableIntranodeVisibility"] is False


def test_the_security_group_enforcement_and_intranode_visibility_reach_the_cluster():
    spec = GkeClusterSpec(security_group=SECURITY_GROUP, binary_authorization=True, intranode_visibility=True)
    inputs = cluster_inputs(cluster_preview(spec))
    assert inputs["authenticatorGroupsConfig"] == {"securityGroup": SECURITY_GROUP}
    assert inputs["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert "enabled" not in inputs["binaryAuthorization"]  # the SDK's deprecated switch
    assert inputs["enableIntranodeVisibility"] is True


@pytest.mark.parametrize("group", ["platform-admins@example.com", "gke-security-groups", "gke-security-groups@x"])
def test_a_cluster_built_in_code_refuses_a_security_group_the_config_refuses(group: str):
    with pytest.raises(ValueError, match="gke-security-groups"):
        GkeClusterSpec(security_group=group)


def test_the_shipped_prod_gdpr_cluster_has_google_groups_binary_authorization_and_intranode_visibility():
    rec = recording("prod-gdpr")
    inputs = rec.one(CLUSTER).inputs
    assert inputs["authenticatorGroupsConfig"] == {"securityGroup": SECURITY_GROUP}
    assert inputs["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert inputs["enableIntranodeVisibility"] is True
    # Its RBAC bindings name Google Groups by address, in the security group's domain; cluster-admin is bound to
    # nobody (the GDPR pack allows it only for its platformAdminGroup).
    bindings = [r for r in rec.resources if r.type.endswith(":ClusterRoleBinding") or r.type.endswith(":RoleBinding")]
    assert bindings
    subjects = [s for b in bindings for s in b.inputs["subjects"]]
    assert subjects and all(s["kind"] == "Group" and s["name"].endswith("@example.com") for s in subjects)
    assert all(b.inputs["roleRef"]["name"] != "cluster-admin" for b in bindings)


# ---- node pools -------------------------------------------------------------------------------------------


def test_default_pool_is_removed_and_hardened_while_it_exists() -> None:
    rec = cluster_preview()
    inputs = cluster_inputs(rec)
    assert inputs["removeDefaultNodePool"] is True
    assert inputs["initialNodeCount"] == 1
    assert_hardened_node_config(inputs["nodeConfig"], NODE_SA, BOOT_DISK_KEY)
    assert inputs["nodeConfig"]["resourceLabels"] == LABELS
    # Changes after creation go to the system pool, never a replacement of the cluster.
    assert rec.one(CLUSTER).options["ignoreChanges"] == ["nodeConfig"]


def test_system_pool_is_untainted_hardened_and_autoscaled_per_zone() -> None:
    spec = GkeClusterSpec(
        system_nodes=GkeSystemNodesSpec(
            machine_type="n2-standard-8", min_nodes_per_zone=2, max_nodes_per_zone=3, disk_size_gib=200
        )
    )
    rec = cluster_preview(spec)
    pool = rec.one(NODE_POOL)
    config = pool.inputs["nodeConfig"]
    assert_hardened_node_config(config, NODE_SA, BOOT_DISK_KEY)
    assert config["machineType"] == "n2-standard-8"
    assert config["diskSizeGb"] == 200
    assert "taints" not in config
    assert config["labels"] == {"llmops.dev/role": "system"}
    assert config["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert pool.inputs["cluster"] == rec.one(CLUSTER).outputs["id"]
    assert pool.inputs["autoscaling"] == {"minNodeCount": 2, "maxNodeCount": 3, "locationPolicy": "BALANCED"}
    assert pool.inputs["initialNodeCount"] == 2
    assert pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert pool.options["ignoreChanges"] == ["initialNodeCount"]


def test_system_pool_starts_with_a_node_per_zone_even_when_it_may_shrink_to_none() -> None:
    spec = GkeClusterSpec(system_nodes=GkeSystemNodesSpec(min_nodes_per_zone=0, max_nodes_per_zone=2))
    assert cluster_preview(spec).one(NODE_POOL).inputs["initialNodeCount"] == 1


# ---- outputs and kubeconfig -------------------------------------------------------------------------------


def test_outputs_name_the_cluster_its_id_location_and_endpoint() -> None:
    rec = cluster_preview()
    outputs = component(rec).outputs
    cluster = rec.one(CLUSTER).outputs
    assert outputs["cluster_name"] == NAME
    assert outputs["cluster_id"] == cluster["id"] == f"projects/llmops-test/locations/{REGION}/clusters/{NAME}"
    assert outputs["location"] == REGION
    assert outputs["endpoint"] == cluster["endpoint"]
    assert outputs["system_node_pool_name"] == rec.one(NODE_POOL).outputs["name"]


def test_kubeconfig_is_a_secret_output() -> None:
    value = component(cluster_preview()).outputs["kubeconfig"]
    assert value[SIG_KEY] == SECRET_SIG


def test_kubeconfig_authenticates_with_the_gke_auth_plugin_and_embeds_no_credentials() -> None:
    rec = cluster_preview()
    config = secret_kubeconfig(component(rec).outputs["kubeconfig"])
    exec_ = credential_free_exec(config)
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert exec_["command"] == "gke-gcloud-auth-plugin"
    assert exec_["provideClusterInfo"] is True
    assert "args" not in exec_ and "env" not in exec_
    [cluster] = config["clusters"]
    outputs = rec.one(CLUSTER).outputs
    assert cluster["cluster"]["server"] == f"https://{outputs['endpoint']}"
    assert cluster["cluster"]["certificate-authority-data"] == outputs["masterAuth"]["clusterCaCertificate"]
    assert config["current-context"] == f"gke_llmops-test_{REGION}_{NAME}"
    assert "access_token" not in json.dumps(config).lower()


# ---- arguments --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["LLM", "1llm", "llm_cluster", "a" * 41, "llm-"])
def test_a_name_gke_would_reject_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="GKE cluster name"):
        cluster_preview(name=name)


def test_system_minimum_above_maximum_is_refused() -> None:
    spec = GkeClusterSpec(system_nodes=GkeSystemNodesSpec(min_nodes_per_zone=3, max_nodes_per_zone=2))
    with pytest.raises(ValueError, match="minNodesPerZone 3 is above maxNodesPerZone 2"):
        cluster_preview(spec)


def test_a_long_cluster_name_gets_a_service_account_id_iam_accepts() -> None:
    name = "llm-serving-platform-production-eu"
    account = cluster_preview(name=name).one(ACCOUNT).inputs["accountId"]
    assert len(account) <= 30 and account.endswith("-nodes") and account.startswith("llm-serving")
