"""Every ``console`` example in the README is run, and its output must match what is shown."""

from __future__ import annotations

import os
import re
import shlex

import pytest
from typer.testing import CliRunner

from convcli.cli import ExitCode, app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


# a console block after this line shows what a terminal 80 columns wide shows (the table view);
# the others show piped output
TERMINAL = "<!-- on a terminal, 80 columns -->"


def examples() -> list[tuple[str, str]]:
    """(command line, expected output) for each ``$ convcli ...`` line of a console block; the
    command line of a terminal's block ends with ``-f table``."""
    found = []
    pattern = r"^(<!-- on a terminal, 80 columns -->\n)?( *)```console\n(.*?)^\2```"
    for terminal, indent, block in re.findall(pattern, README, flags=re.S | re.M):
        block = "\n".join(line[len(indent) :] for line in block.splitlines())
        for command, output in re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", block + "\n", flags=re.M):
            found.append((command + (" -f table" if terminal else ""), output.rstrip("\n") + "\n"))
    return found


def _status_shown(result) -> ExitCode:
    """The exit status that what a run printed stands for: an error line is exit 2 (and nothing
    on stdout), check's verdict "wrong" is exit 1, anything else exit 0."""
    if result.stderr.startswith("error: "):
        assert result.stdout == ""
        return ExitCode.USAGE_OR_INPUT
    return ExitCode.WRONG_ANSWER if result.stdout.startswith("wrong\n") else ExitCode.OK


def run_line(line: str) -> str:
    """Run a command line (possibly a pipeline of convcli commands) from the project folder; the
    table view's lines without the spaces that pad them to the width."""
    runner = CliRunner(env={"COLUMNS": "80"})
    stdin = None
    output = ""
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        for stage in line.split(" | "):
            words = shlex.split(stage)
            assert words[0] == "convcli", f"README example runs something else: {stage}"
            result = runner.invoke(app, words[1:], input=stdin)
            assert "Traceback" not in result.stderr
            assert result.exit_code == _status_shown(result), (stage, result.exit_code, result.stderr)
            assert all(text.startswith(("note: ", "error: ")) for text in result.stderr.splitlines()), stage
            stdin = result.stdout
            output = result.stdout + result.stderr
    finally:
        os.chdir(here)
    if line.endswith(" -f table"):
        output = "".join(text.rstrip() + "\n" for text in output.splitlines())
    return output


EXAMPLES = examples()
GATES = "ruff check src tests && ruff format --check src tests && mypy src && pytest --cov"


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 12
    # the first screen: the main command as a terminal shows it, answer first
    assert EXAMPLES[0][0] == "convcli compare samples/A.txt samples/B.txt -f table"
    assert EXAMPLES[0][1].splitlines()[3].startswith("convolve and correlate agree because B is symmetric")
    assert README.index(TERMINAL) < 2500
    assert README.splitlines()[2].endswith("convcli compare samples/A.txt samples/B.txt")
    assert README.splitlines()[3].endswith("pip install -e '.[test]' && " + GATES)


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command, expected):
    assert run_line(command) == expected


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert README.splitlines()[3].strip() in ci


def test_the_code_example_is_what_convcli_prints():
    block = re.search(
        r"`convcli correlate samples/X.txt samples/K.txt --padding 1 --stride 2 --code torch`:\n\n```python\n(.*?)\n```",
        README,
        re.S,
    )
    assert block is not None
    script = run_line("convcli correlate samples/X.txt samples/K.txt --padding 1 --stride 2 --code torch")
    assert script.startswith(block.group(1) + "\n\n\ndef show(c):")
    assert (
        run_line("convcli correlate samples/X.txt samples/K.txt --padding 1 --stride 2") == " 0  8\n21 43\n"
    )
