"""Runs in a policy pack's interpreter: import pulumi and pulumi_policy once, then fork one pack process per start.

`llmops check` starts a process per pack per stack, as the CLI starts a pack per `pulumi preview`, and most of a
pack's start is importing pulumi, grpc and pulumi_policy. So the parent (llmops/pack_forks.py) starts this server
once per interpreter, and each pack start is a fork of it that does what `python -u -m pulumi.policy <engine> .`
does: in the pack directory, with the stack's environment, its standard output and error on pipes the parent reads
as it reads a spawned pack's. The pack's own modules are imported by the pack, after the fork.

Loaded by path, alone (no package): the standard library only; pulumi and pulumi_policy are imported in serve().

The protocol runs over a Unix SOCK_SEQPACKET socket (its descriptor is argv[1]), one JSON object a message. The
parent sends {"start": ID, "dir": PACK_DIR, "argv": [...], "env": {...}} with two descriptors (SCM_RIGHTS), the
write ends of the pack's standard output and standard error; the server answers {"started": ID, "pid": PID} or
{"started": ID, "refused": WHY} (the parent then spawns the pack), and {"ended": ID, "exit": CODE} once the
process has ended (CODE as a process's: negative for a signal). To stop a pack the parent signals its pid. When the
parent closes its end, the server terminates the packs still running, waits for them, and exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import selectors
import signal
import socket
import sys
import threading
import traceback
from typing import Any, NoReturn

MAX_MESSAGE = 1 << 20


def serve(channel_fd: int) -> int:
    import pulumi  # noqa: F401 - what every pack process would import first
    import pulumi.runtime  # noqa: F401
    import pulumi_policy  # noqa: F401

    channel = socket.socket(fileno=channel_fd)
    selector = selectors.DefaultSelector()
    selector.register(channel, selectors.EVENT_READ)
    packs: dict[int, tuple[Any, int]] = {}  # the read end of a pack's pipe -> (start id, pid)
    _send(channel, {"ready": True})
    while True:
        for key, _ in selector.select():
            if key.fileobj is not channel:
                selector.unregister(key.fd)
                os.close(key.fd)
                start_id, pid = packs.pop(key.fd)
                _, status = os.waitpid(pid, 0)
                _send(channel, {"ended": start_id, "exit": os.waitstatus_to_exitcode(status)})
                continue
            data, fds, _, _ = socket.recv_fds(channel, MAX_MESSAGE, 2)
            if not data:
                _stop(packs)
                return 0
            message = json.loads(data)
            if threading.active_count() > 1:  # forking a threaded process can leave a lock held in the child
                _send(channel, {"started": message["start"], "refused": "the server has started a thread"})
            else:
                read_end, pid = _fork(message, fds, channel, selector)
                packs[read_end] = (message["start"], pid)
                selector.register(read_end, selectors.EVENT_READ)
                _send(channel, {"started": message["start"], "pid": pid})
            for fd in fds:
                os.close(fd)


def _send(channel: socket.socket, message: dict[str, Any]) -> None:
    channel.send(json.dumps(message).encode("utf-8"))


def _stop(packs: dict[int, tuple[Any, int]]) -> None:
    for _, pid in packs.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for _, pid in packs.values():
        os.waitpid(pid, 0)


def _fork(message: dict[str, Any], fds: list[int], channel: socket.socket, selector: Any) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        selector.close()
        channel.close()
        _pack(message, fds)
    os.close(write_end)
    return read_end, pid


def _pack(message: dict[str, Any], fds: list[int]) -> NoReturn:
    """The forked process: `python -u -m pulumi.policy ENGINE .` in the pack directory. It keeps the write end of
    its pipe open until it exits, which is how the server learns that it has."""
    code: Any = 1
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        os.chdir(message["dir"])
        os.environ.clear()
        os.environ.update(message["env"])
        sys.argv = list(message["argv"])
        sys.path[0] = message["dir"]  # as `python -m` puts the working directory first
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:  # pulumi.policy's main() ends with sys.exit
        code = done.code
    except BaseException:  # noqa: BLE001 - this process must not return into the server's loop
        traceback.print_exc()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code if isinstance(code, int) else 1)
