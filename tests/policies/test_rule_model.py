"""The rule model: registration checks, config parameters, deprecated twins, unknown values, SDK type tokens."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from pathlib import Path

import pulumi_aws
import pulumi_gcp
import pulumi_kubernetes
import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

import llmops_infra.policies.rules  # noqa: F401 - registers every rule
from llmops_infra.policies.runtime import rule as model
from llmops_infra.policies.runtime.controls import CONTROLS
from llmops_infra.policies.runtime.rule import Resource, Settings, evaluate, evaluate_stack, settings_from, with_twins


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(model, "RULES", {})
    return model.RULES


def _register(name="demo-rule", **overrides):
    kwargs = {
        "control": "key-rotation",
        "severity": "high",
        "types": ["aws:kms/key:Key"],
        "remediation": "Turn rotation on.",
        "frameworks": ["hipaa", "gdpr"],
    }
    kwargs.update(overrides)

    @model.rule(name, **kwargs)
    def check(resource, settings):
        """KMS keys rotate."""
        if resource.props["enableKeyRotation"] is not True:
            yield f"KMS key {resource.name} does not rotate"

    return model.RULES[name]


def test_rule_takes_description_from_docstring_and_clauses_from_its_control(registry):
    rule = _register()
    assert rule.description == "KMS keys rotate."
    assert rule.clauses("hipaa") == CONTROLS["key-rotation"].hipaa == ("164.312(a)(2)(iv)",)
    assert rule.clauses("gdpr") == ("Art. 32(1)(a)",)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"control": "encryption"}, "unknown control encryption"),
        ({"parameters": ["maxDays"]}, "unknown parameters"),
        ({"frameworks": ["hipaa", "sox"]}, r"demo-rule: unknown frameworks \['sox'\]; the frameworks are hipaa, gdpr"),
        ({"frameworks": []}, "demo-rule: frameworks must list the packs it is in, some of hipaa, gdpr"),
        ({"frameworks": "hipaa"}, "demo-rule: frameworks must list the packs it is in"),
        ({"frameworks": ["gdpr", "gdpr"]}, "names one twice"),
    ],
)
def test_rule_registration_rejects_bad_metadata(registry, overrides, message):
    with pytest.raises(ValueError, match=message):
        _register(**overrides)
    assert registry == {}


def test_a_rule_must_say_which_frameworks_it_is_in(registry):
    kwargs = {"control": "key-rotation", "severity": "high", "types": ["aws:kms/key:Key"], "remediation": "r"}
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'frameworks'"):
        model.rule("no-frameworks", **kwargs)
    assert registry == {}


@pytest.mark.parametrize("frameworks", [["hipaa"], ["gdpr"], ["hipaa", "gdpr"]])
def test_a_rule_is_in_exactly_the_frameworks_it_states(registry, frameworks):
    assert _register(frameworks=frameworks).frameworks == tuple(frameworks)


def test_every_rule_of_the_library_states_its_frameworks_in_its_declaration():
    # No default to fall back on: each @rule(...) of the rule modules names its frameworks itself.
    import ast
    import pathlib

    import llmops_infra.policies.rules as library

    root = pathlib.Path(library.__file__).parent
    declared = 0
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "rule":
                assert "frameworks" in {k.arg for k in node.keywords}, (source, ast.unparse(node.args[0]))
                declared += 1
    assert declared == len(model.RULES)


def test_duplicate_rule_names_are_rejected(registry):
    _register()
    with pytest.raises(ValueError, match="duplicate rule name"):
        _register()


def test_evaluate_reports_violations_and_ignores_other_types(registry):
    rule = _register()
    key = Resource("aws:kms/key:Key", "k", "urn:k", {"enableKeyRotation": False})
    assert evaluate(rule, key) == ["KMS key k does not rotate"]
    assert evaluate(rule, Resource("aws:s3/bucket:Bucket", "b", "urn:b", {"enableKeyRotation": False})) == []


@pytest.mark.parametrize("unknown", [UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE])
def test_unknown_preview_value_is_no_violation(registry, unknown):
    rule = _register()
    assert evaluate(rule, Resource("aws:kms/key:Key", "k", "urn:k", {"enableKeyRotation": unknown})) == []


def test_stack_evaluation_judges_each_subject_and_skips_only_the_unknown_one(registry):
    @model.rule(
        "stack-demo",
        control="backup",
        severity="low",
        types=["aws:s3/bucket:Bucket"],
        remediation="r",
        scope="stack",
        subjects=["aws:s3/bucket:Bucket"],
        frameworks=["hipaa"],
    )
    def check(bucket, stack, settings):
        """Buckets are versioned."""
        if bucket.props["versioned"] is not True:
            yield "not versioned"

    rule = model.RULES["stack-demo"]
    plain = Resource("aws:s3/bucket:Bucket", "b", "urn:b", {"versioned": False})
    unknown = Resource("aws:s3/bucket:Bucket", "u", "urn:u", {"versioned": UNKNOWN_BOOLEAN_VALUE})
    assert [(r.urn, m) for r, m in evaluate_stack(rule, [unknown, plain])] == [("urn:b", "not versioned")]


def test_a_stack_rule_must_name_its_subjects(registry):
    with pytest.raises(ValueError, match="subjects"):
        model.rule(
            "no-subjects",
            control="backup",
            severity="low",
            types=["t"],
            remediation="r",
            frameworks=["gdpr"],
            scope="stack",
        )(lambda bucket, stack, settings: ())


def test_settings_from_policy_config():
    settings = settings_from({"allowedRegions": ["eu-west-1"], "maxLogRetentionDays": 365, "unrelated": 1})
    assert settings.allowed_regions == ("eu-west-1",)
    assert settings.max_log_retention_days == 365
    assert settings.min_log_retention_days == Settings().min_log_retention_days


def test_with_twins_adds_only_twins_the_sdk_has():
    assert with_twins("aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy") == (
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:s3/bucketPolicy:BucketPolicy",
    )


def test_every_deprecated_twin_is_a_type_the_sdk_registers():
    import pathlib

    import pulumi_aws

    s3_sources = "".join(p.read_text() for p in (pathlib.Path(pulumi_aws.__file__).parent / "s3").glob("*.py"))
    for current, twin in model.DEPRECATED_TWINS.items():
        assert f"'{current}'" in s3_sources and f"'{twin}'" in s3_sources, (current, twin)


# ---- every type a rule judges is one its SDK registers --------------------------------------------------------

SDKS = {"aws": pulumi_aws, "gcp": pulumi_gcp, "kubernetes": pulumi_kubernetes}


@cache
def sdk_types(cloud: str) -> dict[str, tuple[str, str]]:
    """Every type token the cloud's SDK registers -> (module, class): the SDK's own table, the one Pulumi rebuilds
    resources from by type (`_utilities.register(resource_modules=..., resource_packages=...)` in its
    __init__.py; the packages entry is the provider)."""
    source = Path(SDKS[cloud].__file__).read_text()
    table = {
        key: json.loads(re.search(rf'{key}="""(.*?)"""', source, re.S).group(1))
        for key in ("resource_modules", "resource_packages")
    }
    tokens = {t: (m["fqn"], c) for m in table["resource_modules"] for t, c in m["classes"].items()}
    return tokens | {p["token"]: (p["fqn"], p["class"]) for p in table["resource_packages"]}


@cache
def deprecated_in_sdk(cloud: str, token: str) -> bool:
    """Whether the SDK marks the type deprecated: its class body opens with warnings.warn (pulumi-aws: "s3.BucketV2
    has been deprecated in favor of s3.Bucket"). pulumi-kubernetes marks none so; its older API versions say so
    only in docstrings, and the Kubernetes rules list them on purpose."""
    module, name = sdk_types(cloud)[token]
    folder = Path(SDKS[cloud].__file__).parent.joinpath(*module.split(".")[1:])
    pattern = re.compile(rf"^class {name}\(pulumi\.(?:Custom|Provider)Resource\):\n\s+warnings\.warn\(", re.M)
    return any(pattern.search(f.read_text()) for f in folder.glob("*.py"))


def _cloud(token: str) -> str:
    return token.removeprefix("pulumi:providers:").split(":")[0]


@pytest.mark.parametrize("rule_name", sorted(model.RULES))
def test_every_type_a_rule_judges_is_one_its_sdk_registers(rule_name):
    # Rules name types by the SDK's own token strings: a typo would silently judge nothing.
    rule = model.RULES[rule_name]
    for token in rule.resource_types:
        cloud = _cloud(token)
        assert token in sdk_types(cloud), f"{rule_name}: {SDKS[cloud].__name__} registers no type {token}"
        if deprecated_in_sdk(cloud, token):
            # Listed on purpose only as the deprecated twin of a current type the rule judges too (with_twins).
            current = [c for c, twin in model.DEPRECATED_TWINS.items() if twin == token]
            assert current and current[0] in rule.resource_types, f"{rule_name}: {token} is deprecated in the SDK"


def test_the_sdk_type_check_bites():
    assert "aws:s3/bucket:Buckets" not in sdk_types("aws")
    assert "gcp:storage/bucket:Bucket" in sdk_types("gcp") and "pulumi:providers:gcp" in sdk_types("gcp")
    assert "kubernetes:apps/v1beta1:Deployment" in sdk_types("kubernetes")
    assert all(deprecated_in_sdk("aws", twin) for twin in model.DEPRECATED_TWINS.values())
    assert not any(deprecated_in_sdk("aws", current) for current in model.DEPRECATED_TWINS)


# ---- a value unknown at preview withholds only what the rule would say after reading it -------------------------


def _two_verdicts(resource: Resource, settings: Settings):
    """A rule that judges `first`, then `second`: each verdict depends on its own property only."""
    for key in ("first", "second"):
        if resource.props[key] is False:
            yield f"{resource.name}: {key} is false"


TWO_VERDICTS = model.Rule(
    name="test-two-verdicts",
    control="backup",
    description="two independent verdicts",
    severity="low",
    resource_types=("aws:ebs/volume:Volume",),
    remediation="set both",
    check=_two_verdicts,
    frameworks=("hipaa",),
)


def test_a_violation_found_before_an_unknown_value_is_kept() -> None:
    volume = Resource("aws:ebs/volume:Volume", "v", "urn:v", {"first": False, "second": UNKNOWN_BOOLEAN_VALUE})
    assert evaluate(TWO_VERDICTS, volume) == ["v: first is false"]


def test_an_unknown_value_withholds_the_verdict_that_reads_it() -> None:
    volume = Resource("aws:ebs/volume:Volume", "v", "urn:v", {"first": UNKNOWN_BOOLEAN_VALUE, "second": False})
    # The rule stops at `first`: the runtime cannot know the rest was independent; rules judge each property in
    # its own step where that matters.
    assert evaluate(TWO_VERDICTS, volume) == []
    assert evaluate(
        TWO_VERDICTS, Resource("aws:ebs/volume:Volume", "v", "urn:v", {"first": True, "second": False})
    ) == ["v: second is false"]


def test_judge_apart_judges_each_part_on_its_own() -> None:
    props = unknown_checking_proxy({"first": UNKNOWN_BOOLEAN_VALUE, "second": False})

    def part(key: str):
        def messages():
            if props[key] is False:
                yield f"{key} is false"

        return messages

    volume = Resource("aws:ebs/volume:Volume", "v", "urn:v", {})
    found = evaluate(replace(TWO_VERDICTS, check=lambda r, s: model.judge_apart(part("first"), part("second"))), volume)
    assert found == ["second is false"]
    with pytest.raises(model.CannotJudge):
        list(model.judge_apart(part("first"), part("second")))


@pytest.mark.parametrize(
    ("values", "some", "every"),
    [
        ([True, False], True, False),
        ([False, False], False, False),
        ([True, True], True, True),
        # One known answer decides what the unknown one cannot change; otherwise the unknown one is needed.
        ([UNKNOWN_BOOLEAN_VALUE, True], True, None),
        ([UNKNOWN_BOOLEAN_VALUE, False], None, False),
        ([], False, True),
    ],
)
def test_any_of_and_all_of_decide_each_check_on_its_own(values, some, every) -> None:
    items = unknown_checking_proxy({"items": values})["items"]
    for combine, expected in ((model.any_of, some), (model.all_of, every)):
        checks = model.per_item(items, lambda value: value is True)
        if expected is None:
            with pytest.raises(model.CannotJudge):
                combine(checks)
        else:
            assert combine(checks) is expected


def test_known_items_leaves_out_the_unknown_ones() -> None:
    items = unknown_checking_proxy({"items": ["a", UNKNOWN_STRING_VALUE, "b"]})["items"]
    assert model.known_items(items) == ["a", "b"]
