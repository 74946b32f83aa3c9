"""Reading `pulumi stack export` files (`state.read_export`): our own exports and the CLI's, and bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmops_infra.cli.check import resource_inputs
from llmops_infra.cli.program import run_stack
from llmops_infra.cli.recording import Recording
from llmops_infra.cli.stackfile import InputError, resolve
from llmops_infra.cli.state import WITHHELD, read_export, to_export
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY, UNKNOWN

STACK_URN = "urn:pulumi:staging::shop::pulumi:pulumi:Stack::shop-staging"
PROVIDER_URN = "urn:pulumi:staging::shop::pulumi:providers:aws::default_7_51_1"
PROVIDER_REF = f"{PROVIDER_URN}::6b0c3f4e-0000-4000-8000-000000000001"
COMPONENT_URN = "urn:pulumi:staging::shop::llmops:aws:EncryptedBucket::orders"
BUCKET_URN = "urn:pulumi:staging::shop::llmops:aws:EncryptedBucket$aws:s3/bucket:Bucket::orders"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_URN = f"urn:pulumi:staging::shop::llmops:aws:EncryptedBucket${SSE}::orders-sse"


@pytest.fixture(scope="module")
def recording() -> Recording:
    return run_stack(resolve("prod-hipaa"))


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _export(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"manifest": {"version": "v3.150.0"}, "resources": list(resources)}}


def _cli_export() -> dict[str, Any]:
    """The shape `pulumi stack export` writes: ids, outputs, provider references, dependencies, secrets."""
    return _export(
        {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {"bucket": "orders-1"}},
        {
            "urn": PROVIDER_URN,
            "custom": True,
            "id": PROVIDER_REF.rsplit("::", 1)[1],
            "type": "pulumi:providers:aws",
            "inputs": {"region": "eu-west-1", "version": "7.51.1"},
            "outputs": {"region": "eu-west-1", "version": "7.51.1"},
            "parent": STACK_URN,
        },
        {"urn": COMPONENT_URN, "custom": False, "type": "llmops:aws:EncryptedBucket", "parent": STACK_URN},
        {
            "urn": BUCKET_URN,
            "custom": True,
            "id": "orders-1",
            "type": "aws:s3/bucket:Bucket",
            "inputs": {"bucket": "orders-1", "tags": {"owner": "shop"}},
            "outputs": {"bucket": "orders-1", "arn": "arn:aws:s3:::orders-1"},
            "parent": COMPONENT_URN,
            "provider": PROVIDER_REF,
            "protect": True,
        },
        {
            "urn": SSE_URN,
            "custom": True,
            "id": "orders-1",
            "type": SSE,
            "inputs": {
                "bucket": "orders-1",
                "expectedBucketOwner": {SIG_KEY: SECRET_SIG, "ciphertext": "v1:AAAA-ciphertext"},
                "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
            },
            "parent": COMPONENT_URN,
            "provider": PROVIDER_REF,
            "dependencies": [BUCKET_URN],
            "propertyDependencies": {"bucket": [BUCKET_URN], "rules": []},
        },
        {
            "urn": BUCKET_URN,
            "custom": True,
            "id": "orders-old",
            "type": "aws:s3/bucket:Bucket",
            "inputs": {"bucket": "orders-old"},
            "provider": PROVIDER_REF,
            "delete": True,  # replaced: the old bucket waits for deletion and is not part of the stack
        },
    )


# ---- our own export ------------------------------------------------------------------------------------------------


def _secrets_withheld(value: Any) -> Any:
    """What an export keeps of a value: a secret stays a secret, its plain text is gone (unknown)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return {SIG_KEY: SECRET_SIG, "value": UNKNOWN}
        return {k: _secrets_withheld(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_secrets_withheld(v) for v in value]
    return value


def test_our_export_reads_back_as_the_registrations_it_was_written_from(tmp_path, recording):
    path = _write(tmp_path / "prod-hipaa.json", to_export(recording))
    exported = read_export(path)
    assert (exported.project, exported.stack) == ("llmops-infra", "prod-hipaa")
    assert [r.urn for r in exported.resources] == [r.urn for r in recording.resources]
    for original, read in zip(recording.resources, exported.resources, strict=True):
        assert read.type == original.type
        assert read.name == original.name
        assert read.custom == original.custom
        assert read.parent == original.parent
        assert read.provider == original.provider  # "<provider urn>::<provider id>"
        assert read.id == original.id
        assert read.inputs == _secrets_withheld(original.inputs)
        assert read.dependencies == original.dependencies
        assert read.property_dependencies == original.property_dependencies
        assert read.protect == original.protect


def test_our_export_keeps_what_the_rules_link_and_locate_by(tmp_path, recording):
    exported = read_export(_write(tmp_path / "prod-hipaa.json", to_export(recording)))
    providers = [r for r in exported.resources if r.type == "pulumi:providers:aws"]
    assert [p.inputs.get("region") for p in providers] == ["us-east-1"]
    custom = [r for r in exported.resources if r.type.startswith("aws:")]
    assert custom and all(r.provider.startswith(f"{providers[0].urn}::") for r in custom)
    # Each encryption configuration still points at its bucket through the engine's property dependency.
    buckets = {r.urn for r in exported.resources if r.type == "aws:s3/bucket:Bucket"}
    configs = [r for r in exported.resources if r.type == SSE]
    assert len(configs) == len(buckets) > 0
    assert {urn for c in configs for urn in c.property_dependencies["bucket"]} == buckets
    # and the analyzer sees the provider's region beside every resource.
    inputs = {r.urn: r for r in resource_inputs(exported.resources)}
    assert all(inputs[r.urn].provider_properties.get("region") == "us-east-1" for r in custom)


def test_secrets_in_our_export_are_withheld_and_read_back_as_unknown_secrets(tmp_path, recording):
    document = to_export(recording)
    text = json.dumps(document)
    assert WITHHELD in text  # the kubeconfig output
    stack = next(r for r in document["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack")
    stack["inputs"] = {"token": stack["outputs"]["kubeconfig"]}
    exported = read_export(_write(tmp_path / "with-secret.json", document))
    root = next(r for r in exported.resources if r.type == "pulumi:pulumi:Stack")
    assert root.inputs == {"token": {SIG_KEY: SECRET_SIG, "value": UNKNOWN}}


# ---- an export as the Pulumi CLI writes it --------------------------------------------------------------------------


def test_cli_export_names_and_resources(tmp_path):
    exported = read_export(_write(tmp_path / "state.json", _cli_export()))
    assert (exported.project, exported.stack) == ("shop", "staging")
    assert [r.urn for r in exported.resources] == [STACK_URN, PROVIDER_URN, COMPONENT_URN, BUCKET_URN, SSE_URN]
    bucket = exported.resources[3]
    assert (bucket.type, bucket.name, bucket.id, bucket.custom) == ("aws:s3/bucket:Bucket", "orders", "orders-1", True)
    assert bucket.parent == COMPONENT_URN and bucket.provider == PROVIDER_REF and bucket.protect is True
    assert bucket.inputs == {"bucket": "orders-1", "tags": {"owner": "shop"}}
    assert bucket.outputs == {}  # rules judge inputs, as analyzers do


def test_pending_delete_resources_are_skipped(tmp_path):
    exported = read_export(_write(tmp_path / "state.json", _cli_export()))
    buckets = [r for r in exported.resources if r.type == "aws:s3/bucket:Bucket"]
    assert [b.id for b in buckets] == ["orders-1"]


def test_property_dependencies_and_dependencies_are_kept(tmp_path):
    exported = read_export(_write(tmp_path / "state.json", _cli_export()))
    sse = next(r for r in exported.resources if r.urn == SSE_URN)
    assert sse.dependencies == [BUCKET_URN]
    assert sse.property_dependencies == {"bucket": [BUCKET_URN], "rules": []}
    [resource_input] = [r for r in resource_inputs(exported.resources) if r.urn == SSE_URN]
    assert resource_input.property_dependencies == {"bucket": [BUCKET_URN], "rules": []}
    assert resource_input.provider_properties == {"region": "eu-west-1", "version": "7.51.1"}


def test_provider_reference_and_type_come_from_the_urn_when_the_export_omits_them(tmp_path):
    name_with_colons = "urn:pulumi:staging::shop::aws:s3/bucket:Bucket::orders::archive"
    document = _export(
        {"urn": BUCKET_URN, "custom": True, "provider": PROVIDER_REF},
        {"urn": name_with_colons, "custom": True},
    )
    first, second = read_export(_write(tmp_path / "state.json", document)).resources
    assert first.type == "aws:s3/bucket:Bucket"  # the last type of the parent chain
    assert first.name == "orders" and first.provider == PROVIDER_REF
    assert (second.type, second.name) == ("aws:s3/bucket:Bucket", "orders::archive")
    assert (first.inputs, first.parent, first.id, first.dependencies) == ({}, "", "", [])


def test_encrypted_secret_becomes_a_secret_of_unknown_value(tmp_path):
    exported = read_export(_write(tmp_path / "state.json", _cli_export()))
    sse = next(r for r in exported.resources if r.urn == SSE_URN)
    assert sse.inputs["expectedBucketOwner"] == {SIG_KEY: SECRET_SIG, "value": UNKNOWN}
    assert "ciphertext" not in json.dumps(sse.inputs)


@pytest.mark.parametrize(
    ("sealed", "value"),
    [
        ({"plaintext": '"111122223333"'}, "111122223333"),  # `pulumi stack export --show-secrets`
        ({"plaintext": '{"user": "admin", "ports": [5432]}'}, {"user": "admin", "ports": [5432]}),
        ({"plaintext": "not json"}, "not json"),
        ({"value": "in-memory"}, "in-memory"),
        (
            {"value": {"nested": {SIG_KEY: SECRET_SIG, "ciphertext": "v1:x"}}},
            {"nested": {SIG_KEY: SECRET_SIG, "value": UNKNOWN}},
        ),
        ({"ciphertext": "v1:x", "plaintext": '"shown?"'}, UNKNOWN),
        ({"ciphertext": "v1:x"}, UNKNOWN),
    ],
)
def test_secrets_stay_secret(tmp_path, sealed, value):
    secret = {SIG_KEY: SECRET_SIG, **sealed}
    document = _export({"urn": BUCKET_URN, "custom": True, "inputs": {"password": secret, "list": [1, secret]}})
    [bucket] = read_export(_write(tmp_path / "state.json", document)).resources
    expected = {SIG_KEY: SECRET_SIG, "value": value}
    assert bucket.inputs == {"password": expected, "list": [1, expected]}


def test_never_deployed_stack_has_no_resources(tmp_path):
    for document in ({"version": 3, "deployment": {"manifest": {}}}, {"deployment": {"resources": []}}):
        exported = read_export(_write(tmp_path / "empty.json", document))
        assert (exported.project, exported.stack, exported.resources) == ("", "", [])


def test_unknown_top_level_keys_are_ignored(tmp_path):
    document = {**_cli_export(), "llmopsExpect": {"violations": []}}
    assert len(read_export(_write(tmp_path / "state.json", document)).resources) == 5


# ---- bad files ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{", "not JSON"),
        ("", "not JSON"),
        ("[]", "not a `pulumi stack export` file (expected deployment.resources to be a list)"),
        ('"text"', "not a `pulumi stack export` file"),
        ('{"deployment": []}', "not a `pulumi stack export` file"),
        ('{"deployment": {"resources": {"a": 1}}}', "not a `pulumi stack export` file"),
        ('{"version": 2, "deployment": {"resources": []}}', "deployment version 2 is not supported (only 3)"),
        ('{"version": "3", "deployment": {"resources": []}}', "deployment version '3' is not supported"),
        ('{"deployment": {"resources": ["urn:pulumi:a::b::c::d"]}}', "deployment.resources[0] has no valid urn"),
        ('{"deployment": {"resources": [{"urn": 7}]}}', "deployment.resources[0] has no valid urn"),
        (
            json.dumps(_export({"urn": STACK_URN}, {"urn": "urn:aws:s3:::b"})),
            "deployment.resources[1] has no valid urn",
        ),
        (json.dumps(_export({"urn": "urn:pulumi:s::p::t"})), "deployment.resources[0] has no valid urn"),
    ],
)
def test_bad_file_is_an_input_error_naming_the_file(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_export(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and words in message
    assert "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_export(tmp_path / "absent.json")


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_export(tmp_path)  # a directory
    binary = tmp_path / "state.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="cannot read"):
        read_export(binary)
