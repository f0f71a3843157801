"""Machine formats: exact text of each, and what reads back."""

from __future__ import annotations

import io
import json
from fractions import Fraction

import numpy as np
import pytest

from convcli import arraytext, comparison, ops
from convcli.arraytext import matrix_plain
from convcli.errors import UsageError
from convcli.formats import format_comparison, format_result
from convcli.model import Format, Mode, OpOptions

from .conftest import B2, SEED_A, SEED_B, WINDOW


def seed_result():
    return ops.convolve(SEED_A, SEED_B)


def test_plain_is_aligned_rows():
    assert format_result(seed_result(), Format.PLAIN) == "4 3 4\n2 4 3\n2 3 4\n"
    assert matrix_plain(np.array([[1, -10], [100, 2]])) == "  1 -10\n100   2\n"


def test_plain_vector_scalar_and_blocks():
    assert matrix_plain(np.array([1, 2, 3])) == "1 2 3\n"
    assert matrix_plain(np.array(7)) == "7\n"
    assert matrix_plain(np.arange(8).reshape(2, 2, 2)) == "0 1\n2 3\n\n4 5\n6 7\n"


def test_plain_numbers_are_exact_text():
    a = np.empty(3, dtype=object)
    a[:] = [Fraction(10, 9), 2**70, Fraction(-1, 3)]
    assert matrix_plain(a, align=False) == "10/9 1180591620717411303424 -1/3\n"
    assert matrix_plain(np.array([0.1, float("nan"), -np.inf]), align=False) == "0.1 nan -inf\n"
    assert matrix_plain(np.array([1 + 2j, -0.5 - 1j]), align=False) == "1.0+2.0j -0.5-1.0j\n"


def test_csv():
    assert format_result(seed_result(), Format.CSV) == "4,3,4\n2,4,3\n2,3,4\n"


def test_json_result_document():
    doc = json.loads(format_result(seed_result(), Format.JSON))
    assert doc == {
        "op": "convolve",
        "mode": "valid",
        "boundary": "fill",
        "fillvalue": 0,
        "convention": "scipy",
        "kind": "integer",
        "a_shape": [5, 5],
        "b_shape": [3, 3],
        "shape": [3, 3],
        "result": [[4, 3, 4], [2, 4, 3], [2, 3, 4]],
    }


def test_json_fractions_big_ints_and_specials():
    a = np.empty((1, 2), dtype=object)
    a[:] = [[Fraction(1, 9), Fraction(1, 9)]]
    doc = json.loads(format_result(ops.correlate(a, np.array([[9, 1]])), Format.JSON))
    assert doc["result"] == [["10/9"]]
    assert doc["kind"] == "rational"
    doc = json.loads(format_result(ops.convolve(np.array([2**62]), np.array([4])), Format.JSON))
    assert doc["result"] == [2**64]
    doc = json.loads(format_result(ops.convolve(np.array([np.nan, 1.0]), np.array([1.0])), Format.JSON))
    assert doc["result"] == ["nan", 1.0]


def test_json_elementwise_sum_has_scalar_and_products():
    doc = json.loads(format_result(ops.elementwise_sum(WINDOW, SEED_B), Format.JSON))
    assert doc["result"] == 4
    assert doc["products"] == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert doc["shape"] == []
    assert "mode" not in doc


def test_markdown_and_latex():
    assert (
        format_result(ops.correlate(WINDOW, SEED_B), Format.MARKDOWN)
        == "|   | 0 |\n|---|---:|\n| **0** | 4 |\n"
    )
    a = np.empty((1, 2), dtype=object)
    a[:] = [[Fraction(-1, 9), 2]]
    assert format_result(ops.dot(a, np.array([[1], [1]])), Format.LATEX) == (
        "\\begin{bmatrix}\n  \\frac{17}{9}\n\\end{bmatrix}\n"
    )
    assert format_result(ops.convolve(SEED_A[:2, :2], np.array([[1]])), Format.LATEX) == (
        "\\begin{bmatrix}\n  1 & 1 \\\\\n  0 & 1\n\\end{bmatrix}\n"
    )


def test_npy_round_trip_and_refusals():
    data = format_result(seed_result(), Format.NPY).to_bytes()
    assert np.array_equal(np.load(io.BytesIO(data)), [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    with pytest.raises(UsageError, match="too large for int64"):
        format_result(ops.convolve(np.array([2**62]), np.array([4])), Format.NPY)


def test_compare_json_has_results_and_errors():
    doc = json.loads(format_comparison(comparison.compare(SEED_A, SEED_B), Format.JSON))
    assert doc["results"]["convolve"] == {"shape": [3, 3], "result": [[4, 3, 4], [2, 4, 3], [2, 3, 4]]}
    assert doc["results"]["dot"] == {
        "error": "dot: A is 5x5 and B is 3x3; the inner dimensions (5 and 3) must match"
    }
    assert doc["results"]["elementwise-sum"]["error"].startswith("elementwise-sum: A is 5x5 and B is 3x3")
    assert doc["op"] == "compare" and doc["mode"] == "valid"
    cmp = comparison.compare(SEED_A, SEED_B)
    assert doc["answer"] == cmp.answer and doc["answer"].startswith("convolve and correlate agree because")
    assert doc["facts"] == [fact.text for fact in cmp.facts] and len(doc["facts"]) == 4
    assert doc["try_next"] == {
        "why": "An asymmetric kernel (as a trained CNN layer's are) would make them differ:",
        "command": "convcli compare samples/window.txt samples/B2.txt",
    }
    # no suggestion where convolve and correlate already differ
    assert "try_next" not in json.loads(format_comparison(comparison.compare(WINDOW, B2), Format.JSON))


def test_compare_plain_sections():
    text = format_comparison(comparison.compare(WINDOW, SEED_B), Format.PLAIN)
    # the answer first, as comments, then the results, then the facts
    assert text.startswith(
        "# convolve and correlate agree because B is symmetric: turned 180°, it is the same kernel. "
        "elementwise-sum gives 4, the sum of the products of matching entries; dot is a matrix product (rows "
        "times columns), a 3x3 matrix here, not a sum over matching entries.\n"
        "# An asymmetric kernel (as a trained CNN layer's are) would make them differ: convcli compare "
        "samples/window.txt samples/B2.txt\n"
        "\n# convolve\n4\n\n# correlate\n4\n\n# elementwise-sum\n4\n\n# dot\n2 1 2\n1 1 1\n1 0 1\n\n# A CNN layer"
    )
    assert text.count("\n# ") == 10  # the suggestion, the four operations, then five facts


def test_compare_markdown_opens_with_the_answer():
    text = format_comparison(comparison.compare(WINDOW, B2), Format.MARKDOWN)
    assert text.startswith("convolve and correlate differ because B changes when turned 180°:")
    assert text.index("### convolve") > text.index("a sum over matching entries.\n")


def test_compare_refuses_csv():
    with pytest.raises(UsageError):
        format_comparison(comparison.compare(WINDOW, SEED_B, OpOptions(mode=Mode.VALID)), Format.CSV)


# ---------------------------------------------------------------------------------------------
# large documents: streamed, never held whole


def _random_array(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(0, 4))))
    kind = seed % 4
    if kind == 0:
        return rng.integers(-(10**6), 10**6, size=shape)
    if kind == 1:
        a = rng.standard_normal(shape) * 10.0 ** rng.integers(-5, 5, size=shape)
        return np.where(rng.random(shape) < 0.1, np.nan, a)
    values = rng.integers(-50, 50, size=shape)
    if kind == 2:  # exact fractions and an integer beyond int64
        a = np.empty(shape, dtype=object)
        a.flat[:] = [Fraction(int(v), 7) for v in values.flat]
        if a.size:
            a.flat[0] = 3**50
        return a
    return values + 1j * rng.integers(-9, 9, size=shape)


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("fmt", [Format.PLAIN, Format.CSV, Format.JSON, Format.MARKDOWN, Format.LATEX])
def test_a_streamed_document_is_the_document(seed, fmt, monkeypatch):
    from convcli.model import Kind, Op, Result

    a = _random_array(seed)
    result = Result(Op.CORRELATE, a, Kind.INTEGER, a.shape, (1,), OpOptions())
    whole = format_result(result, fmt)
    assert isinstance(whole, str)
    monkeypatch.setattr(arraytext, "_STREAM_CELLS", 0)
    monkeypatch.setattr(arraytext, "_ALIGN_CELLS", 0)  # alignment is for small results only
    monkeypatch.setattr(arraytext, "_PIECE_CELLS", 2)  # many pieces, and rows split across them
    streamed = format_result(result, fmt)
    assert isinstance(streamed, arraytext.TextStream)
    buffer = io.BytesIO()
    streamed.write_to(buffer)
    assert buffer.getvalue().decode() == streamed.text()
    if fmt is Format.PLAIN:
        assert streamed.text() == matrix_plain(a, align=False)
    else:
        assert streamed.text() == whole
    if fmt is Format.JSON:
        assert json.loads(streamed.text())["result"] == arraytext.json_array(a)


def test_a_large_result_is_a_stream_of_unaligned_rows():

    a = np.arange(600 * 600).reshape(600, 600) - 5
    out = format_result(ops.correlate(a, np.array([[1]])), Format.PLAIN)
    assert isinstance(out, arraytext.TextStream)
    lines = out.text().splitlines()
    assert len(lines) == 600
    assert lines[0] == " ".join(str(v) for v in range(-5, 595))
    assert lines[-1] == " ".join(str(v) for v in range(599 * 600 - 5, 600 * 600 - 5))
    doc = json.loads(format_result(ops.correlate(a, np.array([[1]])), Format.JSON).text())
    assert doc["result"] == a.tolist() and doc["shape"] == [600, 600]


def test_explaining_documents_past_the_limit_are_refused(monkeypatch):
    monkeypatch.setenv("CONVCLI_MAX_TEXT_CELLS", "17")
    cmp = comparison.compare(SEED_A, SEED_B)
    with pytest.raises(UsageError) as err:
        format_comparison(cmp, Format.PLAIN)
    assert err.value.message == (
        "compare as plain would format 18 numbers at once, more than the 17 convcli formats whole (about "
        "100 bytes each while formatting); set CONVCLI_MAX_TEXT_CELLS to raise the limit, or run convolve "
        "or correlate alone, whose result is written as it is formatted"
    )
    monkeypatch.setenv("CONVCLI_MAX_TEXT_CELLS", "18")
    assert "\n# convolve\n4 3 4\n" in format_comparison(cmp, Format.PLAIN)
    monkeypatch.setenv("CONVCLI_MAX_TEXT_CELLS", "lots")
    with pytest.raises(UsageError, match="CONVCLI_MAX_TEXT_CELLS takes a whole number of numbers"):
        format_comparison(cmp, Format.PLAIN)


def _peak_megabytes(args: list[str], stdout_path) -> int:
    """Run convcli, stdout to a file; the peak resident memory of that one process, in MiB."""
    import subprocess
    import sys

    from convcli.cli import ExitCode

    from . import forkrun

    with open(stdout_path, "wb") as out:
        proc = forkrun.popen([sys.executable, "-m", "convcli", *args], stdout=out, stderr=subprocess.PIPE)
        peak = forkrun.peak_kib(proc)
        assert proc.stderr is not None
        err = proc.stderr.read()
        proc.stderr.close()
    assert (proc.returncode, err) == (ExitCode.OK, b"")
    return peak // 1024


@pytest.mark.parametrize("fmt", ["plain", "json"])  # csv, markdown and latex stream the same way (above)
def test_text_output_of_a_large_result_needs_little_memory(fmt, tmp_path):
    # 4 million results: formatted whole, as text they took 200 to 350 MiB more than the result
    out = tmp_path / f"r.{fmt}"
    base = _peak_megabytes(["correlate", "[[0.5, 2], [3, 4]]", "[[1]]", "-f", fmt], out)
    peak = _peak_megabytes(["correlate", "[[0.5, 2], [3, 4]]", "[[1]]", "--padding", "1000", "-f", fmt], out)
    assert peak - base < 120, (base, peak)
    with open(out, encoding="utf-8") as text:
        if fmt == "json":
            doc = json.load(text)
            assert doc["shape"] == [2002, 2002] and doc["result"][1000][1000:1002] == [0.5, 2.0]
        else:
            lines = text.read().splitlines()
            body = lines[2:] if fmt == "markdown" else lines
            assert len(body) == 2002
            row = (
                body[1001].replace("|", " ").split()
                if fmt == "markdown"
                else body[1001].replace(",", " ").split()
            )
            assert row[-1002:-1000] == ["3.0", "4.0"]


def test_the_limit_and_the_stream_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from convcli.cli import ExitCode, app

    runner = CliRunner(env={"CONVCLI_MAX_TEXT_CELLS": "100"})
    result = runner.invoke(app, ["steps", "[[1, 2], [3, 4]]", "box:5", "--padding", "2", "-f", "json"])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == (
        "error: steps as json would format 300 numbers at once, more than the 100 convcli formats whole "
        "(about 100 bytes each while formatting); set CONVCLI_MAX_TEXT_CELLS to raise the limit, or "
        "derive fewer cells (--max-steps N, or --at I,J for one)\n"
    )
    result = runner.invoke(
        app, ["steps", "[[1, 2], [3, 4]]", "box:5", "--padding", "2", "--at", "0,0", "-f", "json"]
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["steps"][0]["sum"] == "2/5"  # (1 + 2 + 3 + 4) / 25
    result = runner.invoke(
        app, ["correlate", "[[1]]", "[[1]]", "--padding", "300", "--export", str(tmp_path / "v.txt")]
    )
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        "error: --export saves what the terminal shows, and a result this large is written as it is "
        "formatted, never held whole; save it with --output FILE instead\n"
    )
    assert list(tmp_path.iterdir()) == []
