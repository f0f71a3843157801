"""The command line, run in-process: exit code, stdout and stderr checked separately."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convcli import __version__
from convcli.cli import ExitCode

from .clicheck import run
from .conftest import SAMPLES

A = str(SAMPLES / "A.txt")
B = str(SAMPLES / "B.txt")
WINDOW = str(SAMPLES / "window.txt")
B2 = str(SAMPLES / "B2.txt")


def test_version():
    result = run("--version")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == f"convcli {__version__}\n"
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["convolve", "correlate", "elementwise-sum", "dot", "compare"])
def test_help_has_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == ExitCode.OK
    assert "Examples:" in result.stdout
    assert f"convcli {command}" in result.stdout
    assert result.stderr == ""


def test_check_help_shows_a_mistake_that_gets_named(monkeypatch):
    import shlex

    from .conftest import ROOT

    shown = run("check", "--help")
    assert (shown.exit_code, shown.stderr) == (ExitCode.OK, "")
    help_text = shown.stdout
    first = next(line.strip() for line in help_text.splitlines() if line.strip().startswith("convcli check"))
    assert first == 'convcli check samples/A.txt samples/B2.txt --answer "4 3 3; 2 4 2; 2 2 3"'
    monkeypatch.chdir(ROOT)
    result = run(*shlex.split(first)[1:])
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert (
        "diagnosis: your answer is convolve, not correlate: the kernel was turned 180° but correlate does "
        "not turn it\n" in result.stdout
    )
    assert result.stderr == ""


def test_bare_convcli_prints_the_help_and_succeeds():
    result = run()
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert "Usage: convcli [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "compare" in result.stdout and "error" not in result.stdout
    # a command without its matrices is a usage error, as before
    missing = run("compare")
    assert (missing.exit_code, missing.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert missing.stderr == "error: Missing argument 'A'.  (see 'convcli compare --help')\n"


def test_short_help_flag():
    result = run("-h")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert "compare" in result.stdout
    long = run("--help")
    assert (long.exit_code, long.stdout, long.stderr) == (ExitCode.OK, result.stdout, "")


def test_convolve_plain_when_piped():
    result = run("convolve", A, B)
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "4 3 4\n2 4 3\n2 3 4\n"
    assert result.stderr == ""


def test_correlate_d2l():
    result = run("correlate", str(SAMPLES / "X.txt"), str(SAMPLES / "K.txt"))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "19 25\n37 43\n", "")


def test_big_integers_are_exact():
    result = run("convolve", "4611686018427387904", "4")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "18446744073709551616\n", "")


def test_fractions_are_exact():
    result = run("correlate", "1/9 1/9; 1/9 1/9", "1 2; 3 4")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "10/9\n", "")


def test_pipeline_reads_plain_back():
    first = run("correlate", A, B)
    assert (first.exit_code, first.stdout, first.stderr) == (ExitCode.OK, "4 3 4\n2 4 3\n2 3 4\n", "")
    second = run("correlate", "-", "1", input=first.stdout)
    assert (second.exit_code, second.stdout, second.stderr) == (ExitCode.OK, first.stdout, "")


def test_json_output():
    result = run("convolve", A, B, "--format", "json")
    assert result.exit_code == ExitCode.OK
    doc = json.loads(result.stdout)
    assert doc["result"] == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    assert (doc["op"], doc["mode"], doc["shape"]) == ("convolve", "valid", [3, 3])
    assert result.stderr == ""


def test_mode_and_boundary_options():
    result = run("convolve", "1 2 3 4 5", "1 2", "--mode", "same")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "1 4 7 10 13\n", CNN_NOTE)
    result = run("correlate", "1 2 3 4 5", "1 2", "-m", "SAME")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "5 8 11 14 5\n", "")
    result = run("convolve", "1 2 3", "1 1 1", "--mode", "same", "--boundary", "wrap")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "6 6 6\n", "")
    result = run("convolve", "1 2", "1 1", "--mode", "full", "--fillvalue", "1/2")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "3/2 3 5/2\n", "")


def test_elementwise_sum_plain_is_the_scalar():
    result = run("elementwise-sum", WINDOW, B2)
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "3\n", "")


def test_dot():
    result = run("dot", WINDOW, B)
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "2 1 2\n1 1 1\n1 0 1\n", "")


def test_dot_shape_error():
    result = run("dot", A, B)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == "error: dot: A is 5x5 and B is 3x3; the inner dimensions (5 and 3) must match\n"


def test_compare_exits_zero_with_undefined_ops():
    result = run("compare", A, B, "-f", "json")
    assert result.exit_code == ExitCode.OK
    doc = json.loads(result.stdout)
    assert doc["results"]["convolve"]["result"] == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    assert doc["results"]["dot"]["error"].startswith("dot: A is 5x5 and B is 3x3")
    assert result.stderr == ""


def test_compare_window_b2():
    result = run("compare", WINDOW, B2, "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert doc["results"]["convolve"]["result"] == [[4]]
    assert doc["results"]["correlate"]["result"] == [[3]]
    assert doc["results"]["elementwise-sum"]["result"] == 3
    assert doc["results"]["dot"]["result"] == [[2, 1, 1], [1, 1, 1], [1, 0, 1]]


def test_compare_table_forced():
    result = run("compare", WINDOW, B, "--format", "table")
    assert result.exit_code == ExitCode.OK
    assert "convolve" in result.stdout and "elementwise-sum" in result.stdout
    assert "convolve and correlate agree because B is symmetric" in result.stdout
    assert result.stderr == ""


def test_bad_choice_is_one_error_line():
    result = run("convolve", A, B, "--mode", "middle")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr.startswith("error: Invalid value for '--mode' / '-m'")
    assert "'middle' is not one of 'valid', 'same', 'full'" in result.stderr
    assert result.stderr.count("\n") == 1


def test_bad_fillvalue():
    result = run("convolve", A, B, "--fillvalue", "1..2")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == 'error: --fillvalue: expected a number, found "1..2"\n'


def test_two_stdin_operands_refused():
    result = run("convolve", "-", "-", input="1\n")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == "error: only one of A and B can be '-' (standard input)\n"


def test_output_file_written_atomically(tmp_path):
    out = tmp_path / "result.json"
    result = run("convolve", A, B, "-o", str(out))
    assert result.exit_code == ExitCode.OK
    assert result.stdout == ""
    assert result.stderr == f"wrote {out} (json)\n"
    assert json.loads(out.read_text())["result"] == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_output_npy(tmp_path):
    out = tmp_path / "r.npy"
    result = run("correlate", A, B, "-o", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {out} (npy)\n")
    assert np.load(out).tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_output_never_overwrites_an_input(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("1 2\n3 4\n")
    result = run("convolve", str(a), "1", "-o", str(a))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith("error: ") and "is one of the inputs" in result.stderr
    assert a.read_text() == "1 2\n3 4\n"


def test_output_missing_folder(tmp_path):
    result = run("convolve", A, B, "-o", str(tmp_path / "no" / "r.txt"))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == f'error: --output: the folder "{tmp_path / "no"}" does not exist\n'


def test_output_unknown_extension(tmp_path):
    result = run("convolve", A, B, "-o", str(tmp_path / "r.xyz"))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith('error: --output: cannot tell the format from "r.xyz"')


def test_internal_error_is_one_line(monkeypatch):
    from convcli import ops

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(ops, "run", boom)
    result = run("convolve", A, B)
    assert result.exit_code == ExitCode.INTERNAL
    assert result.stdout == ""
    assert result.stderr == (
        "error: internal error (RuntimeError: kaboom); this is a bug in convcli. "
        "Run again with --debug for the traceback and report it.\n"
    )
    result = run("convolve", A, B, "--debug")
    assert (result.exit_code, result.stdout) == (ExitCode.INTERNAL, "")
    assert "Traceback" in result.stderr and "RuntimeError: kaboom" in result.stderr


def test_nan_note_goes_to_stderr():
    result = run("convolve", "1 nan 3", "1")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "1.0 nan 3.0\n"
    assert result.stderr == "note: nan reached 1 cell: [0, 1]\n"


def test_the_table_view_says_a_note_once():
    # under the result, and not again on stderr
    result = run("convolve", "1 nan 3", "1", "-f", "table")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.count("nan reached 1 cell: [0, 1]") == 1
    assert result.stderr == ""


CNN_NOTE = (
    "note: B changes when turned 180°: convolve turns it first, so this differs from correlate, what CNN layers "
    "(torch, TensorFlow) compute\n"
)


def test_convolve_with_an_asymmetric_kernel_says_what_cnn_layers_compute():
    result = run("convolve", A, B2)
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "4 3 3\n2 4 2\n2 2 3\n",
        CNN_NOTE,
    )
    # the table view says it once, under the result
    table = run("convolve", A, B2, "-f", "table")
    assert (table.exit_code, table.stderr) == (ExitCode.OK, "")
    assert " ".join(table.stdout.split()).endswith(" ".join(CNN_NOTE[len("note: ") :].split()))
    # nothing to say for a symmetric kernel, or for correlate; with --channels only the spatial axes turn
    quiet = run("convolve", A, B)
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (ExitCode.OK, "4 3 4\n2 4 3\n2 3 4\n", "")
    quiet = run("correlate", A, B2)
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (ExitCode.OK, "3 3 4\n1 3 3\n1 2 3\n", "")
    # [1, 2, 3, 4] + 2*[5, 6, 7, 8]
    quiet = run("convolve", "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", "[[[1]], [[2]]]", "--channels")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (ExitCode.OK, "11 14\n17 20\n", "")
    channels = run("convolve", "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", "[[[1, 0]], [[2, 0]]]", "--channels")
    # each channel's kernel turned: [1, 2]·[0, 1] + [5, 6]·[0, 2] = 14, then [3, 4]·[0, 1] + [7, 8]·[0, 2] = 20
    assert (channels.exit_code, channels.stdout, channels.stderr) == (ExitCode.OK, "14\n20\n", CNN_NOTE)


def test_compare_conventions_json():
    result = run("compare", "[1,2,3,4,5]", "[1,2]", "--conventions", "-f", "json")
    assert result.exit_code == ExitCode.OK
    doc = json.loads(result.stdout)["conventions"]
    assert doc["scipy"]["convolve"]["result"] == [1, 4, 7, 10, 13]
    assert doc["matlab"]["convolve"]["result"] == [4, 7, 10, 13, 10]
    assert doc["matlab"]["convolve"]["differs_from_first"] == [[0], [1], [2], [3], [4]]
    assert doc["numpy"]["correlate"]["result"] == [2, 5, 8, 11, 14]
    assert doc["torch"]["correlate"]["differs_from_first"] == []
    assert doc["numpy"]["correlate"]["padding"] == [[1, 0]]
    assert doc["tensorflow"]["rule"].startswith("tensorflow: convolve pads (0, 1); correlate pads (0, 1)")
    assert result.stderr == ""


def test_boundary_reflect_is_refused_with_both_meanings():
    result = run("correlate", A, B, "--mode", "same", "--boundary", "reflect")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert "which is --boundary mirror" in result.stderr and "which is --boundary symm" in result.stderr
    assert result.stderr.startswith("error: --boundary reflect means two different things")


def test_layer_options_on_the_command_line():
    result = run(
        "correlate",
        "0 1 2 3; 4 5 6 7; 8 9 10 11; 12 13 14 15",
        "1 1 1; 1 1 1; 1 1 1",
        "--stride",
        "2",
        "--padding",
        "1",
    )
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "10 24\n51 90\n", "")
    result = run("correlate", A, B, "--stride", "x")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        result.stderr == 'error: --stride takes whole numbers separated by commas (like 2 or 2,1), got "x"\n'
    )


def test_check_right_answer_exits_zero():
    result = run("check", str(SAMPLES / "X.txt"), str(SAMPLES / "K.txt"), "--answer", "19 25; 37 43")
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "right: your answer equals correlate\n",
        "",
    )


def test_check_names_the_flip():
    result = run("check", A, B2, "--answer", "4 3 3; 2 4 2; 2 2 3")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    lines = result.stdout.splitlines()
    assert lines[0] == "wrong"
    assert lines[1] == (
        "diagnosis: your answer is convolve, not correlate: the kernel was turned 180° but correlate does not turn it"
    )
    assert lines[3] == (
        "C[0, 0] should be: (1*1)+(1*0)+(1*0)+(0*0)+(1*1)+(1*0)+(0*1)+(0*0)+(1*1) = 1+0+0+0+1+0+0+0+1 = 3"
    )
    assert lines[-4:] == ["expected:", "3 3 4", "1 3 3", "1 2 3"]
    assert result.stderr == ""


def test_check_json_and_stdin_answer():
    result = run(
        "check", A, B, "--answer", "-", "--op", "convolve", "-f", "json", input="4 3 4\n2 4 3\n2 3 5\n"
    )
    assert result.exit_code == ExitCode.WRONG_ANSWER
    doc = json.loads(result.stdout)
    assert doc["match"] is False
    assert doc["wrong"] == [[2, 2]]
    assert doc["diagnosis"] is None
    assert doc["worst"] == "1 of 9 cells is wrong; the difference is 1 at [2, 2]"
    assert doc["derivations"][0]["sum"] == 4
    assert result.stderr == ""


def test_check_bad_answer_is_exit_two():
    result = run("check", A, B, "--answer", "1 2; 3")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")


def test_steps_plain_seed_cell():
    result = run("steps", A, B, "--at", "0,0")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.splitlines()[1] == (
        "C[0, 0]: (1*1)+(1*0)+(1*1)+(0*0)+(1*1)+(1*0)+(0*1)+(0*0)+(1*1) = 1+0+1+0+1+0+0+0+1 = 4"
    )
    assert result.stderr == ""


def test_steps_caps_with_a_note():
    result = run("steps", A, B, "--max-steps", "2")
    assert result.exit_code == ExitCode.OK
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == "note: showing 2 of 9 cells; --max-steps 9 shows them all, --at I,J one cell\n"


def test_steps_at_outside_the_result():
    result = run("steps", A, B, "--at", "3,0")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == "error: --at: index 3 on axis 0 is outside the result (0 to 2)\n"


def test_im2col_equals_correlate():
    result = run("im2col", A, B, "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert doc["result"] == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    assert doc["equals_direct"] is True
    assert doc["kernel_row"] == [[1, 0, 1, 0, 1, 0, 1, 0, 1]]
    assert len(doc["patches"]) == 9 and len(doc["patches"][0]) == 9
    assert doc["rows"] == [
        "B[0,0]",
        "B[0,1]",
        "B[0,2]",
        "B[1,0]",
        "B[1,1]",
        "B[1,2]",
        "B[2,0]",
        "B[2,1]",
        "B[2,2]",
    ]


def test_im2col_plain_names_rows_and_columns():
    result = run("im2col", WINDOW, B2, "--op", "convolve")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout == (
        "# patches: one row per entry of B (B[2,2] B[2,1] B[2,0] B[1,2] B[1,1] B[1,0] B[0,2] B[0,1] B[0,0])\n"
        "# and one column per output cell (0,0)\n"
        "1\n1\n1\n0\n1\n1\n0\n0\n1\n\n"
        "# kernel row (B turned 180°): B[2,2] B[2,1] B[2,0] B[1,2] B[1,1] B[1,0] B[0,2] B[0,1] B[0,0]\n"
        "1 0 1 0 1 0 0 0 1\n\n"
        "# kernel row @ patches, reshaped: equals convolve\n4\n"
    )


def test_export_saves_what_was_shown(tmp_path):
    out = tmp_path / "view.txt"
    result = run("convolve", A, B, "-f", "table", "--export", str(out))
    assert result.exit_code == ExitCode.OK
    assert out.read_text() == result.stdout
    assert result.stderr == f"exported {out}\n"
    svg = tmp_path / "view.svg"
    result = run("compare", A, B, "-f", "table", "--export", str(svg))
    assert (result.exit_code, result.stderr) == (ExitCode.OK, f"exported {svg}\n")
    assert "convolve and correlate agree because B is symmetric" in result.stdout
    assert svg.read_text().startswith("<svg")


def test_conv_transpose_d2l():
    result = run("conv-transpose", "0 1; 2 3", "0 1; 2 3")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "0  0 1\n0  4 6\n4 12 9\n", "")
    result = run("conv-transpose", "0 1; 2 3", "0 1; 2 3", "--stride", "2", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert doc["result"] == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]
    assert (doc["op"], doc["stride"]) == ("conv-transpose", [2])


def test_conv_transpose_steps_show_scatter_and_stuffed_convolution():
    result = run("conv-transpose", "0 1; 2 3", "0 1; 2 3", "--stride", "2", "--steps")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    lines = result.stdout.splitlines()
    assert "A[0, 1] = 1: adds 1*B at (0, 2)" in lines
    assert "A[1, 1] = 3: adds 3*B at (2, 2)" in lines
    assert lines[-5:] == ["# result", "0 0 0 1", "0 0 2 3", "0 2 0 3", "4 6 6 9"]


def test_conv_transpose_channels_steps_draw_each_output_channel():
    # the table view of several output channels drew them into one 2-D canvas: exit 70
    result = run(
        "conv-transpose",
        "[[[1,2],[3,4]]]",
        "[[[[1,0],[0,1]],[[2,0],[0,2]]]]",
        "--channels",
        "--steps",
        "-f",
        "table",
        "--max-steps",
        "1",
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    lines = result.stdout.splitlines()
    start = lines.index("A[0, 0, 0] = 1  adds 1·B at (0, 0)")
    assert lines[start + 1 : start + 11] == [
        "[0]",
        "    0    1   2 ",
        "0  [1]  [0]  0 ",
        "1  [0]  [1]  0 ",
        "2   0    0   0 ",
        "[1]",
        "    0    1   2 ",
        "0  [2]  [0]  0 ",
        "1  [0]  [2]  0 ",
        "2   0    0   0 ",
    ]
    assert "showing 1 of 4 input cells" in lines


def test_conv_transpose_output_padding_rule():
    result = run("conv-transpose", "0 1; 2 3", "0 1; 2 3", "--output-padding", "1")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith(
        "error: --output-padding must be smaller than either the stride or the dilation"
    )


def test_shape_cs231n_examples():
    result = run("shape", "--input", "7x7", "--kernel", "3", "--stride", "2", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["output"] == [3, 3]
    result = run("shape", "--input", "227x227", "--kernel", "11", "--stride", "4")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.splitlines() == [
        "convolution: input 227x227, kernel 11 -> output 55x55",
        "  axis 0: o = floor((227 + 2*0 - 11 - (11-1)*(1-1)) / 4) + 1 = 55  (full 60, same 57)",
        "  axis 1: o = floor((227 + 2*0 - 11 - (11-1)*(1-1)) / 4) + 1 = 55  (full 60, same 57)",
        "'same' padding (before, after) per axis:",
        "  scipy: convolve (5, 5) (5, 5); correlate (5, 5) (5, 5)",
        "  numpy: convolve (5, 5) (5, 5); correlate (5, 5) (5, 5)",
        "  matlab: convolve (5, 5) (5, 5); correlate (5, 5) (5, 5)",
        "  torch: convolve refused (stride > 1); correlate refused (stride > 1)",
        "  tensorflow: convolve (4, 4) (4, 4); correlate (4, 4) (4, 4)",
    ]


def test_shape_from_a_matrix_and_transposed():
    result = run("shape", "--input", A, "--kernel", B, "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["output"] == [3, 3]
    result = run(
        "shape",
        "--input",
        "4x4",
        "--kernel",
        "3",
        "--stride",
        "2",
        "--transposed",
        "--output-padding",
        "1",
        "-f",
        "json",
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["output"] == [10, 10]
    result = run("shape", "--input", "x", "--kernel", "3")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith("error: --input: expected whole numbers separated by x or commas")


def test_kernels_listed_and_usable():
    result = run("kernels", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    names = [k["name"] for k in json.loads(result.stdout)]
    assert names[:3] == ["identity", "box", "gaussian"] and "sobel-x" in names


def test_named_kernels_stand_for_matrices():
    result = run("correlate", A, "sobel-x")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "3 0 -3\n4 3 -2\n4 2 -3\n", "")
    result = run("correlate", A, "box:3")
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "2/3 7/9 2/3\n4/9 7/9 7/9\n4/9 2/3 2/3\n",
        "",
    )
    result = run("correlate", A, "box:0")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        'error: named kernel "box:0": the size must be a whole number from 1 to 1001, got "0"; '
        "expected box or box:N (e.g. box:3)\n"
    )


def test_shape_for_one_convention():
    result = run("shape", "--input", "6x6", "--kernel", "2", "--convention", "numpy")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.splitlines()[-2:] == [
        "'same' padding (before, after) per axis:",
        "  numpy: convolve (1, 0) (1, 0); correlate (1, 0) (1, 0)",
    ]


@pytest.mark.parametrize(
    ("name", "fmt", "holds", "instead"),
    [
        ("x.npy", "csv", "npy", "x.csv"),
        ("x.txt", "npy", "plain", "x.npy"),
        ("x.csv", "plain", "csv", "x.txt"),
    ],
)
def test_output_extension_and_format_must_agree(tmp_path, name, fmt, holds, instead):
    target = tmp_path / name
    result = run("correlate", A, B, "-o", str(target), "-f", fmt)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == (
        f'error: --format {fmt} and --output "{target}" disagree: a {target.suffix} file holds {holds}; '
        f"drop --format, or write to {tmp_path / instead}\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_any_text_format_may_go_to_a_txt_file_or_an_unknown_extension(tmp_path):
    result = run("correlate", A, B, "-o", str(tmp_path / "r.txt"), "-f", "json")
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "",
        f"wrote {tmp_path / 'r.txt'} (json)\n",
    )
    assert json.loads((tmp_path / "r.txt").read_text())["result"] == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    result = run("correlate", A, B, "-o", str(tmp_path / "r.dat"), "-f", "csv")
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "",
        f"wrote {tmp_path / 'r.dat'} (csv)\n",
    )
    assert (tmp_path / "r.dat").read_text() == "4,3,4\n2,4,3\n2,3,4\n"


def test_npy_refuses_exact_fractions_and_names_float64(tmp_path):
    target = tmp_path / "r.npy"
    result = run("correlate", "1/3 1; 2 3", "[[1]]", "-o", str(target))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        "error: npy: a rational result has no .npy form without losing exactness; write it as plain or json, "
        "or add --float64 to round it to float64\n"
    )
    big = str(2**70)
    result = run("correlate", f"[[{big}]]", "[[1]]", "-o", str(target))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        "error: npy: the result has integers too large for int64; write it as plain or json, which keep "
        "every digit, or add --float64 to round them to float64\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_float64_rounds_exact_results_for_npy(tmp_path):
    target = tmp_path / "r.npy"
    result = run("correlate", "1/3 1; 2 3", '[["1/7"]]', "--float64", "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {target} (npy)\n")
    back = np.load(target)
    assert back.dtype == np.float64
    assert back.tolist() == [[1 / 21, 1 / 7], [2 / 7, 3 / 7]]  # each the double nearest the exact value
    result = run("correlate", f"[[{2**70 + 1}]]", "[[1]]", "--float64", "-f", "npy", "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {target} (npy)\n")
    assert np.load(target).tolist() == [[float(2**70)]]


def test_float64_in_text_formats_and_other_commands():
    result = run("correlate", "1/3 1; 2 3", "[[1]]", "--float64")
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "0.3333333333333333 1.0\n               2.0 3.0\n",
        "",
    )
    result = run("elementwise-sum", '["1/3", "1/7"]', "[1, 1]", "--float64", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert (doc["kind"], doc["result"], doc["products"]) == ("float", 10 / 21, [1 / 3, 1 / 7])
    result = run("dot", '[["1/2"]]', "[[3]]", "--float64")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "1.5\n", "")
    result = run("conv-transpose", '[["1/2"]]', "[[1]]", "--float64", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert json.loads(result.stdout)["result"] == [[0.5]]
    result = run("correlate", "[[0.5]]", "[[2]]", "--float64")  # already float: unchanged
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "1.0\n", "")


def test_float64_refusals():
    result = run("correlate", f"[[{10**400}]]", "[[1]]", "--float64")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        "error: --float64: an entry of the result is beyond float64's range (about 1.8e308); write it as "
        "plain or json, which keep every digit\n"
    )
    result = run("correlate", "a b", "1", "--float64")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        result.stderr
        == "error: --float64: a symbolic result has no float64 value; write it as plain or json\n"
    )
    result = run("conv-transpose", "[[1]]", "[[1]]", "--float64", "--steps")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        result.stderr
        == "error: --float64 rounds a result, and --steps derives it exactly: give one of them\n"
    )
