"""Public S3 bucket policies (policies/rules/aws/bucket_policy.py): Allow to every principal without a condition that
S3 itself counts as non-public.

One table of cases (tests/rule_judging.py), the conditions that do and do not restrict, and a small third-party
stack export (a team's raw bucket policy).
"""

from __future__ import annotations

import json
from pathlib import Path as FilePath
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from llmops_infra.policies.rules.aws import bucket_policy
from llmops_infra.policies.runtime.rule import RULES
from tests.policies.stack_exports import Raw, export, judged
from tests.rule_judging import (
    DELETE,
    Case,
    violations,
)

RULE = "s3-bucket-policy-not-public"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET = "aws:s3/bucket:Bucket"
ARN = "arn:aws:s3:::models"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


DENY_PLAINTEXT = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [ARN, f"{ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
FROM_ENDPOINT = {
    "Sid": "ReadThroughEndpoint",
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["s3:GetObject"],
    "Resource": f"{ARN}/*",
    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}},
}
NAMED = {"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/reader"},
         "Action": "s3:GetObject", "Resource": f"{ARN}/*"}  # fmt: skip
PUBLIC = "with no condition that limits the caller"


def policy_props(document: dict[str, Any]) -> dict[str, Any]:
    return {"bucket": "models", "policy": document}


BASELINE = policy_props(doc(DENY_PLAINTEXT, FROM_ENDPOINT, NAMED))
CONDITION = ("policy", "Statement", 1, "Condition")
# A statement's verdict turns on its Effect (a Deny grants nothing), its principal and its condition; its Sid and
# actions only describe it (unknown at preview, it is named by its index and "its actions": see
# test_an_unknown_sid_or_action_only_labels_the_statement), so the expected texts leave them out.
WHETHER_PUBLIC = ("Effect", "Principal")

CASES = [
    Case(
        RULE,
        POLICY,
        BASELINE,
        [
            (CONDITION, DELETE, f'to Principal "*" {PUBLIC}'),
            ((*CONDITION, "StringEquals", "aws:SourceVpce"), "vpce-*", PUBLIC),
            (CONDITION, {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, PUBLIC),
            (CONDITION, {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, PUBLIC),
            (CONDITION, {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, PUBLIC),
            (CONDITION, {"Bool": {"aws:SecureTransport": "true"}}, PUBLIC),
        ],
        [
            (CONDITION, UNKNOWN_OBJECT_VALUE),
            ((*CONDITION, "StringEquals", "aws:SourceVpce"), UNKNOWN_STRING_VALUE),
            (("policy",), UNKNOWN_STRING_VALUE),
        ],
        needs=[("policy", "Statement", 1, key) for key in WHETHER_PUBLIC],
    ),
    # The named reader's statement opened to everyone.
    Case(
        RULE,
        POLICY,
        BASELINE,
        [
            (("policy", "Statement", 2, "Principal"), {"AWS": "*"}, 'to Principal {"AWS": "*"}'),
            (("policy", "Statement", 2, "Principal"), {"AWS": ["arn:aws:iam::1:root", "*"]}, 'Principal {"AWS": "*"}'),
            (("policy", "Statement", 2, "Principal"), "*", f'to Principal "*" {PUBLIC}'),
        ],
        [(("policy", "Statement", 2, "Principal"), UNKNOWN_STRING_VALUE)],
        id=f"{RULE}[{POLICY}]-principal",
        needs=[("policy", "Statement", 2, "Effect")],
    ),
    Case(
        RULE,
        POLICY,
        BASELINE,
        [(("policy",), "{not json", "S3 bucket policy subject policy is not valid JSON, so whether it is public")],
        id=f"{RULE}[{POLICY}]-unreadable",
    ),
    *[
        Case(
            RULE,
            bucket,
            {"bucket": "models", "policy": json.dumps(doc(DENY_PLAINTEXT, FROM_ENDPOINT))},
            [
                (
                    ("policy",),
                    json.dumps(doc({**FROM_ENDPOINT, "Sid": "", "Condition": {}})),
                    'S3 bucket subject policy statement 0 allows s3:GetObject to Principal "*"',
                )
            ],
            [(("policy",), UNKNOWN_STRING_VALUE)],
        )
        for bucket in (BUCKET, "aws:s3/bucketV2:BucketV2")
    ],
]


def test_every_rule_and_type_it_judges_has_a_case():
    assert {n for n, r in RULES.items() if r.check.__module__ == bucket_policy.__name__} == {RULE}
    assert {(c.rule, c.type) for c in CASES} == {(RULE, t) for t in RULES[RULE].resource_types}


# ---- the conditions S3 counts as non-public ------------------------------------------------------------------

OPEN = {**FROM_ENDPOINT, "Condition": {}}


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d"}},
        {"StringEquals": {"AWS:SOURCEVPCE": ["vpce-1", "vpce-2"]}},  # keys compare without case
        {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}},
        {"StringEquals": {"aws:SourceAccount": "123456789012"}},
        {"StringEquals": {"aws:SourceOwner": "123456789012"}},
        {"StringEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:eu-west-1:1:key/k"}},
        {"StringEquals": {"aws:userid": "AROAEXAMPLEID:session"}},
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
        {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceVpce": "vpce-1"}},
    ],
)
def test_conditions_that_pin_the_caller_make_the_statement_non_public(condition: dict[str, Any]) -> None:
    assert violations(RULE, POLICY, policy_props(doc({**OPEN, "Condition": condition}))) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}},
        {"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}},
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "::/0"]}},
        {"IpAddress": {"aws:SourceIp": "not-a-cidr"}},
        {"ForAnyValue:StringEquals": {"aws:SourceVpce": "vpce-1"}},
        {"StringEquals": {"aws:PrincipalTag/team": "ml"}},
        {"StringEquals": {"aws:SourceVpce": []}},
    ],
)
def test_conditions_that_do_not_pin_the_caller_leave_it_public(condition: dict[str, Any]) -> None:
    assert len(violations(RULE, POLICY, policy_props(doc({**OPEN, "Condition": condition})))) == 1


def test_not_principal_allow_is_everyone_but_the_listed() -> None:
    statement = {k: v for k, v in OPEN.items() if k != "Principal"} | {"NotPrincipal": {"AWS": "arn:aws:iam::1:root"}}
    [message] = violations(RULE, POLICY, policy_props(doc(statement)))
    assert "to NotPrincipal (everyone but the listed principals)" in message


def test_an_unknown_statement_hides_no_other() -> None:
    document = doc({**OPEN, "Condition": UNKNOWN_OBJECT_VALUE}, {**OPEN, "Sid": "Open"})
    [message] = violations(RULE, POLICY, policy_props(document))
    assert "statement Open allows" in message
    [message] = violations(RULE, POLICY, policy_props(doc(UNKNOWN_OBJECT_VALUE, {**OPEN, "Sid": ""})))
    assert "statement 1 allows" in message  # the unknown statement counts as one


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({}, 'statement ReadThroughEndpoint allows s3:GetObject to Principal "*"'),
        ({"Sid": UNKNOWN_STRING_VALUE}, 'statement 0 allows s3:GetObject to Principal "*"'),
        ({"Action": UNKNOWN_STRING_VALUE}, 'statement ReadThroughEndpoint allows its actions to Principal "*"'),
        (
            {"Action": ["s3:GetObject", UNKNOWN_STRING_VALUE]},
            'statement ReadThroughEndpoint allows its actions to Principal "*"',
        ),
    ],
)
def test_an_unknown_sid_or_action_only_labels_the_statement(changes: dict[str, Any], named: str) -> None:
    assert violations(RULE, POLICY, policy_props(doc({**OPEN, **changes}))) == [
        f"S3 bucket policy subject policy {named} with no condition that limits the caller (a fixed aws:SourceVpce, "
        "aws:SourceVpc, aws:SourceArn, aws:SourceAccount, aws:SourceOwner or aws:SourceIp CIDRs): the bucket is public"
    ]


# ---- a third-party stack: a team's raw bucket and policy ---------------------------------------------------------


def _team_stack(tmp_path: FilePath, *, public: bool) -> FilePath:
    read = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{ARN}/*"}
    if not public:
        read["Condition"] = {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}}
    return export(
        tmp_path / f"bucket-policy-{'public' if public else 'private'}.json",
        Raw(BUCKET, "models", {"bucket": "models"}),
        Raw(
            POLICY,
            "models-policy",
            {"bucket": "models", "policy": json.dumps(doc(DENY_PLAINTEXT, read))},
            {"bucket": ["models"]},
        ),  # fmt: skip
    )


def test_third_party_stack_public_policy_is_reported_on_the_policy(tmp_path: FilePath) -> None:
    assert judged(RULE, _team_stack(tmp_path, public=True)) == [
        (
            "models-policy",
            'S3 bucket policy models-policy policy statement PublicRead allows s3:GetObject to Principal "*" with no '
            "condition that limits the caller (a fixed aws:SourceVpce, aws:SourceVpc, aws:SourceArn, "
            "aws:SourceAccount, aws:SourceOwner or aws:SourceIp CIDRs): the bucket is public",
        )
    ]


def test_third_party_stack_compliant_twin_passes(tmp_path: FilePath) -> None:
    assert judged(RULE, _team_stack(tmp_path, public=False)) == []
