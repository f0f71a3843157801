"""The errors convcli raises. The CLI turns each into one ``error:`` line and exit status 2."""

from __future__ import annotations

__all__ = ["ConvcliError", "ParseError", "ShapeError", "UsageError", "MissingExtraError", "OutputError"]


class ConvcliError(Exception):
    """A problem with what the user asked for or gave: bad input, bad usage, impossible shapes."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """The lines to show the user; the first is the ``error:`` line."""
        return [self.message]


class UsageError(ConvcliError):
    """Options that contradict each other or are out of range."""


class ShapeError(ConvcliError):
    """Operands whose shapes do not fit the operation; the message names both shapes and the rule.

    ``short`` is the reason in a few words, for a table cell ("inner dimensions 5 and 3 differ").
    """

    def __init__(self, message: str, short: str | None = None) -> None:
        super().__init__(message)
        self.short = short or message


class OutputError(ConvcliError):
    """The system refused the output: a full disk, a permission, a closed standard output.

    The user's environment, not a bug: exit status 2 like any other ConvcliError.
    """


class MissingExtraError(ConvcliError):
    """An optional dependency (sympy) is needed and not installed."""


class ParseError(ConvcliError):
    """A matrix that cannot be read, located by source, line and column (both 1-based).

    ``line_text`` is the offending line, shown with a caret under ``column``. A one-line inline
    literal has no line number: it is located by column alone (``B (inline), column 6: ...``).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        line: int | None = None,
        column: int | None = None,
        line_text: str | None = None,
    ) -> None:
        where = source
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        elif column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")
        self.reason = message
        self.source = source
        self.line = line
        self.column = column
        self.line_text = line_text

    def lines(self) -> list[str]:
        out = [self.message]
        if self.line_text is None or (self.line is None and self.column is None):
            return out
        # one character per character, so the caret stays under the column: a tab or a control
        # character would be drawn wider (or not at all) by the terminal
        text = self.line_text
        if len(text) > 120:
            # keep the caret's neighbourhood of a very long line (cut before the characters are
            # mapped: the line may be a hundred megabytes long)
            start = max(0, (self.column or 1) - 60)
            text = text[start : start + 117]
            caret_at = (self.column or 1) - start + (3 if start else 0)
        else:
            start = 0
            caret_at = self.column or 1
        shown = ("..." if start else "") + "".join(
            " " if c == "\t" else c if c.isprintable() else "\ufffd" for c in text
        )
        gutter = f"{self.line:>4} | " if self.line is not None else "     | "
        out.append(gutter + shown)
        if self.column is not None:
            out.append(" " * (len(gutter) - 2) + "| " + " " * (caret_at - 1) + "^")
        return out
