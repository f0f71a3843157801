"""``convcli layers`` run in-process: exit code, stdout and stderr checked separately, every format,
golden table renders at 80, 60 and 40 columns, and the errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcli import layers, render_layers
from convcli.cli import ExitCode, app
from convcli.modeltext import parse_model

from .clicheck import run
from .conftest import ROOT, SAMPLES
from .test_layers import LENET
from .test_render import GOLDEN_DIR, draw

RESNET = str(ROOT / "tests" / "fixtures" / "resnet_small.txt")
LENET_PASTE = str(SAMPLES / "lenet.txt")


def test_lenet_plain():
    result = run("layers", "--input", "3x32x32", *LENET)
    assert result.exit_code == ExitCode.OK
    assert result.stdout == (
        "#  layer             output    params    MACs  field  jump  start\n"
        "1  Conv2d(3, 6, 5)   6x28x28      456  352800      5     1      2\n"
        "2  MaxPool2d(2)      6x14x14        0       0      6     2    2.5\n"
        "3  Conv2d(6, 16, 5)  16x10x10    2416  240000     14     2    6.5\n"
        "4  MaxPool2d(2)      16x5x5         0       0     16     4    7.5\n"
        "5  Flatten()         400            0       0    all     -      -\n"
        "6  Linear(400, 120)  120        48120   48000    all     -      -\n"
        "7  ReLU()            120            0       0    all     -      -\n"
        "8  Linear(120, 84)   84         10164   10080    all     -      -\n"
        "9  Linear(84, 10)    10           850     840    all     -      -\n"
        "\n"
        "params  62006\n"
        "MACs    651720\n"
        "FLOPs   1303440\n"
    )
    assert result.stderr == ""


def test_lenet_json_is_spec_section_8():
    result = run("layers", "--input", "3x32x32", *LENET, "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert list(doc) == ["input", "layers", "params", "macs", "flops"]
    assert (doc["input"], doc["params"], doc["macs"], doc["flops"]) == ([3, 32, 32], 62006, 651720, 1303440)
    assert doc["layers"][1] == {
        "index": 2,
        "layer": "MaxPool2d(2)",
        "output": [6, 14, 14],
        "params": 0,
        "macs": 0,
        "receptive_field": [6, 6],
        "jump": [2, 2],
        "start": [2.5, 2.5],
    }
    assert doc["layers"][4] == {
        "index": 5,
        "layer": "Flatten()",
        "output": [400],
        "params": 0,
        "macs": 0,
        "receptive_field": [32, 32],
        "jump": [None, None],
        "start": [None, None],
    }


def test_fractional_start_and_jump_in_json():
    result = run("layers", "--input", "1x6x6", "ConvTranspose2d(1, 1, 3, stride=3)", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    row = json.loads(result.stdout)["layers"][0]
    assert (row["receptive_field"], row["jump"], row["start"]) == (
        ["5/3", "5/3"],
        ["1/3", "1/3"],
        ["-1/3", "-1/3"],
    )


def test_markdown_and_latex_for_write_ups():
    result = run("layers", "--input", "3x32x32", *LENET, "-f", "markdown")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "input 3x32x32 → output 10",
        "",
        "| # | layer | output | params | MACs | field | jump | start |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
        "| 1 | `Conv2d(3, 6, 5)` | 6x28x28 | 456 | 352,800 | 5 | 1 | 2 |",
    ]
    assert "Total: 62,006 parameters, 651,720 MACs, 1,303,440 FLOPs." in lines
    assert lines[-3].startswith("- params = weights + biases")
    result = run("layers", "--input", "3x32x32", *LENET, "-f", "latex")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    lines = result.stdout.splitlines()
    assert lines[0] == r"\begin{tabular}{rlrrrrrr}"
    assert lines[1] == r"\# & layer & output & params & MACs & field & jump & start \\"
    assert lines[8] == r"6 & \texttt{Linear(400, 120)} & 120 & 48{,}120 & 48{,}000 & all & - & - \\"
    assert (
        lines[-2] == r"\multicolumn{8}{l}{total: 62{,}006 parameters, 651{,}720 MACs, 1{,}303{,}440 FLOPs} \\"
    )


def test_csv():
    result = run("layers", "--input", "3x32x32", *LENET[:2], "-f", "csv")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout == (
        "index,layer,output,params,macs,receptive_field,jump,start\n"
        '1,"Conv2d(3, 6, 5)",6x28x28,456,352800,5,1,2\n'
        "2,MaxPool2d(2),6x14x14,0,0,6,2,2.5\n"
    )


def test_npy_is_refused():
    result = run("layers", "--input", "3x32x32", *LENET, "-f", "npy")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert (
        result.stderr
        == "error: layers cannot be written as npy; use table, plain, csv, json, markdown or latex\n"
    )


def test_a_paste_from_a_file_and_from_a_pipe():
    from_file = run("layers", "--input", "1x32x32", LENET_PASTE, "-f", "json")
    text = (SAMPLES / "lenet.txt").read_text(encoding="utf-8")
    from_pipe = run("layers", "--input", "1x32x32", "-", "-f", "json", input=text)
    assert from_file.exit_code == from_pipe.exit_code == ExitCode.OK
    assert from_file.stderr == from_pipe.stderr == ""
    assert from_file.stdout == from_pipe.stdout
    assert json.loads(from_file.stdout)["params"] == 61_706
    assert (
        json.loads(from_file.stdout)["layers"][0]["layer"]
        == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    )
    as_text = run("layers", "--input", "1x32x32", text, "-f", "json")  # "$(python -c 'print(model)')"
    assert (as_text.exit_code, as_text.stdout, as_text.stderr) == (ExitCode.OK, from_file.stdout, "")


def test_notes_go_to_stderr_when_piped():
    result = run("layers", "--input", "3x224x224", RESNET)
    assert result.exit_code == ExitCode.OK
    assert result.stdout.splitlines()[-3:] == ["params  610378", "MACs    760268032", "FLOPs   1520536064"]
    assert result.stderr.splitlines() == [
        "note: layers 15-16 (layer2.0.downsample) are a branch: they read the block's input (64x56x56) and "
        "their output 128x28x28 is added to the main path's 128x28x28; a chain cannot model the addition, so "
        "the rows after them continue from the main path",
        "note: layer 23: Linear(128, 10) reads its 128x1x1 input flattened (128 values), as forward() does "
        "with torch.flatten; print(model) does not show that step",
    ]


def test_at_explains_one_layer():
    result = run("layers", "--input", "3x32x32", *LENET, "--at", "3")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == (
        "layer 3: Conv2d(6, 16, 5) · input 6x14x14 -> output 16x10x10\n"
        "  channels  C_out = out_channels = 16\n"
        "  size      o = floor((14 + 2*0 - 5 - (5-1)*(1-1)) / 1) + 1 = 10 (height and width)\n"
        "  params    (C_in/groups · kh · kw + 1) · C_out = (6/1 · 5 · 5 + 1) · 16 = 2,416\n"
        "  MACs      output elements · C_in/groups · kh · kw = 16·10·10 · 6/1·5·5 = 1,600 · 150 = 240,000\n"
        "  field     r = r + d(k−1)·j = 6 + 1·(5−1)·2 = 14 (height and width)\n"
        "  jump      j = j·s = 2·1 = 2 (height and width)\n"
        "  start     start = start + (d(k−1)/2 − p)·j = 2.5 + (1·(5−1)/2 − 0)·2 = 6.5 (height and width)\n"
    )
    assert result.stderr == ""
    shown = run("layers", "--input", "3x32x32", *LENET, "--at", "6", "-f", "json")
    assert (shown.exit_code, shown.stderr) == (ExitCode.OK, "")
    doc = json.loads(shown.stdout)
    assert doc["index"] == 6 and doc["params"] == 48120
    assert doc["formulas"][1] == {"quantity": "params", "text": "(in + 1) · out = (400 + 1) · 120 = 48,120"}
    shown = run("layers", "--input", "3x32x32", *LENET, "--at", "1", "-f", "markdown")
    assert (shown.exit_code, shown.stderr) == (ExitCode.OK, "")
    markdown = shown.stdout
    assert markdown.splitlines()[:3] == [
        "**layer 1: Conv2d(3, 6, 5) · input 3x32x32 -> output 6x28x28**",
        "",
        "- channels: `C_out = out_channels = 6`",
    ]
    refused = run("layers", "--input", "3x32x32", *LENET, "--at", "1", "-f", "latex")
    assert (refused.exit_code, refused.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        refused.stderr
        == "error: layers --at cannot be written as latex; use table, plain, json or markdown\n"
    )


def test_output_file(tmp_path):
    out = tmp_path / "lenet.json"
    result = run("layers", "--input", "3x32x32", *LENET, "-o", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {out} (json)\n")
    assert json.loads(out.read_text())["params"] == 62006
    refused = run("layers", "--input", "1x32x32", LENET_PASTE, "-o", LENET_PASTE)
    assert (refused.exit_code, refused.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert refused.stderr.startswith("error: ") and "is one of the inputs" in refused.stderr


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["--input", "3x28x28", *LENET],
            "error: layer 6: Linear(400, 120) expects 400 inputs; the previous layer gives 16x4x4 = 256\n",
        ),
        (
            ["--input", "3x32x32", "Conv2d(3, 6, 5)", "Conv2d(8, 16, 5)"],
            "error: layer 2: Conv2d(8, 16, 5) expects 8 input channels; the previous layer gives 6x28x28 "
            "(6 channels)\n",
        ),
        (
            ["--input", "3x32x32", "Conv2d(3, 6, 5"],
            "error: layer 1, column 15: expected ',' or ')' after an argument of Conv2d, found the end of the text\n"
            "     | Conv2d(3, 6, 5\n"
            "     |               ^\n",
        ),
        (
            ["--input", "28x28", "Linear(784, 10)"],
            "error: --input takes C x H x W (such as 3x32x32, or 1x28x28 for one channel), or N for a flat "
            "vector of N features; got 28x28\n",
        ),
        (
            ["--input", "3x32", "Linear(784, 10)"],
            "error: --input takes C x H x W (such as 3x32x32, or 1x32x32 for one channel), or N for a flat "
            "vector of N features; got 3x32\n",
        ),
        (
            ["--input", "big", "Linear(784, 10)"],
            "error: --input: expected whole numbers separated by x or commas, such as 32, 32x32 or 3x32x32; "
            'got "big"\n',
        ),
        (
            ["--input", "3x32x32", "nosuch.txt"],
            'error: "nosuch.txt" is neither a file nor a layer; give layers such as "Conv2d(3, 6, 5)", a file '
            "holding the text of print(model), or - to read it from a pipe\n",
        ),
        (
            ["--input", "3x32x32", "Conv2d(3, 6, 5)", "-"],
            'error: "-" stands among layers; a FILE or - holding print(model) is given on its own\n',
        ),
        (
            ["--input", "3x32x32", *LENET, "--at", "0"],
            "error: --at takes a layer number from 1 to 9, got 0\n",
        ),
    ],
)
def test_errors(args, stderr):
    result = run("layers", *args)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == stderr


def test_file_errors(tmp_path):
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"Net(\n  (a): Conv2d(3, 6, 5)\x00\n)\n")
    result = run("layers", "--input", "3x32x32", str(binary))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        result.stderr == f"error: {binary}:2:23: expected text, found a NUL byte (is this a binary file?)\n"
    )
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"Net(\n  (caf\xe9): ReLU()\n)\n")
    result = run("layers", "--input", "3x32x32", str(latin))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == f"error: {latin}:2:7: expected UTF-8 text, found the byte 0xe9\n"
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(17 * 2**20)  # sparse: no disk used
    result = run("layers", "--input", "3x32x32", str(huge))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        f"error: {huge} is larger than 16 MiB; the text of print(model) is at most a few hundred kB\n"
    )
    result = run("layers", "--input", "3x32x32", str(tmp_path))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        result.stderr
        == f'error: "{tmp_path}" is a folder; expected a file holding the text of print(model)\n'
    )
    if os.geteuid() != 0:
        locked = tmp_path / "locked.txt"
        locked.write_text("ReLU()")
        locked.chmod(0)
        result = run("layers", "--input", "3x32x32", str(locked))
        assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
        assert result.stderr == f'error: cannot read "{locked}": permission denied\n'


def test_help_has_examples():
    result = run("layers", "--help")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert "Examples:" in result.stdout and "convcli layers --input 3x32x32" in result.stdout


# --- the table view ---------------------------------------------------------------------------------

GOLDEN = {
    "layers_lenet_80": (lambda: layers.follow_calls((3, 32, 32), LENET), 80),
    "layers_lenet_40": (lambda: layers.follow_calls((3, 32, 32), LENET), 40),
    "layers_resnet_60": (
        lambda: layers.follow((3, 224, 224), parse_model(Path(RESNET).read_text(encoding="utf-8"), RESNET)),
        60,
    ),
}


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden(name):
    make, width = GOLDEN[name]
    text = draw(render_layers.layers_view(make(), width=width), width)
    path = GOLDEN_DIR / f"{name}.txt"
    if os.environ.get("CONVCLI_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= width


@pytest.mark.parametrize("width", [30, 40, 50, 60, 70, 80, 100, 140])
def test_numbers_are_never_wrapped(width):
    net = layers.follow((3, 224, 224), parse_model(Path(RESNET).read_text(encoding="utf-8"), RESNET))
    text = draw(render_layers.layers_view(net, width=width), width)
    table = text.split("total ")[0]
    for cells in net.cells(grouped=True):
        for number in cells[3:5]:
            assert number in table or number not in text  # a number shown is shown whole
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in table


def test_at_view():
    net = layers.follow_calls((3, 32, 32), LENET)
    text = draw(render_layers.layer_at_view(layers.explain(net, 1), width=120), 120)
    assert [line.rstrip() for line in text.splitlines()[:3]] == [
        "layer 1: Conv2d(3, 6, 5) · input 3x32x32 -> output 6x28x28",
        "channels  C_out = out_channels = 6",
        "size      o = floor((32 + 2*0 - 5 - (5-1)*(1-1)) / 1) + 1 = 28 (height and width)",
    ]


def test_junk_through_the_command_line_ends_cleanly():
    """Mangled pastes, junk layers and junk options: exit 0 or 2, an error line for 2, never a bug."""
    import random

    rng = random.Random(14)
    paste = (SAMPLES / "lenet.txt").read_text(encoding="utf-8")
    junk = ["(", ")", "=", ",", "x", "0", "-1", "None", "'", "\n", "\x00", "é", "Conv2d(", "99999999999"]
    runner = CliRunner()
    for _ in range(120):
        text = paste
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(junk) + text[at + rng.randint(0, 3) :]
        shape = rng.choice(["1x32x32", "3x32x32", "400", "1x1x1", "0", "1x2", "x"])
        extra = rng.choice(
            [
                [],
                ["--at", str(rng.randint(-1, 14))],
                ["-f", rng.choice(["json", "markdown", "latex", "csv", "npy"])],
            ]
        )
        if rng.random() < 0.5:
            args, stdin = ["layers", "--input", shape, "-", *extra], text
        else:
            args, stdin = (
                ["layers", "--input", shape, *rng.sample(junk + ["ReLU()", "Linear(400, 10)"], 2), *extra],
                None,
            )
        result = runner.invoke(app, args, input=stdin)
        assert result.exit_code in (ExitCode.OK, ExitCode.USAGE_OR_INPUT), (args, stdin, result.stderr)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        if result.exit_code == ExitCode.USAGE_OR_INPUT:
            assert result.stderr.startswith("error: ") and result.stdout == ""
