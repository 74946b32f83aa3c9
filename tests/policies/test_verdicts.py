"""A rule's whole verdict (policies/runtime/verdicts.py): pass, fail, not judged (a value unknown at preview) and not
applicable (NotApplicable), the same violations as `evaluate`, and the reasons a pack answers with."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

import llmops_infra.policies.rules  # noqa: F401 - registers every rule
from llmops_infra.policies.runtime.rule import (
    RULES,
    CannotJudge,
    NotApplicable,
    Resource,
    Settings,
    evaluate,
    evaluate_stack,
    judge_each,
)
from llmops_infra.policies.runtime.verdicts import (
    Judgement,
    judge,
    judge_stack,
    judged,
    read_resource_answer,
    read_stack_answer,
    resource_answer,
    stack_answer,
)


def _resource(type_: str, props: dict, name: str = "subject") -> Resource:
    return Resource(type_, name, f"urn:pulumi:test::p::{type_}::{name}", props)


def _messages(*found: str, then: Exception | None = None) -> Iterator[str]:
    yield from found
    if then is not None:
        raise then


def test_the_four_verdicts_of_a_rule_s_messages():
    assert judged(_messages()) == Judgement("pass")
    assert judged(_messages("no key")) == Judgement("fail", ("no key",))
    assert judged(_messages(then=NotApplicable("classified internal, not phi"))) == Judgement(
        "not-applicable", (), "classified internal, not phi"
    )
    assert judged(_messages(then=CannotJudge("a bucket input is unknown at preview"))) == Judgement(
        "not-judged", (), "a bucket input is unknown at preview"
    )


def test_what_was_found_before_an_unknown_value_is_a_failure():
    # As evaluate keeps it: each message is a whole verdict already.
    assert judged(_messages("no key", then=CannotJudge("x"))) == Judgement("fail", ("no key",))
    assert judged(_messages("no key", then=NotApplicable("y"))) == Judgement("fail", ("no key",))


def test_not_judged_names_the_unknown_property_through_judge_each():
    rule = RULES["kms-key-rotation-enabled"]
    judgement = judge(rule, _resource("aws:kms/key:Key", {"enableKeyRotation": UNKNOWN_STRING_VALUE}))
    assert judgement.verdict == "not-judged"
    assert "enableKeyRotation" in judgement.reason and "preview" in judgement.reason

    def nested() -> Iterator[str]:
        yield from judge_each([1], lambda _, __: _messages(then=CannotJudge("the inner one")))

    assert judged(nested()).reason == "the inner one"


def test_a_phi_only_rule_does_not_apply_to_an_internal_store():
    rule = RULES["cloudsql-phi-backups-enabled"]
    internal = _resource(rule.resource_types[0], {"settings": {"userLabels": {"data-classification": "internal"}}})
    assert judge(rule, internal) == Judgement("not-applicable", (), "classified internal, not phi")
    unlabelled = _resource(rule.resource_types[0], {})
    assert judge(rule, unlabelled) == Judgement("not-applicable", (), "not classified phi")
    assert evaluate(rule, internal) == []  # no violation, as before


def test_a_type_the_rule_does_not_judge_is_not_applicable():
    judgement = judge(RULES["kms-key-rotation-enabled"], _resource("aws:sns/topic:Topic", {}))
    assert judgement.verdict == "not-applicable"


@pytest.mark.parametrize("name", sorted(RULES))
def test_judge_gives_exactly_the_violations_evaluate_gives(name):
    # Bare resources of every type the rule names (most rules find something there, some cannot judge, some pass).
    rule = RULES[name]
    if rule.scope == "resource":
        for type_ in rule.resource_types:
            resource = _resource(type_, {})
            assert list(judge(rule, resource).messages) == evaluate(rule, resource, Settings()), type_
        return
    resources = [_resource(type_, {}, f"r{i}") for i, type_ in enumerate(rule.resource_types)]
    expected = [(s.urn, m) for s, m in evaluate_stack(rule, resources)]
    assert [(s.urn, m) for s, j in judge_stack(rule, resources) for m in j.messages] == expected
    assert {s.urn for s, _ in judge_stack(rule, resources)} == {r.urn for r in resources if r.type in rule.subjects}


def test_resource_answers_round_trip():
    assert resource_answer(Judgement("pass")) is None
    assert resource_answer(Judgement("fail", ("m",))) is None
    unknown = resource_answer(Judgement("not-judged", (), "string value at .kmsKeyId can't be known during preview"))
    assert unknown == "not-judged: string value at .kmsKeyId can't be known during preview"
    assert read_resource_answer(unknown) == ("not-judged", "string value at .kmsKeyId can't be known during preview")
    assert read_resource_answer("not-applicable: exempt") == ("not-applicable", "exempt")
    # Another pack's own words: the policy does not apply.
    assert read_resource_answer("Policy does not implement validate") == (
        "not-applicable",
        "Policy does not implement validate",
    )


def test_stack_answers_name_each_subject_even_with_odd_urns():
    odd = _resource("aws:s3/bucket:Bucket", {}, 'a name with spaces, "quotes"\nand a newline')
    plain = _resource("aws:s3/bucket:Bucket", {}, "plain")
    judged_ = [
        (odd, Judgement("not-judged", (), "a bucket input is unknown at preview")),
        (plain, Judgement("pass")),
        (_resource("aws:s3/bucket:Bucket", {}, "logs"), Judgement("not-applicable", (), "the access-log bucket")),
        (_resource("aws:s3/bucket:Bucket", {}, "bad"), Judgement("fail", ("m",))),
    ]
    answer = stack_answer(judged_)
    assert answer is not None and answer.splitlines()[0] == "2 of 4 subjects not judged or not applicable"
    assert read_stack_answer(answer) == {
        odd.urn: ("not-judged", "a bucket input is unknown at preview"),
        "urn:pulumi:test::p::aws:s3/bucket:Bucket::logs": ("not-applicable", "the access-log bucket"),
    }
    assert stack_answer([(plain, Judgement("pass"))]) is None
    assert read_stack_answer("some other pack's reason\nwith lines") == {}
