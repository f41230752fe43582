"""The regularised incomplete beta and gamma functions and their derivatives
in the shape parameters, as Numba functions (for stdlib.cdf_kernels).

Values are returned as the logs of both tails, each accurate: the tail that is
small is computed directly, the other as ``log1p(-small)``, so neither
underflows nor loses digits far out in either tail.

* Values alone: continued fractions (incomplete beta; incomplete gamma above
  ``x = a + 1``) and the power series (incomplete gamma below), each on the
  side where it converges quickly.
* Values with the shape partials: these have no elementary closed form; they
  are integrals of the density times ``log t - psi(.)`` (the derivative of
  the log density in the shape), evaluated with the tail itself by quadrature
  in one pass.  The quadrature maps the tail integral to
  ``int_0^inf exp(-u) g(u) du`` with a smooth, slowly varying ``g`` and applies
  the exp-sinh rule (a trapezoidal rule after ``u = exp(pi/2 sinh t)``, which
  converges double-exponentially for such integrands), halving the step until
  two successive estimates agree.  It also gives the incomplete beta function
  at large ``a + b``, where the continued fraction loses digits.
"""
from __future__ import annotations

import math

from numba import njit

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
LOG2 = math.log(2.0)
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
def lbeta(a, b):
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
    """psi(x), with the reflection formula below 0 (also stdlib.native's digamma)."""
    if x == 0.0:
        return -math.copysign(math.inf, x)    # the pole's one-sided limit, as scipy
    if x < 0.0 and math.floor(x) == x:
        return math.nan
    result = 0.0
    if x < 0.0:
        # reflection: psi(1 - x) - psi(x) = pi cot(pi x)
        result = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    r = 1.0 / (x * x)
    series = r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132 - r * (
        691.0 / 32760 - r / 12))))))
    return result + math.log(x) - 0.5 / x - series


@njit(cache=True)
def log_gamma_weight(a, x):
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
def log_pair(x, xc):
    """(log x, log xc) for xc = 1 - x given separately: each logarithm from the
    operand that keeps its digits (log x = log1p(-xc) when x is near 1)."""
    lx = math.log1p(-xc) if xc < 0.5 else math.log(x)
    lxc = math.log1p(-x) if x < 0.5 else math.log(xc)
    return lx, lxc


@njit(cache=True)
def log1m_exp(x):
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
        lx, lxc = log_pair(x, xc)
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
    lx, lxc = log_pair(x, xc)
    log_pre = a * lx + b * lxc - math.log(a) - lbeta(a, b)
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
            return log_gamma_weight(a, x) - math.log(a) + math.log(total)
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
            return log_gamma_weight(a, x) - math.log(f)
    return NAN


@njit(cache=True)
def inc_beta_value(x, xc, a, b):
    """(log I_x(a, b), log(1 - I_x(a, b)))."""
    if x <= 0.0:
        return -INF, 0.0
    if xc <= 0.0:
        return 0.0, -INF
    if a + b > 1e4:
        # the fraction's terms tend to -x near its boundary: at large a + b (student_t
        # at large nu) it loses ~1e-9 there, the quadrature keeps full precision
        li, lic, _, _, _, _ = inc_beta(x, xc, a, b)
        return li, lic
    if x <= (a + 1.0) / (a + b + 2.0):
        li = _log_inc_beta_cf(x, xc, a, b)
        return li, log1m_exp(li)
    lic = _log_inc_beta_cf(xc, x, b, a)
    return log1m_exp(lic), lic


@njit(cache=True)
def inc_gamma_value(a, x):
    """(log P(a, x), log Q(a, x))."""
    if x <= 0.0:
        return -INF, 0.0
    if x == INF:
        return 0.0, -INF
    if x < a + 1.0:
        lp = _log_inc_gamma_series(a, x)
        return lp, log1m_exp(lp)
    lq = _log_inc_gamma_cf(a, x)
    return log1m_exp(lq), lq


# --------------------------------------------- values and the shape partials
@njit(cache=True)
def inc_beta(x, xc, a, b):
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
        lx, lxc = log_pair(x, xc)
        ls = a * lx + (b - 1.0) * lxc - math.log(a) - lbeta(a, b) + math.log(j0)
        psi_ab = _digamma(a + b)
        d_a = j1 / j0 - _digamma(a) + psi_ab
        d_b = j2 / j0 - _digamma(b) + psi_ab
    lc = log1m_exp(ls)
    # d log(1 - S) = -S / (1 - S) d log S
    ratio = -math.exp(ls - lc)
    if swap:
        return lc, ls, ratio * d_b, ratio * d_a, d_b, d_a
    return ls, lc, d_a, d_b, ratio * d_a, ratio * d_b


@njit(cache=True)
def inc_gamma(a, x):
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
        ls = log_gamma_weight(a, x) - math.log(a) + math.log(j0)
    else:
        scale = 1.0 / max(1.0 - (a - 1.0) / x, 1.0 / math.sqrt(max(x, 1.0)))
        j0, j1, _ = _exp_sinh(_GAMMA_UPPER, x, 0.0, a, 1.0, scale)
        ls = log_gamma_weight(a, x) - math.log(x) + math.log(j0)
    d_s = j1 / j0 - _digamma(a)
    lc = log1m_exp(ls)
    d_c = -math.exp(ls - lc) * d_s
    if lower:
        return ls, lc, d_s, d_c
    return lc, ls, d_c, d_s
