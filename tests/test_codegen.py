"""--code: the scripts run, with the test environment's python, and print what convcli prints.

Each library's scripts for a grid of operands and options are run in one subprocess (each with
its own namespace, as ``python script.py`` would run it); the numbers they print are compared
with convcli's plain output: exactly for exact results, within rounding for floats. torch's run
is skipped, saying why, where torch is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from fractions import Fraction
from functools import cache

import numpy as np
import pytest

from convcli import codegen, formats, ops
from convcli.cli import ExitCode
from convcli.comparison import CNN_NOTE
from convcli.errors import ConvcliError, UsageError
from convcli.model import Activation, BoundaryRule, CodeLibrary, Convention, Format, Mode, Op, OpOptions

from .clicheck import run
from .conftest import B2, ROOT, SAMPLES, SEED_A, WINDOW

RNG = np.random.default_rng(2024)
X = np.arange(9).reshape(3, 3)
K = np.array([[0, 1], [2, 3]])
FLOATS = RNG.normal(size=(4, 5)).round(3)
FLOAT_K = RNG.normal(size=(2, 3)).round(3)
FRACTIONS = np.array(
    [[Fraction(1, 2), Fraction(1, 3), 2], [Fraction(-3, 4), 1, Fraction(5, 6)]], dtype=object
)
COMPLEX = np.array([[1 + 2j, 0.5, -1j], [2, 1 - 1j, 3j], [0, 1, 1 + 1j]])
COMPLEX_K = np.array([[1j, 2], [1 - 1j, 0.5]])
BIG = np.array([[2**40, -(2**40), 3], [5, 2**41, 7]])
BIG_K = np.array([[2**30, 2**31]])
LAYER_A = RNG.integers(-5, 6, size=(2, 4, 5))
LAYER_B = RNG.integers(-3, 4, size=(3, 2, 2, 2))
ONE_FILTER = RNG.integers(-3, 4, size=(2, 3, 3))
GROUPED_A = RNG.integers(-5, 6, size=(4, 4, 4))
GROUPED_B = RNG.integers(-3, 4, size=(2, 2, 2, 2))
CUBE = RNG.integers(-4, 5, size=(3, 4, 4))
CUBE_K = RNG.integers(-2, 3, size=(2, 2, 3))
NAN = np.array([[1.0, np.nan, 2.5], [0.5, 1.0, np.inf]])

PAIRS = {
    "seed": (SEED_A, B2),
    "even": (X, K),
    "vectors": (np.array([1, 2, 3, 4, 5]), np.array([1, 2])),
    "long kernel": (np.array([1, 2, 3]), np.array([1, 2, 3, 4, 5, 6])),
    "row": (np.array([[1, 2, 3, 4, 5]]), np.array([[1, 2]])),
    "floats": (FLOATS, FLOAT_K),
    "complex": (COMPLEX, COMPLEX_K),
    "nan": (NAN, np.array([[1.0, -1.0]])),
    "cube": (CUBE, CUBE_K),
}

# (name, options) for 2-D operands; each with convolve and correlate
OPTIONS = [
    ("valid", OpOptions()),
    ("same", OpOptions(mode=Mode.SAME)),
    ("full", OpOptions(mode=Mode.FULL)),
    *(
        (f"same {c}", OpOptions(mode=Mode.SAME, convention=c))
        for c in Convention
        if c is not Convention.SCIPY
    ),
    ("wrap same", OpOptions(mode=Mode.SAME, boundary=BoundaryRule.WRAP)),
    ("symm full", OpOptions(mode=Mode.FULL, boundary=BoundaryRule.SYMM)),
    ("mirror same", OpOptions(mode=Mode.SAME, boundary=BoundaryRule.MIRROR)),
    ("edge full", OpOptions(mode=Mode.FULL, boundary=BoundaryRule.EDGE)),
    ("fill 2 full", OpOptions(mode=Mode.FULL, fillvalue=2)),
    ("stride 2", OpOptions(stride=(2,))),
    ("dilation 2 same", OpOptions(mode=Mode.SAME, dilation=(2,))),
    ("padding 1", OpOptions(padding=(1,))),
    ("padding 1,2 stride 2,1", OpOptions(padding=(1, 2), stride=(2, 1))),
    ("padding 2 stride 2 dilation 2", OpOptions(padding=(2,), stride=(2,), dilation=(2,))),
    ("tensorflow same stride 2", OpOptions(mode=Mode.SAME, convention=Convention.TENSORFLOW, stride=(2,))),
    ("bias -4 relu", OpOptions(bias=(-4,), activation=Activation.RELU)),
    ("sigmoid same", OpOptions(mode=Mode.SAME, activation=Activation.SIGMOID)),
    ("tanh", OpOptions(activation=Activation.TANH)),
]

LAYERS = {
    "layer": (LAYER_A, LAYER_B, OpOptions(channels=True, bias=(1, -2, 3), activation=Activation.RELU)),
    "layer padded": (LAYER_A, LAYER_B, OpOptions(channels=True, padding=(1,), stride=(2,))),
    "layer same": (LAYER_A, LAYER_B, OpOptions(channels=True, mode=Mode.SAME, boundary=BoundaryRule.EDGE)),
    "one filter": (LAYER_A, ONE_FILTER, OpOptions(channels=True, dilation=(1, 2), bias=(5,))),
    "grouped": (GROUPED_A, GROUPED_B, OpOptions(channels=True, groups=2, padding=(1,))),
    "one channel": (X, K, OpOptions(channels=True)),
}


def _cases() -> list[tuple[str, Op, np.ndarray, np.ndarray, OpOptions, bool]]:
    cases = []
    for op in (Op.CONVOLVE, Op.CORRELATE):
        for pair, (a, b) in PAIRS.items():
            for name, options in OPTIONS:
                if pair in ("vectors", "long kernel", "cube", "row") and name not in (
                    "valid",
                    "same",
                    "full",
                    "same numpy",
                    "same matlab",
                    "wrap same",
                    "stride 2",
                    "padding 1",
                ):
                    continue
                if pair in ("complex", "nan") and ("relu" in name or "sigmoid" in name or "tanh" in name):
                    continue  # activations take real numbers
                cases.append((f"{op} {pair} {name}", op, a, b, options, False))
        for name, (a, b, options) in LAYERS.items():
            cases.append((f"{op} {name}", op, a, b, options, False))
        cases.append(
            (
                f"{op} fractions same",
                op,
                FRACTIONS,
                np.array([[1, Fraction(1, 2)]], dtype=object),
                OpOptions(mode=Mode.SAME),
                False,
            )
        )
        cases.append((f"{op} fractions float64", op, FRACTIONS, np.array([[1, 2]]), OpOptions(), True))
        cases.append((f"{op} big", op, BIG, BIG_K, OpOptions(mode=Mode.FULL), False))
    for op in (Op.ELEMENTWISE_SUM, Op.DOT):
        cases.append((f"{op} window", op, WINDOW, B2, OpOptions(), False))
        cases.append((f"{op} vectors", op, np.array([1, 2, 3]), np.array([4, 5, 6]), OpOptions(), False))
        cases.append((f"{op} floats", op, FLOATS[:2, :3], FLOAT_K, OpOptions(), False))
        cases.append((f"{op} complex", op, COMPLEX, COMPLEX.T, OpOptions(), False))
        cases.append((f"{op} fractions", op, FRACTIONS, FRACTIONS, OpOptions(), False))
        cases.append(
            (
                f"{op} big",
                op,
                BIG[:, :2],
                BIG[:, :2].T.copy() if op is Op.DOT else BIG[:, :2],
                OpOptions(),
                False,
            )
        )
    cases.append(("dot 3-D", Op.DOT, LAYER_A, RNG.integers(-3, 4, size=(5, 2)), OpOptions(), False))
    return cases


def _computable(case) -> bool:
    _, op, a, b, options, _ = case
    try:
        ops.run(op, a, b, options)
    except ConvcliError:  # what convcli itself refuses, its script generator refuses the same way
        return False
    return True


CASES = [case for case in _cases() if _computable(case)]

# each script is run in its own namespace, as python would run it alone; what it prints is kept
_DRIVER = """
import contextlib, io, json, sys, traceback
out = []
for source in json.load(sys.stdin):
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(source, "<script>", "exec"), {"__name__": "__main__"})
        out.append({"stdout": printed.getvalue()})
    except Exception:
        out.append({"error": traceback.format_exc()})
json.dump(out, sys.stdout)
"""


def _scripts(library: CodeLibrary) -> dict[str, str | UsageError]:
    made: dict[str, str | UsageError] = {}
    for name, op, a, b, options, float64 in CASES:
        try:
            made[name] = codegen.script(op, a, b, options, library, float64=float64)
        except UsageError as refusal:
            made[name] = refusal
    return made


@cache
def _run(library: CodeLibrary) -> dict[str, dict[str, str] | UsageError]:
    made = _scripts(library)
    sources = [s for s in made.values() if isinstance(s, str)]
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    printed = iter(json.loads(proc.stdout))
    return {name: (s if isinstance(s, UsageError) else next(printed)) for name, s in made.items()}


def _expected(op: Op, a, b, options: OpOptions, float64: bool) -> tuple[str, bool]:
    result = ops.run(op, a, b, options)
    if float64:
        result = formats.rounded_to_float64(result)
    return formats.format_result(result, Format.PLAIN), not result.kind.exact


def _numbers(text: str) -> list[list[complex]]:
    return [[complex(word) for word in line.split()] for line in text.splitlines()]


def _same(printed: str, expected: str, floats: bool) -> bool:
    if not floats:
        return printed == expected
    ours, theirs = _numbers(expected), _numbers(printed)
    if [len(row) for row in ours] != [len(row) for row in theirs]:
        return False
    x, y = np.array(sum(ours, [])), np.array(sum(theirs, []))
    return bool(np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True))


# what each library refuses in the grid, and why (the rest must run and agree)
REFUSED = {
    CodeLibrary.NUMPY: {},
    CodeLibrary.SCIPY: {
        "elementwise-sum": "scipy has no elementwise-sum of its own; it is numpy.sum(A * B)",
        "dot": "scipy has no dot of its own; it is numpy.dot(A, B)",
        "fractions same": "scipy has no exact fractions",
        " big": "past int64, where scipy wraps around silently",
        "nan dilation": "would spread the nan or inf in A (0·nan is nan)",
        "nan padding 2 stride 2 dilation": "would spread the nan or inf in A (0·nan is nan)",
    },
    CodeLibrary.TORCH: {
        "fractions same": "torch has no exact fractions",
        "sum fractions": "torch has no exact fractions",
        "dot fractions": "torch has no exact fractions",
        " big": "past int64, where torch wraps around silently",
        "symm": "not by mirroring with the edge cell repeated (symm)",
    },
}


def _refusal(library: CodeLibrary, name: str) -> str | None:
    for key, why in REFUSED[library].items():
        if key in name:
            return why
    return None


def _check(library: CodeLibrary, name: str) -> None:
    _, op, a, b, options, float64 = next(c for c in CASES if c[0] == name)
    got = _run(library)[name]
    why = _refusal(library, name)
    if isinstance(got, UsageError):
        assert why is not None and why in got.message, (name, got.message)
        return
    assert why is None, f"{name}: expected a refusal ({why})"
    assert "error" not in got, got.get("error")
    expected, floats = _expected(op, a, b, options, float64)
    assert _same(got["stdout"], expected, floats), (name, got["stdout"], expected)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_numpy_scripts_print_what_convcli_prints(name):
    _check(CodeLibrary.NUMPY, name)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_scipy_scripts_print_what_convcli_prints(name):
    _check(CodeLibrary.SCIPY, name)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_torch_scripts_print_what_convcli_prints(name):
    _check(CodeLibrary.TORCH, name)


# --- refusals, limits and the command line ---------------------------------------------------


def test_what_a_library_cannot_express_is_refused_saying_what_would():
    from convcli.parsing import parse_inline

    symbols = parse_inline("a b; c d", source="A")
    for library in CodeLibrary:
        with pytest.raises(UsageError, match="computes with numbers, and these operands hold symbols"):
            codegen.script(Op.CORRELATE, symbols, np.array([[1]]), None, library)
    with pytest.raises(UsageError) as caught:
        codegen.script(
            Op.CORRELATE, SEED_A, B2, OpOptions(mode=Mode.SAME, boundary=BoundaryRule.SYMM), "torch"
        )
    assert caught.value.message == (
        "--code torch: torch pads by mirroring without the edge cell (--boundary mirror), repeating it (edge) "
        "or wrapping (wrap), not by mirroring with the edge cell repeated (symm); --code numpy or scipy "
        "writes symm"
    )
    with pytest.raises(UsageError) as caught:
        codegen.script(
            Op.CORRELATE,
            np.array([[1, 2]]),
            np.ones((1, 5), dtype=int),
            OpOptions(mode=Mode.FULL, boundary=BoundaryRule.MIRROR),
            "torch",
        )
    assert caught.value.message == (
        "--code torch: torch mirrors (reflect) only by less than the input's size, and this needs 4 on an "
        "axis of 1; --code numpy or scipy writes it"
    )
    with pytest.raises(UsageError) as caught:
        codegen.script(Op.CONVOLVE, FRACTIONS, K, None, "scipy")
    assert caught.value.message == (
        "--code scipy: scipy has no exact fractions; --code numpy keeps them exact (Python's Fraction in an "
        "object array), and --float64 computes in float64"
    )
    with pytest.raises(UsageError) as caught:
        codegen.script(Op.CONVOLVE, BIG, BIG_K, None, "torch")
    assert caught.value.message == (
        "--code torch: these sums reach 73 bits, past int64, where torch wraps around silently; --code numpy "
        "keeps them exact (Python ints in an object array)"
    )


def test_operands_too_large_to_write_out_are_refused():
    with pytest.raises(UsageError) as caught:
        codegen.script(Op.CORRELATE, np.ones((100, 100), dtype=int), np.ones((3, 3), dtype=int))
    assert caught.value.message == (
        "--code writes A and B into the script, at most 10,000 numbers; these have 10,009 (save them with "
        "-f npy and load them with numpy.load instead)"
    )


def test_numbers_python_cannot_read_back_are_refused():
    huge = np.array([[10**4300]], dtype=object)
    with pytest.raises(UsageError) as caught:
        codegen.script(Op.CORRELATE, huge, np.array([[1]]))
    assert caught.value.message == (
        "--code writes numbers as Python literals, which Python reads up to 4,300 digits; an entry here "
        "has 4,301"
    )
    script = codegen.script(Op.CORRELATE, np.array([[10**4299]], dtype=object), np.array([[1]]))
    assert f"    [{10**4299}],\n], dtype=object)" in script  # written whole, as Python ints


def test_what_convcli_refuses_the_script_is_not_written_for():
    with pytest.raises(ConvcliError, match="the inner dimensions"):
        codegen.script(Op.DOT, SEED_A, B2, None, "torch")


@pytest.mark.parametrize("library", ["numpy", "scipy", "torch"])
def test_code_prints_a_script_that_runs_alone(library, tmp_path):
    if library == "torch" and importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    a, b = str(SAMPLES / "A.txt"), str(SAMPLES / "B2.txt")
    result = run("convolve", a, b, "--mode", "same", "--stride", "2", "--code", library)
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.startswith("import ")
    script = tmp_path / "convolve.py"
    script.write_text(result.stdout, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, "")
    shown = run("convolve", a, b, "--mode", "same", "--stride", "2")
    assert (shown.exit_code, shown.stderr) == (ExitCode.OK, f"note: {CNN_NOTE}\n")
    assert proc.stdout == shown.stdout == "2 2 0\n1 4 2\n0 2 1\n"


def test_code_in_every_operation_and_its_refusals():
    window, b = str(SAMPLES / "window.txt"), str(SAMPLES / "B.txt")
    for command in ("elementwise-sum", "dot"):
        result = run(command, window, b, "--code", "numpy")
        assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
        assert "import numpy as np" in result.stdout
        refused = run(command, window, b, "--code", "scipy")
        assert (refused.exit_code, refused.stdout) == (ExitCode.USAGE_OR_INPUT, "")
        assert refused.stderr.startswith(f"error: --code scipy: scipy has no {command} of its own")
    both = run("correlate", window, b, "--code", "numpy", "-f", "json")
    assert (both.exit_code, both.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert both.stderr == (
        "error: --code prints a Python script instead of the result; drop --format, --output and --export "
        "(> script.py saves it)\n"
    )
    unknown = run("correlate", window, b, "--code", "matlab")
    assert (unknown.exit_code, unknown.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert unknown.stderr == (
        "error: Invalid value for '--code': 'matlab' is not one of 'numpy', 'scipy', 'torch'.  "
        "(see 'convcli correlate --help')\n"
    )
