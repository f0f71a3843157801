"""The fork server behind tests/forkrun.py: one process per test worker that has already imported
what ``python -m convcli`` imports before it reads its arguments, and forks a child for each run
asked of it. The child becomes a fresh ``python -m convcli ARGS`` as nearly as a fork can (its
standard streams, signals, environment, argv and terminal), runs the module with runpy, and ends
through the interpreter's own shutdown, which flushes and reports exactly as a new process would.

Run as ``python tests/forkserver.py FD``: FD is one end of a SOCK_SEQPACKET socket pair, on which
each message is a JSON request and its file descriptors (SCM_RIGHTS): first the request's own
connection, then the child's standard streams in the order the request lists them. The server
answers on that connection with the child's pid (and a pidfd), then with its wait status. The
end of the socket pair closing (the worker has gone) ends the server and any child still running.

This file imports only the standard library before the preload, and keeps no file open but the
sockets it closes in each child: a child must own nothing but its three standard streams.
"""

from __future__ import annotations

import fcntl
import gc
import io
import json
import os
import select
import signal
import socket
import sys
import termios

# how CPython's start-up (Python/pylifecycle.c, create_stdio) set up this interpreter's streams:
# stdin and stdout with the locale's encoding (or PYTHONIOENCODING) and errors; stderr always
# backslashreplace. The client forks only where the run's environment agrees with this one in
# everything start-up reads, so these are what a new interpreter would choose too.
ENCODING = sys.__stdout__.encoding if sys.__stdout__ is not None else "utf-8"
ERRORS = sys.__stdout__.errors if sys.__stdout__ is not None else "strict"
BUFFERED = sys.__stdout__ is None or not sys.__stdout__.write_through  # not -u, PYTHONUNBUFFERED
STREAMS = {0: ("<stdin>", False), 1: ("<stdout>", True), 2: ("<stderr>", True)}


def preload() -> None:
    """What ``python -m convcli`` has imported when it starts to parse its arguments: runpy (the
    -m machinery) and what convcli/__main__.py imports, convcli.cli. Not scipy, sympy or rich,
    which a run imports when it needs them."""
    import runpy  # noqa: F401

    import convcli.cli  # noqa: F401


class Request:
    def __init__(self, message: dict, streams: list[int]) -> None:
        self.module: str = message["module"]
        self.args: list[str] = message["args"]
        self.cwd: str = message["cwd"]
        self.env: dict[str, str] = message["env"]
        self.umask: int = message["umask"]
        self.slots: list[int] = message["slots"]
        self.new_session: bool = message["new_session"]
        self.controlling_terminal: bool = message["controlling_terminal"]
        self.streams = streams


def serve(control: socket.socket) -> Request:
    """Fork a child for each request; return only in a child, with its request. Waits for every
    child (this process is their parent) and reports its status on the request's connection."""
    running: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    while True:
        ready, _, _ = select.select([control, *running], [], [])
        for source in ready:
            if source is control:
                message, fds, _, _ = socket.recv_fds(control, 1 << 20, 8)
                if not message:
                    stop(running)
                conn = socket.socket(fileno=fds[0])
                request = Request(json.loads(message), fds[1:])
                try:
                    pid = os.fork()
                except OSError as exc:
                    conn.send(json.dumps({"error": str(exc)}).encode())
                    conn.close()
                    close_all(request.streams)
                    continue
                if pid == 0:
                    control.close()
                    conn.close()
                    for pidfd, (_, other) in running.items():
                        os.close(pidfd)
                        other.close()
                    return request
                close_all(request.streams)
                pidfd = os.pidfd_open(pid)
                try:
                    socket.send_fds(conn, [json.dumps({"pid": pid}).encode()], [pidfd])
                except OSError:  # the test gave up already; the child is still ours to wait for
                    pass
                running[pidfd] = (pid, conn)
            else:
                pid, conn = running.pop(source)
                _, status, usage = os.wait4(pid, 0)
                os.close(source)
                try:
                    conn.send(json.dumps({"status": status, "maxrss": usage.ru_maxrss}).encode())
                except OSError:
                    pass
                conn.close()


def stop(running: dict[int, tuple[int, socket.socket]]) -> None:
    """The worker has gone: so do the children it left running, and this server."""
    for pidfd, (pid, conn) in running.items():
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(pidfd)
        conn.close()
    sys.exit(0)


def close_all(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def become(request: Request) -> None:
    """In the child: everything a new ``python -m MODULE ARGS`` would find, as the request asks."""
    if request.new_session:
        os.setsid()
    for slot, fd in zip(request.slots, request.streams, strict=True):
        os.dup2(fd, slot)  # inheritable, as a new process's standard streams are
    for slot in {0, 1, 2} - set(request.slots):
        os.close(slot)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # the received copies, and anything else
    if request.controlling_terminal:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # signals as a new interpreter sets them (Python/pylifecycle.c, signal_install_handlers):
    # SIGINT raises KeyboardInterrupt, SIGPIPE and SIGXFSZ are ignored, every other is the default
    for signum in signal.valid_signals():
        if signum not in (signal.SIGKILL, signal.SIGSTOP):
            try:
                signal.signal(signum, signal.SIG_DFL)
            except (OSError, ValueError):  # the C library's own real-time signals
                pass
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    os.chdir(request.cwd)
    os.umask(request.umask)
    os.environ.clear()
    os.environ.update(request.env)
    sys.argv = ["-m", *request.args]  # runpy puts the module's path first, as -m does
    sys.orig_argv = [sys.executable, "-m", request.module, *request.args]
    sys.path[0] = os.getcwd()  # -m puts the working folder first; a script puts its own folder
    sys.stdin = sys.__stdin__ = standard_stream(0)
    sys.stdout = sys.__stdout__ = standard_stream(1)
    sys.stderr = sys.__stderr__ = standard_stream(2)


def standard_stream(fd: int) -> io.TextIOWrapper | None:
    """sys.stdin, stdout or stderr as CPython's start-up builds it (create_stdio): None when the
    descriptor is not open; a buffered binary stream that never closes the descriptor; line
    buffering on a terminal, and always for stderr; stderr's errors backslashreplace."""
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
    except OSError:
        return None
    name, write = STREAMS[fd]
    buffered = BUFFERED
    buffer = open(fd, "wb" if write else "rb", 0 if write and not buffered else -1, closefd=False)
    raw = buffer.raw if isinstance(buffer, io.BufferedIOBase) else buffer
    raw.name = name
    line_buffering = buffered and (raw.isatty() or fd == 2)
    stream = io.TextIOWrapper(
        buffer,
        ENCODING,
        "backslashreplace" if fd == 2 else ERRORS,
        "\n",
        line_buffering,
        not buffered,
    )
    stream.mode = "w" if write else "r"
    return stream


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker ends this server, through the socket
    preload()
    # what the preload made stays where it is: the children's collections skip it, instead of
    # touching (and so copying) every page of it (the gc module's advice for fork without exec)
    gc.freeze()
    control.send(b"ready")
    request = serve(control)
    become(request)
    import runpy

    # SystemExit leaves through here, so the child ends as an interpreter does: flushing its
    # streams, reporting what cannot be flushed, with the status the run chose
    runpy.run_module(request.module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
