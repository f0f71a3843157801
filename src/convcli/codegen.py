"""--code: a short Python script that reproduces a result with numpy, scipy or torch.

The script holds the operands inline, computes the result the way that library does (the flip,
the padding that 'same' and 'full' stand for under the chosen convention, stride, dilation,
channels, bias and activation, each step commented) and prints it as convcli's plain format
does, so that the two can be compared line for line. What a library cannot express (scipy's
exact fractions, torch's symmetric padding, ...) is refused, saying what and what would do.

Every sliding operation is written as convcli computes it (geometry.py): A padded per axis by
the mode and the boundary rule, then a valid-mode correlation with the kernel as applied,
sampled with the stride. scipy's own convolve2d/correlate2d call is used where it means the
same thing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from . import geometry
from .errors import UsageError
from .geometry import Layout
from .model import SLIDING, Activation, BoundaryRule, CodeLibrary, Convention, Kind, Mode, Op, OpOptions
from .numeric import as_kind, result_kind
from .text import dims_text, int_text, options_text, value_of, values_text

__all__ = ["script", "MAX_SCRIPT_NUMBERS"]

MAX_SCRIPT_NUMBERS = 10_000  # entries of A and B written into one script

# Prints a result as convcli's plain format does: one row per line, columns right-aligned, a
# blank line between the blocks of a 3-D result, fractions as p/q.
_SHOW = '''


def show(c):
    """Print c as convcli's plain format does: rows of numbers, columns right-aligned."""
    c = c.tolist() if hasattr(c, "tolist") else c
    if not isinstance(c, list):
        print(number(c))
        return
    blocks = [c]
    while isinstance(blocks[0][0], list) and isinstance(blocks[0][0][0], list):
        blocks = [block for b in blocks for block in b]
    for n, block in enumerate(blocks):
        rows = [[number(x) for x in row] for row in (block if isinstance(block[0], list) else [block])]
        widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
        lines = [" ".join(x.rjust(w) for x, w in zip(row, widths)) for row in rows]
        print("\\n" * (n > 0) + "\\n".join(lines))


def number(x):
    if isinstance(x, complex):
        im = number(x.imag)
        return number(x.real) + ("" if im.startswith("-") else "+") + im + "j"
    return repr(x) if isinstance(x, float) else str(x)


show(C)
'''

_INT64 = 2**63  # numpy and torch integers wrap around silently past this; scipy's too
_NUMPY_PAD = {
    BoundaryRule.WRAP: "wrap",
    BoundaryRule.SYMM: "symmetric",
    BoundaryRule.MIRROR: "reflect",
    BoundaryRule.EDGE: "edge",
}
_TORCH_PAD = {BoundaryRule.WRAP: "circular", BoundaryRule.MIRROR: "reflect", BoundaryRule.EDGE: "replicate"}


def script(
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions | None = None,
    library: CodeLibrary = CodeLibrary.NUMPY,
    *,
    float64: bool = False,
) -> str:
    """A runnable Python script that computes ``op`` of A and B with ``library`` and prints the
    result as convcli's plain format does (``float64``: exact numbers as float64, as --float64).

    Raises UsageError for what the library cannot express, or operands too large to write out.
    """
    options = options or OpOptions()
    library = CodeLibrary(library)
    if a.size + b.size > MAX_SCRIPT_NUMBERS:
        raise UsageError(
            f"--code writes A and B into the script, at most {MAX_SCRIPT_NUMBERS:,} numbers; these have "
            f"{a.size + b.size:,} (save them with -f npy and load them with numpy.load instead)"
        )
    writer = _Script(library)
    if op in SLIDING:
        _sliding(writer, op, a, b, options, float64)
    else:
        _product(writer, op, a, b, float64)
    return writer.text()


class _Script:
    """The lines of a script under construction, with the literals in the library's spelling."""

    def __init__(self, library: CodeLibrary) -> None:
        self.library = library
        self.imports: list[str] = []
        self.lines: list[str] = []
        self.kind = Kind.INTEGER
        self.python_ints = False  # integers beyond int64: Python ints in object arrays (numpy)

    def need(self, line: str) -> None:
        if line not in self.imports:
            self.imports.append(line)

    def say(self, *lines: str) -> None:
        self.lines.extend(lines)

    def text(self) -> str:
        return "\n".join([*self.imports, "", *self.lines]) + _SHOW

    # --- numbers and arrays in the script -----------------------------------------------------

    def number(self, v: Any) -> str:
        """One number in the result's kind, as a Python literal."""
        v = value_of(v)
        lib = "torch" if self.library is CodeLibrary.TORCH else "np"
        if self.kind in (Kind.FLOAT, Kind.COMPLEX) and not isinstance(v, complex | float):
            v = float(v) if self.kind is Kind.FLOAT else complex(v)
        if isinstance(v, complex):
            if math.isfinite(v.real) and math.isfinite(v.imag):
                return repr(v)
            return f"complex({self.number(v.real)}, {self.number(v.imag)})"
        if isinstance(v, float):
            if math.isnan(v):
                return f"{lib}.nan"
            if math.isinf(v):
                return f"{lib}.inf" if v > 0 else f"-{lib}.inf"
            return repr(v)
        if isinstance(v, Fraction) and v.denominator != 1:
            self.need("from fractions import Fraction")
            return f"Fraction({_integer(v.numerator)}, {_integer(v.denominator)})"
        return _integer(int(v))

    def array(self, name: str, x: np.ndarray) -> None:
        """``name = <the array x, inline>`` in the library's own type."""
        x = as_kind(x, self.kind) if self.kind in (Kind.FLOAT, Kind.COMPLEX) else x
        body = _nested(x, self.number)
        if self.library is CodeLibrary.TORCH:
            dtype = {Kind.INTEGER: "int64", Kind.FLOAT: "float64", Kind.COMPLEX: "complex128"}[self.kind]
            self.say(f"{name} = torch.tensor({body}, dtype=torch.{dtype})")
        elif self.kind is Kind.RATIONAL or self.python_ints:
            self.say(f"{name} = np.array({body}, dtype=object)")
        else:
            numpy_type = {Kind.INTEGER: "np.int64", Kind.FLOAT: "np.float64", Kind.COMPLEX: "np.complex128"}
            self.say(f"{name} = np.array({body}, dtype={numpy_type[self.kind]})")


# Python reads an integer literal of at most 4,300 digits (sys.get_int_max_str_digits())
_DIGITS = 4_300


def _integer(n: int) -> str:
    if n.bit_length() > _DIGITS * 3.32:  # more digits than Python reads back as a literal
        text = int_text(n)
        if len(text.lstrip("-")) > _DIGITS:
            raise UsageError(
                f"--code writes numbers as Python literals, which Python reads up to {_DIGITS:,} digits; "
                f"an entry here has {len(text.lstrip('-')):,}"
            )
        return text
    return str(n)


def _nested(x: np.ndarray, number: Callable[[Any], str], indent: int = 0) -> str:
    """An array as nested Python lists, one row per line."""
    if x.ndim == 0:
        return number(x[()])
    if x.ndim == 1:
        return "[" + ", ".join(number(v) for v in x.tolist()) + "]"
    inner = "".join(" " * (indent + 4) + _nested(row, number, indent + 4) + ",\n" for row in x)
    return "[\n" + inner + " " * indent + "]"


# ---------------------------------------------------------------------------------------------
# the kind of numbers the script computes in


def _script_kind(writer: _Script, kind: Kind, float64: bool, bound: int, op: Op) -> None:
    """Settle the kind of numbers the script uses, or refuse what its library cannot hold."""
    library = writer.library
    if kind is Kind.SYMBOLIC:
        raise UsageError(
            f"--code {library} computes with numbers, and these operands hold symbols; "
            f"convcli steps shows the expressions of {op}"
        )
    if float64 and kind in (Kind.INTEGER, Kind.RATIONAL):
        kind = Kind.FLOAT
    writer.kind = kind
    if kind is Kind.RATIONAL and library is not CodeLibrary.NUMPY:
        raise UsageError(
            f"--code {library}: {library} has no exact fractions; --code numpy keeps them exact "
            "(Python's Fraction in an object array), and --float64 computes in float64"
        )
    if kind is Kind.INTEGER and bound >= _INT64:
        if library is not CodeLibrary.NUMPY:
            raise UsageError(
                f"--code {library}: these sums reach {bound.bit_length()} bits, past int64, where "
                f"{library} wraps around silently; --code numpy keeps them exact (Python ints in "
                "an object array)"
            )
        writer.python_ints = True


def _abs_max(x: np.ndarray) -> int:
    return max((abs(int(v)) for v in x.flat), default=0) if x.size else 0


def _abs_sum(x: np.ndarray) -> int:
    return sum(abs(int(v)) for v in x.flat)


# ---------------------------------------------------------------------------------------------
# elementwise-sum and dot


def _product(writer: _Script, op: Op, a: np.ndarray, b: np.ndarray, float64: bool) -> None:
    library = writer.library
    if library is CodeLibrary.SCIPY:
        what = "numpy.sum(A * B)" if op is Op.ELEMENTWISE_SUM else "numpy.dot(A, B)"
        raise UsageError(f"--code scipy: scipy has no {op} of its own; it is {what} (--code numpy)")
    from . import ops

    ops.run(op, a, b)  # the shapes must fit: refused here with convcli's own message
    kind = result_kind(a, b, terms=max(a.size, 1))
    bound = 0
    if kind is Kind.INTEGER:
        bound = _abs_max(a) * _abs_max(b) * (a.size if op is Op.ELEMENTWISE_SUM else a.shape[-1])
    _script_kind(writer, kind, float64, bound, op)
    writer.need("import torch" if library is CodeLibrary.TORCH else "import numpy as np")
    writer.say(f"# {op} of A and B, as convcli computes it, with {library}", "")
    writer.array("A", a)
    writer.array("B", b)
    writer.say("")
    lib = "torch" if library is CodeLibrary.TORCH else "np"
    if op is Op.ELEMENTWISE_SUM:
        writer.say("# multiply entry by entry, add the products: one number", f"C = {lib}.sum(A * B)")
    elif library is CodeLibrary.NUMPY:
        writer.say("# rows of A times columns of B: a matrix product, not a sum of element-wise products")
        writer.say("C = np.dot(A, B)")
    elif a.ndim <= 2 and b.ndim <= 2:
        writer.say("# rows of A times columns of B: a matrix product (numpy.dot is the same here)")
        writer.say("C = A @ B")
    else:
        writer.say("# numpy.dot: the last axis of A meets the second-to-last of B")
        writer.say(f"C = torch.tensordot(A, B, dims=([{a.ndim - 1}], [{max(b.ndim - 2, 0)}]))")


# ---------------------------------------------------------------------------------------------
# convolve and correlate


def _sliding(
    writer: _Script, op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions, float64: bool
) -> None:
    p = geometry.lay_out(op, a, b, options)  # refuses what convcli refuses, with its message
    kind = p.kind
    bound = 0
    if kind is Kind.INTEGER:
        fill = abs(int(p.fill)) if p.boundary is BoundaryRule.FILL else 0
        bias = max((abs(int(v)) for v in options.bias), default=0)
        bound = max(_abs_max(p.a), fill) * max(_abs_sum(p.b[f]) for f in range(p.filters)) + bias
        if not options.channels:
            bound = max(_abs_max(p.a), fill) * _abs_sum(p.b) + bias
    if options.activation in (Activation.SIGMOID, Activation.TANH) and kind in (Kind.INTEGER, Kind.RATIONAL):
        float64 = True  # sigmoid and tanh give floats: the sums are exact either way below 2**53
    _script_kind(writer, kind, float64, bound, op)
    library = writer.library
    writer.say(f"# {op} of A and B, as convcli computes it, with {library}", f"# {options_text(options, op)}")
    if library is CodeLibrary.TORCH:
        _torch(writer, op, a, b, p)
    else:
        _numpy_or_scipy(writer, op, a, b, p)


def _why_padded(p: Layout) -> str:
    """What the padding stands for, in a comment."""
    options = p.options
    if options.padding is not None:
        return "--padding"
    if options.mode is Mode.FULL:
        return "mode 'full': every overlap"
    if options.mode is Mode.SAME:
        return f"mode 'same' under {options.convention}'s alignment"
    return "B is larger than A: valid mode is the part of 'full' where A lies inside B"


def _pad_words(p: Layout) -> str:
    names = ["rows", "columns"] if len(p.pads) == 2 else [f"axis {i}" for i in range(len(p.pads))]
    return ", ".join(f"{pad} {name}" for pad, name in zip(p.pads, names, strict=True))


def _reshapes(writer: _Script, a: np.ndarray, b: np.ndarray, p: Layout) -> None:
    """The operands in the shapes convcli computes with, when they were written otherwise."""
    channels = p.options.channels
    if a.shape != p.a.shape:
        why = "one channel" if channels else "a vector beside a matrix is a 1 x N row"
        writer.say(f"A = A.reshape{p.a.shape}  # {why}")
    if b.shape != p.b.shape:
        why = "O x C x kh x kw, one filter" if channels else "a vector beside a matrix is a 1 x N row"
        writer.say(f"B = B.reshape{p.b.shape}  # {why}")


def _applied(p: Layout, op: Op, lib: str) -> tuple[str, str]:
    """The expression of the kernel as it slides, and a comment on it."""
    n = len(p.pads)
    lead = p.b.ndim - n
    if op is Op.CONVOLVE:
        if lib == "torch":
            dims = ", ".join(str(d) for d in range(p.b.ndim - n, p.b.ndim))
            return f"B.flip(dims=[{dims}])", "convolve turns B 180° (its spatial axes) before sliding it"
        index = ", ".join([":"] * lead + ["::-1"] * n)
        return f"B[{index}]", "convolve turns B 180° (its spatial axes) before sliding it"
    if p.b.dtype.kind == "c" or p.kind is Kind.COMPLEX:
        conj = "B.conj()" if lib == "torch" else "np.conj(B)"
        return conj, "correlate slides B as it is (conjugated, as scipy does for complex numbers)"
    return "B", "correlate slides B as it is: what a CNN layer computes"


def _finish(writer: _Script, p: Layout, lib: str) -> None:
    """Bias, activation and the result's own shape, then the print."""
    options = p.options
    if options.bias and lib != "torch":  # torch's conv adds its own bias
        values = [writer.number(v) for v in options.bias]
        if len(values) == 1 or not options.channels:
            writer.say(f"C = C + {values[0]}  # the bias")
        else:
            writer.say(f"C = C + np.array([{', '.join(values)}])[:, None, None]  # one bias per filter")
    activation = options.activation
    if activation is Activation.RELU:
        writer.say("C = torch.relu(C)" if lib == "torch" else "C = np.maximum(C, 0)  # relu")
    elif activation is Activation.SIGMOID:
        writer.say("C = torch.sigmoid(C)" if lib == "torch" else "C = 1 / (1 + np.exp(-C))  # sigmoid")
    elif activation is Activation.TANH:
        writer.say(f"C = {lib}.tanh(C)")


def _result_shape(writer: _Script, a: np.ndarray, b: np.ndarray, p: Layout, shape: tuple[int, ...]) -> None:
    target = p.result_shape(a.shape, b.shape)
    if tuple(target) != shape:
        why = "one filter" if p.options.channels else "vectors in, a vector out"
        writer.say(f"C = C.reshape{tuple(target)}  # {why}")


def _numpy_or_scipy(writer: _Script, op: Op, a: np.ndarray, b: np.ndarray, p: Layout) -> None:
    scipy = writer.library is CodeLibrary.SCIPY
    writer.need("import numpy as np")
    if scipy:
        writer.need("from scipy import signal")
    else:
        writer.need("from numpy.lib.stride_tricks import sliding_window_view")
    writer.say("")
    writer.array("A", a)
    writer.array("B", b)
    writer.say("")
    if scipy and _scipy_says_it(p, a, b):
        _scipy_call(writer, op, p)
        _finish(writer, p, "np")
        return
    _reshapes(writer, a, b, p)
    options = p.options
    n = len(p.pads)
    lead = p.a.ndim - n
    if any(before or after for before, after in p.pads):
        pads = tuple([(0, 0)] * lead + list(p.pads))
        if p.boundary is not BoundaryRule.FILL:
            how = f'mode="{_NUMPY_PAD[p.boundary]}"'
        else:
            fill = writer.number(p.fill)
            if writer.python_ints:  # an object 0, so that Python ints stay Python ints
                fill = f"np.array({fill}, dtype=object)"
            how = f'mode="constant", constant_values={fill}'
        writer.say(f"# {_why_padded(p)}: A padded by {_pad_words(p)} ({p.boundary})")
        writer.say(f"Ap = np.pad(A, {pads}, {how})")
    else:
        writer.say("Ap = A  # valid mode: no padding")
    extents = tuple((k - 1) * d + 1 for k, d in zip(p.b.shape[-n:], p.dilation, strict=True))
    sampled = any(s > 1 for s in p.stride) or any(d > 1 for d in p.dilation)
    if scipy:
        _scipy_valid(writer, op, p, extents, sampled)
    else:
        _numpy_windows(writer, op, p, extents, sampled)
    _finish(writer, p, "np")
    out = p.out_shape if not options.channels else (p.filters, *p.out_shape)
    _result_shape(writer, a, b, p, out)


def _numpy_windows(writer: _Script, op: Op, p: Layout, extents: tuple[int, ...], sampled: bool) -> None:
    n = len(p.pads)
    channels = p.options.channels
    kernel, why = _applied(p, op, "np")
    writer.say(f"K = {kernel}  # {why}")
    axes = f", axis={tuple(range(1, n + 1))}" if channels else ""
    window = f"sliding_window_view(Ap, {extents}{axes})"
    if sampled:
        steps = (*p.stride, *p.dilation)
        index = ([":"] if channels else []) + [f"::{step}" if step > 1 else ":" for step in steps]
        while index[-1] == ":":
            index.pop()
        window += "[" + ", ".join(index) + "]"
    words = [f"every {dims_text(extents)} window of Ap"]
    if any(s > 1 for s in p.stride):
        words.append(f"windows {values_text(p.stride)} apart (stride)")
    if any(d > 1 for d in p.dilation):
        words.append(f"taps {values_text(p.dilation)} apart (dilation)")
    writer.say("# " + ", ".join(words))
    writer.say(f"W = {window}")
    at, taps = "ijk"[:n], "uvw"[:n]
    if not channels:
        writer.say("# each output cell: the sum of the element-wise products of its window and K")
        writer.say(f'C = np.einsum("{at}{taps},{taps}->{at}", W, K)')
        return
    groups = p.options.groups
    writer.say("# each output cell: the sum of the element-wise products of its window and one filter,")
    writer.say("# through all channels (over depth, a dot product)")
    if groups == 1:
        writer.say(f'C = np.einsum("c{at}{taps},oc{taps}->o{at}", W, K)')
        return
    c, o = p.a.shape[0], p.filters
    writer.say(f"# {groups} groups: filter o meets only its group's {c // groups} channels")
    writer.say(f"Wg = W.reshape({groups}, {c // groups}, *W.shape[1:])")
    writer.say(f"Kg = K.reshape({groups}, {o // groups}, *K.shape[1:])")
    writer.say(f'C = np.einsum("gc{at}{taps},goc{taps}->go{at}", Wg, Kg).reshape({o}, *W.shape[1:{1 + n}])')


def _scipy_says_it(p: Layout, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether scipy.signal.convolve2d/correlate2d with mode, boundary and fillvalue computes
    exactly this (2-D, no stride, dilation or --padding, scipy's own 'same' alignment)."""
    options = p.options
    if options.channels or p.a.ndim != 2 or a.ndim != 2 or b.ndim != 2 or options.layer_geometry:
        return False
    if p.boundary not in (BoundaryRule.FILL, BoundaryRule.WRAP, BoundaryRule.SYMM):
        return False
    covers = all(m >= k for m, k in zip(a.shape, b.shape, strict=True))
    if options.mode is Mode.VALID and not covers and p.kind is Kind.COMPLEX:
        return False  # correlate2d conjugates its own full result there; convcli does not
    if options.mode is Mode.SAME:
        scipy_pads = tuple(
            geometry.same_pads(p.op, Convention.SCIPY, m, k, 1) for m, k in zip(a.shape, b.shape, strict=True)
        )
        return scipy_pads == p.pads
    return True


def _scipy_call(writer: _Script, op: Op, p: Layout) -> None:
    options = p.options
    name = "convolve2d" if op is Op.CONVOLVE else "correlate2d"
    args = [f'mode="{options.mode}"']
    if options.boundary is not BoundaryRule.FILL:
        args.append(f'boundary="{options.boundary}"')
    elif value_of(options.fillvalue) != 0:
        args.append(f"fillvalue={writer.number(options.fillvalue)}")
    if op is Op.CONVOLVE:
        writer.say("# convolve2d turns B 180° and slides it over A")
    else:
        writer.say("# correlate2d slides B over A as it is: what a CNN layer computes")
    writer.say(f"C = signal.{name}(A, B, {', '.join(args)})")


def _scipy_valid(writer: _Script, op: Op, p: Layout, extents: tuple[int, ...], sampled: bool) -> None:
    n = len(p.pads)
    channels = p.options.channels
    lead = p.b.ndim - n
    if any(d > 1 for d in p.dilation):
        if p.kind in (Kind.FLOAT, Kind.COMPLEX) and not np.isfinite(p.padded()).all():
            raise UsageError(
                "--code scipy: scipy has no dilation, and a kernel with zeros between its taps would "
                "spread the nan or inf in A (0·nan is nan) to cells convcli and torch leave alone; "
                "--code numpy or torch writes it"
            )
        index = ", ".join([":"] * lead + [f"::{d}" for d in p.dilation])
        shape = (*p.b.shape[:lead], *extents)
        writer.say(f"# dilation {values_text(p.dilation)}: zeros between the kernel's taps")
        writer.say(f"Bd = np.zeros({shape}, dtype=B.dtype)", f"Bd[{index}] = B")
    else:
        writer.say("Bd = B")
    which = "convolve" if op is Op.CONVOLVE else "correlate"
    turn = "turns B 180° and slides it" if op is Op.CONVOLVE else "slides B as it is"
    stride = ""
    if any(s > 1 for s in p.stride):
        stride = "[" + ", ".join([":"] * (1 if channels else 0) + [f"::{s}" for s in p.stride]) + "]"
    if not channels:
        writer.say(f"# valid mode over Ap: {which} {turn}")
        call = f'signal.{which}(Ap, Bd, mode="valid", method="direct")'
        writer.say(f"C = {call}{stride}" + ("  # the stride keeps every S-th cell" if stride else ""))
        return
    fn = "convolve2d" if op is Op.CONVOLVE else "correlate2d"  # --channels: 2 spatial axes
    groups = p.options.groups
    per_group = p.b.shape[1]
    first = f"o // {p.filters // groups} * {per_group} + " if groups > 1 else ""
    writer.say(
        f"# each filter o: the {which} of every channel with its kernel, added over the channels",
        "# (channel c of A meets channel c of the filter: over depth, a dot product)",
    )
    writer.say(
        "C = np.stack([",
        f'    sum(signal.{fn}(Ap[{first}c], Bd[o, c], mode="valid") for c in range({per_group}))',
        f"    for o in range({p.filters})",
        f"]){stride}",
    )


# ---------------------------------------------------------------------------------------------
# torch


def _torch(writer: _Script, op: Op, a: np.ndarray, b: np.ndarray, p: Layout) -> None:
    options = p.options
    n = len(p.pads)
    writer.need("import torch")
    writer.need("import torch.nn.functional as F")
    writer.say("")
    writer.array("A", a)
    writer.array("B", b)
    writer.say("")
    _reshapes(writer, a, b, p)
    kernel, why = _applied(p, op, "torch")
    writer.say(f"K = {kernel}  # {why}")
    batch = "A[None]" if options.channels else "A[None, None]"
    weight = "K" if options.channels else "K[None, None]"
    writer.say(f"x = {batch}  # torch wants a batch axis and a channel axis")
    padding = ""
    symmetric = all(before == after for before, after in p.pads)
    plain_zeros = p.boundary is BoundaryRule.FILL and value_of(p.fill) == 0
    if any(before or after for before, after in p.pads):
        if symmetric and plain_zeros:
            padding = f", padding={tuple(before for before, _ in p.pads)}"
            writer.say(f"# {_why_padded(p)}: zeros around A ({_pad_words(p)})")
        else:
            writer.say(f"# {_why_padded(p)}: A padded by {_pad_words(p)} ({p.boundary})")
            writer.say(f"x = F.pad(x, {_torch_pads(p)}{_torch_mode(writer, p)})")
    args = padding
    if any(s > 1 for s in p.stride):
        args += f", stride={tuple(p.stride)}"
    if any(d > 1 for d in p.dilation):
        args += f", dilation={tuple(p.dilation)}"
    if options.groups > 1:
        args += f", groups={options.groups}"
    if options.bias:
        values = [writer.number(v) for v in options.bias] * (p.filters if len(options.bias) == 1 else 1)
        dtype = {Kind.INTEGER: "int64", Kind.FLOAT: "float64", Kind.COMPLEX: "complex128"}[writer.kind]
        writer.say(f"bias = torch.tensor([{', '.join(values)}], dtype=torch.{dtype})  # one per filter")
        args += ", bias=bias"
    writer.say(f"C = F.conv{n}d(x, {weight}{args})[0]" + ("" if options.channels else "[0]"))
    _finish(writer, p, "torch")
    out = p.out_shape if not options.channels else (p.filters, *p.out_shape)
    _result_shape(writer, a, b, p, out)


def _torch_pads(p: Layout) -> tuple[int, ...]:
    """F.pad's order: the last axis first, (before, after) each."""
    return tuple(side for pair in reversed(p.pads) for side in pair)


def _torch_mode(writer: _Script, p: Layout) -> str:
    if p.boundary is BoundaryRule.FILL:
        fill = value_of(p.fill)
        if isinstance(fill, complex):
            if fill.imag != 0:
                raise UsageError("--code torch: F.pad fills with a real number, not a complex --fillvalue")
            fill = fill.real
        return "" if fill == 0 else f', mode="constant", value={writer.number(fill)}'
    if p.boundary is BoundaryRule.SYMM:
        raise UsageError(
            "--code torch: torch pads by mirroring without the edge cell (--boundary mirror), repeating "
            "it (edge) or wrapping (wrap), not by mirroring with the edge cell repeated (symm); "
            "--code numpy or scipy writes symm"
        )
    n = len(p.pads)
    sizes = p.a.shape[-n:]
    widest = max(max(pair) for pair in p.pads)
    if p.boundary is BoundaryRule.MIRROR and any(
        max(pair) >= m for pair, m in zip(p.pads, sizes, strict=True)
    ):
        raise UsageError(
            f"--code torch: torch mirrors (reflect) only by less than the input's size, and this needs "
            f"{widest} on an axis of {min(sizes)}; --code numpy or scipy writes it"
        )
    if p.boundary is BoundaryRule.WRAP and any(max(pair) > m for pair, m in zip(p.pads, sizes, strict=True)):
        raise UsageError(
            f"--code torch: torch wraps (circular) only by up to the input's size, and this needs "
            f"{widest} on an axis of {min(sizes)}; --code numpy or scipy writes it"
        )
    return f', mode="{_TORCH_PAD[p.boundary]}"'
