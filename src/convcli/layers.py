"""Network arithmetic: follow a chain of torch layers from an input shape, and count as the
README's "Network arithmetic" says.

For each layer: its output shape, parameters, multiply-accumulates (MACs), and the receptive
field of one output unit on the input (its size r, the jump j between neighbouring units, and the
start, the centre of the first unit's field as a pixel index of the input).

Counting rules, the ones a course uses:

- parameters are weights plus biases; BatchNorm2d has 2 x C (its running mean and variance are
  buffers, not parameters);
- MACs are output elements x (C_in/groups x kh x kw) for a convolution, input elements x
  (C_out/groups x kh x kw) for a transposed one, in x out for Linear, and 0 for bias adds,
  pooling, normalization and activations; FLOPs = 2 x MACs;
- the field grows as r = r + d(k-1)j, j = js, start = start + (d(k-1)/2 - p)j, with r = 1, j = 1,
  start = 0 at the input. After Flatten, Linear, or an adaptive pool with uneven or global
  windows, every unit sees the whole input. An adaptive pool whose input size is a multiple of
  its output size is an ordinary pool (kernel = stride = n/o), and one that keeps the size is the
  identity.
- A transposed convolution of stride s is a stride-1 convolution over its input with s-1 zeros
  between neighbouring units: its units are s times denser, so the jump becomes fractional,
  j/s, the field grows by d(k-1)j/s and the start moves by (p - d(k-1)/2)j/s. The field is then
  the span the kernel covers, in input pixels; the pixels a unit actually reads may be fewer.

A chain cannot model a branch (ResNet's downsample, a shortcut): a module whose name suggests one
reads the input of the block around it, and the chain continues from the block's main path; a
note says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from . import shapes
from .errors import ShapeError, UsageError
from .fields import AxisField, Field, field_json, field_texts
from .modeltext import Branch, Entry, parse_call
from .text import dims_text
from .torch_layer_base import Given, Layer, Mismatch
from .torch_layers import Flatten, Linear, layer_of
from .torch_layers_pool import AvgPool2d

__all__ = [
    "LayerRow",
    "Network",
    "Explanation",
    "follow",
    "follow_calls",
    "explain",
    "input_shape",
    "RULES",
    "HEADERS",
]

HEADERS = ("#", "layer", "output", "params", "MACs", "field", "jump", "start")
RULES = (
    "params = weights + biases (BatchNorm2d: 2·C; running statistics are buffers, not parameters)",
    "MACs = output elements · C_in/groups·kh·kw (Conv2d), input elements · C_out/groups·kh·kw "
    "(ConvTranspose2d), in · out (Linear); 0 for bias adds, pooling, normalization and activations; "
    "FLOPs = 2 · MACs",
    "field r = r + d(k−1)·j, jump j = j·s, start = start + (d(k−1)/2 − p)·j, in input pixels "
    "from r = 1, j = 1, start = 0; 'all' after Flatten, Linear or a global pool; a transposed "
    "convolution divides the jump by its stride",
)


# ---------------------------------------------------------------------------------------------
# following a chain


@dataclass(frozen=True)
class LayerRow:
    """One layer's numbers. ``field_in`` and ``field`` are the receptive field before and after
    it; ``path`` is the module's dotted name in print(model) ('' for a layer given on its own);
    ``branch`` names the branch it belongs to, if any."""

    index: int
    layer: Layer
    input: tuple[int, ...]
    output: tuple[int, ...]
    params: int
    macs: int
    field_in: Field
    field: Field
    path: str = ""
    branch: str | None = None

    @property
    def text(self) -> str:
        """The layer as written."""
        return self.layer.call.text

    @property
    def short(self) -> str:
        """The layer with only what differs from torch's defaults: Conv2d(3, 6, 5)."""
        return self.layer.short()

    def describe(self, spatial: tuple[int, ...]) -> dict[str, Any]:
        """The row as the JSON of README's "Network arithmetic" has it."""
        return {
            "index": self.index,
            "layer": self.text,
            "output": list(self.output),
            "params": self.params,
            "macs": self.macs,
            **field_json(self.field, spatial),
        }


@dataclass(frozen=True)
class Network:
    """A chain followed from ``input``: a row per layer, the notes to show with them, and the
    totals."""

    input: tuple[int, ...]
    rows: tuple[LayerRow, ...]
    notes: tuple[str, ...] = ()

    @property
    def spatial(self) -> tuple[int, ...]:
        """The input's spatial sizes (H, W), or () for a flat input."""
        return self.input[1:] if len(self.input) == 3 else ()

    @property
    def output(self) -> tuple[int, ...]:
        main = [row for row in self.rows if row.branch is None]
        return main[-1].output if main else self.input

    @property
    def params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def macs(self) -> int:
        return sum(row.macs for row in self.rows)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def cells(self, *, grouped: bool = False) -> list[list[str]]:
        """A row of cells per layer, as HEADERS names them; ``grouped`` writes counts with
        thousands separators (for people)."""

        def count(n: int) -> str:
            return f"{n:,}" if grouped else str(n)

        return [
            [
                str(row.index),
                row.short,
                dims_text(row.output),
                count(row.params),
                count(row.macs),
                *field_texts(row.field),
            ]
            for row in self.rows
        ]

    def describe(self) -> dict[str, Any]:
        """The network as the JSON of README's "Network arithmetic" has it."""
        return {
            "input": list(self.input),
            "layers": [row.describe(self.spatial) for row in self.rows],
            "params": self.params,
            "macs": self.macs,
            "flops": self.flops,
        }


@dataclass
class _State:
    shape: tuple[int, ...]
    field: Field
    unflattened: tuple[int, ...]


def input_shape(values: tuple[int, ...]) -> tuple[int, ...]:
    """--input as a network input: C x H x W, or N for a flat vector of N features."""
    if len(values) in (1, 3):
        return values
    if len(values) == 4:
        raise UsageError(
            f"--input takes one sample, without the batch axis: C x H x W such as 3x32x32; got "
            f"{dims_text(values)}"
        )
    raise UsageError(
        f"--input takes C x H x W (such as 3x32x32, or 1x{values[-1]}x{values[-1]} for one channel), "
        f"or N for a flat vector of N features; got {dims_text(values)}"
    )


def follow_calls(shape: tuple[int, ...], texts: Sequence[str]) -> Network:
    """Follow layers given one by one as text, such as ``["Conv2d(3, 6, 5)", "MaxPool2d(2)"]``."""
    return follow(shape, [Entry(parse_call(text, f"layer {i}")) for i, text in enumerate(texts, start=1)])


def follow(shape: tuple[int, ...], entries: Sequence[Entry]) -> Network:
    """Follow a chain of layers from an input of ``shape``, counting as README's "Network arithmetic" says.

    Parameters
    ----------
    shape : tuple of int
        One sample without the batch axis: (C, H, W), or (N,) for a flat vector.
    entries : sequence of Entry
        The layers in order, from ``modeltext.parse_model`` (print(model)) or ``parse_call``.

    Returns
    -------
    Network
        A row per layer (output shape, parameters, MACs, receptive field before and after),
        the totals, and notes (branches, an implied flatten, what print(model) hides).

    Raises
    ------
    ShapeError
        A layer that does not fit its input (channels, in_features, a size below 1), naming its
        position, its text and both numbers.
    ParseError
        An argument a layer does not take, located where it is written.

    Notes
    -----
    The field follows r = r + d(k-1)j, j = js, start = start + (d(k-1)/2 - p)j from r = 1,
    j = 1, start = 0; see the module docstring for transposed convolutions, adaptive pools and
    branches. A layer in a branch reads the input of the block around it; the chain continues
    from the main path.

    Examples
    --------
    >>> net = follow_calls((3, 32, 32), ["Conv2d(3, 6, 5)", "MaxPool2d(2)"])
    >>> [(row.output, row.params, row.macs) for row in net.rows]
    [((6, 28, 28), 456, 352800), ((6, 14, 14), 0, 0)]
    >>> field_texts(net.rows[-1].field)
    ('6', '2', '2.5')
    """
    shape = input_shape(tuple(shape))
    spatial = shape[1:] if len(shape) == 3 else ()
    start = _State(shape, tuple(AxisField(Fraction(1), Fraction(1), Fraction(0)) for _ in spatial), shape)
    main = start
    entered: dict[int, _State] = {}
    branch_state: _State | None = None
    branch: Branch | None = None
    branch_rows: list[LayerRow] = []
    pending: list[tuple[Branch, list[LayerRow]]] = []
    rows: list[LayerRow] = []
    notes: list[str] = []
    for index, entry in enumerate(entries, start=1):
        for block in list(pending):
            if block[0].block not in entry.containers:
                notes.append(_branch_note(block[0], block[1], main.shape))
                pending.remove(block)
        for container in entry.containers:
            entered.setdefault(container, main)
        if entry.branch is not None:
            if branch is None or entry.branch.instance != branch.instance:
                branch, branch_rows = entry.branch, []
                pending.append((branch, branch_rows))
                branch_state = entered.get(branch.block, start)
            assert branch_state is not None
            row, branch_state = _step(index, entry, branch_state, "the block's input", spatial)
            branch_rows.append(row)
        else:
            branch = None
            origin = "the input" if main is start else "the previous layer"
            row, main = _step(index, entry, main, origin, spatial)
            hidden = _hidden_ceil_mode(row, entry)
            if hidden:
                notes.append(hidden)
            if isinstance(row.layer, Linear) and row.layer.reads_flattened(row.input):
                notes.append(
                    f"layer {index}: {row.short} reads its {dims_text(row.input)} input flattened "
                    f"({math.prod(row.input):,} values), as forward() does with torch.flatten; "
                    "print(model) does not show that step"
                )
        rows.append(row)
    for block in pending:
        notes.append(_branch_note(block[0], block[1], main.shape))
    return Network(shape, tuple(rows), tuple(notes))


def _step(
    index: int, entry: Entry, state: _State, origin: str, spatial: tuple[int, ...]
) -> tuple[LayerRow, _State]:
    layer = layer_of(entry.call)
    given = Given(state.shape, origin, state.unflattened)
    try:
        out = layer.output(given)
        f = layer.field(state.field, state.shape)
    except Mismatch as exc:
        where = f"{entry.call.source}:{entry.call.line}: " if entry.call.line is not None else ""
        raise ShapeError(f"{where}layer {index}: {entry.call.text} {exc}", short=str(exc)) from None
    row = LayerRow(
        index,
        layer,
        state.shape,
        out,
        layer.params(),
        layer.macs(state.shape, out),
        state.field,
        f,
        entry.path,
        entry.branch.path if entry.branch else None,
    )
    # messages about a flat vector name the shape a Flatten made it from (16x4x4 = 256)
    keep = layer.elementwise or isinstance(layer, Flatten)
    return row, _State(out, f, state.unflattened if keep else out)


def _hidden_ceil_mode(row: LayerRow, entry: Entry) -> str | None:
    """print(model) shows AvgPool2d without its ceil_mode: say so where ceil mode would change
    the size (the chain assumes torch's default, False)."""
    if not isinstance(row.layer, AvgPool2d) or entry.call.line is None:
        return None
    if any(key == "ceil_mode" for key, _ in entry.call.kwargs) or len(entry.call.args) > 3:
        return None
    k, s, p, d = row.layer.geometry()
    ceil = tuple(
        shapes.pool_output_size(n, k[i], s[i], p[i], d[i], True) for i, n in enumerate(row.input[1:])
    )
    if ceil == row.output[1:]:
        return None
    return (
        f"layer {row.index}: print(model) does not show AvgPool2d's ceil_mode; with the default, False, "
        f"it gives {dims_text(row.output)}, with ceil_mode=True {dims_text((row.output[0], *ceil))}"
    )


def _branch_note(branch: Branch, rows: list[LayerRow], main: tuple[int, ...]) -> str:
    first, last = rows[0].index, rows[-1].index
    one = first == last
    which = f"layer {first}" if one else f"layers {first}-{last}"
    out = dims_text(rows[-1].output)
    its, it = ("its", "it") if one else ("their", "they")
    added = (
        f"{its} output {out} is added to the main path's"
        if rows[-1].output == main
        else f"{its} output {out} cannot be added to the main path's"
    )
    return (
        f"{which} ({branch.path}) {'is a branch' if one else 'are a branch'}: {it} "
        f"{'reads' if one else 'read'} the block's input ({dims_text(rows[0].input)}) and {added} "
        f"{dims_text(main)}; a chain cannot model the addition, so the rows after "
        f"{'it' if one else 'them'} continue from the main path"
    )


# ---------------------------------------------------------------------------------------------
# one layer explained


@dataclass(frozen=True)
class Explanation:
    """One layer's numbers with the formulas filled in: (label, text) lines."""

    row: LayerRow
    lines: tuple[tuple[str, str], ...]

    @property
    def title(self) -> str:
        return (
            f"layer {self.row.index}: {self.row.short} · input {dims_text(self.row.input)} "
            f"-> output {dims_text(self.row.output)}"
        )


def explain(network: Network, at: int) -> Explanation:
    """Layer ``at`` (1-based, as the table numbers them) with its formulas filled in."""
    if not 1 <= at <= len(network.rows):
        raise UsageError(f"--at takes a layer number from 1 to {len(network.rows)}, got {at}")
    row = network.rows[at - 1]
    return Explanation(row, tuple(row.layer.explain(row)))
