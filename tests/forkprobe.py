"""Run as ``python -m tests.forkprobe REPORT``: writes to REPORT, as JSON, what a process found
as it started (argv, paths, streams, signals, descriptors, terminal), so that tests/test_forkrun.py
can compare a forked child with a new interpreter."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys


def stream(name: str) -> object:
    s = getattr(sys, name)
    if s is None:
        return None
    buffer = s.buffer
    raw = getattr(buffer, "raw", buffer)
    return {
        "same as __std__": s is getattr(sys, f"__{name}__"),
        "text": [type(s).__name__, s.name, s.mode, s.encoding, s.errors, s.line_buffering, s.write_through],
        "buffer": [type(buffer).__name__, buffer.mode, type(raw).__name__, raw.name, raw.closefd],
        "fileno": s.fileno(),
    }


def handler(signum: int) -> str:
    found = signal.getsignal(signum)
    if found is signal.default_int_handler:
        return "default_int_handler"
    return found.name if isinstance(found, signal.Handlers) else repr(found)


def open_descriptors() -> list[int]:
    found = []
    for fd in range(64):
        try:
            fcntl.fcntl(fd, fcntl.F_GETFD)
        except OSError:
            continue
        found.append(fd)
    return found


def controlling_terminal() -> bool:
    try:
        os.close(os.open("/dev/tty", os.O_RDWR))
    except OSError:
        return False
    return True


def main() -> None:
    report = {
        "argv": sys.argv[1:],
        "argv0": sys.argv[0],
        "orig_argv": sys.orig_argv,
        "path0": sys.path[0],
        "main": [__name__, __spec__.name if __spec__ else None],
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "umask": os.umask(0o022),
        "streams": {name: stream(name) for name in ("stdin", "stdout", "stderr")},
        "signals": {
            signal.Signals(s).name: handler(s)
            for s in signal.valid_signals()
            if s in signal.Signals._value2member_map_
        },
        "blocked": sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
        "descriptors": open_descriptors(),
        "session leader": os.getsid(0) == os.getpid(),
        "controlling terminal": controlling_terminal(),
        "inheritable": [os.get_inheritable(fd) for fd in open_descriptors()],
    }
    with open(sys.argv[1], "w") as out:  # opened last, so that it is not among the descriptors
        json.dump(report, out)
    if "--wait" in sys.argv:
        print("waiting", flush=True)
        signal.pause()


main()
