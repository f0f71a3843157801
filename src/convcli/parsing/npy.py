"""NumPy ``.npy`` files: read without pickles, memory-mapped when large, checked against the
file's size and the memory before anything is allocated."""

from __future__ import annotations

import math
import os
import tokenize

import numpy as np

from convcli import numeric
from convcli.errors import ParseError
from convcli.model import Kind
from convcli.text import cell_text, dims_text

from .source import os_reason, shown

__all__ = ["NPY_MAGIC", "load_npy"]

NPY_MAGIC = b"\x93NUMPY"
# .npy files larger than this are memory-mapped rather than read into memory
_MMAP_BYTES = 64 * 2**20


def load_npy(path: str | os.PathLike[str], *, source: str) -> np.ndarray:
    """Read a NumPy ``.npy`` file without pickles, memory-mapped when large.

    bool and integers become int64 (uint64 values beyond int64 become exact Python ints),
    floats float64 and complex numbers complex128; a float64 array is returned without a copy.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
                f.seek(0)
                hint = " (a .npz archive; save one array with numpy.save)" if f.read(2) == b"PK" else ""
                raise ParseError(f"expected a NumPy .npy file, found no .npy header{hint}", source=source)
            f.seek(0)
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            data_bytes = size - f.tell()
    except OSError as exc:
        raise ParseError(f"cannot read the file: {os_reason(exc)}", source=source) from None
    except (ValueError, SyntaxError, TypeError, tokenize.TokenError, RecursionError) as exc:
        # numpy reads the header's dictionary with Python's tokenizer, which has errors of its own
        reason = shown(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 100)
        raise ParseError(
            f"expected a .npy file written by numpy.save, found a damaged header ({reason})",
            source=source,
        ) from None
    if dtype.kind not in "biufc":
        raise ParseError(
            f"holds {_dtype_words(dtype)} (dtype {dtype}); expected numbers: bool, integer, float or complex",
            source=source,
        )
    # the header's word is checked against the file and the memory before anything is allocated
    if any(n < 0 for n in shape):
        raise ParseError(
            f"expected a .npy file written by numpy.save, found a damaged header (shape {shape})",
            source=source,
        )
    if math.prod(shape) == 0:
        raise ParseError(
            f"expected at least one number, found an empty array of shape {tuple(shape)}", source=source
        )
    need = math.prod(shape) * dtype.itemsize
    if need > data_bytes:
        raise ParseError(
            f"cannot read the array of shape {_shape_text(shape)} (its header asks for {need:,} bytes of "
            f"{dtype.name}, the file holds {max(data_bytes, 0):,}); "
            "expected a complete .npy file (is it truncated?)",
            source=source,
        )
    numeric.check_allocation(tuple(shape), _NPY_KINDS[dtype.kind], f"the array in {source}")
    try:
        array = np.load(path, mmap_mode="r" if size > _MMAP_BYTES else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ParseError(
            f"cannot read the array of shape {_shape_text(shape)} ({exc}); "
            "expected a complete .npy file (is it truncated?)",
            source=source,
        ) from None
    return _npy_numbers(array, source)


def _shape_text(shape: tuple[int, ...]) -> str:
    return dims_text(shape) if shape else "() (a single number)"


def _dtype_words(dtype: np.dtype) -> str:
    return {
        "O": "Python objects",
        "U": "strings",
        "S": "byte strings",
        "V": "records",
        "M": "dates",
        "m": "time spans",
    }.get(dtype.kind, "non-numbers")


_NPY_KINDS = {"b": Kind.INTEGER, "i": Kind.INTEGER, "u": Kind.INTEGER, "f": Kind.FLOAT, "c": Kind.COMPLEX}


def _check_range(wide: np.ndarray, converted: np.ndarray, source: str) -> None:
    """Refuse a long double beyond float64's range as the text 1e999 is refused, rather than let
    it become inf: a finite value that is no longer finite."""
    with np.errstate(invalid="ignore"):
        lost = np.isfinite(wide) & ~np.isfinite(converted)
    if not lost.any():
        return
    flat = int(np.flatnonzero(lost.ravel())[0])
    where = cell_text(np.unravel_index(flat, wide.shape)) if wide.ndim else ""
    value = str(wide.ravel()[flat]).removeprefix("(").removesuffix(")")  # "(1e+4000+1j)"
    target = converted.dtype.name
    raise ParseError(
        f"the entry{' at ' + where if where else ''} ({value}) is too large for a {target} (the largest "
        "is about 1.8e308)",
        source=source,
    )


def _npy_numbers(array: np.ndarray, source: str) -> np.ndarray:
    kind = array.dtype.kind
    if kind == "b":
        array = array.astype(np.int64)
    elif kind == "u" and array.dtype.itemsize == 8:
        if array.size and array.max() > numeric.INT64_MAX:
            array = array.astype(object)  # exact Python ints
        else:
            array = array.astype(np.int64)
    elif kind in "iu":
        array = array.astype(np.int64, copy=False)
    else:
        target = np.float64 if kind == "f" else np.complex128
        wide = array.dtype.itemsize > np.dtype(target).itemsize  # long double
        # over, invalid: a long double too large becomes inf (and a complex one inf+nanj), and a
        # bit pattern that is no number nan, without a warning; too large is found below
        with np.errstate(over="ignore", invalid="ignore"):
            converted = array.astype(target, copy=False)
        if wide:
            _check_range(array, converted, source)
        array = converted
    if isinstance(array, np.memmap):
        array = array.view(np.ndarray)
    if array.ndim == 0:
        return array.reshape(1, 1)
    if array.size == 0:
        raise ParseError(
            f"expected at least one number, found an empty array of shape {array.shape}",
            source=source,
        )
    return array
