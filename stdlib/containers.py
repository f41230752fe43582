"""Container functions: reductions, sizes, builders, reshaping (one definition
each, with its derivative rule below), registered in the FUNCTIONS table.

Arguments are batched arrays (leading batch axis), as in stdlib.functions.
"""
from __future__ import annotations

import numpy as np
from ppl.lazy_scipy import special

from ppl.frontend.types import INT, REAL, Type

from .functions import FUNCTIONS, _axes, _def, _lane, align


# ------------------------------------------------------------------ reductions
def _resolve_reduction(int_ok):
    def r(ts):
        if len(ts) != 1:
            return None
        t = ts[0]
        if t.is_scalar:
            return None
        if t.ndims == 0:
            return REAL
        if t.ndims == 1 and t.shape == "scalar":
            return INT if (t.base == "int" and int_ok) else REAL
        return None
    return r


def _sum(x):
    return np.sum(x, axis=_axes(x))


def _mean(x):
    return np.mean(np.asarray(x, dtype=float), axis=_axes(x))


def _minmax(f, g):
    def impl(*args):
        if len(args) == 2:
            return g(*args)
        x = args[0]
        if x.shape[1:] and np.prod(x.shape[1:]) == 0:
            return np.full(x.shape[0], np.inf if f is np.min else -np.inf)
        return f(x, axis=_axes(x))
    return impl


def _resolve_minmax(ts):
    if len(ts) == 2 and ts[0].is_scalar and ts[1].is_scalar:
        return INT if ts[0].base == ts[1].base == "int" else REAL
    return _resolve_reduction(True)(ts)


_def("sum", _sum, "custom", resolver=_resolve_reduction(True))
_def("prod", lambda x: np.prod(x, axis=_axes(x)), "custom", resolver=_resolve_reduction(True))
_def("mean", _mean, "custom", resolver=_resolve_reduction(False))
_def("min", _minmax(np.min, np.minimum), "custom", resolver=_resolve_minmax)
_def("max", _minmax(np.max, np.maximum), "custom", resolver=_resolve_minmax)


def _variance(x):
    x = np.asarray(x, dtype=float)
    return np.var(x, axis=_axes(x), ddof=1)


_def("variance", _variance, "custom", resolver=_resolve_reduction(False))
_def("sd", lambda x: np.sqrt(_variance(x)), "custom", resolver=_resolve_reduction(False))


def _resolve_cumsum(ts):
    if len(ts) != 1:
        return None
    t = ts[0]
    if t.ndims == 0 and t.shape in ("vector", "row_vector"):
        return t
    if t.ndims == 1 and t.shape == "scalar":
        return t
    return None


_def("cumulative_sum", lambda x: np.cumsum(x, axis=-1), "custom", resolver=_resolve_cumsum)


def _resolve_dot(ts):
    if len(ts) != 2:
        return None
    ok = [t.ndims == 0 and t.shape in ("vector", "row_vector") or (t.ndims == 1 and t.shape == "scalar"
                                                                   and t.base == "real") for t in ts]
    return REAL if all(ok) else None


_def("dot_product", lambda a, b: np.sum(np.asarray(a, float) * np.asarray(b, float), axis=-1),
     "custom", resolver=_resolve_dot)
_def("dot_self", lambda a: np.sum(np.square(np.asarray(a, float)), axis=-1), "explicit",
     ("(vector) => real", "(row_vector) => real"))
_def("squared_distance", lambda a, b: np.sum(np.square(np.asarray(a, float) - b), axis=-1), "explicit",
     ("(vector, vector) => real", "(row_vector, row_vector) => real"))
_def("distance", lambda a, b: np.sqrt(np.sum(np.square(np.asarray(a, float) - b), axis=-1)), "explicit",
     ("(vector, vector) => real", "(row_vector, row_vector) => real"))


def _softmax(x):
    x = np.asarray(x, dtype=float)
    return special.softmax(x, axis=-1)


_def("softmax", _softmax, "explicit", ("(vector) => vector",))
_def("log_softmax", lambda x: special.log_softmax(np.asarray(x, float), axis=-1), "explicit",
     ("(vector) => vector",))


# ------------------------------------------------------------ sizes and builders
def _size_of(n):
    n = np.asarray(n)
    if n.shape[0] != 1:
        n = n[:1]
    return int(n[0])


def _resolve_rep_array(ts):
    if 2 <= len(ts) <= 4 and all(t.is_int for t in ts[1:]):
        return ts[0].array_of(len(ts) - 1)
    return None


def _rep_array(x, *sizes):
    dims = tuple(_size_of(s) for s in sizes)
    x = np.asarray(x)
    inner = x.shape[1:]
    out = np.broadcast_to(x.reshape((x.shape[0],) + (1,) * len(dims) + inner),
                          (x.shape[0],) + dims + inner)
    return np.array(out)


_def("rep_array", _rep_array, "custom", resolver=_resolve_rep_array, data_only_args=(1, 2, 3))
_def("rep_vector", lambda x, n: np.repeat(np.asarray(x, float)[:, None], _size_of(n), axis=1),
     "explicit", ("(real, int) => vector",), data_only_args=(1,))
_def("rep_row_vector", lambda x, n: np.repeat(np.asarray(x, float)[:, None], _size_of(n), axis=1),
     "explicit", ("(real, int) => row_vector",), data_only_args=(1,))
_def("rep_matrix", lambda x, m, n: np.broadcast_to(np.asarray(x, float)[:, None, None],
                                                    (np.shape(x)[0], _size_of(m), _size_of(n))).copy(),
     "explicit", ("(real, int, int) => matrix",), data_only_args=(1, 2))


def _size(ts, x):
    t = ts[0]
    n = x.shape[1] if x.ndim > 1 else 1
    if t.ndims == 0 and t.shape == "matrix":
        n = x.shape[1] * x.shape[2]
    return np.array([n], dtype=np.int64)


def _resolve_size(ts):
    return INT if len(ts) == 1 and not ts[0].is_scalar else None


_def("size", _size, "custom", resolver=_resolve_size, needs_types=True)
_def("num_elements", lambda ts, x: np.array([int(np.prod(x.shape[1:]))], dtype=np.int64), "custom",
     resolver=_resolve_size, needs_types=True)


def _rows(ts, x):
    t = ts[0]
    if t.shape == "row_vector":
        return np.array([1], dtype=np.int64)
    return np.array([x.shape[1]], dtype=np.int64)


def _cols(ts, x):
    t = ts[0]
    if t.shape == "vector":
        return np.array([1], dtype=np.int64)
    return np.array([x.shape[-1]], dtype=np.int64)


_rowcols_sigs = ("(vector) => int", "(row_vector) => int", "(matrix) => int")
_def("rows", _rows, "explicit", _rowcols_sigs, needs_types=True)
_def("cols", _cols, "explicit", _rowcols_sigs, needs_types=True)


def _resolve_to_vector(shape):
    def r(ts):
        if len(ts) != 1:
            return None
        t = ts[0]
        if t.ndims == 0 and t.shape in CONTAINERS or t.ndims == 1 and t.shape == "scalar":
            return Type("real", shape)
        return None
    return r


CONTAINERS = ("vector", "row_vector", "matrix")


def _flatten_colmajor(ts, x):
    t = ts[0]
    x = np.asarray(x, dtype=float)
    if t.shape == "matrix" and t.ndims == 0:
        return np.swapaxes(x, 1, 2).reshape(x.shape[0], -1)
    return x.reshape(x.shape[0], -1)


_def("to_vector", _flatten_colmajor, "custom", resolver=_resolve_to_vector("vector"), needs_types=True)
_def("to_row_vector", _flatten_colmajor, "custom", resolver=_resolve_to_vector("row_vector"),
     needs_types=True)


def _resolve_to_array_1d(ts):
    if len(ts) == 1 and not ts[0].is_scalar:
        return Type("int" if ts[0].base == "int" else "real", "scalar", 1)
    return None


def _to_array_1d(ts, x):
    t = ts[0]
    if t.shape == "matrix":
        x = np.swapaxes(x, -1, -2)
    return x.reshape(x.shape[0], -1)


_def("to_array_1d", _to_array_1d, "custom", resolver=_resolve_to_array_1d, needs_types=True)


def _head(x, n):
    return x[:, :_size_of(n)]


def _tail(x, n):
    k = _size_of(n)
    return x[:, x.shape[1] - k:]


def _segment3(x, i, n):
    i, n = _size_of(i), _size_of(n)
    return x[:, i - 1:i - 1 + n]


def _resolve_headtail(nargs):
    def r(ts):
        if len(ts) != nargs or not all(t.is_int for t in ts[1:]):
            return None
        t = ts[0]
        if t.ndims == 0 and t.shape in ("vector", "row_vector") or t.ndims >= 1:
            return t
        return None
    return r


_def("head", _head, "custom", resolver=_resolve_headtail(2), data_only_args=(1,))
_def("tail", _tail, "custom", resolver=_resolve_headtail(2), data_only_args=(1,))
_def("segment", _segment3, "custom", resolver=_resolve_headtail(3), data_only_args=(1, 2))


def _append_row(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim == 1:
        a = a[:, None]
    if b.ndim == 1:
        b = b[:, None]
    a, b = np.broadcast_arrays(a, b) if a.shape[1:] == b.shape[1:] else _bcast_batch(a, b)
    return np.concatenate([a, b], axis=1)


def _bcast_batch(a, b):
    n = max(a.shape[0], b.shape[0])
    return (np.broadcast_to(a, (n,) + a.shape[1:]), np.broadcast_to(b, (n,) + b.shape[1:]))


_def("append_row", _append_row, "explicit",
     ("(vector, vector) => vector", "(real, vector) => vector", "(vector, real) => vector",
      "(matrix, matrix) => matrix", "(row_vector, matrix) => matrix", "(matrix, row_vector) => matrix",
      "(row_vector, row_vector) => matrix"))


def _append_col(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim == 1:
        a = a[:, None]
    if b.ndim == 1:
        b = b[:, None]
    a, b = _bcast_batch(a, b)
    return np.concatenate([a, b], axis=-1)


_def("append_col", _append_col, "explicit",
     ("(row_vector, row_vector) => row_vector", "(real, row_vector) => row_vector",
      "(row_vector, real) => row_vector", "(matrix, matrix) => matrix", "(vector, matrix) => matrix",
      "(matrix, vector) => matrix", "(vector, vector) => matrix"))


def _diag_matrix(v):
    v = np.asarray(v, float)
    out = np.zeros(v.shape + (v.shape[-1],))
    idx = np.arange(v.shape[-1])
    out[:, idx, idx] = v
    return out


_def("diag_matrix", _diag_matrix, "explicit", ("(vector) => matrix",))
_def("transpose", lambda x: np.swapaxes(x, -1, -2) if np.ndim(x) == 3 else x, "explicit",
     ("(matrix) => matrix", "(vector) => row_vector", "(row_vector) => vector"))



# ---------------------------------------------------------------- derivative rules
# Same convention as stdlib.functions: grad[i](g, out, *args), shaped like argument i.

def _sum_grad(g, out, x):
    return np.broadcast_to(_lane(g, x), np.shape(x))


def _mean_grad(g, out, x):
    n = int(np.prod(np.shape(x)[1:]))
    return np.broadcast_to(_lane(g, x) / n, np.shape(x))


def _extreme_grad(reduce):
    """Derivative of min/max: the (first) extreme element takes g."""
    def rule1(g, out, *args):
        if len(args) == 2:
            a, b = align(*args)
            pick = a <= b if reduce is np.argmin else a >= b
            return np.where(pick, g, 0.0)
        x = np.asarray(args[0], dtype=float)
        flat = x.reshape(x.shape[0], -1)
        hot = np.zeros_like(flat)
        hot[np.arange(flat.shape[0]), reduce(flat, axis=1)] = 1.0
        return hot.reshape(x.shape) * _lane(g, x)

    def rule2(g, out, a, b):
        a, b = align(a, b)
        pick = b < a if reduce is np.argmin else b > a
        return np.where(pick, g, 0.0)
    return (rule1, rule2)


def _variance_grad(g, out, x):
    x = np.asarray(x, dtype=float)
    n = int(np.prod(x.shape[1:]))
    axes = tuple(range(1, x.ndim))
    return _lane(g, x) * 2.0 * (x - x.mean(axis=axes, keepdims=True)) / (n - 1)


def _sd_grad(g, out, x):
    x = np.asarray(x, dtype=float)
    n = int(np.prod(x.shape[1:]))
    axes = tuple(range(1, x.ndim))
    sd = _lane(out, x)
    # sd is not differentiable where all elements are equal: take 0 there (one-sided choice)
    return np.where(sd > 0, _lane(g, x) * (x - x.mean(axis=axes, keepdims=True)) / ((n - 1) * np.where(sd > 0, sd, 1.0)), 0.0)


def _prod_grad(g, out, x):
    x = np.asarray(x, dtype=float)
    return _lane(g, x) * _lane(out, x) / x


def _rev_cumsum(g):
    return np.cumsum(np.asarray(g)[..., ::-1], axis=-1)[..., ::-1]


def _softmax_grad(g, out, x):
    return out * (g - np.sum(g * out, axis=-1, keepdims=True))


def _log_softmax_grad(g, out, x):
    return g - np.exp(out) * np.sum(g, axis=-1, keepdims=True)


def _rep_array_grad(g, out, x, *sizes):
    g = np.asarray(g, dtype=float)
    k = len(sizes)
    inner = g.shape[1 + k:]
    return g.reshape((g.shape[0], -1) + inner).sum(axis=1)


def _unflatten_grad(ts, g, out, x):
    t = ts[0]
    g = np.asarray(g, dtype=float)
    if t.shape == "matrix" and t.ndims == 0:
        r, c = np.shape(x)[1:]
        return np.swapaxes(g.reshape(g.shape[0], c, r), 1, 2)
    return g.reshape((g.shape[0],) + np.shape(x)[1:])


def _to_array_1d_grad(ts, g, out, x):
    t = ts[0]
    g = np.asarray(g, dtype=float)
    if t.shape == "matrix":
        shp = np.shape(x)[1:]
        return np.swapaxes(g.reshape((g.shape[0],) + shp[:-2] + (shp[-1], shp[-2])), -1, -2)
    return g.reshape((g.shape[0],) + np.shape(x)[1:])


def _place(g, x, start):
    out = np.zeros((np.shape(g)[0],) + np.shape(x)[1:])
    out[:, start:start + np.shape(g)[1]] = g
    return out


def _append_grads(axis):
    """Split the adjoint of append_row/append_col between the two pieces; a scalar
    or a row/column joined to a container is one slice along the axis."""
    def part(first):
        def rule(g, out, a, b):
            g = np.asarray(g, dtype=float)
            na = 1 if np.ndim(a) < np.ndim(out) else np.shape(a)[axis]
            idx = np.arange(0, na) if first else np.arange(na, g.shape[axis])
            piece = np.take(g, idx, axis=axis)
            other = a if first else b
            return np.squeeze(piece, axis=axis) if np.ndim(other) < np.ndim(out) else piece
        return rule
    return (part(True), part(False))


def _diag_matrix_grad(g, out, v):
    return np.diagonal(np.asarray(g, dtype=float), axis1=1, axis2=2)


def _sizes_only(*_):
    return None


CONTAINER_GRADS = {
    "sum": (_sum_grad,),
    "prod": (_prod_grad,),
    "mean": (_mean_grad,),
    "min": _extreme_grad(np.argmin),
    "max": _extreme_grad(np.argmax),
    "variance": (_variance_grad,),
    "sd": (_sd_grad,),
    "cumulative_sum": (lambda g, out, x: _rev_cumsum(g),),
    "dot_product": (lambda g, out, a, b: _lane(g, b) * b, lambda g, out, a, b: _lane(g, a) * a),
    "dot_self": (lambda g, out, a: 2.0 * _lane(g, a) * a,),
    "squared_distance": (lambda g, out, a, b: 2.0 * _lane(g, a) * (a - b),
                         lambda g, out, a, b: -2.0 * _lane(g, a) * (a - b)),
    "distance": (lambda g, out, a, b: _lane(g, a) * (a - b) / np.where(_lane(out, a) > 0, _lane(out, a), np.inf),
                 lambda g, out, a, b: -_lane(g, a) * (a - b) / np.where(_lane(out, a) > 0, _lane(out, a), np.inf)),
    "softmax": (_softmax_grad,),
    "log_softmax": (_log_softmax_grad,),
    "rep_array": (_rep_array_grad, None, None, None),
    "rep_vector": (lambda g, out, x, n: np.sum(g, axis=-1), None),
    "rep_row_vector": (lambda g, out, x, n: np.sum(g, axis=-1), None),
    "rep_matrix": (lambda g, out, x, m, n: np.sum(g, axis=(-2, -1)), None, None),
    "to_vector": (_unflatten_grad,),
    "to_row_vector": (_unflatten_grad,),
    "to_array_1d": (_to_array_1d_grad,),
    "head": (lambda g, out, x, n: _place(g, x, 0), None),
    "tail": (lambda g, out, x, n: _place(g, x, np.shape(x)[1] - np.shape(g)[1]), None),
    "segment": (lambda g, out, x, i, n: _place(g, x, _size_of(i) - 1), None, None),
    "append_row": _append_grads(1),
    "append_col": _append_grads(-1),
    "diag_matrix": (_diag_matrix_grad,),
    "transpose": (lambda g, out, x: np.swapaxes(g, -1, -2) if np.ndim(g) == 3 else g,),
}



for _name, _rules in CONTAINER_GRADS.items():
    FUNCTIONS[_name].grad = _rules
