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
from ppl.lazy_scipy import special

from ppl.frontend.types import INT, REAL, Type
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


FUNCTION_GRADS = {
    "log_sum_exp": _log_sum_exp_grads(),
    "log_mix": _log_mix_grads(),
}

for _name, _d in _UNARY_GRADS.items():
    FUNCTIONS[_name].grad = _unary(_d)
for _name, _rules in _BINARY_GRADS.items():
    FUNCTIONS[_name].grad = _rules
for _name, _rules in FUNCTION_GRADS.items():
    FUNCTIONS[_name].grad = _rules
