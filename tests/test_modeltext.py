"""The print(model) reader (modeltext.py): one layer as written, the text of print(model) with its
containers, repeats and branches, the command line's arguments, and errors located by line and
column."""

from __future__ import annotations

import pytest

from convcli.errors import ParseError, UsageError
from convcli.modeltext import Word, looks_like_a_call, parse_call, parse_model, read_arguments

from .conftest import SAMPLES


def message(exc_info):
    return exc_info.value.message


def test_one_call():
    call = parse_call(
        "Conv2d(3, 6, kernel_size=(5, 5), padding=same, bias=False, eps=1e-05, mode='x')", "layer 1"
    )
    assert call.name == "Conv2d"
    assert call.args == (3, 6)
    assert call.kwargs == (
        ("kernel_size", (5, 5)),
        ("padding", "same"),
        ("bias", False),
        ("eps", 1e-05),
        ("mode", "x"),
    )
    assert isinstance(call.kwargs[1][1], Word) and not isinstance(call.kwargs[4][1], Word)
    assert call.columns == (8, 11, 14, 34, 48, 60, 71)
    assert (call.line, call.column, call.source) == (None, 1, "layer 1")


@pytest.mark.parametrize(
    ("text", "args", "kwargs"),
    [
        ("nn.ReLU()", (), ()),
        ("torch.nn.Linear(4, 5,)", (4, 5), ()),
        ("  Flatten( start_dim = -2 , end_dim=-1 ) ", (), (("start_dim", -2), ("end_dim", -1))),
        ("AdaptiveAvgPool2d((None, 7))", ((None, 7),), ()),
        ("MaxPool2d([2, 3], stride=[1, 2])", ((2, 3),), (("stride", (1, 2)),)),
        ("Softmax(dim=None)", (), (("dim", None),)),
        ('GELU(approximate="tanh")', (), (("approximate", "tanh"),)),
        ("Dropout(.5)", (0.5,), ()),
        ("X((), ((1,),))", ((), ((1,),)), ()),
    ],
)
def test_values(text, args, kwargs):
    call = parse_call(text, "layer 1")
    assert (call.args, call.kwargs) == (args, kwargs)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "layer 1, column 1: expected a layer such as Conv2d(3, 6, 5), found the end of the text"),
        ("Conv2d", "layer 1, column 7: expected '(' after Conv2d, found the end of the text"),
        ("Conv2d(3, 6, 5))", 'layer 1, column 16: unexpected text after Conv2d(...): ")"'),
        ("Conv2d(3 6)", "layer 1, column 10: expected ',' or ')' after an argument of Conv2d, found \"6\""),
        (
            "Conv2d(3, , 6)",
            'layer 1, column 11: expected a value (a number, a tuple, a string, True/False/None), found ","',
        ),
        ("Conv2d(3, 'six)", "layer 1, column 11: a string that is never closed"),
        (
            "Conv2d(3, f(6))",
            "layer 1, column 12: expected a number, a tuple or a word as a value, found a call f(",
        ),
        (
            "Conv2d(3, (6, 7)",
            "layer 1, column 17: expected ',' or ')' after an argument of Conv2d, found the end of the text",
        ),
        ("Conv2d(3, (6 7))", "layer 1, column 14: expected ',' or ')' in a tuple, found \"7\""),
        (
            "Linear(__import__('os'))",
            "layer 1, column 18: expected a number, a tuple or a word as a value, found a call __import__(",
        ),
    ],
)
def test_call_errors(text, error):
    with pytest.raises(ParseError) as info:
        parse_call(text, "layer 1")
    assert message(info) == error


def test_looks_like_a_call():
    assert looks_like_a_call("Conv2d(3, 6, 5)") and looks_like_a_call(" nn.ReLU (")
    assert (
        not looks_like_a_call("model.txt")
        and not looks_like_a_call("-")
        and not looks_like_a_call("(a): X()")
    )


def test_read_arguments(tmp_path):
    entries = read_arguments(["Conv2d(3, 6, 5)", "ReLU()"])
    assert [(e.call.name, e.call.source, e.path, e.branch) for e in entries] == [
        ("Conv2d", "layer 1", "", None),
        ("ReLU", "layer 2", "", None),
    ]
    pasted = read_arguments([str(SAMPLES / "lenet.txt")])
    assert [e.call.line for e in pasted][:2] == [3, 4]
    assert pasted[0].call.source == str(SAMPLES / "lenet.txt")
    assert [e.call.name for e in read_arguments(["Net(\n  (a): ReLU()\n)"])] == ["ReLU"]
    with pytest.raises(UsageError, match="is neither a file nor a layer"):
        read_arguments(["lenet"])
    with pytest.raises(UsageError, match="is a folder"):
        read_arguments([str(tmp_path)])
    with pytest.raises(UsageError, match="stands among layers"):
        read_arguments(["ReLU()", str(SAMPLES / "lenet.txt")])


def test_containers_and_paths():
    text = (SAMPLES / "lenet.txt").read_text(encoding="utf-8")
    entries = parse_model(text, "lenet.txt")
    assert [e.path for e in entries] == [f"features.{i}" for i in range(6)] + [
        f"classifier.{i}" for i in range(6)
    ]
    assert {e.containers[:1] for e in entries} == {(1,)}
    assert entries[0].containers != entries[6].containers
    assert parse_model(text.replace("\n", "\r\n"), "x")[3].call == parse_model("\ufeff" + text, "x")[3].call


def test_deep_nesting_is_refused_before_recursing():
    text = "".join(f"(m{i}): Block(\n" for i in range(5000)) + "(x): ReLU()\n" + ")\n" * 5000
    with pytest.raises(ParseError) as info:
        parse_model(text, "deep.txt")
    assert message(info) == "deep.txt:101:9: containers nest more than 100 deep"


def test_branches():
    text = """Block(
  (conv): Conv2d(4, 8, kernel_size=(3, 3))
  (downsample): Sequential(
    (0): Conv2d(4, 8, kernel_size=(1, 1))
    (1): BatchNorm2d(8)
  )
  (Shortcut_conv): Conv2d(4, 8, kernel_size=(1, 1))
)"""
    entries = parse_model(text, "x")
    assert [e.branch.path if e.branch else None for e in entries] == [
        None,
        "downsample",
        "downsample",
        "Shortcut_conv",
    ]
    assert entries[1].branch == entries[2].branch != entries[3].branch
    assert entries[1].branch.block == entries[0].containers[-1]


def test_repeated_modules_are_expanded():
    text = """Net(
  (blocks): ModuleList(
    (0-2): 3 x Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
  )
  (stages): Sequential(
    (0-1): 2 x Sequential(
      (0): Conv2d(8, 8, kernel_size=(1, 1), stride=(1, 1))
      (1): ReLU()
    )
  )
  (empty): Sequential()
)"""
    entries = parse_model(text, "net.txt")
    assert [(e.path, e.call.name) for e in entries] == [
        ("blocks.0", "Conv2d"),
        ("blocks.1", "Conv2d"),
        ("blocks.2", "Conv2d"),
        ("stages.0.0", "Conv2d"),
        ("stages.0.1", "ReLU"),
        ("stages.1.0", "Conv2d"),
        ("stages.1.1", "ReLU"),
    ]


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        (
            "Net(\n  (a): Conv2d(3, 6, 5\n)",
            "m.txt:2:22",
            "expected ',' or ')' after an argument of Conv2d, found the end of the line",
        ),
        (
            "Net(\n  (a): Conv2d(3, 6, 5)\n",
            "m.txt:1:1",
            "Net( opened here is never closed by a ')' line (is the text cut short?)",
        ),
        ("(a): Conv2d(3, 6, 5)\n)", "m.txt:2:1", "a ')' line closes nothing: no container is open here"),
        (
            "Net(\n  (a): Conv2d(3, 6, kernel_size=5, 5)\n)",
            "m.txt:2:36",
            "Conv2d: a positional argument follows a keyword argument",
        ),
        ("Net(\n  (a): Conv2d(3, 6, 5) extra\n)", "m.txt:2:24", 'unexpected text after Conv2d(...): "extra"'),
        ("Net(\n  model summary\n)", "m.txt:2:9", "expected '(' after model, found \"summary\""),
        (
            "Net(\n  (a): Conv2d(3, 6, 99999999999999999999)\n)",
            "m.txt:2:21",
            "a whole number has more than 18 digits",
        ),
        ("Net(\n  (a): Conv2d(3, 6, ((((((((((5))))))))))\n)", "m.txt:2:29", "tuples nest more than 8 deep"),
        ("Net(\n  (a): Conv2d(3, 6, k=5, k=5)\n)", "m.txt:2:26", "Conv2d: the argument k is given twice"),
        ("Net(\n)", "m.txt", "found no layers; expected the text of print(model)"),
        (
            "Net(\n  (a): 99999 x Sequential(\n    (0-99): 100 x ReLU()\n  )\n)",
            "m.txt:2:8",
            "the model has more than 10,000 layers",
        ),
    ],
)
def test_malformed_paste_names_the_line_and_column(text, where, reason):
    with pytest.raises(ParseError) as info:
        parse_model(text, "m.txt")
    assert message(info).startswith(f"{where}: {reason}")
