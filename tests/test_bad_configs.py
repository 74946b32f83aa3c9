"""Bad stack files as users write them: `llmops preview` and `llmops check` exit 2 with a message that names the
file read, the key to change and what to write, before the program registers anything; never a traceback."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmops_infra.cli import program
from llmops_infra.cli.stackfile import resolve
from llmops_infra.components import spec
from llmops_infra.components.config.messages import PATTERN_WORDING
from llmops_infra.components.spec import BucketSpec
from llmops_infra.stacks import config as stacks_config
from tests.stack_runs import ROOT, run_cli

# A project of our own stack program outside the repository, as a platform team keeps one.
OUR_PROJECT = f"name: llmops-infra\nruntime: python\nmain: {ROOT / 'stacks'}\n"
IMAGE = "docker.io/vllm/vllm-openai:v0.11.0@sha256:d8d39b59e909d2378ac4feeb191f7e7b6f1342477dc66b7c47cec89e9985ad8a"
PLATFORM = "1 problem in llmops-infra:platform:"


@dataclass(frozen=True)
class Case:
    """One bad stack file and what both commands say about it.

    `expected` are lines of standard error (each must appear whole; `{file}` is the stack file's path, `{dir}` its
    folder); the first names the file. `project` is a Pulumi.yaml written beside the stack file; None leaves the file
    loose, so it belongs to the repository's project, as `llmops preview path/to/Pulumi.x.yaml` reads it.
    """

    id: str
    stack: str
    expected: tuple[str, ...]
    project: str | None = None
    name: str = "Pulumi.bad.yaml"


def aws(platform: str = "", region: str = "us-east-1", extra: str = "") -> str:
    """A stack file of the aws target: `platform` lines go under the platform value, `extra` under config."""
    region_line = f"  aws:region: {region}\n" if region else ""
    body = textwrap.indent(textwrap.dedent(platform), "    ")
    return f"config:\n{region_line}{extra}  llmops-infra:platform:\n    targets: [aws]\n    owner: ml-platform\n{body}"


def line(path: str, message: str) -> str:
    return f"  llmops-infra:platform.{path}: {message}"


MISSING = "required key is missing"
DECLARES = "every llmops-infra stack declares its platform (config: llmops-infra:platform: {targets: [aws], owner: ml-platform, ...})"  # noqa: E501

CASES = [
    # 1. The platform key: missing, misspelled, or the file given is the project file.
    Case(
        "no-platform-key",
        "config:\n  aws:region: us-east-1\n",
        (f"llmops: {{file}}: {PLATFORM}", f"  llmops-infra:platform: {MISSING}: {DECLARES}"),
    ),
    Case(
        "empty-file",
        "",
        (
            f"llmops: {{file}}: {PLATFORM}",
            f"  llmops-infra:platform: {MISSING}: the stack file sets no config; {DECLARES}",
        ),
    ),
    *(
        Case(
            f"misspelled-{key}",
            aws().replace("llmops-infra:platform:", f"{key}:"),
            (
                f"llmops: {{file}}: {PLATFORM}",
                f"  llmops-infra:platform: {MISSING}; the stack sets {shown}: did you mean llmops-infra:platform?",
            ),
        )
        for key, shown in (
            ("llmops-infra:platfrom", "llmops-infra:platfrom"),
            ("llmops-infr:platform", "llmops-infr:platform"),
            ("llmops:platform", "llmops:platform"),
            ("platfrom", "llmops-infra:platfrom"),  # a key without namespace is the project's
        )
    ),
    Case(
        "our-project-elsewhere",
        "config:\n  aws:region: us-east-1\n",
        (f"llmops: {{file}}: {PLATFORM}", f"  llmops-infra:platform: {MISSING}: {DECLARES}"),
        project=OUR_PROJECT,
    ),
    Case(
        "project-file-as-stack",
        OUR_PROJECT,
        (
            "llmops: {file}: the project file, not a stack file; give a Pulumi.<stack>.yaml, or the project "
            "directory with --stack NAME (stacks there: none)",
        ),
        name="Pulumi.yaml",
    ),
    # 2. The region is the provider's key, and a zone is not a region.
    Case(
        "aws-region-missing",
        aws(region=""),
        (
            "llmops: {file}: 1 problem in aws:region:",
            f"  aws:region: {MISSING}: target aws deploys into an AWS region; set it in the stack file "
            "(aws:region: us-east-1) or with `pulumi config set aws:region us-east-1`",
        ),
    ),
    Case(
        "aws-zone-as-region",
        aws(region="us-east-1a"),
        (
            "llmops: {file}: 1 problem in aws:region:",
            "  aws:region = 'us-east-1a': a zone, not a region; did you mean us-east-1?",
        ),
    ),
    Case(
        "gcp-zone-as-region",
        "config:\n  gcp:project: llmops-test\n  gcp:region: europe-west4-b\n  llmops-infra:platform:\n"
        "    targets: [gcp]\n    owner: ml-platform\n",
        (
            "llmops: {file}: 1 problem in gcp:region:",
            "  gcp:region = 'europe-west4-b': a zone, not a region; did you mean europe-west4?",
        ),
    ),
    Case(
        "gcp-region-for-aws",
        aws(region="europe-west4"),
        (
            "llmops: {file}: 1 problem in aws:region:",
            "  aws:region = 'europe-west4': a GCP region name, not an AWS one: a region looks like us-east-1 or "
            "eu-central-1",
        ),
    ),
    Case(
        "region-in-capitals",
        aws(region="US-East-1"),
        (
            "llmops: {file}: 1 problem in aws:region:",
            "  aws:region = 'US-East-1': not a region as AWS writes it; did you mean us-east-1?",
        ),
    ),
    Case(
        "zone-and-a-bad-bucket",
        aws("buckets: [{name: Models, purpose: datasets}]", region="us-east-1a"),
        (
            "llmops: {file}: 2 problems in the stack's config:",
            "  aws:region = 'us-east-1a': a zone, not a region; did you mean us-east-1?",
            "  llmops-infra:platform.buckets[0].name = 'Models': must be 1 to 32 lower case letters, digits and "
            "hyphens, a letter or digit at both ends (a DNS label), e.g. models; did you mean models?",
        ),
    ),
    # 3. Targets that need the aws target.
    *(
        Case(
            f"{'-'.join(targets)}-without-aws",
            f"config:\n  llmops-infra:platform:\n    targets: [{', '.join(targets)}]\n    owner: ml-platform\n",
            (
                f"llmops: {{file}}: {PLATFORM}",
                f"  llmops-infra:platform.targets = {list(targets)!r}: hybrid needs the aws target (targets: "
                f"[aws, {', '.join(targets)}]): its nodes join the aws target's EKS cluster",
            ),
        )
        for targets in (("hybrid",), ("hybrid", "edge"))
    ),
    # 4. Credentials in plain text.
    Case(
        "onprem-kubeconfig-in-plain-text",
        "config:\n  llmops-infra:kubeconfig: |\n    apiVersion: v1\n    kind: Config\n  llmops-infra:platform:\n"
        "    targets: [onprem]\n    owner: ml-platform\n    onprem:\n      kubeconfigKey: llmops-infra:kubeconfig\n"
        "      pools:\n        - {name: l40s, nodes: [gpu-03], accelerator: nvidia-l40s, acceleratorsPerNode: 4}\n",
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "onprem.kubeconfigKey = 'llmops-infra:kubeconfig'",
                "llmops-infra:kubeconfig is plain text, but a kubeconfig holds credentials: it must be a secure: "
                "value; set it with `pulumi config set --secret llmops-infra:kubeconfig < kubeconfig`",
            ),
        ),
    ),
    Case(
        "edge-kubeconfig-in-plain-text",
        "config:\n  llmops-infra:clinic: 'apiVersion: v1'\n  llmops-infra:platform:\n    targets: [edge]\n"
        "    owner: ml-platform\n    edge:\n      sites:\n        - name: clinic\n          kind: k3s\n"
        f"          kubeconfigKey: llmops-infra:clinic\n          nodes: [gpu-01]\n          server:\n"
        f"            image: {IMAGE}\n            modelClaim: models\n",
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "edge.sites[0].kubeconfigKey = 'llmops-infra:clinic'",
                "llmops-infra:clinic is plain text, but a kubeconfig holds credentials: it must be a secure: value; "
                "set it with `pulumi config set --secret llmops-infra:clinic < kubeconfig`",
            ),
        ),
    ),
    # 5. Bucket names the clouds refuse.
    *(
        Case(
            f"bucket-{name}",
            aws(f"buckets: [{{name: {name}, purpose: datasets}}]"),
            (f"llmops: {{file}}: {PLATFORM}", line(f"buckets[0].name = {name!r}", rule)),
        )
        for name, rule in (
            (
                prefixed,
                f"S3 refuses bucket names that start with {prefix} (a reserved prefix in its bucket naming "
                "rules); choose another name",
            )
            for prefixed, prefix in (
                ("xn--models", "xn--"),
                ("sthree-models", "sthree-"),
                ("amzn-s3-demo-models", "amzn-s3-demo-"),
            )
        )  # fmt: skip
    ),
    Case(
        "bucket-goog",
        aws("buckets: [{name: goog-models, purpose: datasets}]"),
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "buckets[0].name = 'goog-models'",
                "Cloud Storage refuses bucket names that start with goog (its naming rules); choose another name",
            ),
        ),
    ),
    Case(
        "bucket-g00gle",
        aws("buckets: [{name: my-g00gle-data, purpose: datasets}]"),
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "buckets[0].name = 'my-g00gle-data'",
                'Cloud Storage refuses bucket names that contain "google" or a close misspelling such as "g00gle" '
                "(its naming rules); choose another name",
            ),
        ),
    ),
    # 6. A key given twice, in the stack file or the project file.
    Case(
        "duplicate-key",
        aws("owner: data-team\n"),
        (
            "llmops: {file}: not valid YAML (line 6, column 5): key 'owner' is given twice (first at line 5); "
            "Pulumi refuses a duplicate key: keep one",
        ),
    ),
    Case(
        "duplicate-key-in-project-file",
        aws(),
        (
            "llmops: {dir}/Pulumi.yaml: not valid YAML (line 4, column 1): key 'runtime' is given twice (first at "
            "line 2); Pulumi refuses a duplicate key: keep one",
        ),
        project=OUR_PROJECT + "runtime: python\n",
    ),
    # 7. What pydantic would have said in its own words.
    Case(
        "scalar-for-a-list",
        aws().replace("targets: [aws]", "targets: aws"),
        (f"llmops: {{file}}: {PLATFORM}", line("targets = 'aws'", "must be a list, e.g. [aws]")),
    ),
    Case(
        "unquoted-version",
        aws("aws:\n  cluster:\n    version: 1.30\n"),
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "aws.cluster.version = 1.3",
                'YAML reads this unquoted value as the number 1.3; quote it: write version: "1.30"',
            ),
        ),
    ),
    Case(
        "host-bits-set",
        aws("aws:\n  network:\n    cidr: 10.40.1.0/16\n"),
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "aws.network.cidr = '10.40.1.0/16'",
                "host bits are set: 10.40.1.0/16 is an address inside 10.40.0.0/16, not the start of a range; "
                "did you mean 10.40.0.0/16?",
            ),
        ),
    ),
    Case(
        "gcp-region-as-zone",
        "config:\n  gcp:project: llmops-test\n  gcp:region: europe-west4\n  llmops-infra:platform:\n"
        "    targets: [gcp]\n    owner: ml-platform\n    gcp:\n      cluster:\n        zones: [europe-west4]\n",
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "gcp.cluster.zones[0] = 'europe-west4'",
                "must be a GCP zone, <region>-<letter>, e.g. europe-west4-b; europe-west4 is a region, not a zone: "
                "name one of its zones, e.g. europe-west4-b",
            ),
        ),
    ),
    Case(
        "gke-rbac-group-not-an-address",
        "config:\n  gcp:project: llmops-test\n  gcp:region: europe-west4\n  llmops-infra:platform:\n"
        "    targets: [gcp]\n    owner: ml-platform\n    kubernetes:\n      rbac:\n        auditors: [auditors]\n",
        (
            "llmops: {file}: 2 problems in llmops-infra:platform:",
            line(
                "kubernetes.rbac.auditors[0] = 'auditors'",
                "on GKE an RBAC group is a Google Group, named by its email address; write the group's address, "
                "e.g. auditors@<your domain>",
            ),
            line(
                "gcp.cluster.securityGroup",
                "required key is missing: kubernetes.rbac binds Google Groups, and GKE passes a user's groups to RBAC "
                "only with Google Groups for RBAC; set securityGroup: gke-security-groups@<your domain> (with the "
                "groups you bind as its members), or leave the kubernetes.rbac groups empty",
            ),
        ),
    ),
    Case(
        "log-retention-between-values",
        aws("logRetentionDays: 10\n"),
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "logRetentionDays = 10",
                "not a CloudWatch Logs retention period; did you mean 14? allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, "
                "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
            ),
        ),
    ),
    Case(
        "misspelled-key",
        aws("logRetentionDay: 30\n"),
        (
            f"llmops: {{file}}: {PLATFORM}",
            line("logRetentionDay = 30", "unknown key; did you mean logRetentionDays? allowed keys here: "),
        ),
    ),
    Case(
        "misspelled-value",
        aws("buckets: [{name: models, purpose: dataset}]"),
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "buckets[0].purpose = 'dataset'",
                "not one of the allowed values; did you mean datasets? allowed: model-artifacts, datasets, checkpoints",
            ),
        ),
    ),
    Case(
        "unpinned-image",
        "config:\n  llmops-infra:clinic:\n    secure: v1:placeholder\n  llmops-infra:platform:\n    targets: [edge]\n"
        "    owner: ml-platform\n    edge:\n      sites:\n        - name: clinic\n          kind: k3s\n"
        "          kubeconfigKey: llmops-infra:clinic\n          nodes: [gpu-01]\n          server:\n"
        "            image: docker.io/vllm/vllm-openai:v0.6.3\n            modelClaim: models\n",
        (
            f"llmops: {{file}}: {PLATFORM}",
            line(
                "edge.sites[0].server.image = 'docker.io/vllm/vllm-openai:v0.6.3'",
                "must be an image in lower case pinned by its digest: pin it with @sha256:<digest>, e.g. "
                "docker.io/vllm/vllm-openai@sha256:<64 hex digits> (a tag can be moved, a digest cannot); "
                "`docker buildx imagetools inspect docker.io/vllm/vllm-openai:v0.6.3` prints the digest it points at "
                "now",
            ),
        ),
    ),
]


def never(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the stack program must not run for a bad config")


@pytest.mark.parametrize("command", ["preview", "check"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_config_exits_2_with_a_plain_message(
    case: Case, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(program, "run_program", never)
    if case.project is not None:
        (tmp_path / "Pulumi.yaml").write_text(case.project)
    file = tmp_path / case.name
    file.write_text(case.stack)
    code, out, err = run_cli(capsys, command, str(file))
    assert (code, out) == (2, ""), err
    assert "Traceback" not in err
    lines = err.splitlines()
    for expected in case.expected:
        text = expected.replace("{file}", str(file)).replace("{dir}", str(tmp_path))
        assert any(text in line for line in lines), f"{text!r} not in:\n{err}"
    assert len([line for line in lines if line.startswith("  ")]) == len(
        [e for e in case.expected if e.startswith("  ")]
    )


def test_yaml_merge_keys_may_override_what_they_merge(tmp_path: Path) -> None:
    file = tmp_path / "Pulumi.merged.yaml"
    file.write_text(
        "defaults: &defaults {owner: ml-platform, targets: [onprem]}\n"
        "config:\n  llmops-infra:platform:\n    <<: *defaults\n    owner: data-team\n"
    )
    assert resolve(str(file)).settings.config["llmops-infra:platform"].startswith('{"owner": "data-team"')


def test_another_projects_stack_without_the_platform_key_runs_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import pulumi\n\npulumi.export('greeting', 'hello')\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  llmops-infr:platform: not ours to judge\n")
    code, out, err = run_cli(capsys, "preview", str(tmp_path / "Pulumi.dev.yaml"))
    assert code == 0, err
    assert "hello" in out


def test_a_pack_that_crashes_at_start_names_its_error_and_its_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (tmp_path / "project" / "__main__.py").write_text("import pulumi\n")
    (tmp_path / "project" / "Pulumi.dev.yaml").write_text("config: {}\n")
    pack = tmp_path / "broken"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (pack / "__main__.py").write_text('def start():\n    raise RuntimeError("boom from the pack")\n\n\nstart()\n')
    code, out, err = run_cli(capsys, "check", str(tmp_path / "project" / "Pulumi.dev.yaml"), "--pack", str(pack))
    assert (code, out) == (2, ""), err
    prefix = f"llmops: policy pack {pack} exited (code 1) before printing its port: RuntimeError: boom from the pack "
    assert err.startswith(prefix) and err.count("\n") == 1, err
    assert "File " not in err and "Traceback" not in err  # the frames are in the file, not in the message
    output = Path(err.removeprefix(prefix).strip().removeprefix("(its full output: ").removesuffix(")"))
    try:
        text = output.read_text()
        assert output.parent == Path(__import__("tempfile").gettempdir())
        assert "Traceback (most recent call last):" in text and 'raise RuntimeError("boom from the pack")' in text
    finally:
        output.unlink(missing_ok=True)


def test_the_program_itself_gives_the_same_credentials_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As under `pulumi up`: the program reads the secret keys from the Pulumi SDK (is_config_secret)."""
    [case] = [c for c in CASES if c.id == "onprem-kubeconfig-in-plain-text"]
    file = tmp_path / "Pulumi.bad.yaml"
    file.write_text(case.stack)
    # llmops's own check, which program.run_stack imports when it runs
    monkeypatch.setattr(stacks_config, "platform_from_config", lambda *_args, **_kwargs: None)
    code, _, err = run_cli(capsys, "preview", str(file))
    assert code == 2 and "Traceback" not in err
    assert "the stack program failed: SpecError: the config of stack bad: 1 problem in llmops-infra:platform:" in err
    assert case.expected[1] in err.splitlines()


def test_bucket_names_are_checked_as_the_cloud_sees_them() -> None:
    # The physical name is `<name>-<7 hex digits>`: S3's reserved suffixes never end it.
    for name in ("models-s3alias", "models--ol-s3", "models--x-s3", "models--table-s3", "goo-gle"):
        assert BucketSpec(name=name, purpose="datasets").name == name


def _patterns(annotation: Any) -> set[str]:
    found = {p for m in getattr(annotation, "__metadata__", ()) for p in _constraint_patterns(m)}
    for arg in getattr(annotation, "__args__", ()):
        found |= _patterns(arg)
    return found


def _constraint_patterns(constraint: Any) -> set[str]:
    own = getattr(constraint, "pattern", None)
    nested = {p for m in getattr(constraint, "metadata", ()) for p in _constraint_patterns(m)}
    return ({own} if isinstance(own, str) else set()) | nested


def test_every_pattern_of_the_spec_has_plain_wording() -> None:
    models = [m for m in vars(spec).values() if isinstance(m, type) and issubclass(m, BaseModel)]
    used = {
        p
        for model in models
        for f in model.model_fields.values()
        for p in _patterns(f.annotation) | {q for m in f.metadata for q in _constraint_patterns(m)}
    }
    assert used - set(PATTERN_WORDING) == set(), "word these patterns in components/config/messages.py PATTERN_WORDING"
    assert set(PATTERN_WORDING) - used == set(), "these PATTERN_WORDING entries match no field any more"
