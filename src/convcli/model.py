"""Plain data: the choices a user makes and the results convcli computes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "Op",
    "SLIDING",
    "Mode",
    "SlidingOp",
    "BoundaryRule",
    "Convention",
    "Format",
    "CodeLibrary",
    "Activation",
    "Method",
    "PoolKind",
    "PoolOf",
    "ExplainedOp",
    "Kind",
    "OpOptions",
    "Result",
    "Choice",
    "Fact",
    "Comparison",
    "Undefined",
    "GradOf",
    "GradResult",
    "TransposeOptions",
    "TransposeResult",
    "TRANSPOSE_NAME",
]


class Op(StrEnum):
    CONVOLVE = "convolve"
    CORRELATE = "correlate"
    ELEMENTWISE_SUM = "elementwise-sum"
    DOT = "dot"


# the operations that slide a kernel over A: the ones with modes, layers, steps by window and slips
SLIDING = (Op.CONVOLVE, Op.CORRELATE)


class SlidingOp(StrEnum):
    """The operations that slide a kernel: the ones im2col can write as a matrix product."""

    CONVOLVE = "convolve"
    CORRELATE = "correlate"


class Mode(StrEnum):
    VALID = "valid"
    SAME = "same"
    FULL = "full"


class BoundaryRule(StrEnum):
    """What lies outside A: a constant, A repeated, or A mirrored (two ways), or its edge."""

    FILL = "fill"
    WRAP = "wrap"
    SYMM = "symm"
    MIRROR = "mirror"
    EDGE = "edge"


class Convention(StrEnum):
    """Whose 'same' alignment to use; they differ for even kernels (and tensorflow with a stride)."""

    SCIPY = "scipy"
    NUMPY = "numpy"
    MATLAB = "matlab"
    TORCH = "torch"
    TENSORFLOW = "tensorflow"


class Activation(StrEnum):
    NONE = "none"
    RELU = "relu"
    SIGMOID = "sigmoid"
    TANH = "tanh"


class Method(StrEnum):
    """How the engine computes a sliding sum (``auto`` lets the chooser decide)."""

    AUTO = "auto"
    DIRECT = "direct"
    SEPARABLE = "separable"
    FFT = "fft"
    OVERLAP_ADD = "overlap-add"


class PoolKind(StrEnum):
    """Max or average pooling (torch's max_pool2d and avg_pool2d)."""

    MAX = "max"
    AVG = "avg"

    @property
    def op_name(self) -> str:
        """``max-pool`` or ``avg-pool``: the name outputs and ``steps --op`` use."""
        return f"{self.value}-pool"


class PoolOf(StrEnum):
    """Which value a pooling run returns: the pooled output or the gradient with respect to A."""

    OUTPUT = "output"
    GRAD_INPUT = "grad-input"


class ExplainedOp(StrEnum):
    """What steps explains: the four operations, max and average pooling (of A alone), and the
    three gradients of the layer correlate(X, W) for an upstream gradient G."""

    CONVOLVE = "convolve"
    CORRELATE = "correlate"
    ELEMENTWISE_SUM = "elementwise-sum"
    DOT = "dot"
    MAX_POOL = "max-pool"
    AVG_POOL = "avg-pool"
    GRAD_INPUT = "grad-input"
    GRAD_WEIGHT = "grad-weight"
    GRAD_BIAS = "grad-bias"

    @property
    def pool_kind(self) -> PoolKind | None:
        """The pooling this names, or None for one of the four operations."""
        return {"max-pool": PoolKind.MAX, "avg-pool": PoolKind.AVG}.get(self.value)

    @property
    def grad_of(self) -> GradOf | None:
        """The gradient this names, or None."""
        return {"grad-input": GradOf.INPUT, "grad-weight": GradOf.WEIGHT, "grad-bias": GradOf.BIAS}.get(
            self.value
        )


class CodeLibrary(StrEnum):
    """The library a --code script computes with."""

    NUMPY = "numpy"
    SCIPY = "scipy"
    TORCH = "torch"


class Format(StrEnum):
    TABLE = "table"
    PLAIN = "plain"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"
    LATEX = "latex"
    NPY = "npy"
    HTML = "html"


class Kind(StrEnum):
    """The number model of an array; results take the widest kind of their operands."""

    INTEGER = "integer"
    RATIONAL = "rational"
    FLOAT = "float"
    COMPLEX = "complex"
    SYMBOLIC = "symbolic"

    @property
    def exact(self) -> bool:
        return self in (Kind.INTEGER, Kind.RATIONAL, Kind.SYMBOLIC)

    @property
    def label(self) -> str:
        return {
            Kind.INTEGER: "integer, exact",
            Kind.RATIONAL: "rational, exact",
            Kind.FLOAT: "float64",
            Kind.COMPLEX: "complex128",
            Kind.SYMBOLIC: "symbolic",
        }[self]


@dataclass(frozen=True)
class OpOptions:
    """How convolve and correlate treat the edges. ``fillvalue`` is a number of any kind."""

    mode: Mode = Mode.VALID
    boundary: BoundaryRule = BoundaryRule.FILL
    fillvalue: Any = 0
    convention: Convention = Convention.SCIPY
    method: Method = Method.AUTO
    stride: tuple[int, ...] = (1,)
    dilation: tuple[int, ...] = (1,)
    padding: tuple[int, ...] | None = None
    channels: bool = False
    bias: tuple[Any, ...] = ()
    activation: Activation = Activation.NONE
    groups: int = 1  # torch's groups (with channels): B is O x C/groups x kh x kw

    def __post_init__(self) -> None:
        # Accept plain strings from library callers ("same", "numpy") but keep enums inside, so
        # that identity comparisons in ops cannot silently take the wrong branch.
        for name, enum in (
            ("mode", Mode),
            ("boundary", BoundaryRule),
            ("convention", Convention),
            ("method", Method),
            ("activation", Activation),
        ):
            object.__setattr__(self, name, enum(getattr(self, name)))
        for name in ("stride", "dilation"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, int) else tuple(value))
        if isinstance(self.padding, int):
            object.__setattr__(self, "padding", (self.padding,))

    @property
    def layer_geometry(self) -> bool:
        """Whether stride, dilation or padding were given (torch's rules on sizes then apply)."""
        return self.padding is not None or any(s != 1 for s in self.stride + self.dilation)

    def describe(self) -> dict[str, Any]:
        """The options as JSON values; the CNN-layer ones only when they are in use."""
        from .text import json_value  # text.py writes numbers and imports this module

        out: dict[str, Any] = {
            "mode": self.mode.value,
            "boundary": self.boundary.value,
            "fillvalue": json_value(self.fillvalue),
            "convention": self.convention.value,
        }
        if any(s != 1 for s in self.stride):
            out["stride"] = list(self.stride)
        if any(d != 1 for d in self.dilation):
            out["dilation"] = list(self.dilation)
        if self.padding is not None:
            out["padding"] = list(self.padding)
        if self.channels:
            out["channels"] = True
        if self.groups != 1:
            out["groups"] = self.groups
        if self.bias:
            out["bias"] = [json_value(b) for b in self.bias]
        if self.activation is not Activation.NONE:
            out["activation"] = self.activation.value
        return out


@dataclass(frozen=True)
class Choice:
    """The engine's decision for one computation, and why (shown by --verbose)."""

    method: Method
    reason: str


@dataclass(frozen=True)
class Result:
    """The outcome of one operation.

    ``value`` is an ndarray (0-d for a scalar). ``products`` holds A*B for elementwise-sum.
    """

    op: Op
    value: np.ndarray
    kind: Kind
    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    options: OpOptions | None = None
    products: np.ndarray | None = None
    notes: tuple[str, ...] = field(default=())
    choice: Choice | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


@dataclass(frozen=True)
class Fact:
    """One sentence of explanation, tagged by what it is about (``flip``, ``window``, ``dot``)."""

    topic: str
    text: str


@dataclass(frozen=True)
class Undefined:
    """An operation that cannot be computed for these inputs: the full reason and a short one."""

    reason: str
    short: str


@dataclass(frozen=True)
class Comparison:
    """The four operations on one pair of inputs: each a Result or the reason it is undefined."""

    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    kind: Kind
    options: OpOptions
    results: dict[Op, Result | Undefined]
    facts: tuple[Fact, ...] = ()
    answer: str = ""  # for these inputs, why the results agree, differ or are undefined
    try_next: tuple[str, str] | None = None  # what these inputs do not show, and a command that does


class GradOf(StrEnum):
    """Which gradient of a layer ``grad`` gives: all three, or one of them (``--of``)."""

    ALL = "all"
    INPUT = "input"
    WEIGHT = "weight"
    BIAS = "bias"

    @property
    def key(self) -> str:
        """The JSON key of the one gradient named: ``grad_input``, ``grad_weight``, ``grad_bias``."""
        return f"grad_{self.value}"

    @property
    def symbol(self) -> str:
        """The gradient as a sheet writes it: ``dX``, ``dW`` or ``db``."""
        return {"input": "dX", "weight": "dW", "bias": "db"}[self.value]


@dataclass(frozen=True)
class GradResult:
    """The gradients of L = sum(G * Y) for the layer Y = OP(X, W) (+ bias).

    ``grad_input`` has X's shape and ``grad_weight`` W's; ``grad_bias`` is 0-d (one filter) or a
    vector of one number per filter (W is O x C x kh x kw). ``upstream`` is G (all ones when
    ``upstream_given`` is False). ``rules`` say in words how each gradient was formed, for these
    options; ``of`` is the one ``--of`` asked for.
    """

    op: Op
    options: OpOptions
    kind: Kind
    x_shape: tuple[int, ...]
    w_shape: tuple[int, ...]
    upstream: np.ndarray
    upstream_given: bool
    grad_input: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray
    rules: tuple[tuple[GradOf, str], ...] = ()
    notes: tuple[str, ...] = field(default=())
    of: GradOf = GradOf.ALL
    name: ClassVar[str] = "grad"

    def value(self, of: GradOf) -> np.ndarray:
        """One of the three gradients."""
        return {GradOf.INPUT: self.grad_input, GradOf.WEIGHT: self.grad_weight, GradOf.BIAS: self.grad_bias}[
            of
        ]

    @property
    def parts(self) -> tuple[GradOf, ...]:
        """The gradients to show: the one ``--of`` names, or all three."""
        return (GradOf.INPUT, GradOf.WEIGHT, GradOf.BIAS) if self.of is GradOf.ALL else (self.of,)


# conv-transpose's command name, in its errors and JSON
TRANSPOSE_NAME = "conv-transpose"


@dataclass(frozen=True)
class TransposeOptions:
    """Per-axis geometry as torch names it; a 1-tuple applies to every axis.

    With ``channels``, A is C_in x H x W and B is C_in x C_out x kh x kw (torch's weight layout
    for conv_transpose2d; a 3-D B is C_in x kh x kw, one output channel). With ``groups`` G, B is
    C_in x C_out/G x kh x kw: the input channels of group g scatter only into its C_out/G output
    channels.
    """

    stride: tuple[int, ...] = (1,)
    padding: tuple[int, ...] = (0,)
    output_padding: tuple[int, ...] = (0,)
    dilation: tuple[int, ...] = (1,)
    channels: bool = False
    groups: int = 1

    def describe(self) -> dict[str, Any]:
        """The options as plain values, for JSON."""
        out: dict[str, Any] = {
            "stride": list(self.stride),
            "padding": list(self.padding),
            "output_padding": list(self.output_padding),
            "dilation": list(self.dilation),
        }
        if self.channels:
            out["channels"] = True
        if self.groups != 1:
            out["groups"] = self.groups
        return out


@dataclass(frozen=True)
class TransposeResult:
    """The outcome of ``conv_transpose``. ``value`` is C_out x H' x W' with channels (H' x W'
    when there is one output channel), else the shape of the operands' axes."""

    value: np.ndarray
    kind: Kind
    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    options: TransposeOptions
    notes: tuple[str, ...] = field(default=())
    name: ClassVar[str] = TRANSPOSE_NAME

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)
