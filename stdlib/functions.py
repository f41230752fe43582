"""Math functions and operators: one definition each.

Every entry gives its signatures (a vectorised *family* or explicit
strings), its value on batched arrays, and flags the analyses read:
``jump`` marks piecewise-constant functions whose parametric use is a guard
(step, floor, comparisons...).

Batched arrays: every value carries a leading batch axis of size 1 (the
same for every lane: data) or S (one entry per parameter draw).  Elementwise
implementations see arguments already aligned by :func:`align`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from scipy import special

from ppl.frontend.types import INT, MATRIX, REAL, ROW_VECTOR, VECTOR, Type
from .signatures import (binary_vectorised, match_explicit, parse_signature, reals_arg,
                         unary_vectorised)


@dataclass
class Function:
    name: str
    impl: Callable
    family: str = "explicit"      # 'unary', 'unary_int', 'binary', 'explicit', 'custom'
    signatures: tuple = ()
    resolver: Optional[Callable] = None   # custom: argtypes -> Type | None
    needs_types: bool = False     # impl(argtypes, *args) instead of impl(*args)
    jump: bool = False            # piecewise constant: a parametric argument makes a guard
    elementwise: bool = False     # impl wants aligned arguments
    data_only_args: tuple = ()    # positions that must not depend on parameters (sizes)
    grad: tuple = ()              # reverse-mode rules, one per argument (see "derivative rules")
    parsed: list = field(default_factory=list, repr=False)

    def resolve(self, argtypes: tuple[Type, ...]) -> Optional[Type]:
        if self.family == "unary":
            return unary_vectorised(argtypes)
        if self.family == "unary_int":
            return unary_vectorised(argtypes, int_preserving=True)
        if self.family == "binary":
            return binary_vectorised(argtypes)
        if self.family == "custom":
            return self.resolver(argtypes)
        if not self.parsed:
            self.parsed = [parse_signature(s) for s in self.signatures]
        return match_explicit(self.parsed, argtypes)

    def describe(self) -> str:
        if self.family in ("unary", "unary_int"):
            return f"{self.name}(T) for any int/real container T"
        if self.family == "binary":
            return f"{self.name}(T1, T2) for scalars or containers of one shape"
        if self.signatures:
            return "; ".join(f"{self.name}{s.split('=>')[0].strip()}" for s in self.signatures)
        return self.name


FUNCTIONS: dict[str, Function] = {}


def align(*args):
    """Give batched arrays a common number of axes by appending singleton axes
    to the lower-rank ones (a scalar lane value broadcasts over a container)."""
    nd = max(np.ndim(a) for a in args)
    return [a.reshape(a.shape + (1,) * (nd - a.ndim)) if a.ndim < nd else a for a in args]


def _def(name, impl, family="explicit", signatures=(), **kw):
    fn = Function(name, impl, family, tuple(signatures), **kw)
    if family in ("unary", "unary_int", "binary"):
        fn.elementwise = True
    FUNCTIONS[name] = fn
    return fn


def _axes(x):
    return tuple(range(1, np.ndim(x)))


# ------------------------------------------------------------- elementwise math
def _log1m_exp(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        out = np.where(x > -0.6931471805599453, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))
    # log(1 - exp(0)) = -inf; positive arguments are outside the domain (NaN, as Stan)
    return np.where(x < 0, out, np.where(x == 0, -np.inf, np.nan))


def _log_diff_exp(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(all="ignore"):
        out = a + _log1m_exp(b - a)
    return np.where(np.isneginf(b) & ~np.isnan(a), a, out)


def _log_sum_exp2(a, b):
    return np.logaddexp(a, b)


def _step(x):
    # Stan: step(x) = 0 if x < 0 else 1 (so step(0) = 1), NaN -> 1
    return np.where(np.asarray(x) < 0, 0.0, 1.0)


def _int_step(x):
    return np.where(np.asarray(x) > 0, 1, 0).astype(np.int64)


def _fabs(x):
    return np.abs(x)


def _inv_Phi(p):
    return special.ndtri(p)


def _Phi_approx(x):
    return special.expit(0.07056 * x ** 3 + 1.5976 * x)


def _logit(p):
    with np.errstate(all="ignore"):
        return np.log(p) - np.log1p(-p)


def _log1m(x):
    with np.errstate(all="ignore"):
        return np.log1p(-np.asarray(x, dtype=float))


def _to_real(f):
    def g(*args):
        with np.errstate(all="ignore"):
            return f(*[np.asarray(a, dtype=float) for a in args])
    return g


for _n, _f in {
    "exp": np.exp, "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
    "expm1": np.expm1, "sqrt": np.sqrt, "cbrt": np.cbrt, "square": np.square,
    "inv": lambda x: 1.0 / x, "inv_sqrt": lambda x: 1.0 / np.sqrt(x),
    "inv_square": lambda x: 1.0 / np.square(x), "inv_logit": special.expit, "logit": _logit,
    "log1m": _log1m, "log_inv_logit": special.log_expit,
    "log1m_inv_logit": lambda x: special.log_expit(-x), "log1m_exp": _log1m_exp,
    "lgamma": special.gammaln, "tgamma": special.gamma, "digamma": special.digamma,
    "Phi": special.ndtr, "inv_Phi": _inv_Phi, "Phi_approx": _Phi_approx,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "erf": special.erf, "erfc": special.erfc, "fabs": _fabs,
    "step": _step,
}.items():
    _def(_n, _to_real(_f), "unary", jump=_n in ("step",))

for _n, _f in {"floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc}.items():
    _def(_n, _to_real(_f), "unary", jump=True)

_def("abs", lambda x: np.abs(x), "unary_int")
_def("int_step", _int_step, "custom", resolver=lambda ts: INT if len(ts) == 1 and ts[0].is_scalar else None,
     jump=True)

for _n, _f in {
    "pow": np.power, "fmin": np.fmin, "fmax": np.fmax, "fdim": lambda a, b: np.maximum(a - b, 0.0),
    "hypot": np.hypot, "atan2": np.arctan2, "log_diff_exp": _log_diff_exp,
    "lbeta": special.betaln, "lchoose": lambda n, k: special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1),
    "binomial_coefficient_log": lambda n, k: special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1),
    "lmultiply": lambda a, b: special.xlogy(a, b), "multiply_log": lambda a, b: special.xlogy(a, b),
    "fmod": np.fmod,
}.items():
    _def(_n, _to_real(_f), "binary")


def _resolve_log_sum_exp(ts):
    if len(ts) == 2 and ts[0].is_scalar and ts[1].is_scalar:
        return REAL
    if len(ts) == 1 and (ts[0].base == "real" or ts[0].base == "int") and ts[0].ndims <= 1 \
            and (ts[0].ndims == 0 or ts[0].shape == "scalar") and not ts[0].is_scalar:
        return REAL
    if len(ts) == 1 and ts[0].shape == "matrix" and ts[0].ndims == 0:
        return REAL
    return None


def _log_sum_exp(*args):
    if len(args) == 2:
        return np.logaddexp(*[np.asarray(a, dtype=float) for a in args])
    x = np.asarray(args[0], dtype=float)
    if x.ndim == 1:
        return x
    ax = _axes(x)
    m = np.max(x, axis=ax, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(all="ignore"):
        return np.log(np.sum(np.exp(x - m), axis=ax)) + m.reshape(x.shape[0])


_def("log_sum_exp", _log_sum_exp, "custom", resolver=_resolve_log_sum_exp)


def _resolve_log_mix(ts):
    if len(ts) == 3 and all(t.is_scalar for t in ts):
        return REAL
    if len(ts) == 2 and ts[0].shape in ("vector", "row_vector") and ts[0].ndims == 0 \
            and reals_arg(ts[1]) and not ts[1].is_scalar:
        return REAL
    return None


def _log_mix(*args):
    if len(args) == 3:
        theta, a, b = [np.asarray(x, dtype=float) for x in args]
        with np.errstate(all="ignore"):
            return np.logaddexp(np.log(theta) + a, np.log1p(-theta) + b)
    theta, lam = [np.asarray(x, dtype=float) for x in args]
    with np.errstate(all="ignore"):
        return _log_sum_exp(np.log(theta) + lam)


_def("log_mix", _log_mix, "custom", resolver=_resolve_log_mix)


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


# Nullary constants.  log2() and log10() also exist as unary functions, so those
# two names resolve both ways.
def _constant(v):
    return lambda: np.array([v])


for _n, _v in {"pi": np.pi, "e": np.e, "sqrt2": np.sqrt(2.0), "not_a_number": np.nan,
               "positive_infinity": np.inf, "negative_infinity": -np.inf,
               "machine_precision": np.finfo(float).eps}.items():
    _def(_n, _constant(_v), "explicit", ("() => real",))


def _unary_or_constant(unary, value):
    def impl(*args):
        return unary(*args) if args else np.array([value])
    return impl


for _n, _v in {"log2": np.log(2.0), "log10": np.log(10.0)}.items():
    FUNCTIONS[_n] = Function(_n, _unary_or_constant(FUNCTIONS[_n].impl, _v), "custom",
                             resolver=lambda ts: REAL if not ts else unary_vectorised(ts),
                             elementwise=True)

_def("is_inf", lambda x: np.isinf(x).astype(np.int64), "explicit", ("(real) => int",))
_def("is_nan", lambda x: np.isnan(x).astype(np.int64), "explicit", ("(real) => int",))


# ---------------------------------------------------------------- derivative rules
# Reverse mode (ppl.ad): ``grad[i](g, out, *args)`` is the vector-Jacobian
# product for argument i: g is d(target)/d(out).  Elementwise functions see
# aligned arguments and return an aligned contribution (the caller sums it
# back to the argument's shape); the others return the argument's shape.
# ``None`` marks an argument with no derivative (sizes, ints).  Kinks take a
# fixed one-sided value (fabs'(0) = 0, fmin/fmax ties go to the first
# argument): the intensional derivative of Lee, Yu, Rival & Yang (2020).

_SQRT_2PI = np.sqrt(2.0 * np.pi)
_2_SQRT_PI = 2.0 / np.sqrt(np.pi)


def _unary(d):
    """A rule from f'(x, out)."""
    return (lambda g, out, x: g * d(np.asarray(x, dtype=float), out),)


_UNARY_GRADS = {
    "exp": lambda x, y: y,
    "log": lambda x, y: 1.0 / x,
    "log1p": lambda x, y: 1.0 / (1.0 + x),
    "expm1": lambda x, y: y + 1.0,
    "sqrt": lambda x, y: 0.5 / y,
    "cbrt": lambda x, y: 1.0 / (3.0 * y * y),
    "square": lambda x, y: 2.0 * x,
    "inv": lambda x, y: -y * y,
    "inv_sqrt": lambda x, y: -0.5 * y / x,
    "inv_square": lambda x, y: -2.0 * y / x,
    "inv_logit": lambda x, y: y * (1.0 - y),
    "logit": lambda x, y: 1.0 / (x * (1.0 - x)),
    "log1m": lambda x, y: -1.0 / (1.0 - x),
    "log_inv_logit": lambda x, y: special.expit(-x),
    "log1m_inv_logit": lambda x, y: -special.expit(x),
    "log1m_exp": lambda x, y: -1.0 / np.expm1(-x),
    "lgamma": lambda x, y: special.digamma(x),
    "tgamma": lambda x, y: y * special.digamma(x),
    "digamma": lambda x, y: special.polygamma(1, x),
    "Phi": lambda x, y: np.exp(-0.5 * x * x) / _SQRT_2PI,
    "inv_Phi": lambda x, y: _SQRT_2PI * np.exp(0.5 * y * y),
    "Phi_approx": lambda x, y: y * (1.0 - y) * (3 * 0.07056 * x * x + 1.5976),
    "sin": lambda x, y: np.cos(x),
    "cos": lambda x, y: -np.sin(x),
    "tan": lambda x, y: 1.0 + y * y,
    "asin": lambda x, y: 1.0 / np.sqrt(1.0 - x * x),
    "acos": lambda x, y: -1.0 / np.sqrt(1.0 - x * x),
    "atan": lambda x, y: 1.0 / (1.0 + x * x),
    "sinh": lambda x, y: np.cosh(x),
    "cosh": lambda x, y: np.sinh(x),
    "tanh": lambda x, y: 1.0 - y * y,
    "asinh": lambda x, y: 1.0 / np.sqrt(x * x + 1.0),
    "acosh": lambda x, y: 1.0 / np.sqrt(x * x - 1.0),
    "atanh": lambda x, y: 1.0 / (1.0 - x * x),
    "erf": lambda x, y: _2_SQRT_PI * np.exp(-x * x),
    "erfc": lambda x, y: -_2_SQRT_PI * np.exp(-x * x),
    "fabs": lambda x, y: np.sign(x),
    "abs": lambda x, y: np.sign(x),
    "log2": lambda x, y: 1.0 / (x * np.log(2.0)),
    "log10": lambda x, y: 1.0 / (x * np.log(10.0)),
}


def _pow_grads():
    def da(g, out, a, b):
        a = np.asarray(a, dtype=float)
        return g * b * np.power(a, b - 1.0)

    def db(g, out, a, b):
        a = np.asarray(a, dtype=float)
        return g * np.where(a > 0, out * np.log(np.where(a > 0, a, 1.0)), 0.0)
    return (da, db)


_BINARY_GRADS = {
    "pow": _pow_grads(),
    "fmin": (lambda g, out, a, b: g * ((a <= b) | np.isnan(b)),
             lambda g, out, a, b: g * ((b < a) | np.isnan(a))),
    "fmax": (lambda g, out, a, b: g * ((a >= b) | np.isnan(b)),
             lambda g, out, a, b: g * ((b > a) | np.isnan(a))),
    "fdim": (lambda g, out, a, b: g * (a > b), lambda g, out, a, b: -g * (a > b)),
    "hypot": (lambda g, out, a, b: g * a / out, lambda g, out, a, b: g * b / out),
    "atan2": (lambda g, out, a, b: g * b / (a * a + b * b), lambda g, out, a, b: -g * a / (a * a + b * b)),
    "log_diff_exp": (lambda g, out, a, b: -g / np.expm1(b - a), lambda g, out, a, b: -g / np.expm1(a - b)),
    "lbeta": (lambda g, out, a, b: g * (special.digamma(a) - special.digamma(a + b)),
              lambda g, out, a, b: g * (special.digamma(b) - special.digamma(a + b))),
    "lchoose": (lambda g, out, n, k: g * (special.digamma(n + 1) - special.digamma(n - k + 1)),
                lambda g, out, n, k: g * (special.digamma(n - k + 1) - special.digamma(k + 1))),
    "lmultiply": (lambda g, out, a, b: g * np.where((a == 0) & (b == 0), 0.0, np.log(b)),
                  lambda g, out, a, b: g * a / b),
    "fmod": (lambda g, out, a, b: g, lambda g, out, a, b: -g * np.trunc(a / b)),
}
_BINARY_GRADS["binomial_coefficient_log"] = _BINARY_GRADS["lchoose"]
_BINARY_GRADS["multiply_log"] = _BINARY_GRADS["lmultiply"]


def _lane(g, x):
    """Reshape a per-lane (S,) adjoint to broadcast against x (S, ...)."""
    g = np.asarray(g, dtype=float)
    return g.reshape(g.shape + (1,) * (np.ndim(x) - g.ndim))


def _log_sum_exp_grads():
    def d(i):
        def rule(g, out, *args):
            if len(args) == 2:
                a, b = align(*[np.asarray(x, dtype=float) for x in args])
                return g * np.exp((a, b)[i] - out)
            x = np.asarray(args[0], dtype=float)
            return _lane(g, x) * np.exp(x - _lane(out, x))
        return rule
    return (d(0), d(1))


def _log_mix_grads():
    def theta(g, out, *args):
        if len(args) == 3:
            t, a, b = args
            return g * (np.exp(a - out) - np.exp(b - out))
        t, lam = args
        return _lane(g, lam) * np.exp(lam - _lane(out, lam))

    def lam1(g, out, *args):
        if len(args) == 3:
            t, a, b = args
            return g * t * np.exp(a - out)
        t, lam = args
        return _lane(g, lam) * t * np.exp(lam - _lane(out, lam))

    def lam2(g, out, t, a, b):
        return g * (1.0 - t) * np.exp(b - out)
    return (theta, lam1, lam2)


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


FUNCTION_GRADS = {
    "log_sum_exp": _log_sum_exp_grads(),
    "log_mix": _log_mix_grads(),
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


for _name, _d in _UNARY_GRADS.items():
    FUNCTIONS[_name].grad = _unary(_d)
for _name, _rules in _BINARY_GRADS.items():
    FUNCTIONS[_name].grad = _rules
for _name, _rules in FUNCTION_GRADS.items():
    FUNCTIONS[_name].grad = _rules
