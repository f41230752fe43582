"""Signature resolution shared by the function and operator tables.

A function's signatures are given either as a *family* (a rule covering
Stan's vectorised overloads) or as explicit ``"(vector, real) => real"``
strings.  :func:`resolve` returns the result type for argument types, or
``None`` when no signature accepts them.
"""
from __future__ import annotations

from ppl.frontend.types import INT, REAL, Type, parse_type

CONTAINER_SHAPES = ("vector", "row_vector", "matrix")


def parse_signature(text: str) -> tuple[tuple[Type, ...], Type]:
    args, ret = text.split("=>")
    args = args.strip()[1:-1].strip()
    parts = [p for p in _split_commas(args)] if args else []
    return tuple(parse_type(p) for p in parts), parse_type(ret)


def _split_commas(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out


def match_explicit(sigs, argtypes: tuple[Type, ...]):
    """First signature accepting ``argtypes`` (exact match preferred over promotion)."""
    best = None
    for params, ret in sigs:
        if len(params) != len(argtypes):
            continue
        if all(a == p for a, p in zip(argtypes, params)):
            return ret
        if best is None and all(a.promotes_to(p) for a, p in zip(argtypes, params)):
            best = ret
    return best


def is_numeric(t: Type) -> bool:
    return t.base in ("int", "real")


def unary_vectorised(argtypes, int_preserving=False):
    """Stan's vectorised unary functions: any int/real container, same shape back."""
    if len(argtypes) != 1:
        return None
    (t,) = argtypes
    if t.base == "int" and int_preserving:
        return t
    return t.with_base("real") if t.base == "int" else t


def binary_vectorised(argtypes):
    """Vectorised binary functions (pow, fmin, ...): scalars, or containers of one shape
    possibly paired with a scalar; the result takes the container's shape."""
    if len(argtypes) != 2:
        return None
    a, b = argtypes
    if a.is_scalar and b.is_scalar:
        return REAL
    if a.is_scalar:
        return b.with_base("real")
    if b.is_scalar:
        return a.with_base("real")
    if a.with_base("real") == b.with_base("real"):
        return a.with_base("real")
    return None


def reals_arg(t: Type) -> bool:
    """Stan's ``reals``: real/int scalars, vectors, row vectors and 1-D arrays of them."""
    if t.is_scalar:
        return True
    if t.ndims == 0 and t.shape in ("vector", "row_vector"):
        return True
    return t.ndims == 1 and t.shape == "scalar"


def ints_arg(t: Type) -> bool:
    return t.base == "int" and t.shape == "scalar" and t.ndims <= 1


__all__ = ["parse_signature", "match_explicit", "unary_vectorised", "binary_vectorised",
           "reals_arg", "ints_arg", "INT", "REAL"]
