"""The fork server (llmops/fork_server.py, llmops/fork_servers.py): a program run forked from it is the run a
spawned interpreter gives, with the same result, output and failures; the provider SDK modules a first program
imported are already imported in the next one; whatever the server cannot do, the run is spawned instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmops_infra.cli import fork_servers, program
from llmops_infra.cli.program import ProgramError, run_stack
from llmops_infra.cli.stackfile import resolve
from tests.stack_runs import run_cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork servers run on Linux only")

# The program tells, on its standard output, whether pulumi_aws's S3 module was imported before it started, and
# what an environment variable read at run time holds.
PROGRAM = """\
import os, sys

print("s3 imported before the program:", "pulumi_aws.s3" in sys.modules)
print("LLMOPS_TEST_VALUE:", os.environ.get("LLMOPS_TEST_VALUE"))
print("to standard error", file=sys.stderr)

import pulumi
import pulumi_aws as aws

bucket = aws.s3.Bucket("data", bucket=f"{pulumi.get_stack()}-data")
pulumi.export("bucket", bucket.bucket)
"""


def _project(root: Path, program_text: str = PROGRAM, stacks: tuple[str, ...] = ("one", "two")) -> Path:
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: forked\nruntime: python\n")
    (root / "__main__.py").write_text(program_text)
    for stack in stacks:
        (root / f"Pulumi.{stack}.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    return root


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Fork servers on, with a cache of their own, and none left from another test (each starts and stops its own)."""
    monkeypatch.setattr(fork_servers, "ENABLED", True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fork_servers.close_all()
    yield fork_servers
    fork_servers.close_all()


def _server(project: Path) -> fork_servers.ForkServer:
    return fork_servers._projects[(sys.executable, project)].by_stack["one"]


def _run(capsys: pytest.CaptureFixture[str], project: Path, stack: str):
    recording = run_stack(resolve(str(project / f"Pulumi.{stack}.yaml")))
    return recording, capsys.readouterr().err


def test_a_forked_run_records_and_prints_what_a_spawned_run_does(servers, capsys, tmp_path: Path, monkeypatch):
    project = _project(tmp_path / "p")
    forked, forked_err = _run(capsys, project, "one")
    assert _server(project).process.poll() is None  # the run went through a running server
    monkeypatch.setattr(fork_servers, "ENABLED", False)
    spawned, spawned_err = _run(capsys, project, "one")
    assert forked == spawned
    assert forked_err == spawned_err
    assert forked_err.index("LLMOPS_TEST_VALUE") < forked_err.index("to standard error")  # stdout, then stderr


def test_the_next_run_of_a_stack_starts_with_the_provider_modules_it_imported(servers, capsys, tmp_path: Path):
    project = _project(tmp_path / "p")
    first, first_err = _run(capsys, project, "one")
    assert "s3 imported before the program: False" in first_err
    assert "pulumi_aws.s3" in _server(project).learned.needs("one")
    assert _server(project).learned.needs("two") == []  # another stack's program may import other modules
    second, second_err = _run(capsys, project, "one")
    assert "s3 imported before the program: True" in second_err
    assert second == first


def test_the_next_llmops_starts_with_what_the_last_one_learned(servers, capsys, tmp_path: Path):
    project = _project(tmp_path / "p")
    _run(capsys, project, "one")
    fork_servers.close_all()  # as at the end of llmops: the cache is written
    cache_files = list((tmp_path / "cache" / "llmops-infra" / "fork-server").glob("*.json"))
    assert len(cache_files) == 1
    saved = json.loads(cache_files[0].read_text())
    assert "pulumi_aws.s3" in saved["stacks"]["one"] and all(m.startswith("pulumi_") for m in saved["stacks"]["one"])
    _, err = _run(capsys, project, "one")  # a new server
    assert "s3 imported before the program: True" in err


def test_an_unreadable_cache_is_taken_as_empty(servers, capsys, tmp_path: Path):
    project = _project(tmp_path / "p")
    learned = fork_servers.LearnedModules.of(sys.executable, project)
    learned.file.parent.mkdir(parents=True)
    for junk in ("{not json", '{"stacks": ["a list"]}', '{"stacks": {"one": "not a list"}}', "[]"):
        learned.file.write_text(junk)
        assert fork_servers.LearnedModules.of(sys.executable, project).by_stack == {}
        recording, err = _run(capsys, project, "one")
        assert recording.resources and "s3 imported before the program: False" in err
        fork_servers.close_all()
        learned.file.write_text(junk)


def test_a_cache_that_names_other_modules_makes_the_server_import_none_of_them(servers, capsys, tmp_path: Path):
    # The cache is a file anyone with the account can write: the server imports from it provider SDKs only.
    project = _project(tmp_path / "p")
    marker = tmp_path / "imported"
    (project / "side_effect.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    learned = fork_servers.LearnedModules.of(sys.executable, project)
    learned.learn("one", ["side_effect", "pulumi.policy.__main__", "antigravity", "pulumi_aws.s3"])
    learned.save()
    recording, err = _run(capsys, project, "one")
    assert recording.resources and "s3 imported before the program: True" in err
    assert not marker.exists()


def test_a_preloaded_package_is_whole_when_a_program_reaches_it_through_its_parent(servers, capsys, tmp_path):
    # pulumi_gcp.kms is registered lazily by pulumi_gcp; importing its submodule first once left it without the
    # names its own __init__ star-imports (module 'pulumi_gcp.kms' has no attribute 'CryptoKey').
    text = (
        "import pulumi_gcp as gcp\n"
        "ring = gcp.kms.KeyRing('ring', location='europe-west1')\n"
        "gcp.kms.CryptoKey('key', key_ring=ring.id, rotation_period='7776000s')\n"
    )
    project = _project(tmp_path / "p", text)
    first, _ = _run(capsys, project, "one")
    assert "pulumi_gcp.kms.crypto_key" in _server(project).learned.needs("one")
    second, _ = _run(capsys, project, "one")
    assert [r.type for r in second.resources] == [r.type for r in first.resources]
    assert "gcp:kms/cryptoKey:CryptoKey" in [r.type for r in second.resources]


def test_a_run_sees_the_environment_of_the_moment_not_of_the_servers_start(servers, capsys, tmp_path, monkeypatch):
    project = _project(tmp_path / "p")
    monkeypatch.setenv("LLMOPS_TEST_VALUE", "before")
    _, err = _run(capsys, project, "one")
    assert "LLMOPS_TEST_VALUE: before" in err
    monkeypatch.setenv("LLMOPS_TEST_VALUE", "after")
    _, err = _run(capsys, project, "two")
    assert "LLMOPS_TEST_VALUE: after" in err


@pytest.mark.parametrize("enabled", [True, False], ids=["forked", "spawned"])
def test_a_program_that_leaves_without_a_result_is_its_exit_code(servers, capsys, tmp_path, monkeypatch, enabled):
    monkeypatch.setattr(fork_servers, "ENABLED", enabled)
    project = _project(tmp_path / "p", "import os\nprint('bye')\nos._exit(5)\n")
    with pytest.raises(ProgramError, match="exited with 5"):
        run_stack(resolve(str(project / "Pulumi.one.yaml")))
    assert "bye" in capsys.readouterr().err


def test_a_generated_sdk_of_the_project_is_preloaded_and_a_server_with_a_thread_hands_the_run_back(
    servers, capsys, tmp_path: Path
):
    # A local SDK as `pulumi package add` writes it (pulumi-plugin.json, "resource": true) counts as a provider
    # SDK; this one starts a thread when imported, so once the server has imported it, it must not fork.
    text = "import os, pulumi, pulumi_local\nprint('parent:', os.getppid())\npulumi.export('n', pulumi_local.N)\n"
    project = _project(tmp_path / "p", text)
    sdk = project / "pulumi_local"
    sdk.mkdir()
    (sdk / "pulumi-plugin.json").write_text('{"resource": true, "name": "local"}')
    thread = "threading.Thread(target=time.sleep, args=(60,)).start()"
    (sdk / "__init__.py").write_text(f"import threading, time\n{thread}\nN = 1\n")
    _, err = _run(capsys, project, "one")
    server = _server(project)
    assert f"parent: {server.process.pid}" in err  # forked
    assert "pulumi_local" in server.learned.needs("one")
    recording, err = _run(capsys, project, "one")  # the server imports pulumi_local first
    assert "parent: " in err and f"parent: {server.process.pid}" not in err  # refused by the server, spawned
    assert recording.resources[0].outputs == {"n": 1}
    assert server.process.poll() is None


def test_a_package_without_the_generated_marker_is_never_preloaded(servers, capsys, tmp_path: Path):
    project = _project(tmp_path / "p", "import pulumi_team_components\n")
    (project / "pulumi_team_components").mkdir()
    (project / "pulumi_team_components" / "__init__.py").write_text("import pulumi\nSTACK = pulumi.get_stack()\n")
    _run(capsys, project, "one")
    assert not [m for m in _server(project).learned.needs("one") if m.startswith("pulumi_team_components")]


def test_a_run_after_the_server_died_is_spawned(servers, capsys, tmp_path: Path):
    project = _project(tmp_path / "p")
    _run(capsys, project, "one")
    _server(project).process.kill()
    _server(project).process.wait()
    recording, err = _run(capsys, project, "two")
    assert "LLMOPS_TEST_VALUE" in err and recording.resources


def test_an_interpreter_without_pulumi_is_the_same_message_through_a_server(servers, capsys, tmp_path: Path):
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    project = _project(tmp_path / "p")
    (project / "Pulumi.yaml").write_text(
        f"name: forked\nruntime:\n  name: python\n  options:\n    virtualenv: {bare}\n"
    )
    with pytest.raises(program.InputError, match="has no pulumi SDK"):
        run_stack(resolve(str(project / "Pulumi.one.yaml")))


def test_no_server_outlives_close_all(servers, capsys, tmp_path: Path):
    project = _project(tmp_path / "p")
    _run(capsys, project, "one")
    server = _server(project)
    fork_servers.close_all()
    assert server.process.returncode is not None and not fork_servers._projects


def test_the_servers_of_at_most_max_projects_run_at_once(servers, capsys, tmp_path: Path):
    count = fork_servers.MAX_PROJECTS + 1
    projects = [_project(tmp_path / f"p{i}", "import pulumi\n", ("one",)) for i in range(count)]
    first = None
    for project in projects:
        _run(capsys, project, "one")
        first = first or _server(project)
    assert list(fork_servers._projects) == [(sys.executable, p) for p in projects[1:]]
    assert first is not None and first.process.wait(timeout=30) is not None  # closed when its project was dropped


# An AWS stack and a GCP stack of one project: their programs import different SDKs.
TWO_CLOUDS = """\
import pulumi

if pulumi.get_stack().startswith("aws"):
    import pulumi_aws as aws
    aws.s3.Bucket("data")
else:
    import pulumi_gcp as gcp
    gcp.storage.Bucket("data", location="EU")
"""


def test_stacks_that_need_different_sdks_are_served_by_two_servers_side_by_side(servers, capsys, tmp_path: Path):
    project = _project(tmp_path / "p", TWO_CLOUDS, ("aws-a", "aws-b", "gcp-a"))
    for stack in ("aws-a", "gcp-a"):  # learn what each needs, then start again as the next llmops would
        _run(capsys, project, stack)
    fork_servers.close_all()
    stacks = {name: resolve(str(project / f"Pulumi.{name}.yaml")) for name in ("aws-a", "gcp-a", "aws-b")}
    for stack in stacks.values():
        program.start_server(stack)
    chosen = fork_servers._projects[(sys.executable, project)].by_stack
    assert chosen["aws-a"] is not chosen["gcp-a"] and chosen["aws-b"] is chosen["aws-a"]
    assert any(m.startswith("pulumi_gcp.storage") for m in chosen["gcp-a"].sent)
    assert not any(m.startswith("pulumi_gcp.storage") for m in chosen["aws-a"].sent)
    recordings = {name: run_stack(stack) for name, stack in stacks.items()}
    assert [r.type for r in recordings["gcp-a"].resources if r.custom][-1] == "gcp:storage/bucket:Bucket"
    assert [r.type for r in recordings["aws-b"].resources if r.custom][-1] == "aws:s3/bucket:Bucket"
    assert len(fork_servers._projects[(sys.executable, project)].servers) == fork_servers.SERVERS_PER_PROJECT


def test_preloadable_modules_name_only_modules_a_program_ran(tmp_path: Path):
    # In a fresh interpreter: pulumi_aws registers every service module lazily; only the one used is listed.
    script = textwrap.dedent(
        f"""
        import importlib.util, json, sys
        spec = importlib.util.spec_from_file_location(
            "engine", {str(program.ENGINE_DIR / "__init__.py")!r},
            submodule_search_locations=[{str(program.ENGINE_DIR)!r}])
        package = importlib.util.module_from_spec(spec); sys.modules["engine"] = package
        spec.loader.exec_module(package)
        from engine.program_host import preloadable_modules
        import pulumi_aws
        pulumi_aws.s3.Bucket
        print(json.dumps(preloadable_modules(set())))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    modules = json.loads(done.stdout)
    assert "pulumi_aws" in modules and "pulumi_aws.s3" in modules and "pulumi_aws.s3.bucket" in modules
    assert "pulumi_aws.ec2" not in modules  # registered by pulumi_aws, never run
    assert not [m for m in modules if not m.startswith("pulumi_aws")]  # pulumi itself is no provider SDK


def test_llmops_infra_says_it_may_be_preloaded_and_a_program_composing_it_learns_its_modules(
    servers, capsys, tmp_path: Path
):
    text = "import pulumi\nimport llmops_infra.components.spec\npulumi.export('ok', True)\n"
    project = _project(tmp_path / "p", text)
    _run(capsys, project, "one")
    assert "llmops_infra.components.spec" in _server(project).learned.needs("one")
    marker = json.loads((program.ENGINE_DIR.parent / "llmops_infra" / "llmops-preload.json").read_text())
    assert marker["preload"] is True


def test_checking_stacks_of_more_projects_than_are_kept_starts_each_server_once(servers, capsys, tmp_path, monkeypatch):
    projects = [_project(tmp_path / f"p{i}", "import pulumi\n", ("one",)) for i in range(fork_servers.MAX_PROJECTS + 1)]
    started: list[Path] = []
    original = fork_servers.ForkServer.__init__

    def counting(self, argv, cwd, learned):
        started.append(cwd)
        original(self, argv, cwd, learned)

    monkeypatch.setattr(fork_servers.ForkServer, "__init__", counting)
    code, _, err = run_cli(capsys, "check", "--pack", "gdpr", *(str(p / "Pulumi.one.yaml") for p in projects))
    assert code == 0, err
    assert sorted(started) == sorted(projects)
