"""A synthetic `pulumi stack export` (deployment version 3) of N resources, for benchmarks.

The export looks like what the engine writes for a large multi-tenant platform: a root Stack, default aws, gcp
and kubernetes providers, and repeated "tenants", each a set of the units this project's components create
(components/aws) plus some GCP and Kubernetes resources the rule modules (policies/rules) read:

- an EncryptedBucket: S3 bucket, server-side encryption, public access block, bucket policy, versioning,
  lifecycle and logging; every companion's `bucket` input carries the bucket's auto-assigned name and its
  propertyDependencies name the bucket's URN, as the engine records them;
- KmsKeys: a KMS key and its alias;
- an IsolatedVpc: VPC, flow-log role, CloudWatch log group, flow log (vpcId depends on the VPC), security group;
- a WorkloadRole: IAM role, IAM policy and the attachment;
- every second tenant an EksCluster (cluster, launch template, node group) and a Kubernetes Namespace with a
  default-deny NetworkPolicy (metadata depends on the Namespace) and an inference Deployment;
- every third tenant a Cloud KMS key, a GCS bucket, a GKE cluster and a GPU node pool.

Every custom resource has inputs, outputs, parent, provider reference and propertyDependencies (one for each
input, empty when it depends on nothing). Each part of a tenant (its AWS units, EKS cluster, Kubernetes objects,
GCP resources) carries one deliberate defect with probability --defect-rate (an AES256 bucket, an open security
group, a wildcard IAM policy, a privileged container ...), so the packs find violations; with --defect-rate 0
the export passes both packs in eu-west-1. The same arguments always give the same bytes. Small leftovers up
to exactly N are Kubernetes ConfigMaps, a type no rule reads.

    python bench/synthetic_export.py --resources 10000 --output /tmp/x.json
    python bench/synthetic_export.py --resources 1000 --region us-east-1 > /tmp/y.json
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PROJECT = "llmops-infra"
STACK = "bench"
ACCOUNT = "123456789012"
GCP_PROJECT = "llmops-bench"
PULUMI_VERSION = "3.272.0"
# The provider plugin versions the default providers are named after (default_<version>), as installed here.
AWS_VERSION = "7.51.1"
GCP_VERSION = "10.2.0"
K8S_VERSION = "4.34.2"
# A fixed manifest time keeps the output byte-for-byte reproducible.
MANIFEST_TIME = "2026-11-21T00:00:00.000000+00:00"

REGIONS = ("eu-west-1", "us-east-1")
# The GCP region and GCS multi-region that go with the AWS region.
GCP_REGIONS = {"eu-west-1": "europe-west4", "us-east-1": "us-central1"}
GCS_LOCATIONS = {"eu-west-1": "EU", "us-east-1": "US"}
CLASSIFICATIONS = ("phi", "personal", "phi", "internal")

DEFECTS_AWS = (
    "sse-aes256",  # a data bucket encrypted with SSE-S3 instead of a customer-managed KMS key
    "no-sse",  # no encryption configuration at all
    "public-access-block-open",  # blockPublicPolicy false
    "no-bucket-logging",
    "versioning-suspended",
    "no-lifecycle-expiry",
    "security-group-open-ssh",
    "log-group-forever",  # no retentionInDays
    "iam-wildcard",
    "kms-short-deletion-window",
    "flow-log-reject-only",
    "missing-owner-tag",
)
DEFECTS_EKS = ("eks-public-endpoint", "eks-no-audit-logs", "launch-template-unencrypted")
DEFECTS_GCP = ("gcs-public-access-inherited", "gke-default-service-account", "gke-no-workload-identity")
DEFECTS_K8S = ("k8s-privileged", "k8s-no-network-policy", "k8s-run-as-root", "k8s-namespace-unlabelled")


def _hex(text: str, length: int) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def _uuid(text: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, text))


def _policy(statements: Sequence[Mapping[str, Any]]) -> str:
    # Policy documents travel as JSON strings (Output.json_dumps), exactly as the components write them.
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class _Parent:
    """A resource that others are parented to: its URN and the type chain its children's URNs carry."""

    def __init__(self, urn: str, chain: str) -> None:
        self.urn = urn
        self.chain = chain  # "" for the root stack (the engine leaves the Stack type out of child URNs)


class ExportBuilder:
    """Accumulates resources in registration order, in the shape `pulumi stack export` writes them."""

    def __init__(self, stack: str, project: str) -> None:
        self.stack = stack
        self.project = project
        self.resources: list[dict[str, Any]] = []
        root_urn = self._urn("", "pulumi:pulumi:Stack", f"{project}-{stack}")
        self.resources.append(
            {"urn": root_urn, "custom": False, "type": "pulumi:pulumi:Stack", "inputs": {}, "outputs": {}}
        )
        self.root = _Parent(root_urn, "")

    def _urn(self, chain: str, type_: str, name: str) -> str:
        qualified = f"{chain}${type_}" if chain else type_
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def provider(self, package: str, version: str, inputs: Mapping[str, Any]) -> str:
        """A default provider; returns the reference resources carry ("<urn>::<id>")."""
        name = f"default_{version.replace('.', '_')}"
        urn = self._urn("", f"pulumi:providers:{package}", name)
        id_ = _uuid(urn)
        props = {**inputs, "version": version}
        self.resources.append(
            {"urn": urn, "custom": True, "type": f"pulumi:providers:{package}", "id": id_, "inputs": props}
        )
        self.resources[-1]["outputs"] = dict(props)
        return f"{urn}::{id_}"

    def component(self, type_: str, name: str, parent: _Parent | None = None) -> _Parent:
        parent = parent or self.root
        urn = self._urn(parent.chain, type_, name)
        self.resources.append({"urn": urn, "custom": False, "type": type_, "inputs": {}, "parent": parent.urn})
        chain = f"{parent.chain}${type_}" if parent.chain else type_
        return _Parent(urn, chain)

    def custom(
        self,
        type_: str,
        name: str,
        inputs: Mapping[str, Any],
        *,
        provider: str,
        parent: _Parent | None = None,
        deps: Mapping[str, Sequence[str]] | None = None,
        depends_on: Sequence[str] = (),
        id_: str | None = None,
        outputs: Mapping[str, Any] | None = None,
    ) -> str:
        """A custom resource; `deps` maps an input to the URNs its value was computed from."""
        parent = parent or self.root
        urn = self._urn(parent.chain, type_, name)
        deps = deps or {}
        id_ = id_ or _uuid(urn)
        state: dict[str, Any] = {
            "urn": urn,
            "custom": True,
            "type": type_,
            "id": id_,
            "inputs": dict(inputs),
            "outputs": {**inputs, "id": id_, **(outputs or {})},
            "parent": parent.urn,
        }
        dependencies = list(dict.fromkeys([u for urns in deps.values() for u in urns] + list(depends_on)))
        if dependencies:
            state["dependencies"] = dependencies
        state["provider"] = provider
        state["propertyDependencies"] = {key: list(deps.get(key, ())) for key in inputs}
        self.resources.append(state)
        return urn

    def document(self) -> dict[str, Any]:
        return {
            "version": 3,
            "deployment": {
                "manifest": {"time": MANIFEST_TIME, "magic": "", "version": f"v{PULUMI_VERSION}"},
                "resources": self.resources,
            },
        }


class _Platform:
    """The generator proper: shared resources first, then tenants until N resources."""

    def __init__(self, region: str, seed: int, defect_rate: float, stack: str) -> None:
        if region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}")
        self.region = region
        self.gcp_region = GCP_REGIONS[region]
        self.rng = random.Random(seed)
        self.defect_rate = defect_rate
        self.out = ExportBuilder(stack, PROJECT)
        self.defects: collections.Counter[str] = collections.Counter()
        self.aws = self.out.provider("aws", AWS_VERSION, {"region": region})
        self.gcp = self.out.provider("gcp", GCP_VERSION, {"project": GCP_PROJECT, "region": self.gcp_region})
        self.k8s = self.out.provider("kubernetes", K8S_VERSION, {})
        self.log_bucket_name, self.log_bucket_urns = self._access_log_bucket()
        self.filler_namespace = "bench-fillers"

    # -- helpers -------------------------------------------------------------------------------------------

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT}:{resource}"

    def _tags(self, tenant: str, purpose: str, classification: str) -> dict[str, str]:
        return {
            "managed-by": "llmops-infra",
            "cost-center": "ml-research",
            "data-classification": classification,
            "environment": "prod",
            "purpose": purpose,
            "owner": f"team-{tenant}",
            "tenant": tenant,
        }

    def _defect(self, choices: Sequence[str]) -> str | None:
        if self.rng.random() >= self.defect_rate:
            return None
        defect = self.rng.choice(choices)
        self.defects[defect] += 1
        return defect

    # -- shared --------------------------------------------------------------------------------------------

    def _access_log_bucket(self) -> tuple[str, list[str]]:
        """The platform's access-log bucket (components/aws/bucket.py AccessLogBucket), compliant."""
        out, aws = self.out, self.aws
        parent = out.component("llmops:aws:AccessLogBucket", "access-logs")
        physical = f"access-logs-{_hex('access-logs', 7)}"
        arn = f"arn:aws:s3:::{physical}"
        tags = self._tags("platform", "access-logs", "internal")
        bucket = out.custom(
            "aws:s3/bucket:Bucket",
            "access-logs",
            {"tags": tags, "forceDestroy": False},
            provider=aws,
            parent=parent,
            outputs={"bucket": physical, "arn": arn, "region": self.region},
        )
        on_bucket = {"bucket": [bucket]}
        out.custom(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "access-logs-sse",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}], "bucket": physical},
            provider=aws,
            parent=parent,
            deps=on_bucket,
        )
        block = out.custom(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "access-logs-public-access-block",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
                "bucket": physical,
            },
            provider=aws,
            parent=parent,
            deps=on_bucket,
        )
        versioning = out.custom(
            "aws:s3/bucketVersioning:BucketVersioning",
            "access-logs-versioning",
            {"versioningConfiguration": {"status": "Enabled"}, "bucket": physical},
            provider=aws,
            parent=parent,
            deps=on_bucket,
        )
        out.custom(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "access-logs-lifecycle",
            {
                "rules": [
                    {
                        "id": "log-retention",
                        "status": "Enabled",
                        "filter": {},
                        "expiration": {"days": 2192},
                        "noncurrentVersionExpiration": {"noncurrentDays": 2192},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
                    }
                ],
                "bucket": physical,
            },
            provider=aws,
            parent=parent,
            deps=on_bucket,
            depends_on=[versioning],
        )
        policy = out.custom(
            "aws:s3/bucketPolicy:BucketPolicy",
            "access-logs-policy",
            {
                "policy": _policy(
                    [
                        _deny_insecure_transport(arn),
                        {
                            "Sid": "AllowServerAccessLogDelivery",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"{arn}/*",
                            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                        },
                    ]
                ),
                "bucket": physical,
            },
            provider=aws,
            parent=parent,
            deps={"policy": [bucket], "bucket": [bucket]},
            depends_on=[block],
        )
        return physical, [policy, bucket]

    def filler(self, index: int) -> None:
        """A ConfigMap: no rule judges it, so it only adds the cost of carrying a resource."""
        name = f"bench-filler-{index}"
        self.out.custom(
            "kubernetes:core/v1:ConfigMap",
            name,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": self.filler_namespace},
                "data": {"index": str(index)},
            },
            provider=self.k8s,
        )

    # -- one tenant ----------------------------------------------------------------------------------------

    def tenant(self, index: int) -> None:
        t = f"t{index:05d}"
        classification = CLASSIFICATIONS[index % len(CLASSIFICATIONS)]
        defect = self._defect(DEFECTS_AWS)
        key_urn, key_arn = self._kms_keys(t, classification, defect)
        self._encrypted_bucket(t, classification, key_urn, key_arn, defect)
        self._isolated_vpc(t, classification, key_urn, key_arn, defect)
        self._workload_role(t, classification, defect)
        if index % 2 == 0:
            self._eks_cluster(t, classification, key_urn, key_arn, self._defect(DEFECTS_EKS))
            self._kubernetes(t, classification, self._defect(DEFECTS_K8S))
        if index % 3 == 0:
            self._gcp(t, classification, self._defect(DEFECTS_GCP))

    def _kms_keys(self, t: str, classification: str, defect: str | None) -> tuple[str, str]:
        out, aws = self.out, self.aws
        parent = out.component("llmops:aws:KmsKeys", f"{t}-keys")
        key_id = _uuid(f"{t}-storage-key")
        arn = self._arn("kms", f"key/{key_id}")
        inputs: dict[str, Any] = {
            "description": f"{t} storage: encrypts S3 buckets, log groups and EBS volumes",
            "enableKeyRotation": True,
            "deletionWindowInDays": 7 if defect == "kms-short-deletion-window" else 30,
            "policy": _policy(
                [
                    {
                        "Sid": "AccountRootAdministersKey",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ]
            ),
            "tags": self._tags(t, "encryption", classification),
        }
        key = out.custom(
            "aws:kms/key:Key",
            f"{t}-storage",
            inputs,
            provider=aws,
            parent=parent,
            outputs={"arn": arn, "keyId": key_id},
        )
        out.custom(
            "aws:kms/alias:Alias",
            f"{t}-storage",
            {"name": f"alias/llmops/{t}/storage", "targetKeyId": key_id},
            provider=aws,
            parent=parent,
            deps={"targetKeyId": [key]},
        )
        return key, arn

    def _encrypted_bucket(self, t: str, classification: str, key: str, key_arn: str, defect: str | None) -> None:
        out, aws = self.out, self.aws
        name = f"{t}-data"
        parent = out.component("llmops:aws:EncryptedBucket", name)
        physical = f"{name}-{_hex(name, 7)}"
        arn = f"arn:aws:s3:::{physical}"
        tags = self._tags(t, "datasets", classification)
        if defect == "missing-owner-tag":
            del tags["owner"]
        bucket = out.custom(
            "aws:s3/bucket:Bucket",
            name,
            {"tags": tags, "forceDestroy": False},
            provider=aws,
            parent=parent,
            outputs={"bucket": physical, "arn": arn, "region": self.region},
        )
        on_bucket = {"bucket": [bucket]}
        if defect != "no-sse":
            by_default: dict[str, Any] = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
            if defect == "sse-aes256":
                by_default = {"sseAlgorithm": "AES256"}
            out.custom(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                f"{name}-sse",
                {
                    "rules": [{"applyServerSideEncryptionByDefault": by_default, "bucketKeyEnabled": True}],
                    "bucket": physical,
                },
                provider=aws,
                parent=parent,
                deps={"rules": [key] if defect != "sse-aes256" else [], "bucket": [bucket]},
            )
        block = out.custom(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{name}-public-access-block",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": defect != "public-access-block-open",
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
                "bucket": physical,
            },
            provider=aws,
            parent=parent,
            deps=on_bucket,
        )
        out.custom(
            "aws:s3/bucketPolicy:BucketPolicy",
            f"{name}-policy",
            {"policy": _policy([_deny_insecure_transport(arn)]), "bucket": physical},
            provider=aws,
            parent=parent,
            deps={"policy": [bucket], "bucket": [bucket]},
            depends_on=[block],
        )
        status = "Suspended" if defect == "versioning-suspended" else "Enabled"
        versioning = out.custom(
            "aws:s3/bucketVersioning:BucketVersioning",
            f"{name}-versioning",
            {"versioningConfiguration": {"status": status}, "bucket": physical},
            provider=aws,
            parent=parent,
            deps=on_bucket,
        )
        if defect != "no-bucket-logging":
            out.custom(
                "aws:s3/bucketLogging:BucketLogging",
                f"{name}-logging",
                {"targetBucket": self.log_bucket_name, "targetPrefix": f"{name}/", "bucket": physical},
                provider=aws,
                parent=parent,
                deps={"targetBucket": self.log_bucket_urns, "bucket": [bucket]},
            )
        lifecycle_rule: dict[str, Any] = {
            "id": "retention",
            "status": "Enabled",
            "filter": {},
            "noncurrentVersionExpiration": {"noncurrentDays": 90},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        }
        if defect == "no-lifecycle-expiry":
            # Only incomplete uploads are cleaned up: nothing declares how long the data itself is kept.
            lifecycle_rule = {
                "id": "uploads",
                "status": "Enabled",
                "filter": {},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
            }
        out.custom(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            f"{name}-lifecycle",
            {"rules": [lifecycle_rule], "bucket": physical},
            provider=aws,
            parent=parent,
            deps=on_bucket,
            depends_on=[versioning],
        )

    def _isolated_vpc(self, t: str, classification: str, key: str, key_arn: str, defect: str | None) -> None:
        out, aws = self.out, self.aws
        parent = out.component("llmops:aws:IsolatedVpc", f"{t}-net")
        octet = int(_hex(t, 4), 16) % 250
        cidr = f"10.{octet}.0.0/16"
        tags = self._tags(t, "network", classification)
        vpc_id = f"vpc-{_hex(t + 'vpc', 17)}"
        vpc = out.custom(
            "aws:ec2/vpc:Vpc",
            f"{t}-vpc",
            {"cidrBlock": cidr, "enableDnsHostnames": True, "enableDnsSupport": True, "tags": tags | {"Name": t}},
            provider=aws,
            parent=parent,
            id_=vpc_id,
            outputs={"arn": self._arn("ec2", f"vpc/{vpc_id}")},
        )
        role_name = f"{t}-flow-logs-{_hex(t + 'role', 7)}"
        role = out.custom(
            "aws:iam/role:Role",
            f"{t}-flow-logs",
            {
                "assumeRolePolicy": _policy(
                    [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                        }
                    ]
                ),
                "tags": tags,
            },
            provider=aws,
            parent=parent,
            outputs={"name": role_name, "arn": f"arn:aws:iam::{ACCOUNT}:role/{role_name}"},
        )
        group_name = f"{t}-flow-logs-{_hex(t + 'lg', 7)}"
        group_arn = self._arn("logs", f"log-group:{group_name}")
        log_inputs: dict[str, Any] = {"kmsKeyId": key_arn, "retentionInDays": 2192, "tags": tags}
        if defect == "log-group-forever":
            del log_inputs["retentionInDays"]
        group = out.custom(
            "aws:cloudwatch/logGroup:LogGroup",
            f"{t}-flow-logs",
            log_inputs,
            provider=aws,
            parent=parent,
            deps={"kmsKeyId": [key]},
            outputs={"name": group_name, "arn": group_arn},
        )
        out.custom(
            "aws:ec2/flowLog:FlowLog",
            f"{t}-flow-logs",
            {
                "vpcId": vpc_id,
                "trafficType": "REJECT" if defect == "flow-log-reject-only" else "ALL",
                "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{role_name}",
                "logDestination": group_arn,
                "logDestinationType": "cloud-watch-logs",
                "tags": tags,
            },
            provider=aws,
            parent=parent,
            deps={"vpcId": [vpc], "iamRoleArn": [role], "logDestination": [group]},
            id_=f"fl-{_hex(t + 'fl', 17)}",
        )
        ingress: list[dict[str, Any]] = [
            {
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrBlocks": [cidr],
                "description": "HTTPS from inside the VPC",
            }
        ]
        if defect == "security-group-open-ssh":
            ingress.append({"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]})
        out.custom(
            "aws:ec2/securityGroup:SecurityGroup",
            f"{t}-endpoints",
            {
                "vpcId": vpc_id,
                "description": f"HTTPS from {cidr} to the interface endpoints of {t}",
                "ingress": ingress,
                "egress": [],
                "tags": tags | {"Name": f"{t}-endpoints"},
            },
            provider=aws,
            parent=parent,
            deps={"vpcId": [vpc]},
            id_=f"sg-{_hex(t + 'sg', 17)}",
        )

    def _workload_role(self, t: str, classification: str, defect: str | None) -> None:
        out, aws = self.out, self.aws
        parent = out.component("llmops:aws:WorkloadRole", f"{t}-reader")
        tags = self._tags(t, "workload-identity", classification)
        role_name = f"{t}-reader-{_hex(t + 'reader', 7)}"
        role = out.custom(
            "aws:iam/role:Role",
            f"{t}-reader",
            {
                "assumeRolePolicy": _policy(
                    [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "pods.eks.amazonaws.com"},
                            "Action": ["sts:AssumeRole", "sts:TagSession"],
                        }
                    ]
                ),
                "tags": tags,
            },
            provider=aws,
            parent=parent,
            outputs={"name": role_name, "arn": f"arn:aws:iam::{ACCOUNT}:role/{role_name}"},
        )
        bucket = f"{t}-data-{_hex(t + '-data', 7)}"
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ReadObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
            },
            {
                "Sid": "ListBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
            },
        ]
        if defect == "iam-wildcard":
            statements.append({"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"})
        policy_name = f"{t}-reader-access-{_hex(t + 'policy', 7)}"
        policy = out.custom(
            "aws:iam/policy:Policy",
            f"{t}-reader-access",
            {"description": f"Read-only access for {t}", "policy": _policy(statements), "tags": tags},
            provider=aws,
            parent=parent,
            outputs={"name": policy_name, "arn": f"arn:aws:iam::{ACCOUNT}:policy/{policy_name}"},
        )
        out.custom(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            f"{t}-reader-access",
            {"policyArn": f"arn:aws:iam::{ACCOUNT}:policy/{policy_name}", "role": role_name},
            provider=aws,
            parent=parent,
            deps={"policyArn": [policy], "role": [role]},
        )

    def _eks_cluster(self, t: str, classification: str, key: str, key_arn: str, defect: str | None) -> None:
        out, aws = self.out, self.aws
        parent = out.component("llmops:aws:EksCluster", f"{t}-eks")
        tags = self._tags(t, "kubernetes", classification)
        subnets = [f"subnet-{_hex(f'{t}-subnet-{i}', 17)}" for i in range(3)]
        vpc_config: dict[str, Any] = {
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
            "subnetIds": subnets,
        }
        if defect == "eks-public-endpoint":
            vpc_config |= {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}
        log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
        if defect == "eks-no-audit-logs":
            log_types = ["api"]
        name = f"llmops-{t}"
        cluster = out.custom(
            "aws:eks/cluster:Cluster",
            f"{t}-cluster",
            {
                "name": name,
                "version": "1.33",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{t}-cluster-role",
                "vpcConfig": vpc_config,
                "enabledClusterLogTypes": log_types,
                "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": key_arn}},
                "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
                "tags": tags,
            },
            provider=aws,
            parent=parent,
            deps={"encryptionConfig": [key]},
            outputs={"arn": self._arn("eks", f"cluster/{name}")},
        )
        ebs: dict[str, Any] = {
            "encrypted": "true",
            "kmsKeyId": key_arn,
            "volumeSize": 200,
            "volumeType": "gp3",
            "deleteOnTermination": "true",
        }
        if defect == "launch-template-unencrypted":
            ebs = {"volumeSize": 200, "volumeType": "gp3", "deleteOnTermination": "true"}
        lt_id = f"lt-{_hex(t + 'lt', 17)}"
        template = out.custom(
            "aws:ec2/launchTemplate:LaunchTemplate",
            f"{t}-gpu-lt",
            {
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": ebs}],
                "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
                "tags": tags,
            },
            provider=aws,
            parent=parent,
            deps={"blockDeviceMappings": [key] if "kmsKeyId" in ebs else []},
            id_=lt_id,
        )
        out.custom(
            "aws:eks/nodeGroup:NodeGroup",
            f"{t}-gpu",
            {
                "clusterName": name,
                "nodeRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{t}-nodes",
                "subnetIds": subnets,
                "instanceTypes": ["g6e.12xlarge"],
                "amiType": "AL2023_x86_64_NVIDIA",
                "capacityType": "ON_DEMAND",
                "scalingConfig": {"minSize": 0, "desiredSize": 1, "maxSize": 4},
                "launchTemplate": {"id": lt_id, "version": "1"},
                "labels": {"llmops.dev/role": "inference"},
                "tags": tags,
            },
            provider=aws,
            parent=parent,
            deps={"clusterName": [cluster], "launchTemplate": [template]},
        )

    def _kubernetes(self, t: str, classification: str, defect: str | None) -> None:
        out, k8s = self.out, self.k8s
        labels = {"llmops.dev/tenant": t}
        # The records-of-processing labels (owner, purpose, data-classification) live on the namespace.
        records = {"owner": f"team-{t}", "purpose": "inference", "data-classification": classification}
        if defect == "k8s-namespace-unlabelled":
            records = {}
        namespace = out.custom(
            "kubernetes:core/v1:Namespace",
            f"{t}-ns",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": t, "labels": labels | records}},
            provider=k8s,
            id_=t,
        )
        if defect != "k8s-no-network-policy":
            out.custom(
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                f"{t}-default-deny",
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": "default-deny", "namespace": t},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
                },
                provider=k8s,
                deps={"metadata": [namespace]},
                id_=f"{t}/default-deny",
            )
        container_context: dict[str, Any] = {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        }
        if defect == "k8s-privileged":
            container_context = {"privileged": True}
        pod_context: dict[str, Any] = {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        if defect == "k8s-run-as-root":
            pod_context = {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}
        app = {"app": "inference", **labels}
        out.custom(
            "kubernetes:apps/v1:Deployment",
            f"{t}-inference",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "inference", "namespace": t, "labels": app},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": app},
                    "template": {
                        "metadata": {"labels": app},
                        "spec": {
                            "securityContext": pod_context,
                            "containers": [
                                {
                                    "name": "server",
                                    "image": "vllm/vllm-openai:v0.6.3",
                                    "args": ["--model", f"/models/{t}"],
                                    "ports": [{"containerPort": 8000, "name": "http"}],
                                    "resources": {"limits": {"nvidia.com/gpu": "1", "memory": "64Gi"}},
                                    "securityContext": container_context,
                                    "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
                                }
                            ],
                            "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "20Gi"}}],
                        },
                    },
                },
            },
            provider=k8s,
            deps={"metadata": [namespace]},
            id_=f"{t}/inference",
        )

    def _gcp(self, t: str, classification: str, defect: str | None) -> None:
        out, gcp = self.out, self.gcp
        region = self.gcp_region
        labels = self._tags(t, "datasets", classification)
        key_name = f"projects/{GCP_PROJECT}/locations/{region}/keyRings/llmops/cryptoKeys/{t}"
        key = out.custom(
            "gcp:kms/cryptoKey:CryptoKey",
            f"{t}-gcs-key",
            {
                "name": t,
                "keyRing": f"projects/{GCP_PROJECT}/locations/{region}/keyRings/llmops",
                "purpose": "ENCRYPT_DECRYPT",
                "rotationPeriod": "7776000s",
                "labels": labels,
            },
            provider=gcp,
            id_=key_name,
        )
        out.custom(
            "gcp:storage/bucket:Bucket",
            f"{t}-gcs",
            {
                "name": f"{t}-gcs-{_hex(t + 'gcs', 7)}",
                "location": GCS_LOCATIONS[self.region],
                "forceDestroy": False,
                "uniformBucketLevelAccess": True,
                "publicAccessPrevention": "inherited" if defect == "gcs-public-access-inherited" else "enforced",
                "encryption": {"defaultKmsKeyName": key_name},
                "versioning": {"enabled": True},
                "softDeletePolicy": {"retentionDurationSeconds": 604800},
                "lifecycleRules": [{"action": {"type": "Delete"}, "condition": {"age": 365, "withState": "ARCHIVED"}}],
                "labels": labels,
            },
            provider=gcp,
            deps={"encryption": [key]},
        )
        cluster_inputs: dict[str, Any] = {
            "name": f"llmops-{t}",
            "location": region,
            "removeDefaultNodePool": True,
            "initialNodeCount": 1,
            "network": "projects/llmops-bench/global/networks/llmops",
            "subnetwork": f"projects/llmops-bench/regions/{region}/subnetworks/{t}",
            "privateClusterConfig": {
                "enablePrivateNodes": True,
                "enablePrivateEndpoint": True,
                "masterIpv4CidrBlock": "172.16.0.0/28",
            },
            "masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "10.0.0.0/8", "displayName": "corp"}]},
            "databaseEncryption": {"state": "ENCRYPTED", "keyName": key_name},
            "workloadIdentityConfig": {"workloadPool": f"{GCP_PROJECT}.svc.id.goog"},
            "loggingConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"]},
            "monitoringConfig": {"enableComponents": ["SYSTEM_COMPONENTS"]},
            "releaseChannel": {"channel": "REGULAR"},
            "resourceLabels": labels,
        }
        if defect == "gke-no-workload-identity":
            del cluster_inputs["workloadIdentityConfig"]
        cluster = out.custom(
            "gcp:container/cluster:Cluster",
            f"{t}-gke",
            cluster_inputs,
            provider=gcp,
            deps={"databaseEncryption": [key]},
            id_=f"projects/{GCP_PROJECT}/locations/{region}/clusters/llmops-{t}",
        )
        account = f"gke-nodes-{t}@{GCP_PROJECT}.iam.gserviceaccount.com"
        if defect == "gke-default-service-account":
            account = "default"
        out.custom(
            "gcp:container/nodePool:NodePool",
            f"{t}-gpu-pool",
            {
                "cluster": f"llmops-{t}",
                "location": region,
                "nodeCount": 1,
                "nodeConfig": {
                    "machineType": "g2-standard-24",
                    "guestAccelerators": [{"type": "nvidia-l4", "count": 2}],
                    "serviceAccount": account,
                    "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
                    "bootDiskKmsKey": key_name,
                    "workloadMetadataConfig": {"mode": "GKE_METADATA"},
                    "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
                    "labels": {"llmops.dev/tenant": t},
                },
                "management": {"autoRepair": True, "autoUpgrade": True},
            },
            provider=gcp,
            deps={"cluster": [cluster], "nodeConfig": [key]},
        )


def _deny_insecure_transport(arn: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


class Generated:
    """An export and what went into it."""

    def __init__(self, document: dict[str, Any], tenants: int, defects: collections.Counter[str]) -> None:
        self.document = document
        self.tenants = tenants
        self.defects = defects

    @property
    def resources(self) -> list[dict[str, Any]]:
        return self.document["deployment"]["resources"]

    def summary(self) -> str:
        by_type = collections.Counter(r["type"] for r in self.resources)
        lines = [f"{len(self.resources)} resources, {self.tenants} tenants, {sum(self.defects.values())} defects"]
        lines += [f"  {count:6d}  {type_}" for type_, count in by_type.most_common()]
        lines += [f"  defect {name}: {count}" for name, count in sorted(self.defects.items())]
        return "\n".join(lines)


def generate(
    resources: int, region: str = "eu-west-1", seed: int = 1972, defect_rate: float = 0.15, stack: str = STACK
) -> Generated:
    """An export of exactly `resources` resources (the Stack and providers included)."""
    platform = _Platform(region, seed, defect_rate, stack)
    base = len(platform.out.resources)
    if resources < base:
        raise ValueError(f"at least {base} resources: the stack, its providers and the access-log bucket")
    tenants = 0
    while True:
        before = len(platform.out.resources)
        state = platform.rng.getstate()
        defects = platform.defects.copy()
        platform.tenant(tenants)
        if len(platform.out.resources) > resources:
            # The tenant does not fit: take it back and fill the rest with resources no rule judges.
            del platform.out.resources[before:]
            platform.rng.setstate(state)
            platform.defects = defects
            break
        tenants += 1
    for index in range(resources - len(platform.out.resources)):
        platform.filler(index)
    return Generated(platform.out.document(), tenants, platform.defects)


def write(generated: Generated, path: Path | None) -> None:
    # `pulumi stack export` indents with four spaces.
    text = json.dumps(generated.document, indent=4) + "\n"
    if path is None:
        sys.stdout.write(text)
    else:
        path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic `pulumi stack export` of N resources.")
    parser.add_argument("--resources", type=int, default=1000, metavar="N", help="how many resources (default 1000)")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here instead of standard output")
    parser.add_argument("--region", choices=REGIONS, default="eu-west-1", help="the aws provider's region")
    parser.add_argument("--seed", type=int, default=1972, help="seed of the defect choice (default 1972)")
    parser.add_argument(
        "--defect-rate", type=float, default=0.15, help="chance a tenant unit carries one defect (default 0.15)"
    )
    parser.add_argument("--stack", default=STACK, help=f"stack name in the URNs (default {STACK})")
    parser.add_argument("--summary", action="store_true", help="print resource counts by type to standard error")
    args = parser.parse_args(argv)
    try:
        generated = generate(args.resources, args.region, args.seed, args.defect_rate, args.stack)
    except ValueError as error:
        parser.error(str(error))
    write(generated, args.output)
    if args.summary:
        print(generated.summary(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
