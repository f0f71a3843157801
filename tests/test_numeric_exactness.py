"""Numbers: no silent overflow; nan and inf reported; unsupported kinds refused clearly.

CLI runs check exit code, stdout and stderr separately.
"""

from __future__ import annotations

import json
import math
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from convcli import parsing
from convcli.cli import ExitCode
from convcli.errors import ConvcliError
from convcli.text import format_number, int_text

from .clicheck import INT64_MAX, INT64_MIN, assert_error, assert_ok, run


def _json_result(result):
    assert result.exit_code == ExitCode.OK, (result.stdout, result.stderr)
    return json.loads(result.stdout)["result"]


def test_scipys_wrapping_example_is_exact():
    # scipy.signal.convolve2d([[2**62]], [[4]]) gives [[0]]
    assert _json_result(run("convolve", f"{2**62}", "4", "-f", "json")) == [[2**64]]


def test_forty_digit_integers_are_exact():
    big = 1234567890123456789012345678901234567890
    got = _json_result(run("correlate", f"{big} 1; 2 {-big}", "3 5; 7 11", "-f", "json"))
    assert got == [[big * 3 + 5 + 14 - 11 * big]]


def _reference_correlate(a: np.ndarray, b: np.ndarray) -> list[list[int]]:
    a_ = [[int(x) for x in row] for row in a]
    b_ = [[int(x) for x in row] for row in b]
    p, q = len(b_), len(b_[0])
    return [
        [
            sum(a_[i + u][j + v] * b_[u][v] for u in range(p) for v in range(q))
            for j in range(len(a_[0]) - q + 1)
        ]
        for i in range(len(a_) - p + 1)
    ]


def _extremes(tmp_path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    values = [INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1, -1, 0, 1]
    a = rng.choice(values, size=(6, 7)).astype(np.int64)
    b = rng.choice(values, size=(3, 2)).astype(np.int64)
    pa, pb = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(pa, a)
    np.save(pb, b)
    return pa, pb, a, b


@pytest.mark.parametrize("method", ["auto", "direct"])
def test_int64_extremes_in_npy_are_exact(tmp_path, method):
    pa, pb, a, b = _extremes(tmp_path)
    got = _json_result(run("correlate", str(pa), str(pb), "--method", method, "-f", "json"))
    assert got == _reference_correlate(a, b)


@pytest.mark.parametrize("method", ["separable", "fft", "overlap-add"])
def test_int64_extremes_with_a_float_method_are_refused_not_wrapped(tmp_path, method):
    pa, pb, _, _ = _extremes(tmp_path)
    assert_error(
        run("correlate", str(pa), str(pb), "--method", method), f"--method {method}", "use --method auto"
    )


def test_int64_extremes_in_dot_and_elementwise_sum(tmp_path):
    a = np.array([[INT64_MIN, INT64_MAX], [INT64_MAX, INT64_MIN]], dtype=np.int64)
    path = tmp_path / "a.npy"
    np.save(path, a)
    exact = [[int(x) for x in row] for row in a]
    dot = [[sum(exact[i][k] * exact[k][j] for k in range(2)) for j in range(2)] for i in range(2)]
    assert _json_result(run("dot", str(path), str(path), "-f", "json")) == dot
    assert _json_result(run("elementwise-sum", str(path), str(path), "-f", "json")) == sum(
        x * x for row in exact for x in row
    )


def test_uint64_beyond_int64_in_npy_is_exact(tmp_path):
    u = np.array([[2**64 - 1, 2**63], [2**63 + 5, 7]], dtype=np.uint64)
    path = tmp_path / "u.npy"
    np.save(path, u)
    exact = [[int(x) for x in row] for row in u]
    assert _json_result(run("correlate", str(path), "3", "-f", "json")) == [
        [3 * x for x in row] for row in exact
    ]
    dot = [[sum(exact[i][k] * exact[k][j] for k in range(2)) for j in range(2)] for i in range(2)]
    assert _json_result(run("dot", str(path), str(path), "-f", "json")) == dot


def test_fractions_with_huge_denominators_are_exact():
    p, q = 10**30 + 7, 10**29 + 3
    got = _json_result(run("correlate", f"1/{p} 1/3; 2 1", f"1/{q} 5; 2/{q} 1", "-f", "json"))
    expected = Fraction(1, p) / q + Fraction(5, 3) + Fraction(4, q) + 1
    assert got == [[str(expected)]]


# Padding an object array of Python ints once put numpy int64 zeros in it; np.int64(0) plus a
# product beyond int64 raised OverflowError (exit 70). The next three tests guard that.


def test_fractions_with_huge_denominators_in_full_mode():
    p, q = 10**30 + 7, 10**29 + 3
    result = run("convolve", f"1/{p} 1", f"1/{q} 5", "--mode", "full", "-f", "json")
    assert _json_result(result) == [
        [
            str(Fraction(1, p * q)),
            str(Fraction(5, p) + Fraction(1, q)),
            5,
        ]
    ]  # a whole number is a JSON number


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # [big, 1] against [2, big]: big*big, then big*2 + 1*big, then 1*2
        (["--mode", "full"], [[10**40, 3 * 10**20, 2]]),
        (["--mode", "same"], [[3 * 10**20, 2]]),
        (["--padding", "1"], [[0, 0, 0], [10**40, 3 * 10**20, 2], [0, 0, 0]]),
    ],
)
def test_integers_beyond_int64_with_padding(options, expected):
    big = 10**20
    result = run("correlate", f"{big} 1", f"2 {big}", *options, "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"] == expected


def test_int64_extremes_in_full_mode(tmp_path):
    pa, pb, a, b = _extremes(tmp_path)
    got = _json_result(run("correlate", str(pa), str(pb), "--mode", "full", "-f", "json"))
    padded = np.zeros((a.shape[0] + 4, a.shape[1] + 2), dtype=object)
    padded[2:-2, 1:-1] = a
    assert got == _reference_correlate(padded, b)


NINES = "9" * 4000


@pytest.mark.parametrize("fmt", ["plain", "csv", "json", "markdown", "latex", "table"])
def test_results_longer_than_pythons_digit_limit_are_printed(fmt):
    # a product of two 4000-digit numbers has 8000 digits: str() refuses more than 4300
    result = run("correlate", NINES, NINES, "-f", fmt)
    assert_ok(result)
    if fmt == "json":
        value = json.loads(result.stdout)["result"][0][0]
        assert isinstance(value, str) and len(value) == 8000  # too long for a JSON number
        assert value.startswith("9" * 3999 + "8") and value.endswith("0" * 3999 + "1")
    elif fmt in ("plain", "csv"):
        assert result.stdout.strip() == "9" * 3999 + "8" + "0" * 3999 + "1"
    elif fmt == "table":
        assert "9" * 70 in result.stdout


def test_fractions_longer_than_pythons_digit_limit_are_printed():
    result = run("correlate", f"1/{NINES} 1", f"1/{NINES}", "-f", "plain")
    assert_ok(result)
    numerator, denominator = result.stdout.split()[0].split("/")
    assert numerator == "1" and denominator == "9" * 3999 + "8" + "0" * 3999 + "1"


def test_int_text_matches_str():
    for n in [0, 1, -1, 10**3000, -(10**3000) + 7, 3**20000, -(7**30000), 10**5000, 10**5000 - 1]:
        with_limit_lifted = _str_without_limit(n)
        assert int_text(n) == with_limit_lifted
        assert format_number(n) == with_limit_lifted


def _str_without_limit(n: int) -> str:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(n)
    finally:
        sys.set_int_max_str_digits(old)


@pytest.mark.parametrize(
    "entry",
    [
        "2^99999999*a",
        "a*4^4444444454444444",
        "a*3^(9^9)",
        "a+10^-99999",
    ],
)
def test_powers_too_large_in_symbolic_entries_are_refused_not_computed(entry):
    # found by the fuzzer: 4^4444444454444444 in an entry ran without end
    started = time.perf_counter()
    assert_error(run("correlate", entry, "1"), "has a power with about", "expected powers of numbers")
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("entry", ["4.5/-.0*a", "a/0.0", "a/(b-b)", "a/0"])
def test_division_by_zero_in_symbolic_entries(entry):
    # found by the fuzzer: a float zero divisor (sympy's Float(0.0) == 0 is False) raised
    # ZeroDivisionError
    with pytest.raises(ConvcliError, match="divides by zero"):
        parsing.parse_inline(entry, source="A (inline)")


def test_powers_in_symbolic_entries_within_the_limit():
    assert_ok(run("correlate", "2^10*a", "1", "-f", "plain"), "1024*a\n")
    assert_ok(run("correlate", "(a+1)^999", "1", "-f", "plain"), "(a+1)**999\n")


_WARNS = "float overflow warns (RuntimeWarning, an error under pytest) instead of being reported as inf"


@pytest.mark.parametrize(
    "args",
    [
        ["elementwise-sum", "1e308 1e308", "1e308 1e308"],
        ["dot", "[[1,2],[3,4]]", "[1e308,1e308]"],
    ],
)
def test_float_overflow_in_sums_and_products_is_a_note(args):
    # found by tests/test_cli_fuzz.py: the overflow warned (exit 70 under -W error) before the note
    result = run(*args, "-f", "plain")
    assert_ok(result)
    assert "inf" in result.stdout and "note:" in result.stderr and "inf" in result.stderr


def test_float_overflow_in_compare():
    result = run("compare", "1e308 1e308", "1e308 1e308", "--padding", "2,1", "-f", "plain")
    assert_ok(result)
    assert "inf" in result.stdout


def test_float_overflow_in_im2col_is_not_an_internal_error():
    assert_ok(
        run("im2col", "1 2 3 4 5", "1e308 1e308", "-f", "plain"),
        "# patches: one row per entry of B (B[0,0] B[0,1])\n"
        "# and one column per output cell (0,0) (0,1) (0,2) (0,3)\n"
        "1.0 2.0 3.0 4.0\n2.0 3.0 4.0 5.0\n\n"
        "# kernel row: B[0,0] B[0,1]\n1e+308 1e+308\n\n"
        "# kernel row @ patches, reshaped: equals correlate\ninf inf inf inf\n",
    )


def test_float_overflow_in_conv_transpose_is_a_note():
    result = run("conv-transpose", "1e308 1e308", "1 2 3 4 5", "-f", "plain")
    assert_ok(result, "1e+308 inf inf inf inf inf\n")


@pytest.mark.parametrize(
    "options",
    [["--stride", "99999999999"], ["--dilation", "99999999999"], ["--stride", "99999", "--steps"]],
)
def test_conv_transpose_sizes_are_checked_before_allocating(options):
    assert_error(run("conv-transpose", "1 2; 3 4", "1 1; 1 1", *options), "would be")


def test_nan_is_reported_with_the_cells_it_reached():
    result = run("correlate", "1 nan 3; 4 5 6", "1 1", "-f", "plain")
    assert_ok(result, "nan  nan\n9.0 11.0\n")
    assert "note: nan reached 2 cells: [0, 0], [0, 1]" in result.stderr


def test_inf_from_finite_inputs_is_reported():
    result = run("correlate", "1e308 1e308 3", "10 10", "-f", "plain")
    assert_ok(result, "inf inf\n")
    assert "note: inf reached 2 cells: [0, 0], [0, 1]" in result.stderr


def test_nan_fillvalue_is_fine_and_reported():
    result = run("correlate", "1 2; 3 4", "1 1; 1 1", "--mode", "full", "--fillvalue", "nan", "-f", "json")
    assert result.exit_code == ExitCode.OK
    value = json.loads(result.stdout)["result"]
    assert value[1][1] == 10.0 and value[0][0] == "nan"
    assert "note: nan reached 8 cells" in result.stderr


def test_a_complex_fillvalue_is_fine():
    result = run("correlate", "1 2; 3 4", "1 1; 1 1", "--mode", "full", "--fillvalue", "1+1j", "-f", "json")
    a = np.pad(np.array([[1, 2], [3, 4]], dtype=complex), 1, constant_values=1 + 1j)
    expected = [[complex(a[i : i + 2, j : j + 2].sum()) for j in range(3)] for i in range(3)]
    got = [[complex(x.replace("+-", "-")) for x in row] for row in _json_result(result)]
    assert got == expected


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["correlate", "1+2j 3", "1", "--activation", "relu"],
            ["--activation relu", "real numbers", "complex"],
        ),
        (["correlate", "1+2j 3", "1", "--activation", "sigmoid"], ["--activation sigmoid", "complex"]),
        (["correlate", "a b", "1", "--activation", "sigmoid"], ["--activation sigmoid", "symbolic"]),
        (["correlate", "a b", "1", "--activation", "tanh"], ["--activation tanh", "symbolic"]),
        (["correlate", "a b", "1", "--activation", "relu"], ["--activation relu", "symbolic"]),
        (["correlate", "1/2 1", "1", "-f", "npy"], ["npy", "rational", "write it as plain or json"]),
        (["correlate", "a 1", "1", "-f", "npy"], ["npy", "symbolic", "write it as plain or json"]),
        (["correlate", f"{10**20} 1", "1", "-f", "npy"], ["npy", "too large for int64", "plain or json"]),
        (["correlate", "1 1", "1", "--exact", "--fillvalue", "1e999999999", "--mode", "full"], ["exponent"]),
        (["correlate", "1e999999999 1", "1", "--exact"], ["exponent", "at most 1000"]),
        (["correlate", "1 1", "1", "--bias", "1e999"], ["--bias", "too large for a float64"]),
    ],
)
def test_unsupported_kinds_are_refused_clearly(args, needles):
    assert_error(run(*args), *needles)


def test_exact_exponent_limit_in_numbers():
    assert parsing.parse_token("1e1000", exact=True) == 10**1000
    assert parsing.parse_token("1e-3", exact=True) == Fraction(1, 1000)
    with pytest.raises(ValueError, match="too large an exponent"):
        parsing.parse_token("1e1001", exact=True)
    with pytest.raises(ValueError, match="too large an exponent"):
        parsing.parse_token("2.5E-99999999999", exact=True)
    assert math.isinf(parsing.parse_token("inf"))  # not exact: a float as before


def test_huge_max_steps_means_all_cells():
    result = run("steps", "1 2; 3 4", "1", "--max-steps", "99999999999999999999999", "-f", "plain")
    assert_ok(result)
    assert result.stdout.count("\nC[") == 4
    result = run(
        "conv-transpose", "1 2", "1", "--steps", "--max-steps", "99999999999999999999999", "-f", "plain"
    )
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("A[")] == [
        "A[0, 0] = 1: adds 1*B at (0, 0)",
        "A[0, 1] = 2: adds 2*B at (0, 1)",
    ]
    assert lines[-2:] == ["# result", "1 2"]
