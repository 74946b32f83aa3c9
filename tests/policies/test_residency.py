"""GDPR data residency (policies/rules/residency.py, policies/runtime/regions.py).

One case per data type and location input (tests/rule_judging.py): placed in the EU it passes, moved outside by
that one input it is exactly one violation naming the region and where it was read, unknown at preview it cannot
be judged. Then the provider, the stack config, the allowed regions and the region lists.
"""

from __future__ import annotations

import pathlib
import re
from dataclasses import replace
from functools import partial
from typing import Any

import pulumi_aws
import pulumi_gcp
import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

from llmops_infra.policies.rules import residency as res
from llmops_infra.policies.runtime import regions
from llmops_infra.policies.runtime.resources import LABELS, tags_path
from llmops_infra.policies.runtime.rule import RULES, CannotJudge, Settings
from llmops_infra.policies.runtime.verdicts import judge_stack
from tests.rule_judging import (
    DELETE,
    Case,
    Path,
    changed,
    resource,
    stack_violations,
    violations,
)

RULE = RULES["data-residency"]
AWS_PROVIDER = "pulumi:providers:aws"
GCP_PROVIDER = "pulumi:providers:gcp"
GKE = "gcp:container/cluster:Cluster"
GCS = "gcp:storage/bucket:Bucket"
S3 = "aws:s3/bucket:Bucket"
BIGQUERY = "gcp:bigquery/dataset:Dataset"
OUTSIDE = "outside the allowed regions for personal data"
PERSONAL = {"data-classification": "personal"}
# Outside the EU: where a resource goes that the rule would let its own unknown input fall through to.
STACK_OUTSIDE = Settings(stack_config={"aws:region": "us-east-1", "gcp:region": "us-central1"})
judge = partial(violations, "data-residency")  # judge(type_, props, settings, provider=...)

# ---- fixtures ----------------------------------------------------------------------------------------------


def kind(type_: str) -> str:
    """How messages name the type."""
    return LABELS[type_]


def inside(input_name: str) -> str:
    """An EU place written as the input takes it."""
    return {"region": "eu-west-1", "availabilityZone": "eu-west-1a", "zone": "europe-west4-a"}.get(
        input_name, "europe-west4"
    )


def outside(type_: str, input_name: str) -> tuple[str, str]:
    """A place outside the EU for the input, and the region a message names for it."""
    if type_.startswith("aws:"):
        return ("us-east-1a", "us-east-1") if input_name == "availabilityZone" else ("us-east-1", "us-east-1")
    if input_name in ("zone", "locationId"):
        return "us-central1-a", "us-central1"
    return "us-central1", "us-central1"


# ---- the rule and its type list ----------------------------------------------------------------------------


def test_rule_metadata():
    assert RULE.control == "data-residency"
    assert RULE.frameworks == ("gdpr",)
    assert RULE.severity == "high"
    assert RULE.parameters == ("allowedRegions", "allowAdequacyRegions")
    assert RULE.description.startswith("Data stores, compute and providers")
    assert set(RULE.resource_types) == {*res.DATA, AWS_PROVIDER, GCP_PROVIDER}
    assert len(res.DATA) == len(res.DATA_TYPES), "a type is listed twice"


def _sdk_sources(token: str) -> str:
    """The SDK module that registers the token (the `'aws:s3/bucket:Bucket'` string in its resource class)."""
    package = pulumi_aws if token.startswith("aws:") else pulumi_gcp
    for path in pathlib.Path(package.__file__).parent.rglob("*.py"):
        text = path.read_text()
        if f"'{token}'" in text:
            return text
    raise AssertionError(f"{token} is not a type the installed SDK registers")


def _declares_input(source: str, name: str) -> bool:
    """Whether the SDK module declares the engine (camelCase) property name as a getter."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    getter = "@pulumi.getter" if snake == name else f'@pulumi.getter(name="{name}")'
    # Other decorators (a deprecation notice) may sit between the getter and the def.
    return re.search(rf"{re.escape(getter)}\n(?:\s+@.*\n)*\s+def {snake}\(self\)", source) is not None


@pytest.mark.parametrize("data_type", res.DATA_TYPES, ids=lambda t: t.token)
def test_every_type_and_location_input_is_one_the_sdk_declares(data_type):
    source = _sdk_sources(data_type.token)
    for name in data_type.inputs:
        assert _declares_input(source, name), (data_type.token, name)
    # A further place's path: its first input on the resource, the nested ones in the module's _inputs.py.
    package = pulumi_aws if data_type.token.startswith("aws:") else pulumi_gcp
    nested = pathlib.Path(package.__file__).parent / data_type.token.split(":")[1].split("/")[0] / "_inputs.py"
    for path in data_type.more:
        first, *rest = [step for step in path.split(".") if step != "[]"]
        assert _declares_input(source, first), (data_type.token, path)
        assert all(_declares_input(nested.read_text(), name) for name in rest), (data_type.token, path)


def test_provider_and_dual_region_inputs_are_ones_the_sdk_declares():
    aws_provider = (pathlib.Path(pulumi_aws.__file__).parent / "provider.py").read_text()
    gcp_provider = (pathlib.Path(pulumi_gcp.__file__).parent / "provider.py").read_text()
    assert all(_declares_input(aws_provider, name) for name in res.PROVIDER_INPUTS["aws"])
    assert all(_declares_input(gcp_provider, name) for name in res.PROVIDER_INPUTS["gcp"])
    storage = pathlib.Path(pulumi_gcp.__file__).parent / "storage"
    assert _declares_input((storage / "bucket.py").read_text(), "customPlacementConfig")
    assert _declares_input((storage / "_inputs.py").read_text(), "dataLocations")
    assert "The default value is multi-regional location `US`" in _sdk_sources(BIGQUERY)
    # The check bites: an input the type does not have is not found.
    assert not _declares_input(_sdk_sources(S3), "availabilityZone")
    assert not _declares_input(_sdk_sources(GCS), "region")


# ---- the cases: each location input of each data type, the providers, and what classifies or places them ------


def classified(type_: str, props: dict[str, Any]) -> tuple[dict[str, Any], list[Path]]:
    """`props` classified personal where the type keeps its classification (AWS tags, GCP labels or LABELS_AT), and
    the other places a stack might put one classified internal, as decoys the rule must not read; and the need
    that classification is (internal or public data is out of the rule's scope)."""
    where = (*tags_path(type_), "data-classification")
    props = changed(props, where, "personal")
    for decoy in ("labels", "tags"):
        if decoy != where[0]:
            props[decoy] = {"data-classification": "internal"}
    return props, [where]


INPUT_CASES = [(t.token, name) for t in res.DATA_TYPES for name in t.inputs]


def input_case(type_: str, input_name: str) -> Case:
    """The data type placed in the EU by `input_name` alone; moved outside by it, one violation naming it."""
    value, region = outside(type_, input_name)
    where = f"{input_name} input" + (f" {value}" if value != region else "")
    props, needs = classified(type_, {input_name: inside(input_name)})
    return Case(
        "data-residency",
        type_,
        props,
        [((input_name,), value, f"{kind(type_)} subject is in {region} ({where}), {OUTSIDE}")],
        [((input_name,), UNKNOWN_STRING_VALUE)],
        id=f"{type_}-{input_name}",
        settings=STACK_OUTSIDE,
        needs=needs,
    )


def zone_in_unknown_region_case(type_: str, region_input: str, zone_input: str) -> Case:
    """A zone input lying inside the region input before it: with that region unknown at preview, the zone places
    the resource (outside, one violation naming it; unknown too, it cannot be judged)."""
    value, region = outside(type_, zone_input)
    props, needs = classified(type_, {region_input: inside(region_input), zone_input: inside(zone_input)})
    return Case(
        "data-residency",
        type_,
        props,
        [((zone_input,), value, f"{kind(type_)} subject is in {region} ({zone_input} input {value}), {OUTSIDE}")],
        [((zone_input,), UNKNOWN_STRING_VALUE)],
        id=f"{type_}-{zone_input}-in-unknown-{region_input}",
        first=[((region_input,), UNKNOWN_STRING_VALUE)],
        settings=STACK_OUTSIDE,
        needs=needs,
    )


ZONE_IN_REGION_CASES = [
    (t.token, t.inputs[index - 1], name)
    for t in res.DATA_TYPES
    for index, name in enumerate(t.inputs)
    if index and name in res.ZONES_IN_REGION
]


ZONE_PATHS = ("nodeLocations", "zone", "secondaryZone", "alternativeLocationId")  # these name zones


def more_case(data_type: res.DataType, path: str) -> Case:
    """The data type placed in the EU by its own first input (if it has one) and by one further place at `path`
    (a list of one where the path says "[]"); that place moved outside, one violation naming it."""
    steps = path.split(".")
    is_zone = steps[-1] in ZONE_PATHS or steps[-2:] == ["nodeLocations", "[]"]
    value, region = ("us-central1-a", "us-central1") if is_zone else ("us-central1", "us-central1")
    nested: Any = "europe-west4-a" if is_zone else "europe-west4"
    for step in reversed(steps):
        nested = [nested] if step == "[]" else {step: nested}
    own = {data_type.inputs[0]: inside(data_type.inputs[0])} if data_type.inputs else {}
    change_path = tuple(0 if step == "[]" else step for step in steps)
    shown = path.replace(".[]", "[0]")
    where = f"{shown} {value}" if is_zone else shown
    props, needs = classified(data_type.token, {**own, **nested})
    return Case(
        "data-residency",
        data_type.token,
        props,
        [(change_path, value, f"{kind(data_type.token)} subject is in {region} ({where}), {OUTSIDE}")],
        [(change_path, UNKNOWN_STRING_VALUE), (change_path[:1], UNKNOWN_OBJECT_VALUE)],
        id=f"{data_type.token}-{path}",
        settings=STACK_OUTSIDE,
        needs=needs,
    )


MORE_CASES = [more_case(t, path) for t in res.DATA_TYPES for path in t.more]
SECRET = "gcp:secretmanager/secret:Secret"
TOPIC = "gcp:pubsub/topic:Topic"

CASES = [
    *[input_case(type_, input_name) for type_, input_name in INPUT_CASES],
    *[zone_in_unknown_region_case(*args) for args in ZONE_IN_REGION_CASES],
    *MORE_CASES,
    # Global resources: stored wherever they say, anywhere when they say nothing, never at the provider's region.
    Case(
        "data-residency",
        SECRET,
        {"replication": {"userManaged": {"replicas": [{"location": "europe-west4"}]}}, "labels": PERSONAL},
        [
            (
                ("replication",),
                {"auto": {}},
                "Secret Manager secret subject may store data in any region (replication.auto replicates it "
                "without restrictions)",
            )
        ],
        [(("replication",), UNKNOWN_OBJECT_VALUE), (("replication", "userManaged"), UNKNOWN_OBJECT_VALUE)],
        settings=STACK_OUTSIDE,
        id="secret-auto-replication",
        needs=[("labels", "data-classification")],
    ),
    Case(
        "data-residency",
        TOPIC,
        {"messageStoragePolicy": {"allowedPersistenceRegions": ["europe-west4", "europe-west1"]}, "labels": PERSONAL},
        [
            (
                ("messageStoragePolicy",),
                DELETE,
                "Pub/Sub topic subject may store data in any region (no messageStoragePolicy constrains its regions)",
            )
        ],
        [(("messageStoragePolicy",), UNKNOWN_OBJECT_VALUE)],
        settings=STACK_OUTSIDE,
        id="topic-without-storage-policy",
        needs=[("labels", "data-classification")],
    ),
    # A provider holds no data but places every resource that names no region: it is judged unclassified.
    Case(
        "data-residency",
        AWS_PROVIDER,
        {"region": "eu-west-1"},
        [
            (("region",), "us-east-1", f"AWS provider subject is in us-east-1 (region input), {OUTSIDE}"),
            (("region",), DELETE, f"AWS provider subject is in us-east-1 (stack config aws:region), {OUTSIDE}"),
        ],
        [(("region",), UNKNOWN_STRING_VALUE)],
        settings=STACK_OUTSIDE,
    ),
    Case(
        "data-residency",
        AWS_PROVIDER,
        {"region": "eu-west-1", "defaultTags": {"tags": {"data-classification": "internal"}}},
        [(("region",), "us-east-1", f"AWS provider subject is in us-east-1 (region input), {OUTSIDE}")],
        id="aws-provider-with-default-tags",
    ),
    Case(
        "data-residency",
        GCP_PROVIDER,
        {"region": "europe-west4", "zone": "us-central1-a"},
        [(("region",), DELETE, f"GCP provider subject is in us-central1 (zone input us-central1-a), {OUTSIDE}")],
        [(("region",), UNKNOWN_STRING_VALUE)],
        # Without a region the provider's zone places what it manages: the violation is the zone's.
        needs=[("zone",)],
    ),
    Case(
        "data-residency",
        GCP_PROVIDER,
        {"zone": "europe-west4-a"},
        unknowns=[(("zone",), UNKNOWN_STRING_VALUE)],
        settings=STACK_OUTSIDE,
        id="gcp-provider-zone",
    ),
    # An unknown own input wins over a known provider region: it may name any region.
    Case(
        "data-residency",
        S3,
        {"region": "eu-west-1", "tags": PERSONAL},
        [
            (("region",), "us-west-2", f"S3 bucket subject is in us-west-2 (region input), {OUTSIDE}"),
            (("region",), DELETE, f"S3 bucket subject is in us-east-1 (provider region), {OUTSIDE}"),
        ],
        [(("region",), UNKNOWN_STRING_VALUE), (("tags",), UNKNOWN_OBJECT_VALUE)],
        provider={"region": "us-east-1"},
        id="s3-bucket-over-its-provider",
        needs=[("tags", "data-classification")],
    ),
    Case(
        "data-residency",
        GKE,
        {"location": "europe-west4", "resourceLabels": PERSONAL},
        [(("location",), "us-central1", f"GKE cluster subject is in us-central1 (location input), {OUTSIDE}")],
        [(("resourceLabels", "data-classification"), UNKNOWN_STRING_VALUE)],
        id="gke-cluster-classified",
        needs=[("resourceLabels", "data-classification")],
    ),
    # A configurable dual-region bucket is judged by each of its data locations.
    Case(
        "data-residency",
        GCS,
        {"location": "EU", "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST4"]}},
        [
            (
                ("customPlacementConfig", "dataLocations", 1),
                "US-EAST1",
                f"GCS bucket subject is in US-EAST1 (customPlacementConfig.dataLocations), {OUTSIDE}",
            )
        ],
        [
            (("customPlacementConfig",), UNKNOWN_OBJECT_VALUE),
            (("customPlacementConfig", "dataLocations"), UNKNOWN_ARRAY_VALUE),
            (("customPlacementConfig", "dataLocations", 1), UNKNOWN_STRING_VALUE),
        ],
        id="gcs-dual-region",
    ),
]


def test_every_data_type_and_provider_has_a_case():
    assert {c.type for c in CASES} == set(RULE.resource_types)


def test_a_vpc_is_not_a_data_type():
    assert judge("aws:ec2/vpc:Vpc", {"region": "us-east-1"}) == []


# ---- one location input at a time ------------------------------------------------------------------------------


def test_a_known_zone_places_a_resource_whose_region_is_unknown():
    # The zone lies inside the region (AWS Availability Zone, Redis locationId): it decides, inside or outside.
    for type_, zone in (("aws:ebs/volume:Volume", "availabilityZone"), ("gcp:redis/instance:Instance", "locationId")):
        props = {"region": UNKNOWN_STRING_VALUE, zone: inside(zone)}
        assert list(RULE.check(resource(type_, unknown_checking_proxy(props)), STACK_OUTSIDE)) == []
    # Filestore's deprecated zone and Vertex AI's region do not lie inside the input before them: that one decides.
    for type_, props in (
        ("gcp:filestore/instance:Instance", {"location": UNKNOWN_STRING_VALUE, "zone": "us-central1-a"}),
        ("gcp:vertex/aiEndpoint:AiEndpoint", {"location": UNKNOWN_STRING_VALUE, "region": "us-central1"}),
    ):
        assert judge(type_, props, STACK_OUTSIDE) == []
        with pytest.raises((UnknownValueError, CannotJudge)):
            list(RULE.check(resource(type_, unknown_checking_proxy(props)), STACK_OUTSIDE))


def test_the_first_location_input_decides_over_the_later_ones():
    # pulumi-aws: an Availability Zone lies inside the resource's region; the region input names it directly.
    assert judge("aws:ebs/volume:Volume", {"region": "eu-west-1", "availabilityZone": "us-east-1a"}) == []
    assert judge("gcp:filestore/instance:Instance", {"location": "us-central1-a", "zone": "europe-west4-a"}) == [
        f"Filestore instance subject is in us-central1 (location input us-central1-a), {OUTSIDE}"
    ]


# ---- the "Done when" -----------------------------------------------------------------------------------


def test_gke_cluster_with_personal_data_in_us_central1_is_a_violation():
    props = {"location": "us-central1", "resourceLabels": PERSONAL}
    assert judge(GKE, props) == [f"GKE cluster subject is in us-central1 (location input), {OUTSIDE}"]


@pytest.mark.parametrize("location", ["europe-west4", "europe-west4-a", "EUROPE-WEST4"])
def test_gke_cluster_in_europe_west4_or_one_of_its_zones_passes(location):
    assert judge(GKE, {"location": location, "resourceLabels": PERSONAL}) == []


@pytest.mark.parametrize("location", ["EU", "EUR4", "eu", "EUROPE-WEST4", "europe-north1"])
def test_gcs_bucket_in_eu_multi_region_dual_region_or_region_passes(location):
    assert judge(GCS, {"location": location, "labels": PERSONAL}) == []


@pytest.mark.parametrize("location", ["US", "NAM4", "ASIA", "US-CENTRAL1", "EUR5"])
def test_gcs_bucket_outside_the_eu_fails(location):
    assert judge(GCS, {"location": location, "labels": PERSONAL}) == [
        f"GCS bucket subject is in {location} (location input), {OUTSIDE}"
    ]


def test_gcs_dual_region_is_judged_by_every_data_location():
    eu = {"location": "EU", "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST4"]}}
    assert judge(GCS, eu) == []
    mixed = {"location": "EU", "customPlacementConfig": {"dataLocations": ["EUROPE-WEST4", "US-EAST1", "US-WEST1"]}}
    assert judge(GCS, mixed) == [
        f"GCS bucket subject is in US-EAST1 (customPlacementConfig.dataLocations), {OUTSIDE}",
        f"GCS bucket subject is in US-WEST1 (customPlacementConfig.dataLocations), {OUTSIDE}",
    ]


def test_aws_bucket_region_input():
    assert judge(S3, {"region": "eu-west-1", "tags": PERSONAL}) == []
    assert judge(S3, {"region": "us-east-1", "tags": PERSONAL}) == [
        f"S3 bucket subject is in us-east-1 (region input), {OUTSIDE}"
    ]


# ---- provider and stack config -------------------------------------------------------------------------------


def test_region_from_the_provider():
    assert judge(S3, {"tags": PERSONAL}, provider={"region": "eu-central-1"}) == []
    assert judge(S3, {"tags": PERSONAL}, provider={"region": "us-west-2"}) == [
        f"S3 bucket subject is in us-west-2 (provider region), {OUTSIDE}"
    ]


def test_gcp_region_from_the_provider_region_then_zone():
    assert judge("gcp:compute/instance:Instance", {}, provider={"region": "us-east1", "zone": "europe-west4-a"}) == [
        f"Compute Engine instance subject is in us-east1 (provider region), {OUTSIDE}"
    ]
    assert judge("gcp:compute/instance:Instance", {}, provider={"zone": "us-east1-b"}) == [
        f"Compute Engine instance subject is in us-east1 (provider zone us-east1-b), {OUTSIDE}"
    ]


def test_region_from_the_stack_config():
    settings = Settings(stack_config={"aws:region": "us-east-1", "gcp:region": "europe-west4"})
    assert judge(S3, {}, settings) == [f"S3 bucket subject is in us-east-1 (stack config aws:region), {OUTSIDE}"]
    assert judge(GKE, {}, settings) == []
    zone_only = Settings(stack_config={"gcp:zone": "asia-east1-a"})
    assert judge(GKE, {}, zone_only) == [
        f"GKE cluster subject is in asia-east1 (stack config gcp:zone asia-east1-a), {OUTSIDE}"
    ]


def test_own_input_beats_provider_beats_stack_config():
    settings = Settings(stack_config={"aws:region": "us-east-1"})
    assert judge(S3, {"region": "eu-west-1"}, settings, provider={"region": "us-west-2"}) == []
    assert judge(S3, {}, settings, provider={"region": "eu-west-1"}) == []
    assert judge(S3, {"region": "us-west-2"}, Settings(stack_config={"aws:region": "eu-west-1"})) == [
        f"S3 bucket subject is in us-west-2 (region input), {OUTSIDE}"
    ]


def test_a_cloud_reads_only_its_own_stack_config():
    assert judge(S3, {}, Settings(stack_config={"gcp:region": "us-central1"})) == []
    assert judge(GKE, {}, Settings(stack_config={"aws:region": "us-east-1"})) == []


def test_bigquery_dataset_without_location_is_in_us_whatever_the_provider():
    assert judge(BIGQUERY, {}, provider={"region": "europe-west4"}) == [
        f"BigQuery dataset subject is in US (default location, no location input), {OUTSIDE}"
    ]
    assert judge(BIGQUERY, {"location": "EU"}) == []


# ---- allowed regions -----------------------------------------------------------------------------------------


def test_adequacy_region_fails_by_default_and_says_the_setting_would_allow_it():
    assert judge(S3, {"region": "eu-west-2"}) == [
        f"S3 bucket subject is in eu-west-2 (region input), {OUTSIDE}; eu-west-2 is in an adequacy-decision country "
        "(United Kingdom): setting allowAdequacyRegions would allow it"
    ]
    assert judge(GKE, {"location": "europe-west6-b"}) == [
        f"GKE cluster subject is in europe-west6 (location input europe-west6-b), {OUTSIDE}; europe-west6 is in an "
        "adequacy-decision country (Switzerland): setting allowAdequacyRegions would allow it"
    ]


def test_adequacy_regions_pass_when_allowed_and_others_still_fail():
    settings = Settings(allow_adequacy_regions=True)
    assert judge(S3, {"region": "eu-west-2"}, settings) == []
    assert judge(GCS, {"location": "SOUTHAMERICA-EAST1"}, settings) == []
    assert judge(S3, {"region": "us-east-1"}, settings) == [
        f"S3 bucket subject is in us-east-1 (region input), {OUTSIDE}"
    ]


def test_allowed_regions_override_the_eu_default():
    settings = Settings(allowed_regions=("us-east-1", "US"))
    assert judge(S3, {"region": "us-east-1"}, settings) == []
    assert judge(GCS, {"location": "us"}, settings) == []
    assert judge(S3, {"region": "eu-west-1"}, settings) == [
        f"S3 bucket subject is in eu-west-1 (region input), {OUTSIDE}"
    ]
    # Adequacy regions are added to the listed regions only when allowed.
    assert judge(S3, {"region": "eu-west-2"}, replace(settings, allow_adequacy_regions=True)) == []
    assert judge(S3, {"region": "eu-west-2"}, settings)[0].endswith("setting allowAdequacyRegions would allow it")


def test_allowed_regions_compare_case_insensitively():
    assert judge(GCS, {"location": "us-central1"}, Settings(allowed_regions=(" US-CENTRAL1 ",))) == []


# ---- scope: classification -----------------------------------------------------------------------------------


@pytest.mark.parametrize("classification", ["internal", "public", " Internal "])
@pytest.mark.parametrize(("type_", "key"), [(S3, "tags"), (GCS, "labels"), (GKE, "resourceLabels")])
def test_resources_classified_internal_or_public_are_exempt(classification, type_, key):
    props = {res.DATA[type_].inputs[0]: "us-east-1", key: {"data-classification": classification}}
    assert judge(type_, props) == []


@pytest.mark.parametrize("classification", ["personal", "phi", "PHI", "confidential", None])
def test_personal_phi_other_or_absent_classification_is_judged(classification):
    tags = {"owner": "ml"} if classification is None else {"data-classification": classification}
    assert judge(S3, {"region": "us-east-1", "tags": tags}) == [
        f"S3 bucket subject is in us-east-1 (region input), {OUTSIDE}"
    ]


def test_gke_cluster_is_classified_by_resource_labels_not_labels():
    props = {"location": "us-central1", "labels": {"data-classification": "internal"}}
    assert judge(GKE, props) == [f"GKE cluster subject is in us-central1 (location input), {OUTSIDE}"]


def test_provider_default_tags_classify_its_resources():
    provider = {"region": "us-east-1", "defaultTags": {"tags": {"data-classification": "public"}}}
    assert judge(S3, {}, provider=provider) == []
    gcp = {"region": "us-central1", "defaultLabels": '{"data-classification": "internal"}'}
    assert judge(GCS, {"location": "US"}, provider=gcp) == []


# ---- cannot judge --------------------------------------------------------------------------------------------


def test_no_region_anywhere_is_no_violation():
    assert judge(S3, {"tags": PERSONAL}) == []
    assert judge(AWS_PROVIDER, {}) == []
    assert judge(GKE, {"resourceLabels": PERSONAL}, provider={"project": "p"}) == []


def test_an_unknown_provider_place_is_not_a_violation():
    # A resource that names no place of its own is placed by its provider; unknown there, it cannot be judged.
    for type_, provider in ((S3, {"region": UNKNOWN_STRING_VALUE}), (GKE, {"zone": UNKNOWN_STRING_VALUE})):
        assert judge(type_, {}, STACK_OUTSIDE, provider=provider) == []
        # ...because the rule reads the value and stops there (evaluate() proxies the provider's props too).
        proxied = resource(type_, unknown_checking_proxy({}), provider=unknown_checking_proxy(provider))
        with pytest.raises((UnknownValueError, CannotJudge)):
            list(RULE.check(proxied, STACK_OUTSIDE))


@pytest.mark.parametrize("odd", [None, "", "   ", 42, True, ["us-east-1"], {"name": "us-east-1"}])
def test_odd_location_values_name_no_place_and_never_raise(odd):
    # The next source decides: here the provider, in the EU.
    assert judge(S3, {"region": odd}, provider={"region": "eu-west-1"}) == []
    assert judge(GCS, {"location": odd}, provider={"region": odd}) == []
    assert judge(AWS_PROVIDER, {"region": odd}) == []


def test_an_unknown_data_location_hides_no_other_and_never_leaves_the_bucket_location_to_decide():
    mixed = {"location": "EU", "customPlacementConfig": {"dataLocations": [UNKNOWN_STRING_VALUE, "US-EAST1"]}}
    assert judge(GCS, mixed) == [f"GCS bucket subject is in US-EAST1 (customPlacementConfig.dataLocations), {OUTSIDE}"]
    # Only unknown ones: they place the data, not the bucket's location (US here): not judged.
    unknown = {"location": "US", "customPlacementConfig": {"dataLocations": [UNKNOWN_STRING_VALUE]}}
    assert judge(GCS, unknown) == []
    for props in (mixed, unknown):
        with pytest.raises((UnknownValueError, CannotJudge)):
            list(RULE.check(resource(GCS, unknown_checking_proxy(props)), Settings()))


DUAL_US_EAST1 = [f"GCS bucket subject is in US-EAST1 (customPlacementConfig.dataLocations), {OUTSIDE}"]


@pytest.mark.parametrize(
    ("placement", "expected"),
    [
        (None, []),
        ("EUROPE-WEST4", []),
        (7, []),
        (["US-EAST1"], []),
        ({"dataLocations": None}, []),
        ({"dataLocations": [1, None, " "]}, []),
        # A lone string is a list of one location (the props helpers' "one or many").
        ({"dataLocations": "US-EAST1"}, DUAL_US_EAST1),
        ({"dataLocations": [1, "US-EAST1"]}, DUAL_US_EAST1),
    ],
)
def test_odd_custom_placement_shapes_never_raise(placement, expected):
    # Anything unreadable leaves the bucket's own location (EU here) to decide.
    assert judge(GCS, {"location": "EU", "customPlacementConfig": placement}) == expected


@pytest.mark.parametrize("tags", ["personal", 3, ["data-classification"], None])
def test_odd_tag_shapes_are_unclassified_and_judged(tags):
    assert judge(S3, {"region": "us-east-1", "tags": tags}) == [
        f"S3 bucket subject is in us-east-1 (region input), {OUTSIDE}"
    ]


def test_odd_stack_config_values_name_no_place():
    assert judge(S3, {}, Settings(stack_config={"aws:region": 5})) == []  # type: ignore[dict-item]


# ---- the region lists and zones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("europe-west4-a", "europe-west4"),
        ("us-central1-f", "us-central1"),
        ("northamerica-northeast2-b", "northamerica-northeast2"),
        ("me-west1-c", "me-west1"),
        ("eu-west-1a", "eu-west-1"),
        ("eusc-de-east-1b", "eusc-de-east-1"),
        ("us-gov-west-1a", "us-gov-west-1"),
        ("us-east-1-bos-1a", "us-east-1"),
        ("us-east-1-wl1-bos-wlz-1", "us-east-1"),
        ("EUROPE-WEST4", "europe-west4"),
        ("eu-west-1", "eu-west-1"),
        ("EUR4", "eur4"),
        ("EU", "eu"),
        ("global", "global"),
    ],
)
def test_region_of_zone(zone, region):
    assert regions.region_of_zone(zone) == region


def test_region_lists_are_the_controls_catalog_lists():
    assert regions.AWS_EU_REGIONS == (
        "eu-central-1",
        "eu-west-1",
        "eu-west-3",
        "eu-south-1",
        "eu-south-2",
        "eu-north-1",
        "eusc-de-east-1",
    )
    assert set(regions.AWS_ADEQUACY_REGIONS) == {
        "eu-central-2",
        "eu-west-2",
        "ca-central-1",
        "ca-west-1",
        "il-central-1",
        "ap-northeast-1",
        "ap-northeast-3",
        "ap-northeast-2",
        "ap-southeast-6",
        "sa-east-1",
    }
    assert {"EU", "EUR4", "europe-west4", "europe-north1", "europe-west12"} <= set(regions.GCP_EU_REGIONS)
    assert len(regions.GCP_EU_REGIONS) == 13
    assert set(regions.GCP_ADEQUACY_REGIONS) == {
        "europe-west2",
        "europe-west6",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "me-west1",
        "southamerica-east1",
    }


def test_region_lists_hold_regions_not_zones_and_do_not_overlap():
    every = [*regions.EU_REGIONS, *regions.ADEQUACY_REGIONS]
    assert all(regions.region_of_zone(r) == r.lower() for r in every)
    assert len({r.lower() for r in every}) == len(every)
    # US regions are not adequate by geography (only certified organisations under the EU-US DPF).
    assert not any(r.startswith("us-") for r in every)


def test_adequacy_country_is_case_insensitive():
    assert regions.adequacy_country("EUROPE-WEST2") == "United Kingdom"
    assert regions.adequacy_country("us-east-1") is None


# ---- S3 replication destinations (s3-replication-destination-residency) ---------------------------------------

REPLICATION_RULE = RULES["s3-replication-destination-residency"]
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
DESTINATION = ("rules", 0, "destination", "bucket")


def replication(rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A replication configuration of bucket acme-phi, by default one Enabled rule to acme-phi-replica."""
    default = [{"id": "all", "status": "Enabled", "destination": {"bucket": "arn:aws:s3:::acme-phi-replica"}}]
    return {"bucket": "acme-phi", "role": "arn:aws:iam::123456789012:role/replication", "rules": rules or default}


BUCKETS: dict[str, tuple[str, dict[str, Any]]] = {
    "source": (S3, {"bucket": "acme-phi", "region": "eu-central-1", "tags": {**PERSONAL}}),
    "replica": (S3, {"bucket": "acme-phi-replica", "region": "eu-west-1", "tags": {**PERSONAL}}),
}
REPLICATED_TO = "S3 bucket replication configuration subject rules[0] replicates to S3 bucket replica, which is in"

REPLICATION_CASES = [
    # The destination and the source found by name: the destination ARN names its bucket, `bucket` the source.
    Case(
        "s3-replication-destination-residency",
        REPLICATION,
        replication(),
        [
            (("replica", "region"), "us-east-1", f"{REPLICATED_TO} us-east-1 (region input), {OUTSIDE}"),
            (("replica", "region"), DELETE, f"{REPLICATED_TO} us-east-1 (stack config aws:region), {OUTSIDE}"),
            (
                ("replica", "region"),
                "eu-west-2",
                f"{REPLICATED_TO} eu-west-2 (region input), {OUTSIDE}; eu-west-2 is in an adequacy-decision country",
            ),
        ],
        [
            (("replica", "region"), UNKNOWN_STRING_VALUE),
            (("subject", "rules"), UNKNOWN_ARRAY_VALUE),
            (("subject", "rules", 0), UNKNOWN_OBJECT_VALUE),
            (("subject", "rules", 0, "status"), UNKNOWN_STRING_VALUE),
            (("subject", *DESTINATION), UNKNOWN_STRING_VALUE),
            (("subject", "bucket"), UNKNOWN_STRING_VALUE),
            (("source", "tags", "data-classification"), UNKNOWN_STRING_VALUE),
        ],
        companions=BUCKETS,
        settings=STACK_OUTSIDE,
        # The rule's status and destination, the name that ARN matches, the source bucket (whose classification
        # says whether personal data is replicated) and the name that finds it.
        needs=[
            ("subject", "rules", 0, "status"),
            ("subject", *DESTINATION),
            ("replica", "bucket"),
            ("subject", "bucket"),
            ("source", "tags", "data-classification"),
        ],
    ),
    # Linked by the engine's property dependencies: the destination ARN unknown at preview (a new bucket's arn).
    Case(
        "s3-replication-destination-residency",
        REPLICATION,
        replication(),
        [(("replica", "region"), "us-east-1", f"{REPLICATED_TO} us-east-1 (region input), {OUTSIDE}")],
        [(("replica", "region"), UNKNOWN_STRING_VALUE), (("source", "tags"), UNKNOWN_OBJECT_VALUE)],
        first=[(("subject", *DESTINATION), UNKNOWN_STRING_VALUE)],
        companions=BUCKETS,
        links={"subject": {"bucket": ["source"], "rules": ["replica"]}},
        settings=STACK_OUTSIDE,
        needs=[("subject", "rules", 0, "status"), ("source", "tags", "data-classification")],
        id="s3-replication-destination-residency-linked",
    ),
]


def test_replication_rule_metadata():
    assert REPLICATION_RULE.control == "data-residency"
    assert REPLICATION_RULE.frameworks == ("gdpr",)
    assert REPLICATION_RULE.parameters == RULE.parameters
    assert REPLICATION_RULE.subjects == (REPLICATION,)
    assert set(REPLICATION_RULE.resource_types) == {REPLICATION, S3, "aws:s3/bucketV2:BucketV2"}


def _replication_stack(config: dict[str, Any], **buckets: dict[str, Any]) -> list[Any]:
    return [resource(REPLICATION, config)] + [resource(S3, props, name) for name, props in buckets.items()]


def _replication_verdict(stack: list[Any], settings: Settings = STACK_OUTSIDE) -> Any:
    [(_, judgement)] = judge_stack(REPLICATION_RULE, stack, settings)
    return judgement


def test_a_destination_outside_the_stack_is_not_judged():
    # An S3 ARN carries no region: a bucket the stack does not hold cannot be placed.
    config = replication([{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::partner-archive"}}])
    judgement = _replication_verdict(_replication_stack(config, source=BUCKETS["source"][1]))
    assert judgement.verdict == "not-judged"
    assert '"arn:aws:s3:::partner-archive" is not in the stack' in judgement.reason


def test_a_disabled_rule_replicates_nothing():
    rules = [{"status": "Disabled", "destination": {"bucket": "arn:aws:s3:::acme-phi-replica"}}]
    outside = {**BUCKETS["replica"][1], "region": "us-east-1"}
    stack = _replication_stack(replication(rules), source=BUCKETS["source"][1], replica=outside)
    assert stack_violations("s3-replication-destination-residency", stack, STACK_OUTSIDE) == []


@pytest.mark.parametrize("kind", ["internal", "public"])
def test_replicating_a_bucket_without_personal_data_is_not_applicable(kind):
    source = {**BUCKETS["source"][1], "tags": {"data-classification": kind}}
    outside = {**BUCKETS["replica"][1], "region": "us-east-1"}
    stack = _replication_stack(replication(), source=source, replica=outside)
    assert stack_violations("s3-replication-destination-residency", stack, STACK_OUTSIDE) == []
    assert _replication_verdict(stack).verdict == "not-applicable"
    # The destination's own classification does not matter: the copies are the source's data.
    replica = {**outside, "tags": {"data-classification": "internal"}}
    stack = _replication_stack(replication(), source=BUCKETS["source"][1], replica=replica)
    assert len(stack_violations("s3-replication-destination-residency", stack, STACK_OUTSIDE)) == 1


def test_an_unknown_destination_hides_no_other_rules_violation():
    rules = [
        {"status": "Enabled", "destination": {"bucket": UNKNOWN_STRING_VALUE}},
        {"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::acme-phi-replica"}},
    ]
    outside = {**BUCKETS["replica"][1], "region": "us-east-1"}
    stack = _replication_stack(replication(rules), source=BUCKETS["source"][1], replica=outside)
    assert [m for _, m in stack_violations("s3-replication-destination-residency", stack, STACK_OUTSIDE)] == [
        f"S3 bucket replication configuration subject rules[1] replicates to S3 bucket replica, which is in "
        f"us-east-1 (region input), {OUTSIDE}"
    ]


def test_an_auto_named_destination_matches_its_arn():
    replica = {"region": "us-east-1", "tags": PERSONAL}  # no `bucket`: Pulumi names it replica-<7 hex>
    config = replication([{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::replica-0a1b2c3"}}])
    stack = _replication_stack(config, source=BUCKETS["source"][1], replica=replica)
    assert len(stack_violations("s3-replication-destination-residency", stack, STACK_OUTSIDE)) == 1


def test_the_replication_inputs_are_ones_the_sdk_declares():
    source = _sdk_sources(REPLICATION)
    nested = (pathlib.Path(pulumi_aws.__file__).parent / "s3" / "_inputs.py").read_text()
    assert _declares_input(source, "bucket") and _declares_input(source, "rules")
    assert all(_declares_input(nested, name) for name in ("destination", "bucket", "status"))
    assert 'The rule is ignored if status is not "Enabled"' in nested
