"""The pipeline from source text to an analysed IR program.

front end (parse, check) -> lower -> analyses (dependence, guards).
"""
from __future__ import annotations

from ppl.frontend.check import check
from ppl.frontend.errors import PPLError, Span
from ppl.frontend.parser import parse
from ppl.ir import changepoints, dependence, guards
from ppl.ir.lower import lower
from ppl.ir.nodes import Program

MAX_SOURCE_BYTES = 16 * 1024 * 1024


def read_source(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as e:
        raise PPLError(f"cannot read model file: {e.strerror}", Span(0, 0, path=path)) from None
    if len(raw) > MAX_SOURCE_BYTES:
        raise PPLError(f"model file is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB",
                       Span(0, 0, path=path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise PPLError(f"the model file is not valid UTF-8 (byte 0x{raw[e.start]:02x})",
                       Span(line, col, line, col + 1, path)) from None


def compile_program(source: str, path: str = "<string>") -> Program:
    ast = parse(source, path)
    check(ast)
    program = lower(ast, source)
    dependence.analyse(program)
    changepoints.plan(program)
    guards.find_guards(program)
    return program
