"""The pipeline from source text to an analysed IR program.

front end (parse, check) -> lower -> analyses (dependence, guards).
"""
from __future__ import annotations

import sys
import threading

from ppl import program_cache
from ppl.frontend.errors import PPLError, Span
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
        return raw.decode("utf-8-sig")          # a byte-order mark (Windows editors) is dropped
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, e.start) + 1
        col = len(raw[line_start:e.start].decode("utf-8", errors="replace")) + 1   # characters, not bytes
        raise PPLError(f"the model file is not valid UTF-8 (byte 0x{raw[e.start]:02x})",
                       Span(line, col, line, col + 1, path)) from None


DEEP_STACK_BYTES = 512 * 1024 * 1024
DEEP_RECURSION_LIMIT = 100_000
MAX_NESTING = 20_000          # bracket depth compiled on the large stack; deeper is an error at once


def compile_program(source: str, path: str = "<string>") -> Program:
    """Parse, check, lower and analyse.  The stages recurse over the syntax tree; a program
    nested deeper than Python's default limit is compiled again on a thread with a large
    stack, and one deeper still is a located error, never a crash.  A program compiled before
    (the same path, source and compiler) is loaded from pplc's cache instead."""
    program = program_cache.load(source, path)
    if program is not None:
        return program
    program = _compile_deep(source, path)
    program_cache.store(source, path, program)
    return program


def _compile_deep(source: str, path: str) -> Program:
    try:
        return _compile(source, path)
    except RecursionError:
        pass
    span, depth = _deepest_point(source, path)
    if depth > MAX_NESTING:
        raise PPLError(f"brackets nested {depth} levels deep; pplc compiles programs nested at most "
                       f"{MAX_NESTING} levels", span) from None
    result: dict = {}

    def work():
        try:
            result["program"] = _compile(source, path)
        except BaseException as e:      # noqa: BLE001 - handed to the calling thread
            result["error"] = e

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    try:
        threading.stack_size(DEEP_STACK_BYTES)
        sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
        worker = threading.Thread(target=work, name="pplc-deep-compile", daemon=True)
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    err = result.get("error")
    if isinstance(err, (RecursionError, MemoryError)):
        raise PPLError("the program is nested too deeply to compile (an expression or block "
                       f"nested or chained more than about {DEEP_RECURSION_LIMIT // 10} levels)",
                       span) from None
    if err is not None:
        raise err
    return result["program"]


def _deepest_point(source: str, path: str) -> tuple[Span, int]:
    """Where the brackets nest deepest (the start of the text if they do not), and how deep."""
    from ppl.frontend.syntax_errors import _line_col, _scan_braces
    depth = best = 0
    at = 0
    for ch, pos in _scan_braces(source):
        if ch in "({[":
            depth += 1
            if depth > best:
                best, at = depth, pos
        elif ch in ")}]":
            depth = max(0, depth - 1)
    line, col = _line_col(source, at) if source else (1, 1)
    return Span(line, col, line, col + 1, path), best


def _compile(source: str, path: str) -> Program:
    # imported here: a start whose program is cached loads neither the parser (nor lark) nor
    # the checker
    from ppl.frontend.check import check
    from ppl.frontend.parser import parse
    from ppl.ir import changepoints, dependence, guards
    from ppl.ir.invariant_choices import hoist_invariant_choices
    from ppl.ir.lower import lower
    ast = parse(source, path)
    check(ast)
    program = lower(ast, source)
    dependence.analyse(program)
    changepoints.plan(program)
    hoist_invariant_choices(program)
    guards.find_guards(program)
    return program
