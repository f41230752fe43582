"""Cumulative distribution functions as Numba kernels, shared by both backends.

One kernel per distribution, ``<dist>_cdf(y, *params, upper, which)``:

* ``upper == 0`` gives the log CDF ``log P(Y <= y)``, ``upper == 1`` the log
  complementary CDF ``log P(Y > y)``;
* ``which == -1`` gives that value, ``which == k`` its partial derivative with
  respect to argument ``k`` of ``(y, *params)``.

They are ``numba.vectorize`` ufuncs: the numpy backend calls them on batched
arrays (stdlib.cumulative wraps them as the table's ``logpdf`` and ``grad``),
generated native code calls them on scalars or arrays (stdlib.native's
templates), so the mathematics is written once.

Numerical approach.  Values are computed in the log domain from the tail that
is small, so neither underflows nor loses digits far out in either tail: the
normal CDF through ``erfc`` and, beyond ``z = -20``, its asymptotic (Mills
ratio) series; student_t, beta, gamma and poisson through the regularised
incomplete beta and gamma functions of :mod:`stdlib.incomplete_beta_gamma`,
which also gives their partials in the shape parameters (no closed form; by
quadrature), among them student_t's d/dnu.
"""
from __future__ import annotations

import math

from numba import njit, vectorize

from .incomplete_beta_gamma import (inc_beta, inc_beta_value, inc_gamma, inc_gamma_value, lbeta,
                                    log1m_exp, log_gamma_weight, log_pair)

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
LOG_PI = math.log(math.pi)
LOG2 = math.log(2.0)
SQRT1_2 = math.sqrt(0.5)
NAN = math.nan
INF = math.inf


# ------------------------------------------------- standard forms, lower tail
# Each returns (log F(z), dlog F/dz) of a standard distribution; the
# location-scale wrapper below turns them into the kernels' values and partials.

@njit(cache=True)
def _normal_std(z):
    if z > 0.0:
        q = 0.5 * math.erfc(z * SQRT1_2)
        return math.log1p(-q), math.exp(-0.5 * z * z - LOG_SQRT_2PI) / (1.0 - q)
    if z > -20.0:
        p = 0.5 * math.erfc(-z * SQRT1_2)
        return math.log(p), math.exp(-0.5 * z * z - LOG_SQRT_2PI) / p
    # Phi(z) = phi(z) / |z| * S(z), S = sum_k (-1)^k (2k-1)!! / z^(2k): at
    # |z| >= 20 twelve terms are far below the rounding error.
    r = 1.0 / (z * z)
    s = 1.0
    term = 1.0
    for k in range(1, 13):
        term *= -(2 * k - 1) * r
        s += term
    return -0.5 * z * z - LOG_SQRT_2PI - math.log(-z) + math.log(s), -z / s


@njit(cache=True)
def _cauchy_std(z):
    if z < 0.0:
        w = -1.0 / z                        # F = atan(w) / pi
        at = math.atan(w)
        return math.log(at) - LOG_PI, w * w / ((1.0 + w * w) * at)
    f_lower = math.atan(1.0 / z) / math.pi if z > 0.0 else 0.5
    return math.log1p(-f_lower), 1.0 / (math.pi * (1.0 + z * z) * (1.0 - f_lower))


@njit(cache=True)
def _logistic_std(z):
    # F = 1 / (1 + e^-z); dlog F/dz = 1 - F = 1 / (1 + e^z)
    if z >= 0.0:
        e = math.exp(-z)
        return -math.log1p(e), e / (1.0 + e)
    e = math.exp(z)
    return z - math.log1p(e), 1.0 / (1.0 + e)


@njit(cache=True)
def _double_exponential_std(z):
    if z < 0.0:
        return z - LOG2, 1.0
    return math.log1p(-0.5 * math.exp(-z)), 1.0 / (2.0 * math.exp(z) - 1.0)


@njit(cache=True)
def _student_t_std(t, nu, want_dnu):
    """(log F(t), dlog F/dt, dlog F/dnu) of the standard student_t:
    F(t) = I_x(nu/2, 1/2) / 2 for t < 0, with x = nu / (nu + t^2)."""
    q = t / math.sqrt(nu)
    if abs(q) > 1.0:
        w = 1.0 / q
        x, xc = w * w / (1.0 + w * w), 1.0 / (1.0 + w * w)
    else:
        x, xc = 1.0 / (1.0 + q * q), q * q / (1.0 + q * q)
    if t == 0.0:
        return -LOG2, math.exp(-0.5 * math.log(nu) - lbeta(0.5 * nu, 0.5) + LOG2), 0.0
    a = 0.5 * nu
    if want_dnu:
        li, _, dli_da, _, _, _ = inc_beta(x, xc, a, 0.5)
    else:
        li, _ = inc_beta_value(x, xc, a, 0.5)
        dli_da = 0.0
    # log density and dlog I/dx = x^(a-1) (1-x)^(-1/2) / (B I)
    log_f = -0.5 * math.log(nu) - lbeta(a, 0.5) - (a + 0.5) * (
        math.log1p(q * q) if abs(q) < 1e150 else 2.0 * math.log(abs(q)))
    lx, lxc = log_pair(x, xc)
    lbx = (a - 1.0) * lx - 0.5 * lxc - lbeta(a, 0.5) if xc > 0.0 else -INF
    dx_dnu = x * xc / nu
    if t < 0.0:
        lf = li - LOG2
        dnu = 0.5 * dli_da + math.exp(lbx - li) * dx_dnu
    else:
        # F = 1 - I/2: dlog F = -(I/2) / F dlog I
        lf = log1m_exp(li - LOG2)
        dnu = -math.exp(li - LOG2 - lf) * (0.5 * dli_da + math.exp(lbx - li) * dx_dnu)
    return lf, math.exp(log_f - lf), dnu


@njit(cache=True)
def _location_scale(lf, dz, z, sigma, upper, which):
    """Value or partial (which: 0 y, 1 mu, 2 sigma) of a symmetric location-scale
    family's log CDF (upper = 0) or log CCDF (upper = 1), given the standard
    log CDF lf and its derivative dz at s z, s = -1 for the CCDF (F(-z) = 1 - F(z))."""
    if which == -1:
        return lf
    d_y = -dz / sigma if upper else dz / sigma
    if which == 0:
        return d_y
    if which == 1:
        return -d_y
    if which == 2:
        return -d_y * z if math.isfinite(z) else 0.0
    return NAN


# ------------------------------------------------------------------- kernels
@vectorize(cache=True)
def normal_cdf(y, mu, sigma, upper, which):
    z = (y - mu) / sigma
    lf, dz = _normal_std(-z if upper else z)
    return _location_scale(lf, dz, z, sigma, upper, which)


@vectorize(cache=True)
def std_normal_cdf(y, upper, which):
    lf, dz = _normal_std(-y if upper else y)
    return _location_scale(lf, dz, y, 1.0, upper, which)


@vectorize(cache=True)
def cauchy_cdf(y, mu, sigma, upper, which):
    z = (y - mu) / sigma
    lf, dz = _cauchy_std(-z if upper else z)
    return _location_scale(lf, dz, z, sigma, upper, which)


@vectorize(cache=True)
def logistic_cdf(y, mu, sigma, upper, which):
    z = (y - mu) / sigma
    lf, dz = _logistic_std(-z if upper else z)
    return _location_scale(lf, dz, z, sigma, upper, which)


@vectorize(cache=True)
def double_exponential_cdf(y, mu, sigma, upper, which):
    z = (y - mu) / sigma
    lf, dz = _double_exponential_std(-z if upper else z)
    return _location_scale(lf, dz, z, sigma, upper, which)


@vectorize(cache=True)
def student_t_cdf(y, nu, mu, sigma, upper, which):
    z = (y - mu) / sigma
    s = -z if upper else z
    if math.isinf(s):
        lf, dz, dnu = (0.0 if s > 0.0 else -INF), 0.0, 0.0
    else:
        lf, dz, dnu = _student_t_std(s, nu, which == 1)
    if which == 1:
        return dnu
    return _location_scale(lf, dz, z, sigma, upper, which - 1 if which >= 2 else which)


@vectorize(cache=True)
def lognormal_cdf(y, mu, sigma, upper, which):
    if y == 0.0:
        return (0.0 if upper else -INF) if which == -1 else 0.0
    z = (math.log(y) - mu) / sigma
    lf, dz = _normal_std(-z if upper else z)
    d = _location_scale(lf, dz, z, sigma, upper, which)
    return d / y if which == 0 else d


@vectorize(cache=True)
def exponential_cdf(y, beta, upper, which):
    p = beta * y
    if upper:      # log(1 - F) = -beta y
        return -p if which == -1 else (-beta if which == 0 else -y)
    if which == -1:
        return log1m_exp(-p)
    r = 1.0 / math.expm1(p)     # dlog F/dp = e^-p / (1 - e^-p)
    return beta * r if which == 0 else y * r


@vectorize(cache=True)
def weibull_cdf(y, alpha, sigma, upper, which):
    # F = 1 - exp(-p), p = (y / sigma)^alpha
    if y == 0.0:
        return (0.0 if upper else -INF) if which == -1 else 0.0
    logu = math.log(y / sigma)
    p = math.exp(alpha * logu)
    if which == -1:
        return -p if upper else log1m_exp(-p)
    dp = -1.0 if upper else 1.0 / math.expm1(p)
    if which == 0:
        return dp * alpha * p / y
    if which == 1:
        return dp * p * logu
    return -dp * alpha * p / sigma


@vectorize(cache=True)
def gamma_cdf(y, alpha, beta, upper, which):
    x = beta * y
    if which == 1:
        lp, lq, dp_da, dq_da = inc_gamma(alpha, x)
    else:
        lp, lq = inc_gamma_value(alpha, x)
        dp_da = dq_da = 0.0
    lv = lq if upper else lp
    if which == -1:
        return lv
    if which == 1:
        return dq_da if upper else dp_da
    if x == 0.0 or math.isinf(x):
        return 0.0
    # dlog P/dx = x^(alpha-1) e^-x / (Gamma(alpha) P)
    dx = math.exp(log_gamma_weight(alpha, x) - math.log(x) - lv)
    if upper:
        dx = -dx
    return dx * beta if which == 0 else dx * y


@vectorize(cache=True)
def beta_cdf(y, alpha, beta, upper, which):
    if which == 1 or which == 2:
        li, lic, dli_da, dli_db, dlic_da, dlic_db = inc_beta(y, 1.0 - y, alpha, beta)
    else:
        li, lic = inc_beta_value(y, 1.0 - y, alpha, beta)
        dli_da = dli_db = dlic_da = dlic_db = 0.0
    if which == -1:
        return lic if upper else li
    if which == 1:
        return dlic_da if upper else dli_da
    if which == 2:
        return dlic_db if upper else dli_db
    if y == 0.0 or y == 1.0:
        return 0.0
    lv = lic if upper else li
    d = math.exp((alpha - 1.0) * math.log(y) + (beta - 1.0) * math.log1p(-y) - lbeta(alpha, beta) - lv)
    return -d if upper else d


@vectorize(cache=True)
def uniform_cdf(y, alpha, beta, upper, which):
    # Cross check beta > alpha (Stan: domain error) gives -inf, as the density.
    if not beta > alpha:
        return -INF if which == -1 else 0.0
    width = beta - alpha
    if upper:
        if y >= beta or y < alpha:
            return (-INF if y >= beta else 0.0) if which == -1 else 0.0
        if which == -1:
            return math.log((beta - y) / width)
        return (-1.0 / (beta - y), 1.0 / width, 1.0 / (beta - y) - 1.0 / width)[which]
    if y <= alpha or y > beta:
        return (-INF if y <= alpha else 0.0) if which == -1 else 0.0
    if which == -1:
        return math.log((y - alpha) / width)
    return (1.0 / (y - alpha), (y - beta) / ((y - alpha) * width), -1.0 / width)[which]


@vectorize(cache=True)
def poisson_cdf(n, lam, upper, which):
    # P(N <= n) = Q(n + 1, lambda); the lambda-derivative is -pmf(n) / P(N <= n).
    if n < 0.0:
        return (0.0 if upper else -INF) if which == -1 else 0.0
    if lam == 0.0:
        if which == -1:
            return -INF if upper else 0.0
        return 0.0 if upper or n > 0.0 else -1.0
    lp, lq = inc_gamma_value(n + 1.0, lam)
    lv = lp if upper else lq
    if which == -1:
        return lv
    if which == 0 or math.isinf(lam):
        return 0.0
    d = math.exp(log_gamma_weight(n + 1.0, lam) - math.log(lam) - lv)
    return d if upper else -d
