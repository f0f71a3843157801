"""--help as a reader sees it at 80, 60 and 40 columns: panels in a fixed order, choices named by
a metavar and listed in words (never broken mid-word), usage with the arguments' own names."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from convcli.cli import ExitCode, app

from .test_render import assert_golden

PANELS = ["Operation", "Layer", "Numbers", "Output", "Advanced"]


def _help(command: str, width: int):
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": str(width), "TERMINAL_WIDTH": None})
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    return result.stdout


@pytest.mark.parametrize("width", [80, 60, 40])
@pytest.mark.parametrize("command", ["compare", "steps"])
def test_help_golden(command: str, width: int) -> None:
    text = _help(command, width)
    assert_golden(f"help_{command}_{width}", text, width)
    assert "<str>" not in text and "{A}" not in text
    assert f"Usage: convcli {command} [OPTIONS] A " in " ".join(text.split())


@pytest.mark.parametrize("width", [80, 60, 40])
def test_panels_come_in_order_with_mode_before_exact(width: int) -> None:
    text = _help("compare", width)
    assert "Usage: convcli compare [OPTIONS] A B" in " ".join(text.split())
    # drawn as boxes from 70 columns; below, as headings over options listed one per line
    heading = "─ {} ─" if width >= 70 else "\n{}:\n"
    places = [text.index(heading.format(panel)) for panel in PANELS]
    assert places == sorted(places)
    assert text.index("--mode") < text.index("--exact")


@pytest.mark.parametrize("width", [80, 60])
def test_choices_are_a_metavar_and_words(width: int) -> None:
    text = _help("compare", width)
    for metavar in ("FORMAT", "MODE", "RULE", "LIBRARY", "FUNCTION", "METHOD"):
        assert f" {metavar} " in text or f" {metavar}\n" in text, metavar
    # no choice list is drawn as a type, where a column would break it mid-word
    assert "table|plain" not in text and "<valid|same|full>" not in text
    flat = " ".join(line.strip("│ ") for line in text.splitlines())
    assert "table, plain, csv, json, markdown, latex, npy or html" in " ".join(flat.split())


def test_forty_columns_lists_each_option_with_its_help_and_crops_nothing() -> None:
    text = _help("compare", 40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "…" not in text
    for option in ("--conventions", "--mode MODE", "--boundary RULE", "--format FORMAT", "--exact"):
        assert option in text, option
