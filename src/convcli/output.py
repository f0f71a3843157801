"""Writing results: whole files or nothing, special files, and standard output.

Nothing here decides an exit status: a problem is a ConvcliError, and a reader that went away
is reported back to cli.py, which decides what it means for the run.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from .errors import UsageError

__all__ = ["write_atomically", "to_stdout"]

Data = bytes | Callable[[BinaryIO], None]


def write_atomically(path: Path, data: Data, inputs: list[str], option: str = "--output") -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    An existing file is replaced only once the new one is complete; an input is never overwritten.
    """
    target = path.resolve()
    for given in inputs:
        if given != "-" and os.path.exists(given) and Path(given).resolve() == target:
            raise UsageError(f'{option} "{path}" is one of the inputs; convcli never overwrites its inputs')
    if _special_file(path):
        # a device, a pipe or /dev/stdout: renaming a file over it would replace the device
        # node (or the pipe) with a regular file, so write to it in place
        try:
            with open(path, "wb") as handle:
                _put(handle, data)
        except OSError as exc:
            raise UsageError(f'{option}: cannot write "{path}": {_os_reason(exc)}') from None
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
        raise UsageError(f'{option}: cannot write in "{path.parent}": {_os_reason(exc)}') from None
    try:
        os.fchmod(fd, _file_mode(target))
        with os.fdopen(fd, "wb") as handle:
            _put(handle, data)
        os.replace(tmp, target)
    except BaseException as exc:
        # also on Ctrl-C: no half-written .part file is left behind
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(f'{option}: cannot write "{path}": {_os_reason(exc)}') from None
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


def _put(handle: BinaryIO, data: Data) -> None:
    if callable(data):
        data(handle)
    else:
        handle.write(data)


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


def to_stdout(write: Callable[[BinaryIO], Any]) -> bool:
    """Write to stdout; False when its reader has gone away (``| head -1``).

    Stdout is then pointed at /dev/null, so that Python's flush at exit raises no second error.
    """
    try:
        write(sys.stdout.buffer)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return False
    return True
