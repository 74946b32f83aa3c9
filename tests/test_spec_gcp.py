"""Config validation for the gcp target: a GKE baseline parses; every bad value is reported with the file, its key
path, the value and what would be allowed, through the same entry point `pulumi up` and `llmops` use."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from llmops_infra.components.config.platform import parse_platform
from llmops_infra.components.spec import MISSING, SpecError, format_path
from llmops_infra.stacks.config import platform_from_config

BASE: dict[str, Any] = {
    "targets": ["gcp"],
    "owner": "ml-platform",
    "dataClassification": "personal",
    "tags": {"environment": "prod", "cost-center": "ml-research"},
    "gcp": {
        "cluster": {"zones": ["europe-west4-a", "europe-west4-b"], "masterAuthorizedNetworks": ["10.100.0.0/16"]},
        "gpuPools": [
            {"name": "h100-train", "role": "training", "machineType": "a3-highgpu-8g", "zones": ["europe-west4-b"],
             "reservation": {"consume": "SPECIFIC_RESERVATION", "name": "h100-europe-west4-b"}, "maxNodes": 2},
            {"name": "l4-serve", "machineType": "g2-standard-24", "spot": True, "maxNodes": 6},
        ],
        "tpuPools": [
            {"name": "v5e-train", "machineType": "ct5lp-hightpu-4t", "topology": "2x4", "zones": ["europe-west4-b"]},
        ],
    },
    "buckets": [
        {"name": "models", "purpose": "model-artifacts"},
        {"name": "datasets", "purpose": "datasets", "location": "EUR4", "expirationDays": 365},
    ],
}  # fmt: skip
SOURCE = "configs/Pulumi.bad.yaml"


def _config(platform: Any, region: str = "europe-west4") -> dict[str, str]:
    return {"llmops-infra:platform": json.dumps(platform), "gcp:region": region, "gcp:project": "llmops-test"}


def _with(path: str, value: Any, data: dict[str, Any] | None = None) -> dict[str, Any]:
    data = copy.deepcopy(BASE if data is None else data)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = data
    for part in parents:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[last] = value
    return data


def _problems(platform: Any, region: str = "europe-west4") -> SpecError:
    with pytest.raises(SpecError) as caught:
        platform_from_config(_config(platform, region).get, SOURCE)
    return caught.value


def _errors(platform: Any, region: str = "europe-west4") -> list[str]:
    return [f"{format_path(p.path)}: {p.message}" for p in _problems(platform, region).problems]


def test_gke_baseline_is_valid_and_keeps_the_secure_defaults():
    spec = platform_from_config(_config(BASE).get, SOURCE)
    assert spec.region == "europe-west4"  # from gcp:region
    gke = spec.gcp_or_default
    assert gke.cluster.private_endpoint is True
    assert gke.cluster.master_authorized_networks[0].prefixlen == 16
    assert gke.network.cloud_nat is True
    assert [p.name for p in gke.gpu_pools] == ["h100-train", "l4-serve"]
    assert gke.gpu_pools[1].reservation is None  # no reservation: the component sets NO_RESERVATION
    assert spec.buckets[1].location == "EUR4"


def test_gcp_target_without_a_gcp_section_uses_the_defaults():
    data = {k: v for k, v in BASE.items() if k != "gcp"}
    spec = platform_from_config(_config(data).get, SOURCE)
    assert spec.gcp is None and spec.gcp_or_default.cluster.private_endpoint is True


def test_message_names_file_key_value_and_allowed_values():
    text = str(_problems(_with("gcp.tpuPools.0.topology", "2x3")))
    assert text.splitlines()[0] == f"{SOURCE}: 1 problem in llmops-infra:platform:"
    assert (
        "llmops-infra:platform.gcp.tpuPools[0].topology = '2x3': 6 chips do not divide into the 4-chip hosts of "
        "ct5lp-hightpu-4t; allowed on ct5lp-hightpu-4t: 2x2 (single host), 2x4, 4x4, 4x8, 8x8, 8x16, 16x16"
    ) in text


def test_wrong_gpu_for_the_machine_type_names_the_right_label():
    text = str(_problems(_with("gcp.gpuPools.1.accelerator", "nvidia-h100-80gb")))
    assert (
        "llmops-infra:platform.gcp.gpuPools[1].accelerator = 'nvidia-h100-80gb': g2-standard-24 carries NVIDIA L4; "
        "allowed: nvidia-l4"
    ) in text


# (key path to change, bad value, key path the error must name, words the message must contain)
BAD_CONFIGS = [
    ("gcp.gpuPools.0.machineType", "a3-highgpu-16g", "gcp.gpuPools[0].machineType", "did you mean a3-highgpu-1g"),
    ("gcp.gpuPools.1.spot", False, None, None),  # valid: no problem expected
    ("gcp.gpuPools.0.spot", True, "gcp.gpuPools[0].reservation", "spot needs NO_RESERVATION"),
    ("gcp.gpuPools.0.driverVersion", "GPU_DRIVER_VERSION_UNSPECIFIED", "gcp.gpuPools[0].driverVersion",
     "allowed: DEFAULT, LATEST, INSTALLATION_DISABLED"),
    ("gcp.gpuPools.0.migPartitionSize", "8g.80gb", "gcp.gpuPools[0].migPartitionSize", "<1-7>g.<N>gb"),
    ("gcp.gpuPools.1.name", "h100-train", "gcp.gpuPools[1].name", "names must be unique in the cluster"),
    ("gcp.tpuPools.0.name", "l4-serve", "gcp.tpuPools[0].name", "names must be unique in the cluster"),
    ("gcp.tpuPools.0.topology", "2x2x2", "gcp.tpuPools[0].topology", "2-D (AxB)"),
    ("gcp.tpuPools.0.maxNodes", 3, "gcp.tpuPools[0].maxNodes", "exactly 2 nodes"),
    ("gcp.tpuPools.0.zones", ["europe-west4-a", "europe-west4-b"], "gcp.tpuPools[0].zones", "exactly one zone"),
    ("gcp.tpuPools.0.machineType", "g2-standard-24", "gcp.tpuPools[0].machineType", "move this pool to gcp.gpuPools"),
    ("gcp.cluster.zones", ["europe-west1-b"], "gcp.cluster.zones[0]", "not in the platform region europe-west4"),
    ("gcp.cluster.zones", ["europe-west4"], "gcp.cluster.zones[0]", "europe-west4 is a region, not a zone"),
    ("gcp.cluster.systemNodes.minNodesPerZone", 3, "gcp.cluster.systemNodes.minNodesPerZone",
     "at most maxNodesPerZone (2)"),
    ("gcp.network.podsCidr", "10.60.8.0/21", "gcp.network.podsCidr", "overlaps gcp.network.subnetCidr (10.60.0.0/20)"),
    ("gcp.cluster.masterIpv4Cidr", "10.68.0.0/28", "gcp.cluster.masterIpv4Cidr",
     "overlaps gcp.network.servicesCidr (10.68.0.0/20)"),
    ("gcp.cluster.masterAuthorizedNetworks", ["0.0.0.0/0"], "gcp.cluster.masterAuthorizedNetworks", "internet"),
    ("gcp.gpuPools.0.gpus", 8, "gcp.gpuPools[0].gpus", "unknown key; allowed keys here: accelerator"),
    ("buckets.1.location", "EU", None, None),  # valid: EU holds europe-west4
    ("buckets.1.location", "US", "buckets[1].location",
     "does not hold the platform region europe-west4; allowed: europe-west4, EUR4, EU"),
    ("buckets.1.location", "europe-west1", "buckets[1].location", "allowed: europe-west4, EUR4, EU"),
    ("tags", {"Environment": "prod"}, "tags.Environment", "not a valid GCP label key"),
    ("tags", {"environment": "Prod"}, "tags.environment", "not a valid GCP label value"),
    ("owner", "ML Platform", "owner", "becomes the GCP label owner"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "key", "words"), BAD_CONFIGS, ids=[f"{c[0]}={c[1]}" for c in BAD_CONFIGS])
def test_bad_config_names_key_and_what_is_allowed(path, value, key, words):
    data = _with(path, value)
    if key is None:
        assert platform_from_config(_config(data).get, SOURCE)
        return
    errors = _errors(data)
    assert any(e.startswith(f"{key}: ") and words in e for e in errors), errors


def test_gcp_section_without_the_gcp_target_is_an_error():
    data = _with("targets", ["aws"])
    data["region"] = "eu-west-1"
    data.pop("tags")
    errors = [f"{format_path(p.path)}: {p.message}" for p in _parse_errors(data)]
    assert "targets: does not name gcp, but the gcp section is set; add gcp to targets or remove the gcp section" in (
        errors
    )
    # Without the target the section's zones have no region to be judged against: no zone problems on top.
    assert not [e for e in errors if e.startswith("gcp.")], errors


def test_bucket_location_is_refused_for_s3():
    data = {"targets": ["aws"], "region": "eu-west-1", "owner": "ml-platform",
            "buckets": [{"name": "models", "purpose": "model-artifacts", "location": "EU"}]}  # fmt: skip
    (problem,) = _parse_errors(data)
    assert format_path(problem.path) == "buckets[0].location"
    assert "S3 buckets are always in the platform's region" in problem.message


def test_labels_are_only_checked_when_they_become_gcp_labels():
    data = {"targets": ["aws"], "region": "eu-west-1", "owner": "ML Platform", "tags": {"CostCenter": "ML"}}
    assert parse_platform(data).owner == "ML Platform"


def test_pool_zone_outside_the_region_and_outside_the_cluster():
    data = _with("gcp.gpuPools.1.zones", ["us-central1-a", "europe-west4-c"])
    errors = _errors(data)
    assert "gcp.gpuPools[1].zones[0]: is in us-central1, not in the platform region europe-west4; use a zone of " \
           "europe-west4" in errors  # fmt: skip
    assert (
        "gcp.gpuPools[1].zones[1]: not one of the cluster's zones; allowed: europe-west4-a, europe-west4-b "
        "(gcp.cluster.zones)" in errors
    )


def test_shape_and_catalog_problems_are_reported_together():
    data = _with("owner", "")
    data["gcp"]["tpuPools"][0]["topology"] = "2x3"
    data["gcp"]["gpuPools"][1]["accelerator"] = "nvidia-tesla-t4"
    errors = _errors(data)
    assert [e.split(":")[0] for e in errors] == [
        "owner",
        "gcp.gpuPools[1].accelerator",
        "gcp.tpuPools[0].topology",
    ]


def test_pool_checks_that_need_the_cluster_are_skipped_when_the_cluster_is_malformed():
    # The cluster's zones do not validate, so whether a pool zone is among them cannot be judged; the pool's own
    # catalog problem is still reported.
    data = _with("gcp.cluster.zones", ["nowhere"])
    data["gcp"]["gpuPools"][1]["zones"] = ["europe-west4-c"]
    data["gcp"]["gpuPools"][1]["acceleratorCount"] = 4
    errors = _errors(data)
    assert [e.split(":")[0] for e in errors] == ["gcp.cluster.zones[0]", "gcp.gpuPools[1].acceleratorCount"]


def test_region_comes_from_gcp_region_and_zones_are_checked_against_it():
    errors = _errors(BASE, region="europe-west1")
    assert "gcp.cluster.zones[0]: is in europe-west4, not in the platform region europe-west1; use a zone of " \
           "europe-west1" in errors  # fmt: skip
    assert any(e.startswith("buckets[1].location: does not hold the platform region europe-west1") for e in errors)


def _parse_errors(data: dict[str, Any]) -> list:
    with pytest.raises(SpecError) as caught:
        parse_platform(data, SOURCE)
    return caught.value.problems


# ---- GKE RBAC, Binary Authorization, intranode visibility ---------------------------------------------------

GROUPS = "gke-security-groups@example.com"


def _rbac(rbac: dict[str, Any], security_group: str | None = GROUPS) -> dict[str, Any]:
    data = _with("kubernetes", {"rbac": rbac})
    if security_group is not None:
        data["gcp"]["cluster"]["securityGroup"] = security_group
    return data


def test_cluster_switches_are_off_by_default_and_read_from_the_config():
    assert platform_from_config(_config(BASE).get, SOURCE).gcp_or_default.cluster.model_dump(
        include={"security_group", "binary_authorization", "intranode_visibility"}
    ) == {"security_group": None, "binary_authorization": False, "intranode_visibility": False}
    data = _rbac({"platformAdmins": ["platform-admins@example.com"], "auditors": ["auditors@example.com"]})
    data["gcp"]["cluster"] |= {"binaryAuthorization": True, "intranodeVisibility": True}
    cluster = platform_from_config(_config(data).get, SOURCE).gcp_or_default.cluster
    assert (cluster.security_group, cluster.binary_authorization, cluster.intranode_visibility) == (GROUPS, True, True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("platform-admins@example.com", "GKE reads Google Groups for RBAC only from the group named "
         "gke-security-groups; write gke-security-groups@example.com and make your RBAC groups its members"),
        ("gke-security-groups", "must be the email address gke-security-groups@<your domain>, e.g. "
         "gke-security-groups@example.com (your Google Workspace or Cloud Identity domain)"),
        ("gke-security-groups@example", "must be the email address gke-security-groups@<your domain>"),
        ("gke-security-groups@exa mple.com", "must be the email address gke-security-groups@<your domain>"),
    ],
)  # fmt: skip
def test_security_group_must_be_gke_security_groups_of_a_domain(value: str, message: str):
    errors = _errors(_with("gcp.cluster.securityGroup", value))
    assert any(e.startswith(f"gcp.cluster.securityGroup: {message}") for e in errors), errors


@pytest.mark.parametrize("key", ["binaryAuthorization", "intranodeVisibility"])
def test_cluster_switches_take_only_true_or_false(key: str):
    errors = _errors(_with(f"gcp.cluster.{key}", "enforce"))
    assert [e for e in errors if e.startswith(f"gcp.cluster.{key}: ")], errors


def test_rbac_groups_that_are_google_group_addresses_pass_with_the_security_group():
    data = _rbac(
        {
            "platformAdmins": ["platform-admins@example.com"],
            "mlEngineers": ["ml-engineers@example.com", "ml.contractors@partner.example.org"],
            "dataScientists": ["data-scientists@example.com"],
            "auditors": [],
        }
    )
    spec = platform_from_config(_config(data).get, SOURCE)
    assert spec.kubernetes.rbac.ml_engineers[1] == "ml.contractors@partner.example.org"


@pytest.mark.parametrize(
    ("key", "group", "fix"),
    [
        ("mlEngineers", "ml-engineers", "write the group's address, e.g. ml-engineers@example.com"),
        ("auditors", "auditors@example", "write the group's whole address, <name>@<domain>, e.g. "
         "ml-engineers@example.com"),
        ("dataScientists", "system:authenticated", "write the group's address, e.g. "
         "system:authenticated@example.com"),
    ],
)  # fmt: skip
def test_an_rbac_group_that_is_not_an_address_is_refused_on_gke(key: str, group: str, fix: str):
    errors = _errors(_rbac({"platformAdmins": [], key: ["fine@example.com", group]}))
    assert errors == [
        f"kubernetes.rbac.{key}[1]: on GKE an RBAC group is a Google Group, named by its email address; {fix}"
    ]


def test_rbac_groups_without_the_security_group_are_refused_at_the_security_group_key():
    problems = _problems(_rbac({"auditors": ["auditors@example.com"]}, security_group=None)).problems
    assert [(format_path(p.path), p.value is MISSING, p.message) for p in problems] == [
        (
            "gcp.cluster.securityGroup",
            True,
            "required key is missing: kubernetes.rbac binds Google Groups, and GKE passes a user's groups to RBAC "
            "only with Google Groups for RBAC; set securityGroup: gke-security-groups@<your domain> (with the "
            "groups you bind as its members), or leave the kubernetes.rbac groups empty",
        )
    ]
    # Without the security group a bare name gets both problems, and the fix names no domain it cannot know.
    errors = _errors(_rbac({"mlEngineers": ["ml-engineers"]}, security_group=None))
    assert errors[0] == (
        "kubernetes.rbac.mlEngineers[0]: on GKE an RBAC group is a Google Group, named by its email address; write "
        "the group's address, e.g. ml-engineers@<your domain>"
    )
    assert errors[1].startswith("gcp.cluster.securityGroup: required key is missing")


def test_the_gcp_target_without_a_gcp_section_checks_rbac_groups_too():
    data = {k: v for k, v in BASE.items() if k != "gcp"} | {"kubernetes": {"rbac": {"auditors": ["auditors"]}}}
    assert [e.split(":")[0] for e in _errors(data)] == ["kubernetes.rbac.auditors[0]", "gcp.cluster.securityGroup"]


def test_empty_rbac_groups_need_no_security_group():
    data = _rbac({"platformAdmins": [], "auditors": []}, security_group=None)
    assert platform_from_config(_config(data).get, SOURCE).kubernetes.rbac.platform_admins == ()


def test_the_default_platform_admins_is_left_alone_until_google_groups_are_on():
    # Neither written: the default names no Google Group, so on GKE it binds nobody (README); no problem.
    assert platform_from_config(_config(BASE).get, SOURCE).kubernetes.rbac.platform_admins == ("platform-admins",)
    # With Google Groups for RBAC on, the default is no Google Group's address: say what to write instead.
    errors = _errors(_with("gcp.cluster.securityGroup", GROUPS))
    assert errors == [
        "kubernetes.rbac.platformAdmins[0]: on GKE an RBAC group is a Google Group, named by its email address; the "
        "default platform-admins is no Google Group; write platformAdmins as your admin group's address, e.g. "
        "platformAdmins: [platform-admins@example.com], or platformAdmins: [] for no binding"
    ]


def test_rbac_groups_need_no_address_without_the_gcp_target():
    data = {"targets": ["aws"], "region": "eu-west-1", "owner": "ml-platform",
            "kubernetes": {"rbac": {"platformAdmins": ["platform-admins"], "auditors": ["auditors"]}}}  # fmt: skip
    assert parse_platform(data, SOURCE).kubernetes.rbac.auditors == ("auditors",)
