"""Properties over random inputs (hypothesis).

1. Every output format convcli can read back (plain, csv, json, npy, and the write-up formats
   markdown and latex) reads back as the same matrix: integers beyond int64, fractions, floats
   to the last bit (nan, inf and -0.0 too) and complex numbers.
2. The sliding operations give the output sizes ``convcli.shapes`` predicts for any stride,
   padding and dilation, and the values of the definition.
3. The readers raise nothing but ConvcliError, whatever text or bytes they are given.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convcli import arraytext, formats, numeric, parsing, shapes
from convcli.errors import ConvcliError, ShapeError, UsageError
from convcli.model import Format, Kind, Mode, Op, OpOptions, Result, TransposeOptions
from convcli.ops import convolve, correlate
from convcli.transpose import conv_transpose

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# the round trip runs once per format and kind of number (24 cases): 30 examples each
ROUND_TRIP_SETTINGS = settings(SETTINGS, max_examples=30)

# ---------------------------------------------------------------------------------------------
# 1. round trips


def _shapes() -> st.SearchStrategy[tuple[int, ...]]:
    return st.one_of(
        st.tuples(st.integers(1, 6)),
        st.tuples(st.integers(1, 5), st.integers(1, 5)),
        st.tuples(st.integers(2, 3), st.integers(1, 4), st.integers(1, 4)),
    )


big_ints = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(10**40), 10**40),
    st.sampled_from([-(2**63), 2**63 - 1, 2**63, -(2**63) - 1, 2**64 - 1, 0]),
)
fractions = st.builds(
    Fraction, st.one_of(st.integers(-99, 99), st.integers(-(10**40), 10**40)), st.integers(1, 10**25)
)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
complexes = st.complex_numbers(allow_nan=True, allow_infinity=True, width=128)

KINDS = {
    Kind.INTEGER: big_ints,
    Kind.RATIONAL: fractions,
    Kind.FLOAT: floats,
    Kind.COMPLEX: complexes,
}


@st.composite
def arrays(draw: Any, kind: Kind) -> np.ndarray:
    shape = draw(_shapes())
    values = draw(st.lists(KINDS[kind], min_size=math.prod(shape), max_size=math.prod(shape)))
    if kind is Kind.RATIONAL:
        # one proper fraction at least, else the array is an integer one
        values[0] = Fraction(values[0].numerator * 2 + 1, 2)
    return numeric.array_of(values, shape)


def _same_number(x: Any, y: Any) -> bool:
    x, y = numeric.value_of(x), numeric.value_of(y)
    if isinstance(x, complex) or isinstance(y, complex):
        x, y = complex(x), complex(y)
        return _same_number(x.real, y.real) and _same_number(x.imag, y.imag)
    if isinstance(x, float) or isinstance(y, float):
        x, y = float(x), float(y)
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return x == y and math.copysign(1, x) == math.copysign(1, y)
    return x == y and type(x) in (int, Fraction) and type(y) in (int, Fraction)


def _text_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a text grid gives back: always 2-D as written (a vector is printed as one row,
    which reads back as a 1 x N matrix), and one block is a matrix."""
    if len(shape) == 3 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) == 1:
        shape = (1, *shape)
    return shape


def assert_same(back: np.ndarray, original: np.ndarray, shape: tuple[int, ...]) -> None:
    assert back.shape == shape
    assert numeric.kind_of(back) is numeric.kind_of(original) or (
        # fractions that are all whole numbers read back as integers
        numeric.kind_of(original) is Kind.RATIONAL
        and all(Fraction(v).denominator == 1 for v in original.flat)
    )
    assert all(_same_number(x, y) for x, y in zip(back.flat, original.flat, strict=True)), (back, original)


def _result(value: np.ndarray) -> Result:
    return Result(Op.CORRELATE, value, numeric.kind_of(value), value.shape, (1,), OpOptions())


def _write(data: str | bytes, suffix: str) -> str:
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def _read_back(data: str | bytes, fmt: Format) -> list[np.ndarray]:
    """The output read back by the function for its format, and by read_matrix from a file."""
    suffix = {
        Format.PLAIN: ".txt",
        Format.CSV: ".csv",
        Format.JSON: ".json",
        Format.NPY: ".npy",
        Format.MARKDOWN: ".md",
        Format.LATEX: ".tex",
    }[fmt]
    path = _write(data, suffix)
    try:
        from_file = parsing.read_matrix(path)
        if fmt is Format.NPY:
            direct = parsing.load_npy(path, source="r.npy")
        elif fmt is Format.JSON:
            assert isinstance(data, str)
            direct = parsing.parse_json(data, source="r.json")
        elif fmt in (Format.MARKDOWN, Format.LATEX):
            assert isinstance(data, str)
            direct = parsing.read_matrix("-", stdin=io.StringIO(data))
        else:
            assert isinstance(data, str)
            direct = parsing.parse_text(data, source="r.txt")
        return [np.array(direct), np.array(from_file)]
    finally:
        os.unlink(path)


@pytest.mark.parametrize(
    "fmt", [Format.PLAIN, Format.CSV, Format.JSON, Format.NPY, Format.MARKDOWN, Format.LATEX]
)
@pytest.mark.parametrize("kind", list(KINDS))
@settings(ROUND_TRIP_SETTINGS)
@given(data=st.data())
def test_every_readable_format_reads_back_the_same_matrix(fmt, kind, data):
    a = data.draw(arrays(kind))
    if fmt is Format.NPY and a.dtype == object:
        # exact values beyond int64 and fractions have no .npy form: refused, never rounded
        with pytest.raises(UsageError, match="npy"):
            formats.format_result(_result(a), fmt)
        return
    out = formats.format_result(_result(a), fmt)
    if fmt is Format.NPY:
        out = out.to_bytes() if hasattr(out, "to_bytes") else out
    shape = a.shape if fmt in (Format.JSON, Format.NPY) else _text_shape(a.shape)
    for back in _read_back(out, fmt):
        assert_same(back, a, shape)


@SETTINGS
@given(a=arrays(Kind.INTEGER), exact=st.booleans())
def test_plain_output_pipes_into_stdin(a, exact):
    """``convcli ... | convcli correlate - B``: plain output read from standard input."""
    text = formats.format_result(_result(a), Format.PLAIN)
    assert isinstance(text, str)
    stream = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")
    assert_same(parsing.read_matrix("-", stdin=stream, exact=exact), a, _text_shape(a.shape))


@SETTINGS
@given(values=st.lists(floats, min_size=1, max_size=8))
def test_float_text_is_repr_exact(values):
    a = np.array(values, dtype=np.float64)
    back = parsing.parse_text(arraytext.matrix_plain(a), source="r.txt")
    assert back.dtype == np.float64
    assert back.shape == (1, len(values))
    assert back.tobytes() == a.tobytes() or np.isnan(a).any()  # nan payloads are not kept
    assert all(_same_number(x, y) for x, y in zip(back.flat, a, strict=True))


# ---------------------------------------------------------------------------------------------
# 2. operations: sizes as predicted and values as defined


def _reference(op: Op, a: np.ndarray, b: np.ndarray, stride, padding, dilation) -> np.ndarray:
    """The definition, in Python ints: pad with zeros, dilate, slide, sample with the stride."""
    k = b[::-1, ::-1] if op is Op.CONVOLVE else b
    padded = np.zeros((a.shape[0] + 2 * padding[0], a.shape[1] + 2 * padding[1]), dtype=object)
    padded[padding[0] : padding[0] + a.shape[0], padding[1] : padding[1] + a.shape[1]] = a.astype(object)
    ext = [(k.shape[i] - 1) * dilation[i] + 1 for i in range(2)]
    rows = range(0, padded.shape[0] - ext[0] + 1, stride[0])
    cols = range(0, padded.shape[1] - ext[1] + 1, stride[1])
    out = np.zeros((len(rows), len(cols)), dtype=object)
    for r, i in enumerate(rows):
        for c, j in enumerate(cols):
            out[r, c] = sum(
                int(padded[i + u * dilation[0], j + v * dilation[1]]) * int(k[u, v])
                for u in range(k.shape[0])
                for v in range(k.shape[1])
            )
    return out


pairs = st.tuples(st.integers(1, 3), st.integers(1, 3))


@SETTINGS
@given(
    a_shape=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    b_shape=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=pairs,
    dilation=pairs,
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    op=st.sampled_from([Op.CONVOLVE, Op.CORRELATE]),
    seed=st.integers(0, 2**32 - 1),
)
def test_layer_geometry_output_sizes_and_values(a_shape, b_shape, stride, dilation, padding, op, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-9, 10, size=a_shape)
    b = rng.integers(-9, 10, size=b_shape)
    options = OpOptions(stride=stride, dilation=dilation, padding=padding)
    fn = convolve if op is Op.CONVOLVE else correlate
    try:
        predicted = tuple(
            shapes.output_size(a_shape[i], b_shape[i], stride[i], padding[i], dilation[i]) for i in range(2)
        )
    except ShapeError:
        with pytest.raises(ShapeError):
            fn(a, b, options)
        return
    result = fn(a, b, options)
    assert result.shape == predicted
    assert result.value.tolist() == _reference(op, a, b, stride, padding, dilation).tolist()


@SETTINGS
@given(
    m=st.integers(1, 12),
    k=st.integers(1, 12),
    mode=st.sampled_from(list(Mode)),
    stride=st.integers(1, 4),
    op=st.sampled_from([Op.CONVOLVE, Op.CORRELATE]),
)
def test_mode_output_sizes(m, k, mode, stride, op):
    a = np.arange(1, m + 1)
    b = np.arange(1, k + 1)
    fn = convolve if op is Op.CONVOLVE else correlate
    full = m + k - 1
    expected = {Mode.FULL: full, Mode.SAME: m, Mode.VALID: max(m, k) - min(m, k) + 1}[mode]
    if mode is Mode.VALID and k > m and stride > 1:
        # with a stride, torch's rule: the kernel must fit inside the input
        with pytest.raises(ShapeError):
            fn(a, b, OpOptions(mode=mode, stride=stride))
        return
    result = fn(a, b, OpOptions(mode=mode, stride=stride))
    assert result.shape == (-(-expected // stride),)


@SETTINGS
@given(
    i=st.integers(1, 6),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    a=st.integers(0, 2),
)
def test_conv_transpose_sizes(i, k, s, p, d, a):
    x = np.arange(1, i + 1).reshape(1, i)
    w = np.ones((1, k), dtype=np.int64)
    options = TransposeOptions(stride=(1, s), padding=(0, p), output_padding=(0, a), dilation=(1, d))
    try:
        predicted = shapes.transposed_size(i, k, s, p, d, a)
    except ConvcliError:
        with pytest.raises(ConvcliError):
            conv_transpose(x, w, options)
        return
    assert conv_transpose(x, w, options).shape[-1] == predicted


# ---------------------------------------------------------------------------------------------
# 3. the readers raise nothing but ConvcliError

# text that looks like what the readers expect, with the characters that trouble them
_ALPHABET = st.sampled_from(
    list('0123456789 \t\n,;#-+./eEjJ[]{}":')
    + ["nan", "inf", "\u2212", "\ufeff", "\x00", "\r", "a", "1/0", "1e999"]
)
texts = st.one_of(st.text(max_size=80), st.lists(_ALPHABET, max_size=60).map("".join))


@settings(max_examples=300, deadline=None)
@given(text=texts, exact=st.booleans())
def test_text_readers_raise_only_convcli_errors(text, exact):
    for reader in (parsing.parse_text, parsing.parse_json, parsing.parse_inline):
        try:
            out = reader(text, source="t", exact=exact)
        except ConvcliError:
            continue
        assert isinstance(out, np.ndarray) and out.size >= 1


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(st.binary(max_size=200), texts.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    suffix=st.sampled_from([".txt", ".json", ".npy", ".csv", ""]),
    prefix=st.sampled_from([b"", b"\x93NUMPY", b"\x93NUMPY\x01\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"PK"]),
    exact=st.booleans(),
)
def test_read_matrix_on_random_files_raises_only_convcli_errors(data, suffix, prefix, exact):
    path = _write(prefix + data, suffix)
    try:
        try:
            out = parsing.read_matrix(path, exact=exact)
        except ConvcliError:
            return
        assert isinstance(out, np.ndarray) and out.size >= 1
    finally:
        os.unlink(path)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200), exact=st.booleans())
def test_standard_input_raises_only_convcli_errors(data, exact):
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    try:
        parsing.read_matrix("-", stdin=stream, exact=exact)
    except ConvcliError:
        pass


@settings(max_examples=200, deadline=None)
@given(text=texts.filter(lambda t: t and not os.path.lexists(t) and "\x00" not in t), exact=st.booleans())
def test_arguments_raise_only_convcli_errors(text, exact):
    assume(text != "-")
    try:
        parsing.read_matrix(text, name="B", exact=exact)
    except ConvcliError:
        pass


# convcli's write-ups read back as input and as --answer, for every operation (README's "Reading matrices")

_WRITE_UPS = [
    ("convolve", ["samples/A.txt", "samples/B2.txt"]),
    ("correlate", ["samples/A.txt", "samples/B2.txt", "--mode", "same"]),
    ("elementwise-sum", ["samples/window.txt", "samples/B2.txt"]),
    ("dot", ["samples/window.txt", "samples/B2.txt"]),
    ("correlate", ["1/2 1/3; 1 -2", "1 2; 3 4", "--mode", "full"]),
    ("convolve", ["0.5 nan; -1e-300 2", "1 -1", "--mode", "full"]),
    ("correlate", ["1+2j 3; 4 5j", "1 1j"]),
    ("correlate", ["a b c d; e f g h; i j k l", "w x; y z"]),
    ("elementwise-sum", ["a 2; 3 b", "1/2 x; 2.5 1"]),
    (
        "correlate",
        [
            "[[[1,2,3],[4,5,6],[7,8,9]],[[1,0,1],[0,1,0],[1,0,1]]]",
            "[[[[1,0],[0,1]],[[1,1],[1,1]]],[[[2,0],[0,2]],[[0,1],[1,0]]]]",
            "--channels",
        ],
    ),
]


@pytest.mark.parametrize("suffix", [".md", ".tex"])
@pytest.mark.parametrize(("op", "args"), _WRITE_UPS, ids=[f"{op} {' '.join(a)[:30]}" for op, a in _WRITE_UPS])
def test_write_ups_read_back_as_input_and_as_answers(tmp_path, monkeypatch, suffix, op, args):
    from typer.testing import CliRunner

    from convcli.cli import ExitCode, app

    from .conftest import ROOT

    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    written = tmp_path / f"result{suffix}"
    result = runner.invoke(app, [op, *args, "-o", str(written)])
    assert (result.exit_code, result.stdout) == (ExitCode.OK, ""), result.stderr
    # what was written, then any notes on the result
    written_as = {".md": "markdown", ".tex": "latex"}[suffix]
    assert result.stderr.splitlines()[0] == f"wrote {written} ({written_as})"
    assert "error:" not in result.stderr
    shown = runner.invoke(app, [op, *args, "-f", "json"])
    # the same notes as the written run, without its "wrote" line
    assert (shown.exit_code, shown.stderr) == (ExitCode.OK, result.stderr.split("\n", 1)[1])
    expected = json.loads(shown.stdout)["result"]
    back = parsing.read_matrix(str(written))
    _assert_equal(back.reshape(np.shape(expected)), np.array(_from_json(expected), dtype=object))
    # the same text from standard input (no extension to tell the format) reads the same,
    # except a single symbolic number, which only a file named .md or .tex is known to hold
    if back.size > 1 or numeric.kind_of(back) is not Kind.SYMBOLIC:
        piped = parsing.read_matrix("-", stdin=io.StringIO(written.read_text()))
        _assert_equal(piped, back)
    checked = runner.invoke(app, ["check", *args, "--op", op, "--answer", str(written)])
    assert checked.exit_code == ExitCode.OK, checked.stdout
    assert checked.stdout == f"right: your answer equals {op}\n"
    # only notes, such as the one for letters among numbers
    assert all(line.startswith("note: ") for line in checked.stderr.splitlines()), checked.stderr


def _assert_equal(a: np.ndarray, b: np.ndarray) -> None:
    assert a.size == b.size
    for x, y in zip(a.flat, b.flat, strict=True):
        same = _same_number(x, y) if numeric.kind_of_value(x) is not Kind.SYMBOLIC else x == y
        assert same, (x, y)


def _from_json(value: Any) -> Any:
    """A JSON result as the values read_matrix gives (strings such as "1/2" or "nan" read)."""
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, str):
        return parsing.parse_token(value)
    return value
