"""Writing results: whole files or nothing, special files, and standard output.

Nothing here decides an exit status. A problem is a ConvcliError (an OutputError when the
system refused: a full disk, a permission, a closed standard output), and a reader that went
away early is reported back to cli.py, which decides what that means for the run.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

from .errors import OutputError, UsageError

__all__ = ["Document", "Payload", "write_file", "to_stdout", "stdout_is_terminal", "for_terminal"]


class Document(Protocol):
    """A formatted output that writes itself into a file (formats.Npy): never held whole."""

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

    An existing file is replaced only once the new one is complete; an input is never overwritten.
    """
    write, _ = _writer(payload)
    target = path.resolve()
    for given in inputs:
        if given != "-" and os.path.exists(given) and Path(given).resolve() == target:
            raise UsageError(f'{option} "{path}" is one of the inputs; convcli never overwrites its inputs')
    if _special_file(path):
        # a device, a pipe or /dev/stdout: renaming a file over it would replace the device
        # node (or the pipe) with a regular file, so write to it in place
        try:
            with open(path, "wb") as handle:
                write(_Counted(handle))  # type: ignore[arg-type]
        except OSError as exc:
            raise OutputError(f'{option}: cannot write "{path}": {_os_reason(exc)}') from None
        return
    folder = target.parent
    if not folder.is_dir():
        if folder.exists():
            raise UsageError(
                f'{option}: "{path.parent}" is not a folder; expected FILE in an existing folder'
            )
        raise UsageError(f'{option}: the folder "{path.parent}" does not exist')
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(f'{option}: cannot write in "{path.parent}": {_os_reason(exc)}') from None
    try:
        os.fchmod(fd, _file_mode(target))
        with os.fdopen(fd, "wb") as handle:
            write(_Counted(handle))  # type: ignore[arg-type]
        os.replace(tmp, target)
    except BaseException as exc:
        # also on Ctrl-C: no half-written .part file is left behind
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f'{option}: cannot write "{path}": {_os_reason(exc)}') from None
        raise


def _file_mode(target: Path) -> int:
    """The permissions for the new file: the replaced file's, or what open() would give (mkstemp
    makes its files private to the user)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
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
