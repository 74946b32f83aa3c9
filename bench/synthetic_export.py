"""A synthetic `pulumi stack export` (deployment version 3) of N resources, for benchmarks.

The export looks like what the engine writes for a large multi-tenant platform: a root Stack, default aws, gcp
and kubernetes providers, and repeated "tenants", each a set of the units this project's components create
(components/aws), the data stores a team adds beside them, and some GCP and Kubernetes resources the rule modules
(policies/rules) read:

- an EncryptedBucket: S3 bucket, server-side encryption, public access block, bucket policy, versioning,
  lifecycle and logging; every companion's `bucket` input carries the bucket's auto-assigned name and its
  propertyDependencies name the bucket's URN, as the engine records them;
- KmsKeys: a KMS key and its alias;
- an IsolatedVpc: VPC, its managed default security group (no rules), flow-log role, CloudWatch log group, flow
  log (vpcId depends on the VPC), security group;
- a WorkloadRole: IAM role, IAM policy and the attachment;
- two AWS data-store units, the next two of a rotation of thirteen (DEFECTS_AWS_DATA), so that any 7 tenants in
  a row hold all of them: an RDS instance; an Aurora cluster and its instance; a DynamoDB table; an ElastiCache
  replication group; a MemoryDB cluster; an OpenSearch domain in the VPC; an FSx for Lustre file system; an ECR
  repository; a Secrets Manager secret; an SQS queue; an SNS topic; an EC2 instance in an AWS Backup plan (vault,
  plan, selection); an internet-facing ALB edge (HTTPS listener, a security group admitting only 443). Each store
  is encrypted with the tenant's KMS key (propertyDependencies on the key), private, TLS-only, backed up where it
  holds phi and tagged with owner, purpose and data-classification, as the packs require;
- every second tenant an EksCluster (cluster, launch template, node group) and a Kubernetes Namespace with a
  default-deny NetworkPolicy (metadata depends on the Namespace), an inference Deployment, a LoadBalancer Service
  (internal by annotation, or every other one limited to the VPC's range) and an Ingress with TLS;
- every third tenant a Cloud KMS key, a GCS bucket, a GKE cluster and a GPU node pool, and two GCP data stores of a
  rotation of nine (DEFECTS_GCP_DATA; any 15 tenants in a row hold all of them): Cloud SQL, Memorystore Redis, AlloyDB,
  Filestore, Artifact Registry, Secret Manager, BigQuery, Pub/Sub and a Compute Engine instance, each with the
  tenant's Cloud KMS key, private networking, TLS and labels.

Every custom resource has inputs, outputs, parent, provider reference and propertyDependencies (one for each
input, empty when it depends on nothing). Each part of a tenant (its AWS units, each data-store unit, its EKS
cluster, Kubernetes objects, GCP resources) carries one deliberate defect with probability --defect-rate (an
AES256 bucket, an open security group, a wildcard IAM policy, a privileged container, a public RDS instance, an
unencrypted queue, IMDSv1, a Cloud SQL public IP ...), so the packs find violations; a defect the packs judge only
on some classifications (DEFECT_CLASSES) goes only to tenants of those. Generated.placed says which defect went on
which resource (the one it makes a violation); --every-defect puts one in every part, each kind in turn, so that a
small export holds every kind. With --defect-rate 0 the export passes both packs in eu-west-1 (in us-east-1 only
GDPR's data residency fires). The same arguments always give the same bytes. Small leftovers up to exactly N are
Kubernetes ConfigMaps, a type no rule reads.

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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

PROJECT = "llmops-infra"
STACK = "bench"
ACCOUNT = "123456789012"
GCP_PROJECT = "llmops-bench"
GCP_PROJECT_NUMBER = "210987654321"
GCP_NETWORK = f"projects/{GCP_PROJECT}/global/networks/llmops"
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
DEFECTS_K8S = (
    "k8s-privileged",
    "k8s-no-network-policy",
    "k8s-run-as-root",
    "k8s-namespace-unlabelled",
    "service-lb-open",  # a LoadBalancer Service neither internal nor limited to source ranges
    "ingress-no-tls",
)
# The data-store units, each with its own defects (one unit is one part: it carries at most one). A tenant holds
# two AWS units and, every third tenant, two GCP units, by rotation (AWS_DATA_PER_TENANT, _rotation).
DEFECTS_AWS_DATA: dict[str, tuple[str, ...]] = {
    "rds": ("rds-unencrypted", "rds-public"),
    "dynamodb": ("dynamodb-no-pitr", "dynamodb-aws-owned-key"),
    "elasticache": ("elasticache-no-transit-encryption",),
    "memorydb": ("memorydb-no-cmk", "memorydb-no-tls"),
    "opensearch": ("opensearch-no-cmk", "opensearch-public"),
    "fsx": ("fsx-no-cmk",),
    "ecr": ("ecr-aes256",),
    "secretsmanager": ("secret-aws-managed-key",),
    "sqs": ("sqs-no-cmk",),
    "sns": ("sns-aws-managed-key",),
    "ec2": ("ec2-imdsv1", "ec2-public-ip", "ec2-root-unencrypted", "ec2-not-backed-up", "backup-vault-no-cmk"),
    "lb": ("lb-http-listener", "lb-open-port"),
    "aurora": ("aurora-aws-managed-key", "aurora-instance-public"),
}
DEFECTS_GCP_DATA: dict[str, tuple[str, ...]] = {
    "sql": ("sql-public-ip", "sql-no-cmek", "sql-no-tls"),
    "redis": ("redis-no-transit-encryption", "redis-no-cmek"),
    "alloydb": ("alloydb-no-backup", "alloydb-no-cmek"),
    "filestore": ("filestore-no-cmek", "filestore-no-deletion-protection"),
    "artifactregistry": ("artifact-registry-no-cmek",),
    "secretmanager": ("gcp-secret-auto-replication",),  # replication.auto without a CMEK
    "bigquery": ("bigquery-no-cmek",),
    "pubsub": ("pubsub-no-storage-policy", "pubsub-no-cmek"),
    "compute": ("gce-external-ip", "gce-default-service-account"),
}
AWS_DATA_PER_TENANT = 2
GCP_DATA_PER_TENANT = 2
# Defects the packs judge only on some classifications (a backup rule reads only phi stores, versioning only phi and
# personal buckets): placed only on a tenant of those, so every placed defect is a violation. Others: any tenant.
DEFECT_CLASSES: dict[str, tuple[str, ...]] = {
    "versioning-suspended": ("phi", "personal"),
    "no-lifecycle-expiry": ("phi", "personal"),
    "pubsub-no-storage-policy": ("phi", "personal"),  # residency: internal data may be stored anywhere
    "dynamodb-no-pitr": ("phi",),
    "ec2-not-backed-up": ("phi",),
    "alloydb-no-backup": ("phi",),
}
ALL_DEFECTS = (
    *DEFECTS_AWS,
    *DEFECTS_EKS,
    *DEFECTS_GCP,
    *DEFECTS_K8S,
    *(d for defects in DEFECTS_AWS_DATA.values() for d in defects),
    *(d for defects in DEFECTS_GCP_DATA.values() for d in defects),
)


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


class _Tenant(NamedTuple):
    """What a tenant's data-store units share: its name, classification, storage key and network."""

    number: int  # the tenant's index
    t: str
    classification: str
    key: str  # the KMS key's URN
    key_arn: str
    vpc_id: str
    vpc: str  # the VPC's URN
    cidr: str
    endpoints_sg_id: str
    endpoints_sg: str  # the endpoints security group's URN
    subnets: tuple[str, ...]  # private subnet ids (not resources of the export, as the EKS cluster's)


class _Platform:
    """The generator proper: shared resources first, then tenants until N resources."""

    def __init__(self, region: str, seed: int, defect_rate: float, stack: str, every_defect: bool = False) -> None:
        if region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}")
        self.region = region
        self.gcp_region = GCP_REGIONS[region]
        self.rng = random.Random(seed)
        self.defect_rate = defect_rate
        self.every_defect = every_defect
        self.out = ExportBuilder(stack, PROJECT)
        self.defects: collections.Counter[str] = collections.Counter()
        self.placed: list[tuple[str, str]] = []  # (defect, URN of the resource it makes a violation)
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

    def _defect(self, choices: Sequence[str], classification: str) -> str | None:
        """The defect a part carries, if any: with probability defect_rate one of `choices` that the packs judge on
        this classification; with every_defect always one, the least placed so far (each kind in turn)."""
        allowed = [d for d in choices if classification in DEFECT_CLASSES.get(d, CLASSIFICATIONS)]
        if self.every_defect:
            defect = min(allowed, key=lambda d: self.defects[d])
        else:
            if self.rng.random() >= self.defect_rate:
                return None
            defect = self.rng.choice(allowed)
        self.defects[defect] += 1
        return defect

    def _placed(self, defect: str | None, urn: str, *kinds: str) -> None:
        """Records that `defect`, when it is one of `kinds`, was placed on (makes a violation of) `urn`."""
        if defect in kinds:
            self.placed.append((defect, urn))

    @staticmethod
    def _rotation(units: Sequence[str], index: int, per_tenant: int) -> list[str]:
        """The `per_tenant` units of the index-th tenant: the next ones of `units`, round and round."""
        return [units[(index * per_tenant + k) % len(units)] for k in range(per_tenant)]

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
        defect = self._defect(DEFECTS_AWS, classification)
        key_urn, key_arn = self._kms_keys(t, classification, defect)
        self._encrypted_bucket(t, classification, key_urn, key_arn, defect)
        network = self._isolated_vpc(t, classification, key_urn, key_arn, defect)
        tenant = _Tenant(index, t, classification, key_urn, key_arn, *network)
        self._workload_role(t, classification, defect)
        for unit in self._rotation(tuple(DEFECTS_AWS_DATA), index, AWS_DATA_PER_TENANT):
            self.AWS_DATA_UNITS[unit](self, tenant, self._defect(DEFECTS_AWS_DATA[unit], classification))
        if index % 2 == 0:
            self._eks_cluster(t, classification, key_urn, key_arn, self._defect(DEFECTS_EKS, classification))
            self._kubernetes(tenant, self._defect(DEFECTS_K8S, classification))
        if index % 3 == 0:
            gcp_key, gcp_key_name = self._gcp(t, classification, self._defect(DEFECTS_GCP, classification))
            for unit in self._rotation(tuple(DEFECTS_GCP_DATA), index // 3, GCP_DATA_PER_TENANT):
                defect = self._defect(DEFECTS_GCP_DATA[unit], classification)
                self.GCP_DATA_UNITS[unit](self, t, classification, gcp_key, gcp_key_name, defect)

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
        self._placed(defect, key, "kms-short-deletion-window")
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
        self._placed(defect, bucket, "sse-aes256", "no-sse", "no-bucket-logging", "versioning-suspended")
        self._placed(defect, bucket, "no-lifecycle-expiry", "missing-owner-tag")
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
        self._placed(defect, block, "public-access-block-open")
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

    def _isolated_vpc(
        self, t: str, classification: str, key: str, key_arn: str, defect: str | None
    ) -> tuple[str, str, str, str, str, tuple[str, ...]]:
        """The tenant's network; returns the VPC's id and URN, its CIDR, the endpoints group's id and URN and the
        private subnet ids."""
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
        self._placed(defect, vpc, "flow-log-reject-only")
        # Empty rule lists take AWS's allow-all rules off the VPC's default group (components/aws/network.py).
        out.custom(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            f"{t}-default-sg",
            {"vpcId": vpc_id, "ingress": [], "egress": [], "tags": tags | {"Name": f"{t}-default-sg"}},
            provider=aws,
            parent=parent,
            deps={"vpcId": [vpc]},
            id_=f"sg-{_hex(t + 'default-sg', 17)}",
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
        self._placed(defect, group, "log-group-forever")
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
        sg_id = f"sg-{_hex(t + 'sg', 17)}"
        group_urn = out.custom(
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
            id_=sg_id,
        )
        self._placed(defect, group_urn, "security-group-open-ssh")
        subnets = tuple(f"subnet-{_hex(f'{t}-subnet-{i}', 17)}" for i in range(3))
        return vpc_id, vpc, cidr, sg_id, group_urn, subnets

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
        self._placed(defect, policy, "iam-wildcard")
        out.custom(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            f"{t}-reader-access",
            {"policyArn": f"arn:aws:iam::{ACCOUNT}:policy/{policy_name}", "role": role_name},
            provider=aws,
            parent=parent,
            deps={"policyArn": [policy], "role": [role]},
        )

    # -- a tenant's AWS data stores (raw pulumi_aws resources, as a team writes them beside our components) ---

    def _rds(self, n: _Tenant, defect: str | None) -> None:
        identifier = f"{n.t}-db"
        inputs: dict[str, Any] = {
            "identifier": identifier,
            "engine": "postgres",
            "engineVersion": "16.4",
            "instanceClass": "db.r6g.large",
            "allocatedStorage": 200,
            "dbSubnetGroupName": f"{n.t}-private",
            "storageEncrypted": True,
            "kmsKeyId": n.key_arn,
            "publiclyAccessible": defect == "rds-public",
            "deletionProtection": True,
            "backupRetentionPeriod": 14,
            "tags": self._tags(n.t, "rag-metadata", n.classification),
        }
        if defect == "rds-unencrypted":
            inputs["storageEncrypted"] = False
            del inputs["kmsKeyId"]
        urn = self.out.custom(
            "aws:rds/instance:Instance",
            identifier,
            inputs,
            provider=self.aws,
            deps={"kmsKeyId": [n.key] if "kmsKeyId" in inputs else []},
            id_=identifier,
            outputs={"arn": self._arn("rds", f"db:{identifier}")},
        )
        self._placed(defect, urn, "rds-unencrypted", "rds-public")

    def _aurora(self, n: _Tenant, defect: str | None) -> None:
        identifier = f"{n.t}-rag"
        key = self._arn("kms", "alias/aws/rds") if defect == "aurora-aws-managed-key" else n.key_arn
        cluster = self.out.custom(
            "aws:rds/cluster:Cluster",
            identifier,
            {
                "clusterIdentifier": identifier,
                "engine": "aurora-postgresql",
                "engineVersion": "16.4",
                "masterUsername": "llmops",
                "manageMasterUserPassword": True,
                "dbSubnetGroupName": f"{n.t}-private",
                "storageEncrypted": True,
                "kmsKeyId": key,
                "deletionProtection": True,
                "backupRetentionPeriod": 7,
                "tags": self._tags(n.t, "rag-store", n.classification),
            },
            provider=self.aws,
            deps={"kmsKeyId": [n.key] if key == n.key_arn else []},
            id_=identifier,
            outputs={"arn": self._arn("rds", f"cluster:{identifier}")},
        )
        self._placed(defect, cluster, "aurora-aws-managed-key")
        instance = self.out.custom(
            "aws:rds/clusterInstance:ClusterInstance",
            f"{identifier}-1",
            {
                "identifier": f"{identifier}-1",
                "clusterIdentifier": identifier,
                "engine": "aurora-postgresql",
                "instanceClass": "db.r6g.large",
                "publiclyAccessible": defect == "aurora-instance-public",
                "tags": self._tags(n.t, "rag-store", n.classification),
            },
            provider=self.aws,
            deps={"clusterIdentifier": [cluster]},
            id_=f"{identifier}-1",
        )
        self._placed(defect, instance, "aurora-instance-public")

    def _dynamodb(self, n: _Tenant, defect: str | None) -> None:
        name = f"{n.t}-sessions"
        inputs: dict[str, Any] = {
            "name": name,
            "billingMode": "PAY_PER_REQUEST",
            "hashKey": "id",
            "attributes": [{"name": "id", "type": "S"}],
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": n.key_arn},
            "pointInTimeRecovery": {"enabled": defect != "dynamodb-no-pitr"},
            "deletionProtectionEnabled": True,
            "tags": self._tags(n.t, "chat-sessions", n.classification),
        }
        if defect == "dynamodb-aws-owned-key":
            del inputs["serverSideEncryption"]  # encrypted with an AWS-owned key
        urn = self.out.custom(
            "aws:dynamodb/table:Table",
            name,
            inputs,
            provider=self.aws,
            deps={"serverSideEncryption": [n.key] if "serverSideEncryption" in inputs else []},
            id_=name,
            outputs={"arn": self._arn("dynamodb", f"table/{name}")},
        )
        self._placed(defect, urn, "dynamodb-no-pitr", "dynamodb-aws-owned-key")

    def _elasticache(self, n: _Tenant, defect: str | None) -> None:
        name = f"{n.t}-cache"
        inputs: dict[str, Any] = {
            "replicationGroupId": name,
            "description": f"{n.t} session cache",
            "engine": "redis",
            "engineVersion": "7.1",
            "nodeType": "cache.r7g.large",
            "numCacheClusters": 2,
            "automaticFailoverEnabled": True,
            "subnetGroupName": f"{n.t}-private",
            "securityGroupIds": [n.endpoints_sg_id],
            "atRestEncryptionEnabled": True,
            "kmsKeyId": n.key_arn,
            "transitEncryptionEnabled": True,
            "transitEncryptionMode": "required",
            "snapshotRetentionLimit": 7,
            "tags": self._tags(n.t, "session-cache", n.classification),
        }
        if defect == "elasticache-no-transit-encryption":
            inputs["transitEncryptionEnabled"] = False
            del inputs["transitEncryptionMode"]
        urn = self.out.custom(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            name,
            inputs,
            provider=self.aws,
            deps={"kmsKeyId": [n.key], "securityGroupIds": [n.endpoints_sg]},
            id_=name,
            outputs={"arn": self._arn("elasticache", f"replicationgroup:{name}")},
        )
        self._placed(defect, urn, "elasticache-no-transit-encryption")

    def _memorydb(self, n: _Tenant, defect: str | None) -> None:
        name = f"{n.t}-vectors"
        inputs: dict[str, Any] = {
            "name": name,
            "aclName": f"{n.t}-vectors",
            "nodeType": "db.r7g.large",
            "numShards": 1,
            "subnetGroupName": f"{n.t}-private",
            "securityGroupIds": [n.endpoints_sg_id],
            "tlsEnabled": defect != "memorydb-no-tls",
            "snapshotRetentionLimit": 7,
            "kmsKeyArn": n.key_arn,
            "tags": self._tags(n.t, "embedding-cache", n.classification),
        }
        if defect == "memorydb-no-cmk":
            del inputs["kmsKeyArn"]
        urn = self.out.custom(
            "aws:memorydb/cluster:Cluster",
            name,
            inputs,
            provider=self.aws,
            deps={"kmsKeyArn": [n.key] if "kmsKeyArn" in inputs else [], "securityGroupIds": [n.endpoints_sg]},
            id_=name,
            outputs={"arn": self._arn("memorydb", f"cluster/{name}")},
        )
        self._placed(defect, urn, "memorydb-no-cmk", "memorydb-no-tls")

    def _opensearch(self, n: _Tenant, defect: str | None) -> None:
        name = f"{n.t}-rag-index"
        at_rest: dict[str, Any] = {"enabled": True, "kmsKeyId": n.key_arn}
        if defect == "opensearch-no-cmk":
            at_rest = {"enabled": True}  # the aws/es service key
        inputs: dict[str, Any] = {
            "domainName": name,
            "engineVersion": "OpenSearch_2.13",
            "clusterConfig": {"instanceType": "r6g.large.search", "instanceCount": 2},
            "ebsOptions": {"ebsEnabled": True, "volumeSize": 100, "volumeType": "gp3"},
            "encryptAtRest": at_rest,
            "nodeToNodeEncryption": {"enabled": True},
            "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
            "vpcOptions": {"subnetIds": [n.subnets[0]], "securityGroupIds": [n.endpoints_sg_id]},
            "tags": self._tags(n.t, "rag-index", n.classification),
        }
        if defect == "opensearch-public":
            del inputs["vpcOptions"]
        urn = self.out.custom(
            "aws:opensearch/domain:Domain",
            name,
            inputs,
            provider=self.aws,
            deps={
                "encryptAtRest": [n.key] if "kmsKeyId" in at_rest else [],
                "vpcOptions": [n.endpoints_sg] if "vpcOptions" in inputs else [],
            },
            outputs={"arn": self._arn("es", f"domain/{name}")},
        )
        self._placed(defect, urn, "opensearch-no-cmk", "opensearch-public")

    def _fsx(self, n: _Tenant, defect: str | None) -> None:
        inputs: dict[str, Any] = {
            "storageCapacity": 2400,
            "subnetIds": n.subnets[0],  # one subnet, a string in pulumi-aws v7
            "securityGroupIds": [n.endpoints_sg_id],
            "deploymentType": "PERSISTENT_2",
            "perUnitStorageThroughput": 250,
            "kmsKeyId": n.key_arn,
            "tags": self._tags(n.t, "training-data", n.classification),
        }
        if defect == "fsx-no-cmk":
            del inputs["kmsKeyId"]  # an AWS-managed key
        urn = self.out.custom(
            "aws:fsx/lustreFileSystem:LustreFileSystem",
            f"{n.t}-training-fs",
            inputs,
            provider=self.aws,
            deps={"kmsKeyId": [n.key] if "kmsKeyId" in inputs else [], "securityGroupIds": [n.endpoints_sg]},
            id_=f"fs-{_hex(n.t + 'fsx', 17)}",
        )
        self._placed(defect, urn, "fsx-no-cmk")

    def _ecr(self, n: _Tenant, defect: str | None) -> None:
        name = f"llmops/{n.t}-inference"
        encryption: dict[str, Any] = {"encryptionType": "KMS", "kmsKey": n.key_arn}
        if defect == "ecr-aes256":
            encryption = {"encryptionType": "AES256"}
        urn = self.out.custom(
            "aws:ecr/repository:Repository",
            f"{n.t}-images",
            {
                "name": name,
                "imageTagMutability": "IMMUTABLE",
                "imageScanningConfiguration": {"scanOnPush": True},
                "encryptionConfigurations": [encryption],
                "tags": self._tags(n.t, "inference-images", n.classification),
            },
            provider=self.aws,
            deps={"encryptionConfigurations": [n.key] if "kmsKey" in encryption else []},
            id_=name,
            outputs={"arn": self._arn("ecr", f"repository/{name}")},
        )
        self._placed(defect, urn, "ecr-aes256")

    def _secretsmanager(self, n: _Tenant, defect: str | None) -> None:
        name = f"{n.t}/hf-token"
        key = "alias/aws/secretsmanager" if defect == "secret-aws-managed-key" else n.key_arn
        urn = self.out.custom(
            "aws:secretsmanager/secret:Secret",
            f"{n.t}-hf-token",
            {
                "name": name,
                "kmsKeyId": key,
                "recoveryWindowInDays": 30,
                "tags": self._tags(n.t, "model-hub-token", n.classification),
            },
            provider=self.aws,
            deps={"kmsKeyId": [n.key] if key == n.key_arn else []},
            outputs={"arn": self._arn("secretsmanager", f"secret:{name}-{_hex(name, 6)}")},
        )
        self._placed(defect, urn, "secret-aws-managed-key")

    def _sqs(self, n: _Tenant, defect: str | None) -> None:
        name = f"{n.t}-ingest"
        inputs: dict[str, Any] = {
            "name": name,
            "kmsMasterKeyId": n.key_arn,
            "kmsDataKeyReusePeriodSeconds": 300,
            "messageRetentionSeconds": 345600,
            "tags": self._tags(n.t, "document-ingest", n.classification),
        }
        if defect == "sqs-no-cmk":
            del inputs["kmsMasterKeyId"], inputs["kmsDataKeyReusePeriodSeconds"]
            inputs["sqsManagedSseEnabled"] = True  # SQS-owned keys
        urn = self.out.custom(
            "aws:sqs/queue:Queue",
            name,
            inputs,
            provider=self.aws,
            deps={"kmsMasterKeyId": [n.key] if "kmsMasterKeyId" in inputs else []},
            id_=f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{name}",
            outputs={"arn": self._arn("sqs", name)},
        )
        self._placed(defect, urn, "sqs-no-cmk")

    def _sns(self, n: _Tenant, defect: str | None) -> None:
        name = f"{n.t}-alerts"
        key = "alias/aws/sns" if defect == "sns-aws-managed-key" else n.key_arn
        urn = self.out.custom(
            "aws:sns/topic:Topic",
            name,
            {"name": name, "kmsMasterKeyId": key, "tags": self._tags(n.t, "alerts", n.classification)},
            provider=self.aws,
            deps={"kmsMasterKeyId": [n.key] if key == n.key_arn else []},
            id_=self._arn("sns", name),
            outputs={"arn": self._arn("sns", name)},
        )
        self._placed(defect, urn, "sns-aws-managed-key")

    def _ec2(self, n: _Tenant, defect: str | None) -> None:
        """A batch VM with its encrypted volumes, in an AWS Backup plan (vault, plan, selection)."""
        out, aws = self.out, self.aws
        tags = self._tags(n.t, "batch-vm", n.classification)
        root: dict[str, Any] = {"encrypted": True, "kmsKeyId": n.key_arn, "volumeSize": 100, "volumeType": "gp3"}
        if defect == "ec2-root-unencrypted":
            root = {"encrypted": False, "volumeSize": 100, "volumeType": "gp3"}
        instance_id = f"i-{_hex(n.t + 'batch-vm', 17)}"
        instance_arn = self._arn("ec2", f"instance/{instance_id}")
        instance = out.custom(
            "aws:ec2/instance:Instance",
            f"{n.t}-batch-vm",
            {
                "ami": "ami-0c1d2e3f4a5b6c7d8",
                "instanceType": "g6.xlarge",
                "subnetId": n.subnets[0],
                "vpcSecurityGroupIds": [n.endpoints_sg_id],
                "associatePublicIpAddress": defect == "ec2-public-ip",
                "metadataOptions": {
                    "httpEndpoint": "enabled",
                    "httpTokens": "optional" if defect == "ec2-imdsv1" else "required",
                    "httpPutResponseHopLimit": 1,
                },
                "rootBlockDevice": root,
                "ebsBlockDevices": [
                    {
                        "deviceName": "/dev/sdf",
                        "encrypted": True,
                        "kmsKeyId": n.key_arn,
                        "volumeSize": 500,
                        "volumeType": "gp3",
                    }
                ],
                "tags": tags,
            },
            provider=aws,
            deps={
                "vpcSecurityGroupIds": [n.endpoints_sg],
                "rootBlockDevice": [n.key] if "kmsKeyId" in root else [],
                "ebsBlockDevices": [n.key],
            },
            id_=instance_id,
            outputs={"arn": instance_arn},
        )
        self._placed(defect, instance, "ec2-imdsv1", "ec2-public-ip", "ec2-root-unencrypted", "ec2-not-backed-up")
        vault_name = f"{n.t}-backups"
        vault_inputs: dict[str, Any] = {"name": vault_name, "kmsKeyArn": n.key_arn, "tags": tags}
        if defect == "backup-vault-no-cmk":
            del vault_inputs["kmsKeyArn"]  # the AWS-managed aws/backup key
        vault = out.custom(
            "aws:backup/vault:Vault",
            vault_name,
            vault_inputs,
            provider=aws,
            deps={"kmsKeyArn": [n.key] if "kmsKeyArn" in vault_inputs else []},
            id_=vault_name,
            outputs={"arn": self._arn("backup", f"backup-vault:{vault_name}")},
        )
        self._placed(defect, vault, "backup-vault-no-cmk")
        plan_id = _uuid(f"{n.t}-backup-plan")
        plan = out.custom(
            "aws:backup/plan:Plan",
            f"{n.t}-daily",
            {
                "name": f"{n.t}-daily",
                "rules": [
                    {
                        "ruleName": "daily",
                        "targetVaultName": vault_name,
                        "schedule": "cron(0 3 * * ? *)",
                        "lifecycle": {"deleteAfter": 35},
                    }
                ],
                "tags": tags,
            },
            provider=aws,
            deps={"rules": [vault]},
            id_=plan_id,
        )
        if defect != "ec2-not-backed-up":
            out.custom(
                "aws:backup/selection:Selection",
                f"{n.t}-batch-vm",
                {
                    "name": f"{n.t}-batch-vm",
                    "planId": plan_id,
                    "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{n.t}-backup",
                    "resources": [instance_arn],
                },
                provider=aws,
                deps={"planId": [plan], "resources": [instance]},
            )

    def _lb(self, n: _Tenant, defect: str | None) -> None:
        """An internet-facing edge: an ALB with an HTTPS listener only, its security group admitting only 443."""
        out, aws = self.out, self.aws
        tags = self._tags(n.t, "edge", n.classification)
        ingress: list[dict[str, Any]] = [
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "description": "HTTPS"}
        ]
        if defect == "lb-open-port":
            ingress.append({"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]})
        sg_id = f"sg-{_hex(n.t + 'edge-sg', 17)}"
        group = out.custom(
            "aws:ec2/securityGroup:SecurityGroup",
            f"{n.t}-edge",
            {
                "vpcId": n.vpc_id,
                "description": f"HTTPS from the internet to the edge load balancer of {n.t}",
                "ingress": ingress,
                "egress": [{"protocol": "tcp", "fromPort": 8000, "toPort": 8000, "cidrBlocks": [n.cidr]}],
                "tags": tags | {"Name": f"{n.t}-edge"},
            },
            provider=aws,
            deps={"vpcId": [n.vpc]},
            id_=sg_id,
        )
        self._placed(defect, group, "lb-open-port")
        name = f"{n.t}-edge"
        lb_arn = self._arn("elasticloadbalancing", f"loadbalancer/app/{name}/{_hex(name, 16)}")
        lb = out.custom(
            "aws:lb/loadBalancer:LoadBalancer",
            name,
            {
                "name": name,
                "internal": False,
                "loadBalancerType": "application",
                "securityGroups": [sg_id],
                "subnets": list(n.subnets),
                "dropInvalidHeaderFields": True,
                "tags": tags,
            },
            provider=aws,
            deps={"securityGroups": [group]},
            id_=lb_arn,
            outputs={"arn": lb_arn},
        )
        target_group = self._arn("elasticloadbalancing", f"targetgroup/{n.t}-inference/{_hex(n.t + 'tg', 16)}")
        listener: dict[str, Any] = {
            "loadBalancerArn": lb_arn,
            "port": 443,
            "protocol": "HTTPS",
            "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "certificateArn": self._arn("acm", f"certificate/{_uuid(n.t + 'certificate')}"),
            "defaultActions": [{"type": "forward", "targetGroupArn": target_group}],
        }
        if defect == "lb-http-listener":
            listener = {
                "loadBalancerArn": lb_arn,
                "port": 80,
                "protocol": "HTTP",
                "defaultActions": [{"type": "forward", "targetGroupArn": target_group}],
            }
        urn = out.custom(
            "aws:lb/listener:Listener",
            f"{name}-listener",
            listener,
            provider=aws,
            deps={"loadBalancerArn": [lb]},
        )
        self._placed(defect, urn, "lb-http-listener")

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
        self._placed(defect, cluster, "eks-public-endpoint", "eks-no-audit-logs")
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
        self._placed(defect, template, "launch-template-unencrypted")
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

    def _kubernetes(self, tenant: _Tenant, defect: str | None) -> None:
        out, k8s = self.out, self.k8s
        t, classification = tenant.t, tenant.classification
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
        self._placed(defect, namespace, "k8s-no-network-policy", "k8s-namespace-unlabelled")
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
        deployment = out.custom(
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
        self._placed(defect, deployment, "k8s-privileged", "k8s-run-as-root")
        # The server behind an internal load balancer (every other tenant: one open only to the VPC's range
        # instead) for clients in the VPC, and behind an Ingress that terminates TLS for the platform's gateway.
        annotations: dict[str, str] = {}
        service_spec: dict[str, Any] = {
            "type": "LoadBalancer",
            "selector": app,
            "ports": [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}],
        }
        if tenant.number % 4 == 0:
            annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] = "internal"
        else:
            service_spec["loadBalancerSourceRanges"] = [tenant.cidr]
        if defect == "service-lb-open":
            annotations = {}
            service_spec["loadBalancerSourceRanges"] = ["0.0.0.0/0"]
        service_metadata: dict[str, Any] = {"name": "inference", "namespace": t, "labels": app}
        if annotations:
            service_metadata["annotations"] = annotations
        service = out.custom(
            "kubernetes:core/v1:Service",
            f"{t}-inference",
            {"apiVersion": "v1", "kind": "Service", "metadata": service_metadata, "spec": service_spec},
            provider=k8s,
            deps={"metadata": [namespace]},
            id_=f"{t}/inference",
        )
        self._placed(defect, service, "service-lb-open")
        host = f"{t}.inference.llmops.internal"
        ingress_spec: dict[str, Any] = {
            "ingressClassName": "alb",
            "tls": [{"hosts": [host], "secretName": "inference-tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "inference", "port": {"number": 8000}}},
                            }
                        ]
                    },
                }
            ],
        }
        if defect == "ingress-no-tls":
            del ingress_spec["tls"]
        ingress = out.custom(
            "kubernetes:networking.k8s.io/v1:Ingress",
            f"{t}-inference",
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "inference", "namespace": t, "labels": app},
                "spec": ingress_spec,
            },
            provider=k8s,
            deps={"metadata": [namespace]},
            id_=f"{t}/inference",
        )
        self._placed(defect, ingress, "ingress-no-tls")

    def _gcp(self, t: str, classification: str, defect: str | None) -> tuple[str, str]:
        """The tenant's GCP part; returns its Cloud KMS key's URN and name, which its GCP data stores use."""
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
        gcs = out.custom(
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
        self._placed(defect, gcs, "gcs-public-access-inherited")
        cluster_inputs: dict[str, Any] = {
            "name": f"llmops-{t}",
            "location": region,
            "removeDefaultNodePool": True,
            "initialNodeCount": 1,
            "network": GCP_NETWORK,
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
        self._placed(defect, cluster, "gke-no-workload-identity")
        account = f"gke-nodes-{t}@{GCP_PROJECT}.iam.gserviceaccount.com"
        if defect == "gke-default-service-account":
            account = "default"
        pool = out.custom(
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
        self._placed(defect, pool, "gke-default-service-account")
        return key, key_name

    # -- a GCP tenant's data stores (raw pulumi_gcp resources), each with the tenant's Cloud KMS key -------------

    def _gcp_store(self, type_: str, name: str, inputs: Mapping[str, Any], key: str, id_: str, *keyed: str) -> str:
        """A GCP data store whose inputs `keyed` were computed from the key (the engine's property dependencies)."""
        deps = {input_: [key] for input_ in keyed if input_ in inputs}
        return self.out.custom(type_, name, inputs, provider=self.gcp, deps=deps, id_=id_)

    def _sql(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        region = self.gcp_region
        name = f"{t}-db"
        ip_configuration: dict[str, Any] = {
            "ipv4Enabled": False,
            "privateNetwork": GCP_NETWORK,
            "sslMode": "ENCRYPTED_ONLY",
        }
        if defect == "sql-public-ip":
            ip_configuration |= {"ipv4Enabled": True, "authorizedNetworks": [{"name": "any", "value": "0.0.0.0/0"}]}
        if defect == "sql-no-tls":
            ip_configuration["sslMode"] = "ALLOW_UNENCRYPTED_AND_ENCRYPTED"
        inputs: dict[str, Any] = {
            "name": name,
            "region": region,
            "databaseVersion": "POSTGRES_16",
            "encryptionKeyName": key_name,
            "deletionProtection": True,
            "settings": {
                "tier": "db-perf-optimized-N-2",
                "edition": "ENTERPRISE_PLUS",
                "userLabels": self._tags(t, "rag-serving", classification),
                "deletionProtectionEnabled": True,
                "backupConfiguration": {"enabled": True, "pointInTimeRecoveryEnabled": True, "location": region},
                "ipConfiguration": ip_configuration,
            },
        }
        if defect == "sql-no-cmek":
            del inputs["encryptionKeyName"]
        id_ = f"projects/{GCP_PROJECT}/instances/{name}"
        urn = self._gcp_store("gcp:sql/databaseInstance:DatabaseInstance", name, inputs, key, id_, "encryptionKeyName")
        self._placed(defect, urn, "sql-public-ip", "sql-no-cmek", "sql-no-tls")

    def _redis(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        region = self.gcp_region
        name = f"{t}-cache"
        inputs: dict[str, Any] = {
            "name": name,
            "region": region,
            "tier": "STANDARD_HA",
            "memorySizeGb": 4,
            "locationId": f"{region}-a",
            "alternativeLocationId": f"{region}-b",
            "authorizedNetwork": GCP_NETWORK,
            "connectMode": "PRIVATE_SERVICE_ACCESS",
            "customerManagedKey": key_name,
            "transitEncryptionMode": "DISABLED" if defect == "redis-no-transit-encryption" else "SERVER_AUTHENTICATION",
            "authEnabled": True,
            "labels": self._tags(t, "session-cache", classification),
        }
        if defect == "redis-no-cmek":
            del inputs["customerManagedKey"]
        id_ = f"projects/{GCP_PROJECT}/locations/{region}/instances/{name}"
        urn = self._gcp_store("gcp:redis/instance:Instance", name, inputs, key, id_, "customerManagedKey")
        self._placed(defect, urn, "redis-no-transit-encryption", "redis-no-cmek")

    def _alloydb(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        region = self.gcp_region
        name = f"{t}-rag-store"
        inputs: dict[str, Any] = {
            "clusterId": name,
            "location": region,
            "networkConfig": {"network": GCP_NETWORK},
            "encryptionConfig": {"kmsKeyName": key_name},
            "automatedBackupPolicy": {
                "enabled": defect != "alloydb-no-backup",
                "location": region,
                "weeklySchedule": {"startTimes": [{"hours": 2}]},
                "quantityBasedRetention": {"count": 14},
                "encryptionConfig": {"kmsKeyName": key_name},
            },
            "labels": self._tags(t, "rag-store", classification),
        }
        if defect == "alloydb-no-cmek":
            del inputs["encryptionConfig"]
        id_ = f"projects/{GCP_PROJECT}/locations/{region}/clusters/{name}"
        urn = self._gcp_store(
            "gcp:alloydb/cluster:Cluster", name, inputs, key, id_, "encryptionConfig", "automatedBackupPolicy"
        )
        self._placed(defect, urn, "alloydb-no-backup", "alloydb-no-cmek")

    def _filestore(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        zone = f"{self.gcp_region}-a"
        name = f"{t}-model-cache"
        inputs: dict[str, Any] = {
            "name": name,
            "location": zone,
            "tier": "BASIC_SSD",
            "kmsKeyName": key_name,
            "deletionProtectionEnabled": defect != "filestore-no-deletion-protection",
            "fileShares": {"name": "models", "capacityGb": 2560},
            "networks": [{"network": "llmops", "modes": ["MODE_IPV4"]}],
            "labels": self._tags(t, "model-cache", classification),
        }
        if defect == "filestore-no-cmek":
            del inputs["kmsKeyName"]
        id_ = f"projects/{GCP_PROJECT}/locations/{zone}/instances/{name}"
        urn = self._gcp_store("gcp:filestore/instance:Instance", name, inputs, key, id_, "kmsKeyName")
        self._placed(defect, urn, "filestore-no-cmek", "filestore-no-deletion-protection")

    def _artifactregistry(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        region = self.gcp_region
        name = f"{t}-images"
        inputs: dict[str, Any] = {
            "repositoryId": name,
            "location": region,
            "format": "DOCKER",
            "kmsKeyName": key_name,
            "labels": self._tags(t, "inference-images", classification),
        }
        if defect == "artifact-registry-no-cmek":
            del inputs["kmsKeyName"]
        id_ = f"projects/{GCP_PROJECT}/locations/{region}/repositories/{name}"
        urn = self._gcp_store("gcp:artifactregistry/repository:Repository", name, inputs, key, id_, "kmsKeyName")
        self._placed(defect, urn, "artifact-registry-no-cmek")

    def _secretmanager(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        name = f"{t}-hf-token"
        replication: dict[str, Any] = {
            "userManaged": {
                "replicas": [{"location": self.gcp_region, "customerManagedEncryption": {"kmsKeyName": key_name}}]
            }
        }
        if defect == "gcp-secret-auto-replication":
            replication = {"auto": {}}  # anywhere, with Google-managed keys
        inputs = {
            "secretId": name,
            "replication": replication,
            "deletionProtection": True,
            "labels": self._tags(t, "model-hub-token", classification),
        }
        id_ = f"projects/{GCP_PROJECT}/secrets/{name}"
        keyed = ("replication",) if "userManaged" in replication else ()
        urn = self._gcp_store("gcp:secretmanager/secret:Secret", name, inputs, key, id_, *keyed)
        self._placed(defect, urn, "gcp-secret-auto-replication")

    def _bigquery(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        dataset = f"{t}_evals"  # letters, digits and underscores only
        inputs: dict[str, Any] = {
            "datasetId": dataset,
            "location": self.gcp_region,
            "defaultEncryptionConfiguration": {"kmsKeyName": key_name},
            "labels": self._tags(t, "evaluations", classification),
        }
        if defect == "bigquery-no-cmek":
            del inputs["defaultEncryptionConfiguration"]
        id_ = f"projects/{GCP_PROJECT}/datasets/{dataset}"
        urn = self._gcp_store(
            "gcp:bigquery/dataset:Dataset", f"{t}-evals", inputs, key, id_, "defaultEncryptionConfiguration"
        )
        self._placed(defect, urn, "bigquery-no-cmek")

    def _pubsub(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        name = f"{t}-ingest"
        inputs: dict[str, Any] = {
            "name": name,
            "kmsKeyName": key_name,
            "messageStoragePolicy": {"allowedPersistenceRegions": [self.gcp_region]},
            "labels": self._tags(t, "document-ingest", classification),
        }
        if defect == "pubsub-no-storage-policy":
            del inputs["messageStoragePolicy"]  # messages may be stored in any region
        if defect == "pubsub-no-cmek":
            del inputs["kmsKeyName"]
        id_ = f"projects/{GCP_PROJECT}/topics/{name}"
        urn = self._gcp_store("gcp:pubsub/topic:Topic", name, inputs, key, id_, "kmsKeyName")
        self._placed(defect, urn, "pubsub-no-storage-policy", "pubsub-no-cmek")

    def _compute(self, t: str, classification: str, key: str, key_name: str, defect: str | None) -> None:
        zone = f"{self.gcp_region}-a"
        name = f"{t}-batch-vm"
        interface: dict[str, Any] = {"subnetwork": f"projects/{GCP_PROJECT}/regions/{self.gcp_region}/subnetworks/{t}"}
        if defect == "gce-external-ip":
            interface["accessConfigs"] = [{"networkTier": "PREMIUM"}]
        account = f"batch-{t}@{GCP_PROJECT}.iam.gserviceaccount.com"
        if defect == "gce-default-service-account":
            account = f"{GCP_PROJECT_NUMBER}-compute@developer.gserviceaccount.com"
        inputs = {
            "name": name,
            "zone": zone,
            "machineType": "g2-standard-8",
            "bootDisk": {"initializeParams": {"image": "debian-cloud/debian-12"}, "kmsKeySelfLink": key_name},
            "networkInterfaces": [interface],
            "serviceAccount": {"email": account, "scopes": ["cloud-platform"]},
            "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
            "labels": self._tags(t, "batch-vm", classification),
        }
        id_ = f"projects/{GCP_PROJECT}/zones/{zone}/instances/{name}"
        urn = self._gcp_store("gcp:compute/instance:Instance", name, inputs, key, id_, "bootDisk")
        self._placed(defect, urn, "gce-external-ip", "gce-default-service-account")

    # The data-store units by name (DEFECTS_AWS_DATA, DEFECTS_GCP_DATA).
    AWS_DATA_UNITS: ClassVar[dict[str, Callable[[_Platform, _Tenant, str | None], None]]] = {
        "rds": _rds,
        "dynamodb": _dynamodb,
        "elasticache": _elasticache,
        "memorydb": _memorydb,
        "opensearch": _opensearch,
        "fsx": _fsx,
        "ecr": _ecr,
        "secretsmanager": _secretsmanager,
        "sqs": _sqs,
        "sns": _sns,
        "ec2": _ec2,
        "lb": _lb,
        "aurora": _aurora,
    }
    GCP_DATA_UNITS: ClassVar[dict[str, Callable[[_Platform, str, str, str, str, str | None], None]]] = {
        "sql": _sql,
        "redis": _redis,
        "alloydb": _alloydb,
        "filestore": _filestore,
        "artifactregistry": _artifactregistry,
        "secretmanager": _secretmanager,
        "bigquery": _bigquery,
        "pubsub": _pubsub,
        "compute": _compute,
    }


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

    def __init__(
        self,
        document: dict[str, Any],
        tenants: int,
        defects: collections.Counter[str],
        placed: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.document = document
        self.tenants = tenants
        self.defects = defects
        # Each defect placed, in order, with the URN of the resource it makes a violation.
        self.placed = list(placed)

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
    resources: int,
    region: str = "eu-west-1",
    seed: int = 1972,
    defect_rate: float = 0.15,
    stack: str = STACK,
    every_defect: bool = False,
) -> Generated:
    """An export of exactly `resources` resources (the Stack and providers included).

    With every_defect, every part of every tenant carries a defect, each kind of its part in turn, whatever
    defect_rate says: a small export then holds every kind of defect (ALL_DEFECTS) at least once."""
    platform = _Platform(region, seed, defect_rate, stack, every_defect)
    base = len(platform.out.resources)
    if resources < base:
        raise ValueError(f"at least {base} resources: the stack, its providers and the access-log bucket")
    tenants = 0
    while True:
        before = len(platform.out.resources)
        state = platform.rng.getstate()
        defects = platform.defects.copy()
        placed = len(platform.placed)
        platform.tenant(tenants)
        if len(platform.out.resources) > resources:
            # The tenant does not fit: take it back and fill the rest with resources no rule judges.
            del platform.out.resources[before:]
            del platform.placed[placed:]
            platform.rng.setstate(state)
            platform.defects = defects
            break
        tenants += 1
    for index in range(resources - len(platform.out.resources)):
        platform.filler(index)
    return Generated(platform.out.document(), tenants, platform.defects, platform.placed)


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
    parser.add_argument(
        "--every-defect", action="store_true", help="a defect in every part, each kind in turn (ignores --defect-rate)"
    )
    parser.add_argument("--summary", action="store_true", help="print resource counts by type to standard error")
    args = parser.parse_args(argv)
    try:
        generated = generate(args.resources, args.region, args.seed, args.defect_rate, args.stack, args.every_defect)
    except ValueError as error:
        parser.error(str(error))
    write(generated, args.output)
    if args.summary:
        print(generated.summary(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
