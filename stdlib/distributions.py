"""The univariate distributions of Stan's standard library, as one table.

Every distribution is defined exactly once, as a :class:`Distribution` row in
:data:`DISTRIBUTIONS`.  Type checking, code generation, the numpy/numba
backends and the random-number generators all read this table, so adding a
distribution means adding one row here.

A row records

* ``variate`` and ``params``: one :class:`Arg` each, in Stan's argument order
  (``normal(y | mu, sigma)``).  ``Arg.kind`` is the set of Stan types the
  argument accepts: ``"reals"`` (real, int, vector, row_vector, array[] real,
  array[] int) or ``"ints"`` (int, array[] int).  ``Arg.support`` names an
  entry of :data:`SUPPORTS`, the *argument check* Stan applies to it.
* ``logpdf(y, *params)``: the elementwise log density (continuous) or log mass
  (discrete), with all normalising constants.
* ``rng(gen, *params, size=None)``: draws from a ``numpy.random.Generator``.

Conventions (shared with the callers; do not change them lightly):

* ``logpdf`` is elementwise.  The caller broadcasts the arguments to a common
  shape first and sums the result itself (``normal_lpdf(y | ...)`` of a vector
  is the *sum* of the elementwise values).  Arguments may be float64 or int64
  arrays; they are converted to float64 here.
* ``logpdf`` never validates its arguments.  The caller evaluates
  ``SUPPORTS[arg.support](value)`` for the variate and every parameter and
  puts ``-inf`` wherever a check fails (where Stan would throw a domain error
  and reject the draw).  Checks that relate *two* arguments (binomial
  ``0 <= n <= N``, uniform ``beta > alpha``) cannot be expressed per argument,
  so ``logpdf`` itself returns ``-inf`` there; so it does for the values that
  pass Stan's checks but where Stan returns ``LOG_ZERO`` (e.g. a uniform
  variate outside ``[alpha, beta]``, lognormal ``y == 0``, Poisson
  ``lambda == inf``).  Each such case is marked in a comment.
* ``logpdf`` is computed stably with :mod:`scipy.special` (no Python loops),
  e.g. ``bernoulli_logit`` via ``log_expit`` so ``alpha = +-800`` is fine.
* ``rng`` is vectorised: its result has the broadcast shape of the parameters
  (or ``size`` if given; it must be broadcast-compatible), dtype int64 for
  discrete distributions and float64 otherwise.

Room is left for derivative rules (partials with respect to the variate and
each parameter): they will become further fields of :class:`Distribution`
with defaults, so existing rows keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special as sp

__all__ = ["Arg", "Distribution", "SUPPORTS", "DISTRIBUTIONS", "lookup"]


@dataclass(frozen=True)
class Arg:
    name: str  # Stan's argument name, e.g. "sigma"
    kind: str  # "reals" or "ints" (see the module docstring)
    support: str  # key into SUPPORTS: the validity check Stan applies


@dataclass(frozen=True)
class Distribution:
    name: str  # "normal"
    discrete: bool  # True -> _lpmf / variate kind "ints"; False -> _lpdf
    variate: Arg
    params: tuple[Arg, ...]
    logpdf: Callable  # logpdf(y, *params) -> elementwise log density
    rng: Callable  # rng(gen, *params, size=None) -> draws
    # Future fields (derivative rules) go here, with defaults.


# --------------------------------------------------------------------------
# Argument checks.  Each maps an array to an elementwise bool "valid" array;
# NaN is invalid for every check except "any".  The names follow Stan Math's
# check_* functions.
# --------------------------------------------------------------------------


def _f(x):
    return np.asarray(x, dtype=np.float64)


def _is_int(x):
    return np.isfinite(x) & (np.floor(x) == x)


SUPPORTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    # check_not_nan: anything but NaN (+-inf allowed).
    "not_nan": lambda x: ~np.isnan(_f(x)),
    # check_finite: not NaN, not +-inf.
    "finite": lambda x: np.isfinite(_f(x)),
    # check_positive_finite: 0 < x < inf.
    "positive_finite": lambda x: np.isfinite(_f(x)) & (_f(x) > 0),
    # check_nonnegative: 0 <= x (+inf allowed, NaN not).
    "nonnegative": lambda x: _f(x) >= 0,
    # check_bounded(x, 0, 1): 0 <= x <= 1 (probabilities, beta variates).
    "unit_interval": lambda x: (_f(x) >= 0) & (_f(x) <= 1),
    # check_bounded(n, 0, 1) on an int: n in {0, 1}.
    "binary": lambda x: (_f(x) == 0) | (_f(x) == 1),
    # check_nonnegative on an int (counts, population sizes): 0, 1, 2, ...
    "nonnegative_int": lambda x: _is_int(_f(x)) & (_f(x) >= 0),
}


# --------------------------------------------------------------------------
# Log densities.  Arguments arrive broadcast; _elementwise converts them to
# float64 and silences the floating-point warnings of branches that np.where
# discards.
# --------------------------------------------------------------------------

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_LOG_PI = np.log(np.pi)
_LOG2 = np.log(2.0)
_NEG_INF = -np.inf


def _elementwise(fn):
    def wrapped(*args):
        with np.errstate(all="ignore"):
            out = fn(*(_f(a) for a in args))
        return np.asarray(out, dtype=np.float64)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def _log1p_square(z):
    """log(1 + z**2) without overflow for huge |z|."""
    a = np.abs(z)
    return np.where(a < 1e150, np.log1p(a * a), 2.0 * np.log(a))


def _stirling_diff(x):
    """lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)], for x > 0."""
    big = x >= 10.0
    xb = np.where(big, x, 10.0)
    r = 1.0 / (xb * xb)
    series = (1.0 / 12 - r * (1.0 / 360 - r * (1.0 / 1260 - r * (1.0 / 1680 - r / 1188)))) / xb
    xs = np.where(big, 1.0, x)
    direct = sp.gammaln(xs) - ((xs - 0.5) * np.log(xs) - xs + _LOG_SQRT_2PI)
    return np.where(big, series, direct)


def _log_choose(N, n):
    """log(N choose n) for 0 <= n <= N (Stan's binomial_coefficient_log)."""
    return -np.log1p(N) - sp.betaln(N - n + 1.0, n + 1.0)


@_elementwise
def _normal(y, mu, sigma):
    z = (y - mu) / sigma
    return -0.5 * z * z - np.log(sigma) - _LOG_SQRT_2PI


@_elementwise
def _std_normal(y):
    return -0.5 * y * y - _LOG_SQRT_2PI


@_elementwise
def _student_t(y, nu, mu, sigma):
    z = (y - mu) / sigma
    # log1p(z^2 / nu) = log1p((z / sqrt(nu))^2), overflow-safe.
    return (sp.gammaln(0.5 * (nu + 1.0)) - sp.gammaln(0.5 * nu)
            - 0.5 * (np.log(nu) + _LOG_PI) - np.log(sigma)
            - 0.5 * (nu + 1.0) * _log1p_square(z / np.sqrt(nu)))


@_elementwise
def _cauchy(y, mu, sigma):
    return -_LOG_PI - np.log(sigma) - _log1p_square((y - mu) / sigma)


@_elementwise
def _double_exponential(y, mu, sigma):
    return -_LOG2 - np.log(sigma) - np.abs(y - mu) / sigma


@_elementwise
def _logistic(y, mu, sigma):
    z = (y - mu) / sigma
    # density = expit(z) * expit(-z) / sigma
    return sp.log_expit(z) + sp.log_expit(-z) - np.log(sigma)


@_elementwise
def _lognormal(y, mu, sigma):
    logy = np.log(y)
    z = (logy - mu) / sigma
    val = -0.5 * z * z - np.log(sigma) - logy - _LOG_SQRT_2PI
    # y == 0 passes Stan's nonnegative check but Stan returns LOG_ZERO.
    return np.where(y > 0, val, _NEG_INF)


@_elementwise
def _exponential(y, beta):
    return np.log(beta) - beta * y


@_elementwise
def _gamma(y, alpha, beta):
    return (sp.xlogy(alpha, beta) - sp.gammaln(alpha)
            + sp.xlogy(alpha - 1.0, y) - beta * y)


@_elementwise
def _inv_gamma(y, alpha, beta):
    val = (alpha * np.log(beta) - sp.gammaln(alpha)
           - (alpha + 1.0) * np.log(y) - beta / y)
    # y <= 0 passes Stan's not-NaN check but Stan returns LOG_ZERO.
    return np.where(y > 0, val, _NEG_INF)


@_elementwise
def _weibull(y, alpha, sigma):
    u = y / sigma
    val = np.log(alpha) - np.log(sigma) + sp.xlogy(alpha - 1.0, u) - u ** alpha
    # y < 0 passes Stan's finite check but Stan returns LOG_ZERO.
    return np.where(y >= 0, val, _NEG_INF)


@_elementwise
def _beta(y, alpha, beta):
    return (sp.xlogy(alpha - 1.0, y) + sp.xlog1py(beta - 1.0, -y)
            - sp.betaln(alpha, beta))


@_elementwise
def _uniform(y, alpha, beta):
    # Cross checks: beta > alpha (Stan: domain error) and alpha <= y <= beta
    # (Stan: LOG_ZERO) both give -inf here.
    ok = (beta > alpha) & (y >= alpha) & (y <= beta)
    return np.where(ok, -np.log(beta - alpha), _NEG_INF)


@_elementwise
def _bernoulli(n, theta):
    return np.where(n == 1, np.log(theta), np.log1p(-theta))


@_elementwise
def _bernoulli_logit(n, alpha):
    # log inv_logit(+-alpha), stable for any |alpha| (incl. +-inf).
    return sp.log_expit((2.0 * n - 1.0) * alpha)


@_elementwise
def _binomial(n, N, theta):
    # Cross check 0 <= n <= N (Stan: domain error) gives -inf here.
    ok = (n >= 0) & (n <= N)
    m = np.where(ok, n, 0.0)
    val = _log_choose(N, m) + sp.xlogy(m, theta) + sp.xlog1py(N - m, -theta)
    return np.where(ok, val, _NEG_INF)


@_elementwise
def _binomial_logit(n, N, alpha):
    # Cross check 0 <= n <= N (Stan: domain error) gives -inf here.
    ok = (n >= 0) & (n <= N)
    m = np.where(ok, n, 0.0)
    val = (_log_choose(N, m) + m * sp.log_expit(alpha)
           + (N - m) * sp.log_expit(-alpha))
    return np.where(ok, val, _NEG_INF)


@_elementwise
def _poisson(n, lam):
    val = sp.xlogy(n, lam) - lam - sp.gammaln(n + 1.0)
    # lambda == inf passes Stan's nonnegative check; Stan returns LOG_ZERO.
    # lambda == 0 gives log 1 = 0 at n == 0 and -inf otherwise (xlogy).
    return np.where(np.isinf(lam), _NEG_INF, val)


@_elementwise
def _poisson_log(n, alpha):
    # exp(alpha) overflows to inf for alpha > ~709: the true value is then
    # below -1e308, so -inf is its correct rounding.
    val = n * alpha - np.exp(alpha) - sp.gammaln(n + 1.0)
    # alpha == +inf: Stan returns LOG_ZERO.  alpha == -inf: the rate is 0, so
    # log 1 = 0 at n == 0 (Stan computes 0 * -inf = NaN there) and LOG_ZERO
    # otherwise.
    val = np.where(alpha == np.inf, _NEG_INF, val)
    return np.where(alpha == -np.inf, np.where(n == 0, 0.0, _NEG_INF), val)


@_elementwise
def _neg_binomial_2(n, mu, phi):
    # log p = lgamma(n+phi) - lgamma(n+1) - lgamma(phi)
    #         + n log(mu/(mu+phi)) + phi log(phi/(mu+phi)).
    # lgamma(n+phi) - lgamma(phi) is rewritten with Stirling's formula so that
    # the O(phi log phi) terms cancel analytically; every remaining term is
    # O(n) or O(mu), which keeps the result accurate as phi -> inf (the
    # Poisson limit) instead of losing all digits to cancellation.
    val = (-sp.gammaln(n + 1.0) + sp.xlogy(n, mu)
           + sp.xlog1py(n, (n - mu) / (mu + phi))   # n log((n+phi)/(mu+phi))
           + (phi - 0.5) * np.log1p(n / phi)
           - phi * np.log1p(mu / phi) - n
           + _stirling_diff(n + phi) - _stirling_diff(phi))
    return val


# --------------------------------------------------------------------------
# Random number generators.
# --------------------------------------------------------------------------


def _shape(params, size):
    shape = np.broadcast_shapes(*(np.shape(p) for p in params))
    return shape if size is None else np.broadcast_shapes(shape, size)


def _rng(draw, discrete=False):
    """Wrap draw(gen, shape, *float64 params) into rng(gen, *params, size=None)."""
    def rng(gen, *params, size=None):
        ps = [_f(p) for p in params]
        shape = _shape(ps, size)
        ps = [np.broadcast_to(p, shape) for p in ps]
        out = draw(gen, shape, *ps)
        return np.asarray(out, dtype=np.int64 if discrete else np.float64)
    return rng


def _n(x):
    return np.asarray(x).astype(np.int64)


def _neg_binomial_2_draw(gen, s, mu, phi):
    return gen.poisson(gen.gamma(phi, mu / phi, s))  # gamma-Poisson mixture


# --------------------------------------------------------------------------
# The table.
# --------------------------------------------------------------------------

def _r(name, support):
    return Arg(name, "reals", support)


def _i(name, support):
    return Arg(name, "ints", support)


_Y_ANY = _r("y", "not_nan")
_MU = _r("mu", "finite")
_SIGMA = _r("sigma", "positive_finite")

_ROWS = [
    Distribution("normal", False, _Y_ANY, (_MU, _SIGMA), _normal,
                 _rng(lambda g, s, mu, sigma: g.normal(mu, sigma, s))),
    Distribution("std_normal", False, _Y_ANY, (), _std_normal,
                 _rng(lambda g, s: g.standard_normal(s))),
    Distribution("student_t", False, _Y_ANY,
                 (_r("nu", "positive_finite"), _MU, _SIGMA), _student_t,
                 _rng(lambda g, s, nu, mu, sigma:
                      mu + sigma * g.standard_t(nu, s))),
    Distribution("cauchy", False, _Y_ANY, (_MU, _SIGMA), _cauchy,
                 _rng(lambda g, s, mu, sigma:
                      mu + sigma * g.standard_cauchy(s))),
    Distribution("double_exponential", False, _r("y", "finite"),
                 (_MU, _SIGMA), _double_exponential,
                 _rng(lambda g, s, mu, sigma: g.laplace(mu, sigma, s))),
    Distribution("logistic", False, _r("y", "finite"), (_MU, _SIGMA),
                 _logistic,
                 _rng(lambda g, s, mu, sigma: g.logistic(mu, sigma, s))),
    Distribution("lognormal", False, _r("y", "nonnegative"), (_MU, _SIGMA),
                 _lognormal,
                 _rng(lambda g, s, mu, sigma: g.lognormal(mu, sigma, s))),
    Distribution("exponential", False, _r("y", "nonnegative"),
                 (_r("beta", "positive_finite"),), _exponential,
                 _rng(lambda g, s, beta: g.exponential(1.0 / beta, s))),
    Distribution("gamma", False, _r("y", "positive_finite"),
                 (_r("alpha", "positive_finite"), _r("beta", "positive_finite")),
                 _gamma,
                 _rng(lambda g, s, a, b: g.gamma(a, 1.0 / b, s))),
    Distribution("inv_gamma", False, _Y_ANY,
                 (_r("alpha", "positive_finite"), _r("beta", "positive_finite")),
                 _inv_gamma,
                 _rng(lambda g, s, a, b: 1.0 / g.gamma(a, 1.0 / b, s))),
    Distribution("weibull", False, _r("y", "finite"),
                 (_r("alpha", "positive_finite"), _SIGMA), _weibull,
                 _rng(lambda g, s, a, sigma: sigma * g.weibull(a, s))),
    Distribution("beta", False, _r("theta", "unit_interval"),
                 (_r("alpha", "positive_finite"), _r("beta", "positive_finite")),
                 _beta,
                 _rng(lambda g, s, a, b: g.beta(a, b, s))),
    Distribution("uniform", False, _Y_ANY,
                 (_r("alpha", "finite"), _r("beta", "finite")), _uniform,
                 _rng(lambda g, s, a, b: g.uniform(a, b, s))),
    Distribution("bernoulli", True, _i("y", "binary"),
                 (_r("theta", "unit_interval"),), _bernoulli,
                 _rng(lambda g, s, theta: g.binomial(1, theta, s), True)),
    Distribution("bernoulli_logit", True, _i("y", "binary"),
                 (_r("alpha", "not_nan"),), _bernoulli_logit,
                 _rng(lambda g, s, a: g.binomial(1, sp.expit(a), s), True)),
    Distribution("binomial", True, _i("n", "nonnegative_int"),
                 (_i("N", "nonnegative_int"), _r("theta", "unit_interval")),
                 _binomial,
                 _rng(lambda g, s, N, theta: g.binomial(_n(N), theta, s), True)),
    Distribution("binomial_logit", True, _i("n", "nonnegative_int"),
                 (_i("N", "nonnegative_int"), _r("alpha", "finite")),
                 _binomial_logit,
                 _rng(lambda g, s, N, a: g.binomial(_n(N), sp.expit(a), s),
                      True)),
    Distribution("poisson", True, _i("n", "nonnegative_int"),
                 (_r("lambda", "nonnegative"),), _poisson,
                 _rng(lambda g, s, lam: g.poisson(lam, s), True)),
    Distribution("poisson_log", True, _i("n", "nonnegative_int"),
                 (_r("alpha", "not_nan"),), _poisson_log,
                 _rng(lambda g, s, a: g.poisson(np.exp(a), s), True)),
    Distribution("neg_binomial_2", True, _i("n", "nonnegative_int"),
                 (_r("mu", "positive_finite"), _r("phi", "positive_finite")),
                 _neg_binomial_2, _rng(_neg_binomial_2_draw, True)),
]

DISTRIBUTIONS: dict[str, Distribution] = {d.name: d for d in _ROWS}

_SUFFIXES = {
    "lpdf": False, "lupdf": False,  # continuous only
    "lpmf": True, "lupmf": True,  # discrete only
    "rng": None,  # either
}


def lookup(name: str) -> Distribution | None:
    """The distribution a Stan name refers to, or None.

    Accepts the bare name ("normal") and the suffixed function names
    ("normal_lpdf", "normal_lupdf", "poisson_lpmf", "poisson_lupmf",
    "normal_rng"); a suffix of the wrong kind ("normal_lpmf") gives None.
    """
    if name in DISTRIBUTIONS:
        return DISTRIBUTIONS[name]
    base, _, suffix = name.rpartition("_")
    dist = DISTRIBUTIONS.get(base)
    if dist is None or suffix not in _SUFFIXES:
        return None
    want = _SUFFIXES[suffix]
    if want is not None and want != dist.discrete:
        return None
    return dist
