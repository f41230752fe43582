"""User-facing errors: ``path:line:col: error: message``, the source line, a caret.

Every mistake a user can make (syntax, types, shapes, data, unsupported
features, numerical trouble at a known statement) is raised as a
:class:`PPLError` carrying a :class:`Span`; the CLI prints it with
:func:`format_error` and exits 1.  Nothing here knows about later stages.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

_NEWLINE = re.compile(r"\r\n|\r|\n")
MAX_SHOWN_LINE = 160      # longer source lines are shown as a window around the caret


@dataclass(frozen=True)
class Span:
    """A region of a source file; lines and columns start at 1."""
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0
    path: str = "<string>"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


NO_SPAN = Span(0, 0)


class PPLError(Exception):
    """A user error, located in the model source (or a data file) when possible."""

    def __init__(self, message: str, span: Span | None = None, kind: str = "error",
                 notes: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.span = span
        self.kind = kind
        self.notes = tuple(notes)

    def __str__(self) -> str:
        return self.message


class PPLErrors(PPLError):
    """Several independent errors found in one pass (the checker keeps going)."""

    def __init__(self, errors: list[PPLError]):
        super().__init__(errors[0].message, errors[0].span, errors[0].kind)
        self.errors = errors


class UsageError(Exception):
    """A mistake in how a command or API was called (exit status 2)."""


@dataclass
class Source:
    """The text of one file, kept so errors can quote the offending line."""
    text: str
    path: str = "<string>"
    lines: list[str] = field(init=False)

    def __post_init__(self):
        self.lines = split_lines(self.text)

    def line(self, n: int) -> str:
        return self.lines[n - 1] if 1 <= n <= len(self.lines) else ""


def split_lines(text: str) -> list[str]:
    """Lines as the parser counts them: only \\n, \\r\\n and a lone \\r end a line (not form
    feeds or Unicode separators, which str.splitlines would also split on)."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def describe_char(ch: str) -> str:
    """A character for a message: 'x' when printable, else its code point and Unicode name."""
    if ch.isprintable() and not ch.isspace():
        return repr(ch)
    kinds = {"Cc": "a control character", "Cf": "a format character", "Cn": "an unassigned code point",
             "Co": "a private-use character", "Cs": "a surrogate"}
    name = unicodedata.name(ch, "") or {"\x00": "NUL", "\x7f": "DEL"}.get(ch) \
        or kinds.get(unicodedata.category(ch), "a character that cannot be shown")
    return f"U+{ord(ch):04X} ({name})"


def format_error(err: PPLError, sources: dict[str, Source] | None = None) -> str:
    """Render an error (or each error of a :class:`PPLErrors`) the way compilers do."""
    errs = err.errors if isinstance(err, PPLErrors) else [err]
    return "\n".join(_format_one(e, sources or {}) for e in errs)


def _format_one(err: PPLError, sources: dict[str, Source]) -> str:
    span = err.span
    if span is None or span.line <= 0:
        where = f"{span.path}: " if span is not None and span.path != "<string>" else ""
        head = f"{where}{err.kind}: {err.message}"
        return "\n".join([head, *(f"  note: {n}" for n in err.notes)])
    out = [f"{span.path}:{span.line}:{span.col}: {err.kind}: {err.message}"]
    src = sources.get(span.path)
    if src is not None:
        # tabs and control characters (form feed, NUL, escape) as one space each: the caret
        # stays under its column and a terminal shows the line as it is
        text = "".join(c if c.isprintable() else " " for c in src.line(span.line))
        if text or span.line <= len(src.lines):
            width = 1
            if span.end_line == span.line and span.end_col > span.col:
                width = span.end_col - span.col
            col = span.col
            if len(text) > MAX_SHOWN_LINE:
                # a window around the caret, marked with '...' where the line is cut
                start = max(0, col - 1 - MAX_SHOWN_LINE // 2)
                end = start + MAX_SHOWN_LINE
                shown = text[start:end]
                prefix = "..." if start > 0 else ""
                text = prefix + shown + ("..." if end < len(text) else "")
                col = col - start + len(prefix)
                width = min(width, MAX_SHOWN_LINE)
            out.append(f"  {text}")
            out.append("  " + " " * (col - 1) + "^" + "~" * (max(width, 1) - 1))
    out.extend(f"  note: {n}" for n in err.notes)
    return "\n".join(out)


def did_you_mean(name: str, candidates) -> str:
    """A ``; did you mean 'x'?`` suffix naming the closest known spelling, or ''."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
