"""A fuzz test of the real command line: a few hundred random runs of every command, with junk
matrices, junk option values and every format, from a seeded generator (reproducible: a failure
names its seed and the arguments).

Every run must end with exit status 0, 1 (check only) or 2, never with a traceback or exit 70,
and with an ``error:`` line on stderr whenever the status is 2.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcli.cli import ExitCode, app

from .conftest import SAMPLES

SEEDS = range(8)
RUNS_PER_SEED = 50

GOOD_MATRICES = [
    "1 2; 3 4",
    "1 0 1; 0 1 0; 1 0 1",
    "1 2 3 4 5",
    "1/2 1/3; 1/4 1/5",
    "1.5 -2; 0.25 3",
    "1+2j 3; -1j 2",
    "a b; c d",
    "[[1,2],[3,4]]",
    "[[[1,2],[3,4]],[[5,6],[7,8]]]",
    "[[[[1]]]]",
    "box:3",
    "sobel-x",
    "gaussian:3:1.0",
    "identity",
    "laplace",
    "99999999999999999999999 1; 2 3",
    "9223372036854775807 -9223372036854775808",
    "nan inf; -inf 0",
    "1e308 1e308",
    "1",
    str(SAMPLES / "A.txt"),
    str(SAMPLES / "B.txt"),
    str(SAMPLES / "box.csv"),
    str(SAMPLES / "image.json"),
]
JUNK_MATRICES = [
    "",
    " ",
    "[",
    "]]",
    "1,,2",
    "1 2; 3",
    "0/0",
    "1/0",
    "1e999",
    "\x00",
    "+",
    "e",
    "j",
    "[[]]",
    "{}",
    '{"result": 5}',
    '{"result": [[1, "x"]]}',
    "box:-1",
    "box:99999999",
    "gaussian:0",
    "gaussian:3:-1",
    "laplace:3",
    "nonexistent.txt",
    "no/such/dir/",
    "/",
    ".",
    "/dev/null",
    "\U0001d7d9",
    "1\u22122 3",
    "[1, NaN]",
    "1e-400 1",
    "9" * 5000,
    "[" * 300 + "]" * 300,
    "[" * 70,
    "1 2\n\n3",
    "__import__('os')",
    "1;2;;3",
    "[1 2; 3 4]",
    "[1 2; 3]",
]
NUMBERS = [
    "0",
    "1",
    "2",
    "3",
    "-1",
    "1.5",
    "1/2",
    "nan",
    "inf",
    "-inf",
    "1+1j",
    "a",
    "",
    "1,2",
    "1e999",
    "x y",
]
INTS = ["1", "2", "1,2", "2,1", "0", "-1", "a", "", "1,2,3", "1,2,3,4", "10" * 15, "3,", ",", "1.5"]
FORMATS = ["table", "plain", "csv", "json", "markdown", "latex", "npy", "weird"]

SLIDING = ["convolve", "correlate", "compare", "steps", "check", "im2col"]
COMMANDS = [*SLIDING, "elementwise-sum", "dot", "conv-transpose", "shape", "kernels"]


def _crash_site(runner: CliRunner, args: list[str], stdin: str) -> tuple[str, str]:
    """Where an internal error happened (the file of the deepest convcli frame, and the
    exception): the run again with --debug, for its traceback."""
    result = runner.invoke(app, [*args, "--debug"], input=stdin)
    frames = re.findall(r'File "[^"]*/convcli/([^"]+)", line', result.stderr)
    raised = re.findall(r"^(\w+(?:Error|Warning|Exception)): ", result.stderr, re.MULTILINE)
    return (frames[-1] if frames else "?", raised[-1] if raised else "?")


def _matrix(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(GOOD_MATRICES)
    if roll < 0.85:
        return rng.choice(JUNK_MATRICES)
    if roll < 0.92:
        return "-"
    alphabet = '0123456789 ;,.-+/eEjJ[]{}"abc#\t\n\u2212'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20)))


def _maybe(rng: random.Random, p: float = 0.3) -> bool:
    return rng.random() < p


def _sliding_options(rng: random.Random) -> list[str]:
    args: list[str] = []
    if _maybe(rng):
        args += ["--mode", rng.choice(["valid", "same", "full", "weird", "VALID"])]
    if _maybe(rng, 0.2):
        args += ["--boundary", rng.choice(["fill", "wrap", "symm", "mirror", "edge", "reflect", "weird"])]
    if _maybe(rng, 0.2):
        args += ["--fillvalue", rng.choice(NUMBERS)]
    if _maybe(rng, 0.15):
        args += ["--convention", rng.choice(["scipy", "numpy", "matlab", "torch", "tensorflow", "weird"])]
    for option in ("--stride", "--dilation", "--padding"):
        if _maybe(rng, 0.2):
            args += [option, rng.choice(INTS)]
    if _maybe(rng, 0.1):
        args.append("--channels")
    if _maybe(rng, 0.15):
        args += ["--bias", rng.choice(NUMBERS)]
    if _maybe(rng, 0.15):
        args += ["--activation", rng.choice(["none", "relu", "sigmoid", "tanh", "weird"])]
    if _maybe(rng, 0.15):
        args += ["--method", rng.choice(["auto", "direct", "separable", "fft", "overlap-add", "weird"])]
    if _maybe(rng, 0.1):
        args.append("--verbose")
    return args


def _arguments(rng: random.Random, command: str, out: Path) -> list[str]:
    args = [command]
    if command == "shape":
        args += ["--input", rng.choice(["32x32", "5", "0x0", "abc", f"{10**30}x1", "1 2; 3 4", "box:3", ""])]
        args += ["--kernel", rng.choice(["3", "3x3", "40", "0", "box:3", "1 2", "x", ""])]
        for option in ("--stride", "--padding", "--dilation", "--output-padding"):
            if _maybe(rng):
                args += [option, rng.choice(INTS)]
        if _maybe(rng):
            args.append("--transposed")
    elif command != "kernels":
        args += [_matrix(rng), _matrix(rng)]
        if command in SLIDING:
            args += _sliding_options(rng)
        if command in ("steps", "im2col", "check") and _maybe(rng):
            args += ["--op", rng.choice(["convolve", "correlate", "elementwise-sum", "dot", "weird"])]
        if command in ("steps", "conv-transpose") and _maybe(rng):
            args += ["--at", rng.choice(["0,0", "9,9", "0", "-1", "a", "1,2,3", f"{10**30},0"])]
        if command in ("steps", "conv-transpose") and _maybe(rng, 0.2):
            args += ["--max-steps", rng.choice(["1", "0", "-1", "a", str(10**30)])]
        if command == "check":
            args += ["--answer", _matrix(rng) if _maybe(rng, 0.8) else "4 3 4; 2 4 3; 2 3 4"]
            if _maybe(rng, 0.2):
                args += ["--tolerance", rng.choice(["1e-9", "-1", "nan", "a", "1e999", "0"])]
        if command == "conv-transpose":
            for option in ("--stride", "--padding", "--output-padding", "--dilation"):
                if _maybe(rng, 0.25):
                    args += [option, rng.choice(["1", "2", "2,1", "0", "-1", "a", "1,2,3", str(10**30)])]
            if _maybe(rng, 0.15):
                args.append("--channels")
            if _maybe(rng, 0.2):
                args.append("--steps")
    if _maybe(rng, 0.6):
        args += ["-f", rng.choice(FORMATS)]
    if _maybe(rng, 0.1):
        args.append("--exact")
    if _maybe(rng, 0.08):
        args += ["-o", str(out / rng.choice(["r.txt", "r.json", "r.npy", "r.csv", "r.xyz", "no/r.txt", ""]))]
    if _maybe(rng, 0.04):
        args += ["--export", str(out / rng.choice(["v.svg", "v.html", "v.txt", "v.pdf"]))]
    return args


def _stdin(rng: random.Random) -> str:
    return rng.choice(["1 2\n3 4\n", "", "[[1]]", "\x00\x01", "1,,2", "# only a comment\n", "[" * 200])


@pytest.mark.parametrize("seed", SEEDS)
def test_random_runs_end_cleanly(seed, tmp_path):
    rng = random.Random(seed)
    runner = CliRunner()
    for n in range(RUNS_PER_SEED):
        command = rng.choice(COMMANDS)
        args = _arguments(rng, command, tmp_path)
        stdin = _stdin(rng)
        result = runner.invoke(app, args, input=stdin)
        where = (
            f"seed {seed}, run {n}: convcli {args!r}\n"
            f"stdout: {result.stdout[:300]!r}\nstderr: {result.stderr!r}"
        )
        assert "Traceback" not in result.stdout + result.stderr, where
        if result.exit_code == ExitCode.INTERNAL:
            pytest.fail(f"{where}\ninternal error at {_crash_site(runner, args, stdin)}")
        assert result.exit_code in (ExitCode.OK, ExitCode.WRONG_ANSWER, ExitCode.USAGE_OR_INPUT), where
        if result.exit_code == ExitCode.WRONG_ANSWER:
            assert command == "check", where
        if result.exit_code == ExitCode.USAGE_OR_INPUT:
            # one error line (a --verbose note may come before an error found while writing)
            assert sum(line.startswith("error: ") for line in result.stderr.splitlines()) == 1, where
        else:
            assert "error:" not in result.stderr, where
        # outputs were written whole or not at all, never half-written temporary files
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")], where
