"""The fork servers of this llmops process: up to two per project and interpreter (_Project), each a process of the
project's own Python that has loaded the engine and forks one child per program run (llmops/fork_server.py speaks
the other side).

Only where forking is cheap and safe for such a process (Linux). Anywhere else, and whenever a server cannot take a
run (it failed to start, exited, or refused), program.py starts the project's interpreter for the run as before:
a run through a server gives the same result, output and exit code, it only starts sooner.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import itertools
import json
import os
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# LLMOPS_FORK_SERVER=0 turns the servers off (every run then starts its interpreter, as on other systems).
ENABLED = sys.platform.startswith("linux") and os.environ.get("LLMOPS_FORK_SERVER", "1") != "0"
# Projects whose servers are kept at once (a server holds pulumi and the SDKs it has imported, 60 to 250 MB): a
# command checks the stacks of one project; a long-lived caller (the test suite) meets many.
MAX_PROJECTS = 2
# Servers of one project: two, so that stacks needing different SDKs have them imported on two cores side by side.
SERVERS_PER_PROJECT = 2
# A stack goes to a server already sent at least this share of the modules it needs; else, room left, to a new one.
SHARED_ENOUGH = 0.5


def server_stderr() -> int | None:
    """Where a server's own standard error goes: nowhere, or with LLMOPS_DEBUG set, to llmops's (why it failed)."""
    return None if os.environ.get("LLMOPS_DEBUG") else subprocess.DEVNULL


@dataclass(frozen=True)
class RunFiles:
    """Where a forked run writes what a spawned one's pipes would carry."""

    result: Path
    stdout: Path
    stderr: Path


@dataclass
class LearnedModules:
    """The modules each stack's program has imported that the server may import ahead (program_host.PRELOAD_MARKS),
    kept from one llmops run to the next in a file per project and interpreter (under $XDG_CACHE_HOME, or
    ~/.cache): what the server imports before it forks a run of that stack. The file only makes runs start sooner:
    lost, stale or unreadable, it is taken as empty, and the server imports nothing from it but marked packages
    (fork_server._import)."""

    file: Path
    by_stack: dict[str, list[str]] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def of(cls, python: str, project_root: Path) -> LearnedModules:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        digest = hashlib.sha256(f"{python}\n{project_root}".encode()).hexdigest()[:24]
        file = Path(base, "llmops-infra", "fork-server", f"{digest}.json")
        try:
            stacks = json.loads(file.read_text(encoding="utf-8"))["stacks"]
            by_stack = {str(k): [str(m) for m in v] for k, v in stacks.items() if isinstance(v, list)}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            by_stack = {}
        return cls(file, by_stack)

    def needs(self, stack: str) -> list[str]:
        return list(self.by_stack.get(stack, ()))

    def learn(self, stack: str, modules: Sequence[str]) -> None:
        """Add what a run imported itself. A run forked from a server that had imported a module before it does not
        name that module again: so a stack's list only grows, with what its program has been seen to import."""
        known = self.by_stack.get(stack, [])
        if not set(modules) <= set(known):
            self.by_stack[stack] = sorted(set(known) | set(modules))
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        with contextlib.suppress(OSError):  # no cache where none can be written
            self.file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.file.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps({"stacks": self.by_stack}, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(partial, self.file)
        self.changed = False


class ForkServer:
    """One server process; `run` may be called from several threads at once."""

    def __init__(self, argv: Sequence[str], cwd: Path, learned: LearnedModules) -> None:
        # The server's own standard error carries nothing of a program's (each child writes to its RunFiles): what
        # could reach it is why the server failed, and a run it cannot take is started on its own, which says why.
        self.process = subprocess.Popen(
            list(argv), cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=server_stderr()
        )
        self._lock = threading.Lock()
        self._ready: Future[bool] = Future()
        self._waiting: dict[int, Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self.learned = learned  # shared by the servers of one project
        self._preloaded: set[str] = set()  # the stacks whose needs were sent ahead
        self.sent: set[str] = set()  # every module the server was asked to import
        self.gone = False
        threading.Thread(target=self._read_answers, name="llmops-fork-server", daemon=True).start()

    def run(self, stack: str, request: Mapping[str, Any], files: RunFiles) -> int | None:
        """The exit code of the program's process, or None when the server could not run it (nothing ran)."""
        if not self._ready.result():
            return None
        future: Future[dict[str, Any]] = Future()
        message = {
            "needs": self.learned.needs(stack),
            "request": request,
            "env": dict(os.environ),
            "result": str(files.result),
            "stdout": str(files.stdout),
            "stderr": str(files.stderr),
        }
        with self._lock:
            if self.gone:
                return None
            run_id = next(self._ids)
            self._waiting[run_id] = future
            self.sent.update(message["needs"])
            if not self._send({"run": run_id, **message}):
                del self._waiting[run_id]
                return None
        answer = future.result()
        return answer.get("exit")

    def preload(self, stack: str) -> None:
        """Have the server import what a run of `stack` needs now, ahead of the run (which waits for it anyway)."""
        with self._lock:
            needs = self.learned.needs(stack)
            if needs and not self.gone and stack not in self._preloaded:
                self._preloaded.add(stack)
                self.sent.update(needs)
                self._send({"preload": needs})

    @property
    def in_flight(self) -> int:
        return len(self._waiting)

    def learn(self, stack: str, modules: Sequence[str]) -> None:
        """The marked modules a run of `stack` imported itself: needed by its next runs, here and later."""
        with self._lock:
            self.learned.learn(stack, modules)

    def close(self) -> None:
        """End the server's input: it finishes the runs it has started, answers them, and exits."""
        with self._lock:
            self.learned.save()
            self.gone = True
            if self.process.stdin is not None and not self.process.stdin.closed:
                with contextlib.suppress(OSError):  # the server has exited already
                    self.process.stdin.close()

    def _send(self, message: Mapping[str, Any]) -> bool:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
            self.process.stdin.flush()
        except (OSError, ValueError):  # the server has exited, or was closed
            self.gone = True
            return False
        return True

    def _read_answers(self) -> None:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                answer = json.loads(line)
                if "ready" in answer:
                    self._ready.set_result(True)
                    continue
                with self._lock:
                    waiting = self._waiting.pop(answer["done"])
                waiting.set_result(answer)
        except (ValueError, KeyError):  # not the server's protocol: treat it as gone (every run falls back)
            self.process.kill()
        finally:
            self.process.wait()
            with self._lock:
                self.gone = True
                waiting_runs, self._waiting = list(self._waiting.values()), {}
            if not self._ready.done():
                self._ready.set_result(False)
            for waiting in waiting_runs:
                waiting.set_result({"refused": "the fork server exited"})


class _Project:
    """The servers of one project and interpreter, what its stacks need, and which server runs which stack.

    Up to SERVERS_PER_PROJECT servers, so that stacks needing different SDKs (an AWS stack, a GCP stack) have them
    imported side by side, on two cores, instead of one after the other by one server. A stack goes to the server
    that has been sent most of what it needs, or to a new one when none has been sent SHARED_ENOUGH of it.
    """

    def __init__(self, python: str, root: Path, argv: Sequence[str]) -> None:
        self.root, self.argv = root, list(argv)
        self.learned = LearnedModules.of(python, root)
        self.servers: list[ForkServer] = []
        self.by_stack: dict[str, ForkServer] = {}

    def server(self, stack: str) -> ForkServer:
        chosen = self.by_stack.get(stack)
        if chosen is not None and not chosen.gone:
            return chosen
        needs = set(self.learned.needs(stack))
        live = [s for s in self.servers if not s.gone]
        chosen = max(live, key=lambda s: (len(needs & s.sent), -s.in_flight), default=None)
        shared = len(needs & chosen.sent) if chosen else 0
        if chosen is None or (shared < SHARED_ENOUGH * len(needs) and len(live) < SERVERS_PER_PROJECT):
            chosen = ForkServer(self.argv, self.root, self.learned)
            self.servers.append(chosen)
        self.by_stack[stack] = chosen
        return chosen

    def close(self) -> None:
        for server in self.servers:
            server.close()


_projects: OrderedDict[tuple[str, Path], _Project] = OrderedDict()
_servers_lock = threading.Lock()


def server_for(python: str, project_root: Path, argv: Sequence[str], stack: str) -> ForkServer | None:
    """The running server for this stack of this interpreter and project (started with `argv` if need be), or None
    where there are no servers or one cannot start."""
    if not ENABLED:
        return None
    key = (python, project_root)
    with _servers_lock:
        project = _projects.get(key)
        if project is None:
            project = _projects[key] = _Project(python, project_root, argv)
        _projects.move_to_end(key)
        while len(_projects) > MAX_PROJECTS:
            _projects.popitem(last=False)[1].close()
        try:
            return project.server(stack)
        except OSError:  # no such interpreter: the spawned run says so
            return None


@atexit.register
def close_all() -> None:
    """Stop every server, so that no process outlives llmops. Every run has been answered by then: what a server
    may still be doing is a preload for runs that will not come."""
    with _servers_lock:
        servers = [server for project in _projects.values() for server in project.servers]
        _projects.clear()
    for server in servers:
        server.close()
        server.process.kill()
        server.process.wait()
