"""The whole platform value (`llmops-infra:platform`): PlatformSpec composes every section's model, and
`parse_platform` validates a raw value completely, its shape (the models) and then every section's checks.

Each section lives in its own module beside this one, its model and its checks together (aws.py, gcp.py,
onprem.py, hybrid.py, edge.py, kubernetes.py, buckets.py); they read PlatformSpec only for type checking, so
this module is the one that imports them all and the import graph has no cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from llmops_infra.components.config.aws import AcceleratorPoolSpec, AwsSpec, ClusterSpec, check_aws, check_pool
from llmops_infra.components.config.base import (
    MISSING,
    REGIONAL_TARGETS,
    Classification,
    Framework,
    Model,
    OneOf,
    Problem,
    SpecError,
    Target,
)
from llmops_infra.components.config.buckets import BucketSpec
from llmops_infra.components.config.edge import EdgeSpec, check_edge
from llmops_infra.components.config.gcp import GcpSpec, check_gcp, raw_pool_problems
from llmops_infra.components.config.hybrid import HybridSpec, check_hybrid
from llmops_infra.components.config.kubernetes import KubernetesSpec, check_kubernetes
from llmops_infra.components.config.messages import problems_from_validation
from llmops_infra.components.config.onprem import OnpremSpec, check_onprem

# CloudWatch Logs accepts only these retention periods (pulumi_aws cloudwatch.LogGroup.retention_in_days);
# 0, "never expire", is deliberately not offered: every log here has a retention.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)  # fmt: skip
# The next longer period is suggested: a retention is a minimum someone asked for, so rounding down would keep
# logs too short.
RETENTION_CHOICES = OneOf(LOG_RETENTION_DAYS, "a CloudWatch Logs retention period", up=True)


class PlatformSpec(Model):
    """One environment: the whole `llmops-infra:platform` config value of a stack."""

    targets: tuple[Target, ...] = Field(
        min_length=1,
        description="What the stack deploys, at least one of `aws`, `gcp` (one cloud per platform), `onprem`, "
        "`hybrid` (needs aws) and `edge`.",
    )
    # AWS (us-east-1, eusc-de-east-1) and GCP (europe-west4) region names; required by the cloud targets
    # (REGIONAL_TARGETS), meaningless for a cluster that is only on-prem or at K3s sites.
    region: str | None = Field(
        default=None,
        pattern=r"^[a-z]+(-[a-z]+)+-?[0-9]+$",
        description="The AWS or GCP region (e.g. us-east-1, europe-west4); in a stack file it comes from "
        "`aws:region` or `gcp:region`. Required by the aws, gcp and hybrid targets; None (default) for a platform "
        "that is only on-prem or at K3s sites.",
    )
    compliance: tuple[Framework, ...] = Field(
        default=(),
        description="The policy packs this environment must pass, `hipaa` and/or `gdpr`: what `llmops check` runs "
        "for the stack. Empty (default): none declared.",
    )
    data_classification: Classification = Field(
        default="internal",
        description="The default `data-classification` tag and label of the platform's resources: `phi`, "
        "`personal`, `internal` (default) or `public`. Buckets and teams may set their own; access-log buckets "
        "and the clusters' system objects are always internal.",
    )
    owner: str = Field(
        min_length=1,
        max_length=128,
        description="The `owner` tag and label of every resource, 1 to 128 characters (required); with the gcp "
        "target a valid GCP label value (lowercase letters, digits, `_` and `-`, at most 63).",
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Extra tags (AWS) and labels (GCP; Kubernetes objects get those whose keys are valid label "
        "keys) on every resource the platform tags; they cannot replace owner, purpose, data-classification or "
        "managed-by. With the gcp target, keys and values must be valid GCP labels.",
    )
    log_retention_days: Annotated[int, RETENTION_CHOICES] = Field(
        default=365,
        description="Days the aws target's flow-log and EKS control-plane log groups and the access-log bucket "
        "(S3 or GCS) keep logs: "
        "one of the CloudWatch Logs values 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365 (default), 400, 545, "
        "731, 1096, 1827, 2192, 2557, 2922, 3288, 3653.",
    )
    aws: AwsSpec | None = Field(
        default=None,
        description="The aws target's VPC, EKS cluster and accelerator node groups. None (default): AwsSpec "
        "defaults when aws is a target; refused when it is not.",
    )
    buckets: tuple[BucketSpec, ...] = Field(
        default=(), description="Data buckets (S3 on aws, Cloud Storage on gcp); none by default."
    )
    gcp: GcpSpec | None = Field(
        default=None,
        description="The gcp target's network, GKE cluster and pools. None (default): GcpSpec defaults when gcp "
        "is a target; refused when it is not.",
    )
    kubernetes: KubernetesSpec = Field(
        default=KubernetesSpec(),
        description="What every cluster of the platform gets: GPU software, team namespaces, RBAC, priority "
        "classes (KubernetesSpec defaults).",
    )
    onprem: OnpremSpec | None = Field(
        default=None, description="The onprem target: required with it, refused without it."
    )
    hybrid: HybridSpec | None = Field(
        default=None, description="The hybrid target (EKS Hybrid Nodes): required with it, refused without it."
    )
    edge: EdgeSpec | None = Field(default=None, description="The edge target: required with it, refused without it.")

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return days

    def classification_of(self, bucket: BucketSpec) -> Classification:
        """A bucket's data classification: its own, else the platform's."""
        return bucket.classification or self.data_classification

    @property
    def aws_or_default(self) -> AwsSpec:
        """The aws section, or its defaults when the config leaves it out."""
        return self.aws or AwsSpec()

    @property
    def gcp_or_default(self) -> GcpSpec:
        """The gcp section, or its defaults when the config leaves it out."""
        return self.gcp or GcpSpec()

    @property
    def cloud_region(self) -> str:
        """The region of a cloud target (parse_platform has made sure there is one)."""
        if self.region is None:
            raise ValueError(f"targets {', '.join(self.targets)} need a region; validate the spec with parse_platform")
        return self.region


# ---- parsing -------------------------------------------------------------------------------------------------

# Each section's checks, in the order of the deployers (stacks/platform.py DEPLOYERS), then the kubernetes
# baseline every cluster gets (and what spans the sections: targets, pool names). Adding a target adds its row.
CHECKS: dict[str, Callable[[PlatformSpec], list[Problem]]] = {
    "aws": check_aws,
    "gcp": check_gcp,
    "onprem": check_onprem,
    "hybrid": check_hybrid,
    "edge": check_edge,
    "kubernetes": check_kubernetes,
}


def _pool_problems(data: dict) -> list[Problem]:
    """Catalog problems of the pools that are well-formed on their own, so one run reports everything."""
    section = data.get("aws")
    pools = section.get("acceleratorPools") if isinstance(section, dict) else None
    cluster = section.get("cluster", {}) if isinstance(section, dict) else {}
    try:  # the AMI types a pool may use depend on the cluster's version; not checked if that is malformed too
        version: str | None = ClusterSpec.model_validate(cluster).version
    except ValidationError:
        version = None
    problems: list[Problem] = []
    for i, raw in enumerate(pools if isinstance(pools, list) else []):
        try:
            pool = AcceleratorPoolSpec.model_validate(raw)
        except ValidationError:
            continue  # its shape problems are already reported with the platform's
        problems += check_pool(pool, ("aws", "acceleratorPools", i), cluster_version=version)
    return problems + raw_pool_problems(data)


def parse_platform(data: Any, source: str = "config") -> PlatformSpec:
    """Validate a raw platform value completely; raise SpecError naming every problem, or return the spec."""
    if not isinstance(data, dict):
        raise SpecError([Problem((), data, "must be a mapping of keys (targets, owner, aws, gcp, ...)")], source)
    try:
        spec = PlatformSpec.model_validate(data)
    except ValidationError as error:
        raise SpecError(problems_from_validation(error, PlatformSpec) + _pool_problems(data), source) from None
    regional = [t for t in spec.targets if t in REGIONAL_TARGETS]
    if spec.region is None and regional:
        message = f"required key is missing: target {regional[0]} deploys into a cloud region"
        raise SpecError([Problem(("region",), MISSING, message)], source)
    problems = [problem for check in CHECKS.values() for problem in check(spec)]
    if problems:
        raise SpecError(problems, source)
    return spec
