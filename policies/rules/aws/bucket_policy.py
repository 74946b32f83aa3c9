"""S3 bucket policies that make a bucket public (no-public-access): Allow to every principal without a condition
that pins the caller down.

What counts as restricting is what Amazon S3 itself treats as non-public (S3 API Reference,
PublicAccessBlockConfiguration, after the S3 User Guide's "The meaning of 'public'"): "Amazon S3 considers a
bucket policy public unless at least one of the following conditions is true: the policy limits access to a set
of CIDRs using aws:SourceIp; [or] the policy grants permissions to a fixed AWS principal, user, role or service
principal, a fixed aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, a fixed value
of s3:x-amz-server-side-encryption-aws-kms-key-id, or a fixed value of aws:userid outside the pattern
'AROLEID:*'." A fixed value is one without wildcards, under an operator that compares for equality; a condition
with ...IfExists or a ForAllValues/ForAnyValue qualifier can be met without the key, so it pins nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from llmops_infra.policies.runtime.iam_policy import (
    PolicyDocumentError,
    each_statement,
    field,
    statement_name,
    statements,
)
from llmops_infra.policies.runtime.props import is_open_cidr, mapping, strings
from llmops_infra.policies.runtime.resources import BUCKET, BUCKET_POLICY, known, label
from llmops_infra.policies.runtime.rule import Resource, Settings, rule

# Condition keys (lower-cased: IAM compares them without case) that pin a caller down with a fixed value.
FIXED_KEYS = (
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
)
FIXED_OPERATORS = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike")
SOURCE_IP = "aws:sourceip"
IP_OPERATORS = ("ipaddress",)


def _fixed(value: str) -> bool:
    return bool(value.strip()) and "*" not in value and "?" not in value


def _limited_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return not is_open_cidr(value)


def restricting_key(condition: Any) -> str | None:
    """The condition key that makes an Allow to everyone non-public (as written), or None."""
    for operator, block in mapping(condition).items():
        if not isinstance(operator, str) or operator.strip().lower() not in (*FIXED_OPERATORS, *IP_OPERATORS):
            continue
        op = operator.strip().lower()
        for key, value in mapping(block).items():
            values = strings(value)
            name = key.strip().lower() if isinstance(key, str) else ""
            if not values:
                continue
            if name == SOURCE_IP and op in IP_OPERATORS and all(_limited_cidr(v) for v in values):
                return key
            if name in FIXED_KEYS and op in FIXED_OPERATORS and all(_fixed(v) for v in values):
                return key
    return None


def _to_everyone(statement: Mapping[str, Any]) -> str | None:
    """How a statement names every principal (`Principal "*"`, `Principal {"AWS": "*"}`, NotPrincipal), or None."""
    principal = field(statement, "Principal")
    if principal == "*":
        return 'Principal "*"'
    if "*" in [p.strip() for p in strings(mapping(principal).get("AWS"))]:
        return 'Principal {"AWS": "*"}'
    if field(statement, "NotPrincipal") is not None:
        return "NotPrincipal (everyone but the listed principals)"
    return None


def public_statement(statement: Mapping[str, Any]) -> str | None:
    """How an Allow statement grants every principal without a restricting condition, or None."""
    effect = field(statement, "Effect")
    if isinstance(effect, str) and effect.strip().lower() == "deny":
        return None
    everyone = _to_everyone(statement)
    if everyone is None or restricting_key(field(statement, "Condition")) is not None:
        return None
    return everyone


@rule(
    "s3-bucket-policy-not-public",
    control="no-public-access",
    severity="critical",
    types=(BUCKET_POLICY, *BUCKET),
    remediation="Name the principals that may access the bucket, or limit an Allow to everyone with a fixed "
    "aws:SourceVpce, aws:SourceVpc, aws:SourceArn, aws:SourceAccount or aws:SourceOwner condition (or aws:SourceIp "
    "CIDRs).",
    frameworks=("hipaa", "gdpr"),
)
def s3_bucket_policy_not_public(resource: Resource, settings: Settings) -> Iterator[str]:
    """S3 bucket policies do not Allow every principal without a condition that pins the caller down."""
    document = resource.props.get("policy")
    if document is None:
        return  # a bucket without the deprecated inline policy
    where = f"{label(resource)} policy"
    try:
        found = statements(document)
    except PolicyDocumentError as error:
        yield f"{where} {error}, so whether it is public cannot be checked"
        return

    def judge(index: int, statement: Mapping[str, Any]) -> Iterator[str]:
        everyone = public_statement(statement)
        if everyone is not None:
            # The Sid and the actions only describe the statement: unknown at preview, it is named by its index
            # and its actions are "its actions", as when they are absent.
            actions = known(lambda: ", ".join(strings(field(statement, "Action"))), "") or "its actions"
            yield (
                f"{where} {statement_name(statement, index)} allows {actions} to {everyone} with no condition that "
                "limits the caller (a fixed aws:SourceVpce, aws:SourceVpc, aws:SourceArn, aws:SourceAccount, "
                "aws:SourceOwner or aws:SourceIp CIDRs): the bucket is public"
            )

    # Each statement on its own: one unknown at preview hides no other's public grant.
    yield from each_statement(found, judge)
