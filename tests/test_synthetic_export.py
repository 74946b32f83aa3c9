"""bench/synthetic_export.py, the export the benchmarks feed to `llmops analyze`: what the packs find in it must be
what the generator says it put there.

With no defect the export passes both packs in eu-west-1 and holds every data store the packs judge; each kind of
defect the generator places is a violation of its rule on the very resource it was placed on; the same arguments
give the same bytes. The exports here are small (a few hundred to a thousand resources, analyzed once each by the
real packs, as the benchmarks run them); nothing here looks at a duration.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from llmops_infra.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]


def _load_generator() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load the generator from its file, as the benchmarks run it.
    spec = importlib.util.spec_from_file_location("synthetic_export", ROOT / "bench" / "synthetic_export.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic = _load_generator()

# Enough tenants for every data-store type (13 tenants: the GCP rotation's ninth store is in the fifth GCP
# tenant, index 12), and for every kind of defect with --every-defect (33 tenants).
COMPLIANT_RESOURCES = 500
EVERY_DEFECT_RESOURCES = 1100

# The data stores, edges and their companions the packs judge beyond buckets and clusters (issue 13).
DATA_STORE_TYPES = (
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:dynamodb/table:Table",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:memorydb/cluster:Cluster",
    "aws:opensearch/domain:Domain",
    "aws:fsx/lustreFileSystem:LustreFileSystem",
    "aws:ecr/repository:Repository",
    "aws:secretsmanager/secret:Secret",
    "aws:sqs/queue:Queue",
    "aws:sns/topic:Topic",
    "aws:ec2/instance:Instance",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/listener:Listener",
    "aws:backup/plan:Plan",
    "aws:backup/vault:Vault",
    "aws:backup/selection:Selection",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:redis/instance:Instance",
    "gcp:alloydb/cluster:Cluster",
    "gcp:filestore/instance:Instance",
    "gcp:artifactregistry/repository:Repository",
    "gcp:secretmanager/secret:Secret",
    "gcp:bigquery/dataset:Dataset",
    "gcp:pubsub/topic:Topic",
    "gcp:compute/instance:Instance",
    "kubernetes:core/v1:Service",
    "kubernetes:networking.k8s.io/v1:Ingress",
)

# Each kind of defect and the policy it breaks on the resource it is placed on (Generated.placed).
DEFECT_POLICIES = {
    "sse-aes256": "s3-bucket-kms-encrypted",
    "no-sse": "s3-bucket-kms-encrypted",
    "public-access-block-open": "s3-public-access-block-all-flags",
    "no-bucket-logging": "s3-bucket-access-logging",
    "versioning-suspended": "s3-bucket-versioning-enabled",
    "no-lifecycle-expiry": "s3-bucket-lifecycle-expiry",
    "security-group-open-ssh": "security-group-no-open-ingress",
    "log-group-forever": "log-retention-maximum",
    "iam-wildcard": "iam-no-wildcard-statements",
    "kms-short-deletion-window": "kms-key-deletion-window",
    "flow-log-reject-only": "vpc-flow-logs-enabled",
    "missing-owner-tag": "data-store-records-of-processing",
    "eks-public-endpoint": "eks-endpoint-not-public",
    "eks-no-audit-logs": "eks-control-plane-logging",
    "launch-template-unencrypted": "launch-template-ebs-kms-encrypted",
    "gcs-public-access-inherited": "gcs-bucket-public-access-prevention",
    "gke-default-service-account": "gke-nodes-not-default-service-account",
    "gke-no-workload-identity": "gke-workload-identity",
    "k8s-privileged": "k8s-pod-privilege",
    "k8s-no-network-policy": "k8s-namespace-default-deny",
    "k8s-run-as-root": "k8s-pod-non-root",
    "k8s-namespace-unlabelled": "k8s-records-of-processing",
    "service-lb-open": "k8s-load-balancer-service-restricted",
    "ingress-no-tls": "k8s-ingress-tls",
    "rds-unencrypted": "aws-data-store-kms-encrypted",
    "rds-public": "rds-not-publicly-accessible",
    "dynamodb-no-pitr": "phi-store-backed-up",
    "dynamodb-aws-owned-key": "aws-data-store-kms-encrypted",
    "elasticache-no-transit-encryption": "aws-data-store-transit-encryption",
    "memorydb-no-cmk": "aws-data-store-kms-encrypted",
    "memorydb-no-tls": "aws-data-store-transit-encryption",
    "opensearch-no-cmk": "aws-data-store-kms-encrypted",
    "opensearch-public": "opensearch-domain-in-vpc",
    "fsx-no-cmk": "aws-data-store-kms-encrypted",
    "ecr-aes256": "ecr-repository-kms-encrypted",
    "secret-aws-managed-key": "aws-data-store-kms-encrypted",
    "sqs-no-cmk": "aws-data-store-kms-encrypted",
    "sns-aws-managed-key": "aws-data-store-kms-encrypted",
    "ec2-imdsv1": "ec2-instance-imdsv2",
    "ec2-public-ip": "ec2-instance-no-public-ip",
    "ec2-root-unencrypted": "ec2-instance-ebs-kms-encrypted",
    "ec2-not-backed-up": "phi-store-backed-up",
    "backup-vault-no-cmk": "aws-data-store-kms-encrypted",
    "lb-http-listener": "lb-listener-tls",
    "lb-open-port": "security-group-no-open-ingress",
    "aurora-aws-managed-key": "aws-data-store-kms-encrypted",
    "aurora-instance-public": "rds-not-publicly-accessible",
    "sql-public-ip": "cloudsql-no-public-ip",
    "sql-no-cmek": "gcp-data-store-cmek",
    "sql-no-tls": "cloudsql-requires-tls",
    "redis-no-transit-encryption": "redis-transit-encryption",
    "redis-no-cmek": "gcp-data-store-cmek",
    "alloydb-no-backup": "alloydb-phi-automated-backup",
    "alloydb-no-cmek": "gcp-data-store-cmek",
    "filestore-no-cmek": "gcp-data-store-cmek",
    "filestore-no-deletion-protection": "stateful-store-deletion-protection",
    "artifact-registry-no-cmek": "gcp-data-store-cmek",
    "gcp-secret-auto-replication": "gcp-secret-cmek",
    "bigquery-no-cmek": "gcp-data-store-cmek",
    "pubsub-no-storage-policy": "data-residency",
    "pubsub-no-cmek": "gcp-data-store-cmek",
    "gce-external-ip": "gce-instance-no-external-ip",
    "gce-default-service-account": "gce-instance-not-default-service-account",
}

Analyzed = tuple[int, dict[str, Any]]  # (exit code, JSON report)


@pytest.fixture(scope="module")
def analyze(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any], Analyzed]:
    """`llmops analyze --pack hipaa --pack gdpr` of a generated export, as the benchmarks run it."""

    def run(generated: Any) -> Analyzed:
        folder = tmp_path_factory.mktemp("synthetic")
        state, report = folder / "export.json", folder / "report.json"
        synthetic.write(generated, state)
        argv = ["analyze", "--state", str(state), "--pack", "hipaa", "--pack", "gdpr"]
        code = cli.main([*argv, "--format", "json", "--output", str(report)])
        return code, json.loads(report.read_text(encoding="utf-8"))

    return run


@pytest.fixture(scope="module")
def compliant() -> Any:
    return synthetic.generate(COMPLIANT_RESOURCES, region="eu-west-1", defect_rate=0)


@pytest.fixture(scope="module")
def every_defect() -> Any:
    return synthetic.generate(EVERY_DEFECT_RESOURCES, region="eu-west-1", every_defect=True)


@pytest.fixture(scope="module")
def every_defect_violations(analyze: Callable[[Any], Analyzed], every_defect: Any) -> set[tuple[str, str]]:
    code, report = analyze(every_defect)
    assert code == 1
    return {(v["policy"], v["urn"]) for v in report["stacks"][0]["violations"]}


def test_without_defects_the_export_holds_every_data_store_and_passes_both_packs_in_eu_west_1(
    analyze: Callable[[Any], Analyzed], compliant: Any
) -> None:
    assert len(compliant.resources) == COMPLIANT_RESOURCES
    assert not compliant.defects and not compliant.placed
    missing = sorted(set(DATA_STORE_TYPES) - {r["type"] for r in compliant.resources})
    assert not missing, f"{COMPLIANT_RESOURCES} resources hold none of {missing}: raise COMPLIANT_RESOURCES"
    code, report = analyze(compliant)
    [stack] = report["stacks"]
    found = [f"{v['pack']} {v['policy']} {v['name']}: {v['message']}" for v in stack["violations"]]
    assert found == []
    assert code == 0 and stack["resources"] == COMPLIANT_RESOURCES


def test_the_defect_table_names_every_kind_of_defect_the_generator_places(every_defect: Any) -> None:
    assert sorted(DEFECT_POLICIES) == sorted(synthetic.ALL_DEFECTS)
    placed = {defect for defect, _ in every_defect.placed}
    missing = sorted(set(synthetic.ALL_DEFECTS) - placed)
    assert not missing, f"--every-defect at {EVERY_DEFECT_RESOURCES} resources places none of {missing}"
    # Every part carries exactly one defect, so the counts and the placements tell the same story.
    assert sorted(every_defect.defects.elements()) == sorted(defect for defect, _ in every_defect.placed)


@pytest.mark.parametrize(("defect", "policy"), DEFECT_POLICIES.items(), ids=list(DEFECT_POLICIES))
def test_each_defect_is_a_violation_on_the_resource_it_was_placed_on(
    defect: str, policy: str, every_defect: Any, every_defect_violations: set[tuple[str, str]]
) -> None:
    urns = [urn for placed, urn in every_defect.placed if placed == defect]
    assert urns, f"{defect} was not placed"
    assert [urn for urn in urns if (policy, urn) not in every_defect_violations] == []


@pytest.mark.parametrize(
    "options",
    [{"defect_rate": 0.15}, {"defect_rate": 0.5, "region": "us-east-1", "seed": 7}, {"every_defect": True}],
    ids=["default", "us-east-1", "every-defect"],
)
def test_the_same_arguments_give_the_same_bytes(tmp_path: Path, options: dict[str, Any]) -> None:
    paths = [tmp_path / "first.json", tmp_path / "second.json"]
    runs = [synthetic.generate(600, **options) for _ in paths]
    for generated, path in zip(runs, paths, strict=True):
        synthetic.write(generated, path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert runs[0].placed == runs[1].placed and runs[0].defects == runs[1].defects
