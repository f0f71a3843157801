"""Coverage-guided fuzz target for convcli's matrix readers (atheris / libFuzzer).

Every input is split by a FuzzedDataProvider into a choice of entry point, the --exact flag and
the payload. The payload goes to one of:

  0  parsing.parse_text              (text grid, as str)
  1  parsing.parse_json              (JSON, as str)
  2  parsing.parse_inline            (inline literal, as str)
  3  parsing.read_matrix on a .txt   file holding the raw bytes
  4  parsing.read_matrix on a .json  file holding the raw bytes
  5  parsing.read_matrix on a .npy   file: the .npy magic, then the raw bytes (a damaged header)
  6  parsing.read_matrix on a .npy   file with a well-formed header built from the payload
                                     (dtype, order, shape) followed by the remaining bytes
  7  parsing.read_matrix("-")        with the raw bytes on standard input
  8  parsing.read_matrix(arg)        for an argument string that is not an existing path
                                     (inline literals and named kernels)

ConvcliError (and its subclasses) is the expected way to refuse an input. Anything else that
escapes is a crash: it is re-raised so that libFuzzer saves the input. See fuzz/README.md.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["convcli"]):
    from convcli import parsing
    from convcli.errors import ConvcliError

_DIR = tempfile.mkdtemp(prefix="convcli-fuzz-")
_ENTRIES = 9
# keep single runs short: libFuzzer's -max_len bounds the input, this bounds the .npy shapes
_MAX_DIM = 1 << 40
_DTYPES = [
    "<i8",
    ">i8",
    "<u8",
    ">u8",
    "<i4",
    "|i1",
    "|u1",
    "|b1",
    "<f8",
    ">f8",
    "<f4",
    "<f2",
    "<c16",
    "<c8",
    ">c16",
    "|O",
    "<U3",
    "|S2",
    "|V8",
    "<M8[s]",
    "<m8[s]",
    "<f16",
    "<c32",
]


def _file(suffix: str, data: bytes) -> str:
    path = os.path.join(_DIR, "m" + suffix)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _npy_with_header(fdp: atheris.FuzzedDataProvider) -> bytes:
    dtype = _DTYPES[fdp.ConsumeIntInRange(0, len(_DTYPES) - 1)]
    fortran = fdp.ConsumeBool()
    ndim = fdp.ConsumeIntInRange(0, 4)
    shape = tuple(
        fdp.ConsumeIntInRange(0, _MAX_DIM) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(0, 5)
        for _ in range(ndim)
    )
    header = repr({"descr": dtype, "fortran_order": fortran, "shape": shape}).encode("latin-1")
    version = fdp.ConsumeIntInRange(1, 3)
    prefix = 10 if version == 1 else 12
    total = prefix + len(header) + 1
    header += b" " * ((64 - total % 64) % 64) + b"\n"
    if version == 1:
        head = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
    else:
        head = b"\x93NUMPY" + bytes([version, 0]) + len(header).to_bytes(4, "little")
    return head + header + fdp.ConsumeBytes(fdp.remaining_bytes())


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    entry = fdp.ConsumeIntInRange(0, _ENTRIES - 1)
    exact = fdp.ConsumeBool()
    try:
        if entry == 0:
            parsing.parse_text(
                fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes()), source="A.txt", exact=exact
            )
        elif entry == 1:
            parsing.parse_json(
                fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes()), source="A.json", exact=exact
            )
        elif entry == 2:
            parsing.parse_inline(
                fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes()), source="A (inline)", exact=exact
            )
        elif entry == 3:
            parsing.read_matrix(_file(".txt", fdp.ConsumeBytes(fdp.remaining_bytes())), exact=exact)
        elif entry == 4:
            parsing.read_matrix(_file(".json", fdp.ConsumeBytes(fdp.remaining_bytes())), exact=exact)
        elif entry == 5:
            payload = b"\x93NUMPY" + fdp.ConsumeBytes(fdp.remaining_bytes())
            parsing.read_matrix(_file(".npy", payload), exact=exact)
        elif entry == 6:
            parsing.read_matrix(_file(".npy", _npy_with_header(fdp)), exact=exact)
        elif entry == 7:
            stream = io.TextIOWrapper(io.BytesIO(fdp.ConsumeBytes(fdp.remaining_bytes())), encoding="utf-8")
            parsing.read_matrix("-", stdin=stream, exact=exact)
        else:
            arg = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
            if "\x00" in arg or os.path.lexists(arg):
                return  # an existing path would make the fuzzer read the machine's files
            parsing.read_matrix(arg, name="B", exact=exact)
    except ConvcliError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
