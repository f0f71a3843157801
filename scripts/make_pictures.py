"""Regenerate the README's pictures from real runs of the CLI.

Each picture is the table view of one command, saved with --export as SVG, next to the plain
text it shows (.txt). tests/test_pictures.py fails when a picture no longer matches what the
command prints, so run this after changing how a command looks:

    python scripts/make_pictures.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from convcli.cli import app

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "docs" / "pictures"
WIDTH = 80

COMMANDS: dict[str, list[str]] = {
    "compare": ["compare", "samples/window.txt", "samples/B2.txt"],
    "steps": ["steps", "samples/A.txt", "samples/B2.txt", "--op", "convolve", "--mode", "same", "--at", "0,1"],
    "check": ["check", "samples/A.txt", "samples/B2.txt", "--answer", "4 3 3; 2 4 2; 2 2 3"],
}


def render(name: str, folder: Path) -> tuple[str, str]:
    """Run one command as a user would (from the project folder, table view, 80 columns) and
    return the SVG and the text it recorded."""
    svg, txt = folder / f"{name}.svg", folder / f"{name}.txt"
    runner = CliRunner(env={"COLUMNS": str(WIDTH), "NO_COLOR": None, "TERM": "xterm-256color"})
    import os

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        runner.invoke(app, [*COMMANDS[name], "--format", "table", "--export", str(svg)])
        runner.invoke(app, [*COMMANDS[name], "--format", "table", "--export", str(txt)])
    finally:
        os.chdir(here)
    return svg.read_text(encoding="utf-8"), txt.read_text(encoding="utf-8")


def main() -> int:
    PICTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in COMMANDS:
            svg, txt = render(name, Path(tmp))
            (PICTURES / f"{name}.svg").write_text(svg, encoding="utf-8")
            (PICTURES / f"{name}.txt").write_text(txt, encoding="utf-8")
            print(f"wrote docs/pictures/{name}.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
