"""Letters as entries: symbolic results through sympy (Goodfellow et al., Deep Learning, Fig. 9.1)."""

from __future__ import annotations

import builtins
import json

import pytest
from typer.testing import CliRunner

from convcli import ops
from convcli.cli import ExitCode, app
from convcli.errors import MissingExtraError
from convcli.model import Kind, Op
from convcli.parsing import parse_inline, parse_token
from convcli.steps import derive, terms_text

FIG_A = "a b c d; e f g h; i j k l"
FIG_K = "w x; y z"
# correlate(FIG_A, FIG_K) as the plain format writes it
FIG_PLAIN = (
    "a*w+b*x+e*y+f*z b*w+c*x+f*y+g*z c*w+d*x+g*y+h*z\ne*w+f*x+i*y+j*z f*w+g*x+j*y+k*z g*w+h*x+k*y+l*z\n"
)


def test_figure_9_1():
    result = ops.correlate(parse_inline(FIG_A, source="A"), parse_inline(FIG_K, source="B"))
    assert result.kind is Kind.SYMBOLIC
    assert [[str(v) for v in row] for row in result.value] == [
        ["a*w + b*x + e*y + f*z", "b*w + c*x + f*y + g*z", "c*w + d*x + g*y + h*z"],
        ["e*w + f*x + i*y + j*z", "f*w + g*x + j*y + k*z", "g*w + h*x + k*y + l*z"],
    ]


def test_figure_9_1_on_the_command_line():
    result = CliRunner().invoke(app, ["correlate", FIG_A, FIG_K, "-f", "json"])
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"][0][0] == "a*w + b*x + e*y + f*z"
    plain = CliRunner().invoke(app, ["correlate", FIG_A, FIG_K])
    assert (plain.exit_code, plain.stderr) == (ExitCode.OK, "")
    assert plain.stdout == FIG_PLAIN


def test_convolve_turns_the_symbolic_kernel():
    result = ops.convolve(parse_inline("a b; c d", source="A"), parse_inline(FIG_K, source="B"))
    assert str(result.value[0, 0]) == "a*z + b*y + c*x + d*w"


def test_steps_work_symbolically():
    steps = derive(Op.CORRELATE, parse_inline(FIG_A, source="A"), parse_inline(FIG_K, source="B"), at=(0, 0))
    step = steps.steps[0]
    assert terms_text(step.window, step.kernel, step.products, step.total) == (
        "(a*w)+(b*x)+(e*y)+(f*z) = a*w + b*x + e*y + f*z"
    )


def test_mixed_numbers_and_symbols():
    result = ops.correlate(parse_inline("1 a; 2 b", source="A"), parse_inline("x; 3", source="B"))
    assert [str(v) for v in result.value.flat] == ["x + 6", "a*x + 3*b"]


def test_without_sympy_one_line_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_sympy(name, *args, **kwargs):
        if name == "sympy" or name.startswith("sympy."):
            raise ImportError("No module named 'sympy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sympy)
    with pytest.raises(MissingExtraError) as err:
        parse_token("a")
    assert (
        err.value.message
        == '"a" is a symbol, and symbolic entries need sympy: pip install "convcli[symbolic]"'
    )
    result = CliRunner().invoke(app, ["correlate", "a b", "1"])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        'error: "a" is a symbol, and symbolic entries need sympy: pip install "convcli[symbolic]"\n'
    )


def test_symbolic_answers_are_checked():
    result = CliRunner().invoke(app, ["check", "a b; c d", "w x; y z", "--answer", "a*w+b*x+c*y+d*z"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "right: your answer equals correlate\n",
        "",
    )
    result = CliRunner().invoke(app, ["check", "a b; c d", "w x; y z", "--answer", "a*w+b*x+c*y"])
    assert (result.exit_code, result.stderr) == (ExitCode.WRONG_ANSWER, "")
    assert result.stdout.splitlines()[:2] == [
        "wrong",
        "off by: your answer is a*w + b*x + c*y but the right value is a*w + b*x + c*y + d*z",
    ]


def test_symbolic_json_reads_back_and_text_grids_read_numbers_only():
    first = CliRunner().invoke(app, ["correlate", FIG_A, FIG_K])
    assert (first.exit_code, first.stdout, first.stderr) == (ExitCode.OK, FIG_PLAIN, "")
    as_json = CliRunner().invoke(app, ["correlate", FIG_A, FIG_K, "-f", "json"])
    assert (as_json.exit_code, as_json.stderr) == (ExitCode.OK, "")
    again = CliRunner().invoke(app, ["correlate", "-", "2"], input=as_json.stdout)
    assert (again.exit_code, again.stderr) == (ExitCode.OK, "")
    assert again.stdout.splitlines()[0].split()[0] == "2*a*w+2*b*x+2*e*y+2*f*z"
    same = CliRunner().invoke(app, ["correlate", "-", "1"], input=as_json.stdout)
    assert (same.exit_code, same.stdout, same.stderr) == (ExitCode.OK, FIG_PLAIN, "")
    # a text grid (a file, or plain text on stdin) reads numbers only: a stray letter is an error
    plain = CliRunner().invoke(app, ["correlate", "-", "2"], input=first.stdout)
    assert (plain.exit_code, plain.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert plain.stderr.startswith('error: <stdin>:1:1: expected a number, found "a*w+b*x+e*y+f*z"')


@pytest.mark.parametrize(
    ("text", "value"),
    [("2*a-b/3", "2*a - b/3"), ("(a+b)^2", "(a + b)**2"), ("a**2", "a**2"), ("-x+1/2", "1/2 - x")],
)
def test_expressions_are_parsed_without_eval(text, value):
    assert str(parse_token(text)) == value


@pytest.mark.parametrize("text", ["a+", "a*(b", "__import__(os)", "a/0", "(" * 300 + "a" + ")" * 300])
def test_malformed_expressions_are_refused(text):
    with pytest.raises(ValueError):
        parse_token(text)
