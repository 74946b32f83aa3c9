"""The analyzer host against a real policy pack process over real gRPC: no part of the protocol is mocked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.runtime.proto import analyzer_pb2

from llmops_infra.cli.analyzer_host import (
    PackStartError,
    PolicyPackError,
    PolicyPackHost,
    ResourceInput,
    StackContext,
    last_error_line,
)
from llmops_infra.cli.wire import OUTPUT_SIG, SECRET_SIG, SIG_KEY, UNKNOWN

DEMO = Path(__file__).parent / "fixtures" / "packs" / "demo"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_URN = f"urn:pulumi:dev::llmops-infra::{BUCKET}::logs"
PROVIDER = "urn:pulumi:dev::llmops-infra::pulumi:providers:aws::default_7_0_0::04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def bucket(acl: object, urn: str = BUCKET_URN) -> ResourceInput:
    return ResourceInput(
        urn=urn,
        type=BUCKET,
        name=urn.rsplit("::", 1)[-1],
        properties={"acl": acl, "bucket": "logs"},
        provider=PROVIDER,
        provider_properties={"region": "us-east-1"},
    )


@pytest.fixture(scope="module")
def running_pack() -> Iterator[PolicyPackHost]:
    # One pack process for the module: starting one costs a Python interpreter plus pulumi imports.
    with PolicyPackHost(DEMO, timeout=30) as host:
        yield host


@pytest.fixture
def host(running_pack: PolicyPackHost) -> Iterator[PolicyPackHost]:
    yield running_pack
    # The pack replaces its whole config on every Configure, so an empty one puts the defaults back.
    running_pack.configure({})


def write_pack(root: Path, main: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (root / "__main__.py").write_text(main)
    return root


def test_info_lists_both_policies_with_levels_and_schema(host: PolicyPackHost) -> None:
    info = host.info()
    assert info.name == "demo"
    assert info.supports_config
    assert info.plugin_version  # the pulumi-policy SDK version, from GetPluginInfo
    levels = {p.name: p.enforcement_level for p in info.policies}
    assert levels == {"no-public-bucket": "mandatory", "needs-a-key": "advisory"}
    schemas = {p.name: p.config_schema for p in info.policies}
    assert schemas["no-public-bucket"] == {
        "properties": {"allowedAcls": {"type": "array", "items": {"type": "string"}}}
    }
    assert schemas["needs-a-key"] is None


def test_public_bucket_yields_one_mandatory_diagnostic(host: PolicyPackHost) -> None:
    [diag] = host.analyze(bucket("public-read"))
    assert (diag.policy_name, diag.pack_name, diag.enforcement_level) == ("no-public-bucket", "demo", "mandatory")
    assert diag.urn == BUCKET_URN
    assert diag.description == "S3 buckets must not be public."
    assert "makes the bucket public" in diag.message


def test_private_bucket_yields_nothing(host: PolicyPackHost) -> None:
    assert host.analyze(bucket("private")) == []


def test_unknown_value_is_not_a_violation_and_does_not_break_the_pack(host: PolicyPackHost) -> None:
    diags = host.analyze(bucket(UNKNOWN))
    # The SDK reports "can't run policy ... during preview" as advisory instead of running the check.
    assert [d.enforcement_level for d in diags] == ["advisory"]
    assert "during preview" in diags[0].message
    assert host.analyze(bucket("public-read"))[0].enforcement_level == "mandatory"


def test_secret_value_reaches_the_policy_unwrapped(host: PolicyPackHost) -> None:
    [diag] = host.analyze(bucket({SIG_KEY: SECRET_SIG, "value": "public-read"}))
    assert "acl 'public-read'" in diag.message


def test_output_value_is_marshalled_as_the_cli_does(host: PolicyPackHost) -> None:
    secret_output = {SIG_KEY: OUTPUT_SIG, "value": "public-read", "secret": True, "dependencies": []}
    assert [d.policy_name for d in host.analyze(bucket(secret_output))] == ["no-public-bucket"]
    unknown_output = {SIG_KEY: OUTPUT_SIG, "dependencies": []}
    assert [d.enforcement_level for d in host.analyze(bucket(unknown_output))] == ["advisory"]


def test_analyze_stack_without_a_key_yields_the_advisory(host: PolicyPackHost) -> None:
    key_urn = "urn:pulumi:dev::llmops-infra::aws:kms/key:Key::data"
    resources = [bucket("private")]
    [diag] = host.analyze_stack(resources)
    assert (diag.policy_name, diag.enforcement_level, diag.urn) == ("needs-a-key", "advisory", "")

    key = ResourceInput(urn=key_urn, type="aws:kms/key:Key", name="data", properties={}, provider=PROVIDER)
    with_parent = ResourceInput(
        urn=BUCKET_URN,
        type=BUCKET,
        name="logs",
        properties={"acl": "private", "kmsKeyId": UNKNOWN},
        parent=key_urn,
        dependencies=[key_urn],
        property_dependencies={"kmsKeyId": [key_urn], "acl": []},
        options={"protect": True, "ignoreChanges": ["tags"], "deleteBeforeReplace": False},
    )
    assert host.analyze_stack([key, with_parent]) == []


def test_configure_changes_and_disables_the_level(host: PolicyPackHost) -> None:
    host.configure({"no-public-bucket": {"enforcementLevel": "advisory"}})
    assert [d.enforcement_level for d in host.analyze(bucket("public-read"))] == ["advisory"]

    host.configure({"no-public-bucket": "disabled"})
    assert host.analyze(bucket("public-read")) == []

    host.configure({})
    assert [d.enforcement_level for d in host.analyze(bucket("public-read"))] == ["mandatory"]


def test_configure_properties_keep_the_default_level(host: PolicyPackHost) -> None:
    # Properties only: the host must still send MANDATORY, since the protocol's zero value is ADVISORY.
    host.configure({"no-public-bucket": {"allowedAcls": ["authenticated-read"]}})
    assert [d.enforcement_level for d in host.analyze(bucket("public-read"))] == ["mandatory"]

    host.configure({"no-public-bucket": {"allowedAcls": ["public-read"]}})
    assert host.analyze(bucket("public-read")) == []


def test_configure_rejects_unknown_policies_and_levels(host: PolicyPackHost) -> None:
    with pytest.raises(ValueError, match="no policy 'nope'"):
        host.configure({"nope": "advisory"})
    with pytest.raises(ValueError, match="enforcement level 'loud'"):
        host.configure({"no-public-bucket": "loud"})


def test_missing_pack_dir(tmp_path: Path) -> None:
    with pytest.raises(PackStartError, match="does not exist"):
        PolicyPackHost(tmp_path / "absent").start()


def test_dir_without_pulumi_policy_yaml(tmp_path: Path) -> None:
    with pytest.raises(PackStartError, match="no PulumiPolicy.yaml"):
        PolicyPackHost(tmp_path).start()


def test_pack_that_raises_reports_its_stderr_and_is_reaped(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "broken", 'raise RuntimeError("boom from the pack")\n')
    host = PolicyPackHost(pack, timeout=30)
    with pytest.raises(PackStartError) as caught:
        host.start()
    message = str(caught.value)
    assert "\n" not in message
    assert "exited (code 1) before printing its port: RuntimeError: boom from the pack (its full output: " in message
    assert "File " not in message  # the traceback's frames are in the file, not in the message
    output = caught.value.output_file
    assert output is not None and f"{output})" in message
    try:
        assert "Traceback (most recent call last):" in output.read_text()
    finally:
        output.unlink()
    assert host.process is not None and host.process.poll() is not None


def test_a_pack_that_starts_leaves_no_output_file(tmp_path: Path) -> None:
    with PolicyPackHost(DEMO, timeout=30) as host:
        assert host._stderr_file is not None
        output = Path(host._stderr_file.name)
        assert output.is_file()
    assert not output.exists()


def test_last_error_line_is_the_exception_of_the_last_traceback() -> None:
    stderr = [
        "warning: something first",
        "Traceback (most recent call last):",
        '  File "pack/__main__.py", line 3, in <module>',
        "    import nope",
        "ModuleNotFoundError: No module named 'nope'",
        "",
    ]
    assert last_error_line(stderr) == "ModuleNotFoundError: No module named 'nope'"
    assert last_error_line(["no traceback here", "just its last line"]) == "just its last line"
    assert last_error_line([]) == ""


def test_pack_that_never_prints_a_port_times_out_and_is_killed(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "silent", "import time\ntime.sleep(60)\n")
    host = PolicyPackHost(pack, timeout=1)
    with pytest.raises(PackStartError, match="printed no port within 1s"):
        host.start()
    assert host.process is not None and host.process.poll() is not None


def test_close_leaves_no_child_process() -> None:
    stack = StackContext(project="llmops-infra", stack="dev", config={"aws:region": "us-east-1"}, tags={"env": "dev"})
    with PolicyPackHost(DEMO, timeout=30, stack=stack) as host:
        proc = host.process
        assert proc is not None and proc.poll() is None
        assert len(host.analyze(bucket("public-read"))) == 1
    assert proc.poll() is not None
    host.close()  # idempotent
    with pytest.raises(RuntimeError, match="not running"):
        host.analyze(bucket("private"))


def test_policy_exception_becomes_a_pack_error(tmp_path: Path) -> None:
    main = (
        "from pulumi_policy import PolicyPack, ResourceValidationPolicy\n"
        "def fail(args, report):\n"
        "    raise ValueError('policy bug')\n"
        "PolicyPack('crashy', [ResourceValidationPolicy('crash', 'always raises', fail)])\n"
    )
    with PolicyPackHost(write_pack(tmp_path / "crashy", main), timeout=30) as host:
        with pytest.raises(PolicyPackError, match="Analyze failed"):
            host.analyze(bucket("private"))
        # A failing policy does not take the pack down.
        assert host.process is not None and host.process.poll() is None


def test_analyze_stack_may_take_longer_the_larger_the_stack() -> None:
    # One AnalyzeStack judges the whole stack: its deadline grows with the request, every other call's is fixed.
    host = PolicyPackHost(DEMO, timeout=10)
    assert host._deadline("Analyze", b"x" * 50 * 1024 * 1024) == 10
    assert host._deadline("AnalyzeStack", b"") == 10
    assert host._deadline("AnalyzeStack", b"x" * 90 * 1024 * 1024) == 100
    request = analyzer_pb2.AnalyzeStackRequest()
    request.resources.add(name="x" * 1024 * 1024)
    assert 11 < host._deadline("AnalyzeStack", request) < 11.01
