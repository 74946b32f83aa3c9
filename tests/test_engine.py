"""The offline engine records what the Pulumi engine would see, and the export is Pulumi's format."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from llmops_infra.cli import state
from llmops_infra.cli.engine import run
from llmops_infra.cli.recording import StackSettings
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY, UNKNOWN, redact
from tests.conftest import preview


class Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("test:index:Box", name, None, opts)
        self.bucket = aws.s3.Bucket(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"bucket": self.bucket.bucket})


def test_default_provider_is_created_once_with_the_stack_region():
    def program():
        aws.s3.Bucket("a")
        aws.s3.Bucket("b")

    rec = preview(program, {"aws:region": "eu-central-1"})
    (provider,) = rec.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-central-1"
    assert provider.name.startswith("default_7_")
    assert all(b.provider == f"{provider.urn}::{provider.id}" for b in rec.of_type("aws:s3/bucket:Bucket"))


def test_urns_carry_the_parent_chain():
    rec = preview(lambda: Box("box"))
    bucket = rec.one("aws:s3/bucket:Bucket")
    assert bucket.urn == "urn:pulumi:test::llmops-infra::test:index:Box$aws:s3/bucket:Bucket::box-bucket"
    assert bucket.parent == rec.one("test:index:Box").urn
    assert rec.one("test:index:Box").parent == rec.stack.urn
    assert rec.one("test:index:Box").outputs["bucket"] == bucket.outputs["bucket"]


def test_dependencies_are_recorded_per_property():
    def program():
        key = aws.kms.Key("key")
        aws.s3.Bucket("b", tags={"key": key.arn})

    rec = preview(program)
    bucket, key = rec.one("aws:s3/bucket:Bucket"), rec.one("aws:kms/key:Key")
    assert key.urn in bucket.dependencies
    assert bucket.property_dependencies["tags"] == [key.urn]


def test_computed_outputs_are_known_and_others_unknown():
    captured = {}

    def program():
        cluster = aws.eks.Cluster("c", role_arn="arn:aws:iam::123456789012:role/r", vpc_config={"subnet_ids": ["s"]})
        aws.s3.Bucket("b", tags={"arn": cluster.arn, "status": cluster.status})
        captured["ok"] = True

    rec = preview(program)
    tags = rec.one("aws:s3/bucket:Bucket").inputs["tags"]
    assert tags["arn"].startswith("arn:aws:eks:us-east-1:123456789012:cluster/")
    assert tags["status"] == UNKNOWN


def test_secrets_stay_marked_and_are_redacted_for_people():
    def program():
        pulumi.export("token", pulumi.Output.secret("hunter2"))
        pulumi.export("config", pulumi.Config("llmops-infra").get_secret("pw"))

    rec = run(
        program,
        StackSettings("llmops-infra", "s", {"llmops-infra:pw": "pw-value"}, frozenset({"llmops-infra:pw"})),
    )
    outputs = rec.stack_outputs
    assert outputs["token"] == {SIG_KEY: SECRET_SIG, "value": "hunter2"}
    assert outputs["config"][SIG_KEY] == SECRET_SIG
    assert redact(outputs) == {"token": "[secret]", "config": "[secret]"}


def test_export_is_pulumi_deployment_v3_and_withholds_secrets():
    def program():
        Box("box")
        pulumi.export("token", pulumi.Output.secret("hunter2"))

    exported = state.to_export(preview(program))
    assert exported["version"] == 3
    resources = exported["deployment"]["resources"]
    by_type = {r["type"]: r for r in resources}
    assert set(by_type) == {
        "pulumi:pulumi:Stack",
        "test:index:Box",
        "pulumi:providers:aws",
        "aws:s3/bucket:Bucket",
    }
    bucket = by_type["aws:s3/bucket:Bucket"]
    assert bucket["parent"] == by_type["test:index:Box"]["urn"]
    assert bucket["provider"].startswith(by_type["pulumi:providers:aws"]["urn"] + "::")
    assert bucket["custom"] is True and bucket["id"]
    assert by_type["pulumi:pulumi:Stack"]["outputs"]["token"] == {
        SIG_KEY: SECRET_SIG,
        "ciphertext": state.WITHHELD,
    }
    assert "hunter2" not in json.dumps(exported)


def test_unknown_data_sources_answer_with_a_warning():
    rec = preview(lambda: aws.ec2.get_ami(most_recent=True, owners=["amazon"]))
    assert any("aws:ec2/getAmi:getAmi" in w for w in rec.warnings)


def test_runs_are_independent():
    first = preview(lambda: aws.s3.Bucket("a"), stack="one")
    second = preview(lambda: aws.s3.Bucket("b"), stack="two")
    assert [r.name for r in first.of_type("aws:s3/bucket:Bucket")] == ["a"]
    assert [r.name for r in second.of_type("aws:s3/bucket:Bucket")] == ["b"]
    assert second.stack.urn == "urn:pulumi:two::llmops-infra::pulumi:pulumi:Stack::llmops-infra-two"
