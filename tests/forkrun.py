"""Real ``python -m convcli`` processes for the tests, forked from a preloaded interpreter.

Starting a new interpreter and importing numpy, typer and convcli costs a run about 0.3 s of CPU,
nearly all of a small run's time. Each test worker starts one fork server (tests/forkserver.py)
the first time a test asks for a process; it has imported what a run imports before it reads its
arguments, and forks a child per run that becomes what a new ``python -m convcli ARGS`` would be
(see forkserver.become). ``popen``, ``run`` and ``spawn`` stand in for subprocess.Popen,
subprocess.run and pexpect.spawn, and decide in one place (``exec_reason``) when a run must be a
real new process instead: when its environment changes what the interpreter reads as it starts,
when the program is not convcli, or when a preexec_fn must run in the child.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import io
import itertools
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

CONVCLI = [sys.executable, "-m", "convcli"]
PIPE, DEVNULL, STDOUT = subprocess.PIPE, subprocess.DEVNULL, subprocess.STDOUT
SERVER = Path(__file__).resolve().with_name("forkserver.py")


class _Closed:
    def __repr__(self) -> str:
        return "CLOSED"


CLOSED: Any = _Closed()
"""A standard stream the child starts without (``>&-`` in a shell)."""

# What a new interpreter reads from its environment before the first line of convcli runs, and
# so what a forked child cannot change: Python's own variables and the locale (start-up), HOME
# (the user's site-packages), TZ (the time module), and what numpy, its BLAS and typer read as
# they are imported.
STARTUP_VARIABLES = ("LANG", "LANGUAGE", "HOME", "TZ")
STARTUP_PREFIXES = ("PYTHON", "LC_", "NPY_", "OPENBLAS_", "OMP_", "GOTO", "MKL_", "TYPER_", "_TYPER_")


def _read_at_startup(name: str) -> bool:
    return name in STARTUP_VARIABLES or name.startswith(STARTUP_PREFIXES)


def _startup_environment(env: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if _read_at_startup(name)}


def inherited_environment() -> dict[str, str]:
    """What a new process started with env=None gets: the C library's environment, which
    os.environ does not always show (GNU readline, loaded with pdb, exports LINES and COLUMNS)."""
    import ctypes

    environ = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
    found = {}
    entries = (environ[i] for i in itertools.count())
    for entry in itertools.takewhile(lambda entry: entry is not None, entries):
        name, _, value = entry.partition(b"=")
        found[os.fsdecode(name)] = os.fsdecode(value)
    return found


def default_sigint() -> None:
    """In a new process: Ctrl-C as on a terminal, even when this worker was started with SIGINT
    ignored (as background jobs are), which Python would otherwise honour by never raising.
    A forked child gets the same (forkserver.become)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class _Server:
    """This worker's fork server: the process, and our end of its socket pair."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.owner = os.getpid()
        self.environment = _startup_environment(inherited_environment())
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        theirs.close()
        self.control = ours
        ours.settimeout(120)
        try:
            self.ready = ours.recv(16) == b"ready"
        except OSError:
            self.ready = False
        ours.settimeout(None)
        if not self.ready:
            self.close()

    def close(self) -> None:
        self.control.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_server: _Server | None = None


def server() -> _Server | None:
    """This worker's fork server, started on first use; None where it cannot start."""
    global _server
    if _server is None or _server.owner != os.getpid():
        _server = _Server()
    return _server if _server.ready else None


@atexit.register
def shutdown() -> None:
    """End the fork server (conftest calls this when the tests end)."""
    global _server
    if _server is not None and _server.owner == os.getpid() and _server.ready:
        _server.close()
    _server = None


def exec_reason(
    args: Sequence[str], env: Mapping[str, str] | None, preexec_fn: Callable[[], None] | None = None
) -> str | None:
    """Why this run must be a real new process (None: it may be forked). The one place that
    decides it."""
    if list(args[: len(CONVCLI)]) != CONVCLI:
        return "the program is not python -m convcli"
    if preexec_fn is not None:
        return "a preexec_fn runs in the new process"
    asked = _startup_environment(inherited_environment() if env is None else env)
    start = server()
    if start is None:
        return "no fork server could start"
    if asked != start.environment:
        changed = sorted(set(asked.items()) ^ set(start.environment.items()))
        return f"the environment changes what the interpreter reads at start-up: {sorted({k for k, _ in changed})}"
    return None


def _umask() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    raise RuntimeError("no Umask in /proc/self/status")


def _fd_of(target: Any) -> int:
    return target if isinstance(target, int) else target.fileno()


class Process:
    """A forked convcli run, as subprocess.Popen presents a child: pid, returncode (negative for
    a signal), poll, wait, communicate, send_signal, terminate, kill, and stdin, stdout and stderr
    as file objects where PIPE was asked for."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        stdin: Any = None,
        stdout: Any = None,
        stderr: Any = None,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        text: bool = False,
        encoding: str | None = None,
        errors: str | None = None,
        new_session: bool = False,
        controlling_terminal: bool = False,
    ) -> None:
        start = server()
        assert start is not None, "no fork server: use popen(), which falls back to a real process"
        self.args = list(args)
        assert self.args[:2] == [sys.executable, "-m"] and len(self.args) > 2, "python -m MODULE only"
        self.returncode: int | None = None
        self.maxrss: int | None = None  # KiB, as getrusage gives it
        self.text_mode = bool(text or encoding or errors)
        self.stdin: Any = None
        self.stdout: Any = None
        self.stderr: Any = None
        ours: dict[int, int] = {}  # our ends of the pipes, by the child's slot
        theirs: dict[int, int] = {}  # what the child's slots get
        opened: list[int] = []  # descriptors opened here for the child, closed once it has them
        for slot, target in ((0, stdin), (1, stdout), (2, stderr)):
            if target is CLOSED:
                continue
            if target is None:
                try:
                    fcntl.fcntl(slot, fcntl.F_GETFD)
                except OSError:  # closed here: closed in a new process too
                    continue
                theirs[slot] = slot
            elif target == PIPE:
                read_end, write_end = os.pipe()
                ours[slot], theirs[slot] = (write_end, read_end) if slot == 0 else (read_end, write_end)
                opened.append(theirs[slot])
            elif target == DEVNULL:
                theirs[slot] = os.open(os.devnull, os.O_RDWR)
                opened.append(theirs[slot])
            elif target == STDOUT:
                assert slot == 2 and 1 in theirs, "stderr=STDOUT needs stdout open"
                theirs[slot] = theirs[1]
            else:
                theirs[slot] = _fd_of(target)
        request = {
            "module": self.args[2],
            "args": self.args[3:],
            "cwd": os.fspath(cwd) if cwd is not None else os.getcwd(),
            "env": inherited_environment() if env is None else dict(env),
            "umask": _umask(),
            "slots": sorted(theirs),
            "new_session": new_session,
            "controlling_terminal": controlling_terminal,
        }
        self._conn, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            socket.send_fds(
                start.control,
                [json.dumps(request).encode()],
                [child_end.fileno(), *(theirs[slot] for slot in sorted(theirs))],
            )
        finally:
            child_end.close()
            for fd in opened:
                os.close(fd)
        message, fds, _, _ = socket.recv_fds(self._conn, 4096, 1)
        reply = json.loads(message) if message else {"error": "the fork server has gone"}
        if "error" in reply:
            for fd in ours.values():
                os.close(fd)
            raise OSError(errno.EAGAIN, f"cannot start {self.args}: {reply['error']}")
        self.pid: int = reply["pid"]
        self._pidfd = fds[0]
        for slot, fd in ours.items():
            stream: Any = open(fd, "wb" if slot == 0 else "rb")
            if self.text_mode:
                stream = io.TextIOWrapper(stream, encoding, errors, write_through=slot == 0)
            setattr(self, ("stdin", "stdout", "stderr")[slot], stream)

    def __repr__(self) -> str:
        return f"<forked convcli: returncode: {self.returncode} args: {self.args!r}>"

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in (self.stdout, self.stderr, self.stdin):
            if stream is not None:
                try:
                    stream.close()
                except BrokenPipeError:
                    pass
        self.wait()

    def __del__(self) -> None:
        if getattr(self, "_pidfd", None) is not None:
            self._close()

    def _close(self) -> None:
        os.close(self._pidfd)
        self._pidfd = None
        self._conn.close()

    def _ended(self, message: bytes) -> int:
        if not message:
            raise RuntimeError(f"the fork server went away while {self.args} ran")
        reply = json.loads(message)
        self.returncode = os.waitstatus_to_exitcode(reply["status"])
        self.maxrss = reply["maxrss"]
        self._close()
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._conn], [], [], 0)[0]:
            self._ended(self._conn.recv(4096))
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None:
            return self.returncode
        if not select.select([self._conn], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]
        return self._ended(self._conn.recv(4096))

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                signal.pidfd_send_signal(self._pidfd, sig)
            except ProcessLookupError:  # it has ended; the server has its status
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, input: str | bytes | None = None, timeout: float | None = None) -> tuple[Any, Any]:
        """Send ``input``, read stdout and stderr to their ends, wait; as Popen.communicate (which
        also reads the descriptors, past anything a buffered read took in before)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = b""
        writer = None
        if self.stdin is not None and not self.stdin.closed:
            if input:
                pending = input.encode(self.stdin.encoding, self.stdin.errors) if self.text_mode else input
                writer = self.stdin.fileno()
            try:
                self.stdin.flush()
            except BrokenPipeError:
                pass
            if writer is None:
                self.stdin.close()
        chunks: dict[str, list[bytes]] = {}
        readers: dict[int, str] = {}
        for name in ("stdout", "stderr"):
            stream = getattr(self, name)
            if stream is not None and not stream.closed:
                chunks[name] = []
                readers[stream.fileno()] = name
        while readers or writer is not None:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]
            readable, writable, _ = select.select(
                list(readers), [] if writer is None else [writer], [], remaining
            )
            for fd in readable:
                chunk = os.read(fd, 65536)
                if chunk:
                    chunks[readers[fd]].append(chunk)
                else:
                    getattr(self, readers.pop(fd)).close()
            if writable:
                try:
                    pending = pending[os.write(writable[0], pending[:65536]) :]
                except BrokenPipeError:
                    pending = b""
                if not pending:
                    self.stdin.close()
                    writer = None
        self.wait(None if deadline is None else max(deadline - time.monotonic(), 0))
        results: list[Any] = []
        for name in ("stdout", "stderr"):
            if name not in chunks:
                results.append(None)
                continue
            data = b"".join(chunks[name])
            stream = getattr(self, name)
            results.append(_decoded(data, stream) if self.text_mode else data)
        return results[0], results[1]


def _decoded(data: bytes, stream: io.TextIOWrapper) -> str:
    return data.decode(stream.encoding, stream.errors).replace("\r\n", "\n").replace("\r", "\n")


def _closing(slots: list[int], preexec_fn: Callable[[], None] | None) -> Callable[[], None]:
    """What a real new process runs before exec: the Ctrl-C of a terminal (default_sigint),
    ``slots`` closed (CLOSED), and the test's own preexec_fn."""

    def prepare() -> None:
        default_sigint()
        for slot in slots:
            os.close(slot)
        if preexec_fn is not None:
            preexec_fn()

    return prepare


def popen(
    args: Sequence[str], *, preexec_fn: Callable[[], None] | None = None, **options: Any
) -> Process | subprocess.Popen:
    """subprocess.Popen(args, **options) for the options Process takes (stdin, stdout, stderr,
    cwd, env, text, encoding, errors); a forked Process unless exec_reason says otherwise. Either
    way the child's SIGINT raises KeyboardInterrupt, and CLOSED leaves a stream closed."""
    if exec_reason(args, options.get("env"), preexec_fn) is None:
        return Process(args, **options)
    names = ("stdin", "stdout", "stderr")
    closed = [slot for slot, name in enumerate(names) if options.get(name) is CLOSED]
    options.update({names[slot]: None for slot in closed})
    return subprocess.Popen(list(args), preexec_fn=_closing(closed, preexec_fn), **options)


def run(
    args: Sequence[str],
    *,
    input: str | bytes | None = None,
    capture_output: bool = False,
    timeout: float | None = None,
    check: bool = False,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess:
    """subprocess.run, through popen."""
    if input is not None:
        assert stdin is None, "input and stdin both given"
        stdin = PIPE
    if capture_output:
        assert stdout is None and stderr is None, "capture_output with stdout or stderr"
        stdout = stderr = PIPE
    with popen(args, stdin=stdin, stdout=stdout, stderr=stderr, **kwargs) as proc:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        except BaseException:
            proc.kill()
            raise
        code = proc.poll()
        assert code is not None
    if check and code:
        raise subprocess.CalledProcessError(code, list(args), out, err)
    return subprocess.CompletedProcess(list(args), code, out, err)


def peak_kib(proc: Process | subprocess.Popen) -> int:
    """Wait for ``proc``; the most memory it held at once (ru_maxrss, KiB). Its pipes are left
    for the caller to read."""
    if isinstance(proc, Process):
        proc.wait()
        assert proc.maxrss is not None
        return proc.maxrss
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss


def _pexpect() -> Any:
    import pexpect
    import pexpect.fdpexpect

    return pexpect


class _Terminal:
    """spawn's child on a pseudo-terminal (built on first use: pexpect is the test extra)."""

    cls: Any = None

    @classmethod
    def make(cls) -> Any:
        if cls.cls is None:
            pexpect = _pexpect()

            class ForkedSpawn(pexpect.fdpexpect.fdspawn):
                """pexpect.spawn's view of a forked child on a pseudo-terminal: EOF once it has
                ended (EIO on the controller), its exit status or signal once closed."""

                def __init__(self, controller: int, proc: Process, **kwargs: Any) -> None:
                    super().__init__(controller, **kwargs)
                    self.proc = proc
                    self.pid = proc.pid
                    self.exitstatus: int | None = None
                    self.signalstatus: int | None = None
                    self.status: int | None = None

                def sendintr(self) -> None:
                    """The terminal's interrupt character, which its line discipline turns into
                    SIGINT for the foreground process group."""
                    self.send(bytes([termios.tcgetattr(self.child_fd)[6][termios.VINTR][0]]).decode())

                def _update(self) -> None:
                    code = self.proc.returncode
                    if code is not None:
                        self.exitstatus, self.signalstatus = (code, None) if code >= 0 else (None, -code)
                        self.status = code

                def isalive(self) -> bool:
                    alive = self.proc.poll() is None
                    self._update()
                    return alive

                def wait(self) -> int | None:
                    self.proc.wait()
                    self._update()
                    return self.exitstatus

                def kill(self, sig: int) -> None:
                    self.proc.send_signal(sig)

                def terminate(self, force: bool = False) -> bool:
                    self.proc.send_signal(signal.SIGKILL if force else signal.SIGTERM)
                    self.proc.wait()
                    self._update()
                    return True

                def close(self, force: bool = True) -> None:
                    """Close the controller (a child still running gets SIGHUP), then wait."""
                    super().close()
                    try:
                        self.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        if not force:
                            raise
                        self.proc.kill()
                        self.proc.wait()
                    self._update()

            cls.cls = ForkedSpawn
        return cls.cls


def spawn(command: str, args: Sequence[str] = (), **options: Any) -> Any:
    """pexpect.spawn(command, args, **options) for the options forked_spawn takes (cwd, env,
    dimensions, encoding, timeout); a forked child unless exec_reason says otherwise."""
    argv = [command, *args]
    if exec_reason(argv, options.get("env")) is not None:
        return _pexpect().spawn(command, list(args), preexec_fn=default_sigint, **options)
    return forked_spawn(argv, **options)


def forked_spawn(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    dimensions: tuple[int, int] = (24, 80),
    encoding: str | None = None,
    timeout: float = 30,
) -> Any:
    """``python -m MODULE ...`` forked onto a new pseudo-terminal of ``dimensions`` (rows,
    columns), its controlling terminal, in a session of its own; what exec_reason would say is
    not asked (tests/test_forkrun.py compares it with pexpect.spawn)."""
    controller, terminal = os.openpty()
    try:
        rows, cols = dimensions
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        proc = Process(
            argv,
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            cwd=cwd,
            env=env,
            new_session=True,
            controlling_terminal=True,
        )
    except BaseException:
        os.close(controller)
        raise
    finally:
        os.close(terminal)
    return _Terminal.make()(controller, proc, encoding=encoding, timeout=timeout)
