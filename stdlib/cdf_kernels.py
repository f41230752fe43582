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
ratio) series; the regularised incomplete beta and gamma functions (student_t,
beta, gamma, poisson) from the smaller of the two tails by quadrature.  The
derivatives of those functions in their shape parameters have no elementary
closed form; they are integrals of the density times ``log t - psi(.)``
(the derivative of the log density in the shape), evaluated by the same
quadrature in the same pass.  The quadrature maps the tail integral to
``int_0^inf exp(-u) g(u) du`` with a smooth, slowly varying ``g`` and applies
the exp-sinh rule (a trapezoidal rule after ``u = exp(pi/2 sinh t)``, which
converges double-exponentially for such integrands), halving the step until
two successive estimates agree.
"""
from __future__ import annotations

import math

from numba import njit, vectorize

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
LOG_PI = math.log(math.pi)
LOG2 = math.log(2.0)
SQRT1_2 = math.sqrt(0.5)
HALF_PI = 0.5 * math.pi
NAN = math.nan
INF = math.inf


# ------------------------------------------------------------ special functions
@njit(cache=True)
def _stirling_tail(x):
    """lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)] for x >= 10."""
    r = 1.0 / (x * x)
    return (1.0 / 12 - r * (1.0 / 360 - r * (1.0 / 1260 - r * (1.0 / 1680 - r * (
        1.0 / 1188 - r * (691.0 / 360360 - r / 156)))))) / x


@njit(cache=True)
def _lbeta(a, b):
    """log B(a, b) without the cancellation of lgamma(a) + lgamma(b) - lgamma(a + b)
    when a or b is large (the student_t normalising constant at large nu)."""
    if a < b:
        a, b = b, a
    if a < 10.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    s = a + b
    if b >= 10.0:
        return ((a - 0.5) * -math.log1p(b / a) + (b - 0.5) * math.log(b / s) - 0.5 * math.log(s)
                + LOG_SQRT_2PI + _stirling_tail(a) + _stirling_tail(b) - _stirling_tail(s))
    return (math.lgamma(b) - (a - 0.5) * math.log1p(b / a) - b * math.log(s) + b
            + _stirling_tail(a) - _stirling_tail(s))


@njit(cache=True)
def _digamma(x):
    """psi(x) for x > 0."""
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    r = 1.0 / (x * x)
    series = r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132 - r * (
        691.0 / 32760 - r / 12))))))
    return result + math.log(x) - 0.5 / x - series


@njit(cache=True)
def _log_gamma_weight(a, x):
    """a log x - x - lgamma(a) (the log of the gamma density's x^a e^-x / Gamma(a)),
    for large a as a (log1p(d) - d) + ... with d = x/a - 1, free of the
    cancellation between a log x and lgamma(a)."""
    if a < 10.0:
        return a * math.log(x) - x - math.lgamma(a)
    d = (x - a) / a
    if d < -0.5:
        lm = math.log(x / a) - d        # log1p(d) would lose the digits of a small 1 + d
    elif abs(d) < 0.1:
        # log1p(d) - d = sum_{k>=2} (-1)^(k+1) d^k / k; 20 terms at |d| < 0.1
        acc = 0.0
        for k in range(21, 1, -1):
            acc = (1.0 if k % 2 else -1.0) / k + d * acc
        lm = d * d * acc
    else:
        lm = math.log1p(d) - d
    return a * lm + 0.5 * math.log(a) - LOG_SQRT_2PI - _stirling_tail(a)


@njit(cache=True)
def _log_pair(x, xc):
    """(log x, log xc) for xc = 1 - x given separately: each logarithm from the
    operand that keeps its digits (log x = log1p(-xc) when x is near 1)."""
    lx = math.log1p(-xc) if xc < 0.5 else math.log(x)
    lxc = math.log1p(-x) if x < 0.5 else math.log(xc)
    return lx, lxc


@njit(cache=True)
def _log1m_exp(x):
    """log(1 - exp(x)) for x <= 0."""
    if x > -LOG2:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


# ------------------------------------------------------------------ quadrature
# Integrands of int_0^inf exp(-u) g(u) [1, h1(u), h2(u)] du, each returning
# (log g, h1, h2): exp(-u) g(u) is formed as one exponential, since g alone may
# overflow where exp(-u) g(u) is negligible (g ~ e^x in the gamma lower tail).
_BETA, _GAMMA_LOWER, _GAMMA_UPPER = 0, 1, 2


@njit(cache=True)
def _integrand(kind, u, x, xc, a, b):
    if kind == _BETA:
        # int_0^x s^(a-1) (1-s)^(b-1) [1, log s, log(1-s)] ds
        #   = x^a (1-x)^(b-1) / a * int exp(-u) ((1-s) / (1-x))^(b-1) [...] du,
        # s = x exp(-u/a), where log((1-s) / (1-x)) = log1p(-x expm1(-u/a) / xc)
        # (from xc = 1 - x: a tiny 1 - x keeps its digits, and a ratio near 1
        # its small logarithm, which a large b - 1 multiplies)
        r = math.log1p(-x * math.expm1(-u / a) / xc)
        lx, lxc = _log_pair(x, xc)
        return (b - 1.0) * r, lx - u / a, lxc + r
    if kind == _GAMMA_LOWER:
        # int_0^x t^(a-1) e^-t [1, log t] dt
        #   = x^a e^-x / a * int exp(-u) exp(-x expm1(-u/a)) [...] du,   t = x exp(-u/a)
        return -x * math.expm1(-u / a), math.log(x) - u / a, 0.0
    # int_x^inf t^(a-1) e^-t [1, log t] dt
    #   = x^(a-1) e^-x * int exp(-u) (1 + u/x)^(a-1) [...] du,   t = x + u
    l1p = math.log1p(u / x)
    return (a - 1.0) * l1p, math.log(x) + l1p, 0.0


@njit(cache=True)
def _exp_sinh_sum(kind, x, xc, a, b, scale, h, t_lo, first, n, stride):
    """Trapezoidal sums over the nodes t = t_lo + k h, k = first, first + stride, ... <= n."""
    j0 = j1 = j2 = 0.0
    for k in range(first, n + 1, stride):
        t = t_lo + k * h
        e = math.exp(HALF_PI * math.sinh(t))
        u = scale * e
        lg, h1, h2 = _integrand(kind, u, x, xc, a, b)
        log_f = lg - u
        if log_f < -745.0:
            continue
        f = math.exp(log_f) * scale * e * HALF_PI * math.cosh(t)
        j0 += f
        j1 += f * h1
        j2 += f * h2
    return j0, j1, j2


@njit(cache=True)
def _exp_sinh(kind, x, xc, a, b, scale):
    """(J0, J1, J2) = int_0^inf exp(-u) g(u) [1, h1, h2] du for the integrand
    ``kind``, with u = scale * exp(pi/2 sinh t) and the trapezoidal rule in t
    over [-4.5, 3.5] (beyond it the integrand is below the rounding error), the
    step halved until J0 and J1 settle: the error of the last estimate is then
    about the square of the last change.  NaN if they never settle."""
    t_lo, t_hi = -4.5, 3.5
    h = 0.5
    n = int(round((t_hi - t_lo) / h))
    j0, j1, j2 = _exp_sinh_sum(kind, x, xc, a, b, scale, h, t_lo, 0, n, 1)
    s0, s1, s2 = j0 * h, j1 * h, j2 * h
    h1_scale = 1.0 + abs(math.log(x))
    for level in range(1, 10):
        h *= 0.5
        n *= 2
        d0, d1, d2 = _exp_sinh_sum(kind, x, xc, a, b, scale, h, t_lo, 1, n, 2)   # the new midpoints
        j0 += d0
        j1 += d1
        j2 += d2
        n0, n1, n2 = j0 * h, j1 * h, j2 * h
        change = max(abs(n0 - s0), abs(n1 - s1) / h1_scale)
        s0, s1, s2 = n0, n1, n2
        if level >= 3 and change <= 1e-8 * abs(s0):
            return s0, s1, s2
    return NAN, NAN, NAN


# ------------------------------------------- values without the shape partials
# Continued fractions and series (a few dozen terms where the quadrature needs
# hundreds of nodes), each for the tail where it converges; NaN if it does not.
_CF_TINY = 1e-300


@njit(cache=True)
def _log_inc_beta_cf(x, xc, a, b):
    """log I_x(a, b) for x <= (a + 1) / (a + b + 2): the prefactor
    x^a (1-x)^b / (a B(a, b)) over the continued fraction
    1 + d1 / (1 + d2 / (1 + ...)), d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),
    d_{2m} = m (b-m) x / ((a+2m-1)(a+2m)), evaluated by the modified Lentz method."""
    lx, lxc = _log_pair(x, xc)
    log_pre = a * lx + b * lxc - math.log(a) - _lbeta(a, b)
    f, c, d = 1.0, 1.0, 0.0
    for n in range(1, 100000):
        m = n // 2
        if n % 2:
            coef = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:
            coef = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + coef * d
        d = 1.0 / (d if abs(d) > _CF_TINY else _CF_TINY)
        c = 1.0 + coef / c
        if abs(c) < _CF_TINY:
            c = _CF_TINY
        f *= c * d
        if abs(c * d - 1.0) < 1e-15:
            return log_pre - math.log(f)
    return NAN


@njit(cache=True)
def _log_inc_gamma_series(a, x):
    """log P(a, x) for x < a + 1: x^a e^-x / Gamma(a + 1) sum_n x^n / ((a+1)...(a+n))."""
    total, term, ap = 1.0, 1.0, a
    for _ in range(1000000):
        ap += 1.0
        term *= x / ap
        total += term
        if term < 1e-17 * total:
            return _log_gamma_weight(a, x) - math.log(a) + math.log(total)
    return NAN


@njit(cache=True)
def _log_inc_gamma_cf(a, x):
    """log Q(a, x) for x >= a + 1: x^a e^-x / Gamma(a) over the continued fraction
    (x + 1 - a) + a_1 / ((x + 3 - a) + a_2 / ...), a_n = -n (n - a) (modified Lentz)."""
    f = x + 1.0 - a
    if abs(f) < _CF_TINY:
        f = _CF_TINY
    c, d = f, 0.0
    for n in range(1, 1000000):
        an = -n * (n - a)
        bn = x + 2.0 * n + 1.0 - a
        d = bn + an * d
        d = 1.0 / (d if abs(d) > _CF_TINY else _CF_TINY)
        c = bn + an / c
        if abs(c) < _CF_TINY:
            c = _CF_TINY
        f *= c * d
        if abs(c * d - 1.0) < 1e-15:
            return _log_gamma_weight(a, x) - math.log(f)
    return NAN


@njit(cache=True)
def _inc_beta_value(x, xc, a, b):
    """(log I_x(a, b), log(1 - I_x(a, b)))."""
    if x <= 0.0:
        return -INF, 0.0
    if xc <= 0.0:
        return 0.0, -INF
    if a + b > 1e4:
        # the fraction's terms tend to -x near its boundary: at large a + b (student_t
        # at large nu) it loses ~1e-9 there, the quadrature keeps full precision
        li, lic, _, _, _, _ = _inc_beta(x, xc, a, b)
        return li, lic
    if x <= (a + 1.0) / (a + b + 2.0):
        li = _log_inc_beta_cf(x, xc, a, b)
        return li, _log1m_exp(li)
    lic = _log_inc_beta_cf(xc, x, b, a)
    return _log1m_exp(lic), lic


@njit(cache=True)
def _inc_gamma_value(a, x):
    """(log P(a, x), log Q(a, x))."""
    if x <= 0.0:
        return -INF, 0.0
    if x == INF:
        return 0.0, -INF
    if x < a + 1.0:
        lp = _log_inc_gamma_series(a, x)
        return lp, _log1m_exp(lp)
    lq = _log_inc_gamma_cf(a, x)
    return _log1m_exp(lq), lq


# --------------------------------------------- values and the shape partials
@njit(cache=True)
def _inc_beta(x, xc, a, b):
    """The regularised incomplete beta function I_x(a, b) with xc = 1 - x given
    separately (so a tiny 1 - x keeps its digits), as
    (log I, log(1 - I), dlog I/da, dlog I/db, dlog(1-I)/da, dlog(1-I)/db).

    The tail below x is integrated when x is below the mean a / (a + b), else
    the one above it (I_{1-x}(b, a) = 1 - I_x(a, b))."""
    swap = x > a / (a + b)
    if swap:
        x, xc, a, b = xc, x, b, a
    if x <= 0.0:
        ls, d_a, d_b = -INF, 0.0, 0.0
    else:
        rate = 1.0 - (b - 1.0) * x / (a * xc)      # the decay rate of exp(-u) g(u) at u = 0
        scale = 1.0 / max(rate, 1.0 / math.sqrt(max(a + b, 1.0)))
        j0, j1, j2 = _exp_sinh(_BETA, x, xc, a, b, scale)
        lx, lxc = _log_pair(x, xc)
        ls = a * lx + (b - 1.0) * lxc - math.log(a) - _lbeta(a, b) + math.log(j0)
        psi_ab = _digamma(a + b)
        d_a = j1 / j0 - _digamma(a) + psi_ab
        d_b = j2 / j0 - _digamma(b) + psi_ab
    lc = _log1m_exp(ls)
    # d log(1 - S) = -S / (1 - S) d log S
    ratio = -math.exp(ls - lc)
    if swap:
        return lc, ls, ratio * d_b, ratio * d_a, d_b, d_a
    return ls, lc, d_a, d_b, ratio * d_a, ratio * d_b


@njit(cache=True)
def _inc_gamma(a, x):
    """The regularised incomplete gamma functions P(a, x) and Q = 1 - P as
    (log P, log Q, dlog P/da, dlog Q/da), from the tail on the smaller side of
    x = a."""
    if x <= 0.0:
        return -INF, 0.0, 0.0, 0.0
    if x == INF:
        return 0.0, -INF, 0.0, 0.0
    lower = x <= a
    if lower:
        scale = 1.0 / max(1.0 - x / a, 1.0 / math.sqrt(max(a, 1.0)))
        j0, j1, _ = _exp_sinh(_GAMMA_LOWER, x, 0.0, a, 1.0, scale)
        ls = _log_gamma_weight(a, x) - math.log(a) + math.log(j0)
    else:
        scale = 1.0 / max(1.0 - (a - 1.0) / x, 1.0 / math.sqrt(max(x, 1.0)))
        j0, j1, _ = _exp_sinh(_GAMMA_UPPER, x, 0.0, a, 1.0, scale)
        ls = _log_gamma_weight(a, x) - math.log(x) + math.log(j0)
    d_s = j1 / j0 - _digamma(a)
    lc = _log1m_exp(ls)
    d_c = -math.exp(ls - lc) * d_s
    if lower:
        return ls, lc, d_s, d_c
    return lc, ls, d_c, d_s


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
        return -LOG2, math.exp(-0.5 * math.log(nu) - _lbeta(0.5 * nu, 0.5) + LOG2), 0.0
    a = 0.5 * nu
    if want_dnu:
        li, _, dli_da, _, _, _ = _inc_beta(x, xc, a, 0.5)
    else:
        li, _ = _inc_beta_value(x, xc, a, 0.5)
        dli_da = 0.0
    # log density and dlog I/dx = x^(a-1) (1-x)^(-1/2) / (B I)
    log_f = -0.5 * math.log(nu) - _lbeta(a, 0.5) - (a + 0.5) * (
        math.log1p(q * q) if abs(q) < 1e150 else 2.0 * math.log(abs(q)))
    lx, lxc = _log_pair(x, xc)
    lbx = (a - 1.0) * lx - 0.5 * lxc - _lbeta(a, 0.5) if xc > 0.0 else -INF
    dx_dnu = x * xc / nu
    if t < 0.0:
        lf = li - LOG2
        dnu = 0.5 * dli_da + math.exp(lbx - li) * dx_dnu
    else:
        # F = 1 - I/2: dlog F = -(I/2) / F dlog I
        lf = _log1m_exp(li - LOG2)
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
        return _log1m_exp(-p)
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
        return -p if upper else _log1m_exp(-p)
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
        lp, lq, dp_da, dq_da = _inc_gamma(alpha, x)
    else:
        lp, lq = _inc_gamma_value(alpha, x)
        dp_da = dq_da = 0.0
    lv = lq if upper else lp
    if which == -1:
        return lv
    if which == 1:
        return dq_da if upper else dp_da
    if x == 0.0 or math.isinf(x):
        return 0.0
    # dlog P/dx = x^(alpha-1) e^-x / (Gamma(alpha) P)
    dx = math.exp(_log_gamma_weight(alpha, x) - math.log(x) - lv)
    if upper:
        dx = -dx
    return dx * beta if which == 0 else dx * y


@vectorize(cache=True)
def beta_cdf(y, alpha, beta, upper, which):
    if which == 1 or which == 2:
        li, lic, dli_da, dli_db, dlic_da, dlic_db = _inc_beta(y, 1.0 - y, alpha, beta)
    else:
        li, lic = _inc_beta_value(y, 1.0 - y, alpha, beta)
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
    d = math.exp((alpha - 1.0) * math.log(y) + (beta - 1.0) * math.log1p(-y) - _lbeta(alpha, beta) - lv)
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
    lp, lq = _inc_gamma_value(n + 1.0, lam)
    lv = lp if upper else lq
    if which == -1:
        return lv
    if which == 0 or math.isinf(lam):
        return 0.0
    d = math.exp(_log_gamma_weight(n + 1.0, lam) - math.log(lam) - lv)
    return d if upper else -d
