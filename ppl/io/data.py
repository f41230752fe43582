"""CmdStan JSON data: reading, and conversion of each value to its declared type.

A data file is one JSON object mapping names to values: numbers, nested
lists (arrays; matrices as lists of rows), and the strings "NaN", "Inf",
"-Inf", "Infinity", "-Infinity" for non-finite reals.  Errors name the
variable and point at its declaration in the model.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import re

import numpy as np

from ppl.frontend.errors import PPLError, Span

_SPECIAL = {"nan": math.nan, "inf": math.inf, "+inf": math.inf, "-inf": -math.inf,
            "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}
MAX_DATA_BYTES = 2 * 1024 ** 3


def read_json(source) -> tuple[dict, str]:
    """Parse a data file path, a JSON string, or a dict; return (dict, label for messages)."""
    if isinstance(source, dict):
        return source, "<data>"
    if isinstance(source, (str, os.PathLike)) and not str(source).lstrip().startswith("{") \
            and os.path.exists(source):
        path = str(source)
        size = os.path.getsize(path)
        if size > MAX_DATA_BYTES:
            raise PPLError(f"data file is {size / 1e9:.1f} GB; the limit is "
                           f"{MAX_DATA_BYTES / 1e9:.0f} GB", Span(0, 0, path=path))
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw[:e.start].count(b"\n") + 1
            line_start = raw.rfind(b"\n", 0, e.start) + 1
            col = len(raw[line_start:e.start].decode("utf-8", errors="replace")) + 1
            raise PPLError(f"data file is not valid UTF-8 (byte 0x{raw[e.start]:02x})",
                           Span(line, col, line, col + 1, path)) from None
        except OSError as e:
            raise PPLError(f"cannot read data file: {e.strerror}", Span(0, 0, path=path)) from None
        return _parse(text, path), path
    if isinstance(source, (str, os.PathLike)) and not str(source).lstrip().startswith("{"):
        raise PPLError(f"data file '{source}' does not exist", Span(0, 0, path=str(source)))
    return _parse(str(source), "<data>"), "<data>"


class _Duplicate(Exception):
    pass


class _Huge:
    """A JSON number too large for a double (or an int with thousands of digits)."""

    def __init__(self, text: str):
        self.text = text


def _pairs(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise _Duplicate(k)
        seen.add(k)
    return dict(pairs)


def _float(text: str):
    v = float(text)
    return _Huge(text) if math.isinf(v) else v


def _int(text: str):
    return _Huge(text) if len(text.lstrip("-")) > 30 else int(text)


def _parse(text: str, path: str) -> dict:
    try:
        # json's own float conversion is C; a Python hook per number costs more than
        # the rest of the parse.  It differs from _float only where a literal overflows
        # to +-inf, so parse again with the hook (to keep the literal) only if one did
        # (or the file has Infinity tokens, rare in data files)
        obj = json.loads(text, object_pairs_hook=_pairs, parse_int=_int)
        if _has_infinity(obj):
            obj = json.loads(text, object_pairs_hook=_pairs, parse_float=_float, parse_int=_int)
    except json.JSONDecodeError as e:
        raise PPLError(f"malformed JSON: {e.msg}", Span(e.lineno, e.colno, e.lineno, e.colno + 1, path)) \
            from None
    except _Duplicate as e:
        key = str(e.args[0])
        hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
        pos = hits[1] if len(hits) > 1 else (hits[0] if hits else 0)
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise PPLError(f"'{key}' appears twice in the data; each variable may be given only once",
                       Span(line, col, line, col + len(json.dumps(key)), path)) from None
    except RecursionError:
        line, col = _deep_position(text)
        raise PPLError("malformed JSON: arrays nested too deeply (data arrays have a few dimensions)",
                       Span(line, col, line, col + 1, path)) from None
    if not isinstance(obj, dict):
        raise PPLError("data must be a JSON object mapping variable names to values",
                       Span(1, 1, 1, 2, path))
    return obj


def _has_infinity(obj) -> bool:
    """Whether a parsed JSON value holds +-inf anywhere (one pass of C-level
    scans per nesting level)."""
    level = [obj]
    while level:
        if math.inf in level or -math.inf in level:
            return True
        types = set(map(type, level))
        if list not in types and dict not in types:
            return False
        nested = [x.values() if type(x) is dict else x for x in level if type(x) in (list, dict)]
        level = list(itertools.chain.from_iterable(nested))
    return False


def _deep_position(text: str, limit: int = 100) -> tuple[int, int]:
    """Line and column of the first bracket nested ``limit`` deep (1:1 if none)."""
    depth = 0
    for m in re.finditer(r'[\[\]{}]|"(?:[^"\\]|\\.)*"', text):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth >= limit:
                pos = m.start()
                return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1
        elif ch in "]}":
            depth -= 1
    return 1, 1


class DataError(PPLError):
    pass


def convert(name: str, raw, base: str, shape: tuple, matrix_like: bool, span: Span, label: str) -> np.ndarray:
    """Convert a JSON value for ``name`` to an array of the declared shape.

    ``base`` is 'int' or 'real'; ``shape`` the full declared shape (array
    dims then vector/matrix dims).  Returns the array with a leading batch
    axis of 1.
    """
    where = f" (in {label})" if label != "<data>" else ""

    def fail(msg):
        raise DataError(f"data variable '{name}': {msg}{where}", span)

    if shape and int(np.prod(shape)) == 0:
        if raw == [] or _all_empty(raw):
            return np.zeros((1,) + shape, dtype=np.int64 if base == "int" else float)
    try:
        arr, non_int, non_int_at = _to_array(raw)
    except RecursionError:
        fail(f"arrays nested too deeply (expected shape {_shape(shape)})")
    except _BadValue as e:
        at = f" at {name}[{', '.join(str(i + 1) for i in e.index)}]" if getattr(e, "index", None) else ""
        fail(str(e) + at)
    if arr.shape != shape:
        if not shape:
            fail(f"expected a single {base}, found an array of shape {_shape(arr.shape)}")
        if arr.shape == ():
            fail(f"expected an array of shape {_shape(shape)}, found a single number")
        fail(f"expected shape {_shape(shape)}, found {_shape(arr.shape)}")
    if base == "int":
        if non_int is not None:
            at = ""
            if arr.ndim:
                at = f" at {name}[{', '.join(str(int(i) + 1) for i in np.unravel_index(non_int_at, arr.shape))}]"
            fail(f"expected integers, found {non_int!r}{at}")
        if arr.size and np.max(np.abs(arr)) > 2 ** 31 - 1:
            fail("integer value out of range for a 32-bit int (as in Stan)")
        return arr.astype(np.int64).reshape((1,) + shape)
    return arr.astype(float).reshape((1,) + shape)


class _BadValue(Exception):
    pass


def _all_empty(raw) -> bool:
    return isinstance(raw, list) and all(isinstance(x, list) and _all_empty(x) or x == [] for x in raw)


def _scalar(x):
    if isinstance(x, bool):
        raise _BadValue(f"expected a number, found {json.dumps(x)}")
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return x
    if isinstance(x, str):
        v = _SPECIAL.get(x.strip().lower())
        if v is None:
            raise _BadValue(f"expected a number, found the string {json.dumps(x)}")
        return v
    if x is None:
        raise _BadValue("expected a number, found null")
    if isinstance(x, _Huge):
        shown = x.text if len(x.text) <= 30 else x.text[:12] + "..." + f" ({len(x.text)} digits)"
        raise _BadValue(f"the number {shown} is too large (beyond the range of a 64-bit real)")
    if isinstance(x, dict):
        raise _BadValue("expected a number or an array, found a JSON object")
    raise _BadValue(f"expected a number, found {type(x).__name__}")


def _to_array(raw):
    """Nested lists -> (array, first value written as a real or None, its flat index)."""
    return _well_formed_array(raw) or _checked_array(raw)


def _well_formed_array(raw):
    """``_to_array`` of rectangular nested lists of ints and floats, in C-level
    passes (one per nesting level); None for anything else, which
    ``_checked_array`` walks element by element to name what is wrong."""
    level, shape = [raw], ()
    while True:
        types = set(map(type, level))
        if types != {list}:
            break
        lengths = set(map(len, level))
        if len(lengths) != 1:
            return None
        shape += (lengths.pop(),)
        level = list(itertools.chain.from_iterable(level))
    if not types <= {int, float}:
        return None
    if float in types:
        at = list(map(type, level)).index(float)
        return np.array(level, dtype=float).reshape(shape), level[at], at
    try:
        arr = np.array(level, dtype=np.int64)
    except OverflowError:
        return None
    if not np.all((arr < 2 ** 62) & (arr > -2 ** 62)):
        return None
    return arr.reshape(shape), None, None


def _checked_array(raw):
    def shape_of(x):
        if isinstance(x, list):
            if not x:
                return (0,)
            inner = {shape_of(y) for y in x}
            if len(inner) != 1:
                raise _BadValue("ragged array: the rows have different lengths")
            return (len(x),) + inner.pop()
        return ()

    shape = shape_of(raw)
    flat = []

    def collect(x, index):
        if isinstance(x, list):
            for i, y in enumerate(x):
                collect(y, index + (i,))
        else:
            try:
                flat.append(_scalar(x))
            except _BadValue as e:
                e.index = index
                raise

    collect(raw, ())
    non_int_at = next((i for i, v in enumerate(flat) if not isinstance(v, int)), None)
    if non_int_at is None and all(abs(v) < 2 ** 62 for v in flat):
        return np.array(flat, dtype=np.int64).reshape(shape), None, None
    non_int = None if non_int_at is None else flat[non_int_at]
    return np.array([float(v) for v in flat], dtype=float).reshape(shape), non_int, non_int_at


def _shape(shape) -> str:
    return "scalar" if not shape else "[" + ", ".join(str(n) for n in shape) + "]"
