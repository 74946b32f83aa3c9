"""An accelerator node pool: an EKS managed node group on a hardened launch template, able to scale from zero.

The launch template (components/aws/launch_template.py) enforces IMDSv2 and encrypted volumes; this module
adds EFA, placement and capacity. The pool carries what the scheduler and the cluster autoscaler need: the
vendor taint, accelerator labels, and the node-template tags on the Auto Scaling group, without which a pool
at zero nodes never scales up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from llmops_infra.components.aws.launch_template import hardened_launch_template_args
from llmops_infra.components.capacity import Capacity, capacity_row
from llmops_infra.components.catalog import aws as catalog, charts
from llmops_infra.components.config.aws import check_pool
from llmops_infra.components.config.refusal import refuse
from llmops_infra.components.spec import KUBERNETES_EFFECT, AcceleratorPoolSpec, ClusterSpec, Taint
from llmops_infra.components.tagging import EFA_LABEL, pool_labels

AUTOSCALER_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"


def label_value(text: str) -> str:
    """`text` as a Kubernetes label value: lower case, runs of other characters as one dash, at most 63."""
    value = re.sub(r"[^a-z0-9._-]+", "-", text.lower())[:63]
    return value.strip("-_.")


def node_group_taints(spec: AcceleratorPoolSpec) -> list[Taint]:
    """The pool's taints: its vendor's first (it keeps pods that ask for no accelerator off these expensive nodes),
    then the spec's own less any on the vendor taint's key and effect (a duplicate to the API)."""
    it = catalog.lookup(spec.instance_type)
    if it is None:
        refuse(f"pool {spec.name}", check_pool(spec, ()))
    assert it is not None  # check_pool refuses an instance type the catalog does not have
    sched = it.scheduling
    first = Taint(key=sched.taint_key, value=sched.taint_value, effect="NO_SCHEDULE")
    return [first, *(t for t in spec.taints if (t.key, t.effect) != (first.key, first.effect))]


def _first_asg_name(resources: Sequence[Any] | None) -> str:
    groups = resources[0].autoscaling_groups if resources else None
    name = groups[0].name if groups else None
    return name or ""


class GpuNodePool(pulumi.ComponentResource):
    """One accelerator pool of an EKS cluster: a managed node group on a hardened launch template.

    The instance type's catalog row decides the accelerator, the vendor taint, the EFA layout and the default AMI
    type. The node group carries the pool labels (`llmops.dev/role`, `pool`, `accelerator`, `accelerator-count`
    and `allow-<class>`), the vendor taint first, and cluster-autoscaler tags; the Auto Scaling group gets the
    autoscaler's node-template tags (labels, taints, accelerator count) so a pool at zero nodes can scale up.
    The spec is checked with the config's own pool checks (`components.config.aws.check_pool`): a pool the
    config would refuse (an unknown type, an AMI type for another accelerator, EFA on a type without it, min >
    max, ...) raises ValueError with the same message.

    Args:
        name: Component name; the node group is auto-named from it, so it starts with the pool's name.
        spec: AcceleratorPoolSpec: instance type, AMI type, capacity type and reservation, sizes, EFA, placement
            group, disk size, extra labels and taints, allowed data classes.
        cluster_name: The EKS cluster the pool joins (EksCluster.cluster_name).
        cluster_version: That cluster's Kubernetes version (the ClusterSpec.version it was built with), which decides
            the AMI types EKS still publishes (AL2_x86_64_GPU: up to 1.32). None (default): ClusterSpec's default.
        node_role_arn: The IAM role the nodes run as (NodeRole.role_arn).
        vpc_id: The cluster's VPC, for the EFA security group (IsolatedVpc.vpc_id).
        subnet_ids: Private subnets of the nodes; a pool with EFA or a placement group uses the first only.
        storage_key_arn: ARN of the KMS key that encrypts every node volume (KmsKeys.arn("storage")).
        cluster_security_group_id: The cluster's security group, on every node (EksCluster output).
        tags: Tags on the node group, launch template, instances, volumes and the EFA security group and
            placement group.
        opts: Resource options.

    Outputs:
        node_group: The `aws.eks.NodeGroup` (registered output `node_group_name`).
        launch_template: Its `aws.ec2.LaunchTemplate` (registered output `launch_template_id`).
        capacity: The pool's row of the capacity table: pool, instance_type, accelerator, accelerators_per_node,
            min, desired, max, total_at_max and verified (false when the catalog marks its numbers unverified).

    Security:
        - Instance metadata: IMDSv2 only with a hop limit of 1, so pods cannot reach the node's credentials.
        - Encryption at rest: every EBS volume is gp3, encrypted with `storage_key_arn`, deleted with the instance.
        - Private networking: EFA interfaces get no public address (other nodes take the subnet's setting, off in
          an IsolatedVpc); the EFA security group passes traffic only between the pool's own interfaces.
        - Least privilege: nodes run as `node_role_arn` only (a NodeRole holds just the EKS worker, CNI and
          ECR read-only policies); workloads get AWS access through their own WorkloadRole.
        - Data placement: the node label `llmops.dev/allow-<class>` only for `spec.allowed_classifications`.
    """

    node_group: aws.eks.NodeGroup
    launch_template: aws.ec2.LaunchTemplate
    capacity: Capacity

    def __init__(
        self,
        name: str,
        spec: AcceleratorPoolSpec,
        *,
        cluster_name: pulumi.Input[str],
        cluster_version: str | None = None,
        node_role_arn: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        storage_key_arn: pulumi.Input[str],
        cluster_security_group_id: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:aws:GpuNodePool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The config's own pool checks, so a pool built in code is refused as a config would be.
        version = cluster_version or ClusterSpec.model_fields["version"].default
        refuse(f"pool {spec.name}", check_pool(spec, (), cluster_version=version))
        it = catalog.lookup(spec.instance_type)
        assert it is not None  # check_pool refuses an instance type the catalog does not have
        ami_type = spec.ami_type or it.default_ami
        ami = catalog.AMI_TYPES[ami_type]
        capacity_type = catalog.CAPACITY_TYPES[spec.capacity_type]
        tags = dict(tags)

        lt_args = hardened_launch_template_args(ami, spec.disk_size_gib, storage_key_arn, tags)

        if spec.efa:
            efa_sg = aws.ec2.SecurityGroup(
                f"{name}-efa",
                vpc_id=vpc_id,
                description=f"EFA traffic between the nodes of pool {spec.name} only",
                # EFA needs all traffic between the pool's own interfaces and nothing else; the nodes' other
                # traffic goes through the cluster security group they also carry.
                ingress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "self": True}],
                egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "self": True}],
                tags=tags,
                opts=child,
            )
            groups = [cluster_security_group_id, efa_sg.id]
            # The first interface is the primary one (device 0 on card 0); each further EFA interface sits on
            # its own network card as device 1, which is how EC2 lays out multi-card instances.
            lt_args["network_interfaces"] = [
                {
                    "device_index": 0 if i == 0 else 1,
                    "network_card_index": i,
                    "interface_type": "efa",
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                    "security_groups": groups,
                }
                for i in range(it.efa_interfaces)
            ]
        else:
            lt_args["vpc_security_group_ids"] = [cluster_security_group_id]

        if spec.placement_group:
            placement = aws.ec2.PlacementGroup(f"{name}-placement", strategy="cluster", tags=tags, opts=child)
            lt_args["placement"] = {"group_name": placement.name}

        if spec.capacity_reservation_id:
            lt_args["capacity_reservation_specification"] = {
                "capacity_reservation_target": {"capacity_reservation_id": spec.capacity_reservation_id}
            }
        if capacity_type.launch_template_market:
            lt_args["instance_market_options"] = {"market_type": capacity_type.launch_template_market}
        if capacity_type.fixed_instance_type_in_template:
            lt_args["instance_type"] = spec.instance_type

        self.launch_template = aws.ec2.LaunchTemplate(f"{name}-lt", **lt_args, opts=child)

        # A cluster placement group and EFA only work inside one Availability Zone.
        pool_subnets = [subnet_ids[0]] if spec.efa or spec.placement_group else list(subnet_ids)

        sched = it.scheduling
        labels = pool_labels(
            spec.role,
            spec.name,
            accelerator=label_value(it.family.accelerator),
            count=it.accelerators,
            allowed=spec.allowed_classifications,
            extra=spec.labels,
        )
        # What the node image already runs, the GPU Operator must not install a second time (its per-node deploy
        # labels: components/catalog/charts.py); EFA nodes are where the EFA device plugin runs.
        labels |= charts.operator_node_labels(ami)
        if spec.efa:
            labels[EFA_LABEL] = "true"
        taints = node_group_taints(spec)

        node_group_tags = pulumi.Output.from_input(cluster_name).apply(
            lambda cluster: {
                **tags,
                "k8s.io/cluster-autoscaler/enabled": "true",
                f"k8s.io/cluster-autoscaler/{cluster}": "owned",
            }
        )
        # Named as the pool itself: the auto-named node group (what the EKS console and the node label
        # eks.amazonaws.com/nodegroup show) then starts with the pool's name.
        self.node_group = aws.eks.NodeGroup(
            name,
            cluster_name=cluster_name,
            node_role_arn=node_role_arn,
            subnet_ids=pool_subnets,
            capacity_type=spec.capacity_type,
            ami_type=ami_type,
            # A capacity block fixes the instance type in the launch template; EKS rejects it in both places.
            instance_types=None if capacity_type.fixed_instance_type_in_template else [spec.instance_type],
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=spec.min_size, desired_size=spec.desired, max_size=spec.max_size
            ),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)
            ),
            labels=labels,
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in taints],
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=node_group_tags,
            # The cluster autoscaler owns the desired size once the pool exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
        )

        # EKS does not copy node group tags to the Auto Scaling group, and the autoscaler learns what a
        # zero-node group would offer (labels, taints, accelerators) from that group's own tags.
        asg_name = self.node_group.resources.apply(_first_asg_name)
        template = {f"label/{k}": v for k, v in labels.items()}
        template |= {f"taint/{t.key}": f"{t.value}:{KUBERNETES_EFFECT[t.effect]}" for t in taints}
        template[f"resources/{sched.resource}"] = str(it.accelerators)
        for suffix, value in template.items():
            aws.autoscaling.Tag(
                f"{name}-cas-{suffix}",
                autoscaling_group_name=asg_name,
                tag={"key": f"{AUTOSCALER_TEMPLATE}/{suffix}", "value": value, "propagate_at_launch": False},
                opts=child,
            )

        self.capacity = capacity_row(
            spec.name,
            spec.instance_type,
            it.family.accelerator,
            it.accelerators,
            (spec.min_size, spec.desired, spec.max_size),
            verified=it.verified,
        )
        self.register_outputs(
            {
                "node_group_name": self.node_group.node_group_name,
                "launch_template_id": self.launch_template.id,
                "capacity": self.capacity,
            }
        )
