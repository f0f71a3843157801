"""The number model's refusals: exact numbers that a float64 or a symbolic result would lose.

An integer beyond float64's range among decimals (an operand, --fillvalue or --bias) is an
``error:`` line naming the entry, never an internal error; so is a symbolic result whose numbers
could not be written out.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from convcli import numeric
from convcli.cli import ExitCode
from convcli.errors import ConvcliError
from convcli.model import Kind

from .clicheck import run

BIG = str(10**400)
SHOWN = "1" + "0" * 36 + "..."  # how a long entry is quoted


def refused(result) -> str:
    assert result.exit_code == ExitCode.USAGE_OR_INPUT, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    return result.stderr


def test_an_integer_beyond_float64_beside_a_decimal_operand():
    assert refused(run("correlate", BIG, "0.5")) == (
        f"error: A[0, 0] ({SHOWN}) is too large for a float64 (the largest is about 1.8e308), which "
        "every entry becomes because B[0, 0] (0.5) is a decimal; write 0.5 as 1/2 (or use --exact) "
        "to keep the run exact\n"
    )


@pytest.mark.parametrize(
    ("args", "where", "cause", "advice"),
    [
        (
            ["correlate", BIG, "1", "--fillvalue", "0.5", "--mode", "full"],
            "A[0, 0]",
            "--fillvalue (0.5)",
            "1/2",
        ),
        (["correlate", BIG, "1", "--bias", "0.25"], "A[0, 0]", "--bias (0.25)", "1/4"),
        (["correlate", "0.5", "1", "--bias", BIG], "--bias", "A[0, 0] (0.5)", "1/2"),
        (
            ["correlate", "0.5", "1", "--fillvalue", BIG, "--mode", "full"],
            "--fillvalue",
            "A[0, 0] (0.5)",
            "1/2",
        ),
        (["correlate", f"1 {BIG}; 3 4", "0.1"], "A[0, 1]", "B[0, 0] (0.1)", "1/10"),
        (["correlate", f"[1,{BIG}]", "[1.5]"], "A[1]", "B[0] (1.5)", "3/2"),
        (["dot", f"1 {BIG}", "2.5; 1"], "A[0, 1]", "B[0, 0] (2.5)", "5/2"),
        (["elementwise-sum", f"1 {BIG}", "2 0.5"], "A[0, 1]", "B[0, 0] (2.0)", "2"),
        (["compare", BIG, "0.5"], "A[0, 0]", "B[0, 0] (0.5)", "1/2"),
        (["steps", BIG, "0.5"], "A[0, 0]", "B[0, 0] (0.5)", "1/2"),
        (["check", BIG, "0.5", "--answer", "1"], "A[0, 0]", "B[0, 0] (0.5)", "1/2"),
    ],
)
def test_every_place_a_decimal_can_come_from(args, where, cause, advice):
    error = refused(run(*args))
    assert error.startswith(f"error: {where} ({SHOWN}) is too large for a float64")
    assert f"because {cause} is a decimal" in error
    assert error.endswith(f" as {advice} (or use --exact) to keep the run exact\n")


def test_the_advice_is_true():
    # written as a fraction, the same run is exact
    result = run("correlate", BIG, "1/2", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"] == [[10**400 // 2]]  # exact: a JSON integer
    result = run("correlate", BIG, "0.5", "--exact", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"] == [[10**400 // 2]]


def test_complex_has_no_exact_form():
    assert refused(run("correlate", BIG, "1+2j")) == (
        f"error: A[0, 0] ({SHOWN}) is too large for a complex128 (the largest is about 1.8e308), which "
        "every entry becomes because B[0, 0] (1.0+2.0j) is complex\n"
    )


def test_a_fraction_beyond_float64_is_named_too():
    with pytest.raises(ConvcliError, match=r"^A\[1\] \(10000"):
        numeric.check_float_range(
            Kind.FLOAT, [("A", np.array([Fraction(1, 3), Fraction(10**400, 3)], dtype=object)), ("B", 0.5)]
        )


def test_integers_that_fit_are_not_refused():
    big = 10**300  # within float64's range
    result = run("correlate", str(big), "0.5", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"] == [[big * 0.5]]
    numeric.check_float_range(Kind.FLOAT, [("A", np.array([big], dtype=object)), ("B", np.array([0.5]))])
    # without a decimal, nothing becomes a float
    numeric.check_float_range(Kind.INTEGER, [("A", np.array([10**400], dtype=object))])


NINES = "9" * 4000


def test_symbolic_numbers_too_long_to_write_are_refused():
    error = refused(run("correlate", f"{NINES}*a", NINES))
    assert error == (
        "error: the symbolic result could hold numbers of about 8001 digits (digits in the entries: "
        "A up to 4001, B up to 4001); symbolic results are written with at most 4300 digits per number "
        "(Python's limit on writing an int as text; the environment variable PYTHONINTMAXSTRDIGITS "
        "raises it), while integer results have no such limit\n"
    )
    # the same numbers among symbols, multiplied into one number
    refused(run("correlate", f"a {NINES}", NINES))
    for op in ("compare", "steps", "dot"):
        refused(run(op, f"{NINES}*a", NINES))


def test_symbolic_numbers_within_the_limit_are_written_out():
    result = run("correlate", "a", NINES, "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"] == [[f"{NINES}*a"]]
    # an unexpanded power is not a long number
    result = run("correlate", "(a+1)^999", "2", "-f", "plain")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "2*(a+1)**999\n", "")


def test_the_limit_follows_python():
    assert numeric.int_text_limit() == 4300
    import sys

    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # as PYTHONINTMAXSTRDIGITS=0 sets it
    try:
        numeric.check_symbolic_digits(
            [("A", np.array([10**5000], dtype=object)), ("B", np.array([10**5000]))], 1
        )
    finally:
        sys.set_int_max_str_digits(old)
