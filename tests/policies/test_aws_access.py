"""AWS access rules (policies/rules/aws/access.py): public access, network isolation, audit logging, privilege.

One compliant baseline per resource type (BASELINES, compliant for every rule that judges the type) and one table
of cases (tests/rule_judging.py): each case changes one property and expects exactly one violation naming it, or
makes one value unknown and expects none.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from llmops_infra.policies.rules.aws import access
from llmops_infra.policies.runtime.iam_policy import PolicyDocumentError, policy_statements, wildcard_grant
from llmops_infra.policies.runtime.props import is_open_cidr
from llmops_infra.policies.runtime.rule import RULES, Resource
from tests.rule_judging import (
    DELETE,
    Case,
    changed,
    resource,
    stack_violations,
    violations,
)

# ---- fixtures ----------------------------------------------------------------------------------------------

TAGS = {"owner": "ml-platform", "purpose": "model-weights", "data-classification": "phi"}
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SCOPED = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::models/*"}

BASELINES: dict[str, dict[str, Any]] = {
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
        "bucket": "models",
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    },
    "aws:s3/bucketAcl:BucketAcl": {
        "bucket": "models",
        "accessControlPolicy": {
            "owner": {"id": "owner-canonical-id"},
            "grants": [
                {"grantee": {"type": "CanonicalUser", "id": "owner-canonical-id"}, "permission": "FULL_CONTROL"}
            ],
        },
    },
    "aws:s3/bucketAclV2:BucketAclV2": {"bucket": "models", "acl": "private"},
    "aws:s3/bucket:Bucket": {"bucket": "models", "acl": "private", "tags": TAGS},
    "aws:s3/bucketV2:BucketV2": {"bucket": "models", "tags": TAGS},
    "aws:ec2/subnet:Subnet": {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/20", "mapPublicIpOnLaunch": False},
    "aws:ec2/launchTemplate:LaunchTemplate": {
        "networkInterfaces": [{"deviceIndex": 0, "associatePublicIpAddress": "false"}],
    },
    "aws:eks/cluster:Cluster": {
        "roleArn": "arn:aws:iam::123456789012:role/eks",
        "vpcConfig": {"subnetIds": ["subnet-1"], "endpointPrivateAccess": True, "endpointPublicAccess": False},
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        "tags": TAGS,
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        "vpcId": "vpc-1",
        "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}],
        "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        "tags": {"purpose": "endpoints"},
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        "securityGroupId": "sg-1",
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "cidrIpv4": "10.0.0.0/16",
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {"vpcId": "vpc-1", "ingress": [], "egress": []},
    "aws:cloudtrail/trail:Trail": {
        "s3BucketName": "trail-logs",
        "isMultiRegionTrail": True,
        "enableLogFileValidation": True,
        "kmsKeyId": KEY_ARN,
    },
    "aws:iam/policy:Policy": {"policy": doc(SCOPED)},
    "aws:iam/rolePolicy:RolePolicy": {"role": "workload", "policy": doc(SCOPED)},
    "aws:iam/role:Role": {
        "assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "*"}),
        "inlinePolicies": [{"name": "read-models", "policy": doc(SCOPED)}],
    },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        "role": "nodes",
        "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    },
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": {
        "user": "ci",
        "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    },
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": {
        "group": "ops",
        "policyArn": "arn:aws:iam::123456789012:policy/AdministratorAccess",  # customer-managed: judged by its doc
    },
}

RESOURCE_RULES = sorted(n for n, r in RULES.items() if r.scope == "resource" and r.check.__module__ == access.__name__)
STACK_RULES = sorted(n for n, r in RULES.items() if r.scope == "stack" and r.check.__module__ == access.__name__)


def test_every_rule_of_the_module_is_registered_with_a_description():
    assert len(RESOURCE_RULES) == 10 and len(STACK_RULES) == 4
    for name in RESOURCE_RULES + STACK_RULES:
        assert RULES[name].description and not RULES[name].description.startswith(name)


# ---- the cases: one per resource rule and type it judges -----------------------------------------------------

PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SG = "aws:ec2/securityGroup:SecurityGroup"
SGR = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EKS = "aws:eks/cluster:Cluster"
TRAIL = "aws:cloudtrail/trail:Trail"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
OPEN_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def case(rule: str, type_: str, changes: list[Any] | None = None, unknowns: list[Any] | None = None) -> Case:
    """The case of `rule` on the baseline of `type_`."""
    return Case(rule, type_, BASELINES[type_], changes or [], unknowns or [])


CASES = [
    # no-public-access
    case(
        "s3-public-access-block-all-flags",
        PAB,
        [
            ((flag,), value, f"does not set {flag} to true")
            for flag in access.PUBLIC_ACCESS_FLAGS
            for value in (False, DELETE, "yes")
        ],
        [(("blockPublicAcls",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "s3-bucket-acl-not-public",
        "aws:s3/bucketAcl:BucketAcl",
        [
            (
                ("accessControlPolicy", "grants", 0, "grantee"),
                {"type": "Group", "uri": f"http://acs.amazonaws.com/groups/global/{group}"},
                f"accessControlPolicy.grants grants access to the {group} group",
            )
            for group in ("AllUsers", "AuthenticatedUsers")
        ],
        [
            (("accessControlPolicy",), UNKNOWN_OBJECT_VALUE),
            (("accessControlPolicy", "grants"), UNKNOWN_ARRAY_VALUE),
        ],
    ),
    case(
        "s3-bucket-acl-not-public",
        "aws:s3/bucketAclV2:BucketAclV2",
        [(("acl",), acl, f"uses the public canned acl {acl}") for acl in access.PUBLIC_CANNED_ACLS],
        [(("acl",), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "s3-bucket-acl-not-public",
        "aws:s3/bucket:Bucket",
        [
            *[(("acl",), acl, f"uses the public canned acl {acl}") for acl in access.PUBLIC_CANNED_ACLS],
            (
                ("grants",),
                [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permissions": ["READ"]}],
                "S3 bucket subject grants grants access to the AllUsers group",
            ),
        ],
    ),
    case("s3-bucket-acl-not-public", "aws:s3/bucketV2:BucketV2"),
    case(
        "ec2-subnet-no-public-ip-on-launch",
        "aws:ec2/subnet:Subnet",
        [(("mapPublicIpOnLaunch",), value, "mapPublicIpOnLaunch") for value in (True, "true")],
        [(("mapPublicIpOnLaunch",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "launch-template-no-public-ip",
        LAUNCH_TEMPLATE,
        [
            (
                ("networkInterfaces", 0, "associatePublicIpAddress"),
                value,
                "networkInterfaces[0] sets associatePublicIpAddress to true",
            )
            for value in ("true", True, "TRUE")
        ],
        [
            (("networkInterfaces",), UNKNOWN_ARRAY_VALUE),
            (("networkInterfaces", 0, "associatePublicIpAddress"), UNKNOWN_STRING_VALUE),
        ],
    ),
    case(
        "eks-endpoint-not-public",
        EKS,
        [
            (("vpcConfig", "endpointPublicAccess"), True, "with no publicAccessCidrs"),
            # EKS defaults endpointPublicAccess to true: leaving it out is a public endpoint open to everyone.
            (("vpcConfig", "endpointPublicAccess"), DELETE, "with no publicAccessCidrs"),
            (("vpcConfig",), {"endpointPublicAccess": True, "publicAccessCidrs": []}, "with no publicAccessCidrs"),
            (
                ("vpcConfig",),
                {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
                "opens the public endpoint to 0.0.0.0/0",
            ),
            (
                ("vpcConfig",),
                {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24", "::/0"]},
                "to ::/0",
            ),
        ],
        [(("vpcConfig",), UNKNOWN_OBJECT_VALUE), (("vpcConfig", "endpointPublicAccess"), UNKNOWN_BOOLEAN_VALUE)],
    ),
    # network-isolation
    case(
        "default-security-group-closed",
        DEFAULT_SG,
        [
            (("ingress",), [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}], "has ingress rules"),
            (
                ("egress",),
                [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
                "has egress rules",
            ),
        ],
        [(("ingress",), UNKNOWN_ARRAY_VALUE)],
    ),
    # audit-logging
    case(
        "eks-control-plane-logging",
        EKS,
        [
            (("enabledClusterLogTypes",), ["api", "audit"], "enabledClusterLogTypes lacks authenticator"),
            (("enabledClusterLogTypes",), ["audit", "authenticator"], "lacks api"),
            (("enabledClusterLogTypes",), ["api", "authenticator"], "lacks audit"),
            (("enabledClusterLogTypes",), DELETE, "lacks api, audit, authenticator"),
            (("enabledClusterLogTypes",), "api", "lacks audit, authenticator"),
        ],
        [(("enabledClusterLogTypes",), UNKNOWN_ARRAY_VALUE)],
    ),
    case(
        "cloudtrail-multi-region-validated-encrypted",
        TRAIL,
        [
            *[
                ((flag,), value, f"does not set {flag} to true")
                for flag in ("isMultiRegionTrail", "enableLogFileValidation")
                for value in (False, DELETE)
            ],
            (("kmsKeyId",), DELETE, "has no kmsKeyId"),
            (("kmsKeyId",), "", "has no kmsKeyId"),
        ],
        [(("kmsKeyId",), UNKNOWN_STRING_VALUE), (("isMultiRegionTrail",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    # least-privilege
    case(
        "iam-no-wildcard-statements",
        "aws:iam/policy:Policy",
        [
            (("policy",), doc(OPEN_ALL), "IAM policy subject policy statement 0 allows * on all resources"),
            (("policy",), "{not json", "IAM policy subject policy is not valid JSON"),
        ],
        [(("policy",), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "iam-no-wildcard-statements",
        "aws:iam/rolePolicy:RolePolicy",
        [
            (
                ("policy",),
                doc(SCOPED, {**OPEN_ALL, "Action": "s3:*", "Sid": "All"}),
                "statement All allows s3:* on all resources",
            )
        ],
    ),
    case(
        "iam-no-wildcard-statements",
        "aws:iam/role:Role",
        [
            (
                ("inlinePolicies", 0, "policy"),
                doc(OPEN_ALL),
                "IAM role subject inlinePolicies[0].policy statement 0 allows *",
            )
        ],
        [(("inlinePolicies", 0, "policy"), UNKNOWN_STRING_VALUE)],
    ),
    *[
        case(
            "iam-no-admin-policy-attachment",
            attachment,
            [
                (("policyArn",), f"arn:{partition}:iam::aws:policy/{name}", f"attaches {name} (policyArn)")
                for partition, name in (
                    ("aws", "AdministratorAccess"),
                    ("aws-us-gov", "PowerUserAccess"),
                    ("aws-cn", "IAMFullAccess"),
                )
            ],
            [(("policyArn",), UNKNOWN_STRING_VALUE)],
        )
        for attachment in access.POLICY_ATTACHMENTS
    ],
]


def test_every_resource_rule_and_type_it_judges_has_a_case_with_changes_and_unknowns():
    assert {(c.rule, c.type) for c in CASES} == {(n, t) for n in RESOURCE_RULES for t in RULES[n].resource_types}
    assert {c.rule for c in CASES if c.changes} == {c.rule for c in CASES if c.unknowns} == set(RESOURCE_RULES)


# ---- rule-specific behaviour -------------------------------------------------------------------------------


def test_all_four_public_access_flags_off_are_four_violations():
    props = {"bucket": "models", **dict.fromkeys(access.PUBLIC_ACCESS_FLAGS, False)}
    assert len(violations("s3-public-access-block-all-flags", PAB, props)) == 4


def test_private_acls_and_non_public_group_grants_pass():
    log_delivery = {"type": "Group", "uri": "http://acs.amazonaws.com/groups/s3/LogDelivery"}
    props = changed(
        BASELINES["aws:s3/bucketAcl:BucketAcl"], ("accessControlPolicy", "grants", 0, "grantee"), log_delivery
    )
    assert (
        violations("s3-bucket-acl-not-public", "aws:s3/bucketAcl:BucketAcl", {**props, "acl": "log-delivery-write"})
        == []
    )


def test_eks_public_endpoint_with_restricted_cidrs_passes():
    vpc = {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24", "2001:db8::/32"]}
    assert violations("eks-endpoint-not-public", EKS, changed(BASELINES[EKS], ("vpcConfig",), vpc)) == []


def test_eks_cluster_with_no_vpc_config_is_judged_by_the_defaults_not_a_crash():
    assert violations("eks-endpoint-not-public", EKS, {"vpcConfig": "subnet-1"}) == [
        "EKS cluster subject has a public endpoint (vpcConfig.endpointPublicAccess) with no publicAccessCidrs"
    ]


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0", "0::/0", " 0.0.0.0/0 ", "0.0.0.0/00"])
def test_open_cidr_spellings_are_open(cidr):
    assert is_open_cidr(cidr)


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "0.0.0.0/1", "2001:db8::/32", "anywhere", "", None, 0, ["0.0.0.0/0"]])
def test_restricted_or_malformed_cidrs_are_not_open(cidr):
    assert not is_open_cidr(cidr)


def test_role_without_inline_policies_or_with_odd_entries_passes():
    role = "aws:iam/role:Role"
    assert violations("iam-no-wildcard-statements", role, {"assumeRolePolicy": "{}"}) == []
    assert violations("iam-no-wildcard-statements", role, {"inlinePolicies": ["read", None, {"name": "empty"}]}) == []


def test_every_wildcard_inline_policy_of_a_role_is_reported():
    props = {"inlinePolicies": [{"policy": doc(OPEN_ALL)}, {"policy": doc(SCOPED)}, {"policy": doc(OPEN_ALL)}]}
    found = violations("iam-no-wildcard-statements", "aws:iam/role:Role", props)
    assert [v.split(".policy")[0] for v in found] == [
        "IAM role subject inlinePolicies[0]",
        "IAM role subject inlinePolicies[2]",
    ]


def test_policy_given_as_an_object_is_judged_like_its_json():
    document = {"Version": "2012-10-17", "Statement": [SCOPED, {"Effect": "Allow", "Action": "ec2:*"}]}
    assert violations("iam-no-wildcard-statements", "aws:iam/policy:Policy", {"policy": document}) == [
        "IAM policy subject policy statement 1 allows ec2:* on all resources"
    ]


def test_unknown_value_inside_a_json_policy_string_is_not_a_violation():
    policy = doc({**OPEN_ALL, "Resource": UNKNOWN_STRING_VALUE})
    assert violations("iam-no-wildcard-statements", "aws:iam/policy:Policy", {"policy": policy}) == []


def test_customer_managed_policy_named_like_an_admin_policy_is_not_an_aws_admin_attachment():
    arn = "arn:aws:iam::123456789012:policy/AdministratorAccess"
    assert violations("iam-no-admin-policy-attachment", access.POLICY_ATTACHMENTS[0], {"policyArn": arn}) == []


# ---- policy document parser --------------------------------------------------------------------------------
# Choice: an unreadable document (not JSON, or JSON that is not an object) is a violation, "policy is not valid
# JSON" / "is not a JSON object": a policy that cannot be read cannot be shown to be least-privilege, and
# AWS would reject it at apply anyway. Shapes inside a readable document that AWS would reject (statements
# that are not objects, actions that are not strings) are skipped: they grant nothing.


@pytest.mark.parametrize(
    ("document", "count"),
    [
        (doc(SCOPED), 1),
        (json.dumps({"Statement": SCOPED}), 1),  # a single statement object, not a list
        ({"Statement": [SCOPED, SCOPED]}, 2),
        ({"statement": [SCOPED]}, 1),  # object form written with the SDK's snake_case TypedDict keys
        ({"Version": "2012-10-17"}, 0),  # no Statement: grants nothing
        ({"Statement": None}, 0),
        ({"Statement": "Allow everything"}, 0),
        ({"Statement": [SCOPED, "Allow", 42, None, ["nested"]]}, 1),
        ("{}", 0),
    ],
)
def test_policy_statements_accepts_every_document_shape(document, count):
    assert len(policy_statements(document)) == count


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ("{not json", "is not valid JSON"),
        ("", "is not valid JSON"),
        ("null", "is not a JSON object"),
        ("[]", "is not a JSON object"),
        ('"a string"', "is not a JSON object"),
        (42, "is not a JSON object"),
        ([SCOPED], "is not a JSON object"),
    ],
)
def test_unreadable_policy_documents_raise_a_document_error(document, error):
    with pytest.raises(PolicyDocumentError, match=error):
        policy_statements(document)


@pytest.mark.parametrize(
    ("statement", "grant"),
    [
        (OPEN_ALL, "*"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, "s3:*"),
        ({"Effect": "Allow", "Action": ["s3:GetObject", "S3:*", "iam:*"], "Resource": ["*"]}, "S3:*, iam:*"),
        ({"Effect": "Allow", "Action": "*:*", "Resource": "*"}, "*:*"),
        ({"Effect": "Allow", "Action": "kms:*"}, "kms:*"),  # Resource absent: every resource
        ({"Effect": "Allow", "Action": "kms:*", "NotResource": "arn:aws:kms:*:*:key/x"}, "kms:*"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::models", "*"]}, "s3:*"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "every action but iam:*"),
        ({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"]}, "every action but iam:*, organizations:*"),
        ({"Action": "*", "Resource": "*"}, "*"),  # no Effect: read as Allow (fail closed)
        ({"effect": "Allow", "action": "*", "resource": "*"}, "*"),
        ({"Effect": "Allow", "not_action": "iam:*", "resource": "*"}, "every action but iam:*"),
    ],
)
def test_wildcard_grants_are_found(statement, grant):
    assert wildcard_grant(statement) == grant


@pytest.mark.parametrize(
    "statement",
    [
        SCOPED,
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
        {"Effect": "deny", "NotAction": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::models/*"},
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*Object", "Resource": "*"},
        {"Effect": "Allow", "Action": None, "Resource": "*"},
        {"Effect": "Allow", "Action": [1, None, {"a": "*"}], "Resource": "*"},
        {},
    ],
)
def test_scoped_or_denying_statements_are_not_wildcard_grants(statement):
    assert wildcard_grant(statement) is None


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("[1, 2]", ["IAM policy subject policy is not a JSON object, so its grants cannot be checked"]),
        ("{not json", ["IAM policy subject policy is not valid JSON, so its grants cannot be checked"]),
        (17, ["IAM policy subject policy is not a JSON object, so its grants cannot be checked"]),
        (
            doc(OPEN_ALL, SCOPED, {**OPEN_ALL, "Action": "iam:*"}),
            [
                "IAM policy subject policy statement 0 allows * on all resources",
                "IAM policy subject policy statement 2 allows iam:* on all resources",
            ],
        ),
    ],
)
def test_policy_rule_reports_unreadable_documents_and_every_wildcard_statement(policy, expected):
    assert violations("iam-no-wildcard-statements", "aws:iam/policy:Policy", {"policy": policy}) == expected


# ---- stack rules -------------------------------------------------------------------------------------------

NET = "urn:pulumi:dev::llmops-infra::llmops:aws:Network::net"


def bucket(name: str, type_: str = "aws:s3/bucket:Bucket", **props: Any) -> Resource:
    return resource(type_, {"tags": TAGS, **props}, name=name)


def companion(type_: str, name: str, bucket_name: Any) -> Resource:
    return resource(type_, {"bucket": bucket_name}, name=f"{name}-companion")


BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
LOGGING = "aws:s3/bucketLogging:BucketLogging"


@pytest.mark.parametrize(
    ("rule_name", "companion_type"),
    [
        ("s3-bucket-has-public-access-block", BLOCK),
        ("s3-bucket-access-logging", LOGGING),
        ("s3-bucket-access-logging", "aws:s3/bucketLoggingV2:BucketLoggingV2"),
    ],
)
class TestBucketCompanions:
    def test_buckets_with_their_companion_pass(self, rule_name, companion_type):
        resources = [
            bucket("models"),  # auto-named: the companion carries the physical name
            companion(companion_type, "models", "models-3f9a1c2"),
            bucket("data", bucket="acme-data"),
            companion(companion_type, "data", "acme-data"),
            bucket("scratch", type_="aws:s3/bucketV2:BucketV2", bucketPrefix="scratch-"),
            companion(companion_type, "scratch", "scratch-20240101"),
        ]
        assert stack_violations(rule_name, resources) == []

    def test_bucket_without_its_companion_is_reported_by_name(self, rule_name, companion_type):
        resources = [
            bucket("models"),
            bucket("data", type_="aws:s3/bucketV2:BucketV2", bucket="acme-data"),
            companion(companion_type, "other", "acme-other"),
        ]
        names = [name for name, _ in stack_violations(rule_name, resources)]
        assert names == ["models", "data"]

    def test_companion_of_a_prefixed_name_does_not_cover_the_longer_bucket(self, rule_name, companion_type):
        # "models-logs" is not "models" plus Pulumi's 7-hex suffix.
        resources = [bucket("models"), companion(companion_type, "models", "models-logs")]
        assert [name for name, _ in stack_violations(rule_name, resources)] == ["models"]

    def test_unknown_companion_bucket_is_not_a_violation(self, rule_name, companion_type):
        resources = [bucket("models"), companion(companion_type, "models", UNKNOWN_STRING_VALUE)]
        assert stack_violations(rule_name, resources) == []

    def test_stack_without_buckets_has_no_violation(self, rule_name, companion_type):
        assert stack_violations(rule_name, [companion(companion_type, "orphan", "x"), resource(SG, {})]) == []


def test_missing_public_access_block_message_names_bucket_and_resource_type():
    assert stack_violations("s3-bucket-has-public-access-block", [bucket("models")]) == [
        ("models", "S3 bucket models has no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    ]


def test_access_log_bucket_is_exempt_from_access_logging():
    logs = resource("aws:s3/bucket:Bucket", {"tags": {**TAGS, "purpose": "access-logs"}}, name="access-logs")
    assert stack_violations("s3-bucket-access-logging", [logs]) == []
    assert stack_violations("s3-bucket-has-public-access-block", [logs]) == [
        ("access-logs", "S3 bucket access-logs has no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    ]


def test_inline_bucket_logging_counts_as_access_logging():
    assert (
        stack_violations("s3-bucket-access-logging", [bucket("models", logging={"targetBucket": "access-logs"})]) == []
    )


def test_bucket_without_logging_message_names_the_logging_resource():
    assert stack_violations("s3-bucket-access-logging", [bucket("models")]) == [
        ("models", "S3 bucket models has no aws:s3/bucketLogging:BucketLogging (server access logging)")
    ]


def vpc(name: str, parent: str = NET) -> Resource:
    return resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}, name=name, parent=parent)


def flow_log(name: str, of: Resource | None, **props: Any) -> Resource:
    """A flow log whose vpcId was computed from `of` (the engine records that as a property dependency)."""
    base = {"vpcId": "vpc-0a1b2c3d4e5f60718", "trafficType": "ALL", "logDestinationType": "cloud-watch-logs"}
    dependencies = {"vpcId": [of.urn]} if of is not None else {}
    return resource("aws:ec2/flowLog:FlowLog", {**base, **props}, name, parent=NET, dependencies=dependencies)


def test_vpc_with_a_flow_log_of_all_traffic_passes():
    net = vpc("net")
    assert stack_violations("vpc-flow-logs-enabled", [net, flow_log("net-flow-logs", net)]) == []


def test_flow_log_whose_vpc_id_is_unknown_at_preview_still_covers_its_vpc():
    # At preview the VPC's id is unknown, but the engine still records which resource the vpcId came from.
    net = vpc("net")
    log = flow_log("net-flow-logs", net, vpcId=UNKNOWN_STRING_VALUE)
    assert stack_violations("vpc-flow-logs-enabled", [net, log]) == []


@pytest.mark.parametrize("traffic", ["REJECT", "ACCEPT"])
def test_vpc_whose_flow_log_misses_traffic_is_reported(traffic):
    net = vpc("net")
    assert stack_violations("vpc-flow-logs-enabled", [net, flow_log("fl", net, trafficType=traffic)]) == [
        ("net", "VPC net has no aws:ec2/flowLog:FlowLog with vpcId and trafficType ALL")
    ]


def test_vpc_without_a_flow_log_is_reported():
    subnet_log = resource("aws:ec2/flowLog:FlowLog", {"subnetId": "subnet-1", "trafficType": "ALL"}, parent=NET)
    assert stack_violations("vpc-flow-logs-enabled", [vpc("net"), subnet_log]) == [
        ("net", "VPC net has no aws:ec2/flowLog:FlowLog with vpcId and trafficType ALL")
    ]


def test_flow_log_of_another_vpc_does_not_cover_this_one():
    net, edge = vpc("net"), vpc("edge")
    assert [name for name, _ in stack_violations("vpc-flow-logs-enabled", [net, edge, flow_log("fl", net)])] == ["edge"]


def test_flow_log_of_a_vpc_outside_the_stack_covers_none_of_its_vpcs():
    # A literal vpcId with no dependency names a VPC this stack does not create.
    assert [name for name, _ in stack_violations("vpc-flow-logs-enabled", [vpc("net"), flow_log("fl", None)])] == [
        "net"
    ]


def test_flow_log_with_an_unknown_vpc_and_no_dependency_leaves_vpcs_unjudged():
    assert (
        stack_violations("vpc-flow-logs-enabled", [vpc("net"), flow_log("fl", None, vpcId=UNKNOWN_STRING_VALUE)]) == []
    )


def test_unknown_flow_log_traffic_type_is_not_a_violation():
    net = vpc("net")
    assert stack_violations("vpc-flow-logs-enabled", [net, flow_log("fl", net, trafficType=UNKNOWN_STRING_VALUE)]) == []


def test_an_unknown_value_leaves_only_its_own_subject_unjudged():
    # One VPC's flow log is not known yet; the other VPC has none at all and is still reported.
    net, edge = vpc("net"), vpc("edge")
    log = flow_log("fl", net, trafficType=UNKNOWN_STRING_VALUE)
    assert [name for name, _ in stack_violations("vpc-flow-logs-enabled", [net, edge, log])] == ["edge"]


def test_companion_linked_by_dependency_covers_its_bucket_whatever_its_name():
    models = bucket("models")
    block = resource(BLOCK, {"bucket": "some-physical-name"}, "models-companion", dependencies={"bucket": [models.urn]})
    assert stack_violations("s3-bucket-has-public-access-block", [models, block]) == []


def test_companion_linked_to_another_bucket_does_not_cover_one_with_a_matching_name():
    models, other = bucket("models"), bucket("other")
    block = resource(BLOCK, {"bucket": "models"}, "models-companion", dependencies={"bucket": [other.urn]})
    assert [name for name, _ in stack_violations("s3-bucket-has-public-access-block", [models, other, block])] == [
        "models"
    ]


def test_stack_rules_metadata():
    assert RULES["vpc-flow-logs-enabled"].resource_types == ("aws:ec2/vpc:Vpc", "aws:ec2/flowLog:FlowLog")
    assert set(RULES["s3-bucket-has-public-access-block"].resource_types) >= {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        BLOCK,
    }


# ---- a value unknown at preview withholds only the verdicts that read it (issue 13) -------------------------


@pytest.mark.parametrize(
    ("rule_name", "type_", "props", "expected"),
    [
        (
            "s3-bucket-acl-not-public",
            "aws:s3/bucketAcl:BucketAcl",
            {
                "accessControlPolicy": {
                    "grants": [
                        UNKNOWN_OBJECT_VALUE,
                        {"grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}},
                    ]
                }
            },
            "S3 bucket ACL subject accessControlPolicy.grants grants access to the AllUsers group",
        ),
        (
            "launch-template-no-public-ip",
            LAUNCH_TEMPLATE,
            {"networkInterfaces": [UNKNOWN_OBJECT_VALUE, {"associatePublicIpAddress": "true"}]},
            "launch template subject networkInterfaces[1] sets associatePublicIpAddress to true",
        ),
        (
            "eks-endpoint-not-public",
            EKS,
            {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": [UNKNOWN_STRING_VALUE, "0.0.0.0/0"]}},
            "EKS cluster subject vpcConfig.publicAccessCidrs opens the public endpoint to 0.0.0.0/0",
        ),
        (
            "iam-no-wildcard-statements",
            "aws:iam/role:Role",
            {"inlinePolicies": [UNKNOWN_OBJECT_VALUE, {"policy": doc(OPEN_ALL)}]},
            "IAM role subject inlinePolicies[1].policy statement 0 allows * on all resources",
        ),
        # An unknown statement counts as one when the next is named by its index; an unknown Sid names none.
        (
            "iam-no-wildcard-statements",
            "aws:iam/policy:Policy",
            {"policy": {"Statement": [UNKNOWN_OBJECT_VALUE, {**OPEN_ALL, "Sid": UNKNOWN_STRING_VALUE}]}},
            "IAM policy subject policy statement 1 allows * on all resources",
        ),
        (
            "default-security-group-closed",
            DEFAULT_SG,
            {"ingress": UNKNOWN_ARRAY_VALUE, "egress": [UNKNOWN_OBJECT_VALUE]},
            "default security group subject has egress rules",
        ),
    ],
    ids=["acl-grants", "launch-template-interfaces", "eks-cidrs", "inline-policies", "statements", "default-sg"],
)
def test_an_unknown_item_hides_no_other_item_s_violation(
    rule_name: str, type_: str, props: dict[str, Any], expected: str
) -> None:
    assert violations(rule_name, type_, props) == [expected]


def test_one_flow_log_of_all_traffic_settles_it_whatever_another_hides() -> None:
    net = vpc("net")
    logs = [flow_log("all", net), flow_log("unknown", net, trafficType=UNKNOWN_STRING_VALUE)]
    assert stack_violations("vpc-flow-logs-enabled", [net, *logs[::-1]]) == []


# ---- the stack rules' table: a bucket or VPC among its companions -----------------------------------------

# The companions name the bucket by its `bucket` input (no dependency): either name unknown, a companion may be
# the bucket's or another's.
BUCKET_LINK = [("subject", "bucket")]

STACK_CASES = [
    Case(
        "s3-bucket-has-public-access-block",
        "aws:s3/bucket:Bucket",
        {"bucket": "models", "tags": TAGS},
        [
            (("models-block",), DELETE, "S3 bucket subject has no aws:s3/bucketPublicAccessBlock"),
            (("models-block", "bucket"), "acme-other", "has no aws:s3/bucketPublicAccessBlock"),
        ],
        [(("subject", "bucket"), UNKNOWN_STRING_VALUE), (("models-block", "bucket"), UNKNOWN_STRING_VALUE)],
        companions={"models-block": (BLOCK, BASELINES[BLOCK])},
        needs=[*BUCKET_LINK, ("models-block", "bucket")],
    ),
    Case(
        "s3-bucket-access-logging",
        "aws:s3/bucket:Bucket",
        {"bucket": "models", "tags": TAGS},
        [
            (("models-logging",), DELETE, "S3 bucket subject has no aws:s3/bucketLogging:BucketLogging"),
            (("models-logging", "bucket"), "acme-other", "has no aws:s3/bucketLogging:BucketLogging"),
        ],
        [
            (("subject", "bucket"), UNKNOWN_STRING_VALUE),
            (("subject", "tags", "purpose"), UNKNOWN_STRING_VALUE),
            (("subject", "logging"), UNKNOWN_OBJECT_VALUE),
            (("models-logging", "bucket"), UNKNOWN_STRING_VALUE),
        ],
        companions={
            "models-logging": (LOGGING, {"bucket": "models", "targetBucket": "access-logs", "targetPrefix": "models/"})
        },
        # The access-log bucket itself is exempt (its purpose tag).
        needs=[*BUCKET_LINK, ("models-logging", "bucket"), ("subject", "tags", "purpose")],
    ),
    Case(
        "vpc-flow-logs-enabled",
        "aws:ec2/vpc:Vpc",
        {"cidrBlock": "10.0.0.0/16", "enableDnsSupport": True},
        [
            (("net-flow-logs",), DELETE, "VPC subject has no aws:ec2/flowLog:FlowLog with vpcId and trafficType ALL"),
            (
                ("net-flow-logs", "trafficType"),
                "REJECT",
                "has no aws:ec2/flowLog:FlowLog with vpcId and trafficType ALL",
            ),
        ],
        [(("net-flow-logs", "trafficType"), UNKNOWN_STRING_VALUE)],
        companions={
            "net-flow-logs": (
                "aws:ec2/flowLog:FlowLog",
                {"vpcId": "vpc-0a1b2c3d4e5f60718", "trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
            )
        },
        links={"net-flow-logs": {"vpcId": ["subject"]}},  # the flow log's vpcId was computed from the VPC
    ),
]


def test_every_stack_rule_of_the_module_has_a_case():
    assert {c.rule for c in STACK_CASES} | {"vpc-default-security-group-managed"} == set(STACK_RULES)
