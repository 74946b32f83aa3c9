"""Pack processes forked from a pack fork server (llmops/pack_fork_server.py, llmops/pack_forks.py) answer what a
spawned pack answers, see the stack's environment and directory, fail with the same message, and end when their
host closes; whatever the server cannot do, the pack is spawned instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmops_infra.cli import fork_servers, pack_forks
from llmops_infra.cli.analyzer_host import PackStartError, PolicyPackHost, ResourceInput, StackContext

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork servers run on Linux only")

DEMO = Path(__file__).parent / "fixtures" / "packs" / "demo"
STACK = StackContext(project="forks", stack="dev", config={"aws:region": "eu-west-1"})
# A pack whose one policy tells what its process sees: the stack, the config, the working directory.
REPORTING_PACK = """\
import os
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

def tell(args, report_violation):
    report_violation(
        f"stack={os.environ.get('PULUMI_STACK')} config={os.environ.get('PULUMI_CONFIG')} cwd={os.getcwd()}"
    )

PolicyPack("reporting", enforcement_level=EnforcementLevel.ADVISORY, policies=[
    ResourceValidationPolicy(name="tell", description="tells what the process sees", validate=tell),
])
"""


def _resource() -> ResourceInput:
    urn = "urn:pulumi:dev::forks::aws:s3/bucket:Bucket::b"
    return ResourceInput(urn=urn, type="aws:s3/bucket:Bucket", name="b", properties={})


@pytest.fixture(params=[True, False], ids=["forked", "spawned"])
def forked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    monkeypatch.setattr(fork_servers, "ENABLED", request.param)
    yield request.param
    pack_forks.close_all()


def _pack(root: Path, main: str) -> Path:
    root.mkdir(parents=True)
    (root / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (root / "__main__.py").write_text(main)
    return root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not running: its parent (the server) has not reaped it yet.
    stat = Path(f"/proc/{pid}/stat")
    return stat.is_file() and stat.read_text().split(")")[-1].split()[0] != "Z"


def test_a_pack_is_forked_or_spawned_and_answers_the_same(forked: bool, tmp_path: Path) -> None:
    pack = _pack(tmp_path / "reporting", REPORTING_PACK)
    with PolicyPackHost(pack, timeout=30, stack=STACK) as host:
        assert isinstance(host.process, pack_forks.ForkedPack) is forked
        [diagnostic] = host.analyze(_resource())
        info = host.info()
    assert 'stack=dev config={"aws:region": "eu-west-1"} cwd=' in diagnostic.message
    assert diagnostic.message.endswith(f"cwd={pack}")
    assert [p.name for p in info.policies] == ["tell"]


def test_a_forked_pack_ends_when_its_host_closes(forked: bool) -> None:
    with PolicyPackHost(DEMO, timeout=30, stack=STACK) as host:
        process = host.process
        assert process is not None and process.poll() is None and _alive(process.pid)
    assert process.poll() is not None
    assert not _alive(process.pid)


def _start_error(pack: Path, python: str | None = None) -> str:
    host = PolicyPackHost(pack, python=python, timeout=30)
    with pytest.raises(PackStartError) as caught:
        host.start()
    assert host.process is not None and host.process.poll() is not None
    if caught.value.output_file is not None:
        caught.value.output_file.unlink()
    return re.sub(r"\(its full output: [^)]*\)", "(its full output: FILE)", str(caught.value))


def test_a_pack_that_fails_to_start_says_the_same_forked_or_spawned(tmp_path: Path, monkeypatch) -> None:
    pack = _pack(tmp_path / "broken", 'raise RuntimeError("boom from the pack")\n')
    monkeypatch.setattr(fork_servers, "ENABLED", True)
    forked = _start_error(pack)
    pack_forks.close_all()
    monkeypatch.setattr(fork_servers, "ENABLED", False)
    assert forked == _start_error(pack)
    assert "exited (code 1) before printing its port: RuntimeError: boom from the pack" in forked


def test_an_interpreter_without_pulumi_policy_spawns_the_pack_with_its_own_message(tmp_path: Path, monkeypatch):
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    python = str(bare / "bin" / "python")
    monkeypatch.setattr(fork_servers, "ENABLED", True)
    forked = _start_error(DEMO, python)
    assert pack_forks._servers[python].gone  # the server could not start: the pack was spawned
    pack_forks.close_all()
    monkeypatch.setattr(fork_servers, "ENABLED", False)
    assert forked == _start_error(DEMO, python)
    assert "No module named" in forked


def test_close_all_leaves_no_server_and_no_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork_servers, "ENABLED", True)
    host = PolicyPackHost(DEMO, timeout=30, stack=STACK)
    host.start()
    process = host.process
    assert isinstance(process, pack_forks.ForkedPack)
    server = pack_forks._servers[sys.executable]
    pack_forks.close_all()  # as at the end of llmops, even with a host left open
    assert server.process.returncode is not None
    assert process.wait(timeout=10) is None or not _alive(process.pid)
    assert not _alive(process.pid)
    host.close()
