"""check, fuzzed: right answers in every layout are right, and no classic slip is ever right.

Every problem is worked independently here: the operation by its definition in plain Python
arithmetic (exact for integers and fractions), each cell's scale by the same sums of absolute
values. Answers are written out as a user writes them (integers, decimals, fractions,
scientific notation, JSON, MATLAB rows) and read back as check reads them. A slip's answer
must be called wrong whenever it differs from the right one by more than the tolerance allows,
and a diagnosis, when one is given, must name something that really equals the answer.

``CONVCLI_FUZZ_PROBLEMS=2000 pytest tests/test_diagnose_fuzz.py`` runs a longer search.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from convcli.diagnose import check, read_answer
from convcli.model import Convention, Mode, Op, OpOptions

PROBLEMS = int(os.environ.get("CONVCLI_FUZZ_PROBLEMS", "40"))
TOLERANCE = 1e-9

# --- the operation by its definition ------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    op: str  # "correlate" or "convolve"
    a: list[list[Any]]  # Python numbers: ints, Fractions, floats or complex
    b: list[list[Any]]
    mode: str = "valid"
    convention: str = "scipy"
    stride: int = 1
    padding: int | None = None
    dilation: int = 1
    bias: Any = None
    fill: Any = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def options(self) -> OpOptions:
        return OpOptions(
            mode=Mode(self.mode),
            convention=Convention(self.convention),
            stride=(self.stride,),
            padding=None if self.padding is None else (self.padding,),
            dilation=(self.dilation,),
            bias=() if self.bias is None else (self.bias,),
            fillvalue=self.fill,
        )


def _array(rows: list[list[Any]]) -> np.ndarray:
    kinds = {type(v) for row in rows for v in row}
    if kinds <= {int}:
        return np.array(rows, dtype=np.int64)
    if kinds <= {int, float}:
        return np.array(rows, dtype=np.float64)
    if complex in kinds:
        return np.array(rows, dtype=np.complex128)
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[:] = rows
    return out


def _same_start(op: str, convention: str, k: int) -> int:
    if convention == "scipy":
        return (k - 1) // 2 if op == "convolve" else k // 2
    if convention == "numpy":
        return (k - 1) // 2
    return k // 2


def worked(p: Problem, magnitude: bool = False) -> list[list[Any]] | None:
    """The result of ``p`` by the operations' definitions, cell by cell, or None when the
    operation refuses these shapes. ``magnitude``: the sums of |products| (and |bias|) instead."""
    a, b = p.a, p.b
    if p.op == "convolve":
        b = [row[::-1] for row in b[::-1]]
    elif not magnitude:
        b = [[w.conjugate() if isinstance(w, complex) else w for w in row] for row in b]
    if magnitude:
        a = [[abs(v) for v in row] for row in a]
        b = [[abs(w) for w in row] for row in b]
    d = p.dilation
    kh, kw = (len(b) - 1) * d + 1, (len(b[0]) - 1) * d + 1
    m, n = len(a), len(a[0])
    fill = abs(p.fill) if magnitude else p.fill
    if p.padding is not None:
        pads = (p.padding, p.padding, p.padding, p.padding)
    elif p.mode == "valid":
        pads = (0, 0, 0, 0)
        if m < kh or n < kw:
            return None
    else:
        pads = (kh - 1, kh - 1, kw - 1, kw - 1)
    rows = m + pads[0] + pads[1]
    cols = n + pads[2] + pads[3]
    if rows < kh or cols < kw:
        return None

    def at(i: int, j: int) -> Any:
        i, j = i - pads[0], j - pads[2]
        return a[i][j] if 0 <= i < m and 0 <= j < n else fill

    full = []
    for i in range(rows - kh + 1):
        line = []
        for j in range(cols - kw + 1):
            total: Any = 0
            for u in range(len(b)):
                for v in range(len(b[0])):
                    total = total + at(i + u * d, j + v * d) * b[u][v]
            line.append(total)
        full.append(line)
    if p.mode == "same":
        top, left = _same_start(p.op, p.convention, kh), _same_start(p.op, p.convention, kw)
        full = [row[left : left + n] for row in full[top : top + m]]
    out = [row[:: p.stride] for row in full[:: p.stride]]
    if p.bias is not None:
        bias = abs(p.bias) if magnitude else p.bias
        out = [[v + bias for v in row] for row in out]
    return out


# --- writing an answer down as a user would -----------------------------------------------------


def _decimal(v: Fraction) -> str | None:
    """A fraction as an exact decimal, when it has one (3/8 is 0.375; 1/3 has none)."""
    den = v.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    places = max(twos, fives)
    digits = abs(v.numerator) * 10**places // v.denominator
    text = str(digits).rjust(places + 1, "0")
    text = text[:-places] + "." + text[-places:] if places else text
    return ("-" if v < 0 else "") + text


def spelled(v: Any, style: int) -> str:
    """One number, written in one of several equivalent ways."""
    if isinstance(v, complex):
        return f"{v.real!r}{v.imag:+}j"
    if isinstance(v, float):
        return [repr(v), f"{v:.17e}", f"{v:.17g}"][style % 3]
    v = Fraction(v)
    decimal = _decimal(v)
    if v.denominator == 1:
        whole = str(v.numerator)
        return [whole, whole + ".0", f"{v.numerator}e0", f"{v.numerator * 10}e-1"][style % 4]
    if decimal is not None and style % 2:
        mantissa = decimal.replace(".", "").lstrip("-0") or "0"
        exponent = -(len(decimal.split(".")[1]))
        return decimal if style % 4 == 1 else f"{'-' if v < 0 else ''}{mantissa}e{exponent}"
    return f"{v.numerator}/{v.denominator}"


def written(rows: list[list[Any]], layout: int) -> str:
    """A whole answer as inline MATLAB rows, or JSON (numbers, and strings for fractions)."""
    if layout % 2 == 0:
        return "; ".join(" ".join(spelled(v, layout + j) for j, v in enumerate(row)) for row in rows)

    def cell(v: Any, j: int) -> Any:
        if isinstance(v, complex):
            return spelled(v, j)
        if isinstance(v, float):
            return v
        v = Fraction(v)
        return v.numerator if v.denominator == 1 else f"{v.numerator}/{v.denominator}"

    return json.dumps([[cell(v, j) for j, v in enumerate(row)] for row in rows])


# --- deciding independently whether an answer is right -----------------------------------------


def verdict(answer: list[list[Any]], right: list[list[Any]], scale: list[list[Any]]) -> bool | None:
    """True if ``answer`` is right, False if wrong beyond doubt, None if too close to call."""
    if len(answer) != len(right) or len(answer[0]) != len(right[0]):
        return False
    exact = all(isinstance(v, int | Fraction) for row in right for v in row)
    close = True
    for xs, ys, ss in zip(answer, right, scale, strict=True):
        for x, y, s in zip(xs, ys, ss, strict=True):
            if exact:
                if Fraction(x) != y:
                    return False
                continue
            # exactly, in rational arithmetic, against the tolerance's bounds
            off = abs(Fraction(complex(x).real) - Fraction(complex(y).real)) + abs(
                Fraction(complex(x).imag) - Fraction(complex(y).imag)
            )
            bound = Fraction(TOLERANCE) * Fraction(float(s))
            if off > 2 * bound:
                return False
            if off > bound / 4:
                close = False
    return True if close else None


# --- problems -----------------------------------------------------------------------------------


def _numbers(
    rng: np.random.Generator, shape: tuple[int, int], kind: str, magnitude: float
) -> list[list[Any]]:
    values = rng.integers(-9, 10, shape).tolist()
    if kind == "int":
        return values
    if kind == "fraction":
        dens = rng.choice([1, 2, 3, 4, 8, 9], shape).tolist()
        return [
            [Fraction(v, int(d)) for v, d in zip(row, drow, strict=True)]
            for row, drow in zip(values, dens, strict=True)
        ]
    if kind == "complex":
        imag = rng.integers(-9, 10, shape).tolist()
        return [
            [complex(v, w) * magnitude / 7 for v, w in zip(row, irow, strict=True)]
            for row, irow in zip(values, imag, strict=True)
        ]
    return [[float(v) * magnitude * float(rng.uniform(0.5, 1.5)) for v in row] for row in values]


def problem(rng: np.random.Generator) -> Problem:
    kind = str(rng.choice(["int", "fraction", "float", "float", "complex"]))
    magnitude = 10.0 ** int(rng.choice([-12, -6, -1, 0, 3, 12]))
    a = _numbers(rng, (int(rng.integers(3, 7)), int(rng.integers(3, 7))), kind, magnitude)
    b_kind = "int" if kind in ("int", "fraction") and rng.random() < 0.5 else kind
    b = _numbers(rng, (int(rng.integers(1, 4)), int(rng.integers(1, 4))), b_kind, 1.0)
    op = str(rng.choice(["correlate", "convolve"]))
    layer = rng.random() < 0.4
    if layer:
        return Problem(
            op,
            a,
            b,
            stride=int(rng.integers(1, 3)),
            padding=int(rng.integers(0, 2)),
            dilation=int(rng.integers(1, 3)),
            bias=None
            if rng.random() < 0.5
            else _numbers(rng, (1, 1), kind if kind != "complex" else "float", magnitude)[0][0],
        )
    mode = str(rng.choice(["valid", "same", "full"]))
    convention = str(rng.choice(["scipy", "numpy", "matlab"])) if mode == "same" else "scipy"
    return Problem(op, a, b, mode=mode, convention=convention)


def slips(p: Problem, rng: np.random.Generator) -> list[tuple[str, list[list[Any]] | None]]:
    """The classic slips, each as the answer it gives (None when the operation refuses it)."""
    out: list[tuple[str, list[list[Any]] | None]] = []
    other = "convolve" if p.op == "correlate" else "correlate"
    out.append(("flip", worked(replace(p, op=other))))
    if p.padding is None:
        for mode in ("valid", "same", "full"):
            if mode != p.mode:
                out.append(("mode", worked(replace(p, mode=mode))))
        if p.mode == "same":
            for convention in ("scipy", "numpy", "matlab"):
                if convention != p.convention:
                    out.append(("convention", worked(replace(p, convention=convention))))
    out.append(("transpose", worked(replace(p, b=[list(col) for col in zip(*p.b, strict=True)]))))
    for stride in (p.stride - 1, p.stride + 1):
        if stride >= 1:
            out.append(("stride", worked(replace(p, stride=stride))))
    if p.mode == "valid":
        for padding in (0, 1, 2):
            if padding != (p.padding or 0):
                out.append(("padding", worked(replace(p, padding=padding))))
    for dilation in (p.dilation - 1, p.dilation + 1):
        if dilation >= 1:
            out.append(("dilation", worked(replace(p, dilation=dilation))))
    if p.bias is not None and p.bias != 0:
        out.append(("missing bias", worked(replace(p, bias=None))))
    right = worked(p)
    assert right is not None
    for factor in (Fraction(1, 9), 2, -1):
        out.append(("scale", [[v * factor for v in row] for row in right]))
    scale = worked(p, magnitude=True)
    assert scale is not None
    i, j = int(rng.integers(0, len(right))), int(rng.integers(0, len(right[0])))
    for name, change in (("one cell off by one", 1), ("one cell off by a hair", None)):
        cell = [list(row) for row in right]
        v = cell[i][j]
        if change is None:
            # just beyond the tolerance: three times what it allows (a relative 1e-12 when exact)
            size = abs(v) if isinstance(v, int | Fraction) else float(scale[i][j])
            step = (
                Fraction(1, 10**12) * (size or 1) if isinstance(v, int | Fraction) else 3 * TOLERANCE * size
            )
            if isinstance(v, float | complex) and step == 0:
                continue
            cell[i][j] = v + step
        else:
            unit = 1 if isinstance(v, int | Fraction) else float(scale[i][j]) or 1.0
            cell[i][j] = v + unit
        out.append((name, cell))
    return out


# --- the checks --------------------------------------------------------------------------------


def _judged(p: Problem, text: str) -> Any:
    a, b = _array(p.a), _array(p.b)
    answer, as_floats = read_answer(text, a, b, Op(p.op), p.options)
    return check(a, b, answer, Op(p.op), p.options, tolerance=TOLERANCE, written_as_floats=as_floats)


def _diagnosis_is_true(p: Problem, report: Any, answer: list[list[Any]], scale: list[list[Any]]) -> None:
    d = report.diagnosis
    if d is None:
        return
    right = worked(p)
    assert right is not None
    if d.op in (Op.CONVOLVE, Op.CORRELATE):
        # the neighbour it names, worked here from its operation, options and operands
        a, b = (x.tolist() for x in d.operands) if d.operands is not None else (p.a, p.b)
        o = d.options
        named = Problem(
            d.op.value,
            a,
            b,
            mode=o.mode.value,
            convention=o.convention.value,
            stride=o.stride[0],
            padding=None if o.padding is None else o.padding[0],
            dilation=o.dilation[0],
            bias=o.bias[0] if o.bias else None,
            fill=o.fillvalue,
        )
        value, size = worked(named), worked(named, magnitude=True)
        assert value is not None and size is not None, d.text
        assert verdict(answer, value, size) is not False, d.text
    elif d.offset is not None:
        shifted = [[v + d.offset for v in row] for row in right]
        assert verdict(answer, shifted, [[s + abs(d.offset) for s in row] for row in scale]) is not False, (
            d.text
        )
    elif d.factor is not None:
        scaled = [[v * d.factor for v in row] for row in right]
        assert verdict(answer, scaled, [[s * abs(d.factor) for s in row] for row in scale]) is not False, (
            d.text
        )
    elif d.key == "rounded":
        match = re.search(r"--tolerance (\S+) accepts it", d.text)
        if match:
            a, b = _array(p.a), _array(p.b)
            loose = check(a, b, report.answer, Op(p.op), p.options, tolerance=float(match.group(1)))
            assert loose.match, d.text
        else:
            assert "these inputs are exact" in d.text
    elif d.key == "answer-transposed":
        assert verdict([list(col) for col in zip(*answer, strict=True)], right, scale) is not False
    else:
        raise AssertionError(f"a diagnosis the fuzz cannot verify: {d.key}: {d.text}")


def problems(rng: np.random.Generator) -> Iterator[tuple[Problem, list[list[Any]]]]:
    """PROBLEMS random problems that the operation accepts, each with its right answer."""
    tried = 0
    while tried < PROBLEMS:
        p = problem(rng)
        right = worked(p)
        if right is not None:
            tried += 1
            yield p, right


def test_right_answers_are_right_in_every_layout():
    rng = np.random.default_rng(2024)
    for p, right in problems(rng):
        for layout in range(int(rng.integers(0, 4)), 6, 3):
            report = _judged(p, written(right, layout))
            assert report.match, (p, written(right, layout), report.wrong[:3], report.worst)


def test_no_slip_is_ever_right():
    rng = np.random.default_rng(7)
    rejected = 0
    for p, right in problems(rng):
        scale = worked(p, magnitude=True)
        assert scale is not None
        for name, answer in slips(p, rng):
            if answer is None:
                continue
            truth = verdict(answer, right, scale)
            if truth is None:
                continue  # within a hair of the tolerance: either verdict is fair
            report = _judged(p, written(answer, int(rng.integers(0, 6))))
            assert report.match is truth, (name, p, answer, right)
            if not truth:
                rejected += 1
                _diagnosis_is_true(p, report, answer, scale)
    assert rejected > PROBLEMS  # most slips change the answer


@pytest.mark.parametrize("exponent", [-12, -6, 0, 6, 12])
def test_small_and_large_numbers_keep_their_slips(exponent):
    # the tolerance is relative to each cell's products at every magnitude: no absolute floor
    size = 10.0**exponent
    a = [[1.5 * size, 2.0 * size, -0.5 * size], [0.25 * size, 1.0 * size, 3.0 * size]]
    p = Problem("correlate", a, [[1.0, 2.0]])
    right = worked(p)
    assert right is not None
    assert _judged(p, written(right, 1)).match
    flipped = worked(replace(p, op="convolve"))
    report = _judged(p, written(flipped, 0))
    assert not report.match
    assert report.diagnosis.key == "flipped"
    off = [list(row) for row in right]
    off[1][0] *= 1 + 1e-8
    assert not _judged(p, written(off, 3)).match
    assert math.isclose(float(right[0][0]), 5.5 * size, rel_tol=1e-15)


# --- the gradients of a layer: check --op grad-input|grad-weight|grad-bias ----------------------


def grad_worked(p: Problem, g: list[list[Any]], of: str, magnitude: bool = False) -> Any:
    """dX, dW or db of L = sum(G * correlate(X, W)) with p's stride, padding and dilation, by the
    chain rule in plain Python: each product X·W of each output cell sends G there to both."""
    a, b = p.a, p.b
    if magnitude:
        a, b, g = ([[abs(v) for v in row] for row in m] for m in (a, b, g))
    s, d, pad = p.stride, p.dilation, p.padding or 0
    m, n = len(a), len(a[0])
    dx = [[0 for _ in range(n)] for _ in range(m)]
    dw = [[0 for _ in row] for row in b]
    for i, grow in enumerate(g):
        for j, gv in enumerate(grow):
            for u, brow in enumerate(b):
                for v, w in enumerate(brow):
                    r, c = i * s + u * d - pad, j * s + v * d - pad
                    if 0 <= r < m and 0 <= c < n:
                        dx[r][c] = dx[r][c] + gv * w
                        dw[u][v] = dw[u][v] + gv * a[r][c]
    if of == "input":
        return dx
    if of == "weight":
        return dw
    return [[sum((v for row in g for v in row), start=0)]]


def grad_problem(rng: np.random.Generator) -> tuple[Problem, list[list[Any]]] | None:
    kind = str(rng.choice(["int", "fraction", "float"]))
    magnitude = 10.0 ** int(rng.choice([-6, 0, 6]))
    a = _numbers(rng, (int(rng.integers(3, 7)), int(rng.integers(3, 7))), kind, magnitude)
    b = _numbers(rng, (int(rng.integers(1, 4)), int(rng.integers(1, 4))), kind, 1.0)
    p = Problem(
        "correlate",
        a,
        b,
        stride=int(rng.integers(1, 4)),
        padding=int(rng.integers(0, 2)),
        dilation=int(rng.integers(1, 3)),
    )
    y = worked(p)
    if y is None:
        return None
    return p, _numbers(rng, (len(y), len(y[0])), kind, 1.0)


def grad_slips(p: Problem, g: list[list[Any]], of: str) -> list[tuple[str, Any]]:
    """The classic slips of the backward pass, each worked here as the answer it gives."""
    right = grad_worked(p, g, of)
    turned_b = [row[::-1] for row in p.b[::-1]]
    turned_g = [row[::-1] for row in g[::-1]]
    out: list[tuple[str, Any]] = []
    if of == "input":
        out.append(("weights-not-turned", grad_worked(replace(p, b=turned_b), g, of)))
    if of == "weight":
        out.append(("weight-convolved", grad_worked(p, turned_g, of)))
        out.append(("weight-turned", [row[::-1] for row in right[::-1]]))
    if p.stride > 1 and of != "bias":
        # G used without zeros between its entries: a stride-1 layer's gradient, G in its corner
        one = replace(p, stride=1)
        y1 = worked(one)
        if y1 is not None and len(g) <= len(y1) and len(g[0]) <= len(y1[0]):
            corner = [
                [g[i][j] if i < len(g) and j < len(g[0]) else 0 for j in range(len(y1[0]))]
                for i in range(len(y1))
            ]
            out.append(("stride-not-dilated", grad_worked(one, corner, of)))
    for factor in (2, -1):
        out.append(("scale", [[v * factor for v in row] for row in right]))
    cell = [list(row) for row in right]
    cell[0][0] = cell[0][0] + 1
    out.append(("one cell off by one", cell))
    return out


def test_no_gradient_slip_is_ever_right():
    from convcli.gradcheck import check_grad
    from convcli.model import GradOf

    rng = np.random.default_rng(13)
    rejected = 0
    named = set()
    tried = 0
    while tried < PROBLEMS:
        found = grad_problem(rng)
        if found is None:
            continue
        tried += 1
        p, g = found
        for of in ("input", "weight", "bias"):
            right = grad_worked(p, g, of)
            scale = grad_worked(p, g, of, magnitude=True)
            kwargs = {"upstream": _array(g), "tolerance": TOLERANCE}
            x, w = _array(p.a), _array(p.b)
            shaped = _array  # db, one number, is written as a 1x1 answer
            assert check_grad(x, w, shaped(right), GradOf(of), p.options, **kwargs).match, (p, of)
            for name, answer in grad_slips(p, g, of):
                truth = verdict(answer, right, scale)
                if truth is None:
                    continue
                report = check_grad(x, w, shaped(answer), GradOf(of), p.options, **kwargs)
                assert report.match is truth, (name, p, of, answer, right)
                if truth or report.diagnosis is None:
                    continue
                rejected += 1
                key = report.diagnosis.key
                named.add(key)
                if key in ("weights-not-turned", "weight-convolved", "weight-turned", "stride-not-dilated"):
                    # what it names really gives the answer: worked here, as the slip is defined
                    worked_slip = dict(grad_slips(p, g, of))[key]
                    assert verdict(answer, worked_slip, scale) is not False, (key, p, of)
                else:
                    assert (
                        key in ("rounded", "answer-transposed")
                        or report.diagnosis.factor
                        or report.diagnosis.offset is not None
                    ), key
    assert rejected > PROBLEMS
    assert {"weights-not-turned", "weight-convolved", "stride-not-dilated"} <= named
