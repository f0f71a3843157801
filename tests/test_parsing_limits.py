"""Reading limits (README's "Speed"): what would take minutes or all the memory is refused before
the work, with the limit named and the environment variable that changes it, exit 2.

- fractions whose common denominator would be too long (CONVCLI_MAX_DIGITS);
- a symbolic entry with too many terms once expanded (CONVCLI_MAX_TERMS);
- standard input or a device that never ends (CONVCLI_MAX_INPUT_BYTES);
and symbolic entries are built in linear time, however long.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from typer.testing import CliRunner

from convcli import numeric, parsing
from convcli.cli import ExitCode, app
from convcli.errors import ConvcliError, ParseError

from . import forkrun

CONVCLI = [sys.executable, "-m", "convcli"]


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), input=input, env=env)


def refused(result) -> str:
    assert result.exit_code == ExitCode.USAGE_OR_INPUT, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr


def process(*args: str, stdin=None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return forkrun.run(
        [*CONVCLI, *args],
        stdin=stdin,
        capture_output=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


# ---------------------------------------------------------------------------------------------
# the common denominator of fractions


def _huge_denominators(tmp_path, rows: int = 10, cols: int = 10) -> str:
    rng = random.Random(4300)
    lines = [" ".join(f"1/{rng.randrange(10**4299, 10**4300)}" for _ in range(cols)) for _ in range(rows)]
    path = tmp_path / "fractions.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_fractions_whose_common_denominator_is_too_long_are_refused(tmp_path):
    path = _huge_denominators(tmp_path)
    error = refused(run("correlate", path, "1"))
    first = error.splitlines()[0]
    assert first.startswith(f'error: {path}:1:8607: "1/')  # the third fraction
    # three 4300-digit denominators: 12,898 digits as these numbers fall
    assert re.search(
        r'\.\.\." makes the common denominator of the fractions about 12,89[0-9] digits long; expected '
        r"at most 10,000 digits in a common denominator \(the environment variable CONVCLI_MAX_DIGITS "
        r"changes the limit\)$",
        first,
    )
    assert error.splitlines()[1].startswith("   1 | ...")  # the line, cut around the caret


def test_the_digits_limit_can_be_raised(tmp_path):
    path = _huge_denominators(tmp_path, rows=1, cols=3)
    refused(run("correlate", path, "1"))
    result = run("correlate", path, "1", "-f", "json", env={"CONVCLI_MAX_DIGITS": "20000"})
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    # correlate with 1 gives back every fraction, each digit of it
    with open(path, encoding="utf-8") as given:
        assert json.loads(result.stdout)["result"] == [line.split() for line in given]


def test_repeated_and_shared_denominators_are_counted_once():
    # a million times 1/3 has the denominator 3; 1/2, 1/4, ..., 1/2**k has 2**k
    values = [Fraction(1, 3)] * 1000 + [Fraction(1, 2**k) for k in range(1, 3000)]
    assert numeric.denominator_overflow(values) is None
    assert numeric.denominator_overflow([Fraction(1, 10**9999)]) is None
    assert numeric.denominator_overflow([Fraction(1, 10**10000)]) == (0, 10001)
    k, digits = numeric.denominator_overflow([1, 2.5, Fraction(1, 7**6000), Fraction(1, 11**5000)])
    assert k == 3 and abs(digits - 10278) <= 1  # 6000 log10(7) + 5000 log10(11) = 10277.6


def test_the_limit_applies_to_every_reader(tmp_path):
    fractions = [f"1/{p}" for p in (10**4000 + 1, 10**4000 + 3, 10**4000 + 7)]
    with pytest.raises(ParseError, match="CONVCLI_MAX_DIGITS"):
        parsing.parse_json("[" + ", ".join(f'"{f}"' for f in fractions) + "]", source="A.json")
    with pytest.raises(ParseError, match="CONVCLI_MAX_DIGITS"):
        parsing.parse_inline(" ".join(fractions), source="A (inline)")
    with pytest.raises(ParseError, match="CONVCLI_MAX_DIGITS"):
        parsing.parse_inline("[[" + ", ".join(fractions) + "]]", source="A (inline)")


# ---------------------------------------------------------------------------------------------
# symbolic entries


def test_an_unbounded_expansion_is_refused_before_it_starts():
    error = refused(run("check", "[x]", "1", "--answer", "[(x+1)^100000]"))
    assert error == (
        'error: answer (inline), column 2: "(x+1)^100000" has more than 1,000 terms when expanded; '
        "expected at most 1,000 terms in a symbolic entry, expanded (the environment variable "
        "CONVCLI_MAX_TERMS changes the limit) (at [0])\n"
        "     | [(x+1)^100000]\n"
        "     |  ^\n"
    )


@pytest.mark.parametrize(
    ("entry", "terms"),
    [("(a+b)^999", 1000), ("(a+b+c)^43", 990), ("(a+1)^3*(b+1)^3", 16), ("(a+b)^2/(c+d)^5", 3)],
)
def test_entries_within_the_limit_are_read(entry, terms):
    import sympy

    value = parsing.parse_token(entry)
    assert len(sympy.Add.make_args(sympy.expand(value))) <= terms


@pytest.mark.parametrize("entry", ["(a+b)^1000", "(a+b+c)^44", "(a+b)^600*(c+d)^2", "(x+1)^99999999999999"])
def test_entries_over_the_limit_are_refused(entry):
    with pytest.raises(ValueError, match="more than 1,000 terms when expanded"):
        parsing.parse_token(entry)


def test_the_terms_limit_can_be_raised():
    result = run("correlate", "(a+b)^1000", "1", "-f", "plain", env={"CONVCLI_MAX_TERMS": "2000"})
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "(a+b)**1000\n", "")


def test_long_sums_and_products_are_built_in_one_step():
    import sympy

    names = [f"a{i}" for i in range(900)]
    total = parsing.parse_token("+".join(names) + "-" + names[0])
    assert total == sympy.Add(*sympy.symbols(names[1:]))
    product = parsing.parse_token("*".join(names[:1500]) + "/b")
    assert product == sympy.Mul(*sympy.symbols(names)) / sympy.Symbol("b")
    assert (
        parsing.parse_token("2*a-3*b/c+4")
        == 2 * sympy.Symbol("a") - 3 * sympy.Symbol("b") / sympy.Symbol("c") + 4
    )


# ---------------------------------------------------------------------------------------------
# streams that never end


def test_standard_input_is_read_up_to_the_limit():
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        proc = process("correlate", "-", "1", stdin=yes.stdout, env={"CONVCLI_MAX_INPUT_BYTES": "100000"})
    finally:
        yes.kill()
        yes.wait()
        yes.stdout.close()
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stdout == b""
    assert proc.stderr.decode() == (
        "error: <stdin>: holds more than 100,000 bytes; expected at most 100,000 bytes from standard "
        "input or a device (the environment variable CONVCLI_MAX_INPUT_BYTES changes the limit)\n"
    )


class Endless(io.RawIOBase):
    """A stream of "1\\n" that never ends, counting what is read."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = len(buffer) - len(buffer) % 2
        buffer[:n] = b"1\n" * (n // 2)
        self.given += n
        return n


def test_the_default_limit_is_256_mebibytes(monkeypatch):
    monkeypatch.delenv("CONVCLI_MAX_INPUT_BYTES", raising=False)
    assert numeric.INPUT_BYTES.value() == 256 << 20
    monkeypatch.setenv("CONVCLI_MAX_INPUT_BYTES", "4096")
    stream = Endless()
    with pytest.raises(ParseError, match=r"^<stdin>: holds more than 4,096 bytes"):
        parsing.read_matrix("-", stdin=io.TextIOWrapper(io.BufferedReader(stream)))
    assert stream.given < 2 << 20  # a chunk or two, not the stream


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_refused_at_its_first_bytes():
    proc = process("correlate", "/dev/zero", "1")
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stdout == b""
    assert proc.stderr.decode().startswith(
        "error: /dev/zero:1:1: expected text, found a NUL byte (is this a binary file?)\n"
    )
    with open("/dev/zero", "rb") as zero:
        proc = process("correlate", "-", "1", stdin=zero)
    assert (proc.returncode, proc.stdout) == (ExitCode.USAGE_OR_INPUT, b"")
    assert proc.stderr.decode().startswith("error: <stdin>:1:1: expected text, found a NUL byte")


@pytest.mark.skipif(not os.path.exists("/dev/urandom"), reason="no /dev/urandom")
def test_dev_urandom_is_refused_at_its_first_bytes():
    for args, stdin in [(("/dev/urandom", "1"), None), (("-", "1"), "/dev/urandom")]:
        with open(stdin, "rb") if stdin else open(os.devnull, "rb") as handle:
            proc = process("correlate", *args, stdin=handle)
        assert proc.returncode == ExitCode.USAGE_OR_INPUT
        assert proc.stdout == b""
        first = proc.stderr.decode("utf-8", "replace").splitlines()[0]
        assert "expected text, found a NUL byte" in first or "expected UTF-8 text, found the byte" in first


def test_a_limit_must_be_written_in_ascii_digits(monkeypatch):
    for value in ["1e3", "-5", "\u0661\u0660", "lots"]:
        error = refused(run("correlate", "-", "1", input="1\n", env={"CONVCLI_MAX_INPUT_BYTES": value}))
        assert error == (
            "error: the environment variable CONVCLI_MAX_INPUT_BYTES must be a whole number of bytes from "
            f'standard input or a device, got "{value}"\n'
        )
    limit = numeric.Limit("CONVCLI_TEST_LIMIT", 7, "things")
    assert limit.value() == 7
    monkeypatch.setenv("CONVCLI_TEST_LIMIT", " 12 ")
    assert limit.value() == 12
    monkeypatch.setenv("CONVCLI_TEST_LIMIT", "1_2")
    with pytest.raises(ConvcliError, match='must be a whole number of things, got "1_2"'):
        limit.value()


def test_small_inputs_read_as_before():
    assert np.array_equal(parsing.read_matrix("-", stdin=io.StringIO("1 2\n3 4\n")), [[1, 2], [3, 4]])
    result = run("correlate", "-", "1", input="1 2\n3 4\n")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "1 2\n3 4\n", "")


def test_long_tokens_are_matched_in_linear_time():
    # "\d+\.?\d*" tried every split of the digits before failing: 4,000 digits took seconds
    digits = "9" * 4000
    for token in (digits + "x", digits + ".5x", "1." + digits + "e", digits + "+" + digits + "k"):
        with pytest.raises(ValueError, match="expected a number"):
            parsing.parse_token(token, symbols=False)
    assert parsing.parse_token(digits[:300] + "." + digits) == float(digits[:300] + "." + digits)
