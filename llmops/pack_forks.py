"""Pack processes forked from a server (llmops/pack_fork_server.py) instead of spawned: one server per pack
interpreter in this llmops process, and the handle of a forked pack, which PolicyPackHost uses as it uses a spawned
pack's subprocess.Popen.

On the same terms as the program fork servers (fork_servers.ENABLED: Linux, and not LLMOPS_FORK_SERVER=0). When a
server cannot start a pack (it failed to start, has exited, or refused), `start` returns None and the host spawns
the pack as the CLI does: a forked pack answers the same, it only starts sooner.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

from llmops_infra.cli import fork_servers

SERVER_FILE = Path(__file__).resolve().parent / "pack_fork_server.py"
MAX_MESSAGE = 1 << 20
# Loads pack_fork_server.py alone, by path: nothing of llmops-infra is on the pack interpreter's path.
_BOOTSTRAP = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("_llmops_pack_fork_server", sys.argv[2])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.exit(module.serve(int(sys.argv[1])))
"""


class ForkedPack:
    """A pack process a server forked: what PolicyPackHost uses of subprocess.Popen."""

    def __init__(self, stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.pid = 0
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None
        self._ended = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int | None:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(f"pack process {self.pid}", timeout or 0)
        return self.returncode

    def _signal(self, number: int) -> None:
        if self.returncode is None and self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, number)

    def _end(self, code: int | None) -> None:
        self.returncode = code
        self._ended.set()


class PackForkServer:
    def __init__(self, python: str) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [python, "-u", "-c", _BOOTSTRAP, str(theirs.fileno()), str(SERVER_FILE)]
        try:
            # Its own output is no pack's (each pack writes to its pipes): nothing of it is needed.
            self.process = subprocess.Popen(
                argv,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=fork_servers.server_stderr(),
            )
        finally:
            theirs.close()
        self._channel = ours
        self._lock = threading.Lock()
        self._ready: Future[bool] = Future()
        self._starting: dict[int, Future[dict[str, Any]]] = {}
        self._packs: dict[int, ForkedPack] = {}
        self._ids = itertools.count(1)
        self.gone = False
        threading.Thread(target=self._read_answers, name="llmops-pack-fork-server", daemon=True).start()

    def start(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> ForkedPack | None:
        """A pack process running `python -u -m pulumi.policy ...` (argv from "pulumi.policy" on) in `cwd`."""
        if not self._ready.result():
            return None
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        pack = ForkedPack(os.fdopen(out_read, "rb"), os.fdopen(err_read, "rb"))
        started: Future[dict[str, Any]] = Future()
        message = {"dir": str(cwd), "argv": list(argv), "env": dict(env)}
        try:
            with self._lock:
                if self.gone:
                    raise OSError("the pack fork server has exited")
                start_id = next(self._ids)
                self._starting[start_id] = started
                self._packs[start_id] = pack
                payload = json.dumps({"start": start_id, **message}).encode("utf-8")
                socket.send_fds(self._channel, [payload], [out_write, err_write])
        except OSError:
            pack.stdout.close()
            pack.stderr.close()
            return None
        finally:
            os.close(out_write)
            os.close(err_write)
        answer = started.result()
        if "pid" not in answer:  # refused, or the server is gone: nothing was started
            pack.stdout.close()
            pack.stderr.close()
            return None
        pack.pid = answer["pid"]
        return pack

    def close(self) -> None:
        """Close the channel: the server terminates the packs still running and exits."""
        with self._lock:
            self.gone = True
            with contextlib.suppress(OSError):
                self._channel.shutdown(socket.SHUT_RDWR)

    def _read_answers(self) -> None:
        try:
            while True:
                data = self._channel.recv(MAX_MESSAGE)
                if not data:
                    break
                answer = json.loads(data)
                if "ready" in answer:
                    self._ready.set_result(True)
                    continue
                with self._lock:
                    if "started" in answer:
                        starting = self._starting.pop(answer["started"])
                        if "pid" not in answer:
                            self._packs.pop(answer["started"], None)
                    else:
                        starting = None
                        ended = self._packs.pop(answer["ended"], None)
                if starting is not None:
                    starting.set_result(answer)
                elif ended is not None:
                    ended._end(answer["exit"])
        except (OSError, ValueError, KeyError):  # not the server's protocol: treat it as gone
            self.process.kill()
        finally:
            self.process.wait()
            with self._lock:
                self.gone = True
                starting_now, self._starting = list(self._starting.values()), {}
                running, self._packs = list(self._packs.values()), {}
            if not self._ready.done():
                self._ready.set_result(False)
            for waiting in starting_now:
                waiting.set_result({"refused": "the pack fork server exited"})
            for pack in running:  # the server terminated them as it went (its channel closed)
                pack._end(None)


_servers: dict[str, PackForkServer] = {}
_servers_lock = threading.Lock()


def start(python: str, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> ForkedPack | None:
    """A pack process forked from `python`'s server, or None where there is none (then spawn the pack)."""
    if not fork_servers.ENABLED:
        return None
    with _servers_lock:
        server = _servers.get(python)
        if server is None or server.gone:
            try:
                server = _servers[python] = PackForkServer(python)
            except OSError:  # no such interpreter: the spawned pack says so
                return None
    return server.start(argv, cwd, env)


@atexit.register
def close_all() -> None:
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.close()
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
