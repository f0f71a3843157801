"""Plain data of the explanations: steps and im2col (of the sliding operations and of pooling),
check's verdict, compare --conventions and conv-transpose's scatter-add. Each is built by the
module that explains (steps, diagnose, comparison, transpose) and drawn by the render_* or formats_* modules.
Kept apart from model.py, which every run imports, so that a plain run does not build these
classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from .model import Convention, Kind, Op, OpOptions, Result, TransposeOptions, Undefined

if TYPE_CHECKING:  # pooling loads only with the commands that pool
    from .pool import PoolResult

__all__ = [
    "Step",
    "Steps",
    "Im2col",
    "PoolStep",
    "GradSource",
    "PoolGradStep",
    "PoolSteps",
    "Diagnosis",
    "CheckReport",
    "PoolCheckReport",
    "ConventionRow",
    "ConventionComparison",
    "ScatterStep",
    "TransposeSteps",
    "Verdict",
]


@dataclass(frozen=True)
class Step:
    """One output cell.

    ``cell`` indexes the result. ``window`` and ``kernel`` have the kernel's shape (with
    --channels: C x kh x kw, or C/G x kh x kw with --groups G: the window holds only the channels
    of the filter's group, the first of them being channel ``first_channel`` of A); ``padding``
    marks window entries that lie outside A. For dot, ``window`` is a row of A and ``kernel`` a
    column of B.
    """

    cell: tuple[int, ...]
    window: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: Any
    value: Any
    origin: tuple[int, ...] = ()
    padding: np.ndarray | None = None
    channel_sums: tuple[Any, ...] = ()
    first_channel: int = 0


@dataclass(frozen=True)
class Steps:
    """The derivation of a result, cell by cell, possibly capped (``shown < total_cells``)."""

    op: Op
    options: OpOptions | None
    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    steps: tuple[Step, ...]
    total_cells: int
    kernel: np.ndarray | None = None
    turned: np.ndarray | None = None
    padded: np.ndarray | None = None
    pad_mask: np.ndarray | None = None
    stride: tuple[int, ...] = ()
    dilation: tuple[int, ...] = ()
    bias: Any = None
    chosen: bool = False  # one cell picked with --at, not a capped run
    pads: tuple[tuple[int, int], ...] = ()  # (before, after) padding of each spatial axis
    max_terms: int | None = None  # the cap on products shown, when it, not --max-steps, stopped

    @property
    def capped(self) -> bool:
        return not self.chosen and len(self.steps) < self.total_cells


@dataclass(frozen=True)
class Im2col:
    """A whole convolution as one matrix multiply: ``kernel_rows @ patches``, reshaped."""

    op: Op
    patches: np.ndarray  # (taps, windows): one column per output cell
    labels: tuple[tuple[int, ...], ...]  # the output cell of each column
    kernel_rows: np.ndarray  # (filters, taps): the kernel as applied, flattened
    product: np.ndarray  # kernel_rows @ patches, reshaped to the output
    expected: np.ndarray  # the same operation computed by ops
    equal: bool
    tap_shape: tuple[int, ...] = ()  # the kernel's shape as applied: row r of the patches is its tap r
    # with --groups G, kernel_rows is block-diagonal, one block per group: the filters of group g
    # have zeros except on the rows of the patches that hold their group's channels
    groups: int = 1
    a_shape: tuple[int, ...] = ()
    b_shape: tuple[int, ...] = ()
    kind: Kind | None = None
    options: OpOptions | None = None

    def tap_name(self, row: int) -> str:
        """The entry of B that meets row ``row`` of the patches: ``B[2,2]`` first for a 3x3
        kernel under convolve, which turns B; with --channels ``B[c,u,v]`` (``B[:,c,u,v]``:
        every filter's entry there, one per kernel row). With --groups, channel c of A meets
        channel c mod C/G of its group's filters."""
        tap = tuple(int(i) for i in np.unravel_index(row, self.tap_shape))
        channels = self.options is not None and self.options.channels
        spatial = 2 if channels else len(tap)
        where = list(tap)
        if self.op is Op.CONVOLVE:  # the spatial axes are turned; channels never are
            for axis in range(len(tap) - spatial, len(tap)):
                where[axis] = self.tap_shape[axis] - 1 - tap[axis]
        if channels and self.groups > 1:
            where[0] = where[0] % (self.tap_shape[0] // self.groups)
        if channels and len(self.b_shape) < 3:
            where = where[-spatial:]  # a 2-D B is one channel
        head = ":," if channels and len(self.b_shape) == 4 else ""
        return f"B[{head}{','.join(map(str, where))}]"


@dataclass(frozen=True)
class PoolStep:
    """One output cell of a pooling.

    ``taps`` are the window's (row, column) in A's coordinates, row by row (outside A: padding);
    ``window`` holds what the pooling reads at each: A's entry, -inf for max's padding, 0 for
    avg's counted padding, None where nothing is read (avg's padding with --no-count-pad, a tap
    past the padded edge in ceil mode). Max: ``best`` is the tap holding the maximum (the first of
    ``ties`` equal ones, or the last nan); avg: ``total`` / ``count``.
    """

    cell: tuple[int, ...]
    taps: tuple[tuple[int, int], ...]
    window: tuple[Any, ...]
    padding: tuple[bool, ...]
    value: Any
    best: int | None = None
    ties: int = 0
    total: Any = None
    count: int = 0


@dataclass(frozen=True)
class GradSource:
    """One output cell whose gradient reaches a cell of A: G there, avg's divisor, the share."""

    cell: tuple[int, ...]
    g: Any
    count: int | None
    share: Any


@dataclass(frozen=True)
class PoolGradStep:
    """One cell of the gradient with respect to A: the output cells it comes from, and the sum."""

    cell: tuple[int, ...]
    sources: tuple[GradSource, ...]
    value: Any


@dataclass(frozen=True)
class PoolSteps:
    """A pooling derived window by window (``steps``) or, for ``--of grad-input``, cell of A by
    cell of A (``grad_steps``), possibly capped."""

    result: PoolResult
    steps: tuple[PoolStep, ...]
    grad_steps: tuple[PoolGradStep, ...]
    total_cells: int
    chosen: bool = False
    batch: np.ndarray | None = None  # A as N x H x W, in its number kind (for drawing windows)
    terms: int = 0  # the most taps (or G cells) one step adds up
    max_terms: int | None = None  # the cap on terms shown, when it, not --max-steps, stopped

    def channel(self, cell: tuple[int, ...], of_input: bool = False) -> int:
        """Which of the batch's channels a cell of the output (or of A) lies in."""
        from .pool_geometry import batch_index

        return batch_index(cell, self.result.a_shape if of_input else tuple(self.result.output.shape))[0]

    @property
    def gradient(self) -> bool:
        return self.result.grad_input is not None and self.result.of.value == "grad-input"

    @property
    def shown(self) -> int:
        return len(self.grad_steps) if self.gradient else len(self.steps)

    @property
    def capped(self) -> bool:
        return not self.chosen and self.shown < self.total_cells

    def cap_note(self) -> str:
        """What a capped derivation shows, and how to see the rest."""
        from .steps import at_placeholder, cap_text

        shape = self.result.a_shape if self.gradient else tuple(self.result.output.shape)
        at = at_placeholder(len(shape), "C")
        return cap_text(self.shown, self.total_cells, self.terms, self.max_terms, "taps", at=at)


@dataclass(frozen=True)
class Diagnosis:
    """The neighbouring answer that the user's answer equals, and the slip it points to.

    ``op`` with ``options`` on A and B (or on ``operands``, when the neighbour changes them: B
    transposed or turned, the operands swapped, one channel) reproduces the answer; ``op`` is
    None for the element-wise products A*B and for arithmetic on the right result: the answer is
    the right result plus ``offset``, or ``factor`` times it. Slips in writing the answer down
    (transposed, reshaped, rounded) set none of these.
    """

    key: str
    text: str
    options: OpOptions | None
    op: Op | None
    operands: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)
    offset: Any = None
    factor: Any = None


RightAnswer = TypeVar("RightAnswer")


@dataclass(frozen=True)
class Verdict(Generic[RightAnswer]):
    """The verdict on one answer, against ``expected``: what the right answer came from.

    ``wrong`` lists the cells (indices into the right value; ``()`` for a scalar) where the
    answer differs; it is empty when the shapes differ, and ``shape_mismatch`` says how. ``worst``
    says how far off the answer is when no diagnosis explains it and the shapes agree.
    """

    match: bool
    expected: RightAnswer
    answer: np.ndarray
    wrong: list[tuple[int, ...]]
    shape_mismatch: str | None
    diagnosis: Diagnosis | None
    worst: str | None


class CheckReport(Verdict[Result]):
    """The verdict on an answer to convolve, correlate, elementwise-sum or dot."""


class PoolCheckReport(Verdict["PoolResult"]):
    """The verdict on an answer to a pooling (its output, or with ``expected.of`` grad-input its
    gradient with respect to A)."""


@dataclass(frozen=True)
class ConventionRow:
    """One library's 'same' results for convolve and correlate, the padding it used, its rule."""

    convention: Convention
    results: dict[Op, Result | Undefined]
    pads: dict[Op, tuple[tuple[int, int], ...]]
    rule: str
    differs: dict[Op, tuple[tuple[int, ...], ...]]  # cells that differ from the first row


@dataclass(frozen=True)
class ConventionComparison:
    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    options: OpOptions
    rows: tuple[ConventionRow, ...]


@dataclass(frozen=True)
class ScatterStep:
    """One input cell's share of the result.

    ``cell`` indexes A as given (with channels: channel first). ``contribution`` is ``value``
    times the dilated kernel (C_out x ... with several output channels); its corner lands at
    ``origin`` (cell times stride) in the uncropped output.
    """

    cell: tuple[int, ...]
    value: Any
    origin: tuple[int, ...]
    contribution: np.ndarray


@dataclass(frozen=True)
class TransposeSteps:
    """A transposed convolution explained two ways.

    Scatter view: ``steps`` (capped: ``shown < total_cells``) add up to ``uncropped``, from which
    ``crop`` (before, after) per axis is cut to give ``result``.

    Gather view: ``stuffed`` is A with s-1 zeros between entries; ``pads`` is the (before, after)
    zero padding d*(k-1)-p and d*(k-1)-p+a per axis (a negative amount crops instead), giving
    ``padded``; a valid-mode correlation of ``padded`` with ``turned`` (B dilated, then turned
    180° on its spatial axes; summed over C_in with channels) gives ``result``.
    """

    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    options: TransposeOptions
    kind: Kind
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    steps: tuple[ScatterStep, ...]
    total_cells: int
    kernel: np.ndarray
    uncropped: np.ndarray
    crop: tuple[tuple[int, int], ...]
    stuffed: np.ndarray
    pads: tuple[tuple[int, int], ...]
    padded: np.ndarray
    turned: np.ndarray
    result: np.ndarray

    @property
    def capped(self) -> bool:
        return len(self.steps) < self.total_cells
