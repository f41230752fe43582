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

Derivative rules (for reverse-mode AD) sit next to each log density:

* ``grad`` holds one entry per argument in the order ``(variate, *params)``:
  ``partial(y, *params) -> ndarray``, the *elementwise* partial derivative of
  ``logpdf(y, *params)`` with respect to that argument, with the calling
  convention of ``logpdf`` (broadcast arguments, float64 conversion, floating
  point warnings silenced, no validation).  The entry is ``None`` for
  arguments that are integers by nature (the variate of a discrete
  distribution, binomial's ``N``): they are never differentiated.
  :func:`log_density_partials` evaluates all of them.
* The partials are meaningful where ``logpdf`` is finite.  Where ``logpdf``
  itself returns ``-inf`` (cross-check failures and ``LOG_ZERO`` cases, see
  above) they are 0; where a per-argument support check fails they are
  unspecified (the caller rejects the draw anyway).
* At a kink the derivative does not exist and a fixed choice is made:
  ``double_exponential`` at ``y == mu`` uses ``sign(0) = 0`` (a subgradient;
  Stan Math also differentiates ``|y - mu|`` through ``sign``).  At the edges
  of a support one-sided limits are used (e.g. Poisson ``lambda == 0`` with
  ``n == 0`` gives ``-1``; a ``0 * log(0)`` term contributes 0).
* The partials are computed stably: expit-style forms for the logit
  parameterisations (``alpha = +-800`` is fine) and cancellation-free forms
  for ``student_t``'s ``d/dnu`` and ``neg_binomial_2``'s ``d/dphi`` at large
  ``nu`` / ``phi`` (both tend to 0 as the distribution tends to its normal /
  Poisson limit, as ``O(1/nu**2)`` / ``O(1/phi**2)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special as sp

__all__ = ["Arg", "Distribution", "SUPPORTS", "DISTRIBUTIONS", "lookup",
           "log_density_partials"]


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
    # grad[i](y, *params) -> elementwise d logpdf / d (variate, *params)[i];
    # None for integer arguments (see the module docstring).
    grad: tuple[Callable | None, ...] = ()

    def __post_init__(self):
        if self.grad and len(self.grad) != 1 + len(self.params):
            raise ValueError(f"{self.name}: grad needs one entry per argument")


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


# Helpers for the partials.

def _stirling_diff_deriv(x):
    """d/dx _stirling_diff(x) = digamma(x) - log x + 1/(2x), for x > 0.

    O(1/x**2) for large x, where the asymptotic series is used, so that
    differences of digammas at large arguments can be formed without
    cancellation.
    """
    big = x >= 10.0
    xb = np.where(big, x, 10.0)
    r = 1.0 / (xb * xb)
    # -sum_k B_2k / (2k x^2k), k = 1..7; the next term is < 5e-17 / x^2 at x=10.
    series = -r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (
        1.0 / 240 - r * (1.0 / 132 - r * (691.0 / 32760 - r / 12))))))
    xs = np.where(big, 1.0, x)
    direct = sp.digamma(xs) - np.log(xs) + 0.5 / xs
    return np.where(big, series, direct)


def _log1p_minus(t):
    """log1p(t) - t for t > -1, accurate also for small |t| (~ -t**2/2)."""
    small = np.abs(t) < 0.1
    ts = np.where(small, t, 0.0)
    # log1p(t) - t = sum_{k>=2} (-1)^(k+1) t^k / k; 20 terms suffice at |t| < 0.1.
    acc = np.zeros_like(ts)
    for k in range(21, 1, -1):
        acc = (1.0 if k % 2 else -1.0) / k + ts * acc
    series = ts * ts * acc
    return np.where(small, series, np.log1p(t) - t)


def _log1p_minus_ratio(log1p_a, s):
    """log1p(a) - a/(1+a) for a >= 0, given log1p(a) and s = a/(1+a).

    ~ a**2/2 for small a; computed as -(log1p(-s) + s) there.
    """
    return np.where(s < 0.1, -_log1p_minus(-np.minimum(s, 0.1)), log1p_a - s)


def _sq_ratio(w):
    """w**2 / (1 + w**2), overflow-free."""
    big = np.abs(w) > 1.0
    wi = 1.0 / np.where(big, w, 1.0)
    return np.where(big, 1.0 / (1.0 + wi * wi), w * w / (1.0 + w * w))


def _t_ratio(z, nu):
    """z / (nu + z**2), overflow-free (nu > 0)."""
    big = np.abs(z) > 1.0
    zb = np.where(big, z, 1.0)
    return np.where(big, 1.0 / (zb + nu / zb), z / (nu + z * z))


def _t_ratio2(z, nu):
    """(z**2 - 1) / (nu + z**2), overflow-free and accurate near |z| = 1."""
    big = np.abs(z) > 1.0
    u = 1.0 / np.where(big, z, 1.0)
    return np.where(big, (1.0 - u) * (1.0 + u) / (nu * u * u + 1.0),
                    (z - 1.0) * (z + 1.0) / (nu + z * z))


def _xdivy(x, y):
    """x / y with 0 where x == 0 (a 0 * log(0) term differentiates to 0)."""
    return np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y))


@_elementwise
def _normal(y, mu, sigma):
    z = (y - mu) / sigma
    return -0.5 * z * z - np.log(sigma) - _LOG_SQRT_2PI



@_elementwise
def _normal_dy(y, mu, sigma):
    return -(y - mu) / sigma / sigma


@_elementwise
def _normal_dmu(y, mu, sigma):
    return (y - mu) / sigma / sigma


@_elementwise
def _normal_dsigma(y, mu, sigma):
    z = (y - mu) / sigma
    return (z - 1.0) * (z + 1.0) / sigma


@_elementwise
def _std_normal(y):
    return -0.5 * y * y - _LOG_SQRT_2PI



@_elementwise
def _std_normal_dy(y):
    return -y


@_elementwise
def _student_t(y, nu, mu, sigma):
    z = (y - mu) / sigma
    # log1p(z^2 / nu) = log1p((z / sqrt(nu))^2), overflow-safe.
    return (sp.gammaln(0.5 * (nu + 1.0)) - sp.gammaln(0.5 * nu)
            - 0.5 * (np.log(nu) + _LOG_PI) - np.log(sigma)
            - 0.5 * (nu + 1.0) * _log1p_square(z / np.sqrt(nu)))



@_elementwise
def _student_t_dy(y, nu, mu, sigma):
    # -(nu+1) z / (sigma (nu + z^2))
    return -(nu + 1.0) * _t_ratio((y - mu) / sigma, nu) / sigma


@_elementwise
def _student_t_dnu(y, nu, mu, sigma):
    # With w = z / sqrt(nu), a = w^2, s = a / (1 + a):
    #   d/dnu = 1/2 [psi((nu+1)/2) - psi(nu/2) - 1/nu
    #                - (log1p(a) - s) + s / nu].
    # Every bracketed group is O(1/nu^2) as nu -> inf (the normal limit) and
    # is computed without cancellation: psi(x) = log x - 1/(2x) + S'(x) gives
    #   psi((nu+1)/2) - psi(nu/2) - 1/nu
    #     = log1p(1/nu) - 1/(nu+1) + S'((nu+1)/2) - S'(nu/2).
    w = (y - mu) / sigma / np.sqrt(nu)
    s = _sq_ratio(w)
    ds = _stirling_diff_deriv(0.5 * (nu + 1.0)) - _stirling_diff_deriv(0.5 * nu)
    dpsi = _log1p_minus_ratio(np.log1p(1.0 / nu), 1.0 / (nu + 1.0)) + ds
    return 0.5 * (dpsi - _log1p_minus_ratio(_log1p_square(w), s) + s / nu)


@_elementwise
def _student_t_dmu(y, nu, mu, sigma):
    return (nu + 1.0) * _t_ratio((y - mu) / sigma, nu) / sigma


@_elementwise
def _student_t_dsigma(y, nu, mu, sigma):
    # nu (z^2 - 1) / (sigma (nu + z^2))
    return nu * _t_ratio2((y - mu) / sigma, nu) / sigma


@_elementwise
def _cauchy(y, mu, sigma):
    return -_LOG_PI - np.log(sigma) - _log1p_square((y - mu) / sigma)



@_elementwise
def _cauchy_dy(y, mu, sigma):
    return -2.0 * _t_ratio((y - mu) / sigma, 1.0) / sigma


@_elementwise
def _cauchy_dmu(y, mu, sigma):
    return 2.0 * _t_ratio((y - mu) / sigma, 1.0) / sigma


@_elementwise
def _cauchy_dsigma(y, mu, sigma):
    return _t_ratio2((y - mu) / sigma, 1.0) / sigma


@_elementwise
def _double_exponential(y, mu, sigma):
    return -_LOG2 - np.log(sigma) - np.abs(y - mu) / sigma



# |y - mu| has a kink at y == mu: sign(0) = 0 is used there (see the module
# docstring), so d/dy = d/dmu = 0 at y == mu.

@_elementwise
def _double_exponential_dy(y, mu, sigma):
    return -np.sign(y - mu) / sigma


@_elementwise
def _double_exponential_dmu(y, mu, sigma):
    return np.sign(y - mu) / sigma


@_elementwise
def _double_exponential_dsigma(y, mu, sigma):
    return (np.abs(y - mu) / sigma - 1.0) / sigma


@_elementwise
def _logistic(y, mu, sigma):
    z = (y - mu) / sigma
    # density = expit(z) * expit(-z) / sigma
    return sp.log_expit(z) + sp.log_expit(-z) - np.log(sigma)



# d/dz [log_expit(z) + log_expit(-z)] = expit(-z) - expit(z) = -tanh(z/2).

@_elementwise
def _logistic_dy(y, mu, sigma):
    return -np.tanh(0.5 * (y - mu) / sigma) / sigma


@_elementwise
def _logistic_dmu(y, mu, sigma):
    return np.tanh(0.5 * (y - mu) / sigma) / sigma


@_elementwise
def _logistic_dsigma(y, mu, sigma):
    z = (y - mu) / sigma
    return (z * np.tanh(0.5 * z) - 1.0) / sigma


@_elementwise
def _lognormal(y, mu, sigma):
    logy = np.log(y)
    z = (logy - mu) / sigma
    val = -0.5 * z * z - np.log(sigma) - logy - _LOG_SQRT_2PI
    # y == 0 passes Stan's nonnegative check but Stan returns LOG_ZERO.
    return np.where(y > 0, val, _NEG_INF)



@_elementwise
def _lognormal_dy(y, mu, sigma):
    z = (np.log(y) - mu) / sigma
    return np.where(y > 0, -(z / sigma + 1.0) / y, 0.0)  # y == 0: LOG_ZERO


@_elementwise
def _lognormal_dmu(y, mu, sigma):
    z = (np.log(y) - mu) / sigma
    return np.where(y > 0, z / sigma, 0.0)


@_elementwise
def _lognormal_dsigma(y, mu, sigma):
    z = (np.log(y) - mu) / sigma
    return np.where(y > 0, (z - 1.0) * (z + 1.0) / sigma, 0.0)


@_elementwise
def _exponential(y, beta):
    return np.log(beta) - beta * y



@_elementwise
def _exponential_dy(y, beta):
    return -beta


@_elementwise
def _exponential_dbeta(y, beta):
    return 1.0 / beta - y


@_elementwise
def _gamma(y, alpha, beta):
    return (sp.xlogy(alpha, beta) - sp.gammaln(alpha)
            + sp.xlogy(alpha - 1.0, y) - beta * y)



@_elementwise
def _gamma_dy(y, alpha, beta):
    return _xdivy(alpha - 1.0, y) - beta


@_elementwise
def _gamma_dalpha(y, alpha, beta):
    return np.log(beta) + np.log(y) - sp.digamma(alpha)


@_elementwise
def _gamma_dbeta(y, alpha, beta):
    return alpha / beta - y


@_elementwise
def _inv_gamma(y, alpha, beta):
    val = (alpha * np.log(beta) - sp.gammaln(alpha)
           - (alpha + 1.0) * np.log(y) - beta / y)
    # y <= 0 passes Stan's not-NaN check but Stan returns LOG_ZERO.
    return np.where(y > 0, val, _NEG_INF)



@_elementwise
def _inv_gamma_dy(y, alpha, beta):
    return np.where(y > 0, (beta / y - (alpha + 1.0)) / y, 0.0)  # y <= 0: LOG_ZERO


@_elementwise
def _inv_gamma_dalpha(y, alpha, beta):
    return np.where(y > 0, np.log(beta) - np.log(y) - sp.digamma(alpha), 0.0)


@_elementwise
def _inv_gamma_dbeta(y, alpha, beta):
    return np.where(y > 0, alpha / beta - 1.0 / y, 0.0)


@_elementwise
def _weibull(y, alpha, sigma):
    u = y / sigma
    val = np.log(alpha) - np.log(sigma) + sp.xlogy(alpha - 1.0, u) - u ** alpha
    # y < 0 passes Stan's finite check but Stan returns LOG_ZERO.
    return np.where(y >= 0, val, _NEG_INF)



# With u = y / sigma and u^alpha - 1 = expm1(alpha log u) (accurate near u = 1):

@_elementwise
def _weibull_dy(y, alpha, sigma):
    u = y / sigma
    val = _xdivy(alpha - 1.0, y) - alpha / sigma * u ** (alpha - 1.0)
    return np.where(y >= 0, val, 0.0)  # y < 0: LOG_ZERO


@_elementwise
def _weibull_dalpha(y, alpha, sigma):
    logu = np.log(y / sigma)
    val = 1.0 / alpha - logu * np.expm1(alpha * logu)
    return np.where(y >= 0, val, 0.0)


@_elementwise
def _weibull_dsigma(y, alpha, sigma):
    val = alpha / sigma * np.expm1(alpha * np.log(y / sigma))
    return np.where(y >= 0, val, 0.0)


@_elementwise
def _beta(y, alpha, beta):
    return (sp.xlogy(alpha - 1.0, y) + sp.xlog1py(beta - 1.0, -y)
            - sp.betaln(alpha, beta))



@_elementwise
def _beta_dy(y, alpha, beta):
    return _xdivy(alpha - 1.0, y) - _xdivy(beta - 1.0, 1.0 - y)


@_elementwise
def _beta_dalpha(y, alpha, beta):
    return np.log(y) - sp.digamma(alpha) + sp.digamma(alpha + beta)


@_elementwise
def _beta_dbeta(y, alpha, beta):
    return np.log1p(-y) - sp.digamma(beta) + sp.digamma(alpha + beta)


@_elementwise
def _uniform(y, alpha, beta):
    # Cross checks: beta > alpha (Stan: domain error) and alpha <= y <= beta
    # (Stan: LOG_ZERO) both give -inf here.
    ok = (beta > alpha) & (y >= alpha) & (y <= beta)
    return np.where(ok, -np.log(beta - alpha), _NEG_INF)



def _uniform_ok(y, alpha, beta):
    return (beta > alpha) & (y >= alpha) & (y <= beta)


@_elementwise
def _uniform_dy(y, alpha, beta):
    return np.zeros_like(y)


@_elementwise
def _uniform_dalpha(y, alpha, beta):
    return np.where(_uniform_ok(y, alpha, beta), 1.0 / (beta - alpha), 0.0)


@_elementwise
def _uniform_dbeta(y, alpha, beta):
    return np.where(_uniform_ok(y, alpha, beta), -1.0 / (beta - alpha), 0.0)


@_elementwise
def _bernoulli(n, theta):
    return np.where(n == 1, np.log(theta), np.log1p(-theta))



@_elementwise
def _bernoulli_dtheta(n, theta):
    return np.where(n == 1, 1.0 / theta, -1.0 / (1.0 - theta))


@_elementwise
def _bernoulli_logit(n, alpha):
    # log inv_logit(+-alpha), stable for any |alpha| (incl. +-inf).
    return sp.log_expit((2.0 * n - 1.0) * alpha)



@_elementwise
def _bernoulli_logit_dalpha(n, alpha):
    # n - inv_logit(alpha) = s * inv_logit(-s alpha) with s = 2n - 1: no
    # cancellation (the tiny value at n = 1, alpha = 700 is kept).
    s = 2.0 * n - 1.0
    return s * sp.expit(-s * alpha)


@_elementwise
def _binomial(n, N, theta):
    # Cross check 0 <= n <= N (Stan: domain error) gives -inf here.
    ok = (n >= 0) & (n <= N)
    m = np.where(ok, n, 0.0)
    val = _log_choose(N, m) + sp.xlogy(m, theta) + sp.xlog1py(N - m, -theta)
    return np.where(ok, val, _NEG_INF)



@_elementwise
def _binomial_dtheta(n, N, theta):
    ok = (n >= 0) & (n <= N)
    val = _xdivy(n, theta) - _xdivy(N - n, 1.0 - theta)
    return np.where(ok, val, 0.0)  # cross-check failure


@_elementwise
def _binomial_logit(n, N, alpha):
    # Cross check 0 <= n <= N (Stan: domain error) gives -inf here.
    ok = (n >= 0) & (n <= N)
    m = np.where(ok, n, 0.0)
    val = (_log_choose(N, m) + m * sp.log_expit(alpha)
           + (N - m) * sp.log_expit(-alpha))
    return np.where(ok, val, _NEG_INF)



@_elementwise
def _binomial_logit_dalpha(n, N, alpha):
    # n - N inv_logit(alpha), as n inv_logit(-alpha) - (N-n) inv_logit(alpha).
    ok = (n >= 0) & (n <= N)
    val = n * sp.expit(-alpha) - (N - n) * sp.expit(alpha)
    return np.where(ok, val, 0.0)  # cross-check failure


@_elementwise
def _poisson(n, lam):
    val = sp.xlogy(n, lam) - lam - sp.gammaln(n + 1.0)
    # lambda == inf passes Stan's nonnegative check; Stan returns LOG_ZERO.
    # lambda == 0 gives log 1 = 0 at n == 0 and -inf otherwise (xlogy).
    return np.where(np.isinf(lam), _NEG_INF, val)



@_elementwise
def _poisson_dlambda(n, lam):
    # n / lambda - 1; at n == 0 it is -1 also for lambda == 0 (one-sided).
    val = _xdivy(n, lam) - 1.0
    return np.where(np.isinf(lam), 0.0, val)  # lambda == inf: LOG_ZERO


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
def _poisson_log_dalpha(n, alpha):
    # n - exp(alpha); alpha == -inf gives n (0 at n == 0, where the value is
    # the finite log 1); alpha == +inf: LOG_ZERO.
    return np.where(alpha == np.inf, 0.0, n - np.exp(alpha))


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



@_elementwise
def _neg_binomial_2_dmu(n, mu, phi):
    # n/mu - (n+phi)/(mu+phi) = (n/mu - 1) / (1 + mu/phi)
    return (n / mu - 1.0) / (1.0 + mu / phi)


@_elementwise
def _neg_binomial_2_dphi(n, mu, phi):
    # d/dphi = psi(n+phi) - psi(phi) - log1p(mu/phi) + (mu-n)/(mu+phi).
    # As phi -> inf the three terms are O(n/phi) but the sum is
    # (n - (n-mu)^2) / (2 phi^2) + O(phi^-3).  With
    # psi(x) = log x - 1/(2x) + S'(x) and t = (n-mu)/(mu+phi) this is
    #   [log1p(t) - t] + n/(2 phi (n+phi)) + [S'(n+phi) - S'(phi)],
    # each term computed without cancellation (S' ~ -1/(12x^2)).
    # For |t| >= 0.1, log1p(t) is formed as log((n+phi)/(mu+phi)): 1 + t
    # would lose the digits of a tiny phi / (mu+phi) at n == 0.
    t = (n - mu) / (mu + phi)
    log1p_minus_t = np.where(np.abs(t) < 0.1, _log1p_minus(t),
                             np.log((n + phi) / (mu + phi)) - t)
    ds = _stirling_diff_deriv(n + phi) - _stirling_diff_deriv(phi)  # first!
    return log1p_minus_t + 0.5 * n / (phi * (n + phi)) + ds


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
                 _rng(lambda g, s, mu, sigma: g.normal(mu, sigma, s)),
                 grad=(_normal_dy, _normal_dmu, _normal_dsigma)),
    Distribution("std_normal", False, _Y_ANY, (), _std_normal,
                 _rng(lambda g, s: g.standard_normal(s)),
                 grad=(_std_normal_dy,)),
    Distribution("student_t", False, _Y_ANY,
                 (_r("nu", "positive_finite"), _MU, _SIGMA), _student_t,
                 _rng(lambda g, s, nu, mu, sigma:
                      mu + sigma * g.standard_t(nu, s)),
                 grad=(_student_t_dy, _student_t_dnu, _student_t_dmu,
                       _student_t_dsigma)),
    Distribution("cauchy", False, _Y_ANY, (_MU, _SIGMA), _cauchy,
                 _rng(lambda g, s, mu, sigma:
                      mu + sigma * g.standard_cauchy(s)),
                 grad=(_cauchy_dy, _cauchy_dmu, _cauchy_dsigma)),
    Distribution("double_exponential", False, _r("y", "finite"),
                 (_MU, _SIGMA), _double_exponential,
                 _rng(lambda g, s, mu, sigma: g.laplace(mu, sigma, s)),
                 grad=(_double_exponential_dy, _double_exponential_dmu,
                       _double_exponential_dsigma)),
    Distribution("logistic", False, _r("y", "finite"), (_MU, _SIGMA),
                 _logistic,
                 _rng(lambda g, s, mu, sigma: g.logistic(mu, sigma, s)),
                 grad=(_logistic_dy, _logistic_dmu, _logistic_dsigma)),
    Distribution("lognormal", False, _r("y", "nonnegative"), (_MU, _SIGMA),
                 _lognormal,
                 _rng(lambda g, s, mu, sigma: g.lognormal(mu, sigma, s)),
                 grad=(_lognormal_dy, _lognormal_dmu, _lognormal_dsigma)),
    Distribution("exponential", False, _r("y", "nonnegative"),
                 (_r("beta", "positive_finite"),), _exponential,
                 _rng(lambda g, s, beta: g.exponential(1.0 / beta, s)),
                 grad=(_exponential_dy, _exponential_dbeta)),
    Distribution("gamma", False, _r("y", "positive_finite"),
                 (_r("alpha", "positive_finite"), _r("beta", "positive_finite")),
                 _gamma,
                 _rng(lambda g, s, a, b: g.gamma(a, 1.0 / b, s)),
                 grad=(_gamma_dy, _gamma_dalpha, _gamma_dbeta)),
    Distribution("inv_gamma", False, _Y_ANY,
                 (_r("alpha", "positive_finite"), _r("beta", "positive_finite")),
                 _inv_gamma,
                 _rng(lambda g, s, a, b: 1.0 / g.gamma(a, 1.0 / b, s)),
                 grad=(_inv_gamma_dy, _inv_gamma_dalpha, _inv_gamma_dbeta)),
    Distribution("weibull", False, _r("y", "finite"),
                 (_r("alpha", "positive_finite"), _SIGMA), _weibull,
                 _rng(lambda g, s, a, sigma: sigma * g.weibull(a, s)),
                 grad=(_weibull_dy, _weibull_dalpha, _weibull_dsigma)),
    Distribution("beta", False, _r("theta", "unit_interval"),
                 (_r("alpha", "positive_finite"), _r("beta", "positive_finite")),
                 _beta,
                 _rng(lambda g, s, a, b: g.beta(a, b, s)),
                 grad=(_beta_dy, _beta_dalpha, _beta_dbeta)),
    Distribution("uniform", False, _Y_ANY,
                 (_r("alpha", "finite"), _r("beta", "finite")), _uniform,
                 _rng(lambda g, s, a, b: g.uniform(a, b, s)),
                 grad=(_uniform_dy, _uniform_dalpha, _uniform_dbeta)),
    Distribution("bernoulli", True, _i("y", "binary"),
                 (_r("theta", "unit_interval"),), _bernoulli,
                 _rng(lambda g, s, theta: g.binomial(1, theta, s), True),
                 grad=(None, _bernoulli_dtheta)),
    Distribution("bernoulli_logit", True, _i("y", "binary"),
                 (_r("alpha", "not_nan"),), _bernoulli_logit,
                 _rng(lambda g, s, a: g.binomial(1, sp.expit(a), s), True),
                 grad=(None, _bernoulli_logit_dalpha)),
    Distribution("binomial", True, _i("n", "nonnegative_int"),
                 (_i("N", "nonnegative_int"), _r("theta", "unit_interval")),
                 _binomial,
                 _rng(lambda g, s, N, theta: g.binomial(_n(N), theta, s), True),
                 grad=(None, None, _binomial_dtheta)),
    Distribution("binomial_logit", True, _i("n", "nonnegative_int"),
                 (_i("N", "nonnegative_int"), _r("alpha", "finite")),
                 _binomial_logit,
                 _rng(lambda g, s, N, a: g.binomial(_n(N), sp.expit(a), s),
                      True),
                 grad=(None, None, _binomial_logit_dalpha)),
    Distribution("poisson", True, _i("n", "nonnegative_int"),
                 (_r("lambda", "nonnegative"),), _poisson,
                 _rng(lambda g, s, lam: g.poisson(lam, s), True),
                 grad=(None, _poisson_dlambda)),
    Distribution("poisson_log", True, _i("n", "nonnegative_int"),
                 (_r("alpha", "not_nan"),), _poisson_log,
                 _rng(lambda g, s, a: g.poisson(np.exp(a), s), True),
                 grad=(None, _poisson_log_dalpha)),
    Distribution("neg_binomial_2", True, _i("n", "nonnegative_int"),
                 (_r("mu", "positive_finite"), _r("phi", "positive_finite")),
                 _neg_binomial_2, _rng(_neg_binomial_2_draw, True),
                 grad=(None, _neg_binomial_2_dmu, _neg_binomial_2_dphi)),
]

DISTRIBUTIONS: dict[str, Distribution] = {d.name: d for d in _ROWS}

_SUFFIXES = {
    "lpdf": False, "lupdf": False,  # continuous only
    "lpmf": True, "lupmf": True,  # discrete only
    "rng": None,  # either
}


def log_density_partials(dist: Distribution, y, *params) -> list[np.ndarray | None]:
    """All partials of ``dist.logpdf(y, *params)``, elementwise.

    One entry per argument in the order ``(variate, *params)``: an array of
    the broadcast shape of the arguments, or ``None`` for integer arguments
    (see :attr:`Distribution.grad`).  The arguments are broadcast here.
    """
    args = np.broadcast_arrays(*(np.asarray(a) for a in (y, *params)))
    return [None if g is None else g(*args) for g in dist.grad]


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
