"""A private, regional GKE Standard cluster for LLM serving and training, and its untainted system node pool.

Controls it satisfies by default: encryption-at-rest (Kubernetes secrets encrypted with a Cloud KMS key, boot
disks with another), no-public-access (private nodes, private endpoint unless the spec opens it, authorized
networks enforced and never 0.0.0.0/0), audit-logging (control-plane and system logs to Cloud Logging),
least-privilege (nodes run as a dedicated service account holding only GKE's node role; pods reach Google APIs
through Workload Identity, never through the node) and network-isolation (Dataplane V2 enforces
NetworkPolicy).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_gcp as gcp

from llmops_infra.components.gcp.nodepool import PoolCluster, node_config_args
from llmops_infra.components.spec import GkeClusterSpec, GkeSystemNodesSpec
from llmops_infra.components.tagging import pool_labels

# The least-privilege node service account: GKE's own role for node service accounts ("At a minimum, these node
# service accounts must have the Kubernetes Engine Default Node Service Account
# (roles/container.defaultNodeServiceAccount) role", cloud.google.com/kubernetes-engine/security/
# configure-node-service-accounts), plus image pulls from Artifact Registry (CIS GKE Benchmark v2.0.0 5.2.1:
# "roles/artifactregistry.reader for pulling private images from Artifact Registry repositories").
NODE_ROLES: tuple[str, ...] = ("roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader")

# pulumi_gcp logging_config.enable_components: the control plane (API server, controller manager, scheduler),
# system components and workload stdout, so an incident can be reconstructed from Cloud Logging.
LOG_COMPONENTS = ("SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS")
# pulumi_gcp monitoring_config.enable_components (Managed Service for Prometheus is enabled beside them).
METRIC_COMPONENTS = ("SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER")
# pulumi_gcp datapath_provider: "Set to `ADVANCED_DATAPATH` to enable Dataplane v2". Kubernetes NetworkPolicy
# "is always on in clusters with Dataplane V2" (GKE Dataplane V2 doc), so the legacy Calico network_policy
# addon is not enabled beside it.
DATAPATH = "ADVANCED_DATAPATH"

# pulumi_gcp ClusterBinaryAuthorizationArgs.evaluation_mode: "Valid values are `DISABLED` and
# `PROJECT_SINGLETON_POLICY_ENFORCE`" (the deprecated `enabled` is not used). ENFORCE evaluates the project's
# policy, "Each Google Cloud project can have exactly one policy" (cloud.google.com/binary-authorization/docs/
# key-concepts); this component does not write that policy.
BINAUTHZ_ENFORCE = "PROJECT_SINGLETON_POLICY_ENFORCE"
BINAUTHZ_DISABLED = "DISABLED"

# `gcloud container clusters get-credentials` writes this user; kubectl runs the plugin for a short-lived token
# from the caller's own Google credentials (cloud.google.com/blog/products/containers-kubernetes/
# kubectl-auth-changes-in-gke).
KUBECONFIG_EXEC_API = "client.authentication.k8s.io/v1beta1"
AUTH_PLUGIN = "gke-gcloud-auth-plugin"
AUTH_PLUGIN_HINT = (
    "Install gke-gcloud-auth-plugin for use with kubectl by following "
    "https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke"
)

# GKE cluster names: lower-case letters, digits and hyphens, starting with a letter, at most 40 characters.
CLUSTER_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
# pulumi_gcp serviceaccount.Account.account_id: 6-30 characters, RFC 1035.
ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]{4,28}[a-z0-9])$")


def account_id(name: str, suffix: str) -> str:
    """A service account id for `name`: `<name>-<suffix>`, shortened to the 30 characters IAM allows."""
    value = f"{name[: 30 - len(suffix) - 1]}-{suffix}".replace("--", "-")
    if not ACCOUNT_ID.match(value):
        raise ValueError(f"{value!r} is not a valid service account id (6-30 of a-z, 0-9, '-', starting with a letter)")
    return value


def kubeconfig(name: str, context: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig (JSON, which is also YAML) whose user runs gke-gcloud-auth-plugin at use time: nothing in it
    grants access by itself."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": context, "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
            "preferences": {},
            "users": [
                {
                    "name": context,
                    "user": {
                        "exec": {
                            "apiVersion": KUBECONFIG_EXEC_API,
                            "command": AUTH_PLUGIN,
                            "installHint": AUTH_PLUGIN_HINT,
                            "provideClusterInfo": True,
                            "interactiveMode": "IfAvailable",
                        }
                    },
                }
            ],
        },
        indent=2,
    )


class GkeCluster(pulumi.ComponentResource):
    """A private, regional GKE Standard cluster named `name`, its node service account and untainted system pool.

    The cluster is VPC-native on an existing subnet with secondary ranges for pods and services (PrivateNetwork).
    GKE's default pool is removed once the cluster exists; until then it runs the system nodes' hardened
    configuration. Accelerator pools are separate components (GpuNodePool, TpuNodePool) given `pool_cluster`.

    Args:
        name: The GKE cluster's name (1 to 40 of a-z, 0-9 and `-`, starting with a letter; ValueError otherwise),
            also the prefix of every child; the node service account's id is `<name>-nodes`, shortened to 30.
        spec: GkeClusterSpec: release channel, control-plane range and access, zones, system nodes, deletion
            protection, Google Groups for RBAC, Binary Authorization, intranode visibility. System nodes with a
            minimum above their maximum raise ValueError.
        region: The cluster's region (regional cluster).
        network: The VPC (PrivateNetwork.network_id).
        subnetwork: The node subnet (PrivateNetwork.subnet_id).
        pods_range_name: The subnet's secondary range for pods (PrivateNetwork.pods_range_name).
        services_range_name: The subnet's secondary range for services (PrivateNetwork.services_range_name).
        database_key_id: The Cloud KMS key that encrypts Kubernetes Secrets (CloudKmsKeys.key_id("cluster")).
        boot_disk_key_id: The Cloud KMS key of every node's boot disk (CloudKmsKeys.key_id("storage")).
        labels: Resource labels of the cluster and of every node (Tagging.tags).
        opts: Resource options; the provider decides the project.

    Outputs:
        cluster: The `gcp.container.Cluster`.
        system_nodes: The system `gcp.container.NodePool` (registered output `system_node_pool_name`).
        node_service_account: The nodes' `gcp.serviceaccount.Account`.
        cluster_name: The cluster's name.
        cluster_id: Its id.
        location: Its region.
        endpoint: The control plane's address.
        workload_pool: The Workload Identity pool, `<project>.svc.id.goog` (WorkloadServiceAccount takes it).
        node_service_account_email: The node service account's email.
        kubeconfig: A secret kubeconfig whose user runs gke-gcloud-auth-plugin with the caller's own credentials.
        pool_cluster: The PoolCluster accelerator pools join with: cluster id, region, zones, node account, boot
            disk key.

    Security:
        - Private networking: private nodes; a private endpoint unless `spec.private_endpoint` is false; master
          authorized networks enforced on the private endpoint too, with only the nodes and
          `spec.master_authorized_networks` allowed and Google Cloud's public ranges not; no global access to the
          private endpoint.
        - Encryption at rest: Kubernetes Secrets encrypted at the application layer with `database_key_id`; every
          node's boot disk with `boot_disk_key_id`.
        - Least privilege: nodes run as a dedicated service account holding only
          roles/container.defaultNodeServiceAccount and roles/artifactregistry.reader; pods reach Google APIs through
          Workload Identity (GKE metadata server), never the node's credentials; legacy ABAC off; no client
          certificate.
        - Node hardening: Shielded nodes with secure boot and integrity monitoring; legacy metadata endpoints off.
        - Audit logging: system, API server, controller manager, scheduler and workload logs to Cloud Logging;
          metrics with Managed Service for Prometheus.
        - Network isolation: Dataplane V2, which always enforces NetworkPolicy; security posture BASIC. With
          `spec.intranode_visibility`, traffic between pods on one node goes through the VPC network too, so VPC
          firewall rules and flow logs see it.
        - RBAC: with `spec.security_group` (`gke-security-groups@<domain>`), GKE passes users' Google Groups to
          Kubernetes RBAC, so ClusterBaseline's bindings of Google Group addresses take effect.
        - Supply chain: with `spec.binary_authorization`, Binary Authorization enforces the project's policy
          (PROJECT_SINGLETON_POLICY_ENFORCE) on every pod; otherwise its evaluation mode is DISABLED.
        - Deletion protection as `spec.deletion_protection` (default on). The kubeconfig is a Pulumi secret.
    """

    cluster: gcp.container.Cluster
    system_nodes: gcp.container.NodePool
    node_service_account: gcp.serviceaccount.Account
    cluster_name: pulumi.Output[str]
    cluster_id: pulumi.Output[str]
    location: str
    endpoint: pulumi.Output[str]
    workload_pool: pulumi.Output[str]
    node_service_account_email: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    pool_cluster: PoolCluster

    def __init__(
        self,
        name: str,
        spec: GkeClusterSpec,
        *,
        region: str,
        network: pulumi.Input[str],
        subnetwork: pulumi.Input[str],
        pods_range_name: pulumi.Input[str],
        services_range_name: pulumi.Input[str],
        database_key_id: pulumi.Input[str],
        boot_disk_key_id: pulumi.Input[str],
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not CLUSTER_NAME.match(name):
            raise ValueError(f"{name!r} is not a GKE cluster name (1-40 of a-z, 0-9, '-', starting with a letter)")
        system = spec.system_nodes
        if system.min_nodes_per_zone > system.max_nodes_per_zone:
            raise ValueError(
                f"system nodes: minNodesPerZone {system.min_nodes_per_zone} is above maxNodesPerZone "
                f"{system.max_nodes_per_zone}"
            )
        node_account_id = account_id(name, "nodes")
        super().__init__("llmops:gcp:GkeCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        project = gcp.organizations.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).project
        labels = dict(labels)
        self.location = region

        self.node_service_account = gcp.serviceaccount.Account(
            f"{name}-nodes",
            account_id=node_account_id,
            display_name=f"GKE nodes of {name}",
            description=f"Runs the nodes of GKE cluster {name}: logs, metrics and image pulls only",
            opts=child,
        )
        grants = [
            gcp.projects.IAMMember(
                f"{name}-nodes-{role.removeprefix('roles/').replace('.', '-')}",
                project=project,
                role=role,
                member=self.node_service_account.member,
                opts=child,
            )
            for role in NODE_ROLES
        ]
        self.node_service_account_email = self.node_service_account.email
        self.workload_pool = pulumi.Output.concat(project, ".svc.id.goog")

        authorized = [
            gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(cidr_block=str(c), display_name=str(c))
            for c in spec.master_authorized_networks
        ]
        self.cluster = gcp.container.Cluster(
            f"{name}-cluster",
            name=name,
            location=region,
            node_locations=list(spec.zones) or None,
            network=network,
            subnetwork=subnetwork,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=pods_range_name,
                services_secondary_range_name=services_range_name,
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=spec.private_endpoint,
                master_ipv4_cidr_block=str(spec.master_ipv4_cidr),
                # The private endpoint answers only inside the cluster's region unless this is opened.
                master_global_access_config=gcp.container.ClusterPrivateClusterConfigMasterGlobalAccessConfigArgs(
                    enabled=False
                ),
            ),
            # No cidr_blocks: "disallow external access (except the cluster node IPs)" (the SDK). The listed
            # networks are the only others, on the private endpoint too, and never all of Google Cloud's IPs.
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=authorized or None,
                gcp_public_cidrs_access_enabled=False,
                private_endpoint_enforcement_enabled=True,
            ),
            master_auth=gcp.container.ClusterMasterAuthArgs(
                client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False
                )
            ),
            enable_legacy_abac=False,
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(workload_pool=self.workload_pool),
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=database_key_id
            ),
            enable_shielded_nodes=True,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=spec.release_channel),
            logging_config=gcp.container.ClusterLoggingConfigArgs(enable_components=list(LOG_COMPONENTS)),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=list(METRIC_COMPONENTS),
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True),
            ),
            datapath_provider=DATAPATH,
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                # Model weights are read from Cloud Storage as a volume (needs Workload Identity, set above).
                gcs_fuse_csi_driver_config=gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True),
                gce_persistent_disk_csi_driver_config=(
                    gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(enabled=True)
                ),
            ),
            # pulumi_gcp security_posture_config.mode BASIC: the Kubernetes security posture's workload
            # configuration audit, which GKE offers at no charge.
            security_posture_config=gcp.container.ClusterSecurityPostureConfigArgs(mode="BASIC"),
            # Google Groups for RBAC: GKE passes a user's Google Groups (members of this group) to RBAC by their
            # email addresses (components/config/gcp.py check_gke_rbac has the sources).
            authenticator_groups_config=(
                gcp.container.ClusterAuthenticatorGroupsConfigArgs(security_group=spec.security_group)
                if spec.security_group is not None
                else None
            ),
            # Always written, so turning it off in the spec turns it off on the cluster.
            binary_authorization=gcp.container.ClusterBinaryAuthorizationArgs(
                evaluation_mode=BINAUTHZ_ENFORCE if spec.binary_authorization else BINAUTHZ_DISABLED
            ),
            # Intranode visibility: "traffic sent from one Pod to another Pod is processed by the cluster's Virtual
            # Private Cloud (VPC) network, even if the Pods are on the same node"; "disabled by default on Standard
            # clusters" (cloud.google.com/kubernetes-engine/docs/how-to/intranode-visibility).
            enable_intranode_visibility=spec.intranode_visibility,
            # GKE always creates a default pool; it is deleted once the cluster exists, and until then it runs
            # hardened like every other pool, so no node ever runs as the Compute Engine default account.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=gcp.container.ClusterNodeConfigArgs(
                **self._system_node_config(system, boot_disk_key_id, labels)
            ),
            resource_labels=labels,
            deletion_protection=spec.deletion_protection,
            # Nodes of the default pool log and pull images as soon as they boot. Its node_config matters only
            # at creation (the pool is gone after), and the provider replaces a cluster whose node_config
            # changes: later changes belong to the system pool.
            opts=pulumi.ResourceOptions(parent=self, depends_on=grants, ignore_changes=["nodeConfig"]),
        )
        self.cluster_name = self.cluster.name
        self.cluster_id = self.cluster.id
        self.endpoint = self.cluster.endpoint

        self.system_nodes = self._system_pool(name, system, boot_disk_key_id, labels)
        # What the GPU and TPU pools of this cluster join with (components/gcp/nodepool.py).
        self.pool_cluster = PoolCluster(
            cluster_id=self.cluster_id,
            location=region,
            zones=spec.zones,
            node_service_account=self.node_service_account_email,
            boot_disk_key_id=boot_disk_key_id,
        )

        ca_data = self.cluster.master_auth.apply(lambda auth: auth.cluster_ca_certificate or "")
        # The context name `gcloud container clusters get-credentials` would give, so both never collide.
        context = pulumi.Output.concat("gke_", project, "_", region, "_", self.cluster.name)
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, context, self.cluster.endpoint, ca_data).apply(
                lambda args: kubeconfig(*args)
            )
        )

        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_id": self.cluster_id,
                "location": self.location,
                "endpoint": self.endpoint,
                "workload_pool": self.workload_pool,
                "node_service_account_email": self.node_service_account_email,
                "system_node_pool_name": self.system_nodes.name,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _system_node_config(
        self, spec: GkeSystemNodesSpec, boot_disk_key_id: pulumi.Input[str], labels: dict[str, str]
    ) -> dict[str, Any]:
        """The system nodes' configuration, which the cluster's short-lived default pool shares: one definition,
        so the default pool's nodes can never run less hardened than the system pool's."""
        return node_config_args(
            machine_type=spec.machine_type,
            service_account=self.node_service_account.email,
            boot_disk_key_id=boot_disk_key_id,
            disk_size_gib=spec.disk_size_gib,
            labels=pool_labels("system"),
            resource_labels=labels,
        )

    def _system_pool(
        self, name: str, spec: GkeSystemNodesSpec, boot_disk_key_id: pulumi.Input[str], labels: dict[str, str]
    ) -> gcp.container.NodePool:
        return gcp.container.NodePool(
            f"{name}-system",
            cluster=self.cluster.id,
            location=self.location,
            node_config=gcp.container.NodePoolNodeConfigArgs(
                **self._system_node_config(spec, boot_disk_key_id, labels)
            ),
            # Per zone, as GKE counts a regional pool, spread evenly so kube-dns survives a zone.
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                min_node_count=spec.min_nodes_per_zone,
                max_node_count=spec.max_nodes_per_zone,
                location_policy="BALANCED",
            ),
            # Add-ons need a node from the start, even when the autoscaler may later shrink to the minimum.
            initial_node_count=max(1, spec.min_nodes_per_zone),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            # pulumi_gcp: changing initial_node_count recreates the pool; the autoscaler owns the size.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["initialNodeCount"]),
        )
