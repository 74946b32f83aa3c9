"""Runs inside the project's own interpreter: load the engine once, then fork one process per program run.

Every stack of a project runs the same program with the same interpreter in the same directory, and most of a
program's run is importing pulumi and the provider SDKs. So the parent (llmops/fork_servers.py) starts this server
once per project and interpreter; it imports the engine (and with it pulumi), and each run is a fork of it: a fresh
process, as program_host's, that starts with those modules already imported. Once a first program has shown which
provider SDK modules it needs (program_host.provider_modules), the parent asks the server to import them too.
Nothing of the project's own is imported here: each program imports its own modules, after the fork.

The protocol is one JSON object a line. To standard input, the parent writes
  {"run": ID, "request": {...}, "env": {...}, "result": PATH, "stdout": PATH, "stderr": PATH}
  {"preload": [MODULE, ...]}
and the server answers, on what was its standard output, {"ready": true} once, then per run
  {"done": ID, "exit": CODE}   (CODE as a process's: negative for a signal), or
  {"done": ID, "refused": WHY} (nothing ran: the parent starts the program on its own instead).
Its own standard output goes to standard error before it imports anything, so nothing printed reads as an answer.
At the end of its input the server waits for the runs it started and exits.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import json
import os
import selectors
import sys
import threading
import traceback
import types
from typing import IO, Any, NoReturn

from .program_host import leave, run_request

# The exit code of a run whose child failed before the program started (it says why on its standard error).
EXIT_CHILD_FAILED = 70


def serve(answers_fd: int) -> int:
    """Serve runs until the end of standard input. `answers_fd` is the standard output the server was started with
    (the bootstrap has sent its own standard output to standard error before importing anything)."""
    # As program_host.run_request will: the project directory, not "", first on sys.path, so that a module the
    # server imports is the file a program's own import would find.
    sys.path[0] = os.getcwd()
    _Server(os.fdopen(answers_fd, "w", encoding="utf-8")).loop()
    return 0


class _Server:
    def __init__(self, answers: IO[str]) -> None:
        self.answers = answers
        self.selector = selectors.DefaultSelector()
        self.selector.register(0, selectors.EVENT_READ)
        self.runs: dict[int, tuple[Any, int]] = {}  # the read end of a run's pipe -> (run id, pid)
        # Modules still to import, one between two looks at the input and the runs, so that a child that ends is
        # answered at once. A run asked for meanwhile waits for the last of them: started earlier, it would import
        # the same modules itself, on the other core, and end no sooner.
        self.to_import: collections.deque[str] = collections.deque()
        self.to_start: collections.deque[dict[str, Any]] = collections.deque()
        self.reading = True
        self._pending = b""

    def loop(self) -> None:
        self.answer({"ready": True})
        while self.reading or self.runs or self.to_import or self.to_start:
            for key, _ in self.selector.select(timeout=0 if self.to_import else None):
                if key.fd == 0:
                    self.read_input()
                else:
                    self.finish(key.fd)
            if self.to_import:
                _import(self.to_import.popleft())
            while self.to_start and not self.to_import:
                self.start(self.to_start.popleft())

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
                self.to_start.append(message)

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


def _import(name: str) -> None:
    """Import a module as a program reaches it: each package from its top, attribute by attribute, so that a package
    Pulumi's lazy_import registered runs its own `__init__` (which imports its submodules in its own order) before
    any of its submodules is imported on its own; the other way round, a package can take a partial submodule."""
    parts = name.split(".")
    with contextlib.suppress(Exception):  # the program's own import meets the same error, where it belongs
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
