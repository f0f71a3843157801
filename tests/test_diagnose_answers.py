"""Answers as a student writes them are read: fractions inside brackets, JSON strings, numpy's
printed arrays, a lone nan or inf (README's "Reading matrices"; check in "check")."""

from __future__ import annotations

import json

import pytest

from convcli.cli import ExitCode

from .clicheck import run

RIGHT = "right: your answer equals correlate\n"


@pytest.mark.parametrize(
    ("a", "b", "answer"),
    [
        ("1 2", "1/2", "[[1/2, 1]]"),
        ("1", "1/2", '"1/2"'),
        ("2 3", "1/3", "[[2/3, 1]]"),
        ("2 3", "1/3", '[["2/3", 1]]'),
        ("1 2; 3 4", "1", "[[1 2] [3 4]]"),
        ("1 2; 3 4", "1", "[[1 2]\n [3 4]]"),
        ("1 2; 3 4", "1", "[1 2; 3 4]"),
        ("2 4", "1/4", "[1/2, 1]"),
    ],
)
def test_answers_written_by_hand_are_read(a, b, answer):
    result = run("check", a, b, "--answer", answer)
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, RIGHT, "")


def test_a_wrong_fraction_answer_is_still_wrong():
    result = run("check", "2 3", "1/3", "--answer", "[[2/3, 2]]")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stdout.splitlines()[0] == "wrong"
    assert "wrong cells: [0, 1]" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(("word", "shown"), [("nan", "nan"), ("inf", "inf"), ("NaN", "nan")])
def test_a_lone_nan_or_inf_operand_is_a_one_by_one_matrix(word, shown):
    result = run("correlate", word, "2", "-f", "json")
    assert result.exit_code == ExitCode.OK
    doc = json.loads(result.stdout)
    assert doc["a_shape"] == [1, 1]
    assert doc["result"] == [[shown]]
    assert result.stderr == f"note: {shown} reached 1 cell: [0, 0]\n"
