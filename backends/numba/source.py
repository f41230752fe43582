"""What every part of the source generator shares: its one error, the writer of
indented lines, and the rank of a type (the axes a value has in generated code)."""
from __future__ import annotations


class Unsupported(Exception):
    def __init__(self, what: str, span=None):
        super().__init__(what)
        self.what = what
        self.span = span

    def where(self) -> str:
        s = self.span
        return f"{s.line}:{s.col}" if s is not None and getattr(s, "line", 0) else "?"


def rank(t) -> int:
    return t.rank if t is not None else 0


class Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.depth = 1

    def __call__(self, line: str):
        self.lines.append("    " * self.depth + line)

    def indent(self):
        self.depth += 1

    def dedent(self):
        self.depth -= 1


def indexed_type(t, brackets):
    for items in brackets:
        for spec in items:
            if spec.kind == "single":
                t = t.element()
    return t
