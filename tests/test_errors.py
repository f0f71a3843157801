"""Every error message names what was wrong and what would be accepted, and the core raises only
convcli's errors.

CLI runs check exit code, stdout and stderr separately.
"""

from __future__ import annotations

import io

import pytest

from convcli import parsing
from convcli.errors import ConvcliError

from .clicheck import assert_error, run

# (arguments, what was wrong, what would be accepted): both must be in the error line
BAD_INVOCATIONS = [
    (["correlate", "1", "1", "--stride", "-1"], "got -1", "whole numbers >= 1"),
    (["correlate", "1", "1", "--stride", "0"], "got 0", "whole numbers >= 1"),
    (["correlate", "1", "1", "--stride", "a"], 'got "a"', "whole numbers separated by commas"),
    (["correlate", "1", "1", "--stride", ""], 'got ""', "whole numbers separated by commas"),
    (["correlate", "1 2; 3 4", "1", "--padding", "1,2,3"], "got 3", "1, 2 or 4 numbers"),
    (["correlate", "1", "1", "--padding", "-1"], "got -1", "whole numbers >= 0"),
    (["correlate", "1", "1", "--dilation", "0"], "got 0", "whole numbers >= 1"),
    (["correlate", "1", "1", "--mode", "weird"], "'weird'", "'valid', 'same', 'full'"),
    (["correlate", "1", "1", "--boundary", "weird"], 'got "weird"', "fill, wrap, symm, mirror, edge"),
    (["correlate", "1", "1", "--boundary", "reflect"], "two different things", "which is --boundary mirror"),
    (["correlate", "1", "1", "--fillvalue", "1,2"], 'got "1,2"', "one number"),
    (["correlate", "1", "1", "--fillvalue", "1e999"], '"1e999" is too large', "about 1.8e308"),
    (["correlate", "1", "1", "--bias", "1/0"], '"1/0" divides by zero', "expected p/q with q not 0"),
    (["correlate", "1", "1", "--bias", "1,2"], "got 2", "one value, or one per filter"),
    (["correlate", "1", "1", "--convention", "weird"], "'weird'", "'scipy', 'numpy'"),
    (["correlate", "1", "1", "--method", "weird"], "'weird'", "'direct', 'separable', 'fft'"),
    (["correlate", "1", "1", "--activation", "weird"], "'weird'", "'relu', 'sigmoid', 'tanh'"),
    (["correlate", "1", "1", "-f", "weird"], "'weird'", "'plain', 'csv', 'json'"),
    (["correlate", "1", "1", "-o", "out.xyz"], '"out.xyz"', "use one of .txt .csv .json"),
    (["correlate", "1", "1", "--export", "out.pdf"], '"out.pdf"', ".html, .svg or .txt"),
    (
        ["correlate", "1 2; 3 4", "1", "--padding", "1", "--mode", "same"],
        "--mode same",
        "then uses valid mode",
    ),
    (["correlate", "1 2; 3 4", "1 2 3; 4 5 6; 7 8 9", "--padding", "0"], "kernel is 3x3", "must fit inside"),
    (["correlate", "1 2 3", "1 2; 3 4; 5 6"], "B is 3x2", "one operand must be at least as large"),
    (["correlate", "1 2; 3", "1"], "row 2 has 1 number", "expected 2 like row 1"),
    (["correlate", "[[1,2],[3]]", "1"], "found a list of 1", "expected a list of 2"),
    (["correlate", "[[]]", "1"], "found an empty list", "expected at least one number"),
    (["correlate", "{}", "1"], "found an object with keys none", 'an object with a "result" key'),
    (["correlate", "[1,", "1"], 'close this "["', 'expected "]"'),
    (["correlate", '["1",', "1"], "invalid JSON", "expected value"),
    (["correlate", "-", "-"], "only one of A and B", "can be '-'"),
    (["correlate", "box:0", "1"], 'got "0"', "expected box or box:N"),
    (["correlate", "gaussian:5:-1", "1"], 'got "-1"', "gaussian:SIZE:SIGMA"),
    (["correlate", "[1,2]", "1", "--channels"], "A is 1-D of length 2", "A must be C x H x W"),
    (["correlate", "[[[[1]]]]", "1"], "A is 1x1x1x1", "1, 2 or 3 axes"),
    (["dot", "1 2", "1 2 3"], "(2 and 1)", "must match"),
    (["elementwise-sum", "1 2", "1 2 3"], "B is 1x3", "the shapes must be equal"),
    (["steps", "1 2; 3 4", "1", "--at", "9,9"], "index 9 on axis 0", "(0 to 1)"),
    (["steps", "1", "1", "--at", "a"], 'got "a"', "whole numbers separated by commas"),
    (["steps", "1", "1", "--at", "1,2,3"], "got 3", "takes 2 indices"),
    (["steps", "1", "1", "--max-steps", "0"], "got 0", "a whole number >= 1"),
    (
        ["steps", "1", "1", "-f", "npy"],
        "cannot be written as npy",
        "use table, plain, json, markdown, latex or html",
    ),
    (["check", "1", "1"], "Missing option '--answer'", "--help"),
    (["check", "1", "1", "--answer", "1", "--tolerance", "-1"], "got -1.0", "a finite number >= 0"),
    (["conv-transpose", "1", "1", "--stride", "0"], "got 0", "whole numbers >= 1"),
    (["conv-transpose", "1", "1", "--output-padding", "5"], "output padding 5", "must be smaller than"),
    (["conv-transpose", "1", "1", "--padding", "9"], "gives an output of -17", "lower --padding"),
    (["shape", "--input", "0x0", "--kernel", "3"], 'got "0x0"', "at least 1"),
    (["shape", "--input", "abc", "--kernel", "3"], 'got "abc"', "such as 32, 32x32 or 3x32x32"),
    (["shape", "--input", "32", "--kernel", "40"], "larger than the padded input", "must be at least 1"),
    (["kernels", "-f", "csv"], "cannot be written as csv", "use table, plain, json or markdown"),
    (
        ["compare", "1", "1", "-f", "csv"],
        "cannot be written as csv",
        "use table, plain, json, markdown, latex or html",
    ),
    (
        ["check", "1", "1", "--answer", "1", "-f", "csv"],
        "cannot be written as csv",
        "plain, json, markdown or html",
    ),
    (["im2col", "1", "1", "-f", "csv"], "cannot be written as csv", "use table, plain, json"),
    (
        ["correlate", "nonexistent.txt", "1"],
        'no such file "nonexistent.txt"',
        "expected a file, an inline matrix",
    ),
    (["correlate", "1e999999999 1", "1", "--exact"], "too large an exponent", "at most 1000"),
]


@pytest.mark.parametrize(
    ("args", "wrong", "accepted"), BAD_INVOCATIONS, ids=[" ".join(c[0])[:60] for c in BAD_INVOCATIONS]
)
def test_error_messages_say_what_was_wrong_and_what_would_be_accepted(args, wrong, accepted):
    first = assert_error(run(*args)).splitlines()[0]
    assert wrong in first, first
    assert accepted in first, first


def test_core_errors_are_convcli_errors():
    """The parser raises nothing but ConvcliError subclasses (see also tests/test_formats_roundtrip.py)."""
    for text in ["", "\x00", "1,,2", "[" * 70 + "]" * 70, "1e999", "0/0", "- -", "a b; c"]:
        try:
            parsing.parse_text(text, source="t")
            parsing.parse_inline(text, source="t")
        except ConvcliError:
            pass
    with pytest.raises(ConvcliError):
        parsing.parse_json("[" * 100_000, source="t")
    buffer = io.StringIO("")
    with pytest.raises(ConvcliError):
        parsing.read_matrix("-", stdin=buffer)
