"""GPU nodes of an EKS cluster in an AWS Local Zone, for an edge inference site close to its users.

EKS "supports certain resources in Local Zones. This includes managed node groups, self-managed Amazon EC2 nodes,
Amazon EBS volumes, and Application Load Balancers"; the control plane "always runs in the AWS Region", and a
Local Zone subnet must not be one of the cluster's own subnets (docs.aws.amazon.com/eks/latest/userguide/
local-zones.html; docs/accelerators.md, Edge). So the site gets its own private subnet in the zone, routed
through the given (private) route table, and a managed node group on it; the cluster is left as it is.

The node group is built like the region's GPU pools (components/aws/nodepool.py): the hardened launch template
(IMDSv2 with hop limit 1, every volume encrypted with the storage CMK), the catalog's NVIDIA AMI type for the
instance, the vendor taint and the pool labels, plus `llmops.dev/allow-<class>` for the data classes allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from llmops_infra.components.aws.launch_template import hardened_launch_template_args
from llmops_infra.components.aws.nodepool import label_value
from llmops_infra.components.capacity import Capacity, capacity_row
from llmops_infra.components.catalog import aws as catalog, charts
from llmops_infra.components.config.edge import check_site
from llmops_infra.components.config.refusal import refuse
from llmops_infra.components.spec import AcceleratorPoolSpec, Classification, EdgeSiteSpec
from llmops_infra.components.tagging import CLASSIFICATION, SENSITIVE_CLASSES, pool_labels

# The root volume size of the regional accelerator pools (AcceleratorPoolSpec.disk_size_gib's default): an
# inference node keeps images and a model cache there too.
DISK_SIZE_GIB = AcceleratorPoolSpec.model_fields["disk_size_gib"].default


class LocalZoneGpuNodes(pulumi.ComponentResource):
    """A private subnet in an AWS Local Zone and an EKS managed GPU node group in it, for an edge site.

    The subnet is the site's own (a Local Zone subnet must not be one of the cluster's) and routes through the
    given private route table of the region's VPC; the cluster itself is left as it is. The node group is built
    like the region's GPU pools: the hardened launch template, the catalog's NVIDIA AMI type for the instance, the
    vendor taint and the pool labels, one node always running and up to `spec.max_nodes`.

    Args:
        name: Component name; the node group is auto-named from it.
        spec: EdgeSiteSpec of kind local-zone: `local_zone`, `subnet_cidr`, an NVIDIA `instance_type` of the
            catalog and `max_nodes`; anything else raises ValueError.
        cluster_name: The aws target's EKS cluster (EksCluster.cluster_name).
        node_role_arn: The IAM role the nodes run as (NodeRole.role_arn).
        vpc_id: The cluster's VPC, where the subnet is created (IsolatedVpc.vpc_id).
        route_table_id: A private route table of that VPC for the subnet (IsolatedVpc.private_route_table_ids[0]).
        storage_key_arn: ARN of the KMS key that encrypts the node volumes (KmsKeys.arn("storage")).
        cluster_security_group_id: The cluster's security group, on every node (EksCluster output).
        tags: Tags on the subnet, launch template, instances, volumes and node group.
        allowed_classifications: Data classes the nodes are labelled `llmops.dev/allow-<class>` for. None
            (default): the `data-classification` of `tags` when it is phi or personal (EdgeInferenceSite requires
            that label of a site of such a class), else none.
        opts: Resource options.

    Outputs:
        subnet: The Local Zone `aws.ec2.Subnet`.
        node_group: The `aws.eks.NodeGroup` (registered output `node_group_name`).
        launch_template: Its `aws.ec2.LaunchTemplate`.
        capacity: The site's row of the capacity table (as GpuNodePool's, plus local_zone).

    Security:
        - Private networking: the subnet assigns no public addresses; the nodes reach the control plane and the
          internet through the region's private route table, and carry the cluster security group.
        - Instance metadata: IMDSv2 only with a hop limit of 1.
        - Encryption at rest: every EBS volume gp3, encrypted with `storage_key_arn`.
        - Data placement: allow labels only for the classes given (or the site's own sensitive class).
    """

    subnet: aws.ec2.Subnet
    node_group: aws.eks.NodeGroup
    launch_template: aws.ec2.LaunchTemplate
    capacity: Capacity

    def __init__(
        self,
        name: str,
        spec: EdgeSiteSpec,
        *,
        cluster_name: pulumi.Input[str],
        node_role_arn: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        route_table_id: pulumi.Input[str],
        storage_key_arn: pulumi.Input[str],
        cluster_security_group_id: pulumi.Input[str],
        tags: Mapping[str, str],
        allowed_classifications: Sequence[Classification] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:aws:LocalZoneGpuNodes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if spec.kind != "local-zone":
            raise ValueError(f"edge site {spec.name}: kind {spec.kind!r}: LocalZoneGpuNodes builds a local-zone site")
        # The config's own site checks, so a site built in code is refused as a config would be.
        refuse(f"edge site {spec.name}", check_site(spec))
        it = catalog.lookup(spec.instance_type or "")
        assert it is not None and spec.local_zone is not None and spec.subnet_cidr is not None  # check_site refuses
        ami_type = it.default_ami
        ami = catalog.AMI_TYPES[ami_type]
        sched = it.scheduling
        tags = dict(tags)
        if allowed_classifications is None:
            # The site's own data class (its tags say which): EdgeInferenceSite selects llmops.dev/allow-<class>
            # for a phi or personal site, so the site's nodes must carry it or its pods never schedule.
            own = tags.get(CLASSIFICATION)
            allowed_classifications = [own] if own in SENSITIVE_CLASSES else []  # type: ignore[list-item]

        self.subnet = aws.ec2.Subnet(
            f"{name}-subnet",
            vpc_id=vpc_id,
            cidr_block=str(spec.subnet_cidr),
            availability_zone=spec.local_zone,
            # Private: the nodes reach the control plane and the internet through the region's route table
            # (NAT), and nothing reaches them from outside the VPC.
            map_public_ip_on_launch=False,
            tags={**tags, "Name": f"{name}-{spec.local_zone}"},
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-routes", subnet_id=self.subnet.id, route_table_id=route_table_id, opts=child
        )

        lt_args = hardened_launch_template_args(ami, DISK_SIZE_GIB, storage_key_arn, tags)
        lt_args["vpc_security_group_ids"] = [cluster_security_group_id]
        self.launch_template = aws.ec2.LaunchTemplate(f"{name}-lt", **lt_args, opts=child)

        labels = pool_labels(
            "inference",
            spec.name,
            accelerator=label_value(it.family.accelerator),
            count=it.accelerators,
            allowed=allowed_classifications,
        )
        # The GPU Operator installs no second driver or toolkit on the AMI's nodes (components/catalog/charts.py).
        labels |= charts.operator_node_labels(ami)
        # The vendor taint keeps pods that ask for no GPU off the zone's (scarce, expensive) nodes.
        taints = [aws.eks.NodeGroupTaintArgs(key=sched.taint_key, value=sched.taint_value, effect="NO_SCHEDULE")]
        # An edge site serves all the time: at least one node, up to the site's maximum.
        self.node_group = aws.eks.NodeGroup(
            name,
            cluster_name=cluster_name,
            node_role_arn=node_role_arn,
            subnet_ids=[self.subnet.id],
            capacity_type="ON_DEMAND",
            ami_type=ami_type,
            instance_types=[it.name],
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=1, desired_size=1, max_size=spec.max_nodes),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)
            ),
            labels=labels,
            taints=taints,
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
        )

        self.capacity = capacity_row(
            spec.name,
            it.name,
            it.family.accelerator,
            it.accelerators,
            (1, 1, spec.max_nodes),
            verified=it.verified,
            local_zone=spec.local_zone,
        )
        self.register_outputs(
            {
                "subnet_id": self.subnet.id,
                "node_group_name": self.node_group.node_group_name,
                "capacity": self.capacity,
            }
        )
