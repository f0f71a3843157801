"""Option values as the command line reads them: whole numbers in ASCII digits, lists written
with commas or spaces, numbers of every kind for --fillvalue and --bias."""

from __future__ import annotations

import json

import pytest

from convcli.cli import ExitCode

from .clicheck import run
from .conftest import SAMPLES

A = str(SAMPLES / "A.txt")
B = str(SAMPLES / "B.txt")
ARABIC_TWO = "\u0662"


@pytest.mark.parametrize("option", ["--stride", "--dilation", "--padding"])
@pytest.mark.parametrize("value", ["1_0", ARABIC_TWO, "1.5", "", "1,,2", "two", "\uff12"])
def test_whole_numbers_are_ascii_digits(option, value):
    result = run("correlate", A, B, option, value)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    name = option[2:]
    assert result.stderr == (
        f'error: --{name} takes whole numbers separated by commas (like 2 or 2,1), got "{value}"\n'
    )


@pytest.mark.parametrize("value", ["2,1", "2, 1", " 2 ,1 ", "2 1", "+2,1"])
def test_lists_are_written_with_commas_or_spaces(value):
    result = run("correlate", A, B, "--stride", value, "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert doc["stride"] == [2, 1]
    assert doc["result"] == [[4, 3, 4], [2, 3, 4]]  # rows 0 and 2 of the stride-1 result


@pytest.mark.parametrize(
    ("option", "value"), [("--fillvalue", ARABIC_TWO), ("--bias", "1_0"), ("--bias", f"1,{ARABIC_TWO}")]
)
def test_numbers_are_ascii_digits(option, value):
    result = run("correlate", "1 2", "1", option, value)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    shown = value.split(",")[-1]
    assert result.stderr == f'error: {option}: expected a number, found "{shown}"\n'


def test_ascii_numbers_of_every_kind_are_fine():
    result = run("correlate", "1 2", "1", "--bias", "1/2", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"] == [["3/2", "5/2"]]
    result = run("correlate", "1 2", "1 1", "--mode", "full", "--fillvalue", "\u22121", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"] == [[0, 3, 1]]  # -1 1 2 -1, pairs summed


@pytest.mark.parametrize(
    ("args", "option", "value", "rule"),
    [
        (["steps", A, B], "--max-steps", "1_0", "a whole number in ASCII digits"),
        (["steps", A, B], "--max-steps", ARABIC_TWO, "a whole number in ASCII digits"),
        (["steps", A, B], "--max-terms", "1_000", "a whole number in ASCII digits"),
        (
            ["layers", "--input", "1x32x32", str(SAMPLES / "lenet.txt")],
            "--at",
            "1_0",
            "a whole number in ASCII digits",
        ),
        (
            ["check", A, B, "--answer", "4 3 4; 2 4 3; 2 3 4"],
            "--tolerance",
            "1_0",
            "a number such as 0.5 or 1e-9 in ASCII digits",
        ),
        (["steps", A, B, "--play"], "--delay", "0\u0662", "a number such as 0.5 or 1e-9 in ASCII digits"),
    ],
)
def test_counting_and_measuring_options_are_ascii_digits(args, option, value, rule):
    result = run(*args, option, value)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    command = args[0]
    assert result.stderr == (
        f"error: Invalid value for '{option}': expected {rule}, got \"{value}\"  (see 'convcli {command} --help')\n"
    )


def test_counting_and_measuring_options_read_plain_digits():
    result = run("steps", A, B, "--max-steps", " 2 ", "-f", "plain")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.count("\nC[") == 2
    assert result.stderr == "note: showing 2 of 9 cells; --max-steps 9 shows them all, --at I,J one cell\n"
    result = run("check", "1.5 2.5", "1", "--answer", "1.5001 2.5", "--tolerance", "1e-3", "-f", "plain")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.startswith("right: ")
    result = run("check", "1.5 2.5", "1", "--answer", "1.5001 2.5", "--tolerance", "1e-6", "-f", "plain")
    assert (result.exit_code, result.stderr) == (ExitCode.WRONG_ANSWER, "")
    assert result.stdout.splitlines()[0] == "wrong"
    assert "--tolerance 0.0001 accepts it" in result.stdout
