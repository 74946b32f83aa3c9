"""Runs inside the project's own interpreter: load the engine once, then fork one process per program run.

Every stack of a project runs the same program with the same interpreter in the same directory, and much of a
program's run is importing pulumi, the provider SDKs and the component libraries. So the parent
(llmops/fork_servers.py) starts this server once per project and interpreter; it imports the engine (and with it
pulumi), and each run is a fork of it: a fresh process, as program_host's, that starts with those modules already
imported. The modules a stack's program imported when it last ran, of packages marked as safe to import ahead
(program_host.PRELOAD_MARKS: provider SDKs, llmops_infra), are its run's "needs": the server imports them before
it forks the run. Nothing else is imported here: a project's own modules are imported by its program.

The protocol is one JSON object a line. To standard input, the parent writes
  {"run": ID, "needs": [MODULE, ...], "request": {...}, "env": {...}, "result": PATH, "stdout": PATH, "stderr": PATH}
  {"preload": [MODULE, ...]}   (modules to import ahead of the run that will need them)
and the server answers, on what was its standard output, {"ready": true} once, then per run
  {"done": ID, "exit": CODE}   (CODE as a process's: negative for a signal), or
  {"done": ID, "refused": WHY} (nothing ran: the parent starts the program on its own instead).
Its own standard output goes to standard error before it imports anything, so nothing printed reads as an answer.
At the end of its input the server waits for the runs it started and exits.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import gc
import importlib
import importlib.util
import json
import os
import selectors
import sys
import threading
import traceback
import types
from typing import IO, Any, NoReturn

from .program_host import GC_THRESHOLDS, leave, may_preload, run_request

# The exit code of a run whose child failed before the program started (it says why on its standard error).
EXIT_CHILD_FAILED = 70


def serve(answers_fd: int) -> int:
    """Serve runs until the end of standard input. `answers_fd` is the standard output the server was started with
    (the bootstrap has sent its own standard output to standard error before importing anything)."""
    # As program_host.run_request will: the project directory, not "", first on sys.path, so that a module the
    # server imports is the file a program's own import would find.
    sys.path[0] = os.getcwd()
    gc.set_threshold(*GC_THRESHOLDS)  # as in each run: the imports here allocate as a program's do
    _Server(os.fdopen(answers_fd, "w", encoding="utf-8")).loop()
    return 0


class _Server:
    def __init__(self, answers: IO[str]) -> None:
        self.answers = answers
        self.selector = selectors.DefaultSelector()
        self.selector.register(0, selectors.EVENT_READ)
        self.runs: dict[int, tuple[Any, int]] = {}  # the read end of a run's pipe -> (run id, pid)
        # Runs asked for and not started: each waits until the modules it needs are imported (a child that imported
        # them itself would end no sooner, and cost that import again); a run that needs nothing more starts at once.
        self.waiting: list[_Waiting] = []
        self.to_import: collections.deque[str] = collections.deque()  # asked for ahead of any run ("preload")
        self.tried: set[str] = set()  # imported, or failed to: never tried again
        self.reading = True
        self._pending = b""
        affinity = getattr(os, "sched_getaffinity", None)
        self.cores = len(affinity(0)) if affinity else (os.cpu_count() or 1)

    def loop(self) -> None:
        self.answer({"ready": True})
        while self.reading or self.runs or self.waiting or self.to_import:
            # One module at most between two looks at the input and the runs, so a child that ends is answered soon.
            busy = bool(self.waiting or self.to_import)
            for key, _ in self.selector.select(timeout=0 if busy else None):
                if key.fd == 0:
                    self.read_input()
                else:
                    self.finish(key.fd)
            for waiting in [w for w in self.waiting if not w.missing]:
                self.waiting.remove(waiting)
                self.start(waiting.message)
            if self.waiting:
                # The run closest to starting first. While the server imports for it, a core with nothing to do
                # takes another run at once, which imports what it still needs itself.
                target = min(self.waiting, key=lambda w: len(w.missing))
                for other in [w for w in self.waiting if w is not target]:
                    if len(self.runs) + 1 >= self.cores:
                        break
                    self.waiting.remove(other)
                    self.start(other.message)
                self.import_next(target.order)
            elif self.to_import:
                self.import_next(self.to_import)

    def import_next(self, names: collections.deque[str]) -> None:
        while names:
            name = names.popleft()
            if name not in self.tried:
                self.tried.add(name)
                _import(name)
                for waiting in self.waiting:
                    waiting.missing.discard(name)
                return

    def answer(self, message: dict[str, Any]) -> None:
        self.answers.write(json.dumps(message) + "\n")
        self.answers.flush()

    def read_input(self) -> None:
        data = os.read(0, 1 << 16)
        if not data:
            self.selector.unregister(0)
            self.reading = False
            return
        *lines, self._pending = (self._pending + data).split(b"\n")
        for line in lines:
            message = json.loads(line)
            if "preload" in message:
                self.to_import.extend(message["preload"])
            else:
                needs = [n for n in message.get("needs", ()) if n not in self.tried]
                self.waiting.append(_Waiting(message, collections.deque(needs), set(needs)))

    def start(self, message: dict[str, Any]) -> None:
        if threading.active_count() > 1:  # forking a threaded process can leave a lock held forever in the child
            self.answer({"done": message["run"], "refused": "the server has started a thread"})
            return
        read_end, write_end = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # or the child would write the server's buffered text again
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            self.selector.close()
            os.close(self.answers.fileno())
            _child(message)
        os.close(write_end)
        self.runs[read_end] = (message["run"], pid)
        self.selector.register(read_end, selectors.EVENT_READ)

    def finish(self, read_end: int) -> None:
        """A child has exited (its end of the pipe closed): answer with its exit code."""
        self.selector.unregister(read_end)
        os.close(read_end)
        run_id, pid = self.runs.pop(read_end)
        _, status = os.waitpid(pid, 0)
        self.answer({"done": run_id, "exit": os.waitstatus_to_exitcode(status)})


@dataclasses.dataclass
class _Waiting:
    message: dict[str, Any]
    order: collections.deque[str]  # the modules it needs, in the order to import them (some may be imported by now)
    missing: set[str]  # the ones not imported yet


def _import(name: str) -> None:
    """Import a module as a program reaches it: each package from its top, attribute by attribute, so that a package
    Pulumi's lazy_import registered runs its own `__init__` (which imports its submodules in its own order) before
    any of its submodules is imported on its own; the other way round, a package can take a partial submodule."""
    parts = name.split(".")
    with contextlib.suppress(Exception):  # the program's own import meets the same error, where it belongs
        # The names may come from a file (fork_servers' cache): marked packages only, found without importing them.
        spec = importlib.util.find_spec(parts[0])
        if spec is None or not may_preload(spec.submodule_search_locations or ()):
            return
        module = _run(importlib.import_module(parts[0]))
        for depth in range(2, len(parts) + 1):
            found = getattr(module, parts[depth - 1], None)
            if not isinstance(found, types.ModuleType):
                found = importlib.import_module(".".join(parts[:depth]))
            module = _run(found)


def _run(module: types.ModuleType) -> types.ModuleType:
    getattr(module, "__all__", None)  # any attribute but __name__, __path__ and the like runs a lazy module's code
    return module


def _child(message: dict[str, Any]) -> NoReturn:
    """The forked process: the program's own, with the standard streams of a spawned one. It keeps the write end of
    its pipe open until it exits, which is how the server learns that it has."""
    code = EXIT_CHILD_FAILED
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        for fd, path in ((1, message["stdout"]), (2, message["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        os.environ.clear()
        os.environ.update(message["env"])
        code = run_request(message["request"], message["result"])
    except BaseException:  # noqa: BLE001 - whatever happens, this process must not return into the server's loop
        traceback.print_exc()
    leave(code)
