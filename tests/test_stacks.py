"""The shipped AWS environments: each previews to completion and has the security properties it promises.
(GCP: tests/test_stacks_gcp.py; onprem, hybrid and edge: tests/test_stacks_k8s.py.)"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from llmops_infra.cli.program import run_stack
from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.cli.stackfile import resolve
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY

ROOT = Path(__file__).resolve().parents[1]
AWS_STACKS = sorted(
    name
    for name in (p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "configs").glob("Pulumi.*.yaml"))
    if json.loads(resolve(name, ROOT).settings.config["llmops-infra:platform"])["targets"] == ["aws"]
)


@cache
def recording(stack: str) -> Recording:
    return run_stack(resolve(stack, ROOT))


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_shipped_environment_previews_to_completion(stack: str):
    rec = recording(stack)
    assert rec.stack_outputs["clusterName"] == f"llmops-{stack}"
    pools = [r.name for r in rec.of_type("llmops:aws:GpuNodePool")]
    assert pools == rec.stack_outputs["nodePools"] and pools
    # one node group per accelerator pool, plus the cluster's system nodes
    assert len(rec.of_type("aws:eks/nodeGroup:NodeGroup")) == len(pools) + 1


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_kubeconfig_output_is_secret(stack: str):
    assert recording(stack).stack_outputs["kubeconfig"][SIG_KEY] == SECRET_SIG


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_resource_has_the_stack_region_provider(stack: str):
    rec = recording(stack)
    (provider,) = rec.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    for r in rec.resources:
        if r.custom and r.type.startswith("aws:"):
            assert r.provider == f"{provider.urn}::{provider.id}", r.urn


def _attached(rec: Recording, token: str, bucket: Registration) -> list[Registration]:
    names = {bucket.id, bucket.outputs["bucket"]}
    return [r for r in rec.of_type(token) if r.inputs.get("bucket") in names]


class TestProdHipaa:
    rec = property(lambda self: recording("prod-hipaa"))

    def test_cluster_is_private_and_encrypts_secrets(self):
        cluster = self.rec.one("aws:eks/cluster:Cluster")
        assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
        (encryption,) = (
            cluster.inputs["encryptionConfig"]
            if isinstance(cluster.inputs["encryptionConfig"], list)
            else [cluster.inputs["encryptionConfig"]]
        )
        assert encryption["resources"] == ["secrets"]
        assert encryption["provider"]["keyArn"].startswith("arn:aws:kms:us-east-1:")

    def test_training_pool_is_p5_with_efa_and_the_reservation(self):
        group = self.rec.one("aws:eks/nodeGroup:NodeGroup", "h100-train")
        assert group.inputs["instanceTypes"] == ["p5.48xlarge"]
        assert group.inputs["capacityType"] == "ON_DEMAND"
        template = self.rec.one("aws:ec2/launchTemplate:LaunchTemplate", "h100-train-lt")
        assert len(template.inputs["networkInterfaces"]) == 32
        target = template.inputs["capacityReservationSpecification"]["capacityReservationTarget"]
        assert target["capacityReservationId"] == "cr-0a1b2c3d4e5f60718"

    def test_every_kms_key_rotates(self):
        keys = self.rec.of_type("aws:kms/key:Key")
        assert len(keys) == 3
        assert all(k.inputs["enableKeyRotation"] is True for k in keys)

    @pytest.mark.parametrize(
        "token",
        [
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/bucketVersioning:BucketVersioning",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        ],
    )
    def test_every_bucket_has_its_companion_resource(self, token: str):
        for bucket in self.rec.of_type("aws:s3/bucket:Bucket"):
            assert len(_attached(self.rec, token, bucket)) == 1, (bucket.name, token)

    def test_every_data_bucket_is_logged_kms_encrypted_and_classified_phi(self):
        data_buckets = [b for b in self.rec.of_type("aws:s3/bucket:Bucket") if b.name != "access-logs"]
        assert {b.name for b in data_buckets} == {"models", "datasets", "checkpoints"}
        sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        for bucket in data_buckets:
            assert bucket.inputs["tags"]["data-classification"] == "phi"
            (logging,) = _attached(self.rec, "aws:s3/bucketLogging:BucketLogging", bucket)
            assert logging.inputs["targetBucket"] == self.rec.stack_outputs["accessLogBucket"]
            (rule,) = _attached(self.rec, sse, bucket)[0].inputs["rules"]
            assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"

    def test_every_bucket_policy_denies_plain_http(self):
        for policy in self.rec.of_type("aws:s3/bucketPolicy:BucketPolicy"):
            statements = json.loads(policy.inputs["policy"])["Statement"]
            assert any(
                s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false" for s in statements
            )

    def test_logs_keep_six_years(self):
        for group in self.rec.of_type("aws:cloudwatch/logGroup:LogGroup"):
            assert group.inputs["retentionInDays"] == 2192
            assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")

    def test_capacity_summary(self):
        capacity = {row["pool"]: row for row in self.rec.stack_outputs["capacity"]}
        assert capacity["h100-train"]["accelerators_per_node"] == 8
        assert capacity["h100-train"]["total_at_max"] == 32
        assert capacity["l40s-serve"]["total_at_max"] == 24


def test_dev_pool_is_spot_and_scales_from_zero():
    rec = recording("dev")
    group = rec.one("aws:eks/nodeGroup:NodeGroup", "l4-spot")
    assert group.inputs["capacityType"] == "SPOT"
    assert group.inputs["scalingConfig"]["minSize"] == 0
    asg_tags = {t.inputs["tag"]["key"]: t.inputs["tag"]["value"] for t in rec.of_type("aws:autoscaling/tag:Tag")}
    assert asg_tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == "1"
