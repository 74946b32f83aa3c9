"""Findings on the line that made the resource (llmops/locations.py): SARIF locations and related locations, config
keys the judged value came from, `--format github` annotations, exports with and without source positions.

The shipped stacks run through `cli.main` (their programs once per session, stack_runs); third-party programs are
the fixtures of tests/fixtures/programs, run in place (inside this repository) or copied out of it (no git).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from stack_runs import remember_stacks, run_cli
from test_sarif import schema_errors

from llmops_infra.cli import github, locations
from llmops_infra.cli.engine import SourcePositions
from llmops_infra.cli.findings import CheckReport, Location, StackResult, Violation
from llmops_infra.cli.locations import ConfigLines, Locator, position_path, repository_root
from llmops_infra.cli.recording import Registration
from llmops_infra.cli.state import read_export, to_export
from llmops_infra.stacks.config import PLATFORM_KEY

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "fixtures" / "programs"
SRCROOT = "%SRCROOT%"


@pytest.fixture(autouse=True)
def remembered_stacks(monkeypatch: pytest.MonkeyPatch) -> None:
    remember_stacks(monkeypatch)


def _line_of(file: Path, text: str, after: str = "") -> int:
    """1-based line of the first line holding `text` (after the first line holding `after`)."""
    lines = file.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines[start:], start) if text in line) + 1


def _sarif(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, *argv, "--format", "sarif")
    assert code in (0, 1), err
    log = json.loads(out)
    assert schema_errors(log) == []
    return log


def _result(log: dict[str, Any], policy: str, urn_tail: str) -> dict[str, Any]:
    (result,) = [
        r
        for r in log["runs"][0]["results"]
        if r["ruleId"].endswith(f"/{policy}")
        and r["locations"][0].get("logicalLocations", [{}])[0].get("fullyQualifiedName", "").endswith(urn_tail)
    ]
    return result


def _where(location: dict[str, Any]) -> tuple[str, int, str | None]:
    physical = location["physicalLocation"]
    artifact = physical["artifactLocation"]
    return artifact["uri"], physical["region"]["startLine"], artifact.get("uriBaseId")


# ---- the shipped stacks ------------------------------------------------------------------------------------------


def test_a_residency_finding_on_a_bucket_is_located_where_the_component_creates_the_bucket(capsys):
    log = _sarif(capsys, "check", "prod-hipaa", "--pack", "gdpr")
    result = _result(log, "data-residency", "aws:s3/bucket:Bucket::models")
    bucket_py = ROOT / "components" / "aws" / "bucket.py"
    created = _line_of(bucket_py, "aws.s3.Bucket(name", after='"llmops:aws:EncryptedBucket"')
    assert _where(result["locations"][0]) == ("components/aws/bucket.py", created, SRCROOT)

    related = [_where(r) for r in result["relatedLocations"]]
    # The stack line that called the component, up to the stack program, then the config key of the region.
    assert ("stacks/aws.py", _line_of(ROOT / "stacks" / "aws.py", "b.name: EncryptedBucket("), SRCROOT) in related
    assert related[-2][0] == "stacks/__main__.py"
    region_line = _line_of(ROOT / "configs" / "Pulumi.prod-hipaa.yaml", "aws:region:")
    assert related[-1] == ("configs/Pulumi.prod-hipaa.yaml", region_line, SRCROOT)
    assert [r["id"] for r in result["relatedLocations"]] == list(range(1, len(related) + 1))
    # Each related location is linked from the message, which GitHub shows them by.
    for r in result["relatedLocations"]:
        assert f"]({r['id']})" in result["message"]["text"]
    assert "[aws:region](" in result["message"]["text"]
    assert log["runs"][0]["originalUriBaseIds"][SRCROOT]["description"]["text"]


def test_a_finding_on_the_default_provider_is_located_at_the_config_key_it_was_built_from(capsys):
    log = _sarif(capsys, "check", "prod-hipaa", "--pack", "gdpr")
    result = _result(log, "data-residency", "pulumi:providers:aws::default_7_51_1")
    region_line = _line_of(ROOT / "configs" / "Pulumi.prod-hipaa.yaml", "aws:region:")
    assert _where(result["locations"][0]) == ("configs/Pulumi.prod-hipaa.yaml", region_line, SRCROOT)
    assert "relatedLocations" not in result


def test_a_log_retention_finding_names_the_platform_key_that_set_the_retention(capsys):
    log = _sarif(capsys, "check", "dev", "--pack", "hipaa")
    result = _result(log, "log-retention-minimum", "aws:cloudwatch/logGroup:LogGroup::platform-flow-logs")
    assert _where(result["locations"][0])[0] == "components/aws/network.py"
    retention_line = _line_of(ROOT / "configs" / "Pulumi.dev.yaml", "logRetentionDays:")
    assert _where(result["relatedLocations"][-1]) == ("configs/Pulumi.dev.yaml", retention_line, SRCROOT)
    assert f"[{PLATFORM_KEY}.logRetentionDays](" in result["message"]["text"]


def test_every_finding_on_a_shipped_stack_is_located_on_a_line_of_a_file_of_the_repository(capsys):
    log = _sarif(capsys, "check", "dev", "--pack", "hipaa", "--pack", "gdpr")
    results = log["runs"][0]["results"]
    assert len(results) >= 3
    for result in results:
        for location in [result["locations"][0], *result.get("relatedLocations", [])]:
            uri, line, base = _where(location)
            assert line >= 1
            if base == SRCROOT:
                assert (ROOT / uri).is_file(), uri
                assert line <= len((ROOT / uri).read_text(encoding="utf-8").splitlines())
    located = [r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"].get("uriBaseId")]
    assert len(located) == len(results)  # every finding of the shipped stacks is on a resource with a position


# ---- third-party programs ----------------------------------------------------------------------------------------


def test_a_third_party_program_in_the_repository_is_located_relative_to_the_repository_root(capsys, monkeypatch):
    monkeypatch.chdir(PROGRAMS.parent)  # from anywhere: the locations do not depend on the working directory
    stack_file = str(PROGRAMS / "local-module" / "Pulumi.dev.yaml")
    log = _sarif(capsys, "check", stack_file, "--pack", "hipaa")
    result = _result(log, "s3-bucket-kms-encrypted", "aws:s3/bucket:Bucket::artifacts")
    module = PROGRAMS / "local-module"
    storage = "tests/fixtures/programs/local-module/components/storage.py"
    assert _where(result["locations"][0]) == (
        storage,
        _line_of(module / "components" / "storage.py", "aws.s3.Bucket("),
        SRCROOT,
    )
    main_line = _line_of(module / "__main__.py", 'tls_only_bucket("artifacts")')
    assert [_where(r) for r in result["relatedLocations"]] == [
        ("tests/fixtures/programs/local-module/__main__.py", main_line, SRCROOT)
    ]


@pytest.fixture
def copied_program(tmp_path: Path) -> Path:
    """local-module outside any git repository, placed in us-east-1: the project directory is the root."""
    project = tmp_path / "team-repo"
    shutil.copytree(PROGRAMS / "local-module", project)
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n", encoding="utf-8")
    return project


def test_a_third_party_program_outside_git_is_located_relative_to_its_project(capsys, monkeypatch, copied_program):
    monkeypatch.chdir(copied_program)
    assert repository_root(copied_program) == copied_program.resolve()
    log = _sarif(capsys, "check", "Pulumi.dev.yaml", "--pack", "gdpr")
    result = _result(log, "data-residency", "aws:s3/bucket:Bucket::artifacts")
    line = _line_of(copied_program / "components" / "storage.py", "aws.s3.Bucket(")
    assert _where(result["locations"][0]) == ("components/storage.py", line, SRCROOT)
    assert [_where(r) for r in result["relatedLocations"]] == [
        ("__main__.py", _line_of(copied_program / "__main__.py", "tls_only_bucket("), SRCROOT),
        ("Pulumi.dev.yaml", 2, SRCROOT),  # aws:region, which the default provider was built from
    ]


# ---- exports -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stack_runs import recording

    path = tmp_path_factory.mktemp("export") / "prod-hipaa.json"
    path.write_text(json.dumps(to_export(recording("prod-hipaa"))), encoding="utf-8")
    return path


def test_an_export_keeps_the_source_positions_as_pulumi_state_does(prod_export):
    document = json.loads(prod_export.read_text(encoding="utf-8"))
    bucket = next(r for r in document["deployment"]["resources"] if r["urn"].endswith("aws:s3/bucket:Bucket::models"))
    assert bucket["sourcePosition"].startswith("project:///") and "#" in bucket["sourcePosition"]
    assert bucket["stackTrace"][0] == {"sourcePosition": bucket["sourcePosition"]}
    read = next(r for r in read_export(prod_export).resources if r.urn == bucket["urn"])
    assert read.source_position == bucket["sourcePosition"]
    assert read.stack_trace == [f["sourcePosition"] for f in bucket["stackTrace"]]


def test_analyze_of_our_own_export_keeps_the_locations(capsys, monkeypatch, prod_export):
    monkeypatch.chdir(ROOT)
    log = _sarif(capsys, "analyze", "--state", str(prod_export), "--pack", "gdpr")
    result = _result(log, "data-residency", "aws:s3/bucket:Bucket::models")
    assert _where(result["locations"][0])[:1] == ("components/aws/bucket.py",)
    assert _where(result["relatedLocations"][-1])[0] == "stacks/__main__.py"  # an export carries no config


def test_analyze_of_an_export_without_positions_falls_back_to_the_export_file(
    capsys, monkeypatch, tmp_path, prod_export
):
    monkeypatch.chdir(ROOT)
    document = json.loads(prod_export.read_text(encoding="utf-8"))
    for resource in document["deployment"]["resources"]:
        resource.pop("sourcePosition", None)
        resource.pop("stackTrace", None)
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(document), encoding="utf-8")
    log = _sarif(capsys, "analyze", "--state", str(bare), "--pack", "gdpr")
    assert log["runs"][0]["results"]
    for result in log["runs"][0]["results"]:
        assert _where(result["locations"][0]) == (str(bare), 1, None)
        assert "relatedLocations" not in result


def test_positions_outside_the_repository_installed_or_missing_are_not_locations(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x\n" * 20, encoding="utf-8")
    (tmp_path / "lib" / "site-packages" / "pulumi_aws").mkdir(parents=True)
    (tmp_path / "lib" / "site-packages" / "pulumi_aws" / "s3.py").write_text("x\n", encoding="utf-8")
    locator = Locator(tmp_path / "app")
    frames = [
        "project:///../lib/site-packages/pulumi_aws/s3.py#1",  # an installed package
        "project:///main.py#12,5",
        "project:///gone.py#3",  # not in the checkout
        "project:///../../elsewhere.py#1",  # outside the repository
        "project:///main.py#0",  # no line
    ]
    resource = Registration("urn:pulumi:s::p::aws:s3/bucket:Bucket::b", "aws:s3/bucket:Bucket", "b", True)
    resource.stack_trace = frames
    assert locator.code(resource) == [Location("app/main.py", 12, "created")]
    assert position_path("project:///a/b.py#7,2") == ("a/b.py", 7)
    assert position_path("file:///abs/b.py#7") == ("/abs/b.py", 7)
    assert position_path("https://x/b.py#7") is None


# ---- the engine records positions as the Pulumi engine does ------------------------------------------------------


class _Pc:
    def __init__(self, uri: str, line: int, column: int = 0) -> None:
        self.uri, self.line, self.column = uri, line, column


def test_source_positions_are_project_relative_and_keep_only_the_programs_own_frames(tmp_path):
    import sysconfig

    positions = SourcePositions(str(tmp_path))
    library = Path(sysconfig.get_paths()["purelib"]) / "pulumi_aws" / "s3" / "bucket.py"
    engine = Path(locations.__file__).resolve().parent / "engine.py"

    class Frame:
        def __init__(self, pc: _Pc | None) -> None:
            self.pc = pc

        def HasField(self, name: str) -> bool:  # noqa: N802 - protobuf's name
            return self.pc is not None

    class Request:
        sourcePosition = _Pc((tmp_path / "components" / "b.py").as_uri(), 8, 3)  # noqa: N815
        stackTrace = type(  # noqa: N815
            "T",
            (),
            {
                "frames": [
                    Frame(_Pc(library.as_uri(), 40)),
                    Frame(_Pc((tmp_path / "components" / "b.py").as_uri(), 8, 3)),
                    Frame(None),
                    Frame(_Pc((tmp_path / "__main__.py").as_uri(), 2)),
                    Frame(_Pc(engine.as_uri(), 300)),
                    Frame(_Pc("<frozen runpy>", 88)),
                ]
            },
        )

        def HasField(self, name: str) -> bool:  # noqa: N802
            return True

    position, trace = positions.of(Request())
    assert position == "project:///components/b.py#8,3"
    assert trace == ["project:///components/b.py#8,3", "project:///__main__.py#2"]


# ---- config key lines --------------------------------------------------------------------------------------------


def test_config_lines_find_keys_paths_under_them_and_project_defaults(tmp_path):
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(
        "# a comment\n"
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  platform:\n"
        "    logRetentionDays: 30\n"
        "    buckets:\n"
        "      - name: models\n"
        "      - name: data\n"
        "        location: EU\n"
        "  app:password:\n"
        "    secure: AAAB\n",
        encoding="utf-8",
    )
    project = tmp_path / "Pulumi.yaml"
    project.write_text("name: app\nconfig:\n  app:size:\n    default: 3\n", encoding="utf-8")
    lines = ConfigLines([stack, project], "app")
    assert lines.find("aws:region") == (stack, 3)
    assert lines.find("app:platform", ("logRetentionDays",)) == (stack, 5)  # `platform` alone is the project's
    assert lines.find("app:platform", ("buckets", 1, "location")) == (stack, 9)
    assert lines.find("app:platform", ("buckets", 1)) == (stack, 8)
    assert lines.find("app:platform", ("buckets", 5)) is None
    assert lines.find("app:size") == (project, 3)
    assert lines.find("gcp:region") is None
    assert ConfigLines([tmp_path / "missing.yaml"], "app").find("aws:region") is None


def _registration(type_: str, name: str, inputs: dict[str, Any], provider: str = "") -> Registration:
    urn = f"urn:pulumi:s::p::{type_}::{name}"
    return Registration(urn, type_, name, True, provider=provider, inputs=inputs)


def test_a_place_of_its_own_is_traced_only_to_the_platform_value_that_set_it(tmp_path):
    (tmp_path / ".git").mkdir()
    stack = tmp_path / "Pulumi.s.yaml"
    stack.write_text(
        "config:\n  gcp:region: us-central1\n  llmops-infra:platform:\n    buckets:\n      - name: data\n"
        "        location: US\n",
        encoding="utf-8",
    )
    platform = {"buckets": [{"name": "data", "location": "US"}]}
    config = {"gcp:region": "us-central1", PLATFORM_KEY: json.dumps(platform)}
    ours = Locator(tmp_path, config=config, config_files=[stack], project="llmops-infra")
    cluster = _registration("gcp:container/cluster:Cluster", "c", {"location": "us-central1"})
    bucket = _registration("gcp:storage/bucket:Bucket", "data", {"location": "US"})
    other = _registration("gcp:storage/bucket:Bucket", "other", {"location": "EU"})
    assert ours.traced("data-residency", cluster, {}) == [Location("Pulumi.s.yaml", 2, "config", "gcp:region")]
    assert ours.traced("data-residency", bucket, {}) == [
        Location("Pulumi.s.yaml", 6, "config", f"{PLATFORM_KEY}.buckets[0].location")
    ]
    assert ours.traced("data-residency", other, {}) == []
    assert ours.traced("gke-private-nodes", cluster, {}) == []  # a policy that judges no config value
    # Another project's place written in its code has only its code line, whatever its config says.
    theirs = Locator(tmp_path, config={"gcp:region": "us-central1"}, config_files=[stack], project="shop")
    assert theirs.traced("data-residency", cluster, {}) == []
    # A secret key is never traced.
    secret = Locator(tmp_path, config=config, secret_keys={"gcp:region"}, config_files=[stack])
    assert secret.traced("data-residency", cluster, {}) == []


def test_only_a_default_providers_place_is_traced_to_the_provider_config(tmp_path):
    (tmp_path / ".git").mkdir()
    stack = tmp_path / "Pulumi.s.yaml"
    stack.write_text("config:\n  aws:region: us-east-1\n", encoding="utf-8")
    locator = Locator(tmp_path, config={"aws:region": "us-east-1"}, config_files=[stack], project="shop")
    default = _registration("pulumi:providers:aws", "default_7_51_1", {"region": "us-east-1"})
    explicit = _registration("pulumi:providers:aws", "us-east", {"region": "us-east-1"})
    explicit.stack_trace = ["project:///main.py#3"]
    by_urn = {default.urn: default, explicit.urn: explicit}
    on_default = _registration("aws:s3/bucket:Bucket", "a", {}, provider=f"{default.urn}::id")
    on_explicit = _registration("aws:s3/bucket:Bucket", "b", {}, provider=f"{explicit.urn}::id")
    region = [Location("Pulumi.s.yaml", 2, "config", "aws:region")]
    assert locator.traced("data-residency", on_default, by_urn) == region
    assert locator.traced("data-residency", default, by_urn) == region
    assert locator.traced("data-residency", on_explicit, by_urn) == []
    assert locator.traced("data-residency", explicit, by_urn) == []


# ---- --format github ---------------------------------------------------------------------------------------------


def test_workflow_command_escaping_follows_the_actions_toolkit():
    assert github.escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert github.escape_property("a: b, 50%\n") == "a%3A b%2C 50%25%0A"


def _violation(enforcement: str, severity: str, message: str, *where: Location) -> Violation:
    urn = "urn:pulumi:s::p::aws:s3/bucket:Bucket::models"
    return Violation(
        "llmops-gdpr", "data-residency", "data-residency", ("Art. 44",), severity, enforcement, urn,
        "aws:s3/bucket:Bucket", "models", message, where,
    )  # fmt: skip


def test_an_annotation_is_on_the_findings_own_line_and_names_the_rest_in_its_message():
    located = _violation(
        "mandatory",
        "high",
        "S3 bucket models is in us-east-1,\nnot in the EU: 100%",
        Location("components/aws/bucket.py", 232, "created"),
        Location("stacks/aws.py", 73, "called"),
        Location("configs/Pulumi.prod, hipaa.yaml", 4, "config", "aws:region"),
    )
    stack = StackResult("prod-hipaa", "configs/Pulumi.prod-hipaa.yaml", 3, ("llmops-gdpr",), (located,))
    line = github.annotation(stack, located)
    assert line == (
        "::error file=components/aws/bucket.py,line=232,title=llmops-gdpr/data-residency [data-residency]::"
        "S3 bucket models is in us-east-1, not in the EU: 100%25 (resource aws:s3/bucket:Bucket models, stack "
        "prod-hipaa); called from stacks/aws.py:73; value from aws:region (configs/Pulumi.prod, hipaa.yaml:4)"
    )
    assert "\n" not in line


def test_an_annotation_without_a_location_is_on_the_stack_file_and_its_level_follows_the_enforcement():
    advisory = _violation("advisory", "high", "m")
    low = _violation("advisory", "low", "m")
    mandatory = _violation("mandatory", "low", "m")
    stack = StackResult("w", "configs\\Pulumi.w.yaml", 1, ("llmops-gdpr",), (advisory, low, mandatory))
    text = github.to_annotations(CheckReport((stack,), ()))
    lines = text.splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:3]] == ["::error", "::warning", "::notice"]  # most severe first
    assert all("file=configs/Pulumi.w.yaml,line=1," in line for line in lines[:3])
    assert lines[3:] == ["1 mandatory, 2 advisory violations in 1 stack", "FAILED: 1 mandatory violation must be fixed"]


def test_check_with_format_github_prints_an_annotation_per_violation_on_its_line(capsys):
    code, out, err = run_cli(capsys, "check", "prod-hipaa", "--pack", "gdpr", "--format", "github")
    assert code == 1, err
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert len(annotations) == 16
    created = _line_of(ROOT / "components" / "aws" / "bucket.py", "aws.s3.Bucket(name", '"llmops:aws:EncryptedBucket"')
    models = next(line for line in annotations if "S3 bucket models" in line)
    assert models.startswith(f"::error file=components/aws/bucket.py,line={created},title=llmops-gdpr/data-residency")
    assert "value from aws:region (configs/Pulumi.prod-hipaa.yaml:" in models


def test_github_annotations_and_sarif_locations_never_show_a_secret(capsys, monkeypatch):
    monkeypatch.chdir(PROGRAMS.parent)
    stack_file = str(PROGRAMS / "secure-values" / "Pulumi.dev.yaml")
    secrets = [
        line.split("secure:")[1].strip() for line in Path(stack_file).read_text().splitlines() if "secure:" in line
    ]
    for fmt in ("github", "sarif"):
        code, out, err = run_cli(capsys, "check", stack_file, "--pack", "hipaa", "--pack", "gdpr", "--format", fmt)
        assert code in (0, 1), err
        assert out
        for secret in secrets:
            assert secret not in out and secret not in err
        assert "offline-secret-placeholder" not in out
