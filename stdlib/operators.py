"""Operators, defined like functions (signature rule + batched value).

Keys are the source spellings: ``"+"``, ``".*"``, ``"u-"`` (unary minus),
``"'"`` (transpose), ``"<"``...  Comparisons and logical operators are
``jump`` entries: when an operand depends on parameters they are guards.
"""
from __future__ import annotations

import numpy as np

from ppl.frontend.types import INT, MATRIX, REAL, ROW_VECTOR, VECTOR, Type
from .functions import Function, align

OPERATORS: dict[str, Function] = {}

LINALG = ("vector", "row_vector", "matrix")


def _linalg(t: Type) -> bool:
    return t.ndims == 0 and t.shape in LINALG


def _scalar_result(a: Type, b: Type) -> Type:
    return INT if a.base == "int" and b.base == "int" else REAL


def _resolve_additive(ts):
    a, b = ts
    if a.is_scalar and b.is_scalar:
        return _scalar_result(a, b)
    if a.is_scalar and _linalg(b):
        return b
    if b.is_scalar and _linalg(a):
        return a
    if _linalg(a) and a == b:
        return a
    return None


def _resolve_multiply(ts):
    a, b = ts
    if a.is_scalar and b.is_scalar:
        return _scalar_result(a, b)
    if a.is_scalar and _linalg(b):
        return b
    if b.is_scalar and _linalg(a):
        return a
    table = {("row_vector", "vector"): REAL, ("vector", "row_vector"): MATRIX,
             ("matrix", "vector"): VECTOR, ("row_vector", "matrix"): ROW_VECTOR,
             ("matrix", "matrix"): MATRIX}
    if _linalg(a) and _linalg(b):
        return table.get((a.shape, b.shape))
    return None


def _multiply(ts, a, b):
    ta, tb = ts
    if ta.is_scalar or tb.is_scalar:
        a, b = align(a, b)
        return a * b
    pair = (ta.shape, tb.shape)
    if pair == ("row_vector", "vector"):
        return np.sum(a * b, axis=-1)
    if pair == ("vector", "row_vector"):
        return a[:, :, None] * b[:, None, :]
    if pair == ("matrix", "vector"):
        return np.matmul(a, b[:, :, None])[:, :, 0]
    if pair == ("row_vector", "matrix"):
        return np.matmul(a[:, None, :], b)[:, 0, :]
    return np.matmul(a, b)


def _resolve_divide(ts):
    a, b = ts
    if a.is_scalar and b.is_scalar:
        return _scalar_result(a, b)
    if _linalg(a) and b.is_scalar:
        return a
    return None


def _divide(ts, a, b):
    ta, tb = ts
    a, b = align(a, b)
    if ta.base == "int" and tb.base == "int" and ta.is_scalar and tb.is_scalar:
        return _int_divide(a, b)
    with np.errstate(all="ignore"):
        return np.asarray(a, dtype=float) / b


def _int_divide(a, b):
    # C++ semantics (truncation toward zero), as Stan; division by zero is an error
    # the backend reports, so never reached with b == 0.
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    with np.errstate(all="ignore"):
        q = np.abs(a) // np.where(b == 0, 1, np.abs(b))
    return np.where((a < 0) != (b < 0), -q, q)


def _int_mod(a, b):
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    return a - _int_divide(a, b) * b


def _resolve_elementwise(ts):
    a, b = ts
    if _linalg(a) and (a == b or b.is_scalar):
        return a
    if _linalg(b) and a.is_scalar:
        return b
    if a.is_scalar and b.is_scalar:
        return REAL
    return None


def _resolve_int_pair(ts):
    a, b = ts
    return INT if a.is_int and b.is_int else None


def _resolve_pow(ts):
    a, b = ts
    if a.is_scalar and b.is_scalar:
        return REAL
    return _resolve_elementwise(ts)


def _resolve_compare(ts):
    a, b = ts
    return INT if a.is_scalar and b.is_scalar else None


def _resolve_logical(ts):
    return INT if all(t.is_scalar for t in ts) else None


def _resolve_neg(ts):
    (a,) = ts
    if a.is_scalar or _linalg(a):
        return a
    return None


def _resolve_transpose(ts):
    (a,) = ts
    return {"vector": ROW_VECTOR, "row_vector": VECTOR, "matrix": MATRIX}.get(a.shape) if a.ndims == 0 else None


def _op(key, impl, resolver, needs_types=False, jump=False, elementwise=False, grad=()):
    OPERATORS[key] = Function(key, impl, "custom", resolver=resolver, needs_types=needs_types,
                              jump=jump, elementwise=elementwise, grad=grad)


def _ew(f):
    def g(*args):
        with np.errstate(all="ignore"):
            return f(*align(*args))
    return g


# Derivative rules (reverse mode): grad[i](g, out, *args) for argument i; the
# elementwise operators see aligned arguments (see stdlib.functions).
def _multiply_grads():
    def da(ts, g, out, a, b):
        ta, tb = ts
        if ta.is_scalar or tb.is_scalar:
            a, b = align(a, b)
            g = g.reshape(g.shape + (1,) * (b.ndim - g.ndim))
            return g * b
        pair = (ta.shape, tb.shape)
        if pair == ("row_vector", "vector"):
            return g[:, None] * b
        if pair == ("vector", "row_vector"):
            return np.matmul(g, b[:, :, None])[:, :, 0]
        if pair == ("matrix", "vector"):
            return g[:, :, None] * b[:, None, :]
        if pair == ("row_vector", "matrix"):
            return np.matmul(g[:, None, :], np.swapaxes(b, -1, -2))[:, 0, :]
        return np.matmul(g, np.swapaxes(b, -1, -2))

    def db(ts, g, out, a, b):
        ta, tb = ts
        if ta.is_scalar or tb.is_scalar:
            a, b = align(a, b)
            g = g.reshape(g.shape + (1,) * (a.ndim - g.ndim))
            return g * a
        pair = (ta.shape, tb.shape)
        if pair == ("row_vector", "vector"):
            return g[:, None] * a
        if pair == ("vector", "row_vector"):
            return np.matmul(a[:, None, :], g)[:, 0, :]
        if pair == ("matrix", "vector"):
            return np.matmul(np.swapaxes(a, -1, -2), g[:, :, None])[:, :, 0]
        if pair == ("row_vector", "matrix"):
            return a[:, :, None] * g[:, None, :]
        return np.matmul(np.swapaxes(a, -1, -2), g)
    return (da, db)


def _divide_grads():
    def da(ts, g, out, a, b):
        a, b = align(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        return g.reshape(g.shape + (1,) * (a.ndim - g.ndim)) / b

    def db(ts, g, out, a, b):
        a, b = align(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        return -g.reshape(g.shape + (1,) * (a.ndim - g.ndim)) * a / (b * b)
    return (da, db)


def _pow_da(g, out, a, b):
    return g * b * np.power(np.asarray(a, dtype=float), b - 1.0)


def _pow_db(g, out, a, b):
    a = np.asarray(a, dtype=float)
    return g * np.where(a > 0, out * np.log(np.where(a > 0, a, 1.0)), 0.0)


_op("+", _ew(np.add), _resolve_additive, elementwise=True,
    grad=(lambda g, out, a, b: g, lambda g, out, a, b: g))
_op("-", _ew(np.subtract), _resolve_additive, elementwise=True,
    grad=(lambda g, out, a, b: g, lambda g, out, a, b: -g))
_op("*", _multiply, _resolve_multiply, needs_types=True, grad=_multiply_grads())
_op("/", _divide, _resolve_divide, needs_types=True, grad=_divide_grads())
_op("%", _ew(_int_mod), _resolve_int_pair)
_op("%/%", _ew(_int_divide), _resolve_int_pair)
_op(".*", _ew(np.multiply), _resolve_elementwise, elementwise=True,
    grad=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a))
_op("./", _ew(lambda a, b: np.asarray(a, dtype=float) / b), _resolve_elementwise, elementwise=True,
    grad=(lambda g, out, a, b: g / b, lambda g, out, a, b: -g * a / (b * b)))
_op("^", _ew(lambda a, b: np.power(np.asarray(a, dtype=float), b)), _resolve_pow, elementwise=True,
    grad=(_pow_da, _pow_db))
_op(".^", _ew(lambda a, b: np.power(np.asarray(a, dtype=float), b)), _resolve_pow, elementwise=True,
    grad=(_pow_da, _pow_db))
_op("u-", lambda a: -a, _resolve_neg, grad=(lambda g, out, a: -g,))
_op("u+", lambda a: a, _resolve_neg, grad=(lambda g, out, a: g,))
_op("'", lambda a: np.swapaxes(a, -1, -2) if np.ndim(a) == 3 else a, _resolve_transpose,
    grad=(lambda g, out, a: np.swapaxes(g, -1, -2) if np.ndim(g) == 3 else g,))

_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
            "==": np.equal, "!=": np.not_equal}
for _k, _f in _COMPARE.items():
    _op(_k, _ew((lambda f: lambda a, b: f(a, b).astype(np.int64))(_f)), _resolve_compare, jump=True)

_op("&&", _ew(lambda a, b: ((a != 0) & (b != 0)).astype(np.int64)), _resolve_logical, jump=True)
_op("||", _ew(lambda a, b: ((a != 0) | (b != 0)).astype(np.int64)), _resolve_logical, jump=True)
_op("!", lambda a: (a == 0).astype(np.int64), _resolve_logical, jump=True)

# Operators that exist in Stan but not (yet) here: reported by name.
UNSUPPORTED_OPERATORS = {"\\": "left division 'A \\ b'"}
