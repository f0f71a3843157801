"""Writing results: whole files or nothing, special files, and standard output.

Nothing here decides an exit status. A problem is a ConvcliError (an OutputError when the
system refused: a full disk, a permission, a closed standard output), and a reader that went
away early is reported back to the command line (the cli package), which decides what that means for the run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

from .errors import OutputError, UsageError

__all__ = ["Document", "Payload", "write_file", "to_stdout", "stdout_is_terminal", "for_terminal"]


class Document(Protocol):
    """A formatted output that writes itself into a file (arraytext.Npy, arraytext.TextStream), so
    that it is never held whole."""

    @property
    def binary(self) -> bool: ...

    def write_to(self, handle: BinaryIO) -> None: ...


# str is text (written as UTF-8), bytes is text already encoded for where it goes
Payload = str | bytes | Document


def _writer(payload: Payload) -> tuple[Callable[[BinaryIO], object], bool]:
    """How to write ``payload``, and whether it is binary (only useful whole)."""
    if isinstance(payload, str):
        data = payload.encode()
        return (lambda handle: handle.write(data)), False
    if isinstance(payload, bytes):
        return (lambda handle: handle.write(payload)), False
    return payload.write_to, payload.binary


class _Counted:
    """A binary handle that counts what went through it.

    Not a file object, so numpy writes an array through write() in chunks instead of tofile(),
    which cannot write to a pipe and reports a full disk without its errno.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.written = 0

    def write(self, data: bytes) -> int:
        self._handle.write(data)
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        self._handle.flush()


def write_file(path: Path, payload: Payload, inputs: list[str], option: str = "--output") -> None:
    """Write ``payload`` to ``path`` through a temporary file in the same folder, then rename.

    An existing file is replaced only once the new one is complete, and never when it is one of
    the ``inputs`` (arguments as given, "-" for standard input) or when it is read-only.
    """
    write, binary = _writer(payload)
    if _special_file(path):
        _write_in_place(path, write, binary, option)
        return
    target = path.resolve()
    _check_folder(path, target, option)
    existing = _existing(path, target, option)
    if existing is not None:
        _refuse_inputs(existing, inputs, path, option)
        if not existing.st_mode & 0o222 or not os.access(target, os.W_OK):
            which = "read-only" if not existing.st_mode & 0o222 else "not writable by you"
            raise UsageError(
                f'{option}: "{path}" is {which} (permission denied); convcli replaces only a file it may '
                "write to: make it writable, or choose another FILE"
            )
    tmp: str | None = None
    fd: int | None = None
    made = False
    try:
        # each name is recorded before its file exists: a Ctrl-C or SIGTERM from here on, even
        # the instant after the file is made, finds the name to remove (mkstemp returns it later)
        for _ in range(100):
            tmp = os.path.join(target.parent, f".{target.name}.{os.urandom(8).hex()}.part")
            try:
                fd = _create(tmp)
            except FileExistsError:  # someone else's file (64 random bits: not in practice)
                tmp = None
                continue
            break
        if fd is None or tmp is None:
            raise FileExistsError(errno.EEXIST, "every name tried was taken")
        made = True
        os.fchmod(fd, _file_mode(existing))
        handle, fd = os.fdopen(fd, "wb"), None  # the handle closes it
        with handle:
            write(_Counted(handle))  # type: ignore[arg-type]
        os.replace(tmp, target)
    except BaseException as exc:
        # also on Ctrl-C and SIGTERM: no half-written .part file is left behind
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):  # the signal came before the file
                os.unlink(tmp)
        if isinstance(exc, OSError):
            what = f'write "{path}"' if made else f'create a file in the folder "{path.parent}"'
            raise OutputError(f"{option}: cannot {what}: {_os_reason(exc)}") from None
        raise


def _create(name: str) -> int:
    """A new file, private to the user until it is complete (as mkstemp makes it)."""
    return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)


def _write_in_place(path: Path, write: Callable[[BinaryIO], object], binary: bool, option: str) -> None:
    """A device, a pipe or /dev/stdout: renaming a file over it would replace the device node (or
    the pipe) with a regular file, so it is written in place, and binary never to a terminal."""
    try:
        with open(path, "wb") as handle:
            if binary and handle.isatty():
                raise UsageError(
                    f'{option}: "{path}" is a terminal, and npy is binary, never written to a terminal; '
                    "give a FILE.npy, or a pipe"
                )
            write(_Counted(handle))  # type: ignore[arg-type]
    except OSError as exc:
        raise OutputError(f'{option}: cannot write "{path}": {_os_reason(exc)}') from None


def _check_folder(path: Path, target: Path, option: str) -> None:
    try:
        mode = os.stat(target.parent).st_mode
    except FileNotFoundError:
        raise UsageError(f'{option}: the folder "{path.parent}" does not exist') from None
    except NotADirectoryError:
        mode = 0
    except OSError as exc:
        raise OutputError(f'{option}: cannot reach the folder "{path.parent}": {_os_reason(exc)}') from None
    if not stat.S_ISDIR(mode):
        raise UsageError(f'{option}: "{path.parent}" is not a folder; expected FILE in an existing folder')


def _existing(path: Path, target: Path, option: str) -> os.stat_result | None:
    """The file that would be replaced, if there is one."""
    try:
        found = os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f'{option}: cannot write "{path}": {_os_reason(exc)}') from None
    if stat.S_ISDIR(found.st_mode):
        raise UsageError(f'{option}: "{path}" is a folder; expected FILE')
    return found


def _refuse_inputs(existing: os.stat_result, inputs: list[str], path: Path, option: str) -> None:
    """Refuse a target that is one of the inputs, compared as files (device and inode), so that
    another name for an input (a link, a path through /dev/stdin) or the file redirected to
    standard input is found too."""
    for given in inputs:
        found = _stdin_file() if given == "-" else _file_named(given)
        if found is not None and (found.st_dev, found.st_ino) == (existing.st_dev, existing.st_ino):
            which = 'the file on standard input ("-")' if given == "-" else "one of the inputs"
            raise UsageError(f'{option} "{path}" is {which}; convcli never overwrites its inputs')


def _file_named(given: str) -> os.stat_result | None:
    try:
        found = os.stat(given)
    except (OSError, ValueError):  # not a file (an inline matrix, a kernel name), or a NUL byte
        return None
    return found if stat.S_ISREG(found.st_mode) else None


def _stdin_file() -> os.stat_result | None:
    try:
        found = os.fstat(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):  # closed, or not a real file (a test runner's)
        return None
    return found if stat.S_ISREG(found.st_mode) else None


def _file_mode(existing: os.stat_result | None) -> int:
    """The permissions for the new file: the replaced file's (never its setuid, setgid or sticky
    bit), or what open() would give (mkstemp makes its files private to the user)."""
    if existing is not None:
        return stat.S_IMODE(existing.st_mode) & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _special_file(path: Path) -> bool:
    """Whether ``path`` names something other than a regular file or a new file: a device, a
    pipe, or one of the /dev and /proc aliases of an open file (/dev/stdout, /dev/fd/3)."""
    where = str(path.absolute())
    if where.startswith(("/proc/", "/dev/fd/")) or where in ("/dev/stdout", "/dev/stderr"):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


# ---------------------------------------------------------------------------------------------
# standard output


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (False when it was closed before the run: ``>&-``)."""
    return sys.stdout is not None and sys.stdout.isatty()


def to_stdout(payload: Payload) -> bool:
    """Write ``payload`` to stdout, whole; False when its reader went away before the end.

    A reader that stops reading text (``| head -1``) took what it wanted. A binary document is
    only useful whole, so one cut short is an OutputError, as is a full disk or a closed stdout.
    After a failure stdout points at /dev/null, so Python's flush at exit fails no second time.
    """
    if sys.stdout is None:
        raise OutputError(
            "standard output is closed, so the result has nowhere to go; give --output FILE, "
            "or run with standard output open"
        )
    write, binary = _writer(payload)
    if binary and sys.stdout.isatty():
        raise UsageError("npy is binary and is not written to a terminal; use --output FILE.npy")
    counted = _Counted(sys.stdout.buffer)
    try:
        sys.stdout.flush()
        write(counted)  # type: ignore[arg-type]
        counted.flush()
    except BrokenPipeError:
        _silence_stdout()
        if binary:
            raise OutputError(
                f"standard output was closed after {counted.written:,} bytes of the npy document: its "
                "reader stopped early, and npy is only useful whole"
            ) from None
        return False
    except OSError as exc:
        _silence_stdout()
        raise OutputError(f"cannot write to standard output: {_os_reason(exc)}") from None
    return True


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


# What a terminal that cannot show a character gets instead (PYTHONIOENCODING=ascii, a Latin-1
# locale). Never longer than one character where it may stand in an aligned grid (the ellipsis
# of a summarised matrix, the dot marking a padding cell) or in wrapped prose, so that columns
# stay aligned and lines within the width: "180°" reads as "180", "✓ right" as "right".
_FALLBACKS = {
    " · ": " | ",
    "·": "*",
    "…": "~",
    "•": "*",
    "×": "x",
    "−": "-",
    "—": "-",
    "σ": "s",
    "°": "",
    "✓ ": "",
    "✗ ": "",
    "✓": "v",
    "✗": "x",
    "→": "->",
    "²": "^2",
}


def for_terminal(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding``, drawn with plain characters where the encoding has no others."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        pass
    for char, plain in _FALLBACKS.items():
        try:
            char.strip().encode(encoding)
        except UnicodeEncodeError:
            text = text.replace(char, plain)
    return text.encode(encoding, errors="replace")
