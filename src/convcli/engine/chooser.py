"""The chooser: which method computes a valid correlation fastest, kept exact, and why.

Each applicable method gets a time estimate from a small cost model (multiply-adds for the
direct methods, n·log n for transforms, copies and call overheads), measured on a 2-core x86
machine; the cheapest wins and the reason names it and the runner-up. Integer inputs only
take a floating-point path whose exactness bound holds (``exact.py``), splitting the input
into limbs when that is cheaper than the exact int64 tap loop.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from convcli.errors import UsageError
from convcli.model import Method
from convcli.numeric import abs_max
from convcli.text import dims_text

from . import exact
from ._parallel import WORKERS
from ._text import ms_text as _ms
from ._text import operands_text
from .fft import block_lengths, correlate_blocks, correlate_fft, fast_length, fft_error_factor
from .separable import rank_one_factors
from .taps import SMALL_WORK, correlate_taps
from .toeplitz import (
    PRODUCT_LIMIT,
    band_batch,
    band_tile_cols,
    correlate_toeplitz,
    toeplitz_cols,
    toeplitz_rows,
)

__all__ = ["Contender", "choose", "choose_layer"]

# --- the cost model (seconds), measured with numpy 2.x, OpenBLAS and pocketfft ------------------
_TAP = {"f": 1.1e-9, "c": 3.0e-9, "i": 1.2e-9}  # one multiply-add of the tap loop, per output entry
_TAP_OBJECT = 1.5e-7  # one Python-level multiply-add (ints, Fractions, sympy)
_MAC = 1.0e-10  # one real multiply-add inside BLAS
_COPY = 0.35e-9  # one entry copied into a stacked tile
_CALL = 6e-6  # one numpy call on a tile (Python overhead)
_NUMPY_CORRELATE = 0.8e-9  # one multiply-add of numpy.correlate (1-D)
_CONVERT = 1.5e-9  # one entry split into a limb or rounded back to int64
_FFT = {"numpy": 1.0e-9, "scipy": 0.7e-9}  # one unit of L·log2(L) of a real transform
_SCIPY_IMPORT = 0.35  # importing scipy.fft the first time
_CALL_FFT = 3e-5  # fixed cost of one transform call and its arrays


@dataclass(frozen=True)
class Contender:
    """One way to compute a sliding sum, in the running for the fastest: a method, how it will
    run, its estimated time, and the work to run it."""

    method: Method
    how: str
    seconds: float
    run: Callable[[], np.ndarray]
    # nan and inf already reach exactly the cells of the plain sum (no recomputation needed)
    faithful: bool = False


def _as3(x: np.ndarray) -> np.ndarray:
    return x.reshape((1,) * (3 - x.ndim) + x.shape)


# --- estimates ----------------------------------------------------------------------------------


def _taps_seconds(out_size: int, taps: int, kind: str) -> float:
    if kind == "O":
        return out_size * taps * _TAP_OBJECT
    # (the workers' gain is left out: on a busy 2-core machine it is small)
    return out_size * taps * _TAP.get(kind, _TAP["i"]) + 2e-5


def _toeplitz_seconds(out3: tuple[int, int, int], k3: tuple[int, int, int], cplx: bool) -> float:
    planes, m, n = out3
    kd, kh, kw = k3
    size = planes * m * n
    if kd == 1 and kh == 1:
        cols = min(toeplitz_cols(kw), n)
        width = cols + kw - 1
        macs = size * width  # each output is a product of length cols + kw - 1
        if planes * m < 64:
            copies, calls = size * width / cols, 4.0
        else:
            block_rows = max(1, PRODUCT_LIMIT // (width * cols))
            copies, calls = 0.0, math.ceil(planes * m / block_rows) * 3.0
    else:
        rows = min(toeplitz_rows(kh, kw, kd), m)
        stacked = kd * kw * (rows + kh - 1)
        macs = size * stacked  # kd·kw·(R + kh - 1) per output entry
        copy_free = kd * kw == 1
        copies = 0.0 if copy_free else size * stacked / rows
        cols = band_tile_cols(rows, stacked, n)
        batch = band_batch(stacked, cols, 16 if cplx else 8, copy_free)
        jobs = planes * math.ceil(n / cols) * (math.ceil(m // rows / batch) + (1 if m % rows else 0))
        calls = jobs * (3.0 + (0 if copy_free else kd)) + 2  # copies, product, check; T's setup
    return macs * _MAC * (4.0 if cplx else 1.0) + copies * _COPY * (2 if cplx else 1) + calls * _CALL


def _fft_backend(units: float) -> tuple[bool, float]:
    """(use scipy.fft, seconds to import it) for transforms of ``units`` (n·log2 n summed).

    scipy.fft when it is loaded already; else only when its faster transforms repay the import.
    """
    if "scipy.fft" in sys.modules:
        return True, 0.0
    saving = units * (_FFT["numpy"] - _FFT["scipy"])
    if saving > _SCIPY_IMPORT and importlib.util.find_spec("scipy") is not None:
        return True, _SCIPY_IMPORT
    return False, 0.0


def _fft_seconds(a_shape: tuple[int, ...], lengths: tuple[int, ...], cplx: bool) -> tuple[float, bool]:
    total = math.prod(lengths)
    units = total * math.log2(max(total, 2)) * 2.5 * (2 if cplx else 1)
    scipy_fft, importing = _fft_backend(units)
    elementwise = total * 3e-9 + math.prod(a_shape) * 1e-9 + 3 * _CALL_FFT
    return units * _FFT["scipy" if scipy_fft else "numpy"] + elementwise + importing, scipy_fft


def _blocks_seconds(
    a_shape: tuple[int, ...], k_shape: tuple[int, ...], lengths: tuple[int, ...], cplx: bool
) -> tuple[float, bool]:
    out_shape = [m - p + 1 for m, p in zip(a_shape, k_shape, strict=True)]
    steps = [length - p + 1 for length, p in zip(lengths, k_shape, strict=True)]
    tiles = math.prod(-(-n // s) for n, s in zip(out_shape, steps, strict=True))
    tile = math.prod(lengths)
    units = tiles * tile * math.log2(max(tile, 2)) * 2.5 * (2 if cplx else 1)
    scipy_fft, importing = _fft_backend(units)
    # gathering tiles, the product with the kernel's spectrum and scattering the results
    copies = tiles * tile * 6e-9 + tiles * 1e-5 + 3 * _CALL_FFT
    return units * _FFT["scipy" if scipy_fft else "numpy"] + copies + importing, scipy_fft


# --- the contenders -------------------------------------------------------------------------------


class _Problem:
    """The operands and what every contender needs to know about them."""

    def __init__(self, a: np.ndarray, k: np.ndarray) -> None:
        self.a, self.k = a, k
        self.out_shape = tuple(m - p + 1 for m, p in zip(a.shape, k.shape, strict=True))
        self.out_size = math.prod(self.out_shape)
        self.dtype = np.result_type(a.dtype, k.dtype)
        self.kind = self.dtype.kind
        self.cplx = self.kind == "c"
        self.integer = self.kind in "iu"
        self.work = self.out_size * k.size
        self._factors: list[tuple[int, np.ndarray]] | None | bool = False
        if self.integer:
            self.a_max = abs_max(a)
            self.k_max = abs_max(k)
            self.k_l1 = exact.l1_int(k)
            self.k_nonzero = int(np.count_nonzero(k))

    @property
    def factors(self) -> list[tuple[int, np.ndarray]] | None:
        if self._factors is False:
            self._factors = rank_one_factors(self.k)
        return self._factors  # type: ignore[return-value]

    def taps(self) -> int:
        return self.k_nonzero if self.integer else self.k.size

    def k_l1_of(self, lim: int) -> int:
        """sum|k limb| for limbs of magnitude at most ``lim`` (the exact sum for the whole kernel)."""
        return self.k_l1 if lim >= self.k_max else lim * self.k_nonzero


def _tap_contender(pr: _Problem) -> Contender:
    seconds = _taps_seconds(pr.out_size, pr.taps(), pr.kind)
    how = f"the tap loop ({pr.taps()} vectorised multiply-add passes)"
    return Contender(Method.DIRECT, how, seconds, lambda: correlate_taps(pr.a, pr.k), faithful=True)


def _with_limbs(
    pr: _Problem,
    limbs: exact.Limbs,
    float_run: Callable[[np.ndarray, np.ndarray], np.ndarray],
    rounded: bool,
) -> Callable[[], np.ndarray]:
    """Run ``float_run`` on every limb pair and put the int64 result together."""

    def run() -> np.ndarray:
        a_parts = exact.split(pr.a, limbs.a_bits, limbs.a_count)
        k_parts = exact.split(pr.k, limbs.k_bits, limbs.k_count)
        pieces = []
        for sa, al in a_parts:
            for sk, kl in k_parts:
                pieces.append((sa + sk, float_run(al, kl)))
        return exact.combine(pieces, rounded)

    return run


def _limb_cost(pr: _Problem, limbs: exact.Limbs, one: float) -> float:
    return limbs.products * one + (limbs.a_count * pr.a.size + limbs.products * pr.out_size) * _CONVERT


def _exact_note(limbs: exact.Limbs, bound: str) -> str:
    split = limbs.describe()
    return f"exact: {bound}" + (f", with {split}" if split else "")


def _direct_contenders(pr: _Problem) -> list[Contender]:
    contenders = [_tap_contender(pr)]
    if pr.kind == "O":
        return contenders
    if pr.a.ndim == 1:
        # numpy's own 1-D correlate: a compiled dot product per output, exact for int64 (it
        # conjugates its second operand, so a complex kernel goes in conjugated)
        kernel = np.conj(pr.k) if pr.cplx else pr.k
        seconds = pr.work * _NUMPY_CORRELATE + 1e-5
        run = lambda: np.correlate(pr.a, kernel, mode="valid")  # noqa: E731
        contenders.append(
            Contender(Method.DIRECT, "numpy.correlate (a compiled 1-D sum)", seconds, run, faithful=True)
        )
    out3 = tuple(1 for _ in range(3 - len(pr.out_shape))) + pr.out_shape
    k3 = tuple(1 for _ in range(3 - pr.k.ndim)) + pr.k.shape
    one = _toeplitz_seconds(out3, k3, pr.cplx)  # type: ignore[arg-type]
    how = f"banded matrix products (BLAS), row blocks on {WORKERS} threads"

    def float_run(a: np.ndarray, k: np.ndarray) -> np.ndarray:
        return correlate_toeplitz(_as3(a), _as3(k)).reshape(pr.out_shape)

    if not pr.integer:
        contenders.append(Contender(Method.DIRECT, how, one, lambda: float_run(pr.a, pr.k), faithful=True))
        return contenders
    limbs = exact.plan_limbs(pr.a_max, pr.k_max, exact.direct_fits(pr.k_l1_of))
    if limbs is not None:
        note = _exact_note(limbs, "max|A|·sum|B| < 2**53 keeps every float64 partial sum an exact integer")
        contenders.append(
            Contender(
                Method.DIRECT,
                f"{how}; {note}",
                _limb_cost(pr, limbs, one),
                _with_limbs(pr, limbs, float_run, rounded=False),
            )
        )
    return contenders


def _separable_contenders(pr: _Problem) -> list[Contender]:
    factors = pr.factors
    if factors is None or pr.kind == "O":
        return []
    nd = pr.a.ndim
    passes = [(ax, v) for ax, v in factors if v.shape[0] > 1] or factors[:1]
    taps = " + ".join(str(v.shape[0]) for _, v in passes)
    count = {1: "one 1-D pass", 2: "two 1-D passes", 3: "three 1-D passes"}[len(passes)]
    how = f"separable rank-1 kernel, {count} ({taps} taps"
    how += f" instead of {pr.k.size})" if len(passes) > 1 else ")"

    def pass_kernel(ax: int, v: np.ndarray) -> np.ndarray:
        shape = [1] * nd
        shape[ax] = v.shape[0]
        return v.reshape(shape)

    # estimate: each pass over the shape it sees
    seconds = 0.0
    shape = list(pr.a.shape)
    for ax, v in passes:
        shape[ax] -= v.shape[0] - 1
        k_shape = [1] * nd
        k_shape[ax] = v.shape[0]
        out3 = (1,) * (3 - nd) + tuple(shape)
        k3 = (1,) * (3 - nd) + tuple(k_shape)
        seconds += _toeplitz_seconds(out3, k3, pr.cplx)  # type: ignore[arg-type]

    def run_passes(x: np.ndarray, vectors: list[tuple[int, np.ndarray]]) -> np.ndarray:
        for ax, v in vectors:
            kern = pass_kernel(ax, v)
            res = correlate_toeplitz(_as3(x), _as3(kern.astype(np.result_type(kern.dtype, np.float64))))
            x = res.reshape(tuple(m - p + 1 for m, p in zip(x.shape, kern.shape, strict=True)))
        return x

    if not pr.integer:
        return [Contender(Method.SEPARABLE, how, seconds, lambda: run_passes(pr.a, passes))]

    # integers: the float passes are exact while max|a|·sum|k| < 2**53 (sum|k| = product of the
    # factors' sums); otherwise the passes run as exact int64 tap loops
    contenders = []
    int_taps = sum(v.shape[0] for _, v in passes)
    int_seconds = _taps_seconds(pr.out_size, int_taps, "i") * 1.3

    def int_run() -> np.ndarray:
        x = pr.a
        for ax, v in passes:
            x = correlate_taps(x, pass_kernel(ax, v))
        return x

    contenders.append(Contender(Method.SEPARABLE, how + " as exact int64 tap loops", int_seconds, int_run))
    if pr.a_max * pr.k_l1 < exact.FLOAT_EXACT:
        note = "exact: max|A|·sum|B| < 2**53 keeps every float64 partial sum an exact integer"
        limbs = exact.Limbs(max(pr.a_max.bit_length(), 1), 1, max(pr.k_max.bit_length(), 1), 1)

        def limb_run(al: np.ndarray, kl: np.ndarray) -> np.ndarray:
            # one limb each: al is the whole input in float64, and the factors are exact
            return run_passes(al, [(ax, v.astype(np.float64)) for ax, v in passes])

        contenders.append(
            Contender(
                Method.SEPARABLE,
                f"{how}; {note}",
                _limb_cost(pr, limbs, seconds),
                _with_limbs(pr, limbs, limb_run, rounded=False),
            )
        )
    return contenders


def _fft_contenders(pr: _Problem, method: Method) -> list[Contender]:
    if pr.kind == "O":
        return []
    a_shape, k_shape = tuple(pr.a.shape), tuple(pr.k.shape)
    pow2 = pr.integer
    if method is Method.FFT:
        lengths = tuple(fast_length(m, power_of_two=pow2) for m in a_shape)
        one, scipy_fft = _fft_seconds(a_shape, lengths, pr.cplx)
        backend = f"scipy.fft, {WORKERS} workers" if scipy_fft else "numpy.fft"
        how = f"one FFT of {dims_text(lengths)} ({backend}; valid outputs need no padding)"

        def float_run(a: np.ndarray, k: np.ndarray) -> np.ndarray:
            return correlate_fft(a, k, power_of_two=pow2, scipy_fft=scipy_fft)

        count = math.prod(a_shape)
    else:
        lengths = block_lengths(a_shape, k_shape, power_of_two=pow2)
        one, scipy_fft = _blocks_seconds(a_shape, k_shape, lengths, pr.cplx)
        backend = f"scipy.fft, {WORKERS} workers" if scipy_fft else "numpy.fft"
        steps = [length - p + 1 for length, p in zip(lengths, k_shape, strict=True)]
        tiles = math.prod(-(-(m - p + 1) // s) for m, p, s in zip(a_shape, k_shape, steps, strict=True))
        how = f"overlap-add family: FFTs of {tiles} overlapping {dims_text(lengths)} blocks ({backend})"

        def float_run(a: np.ndarray, k: np.ndarray) -> np.ndarray:
            return correlate_blocks(a, k, lengths, power_of_two=pow2, scipy_fft=scipy_fft)

        count = math.prod(min(length, m) for length, m in zip(lengths, a_shape, strict=True))
    if not pr.integer:
        return [Contender(method, how, one, lambda: float_run(pr.a, pr.k))]
    factor = fft_error_factor(math.prod(lengths))
    limbs = exact.plan_limbs(pr.a_max, pr.k_max, exact.fft_fits(factor, count, pr.k_l1_of))
    if limbs is None:
        return []
    worst = (
        factor
        * (min(pr.a_max, 2**limbs.a_bits) * math.sqrt(count))
        * pr.k_l1_of(pr.k_max if limbs.k_count == 1 else 2**limbs.k_bits)
    )
    note = _exact_note(limbs, f"FFT error bound {worst:.2g} < 1/4, so rounding gives the exact integers")
    return [
        Contender(
            method,
            f"{how}; {note}",
            _limb_cost(pr, limbs, one),
            _with_limbs(pr, limbs, float_run, rounded=True),
        )
    ]


def _refuse(method: Method, why: str) -> UsageError:
    return UsageError(f"--method {method.value} cannot be used here: {why}; use --method auto or direct")


def choose(a: np.ndarray, k: np.ndarray, method: Method = Method.AUTO) -> tuple[Contender, str]:
    """The contender to run for ``correlate_valid(a, k, method)`` and the reason to show for it."""
    pr = _Problem(a, k)
    what = operands_text(tuple(a.shape), tuple(k.shape), pr.dtype)
    if method is Method.AUTO:
        if pr.kind == "O":
            reason = "exact numbers (integers beyond int64, fractions, symbols): the tap loop"
            return _tap_contender(pr), f"{what}: {reason}"
        if pr.work <= SMALL_WORK:
            return _tap_contender(pr), f"{what}: {pr.work} multiply-adds: the tap loop"
        contenders = _direct_contenders(pr) + _separable_contenders(pr) + _fft_contenders(pr, Method.FFT)
        contenders += _fft_contenders(pr, Method.OVERLAP_ADD)
        contenders.sort(key=lambda p: p.seconds)
        best = contenders[0]
        runner = next((p for p in contenders[1:] if p.method is not best.method), None)
        why = f"{what}: {best.method.value}, {best.how} (est. {_ms(best.seconds)}"
        if runner is not None:
            why += f"; {runner.method.value} est. {_ms(runner.seconds)}"
        return best, why + ")"

    if method is Method.DIRECT:
        contenders = _direct_contenders(pr)
    elif pr.kind == "O":
        raise _refuse(method, "exact numbers beyond int64, fractions or symbols are summed directly")
    elif method is Method.SEPARABLE:
        contenders = _separable_contenders(pr)
        if not contenders:
            raise _refuse(
                method, f"the {dims_text(tuple(k.shape))} kernel is not separable (its rank is above 1)"
            )
    else:
        contenders = _fft_contenders(pr, method)
        if not contenders:
            raise _refuse(method, "no limb split keeps the FFT of these integers within its error bound")
    best = min(contenders, key=lambda p: p.seconds)
    return best, f"{what}: {best.method.value} as asked, {best.how} (est. {_ms(best.seconds)})"


# --- layers (channels, filters, groups) ---------------------------------------------------------

_GEMM_MAC = 1.0e-10  # one multiply-add of a well-shaped BLAS product
_GATHER = 4.0e-9  # one entry copied from strided windows into a window matrix
_TAP_ENTRY = 6.0e-9  # one output entry added to the running sum of a tap product


def _gemm_factor(inner: int, rows: int) -> float:
    """How much slower than its peak BLAS runs a product with a short inner dimension or few rows."""
    return (1 + 16 / max(inner, 1)) * (1 + 4 / max(rows, 1))


class _Layer:
    def __init__(
        self, x: np.ndarray, w: np.ndarray, stride: tuple[int, int], dilation: tuple[int, int], groups: int
    ):
        from .layer import layer_shape

        self.x, self.w = x, w
        self.stride, self.dilation, self.groups = stride, dilation, groups
        self.oh, self.ow = layer_shape(x.shape, w.shape, stride, dilation, groups)
        o, cg, kh, kw = w.shape
        self.o, self.cg, self.taps = o, cg, kh * kw
        self.og = o // groups
        self.k = cg * kh * kw
        self.n = self.oh * self.ow
        self.macs = o * self.k * self.n
        self.dtype = np.result_type(x.dtype, w.dtype)
        self.kind = self.dtype.kind
        self.cplx = self.kind == "c"

    def text(self) -> str:
        c, h, wd = self.x.shape
        o, cg, kh, kw = self.w.shape
        extra = [f"groups {self.groups}"] if self.groups > 1 else []
        extra += [f"stride {dims_text(self.stride)}"] if self.stride != (1, 1) else []
        extra += [f"dilation {dims_text(self.dilation)}"] if self.dilation != (1, 1) else []
        tail = f" ({', '.join(extra)})" if extra else ""
        kind = "object" if self.kind == "O" else "int64" if self.kind in "iu" else str(self.dtype)
        return f"layer of {o} {cg}x{kh}x{kw} filters on {c}x{h}x{wd} {kind}{tail}"


def _layer_float_contenders(
    ly: _Layer,
) -> list[tuple[str, float, Callable[[np.ndarray, np.ndarray], np.ndarray]]]:
    """(how, seconds, run(x, w)) for the floating-point layer methods."""
    from .layer import COLS_BYTES, im2col_gemm, tap_gemms

    scale = 4.0 if ly.cplx else 1.0
    st, dl, g = ly.stride, ly.dilation, ly.groups
    contenders = []
    blocks = max(1, math.ceil(g * ly.k * ly.n * 8 / COLS_BYTES))
    transposed = ly.og >= 8
    seconds = (
        ly.macs * _GEMM_MAC * scale * _gemm_factor(ly.k, ly.og)
        + g * ly.k * ly.n * _GATHER
        + blocks * _CALL * 3
    )
    contenders.append(
        (
            f"im2col and one matrix product (BLAS) per block of rows: {g} x ({ly.og} x {ly.k}) times "
            f"({ly.k} x {ly.n}) in {blocks} block{'s' if blocks > 1 else ''}",
            seconds,
            lambda x, w: im2col_gemm(x, w, st, dl, g, transposed),
        )
    )
    if st == (1, 1):
        c, h, wd = ly.x.shape
        wide = ly.oh * wd
        seconds = (
            # few filters per group make BLAS's per-tap products slow (OpenBLAS splits the other way)
            ly.o
            * ly.cg
            * wide
            * ly.taps
            * _GEMM_MAC
            * scale
            * _gemm_factor(ly.cg, ly.og)
            * (1 + 4 / ly.og)
            * 1.2
            + ly.o * wide * ly.taps * _TAP_ENTRY
            + ly.taps * _CALL * max(1, ly.o * wd * 32 // COLS_BYTES)
        )
        contenders.append(
            (
                f"one matrix product (BLAS) per tap, {ly.taps} of {g} x ({ly.og} x {ly.cg}) times "
                f"({ly.cg} x {wide}), on views of the input (no copies)",
                seconds,
                lambda x, w: tap_gemms(x, w, dl, g),
            )
        )
    return contenders


def choose_layer(
    x: np.ndarray,
    w: np.ndarray,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    groups: int,
    method: Method = Method.AUTO,
) -> tuple[Contender, str]:
    """The contender to run for ``layer.conv2d``, and the reason to show (every layer method is direct)."""
    from .layer import exact_taps

    if method not in (Method.AUTO, Method.DIRECT):
        raise _refuse(method, "a layer is computed as matrix products")
    ly = _Layer(x, w, stride, dilation, groups)
    what = ly.text()
    st, dl, g = stride, dilation, groups
    taps_seconds = ly.macs * (_TAP_OBJECT if ly.kind == "O" else 1.5e-9) + ly.taps * groups * _CALL
    taps_contender = Contender(
        Method.DIRECT,
        "a tap loop of tensor products over the channels",
        taps_seconds,
        lambda: exact_taps(x, w, st, dl, g),
        faithful=True,
    )
    if ly.kind == "O":
        return (
            taps_contender,
            f"{what}: exact numbers (integers beyond int64, fractions, symbols): the tap loop",
        )
    contenders = []
    if ly.kind in "fc":
        for how, seconds, run in _layer_float_contenders(ly):
            contenders.append(
                Contender(Method.DIRECT, how, seconds, functools.partial(run, x, w), faithful=True)
            )
    else:
        # int64: a float64 method is exact while max|x|·sum|w[o]| < 2**53 for every filter o, else
        # in limbs (the caller keeps the true sums inside int64)
        x_max, w_max = abs_max(x), abs_max(w)
        w_l1 = max((exact.l1_int(w[o]) for o in range(w.shape[0])), default=0)

        def l1_of(lim: int) -> int:
            return w_l1 if lim >= w_max else lim * ly.k

        limbs = exact.plan_limbs(x_max, w_max, exact.direct_fits(l1_of))
        if limbs is not None:
            note = _exact_note(
                limbs, "max|x|·sum|w| < 2**53 keeps every float64 partial sum an exact integer"
            )
            for how, seconds, run in _layer_float_contenders(ly):
                convert = (limbs.a_count * x.size + limbs.products * ly.o * ly.n) * _CONVERT
                contenders.append(
                    Contender(
                        Method.DIRECT,
                        f"{how}; {note}",
                        limbs.products * seconds + convert,
                        _layer_limbs(x, w, limbs, run),
                        faithful=True,
                    )
                )
        contenders.append(taps_contender)
    best = min(contenders, key=lambda p: p.seconds)
    runner = min((p for p in contenders if p is not best), key=lambda p: p.seconds, default=None)
    why = f"{what}: {best.how} (est. {_ms(best.seconds)}"
    if runner is not None:
        why += f"; next best est. {_ms(runner.seconds)}"
    return best, why + ")"


def _layer_limbs(
    x: np.ndarray, w: np.ndarray, limbs: exact.Limbs, run: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> Callable[[], np.ndarray]:
    def go() -> np.ndarray:
        pieces = []
        for sx, xl in exact.split(x, limbs.a_bits, limbs.a_count):
            for sw, wl in exact.split(w, limbs.k_bits, limbs.k_count):
                pieces.append((sx + sw, run(xl, wl)))
        return exact.combine(pieces, rounded=False)

    return go
