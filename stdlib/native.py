"""Native forms of the stdlib primitives, for the Numba backend: the kernels the
templates of stdlib/native_templates.py name (``K.<kernel>`` in generated code).

The numpy definitions in this package work on batched arrays and lean on
scipy; generated native code works on one draw at a time, so it needs the
same functions as expressions Numba can compile: these vectorised kernels,
with which one template serves scalars and containers alike.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, vectorize

from .cdf_kernels import (beta_cdf, cauchy_cdf, double_exponential_cdf, exponential_cdf,  # noqa: F401
                          gamma_cdf, logistic_cdf, lognormal_cdf, normal_cdf, poisson_cdf,
                          std_normal_cdf, student_t_cdf, uniform_cdf, weibull_cdf)
from .incomplete_beta_gamma import _digamma

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
LOG_PI = math.log(math.pi)
SQRT_2PI = math.sqrt(2.0 * math.pi)


# ----------------------------------------------------------- scalar kernels
@vectorize(cache=True)
def lgamma(x):
    return math.lgamma(x)


@vectorize(cache=True)
def digamma(x):
    return _digamma(x)


@njit(cache=True)
def _trigamma_positive(x):
    result = 0.0
    while x < 10.0:
        result += 1.0 / (x * x)
        x += 1.0
    r = 1.0 / (x * x)
    # asymptotic series 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1)
    series = r * (1.0 / 6 - r * (1.0 / 30 - r * (1.0 / 42 - r * (1.0 / 30 - r * (5.0 / 66 - r * (
        691.0 / 2730 - r * 7.0 / 6))))))
    return result + 1.0 / x + 0.5 * r + series / x


@vectorize(cache=True)
def trigamma(x):
    if x <= 0.0 and math.floor(x) == x:
        return math.inf if x == 0.0 else math.nan
    if x < 0.0:
        # reflection: psi1(1 - x) + psi1(x) = pi^2 / sin^2(pi x)
        s = math.sin(math.pi * x)
        return (math.pi * math.pi) / (s * s) - _trigamma_positive(1.0 - x)
    return _trigamma_positive(x)


@vectorize(cache=True)
def erf(x):
    return math.erf(x)


@vectorize(cache=True)
def erfc(x):
    return math.erfc(x)


@vectorize(cache=True)
def Phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(cache=True)
def _ndtri(p):
    # Acklam's rational approximation (relative error 1.2e-9) refined by one Halley
    # step on erfc (cubic convergence): full double precision over (0, 1).
    if p <= 0.0:
        return -math.inf if p == 0.0 else math.nan
    if p >= 1.0:
        return math.inf if p == 1.0 else math.nan
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00)
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    elif p > 1.0 - 0.02425:
        q = math.sqrt(-2.0 * math.log1p(-p))
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    else:
        q = p - 0.5
        r = q * q
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    # e = Phi(x) - p, through the tail that is not close to 1
    if p < 0.5:
        e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    else:
        e = (1.0 - p) - 0.5 * math.erfc(x / math.sqrt(2.0))
    u = e * SQRT_2PI * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@vectorize(cache=True)
def inv_Phi(p):
    return _ndtri(p)


@vectorize(cache=True)
def inv_logit(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@vectorize(cache=True)
def log_inv_logit(x):
    # log(1 / (1 + exp(-x))) = -log1p(exp(-x)), stable on both sides
    if x >= 0.0:
        return -math.log1p(math.exp(-x))
    return x - math.log1p(math.exp(x))


@vectorize(cache=True)
def log1m_exp(x):
    if x > -0.6931471805599453:
        return math.log(-math.expm1(x)) if x < 0.0 else (-math.inf if x == 0.0 else math.nan)
    return math.log1p(-math.exp(x))


@vectorize(cache=True)
def pow_dexponent(out, base):
    # d base^e / d e = base^e log(base); 0 for base <= 0, as the numpy rule
    return out * math.log(base) if base > 0.0 else 0.0


@vectorize(cache=True)
def lmultiply_dfirst(a, b):
    # d a log(b) / d a = log(b), and 0 at a = b = 0 where a log(b) is 0 by definition
    return 0.0 if a == 0.0 and b == 0.0 else math.log(b)


@vectorize(cache=True)
def lognormal(y, mu, sigma):
    if y == 0.0:
        return -math.inf    # Stan's LOG_ZERO at the edge of the support
    logy = math.log(y)
    z = (logy - mu) / sigma
    return -0.5 * z * z - math.log(sigma) - LOG_SQRT_2PI - logy


@njit(cache=True)
def _stirling_diff_deriv(x):
    # digamma(x) - log x + 1/(2x) = O(1/x^2), by its asymptotic series for x >= 10
    if x >= 10.0:
        r = 1.0 / (x * x)
        return -r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (
            1.0 / 240 - r * (1.0 / 132 - r * (691.0 / 32760 - r / 12))))))
    return _digamma(x) - math.log(x) + 0.5 / x


@njit(cache=True)
def _log1p_minus_ratio(log1p_a, s):
    # log1p(a) - a/(1+a) given log1p(a) and s = a/(1+a); -(log1p(-s) + s) by its
    # series for small s, where the difference would cancel
    if s >= 0.1:
        return log1p_a - s
    acc = 0.0
    for k in range(21, 1, -1):
        acc = 1.0 / k + s * acc
    return s * s * acc


@vectorize(cache=True)
def student_t_dnu(y, nu, mu, sigma):
    # d student_t_lpdf / d nu without cancellation at large nu (stdlib.continuous
    # derives the form): with w = z / sqrt(nu), s = w^2 / (1 + w^2),
    #   1/2 [log1p(1/nu) - 1/(nu+1) + S'((nu+1)/2) - S'(nu/2) - (log1p(w^2) - s) + s / nu]
    w = (y - mu) / sigma / math.sqrt(nu)
    if abs(w) > 1.0:
        wi = 1.0 / w
        s = 1.0 / (1.0 + wi * wi)
    else:
        s = w * w / (1.0 + w * w)
    log1p_w2 = math.log1p(w * w) if abs(w) < 1e150 else 2.0 * math.log(abs(w))
    ds = _stirling_diff_deriv(0.5 * (nu + 1.0)) - _stirling_diff_deriv(0.5 * nu)
    dpsi = _log1p_minus_ratio(math.log1p(1.0 / nu), 1.0 / (nu + 1.0)) + ds
    return 0.5 * (dpsi - _log1p_minus_ratio(log1p_w2, s) + s / nu)


@vectorize(cache=True)
def step(x):
    return 0.0 if x < 0.0 else 1.0


@vectorize(cache=True)
def xlogy(x, y):
    if x == 0.0 and not math.isnan(y):
        return 0.0
    return x * math.log(y)


@vectorize(cache=True)
def logaddexp(a, b):
    m = max(a, b)
    if m == -math.inf:
        return -math.inf
    if math.isinf(m):
        return m
    return m + math.log1p(math.exp(-abs(a - b)))


@njit(cache=True)
def log_sum_exp(x):
    m = -math.inf
    for v in x.flat:
        if v > m:
            m = v
    if not np.isfinite(m):
        m = 0.0
    s = 0.0
    for v in x.flat:
        s += math.exp(v - m)
    return math.log(s) + m


@njit(cache=True)
def int_divide(a, b):
    if b == 0:
        raise ZeroDivisionError("integer division by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


@njit(cache=True)
def int_mod(a, b):
    if b == 0:
        raise ZeroDivisionError("modulus by zero")
    return a - int_divide(a, b) * b
