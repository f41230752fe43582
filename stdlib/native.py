"""Native forms of the stdlib primitives, for the Numba backend.

The numpy definitions in this package work on batched arrays and lean on
scipy; generated native code works on one draw at a time, so it needs the
same functions as expressions Numba can compile.  Each entry is a template
of a Python expression over already-evaluated operands ``{0}, {1}, ...``
(plain names), the upstream adjoint ``{g}`` and the call's value ``{out}``;
templates are written with numpy ufuncs and the vectorised kernels below, so
one template serves scalars and containers alike and Numba fuses the
elementwise work into one loop.  ``tests/test_native_stdlib.py`` checks every
entry against the numpy definition (values and derivative rules).

A primitive without an entry here makes a model use the numpy backend (the
native backend says which primitive and where).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, vectorize

from .cdf_kernels import (beta_cdf, cauchy_cdf, double_exponential_cdf, exponential_cdf,  # noqa: F401
                          gamma_cdf, logistic_cdf, lognormal_cdf, normal_cdf, poisson_cdf,
                          std_normal_cdf, student_t_cdf, uniform_cdf, weibull_cdf)
from .cumulative import CUMULATIVE, KERNELS, UPPER
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


# ------------------------------------------------------------ elementwise
# name -> (value template, (derivative template per argument...))
FUNCTIONS = {
    "exp": ("np.exp({0})", ("{g} * {out}",)),
    "log": ("np.log({0})", ("{g} / {0}",)),
    "log1p": ("np.log1p({0})", ("{g} / (1.0 + {0})",)),
    "expm1": ("np.expm1({0})", ("{g} * ({out} + 1.0)",)),
    "sqrt": ("np.sqrt({0})", ("{g} * 0.5 / {out}",)),
    "square": ("({0} * {0})", ("{g} * 2.0 * {0}",)),
    "inv": ("(1.0 / {0})", ("-{g} * {out} * {out}",)),
    "inv_sqrt": ("(1.0 / np.sqrt({0}))", ("-{g} * 0.5 * {out} / {0}",)),
    "inv_square": ("(1.0 / ({0} * {0}))", ("-{g} * 2.0 * {out} / {0}",)),
    "inv_logit": ("K.inv_logit({0})", ("{g} * {out} * (1.0 - {out})",)),
    "logit": ("(np.log({0}) - np.log1p(-{0}))", ("{g} / ({0} * (1.0 - {0}))",)),
    "log1m": ("np.log1p(-{0})", ("-{g} / (1.0 - {0})",)),
    "log_inv_logit": ("K.log_inv_logit({0})", ("{g} * K.inv_logit(-{0})",)),
    "log1m_inv_logit": ("K.log_inv_logit(-{0})", ("-{g} * K.inv_logit({0})",)),
    "log1m_exp": ("K.log1m_exp({0})", ("-{g} / np.expm1(-{0})",)),
    "lgamma": ("K.lgamma({0})", ("{g} * K.digamma({0})",)),
    "digamma": ("K.digamma({0})", ("{g} * K.trigamma({0})",)),
    "Phi": ("K.Phi({0})", ("{g} * np.exp(-0.5 * {0} * {0}) / K.SQRT_2PI",)),
    "inv_Phi": ("K.inv_Phi({0})", ("{g} * K.SQRT_2PI * np.exp(0.5 * {out} * {out})",)),
    "sin": ("np.sin({0})", ("{g} * np.cos({0})",)),
    "cos": ("np.cos({0})", ("-{g} * np.sin({0})",)),
    "tan": ("np.tan({0})", ("{g} * (1.0 + {out} * {out})",)),
    "tanh": ("np.tanh({0})", ("{g} * (1.0 - {out} * {out})",)),
    "sinh": ("np.sinh({0})", ("{g} * np.cosh({0})",)),
    "cosh": ("np.cosh({0})", ("{g} * np.sinh({0})",)),
    "atan": ("np.arctan({0})", ("{g} / (1.0 + {0} * {0})",)),
    "erf": ("K.erf({0})", ("{g} * 1.1283791670955126 * np.exp(-{0} * {0})",)),
    "erfc": ("K.erfc({0})", ("-{g} * 1.1283791670955126 * np.exp(-{0} * {0})",)),
    "fabs": ("np.abs({0})", ("{g} * np.sign({0})",)),
    "step": ("K.step({0})", None),
    "floor": ("np.floor({0})", None),
    "ceil": ("np.ceil({0})", None),
    "pow": ("np.power({0}, {1})", ("{g} * {1} * np.power({0}, {1} - 1.0)", "{g} * K.pow_dexponent({out}, {0})")),
    "fmin": ("np.fmin({0}, {1})", ("{g} * (({0} <= {1}) | np.isnan({1}))", "{g} * (({1} < {0}) | np.isnan({0}))")),
    "fmax": ("np.fmax({0}, {1})", ("{g} * (({0} >= {1}) | np.isnan({1}))", "{g} * (({1} > {0}) | np.isnan({0}))")),
    "lbeta": ("(K.lgamma({0}) + K.lgamma({1}) - K.lgamma({0} + {1}))",
              ("{g} * (K.digamma({0}) - K.digamma({0} + {1}))",
               "{g} * (K.digamma({1}) - K.digamma({0} + {1}))")),
    "lmultiply": ("K.xlogy({0}, {1})", ("{g} * K.lmultiply_dfirst({0}, {1})", "{g} * {0} / {1}")),
    "multiply_log": ("K.xlogy({0}, {1})", ("{g} * K.lmultiply_dfirst({0}, {1})", "{g} * {0} / {1}")),
    # the weights exp(a - logaddexp(a, b)) as 1 / (1 + exp(b - a)): no need for the value
    "log_sum_exp#2": ("K.logaddexp({0}, {1})", ("{g} / (1.0 + np.exp({1} - {0}))", "{g} / (1.0 + np.exp({0} - {1}))")),
    "log_sum_exp#1": ("K.log_sum_exp({0})", ("{g} * np.exp({0} - {out})",)),
    "log_mix#3": ("K.logaddexp(np.log({0}) + {1}, np.log1p(-{0}) + {2})",
                  ("{g} * (1.0 / ({0} + (1.0 - {0}) * np.exp({2} - {1})) - 1.0 / ({0} * np.exp({1} - {2}) + 1.0 - {0}))",
                   "{g} * {0} / ({0} + (1.0 - {0}) * np.exp({2} - {1}))",
                   "{g} * (1.0 - {0}) / ({0} * np.exp({1} - {2}) + 1.0 - {0})")),
    # operators on scalars or same-shaped containers (matrix products are special)
    "+": ("({0} + {1})", ("{g}", "{g}")),
    "-": ("({0} - {1})", ("{g}", "-{g}")),
    ".*": ("({0} * {1})", ("{g} * {1}", "{g} * {0}")),
    "./": ("({0} / {1})", ("{g} / {1}", "-{g} * {0} / ({1} * {1})")),
    "u-": ("(-{0})", ("-{g}",)),
    "u+": ("{0}", ("{g}",)),
    "^": ("np.power({0} * 1.0, {1})", ("{g} * {1} * np.power({0} * 1.0, {1} - 1.0)",
                                       "{g} * K.pow_dexponent({out}, {0})")),
    "<": ("({0} < {1})", None), ">": ("({0} > {1})", None),
    "<=": ("({0} <= {1})", None), ">=": ("({0} >= {1})", None),
    "==": ("({0} == {1})", None), "!=": ("({0} != {1})", None),
    "!": ("({0} == 0)", None),
    "&&": ("(({0} != 0) and ({1} != 0))", None), "||": ("(({0} != 0) or ({1} != 0))", None),
    "%/%": ("K.int_divide({0}, {1})", None),
    "%": ("K.int_mod({0}, {1})", None),
}


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


# ------------------------------------------------------------ distributions
# name -> (elementwise log density template, (partial template per argument...)).
# The partials are d logpdf / d arg (the caller multiplies by the adjoint).
DISTRIBUTIONS = {
    "normal": ("(-0.5 * (({0} - {1}) / {2}) ** 2 - np.log({2}) - K.LOG_SQRT_2PI)",
               ("-({0} - {1}) / {2} / {2}", "({0} - {1}) / {2} / {2}",
                "((({0} - {1}) / {2}) - 1.0) * ((({0} - {1}) / {2}) + 1.0) / {2}")),
    "std_normal": ("(-0.5 * {0} * {0} - K.LOG_SQRT_2PI)", ("-{0}",)),
    "cauchy": ("(-K.LOG_PI - np.log({2}) - np.log1p((({0} - {1}) / {2}) ** 2))",
               ("-2.0 * ({0} - {1}) / (({0} - {1}) ** 2 + {2} * {2})",
                "2.0 * ({0} - {1}) / (({0} - {1}) ** 2 + {2} * {2})",
                "(({0} - {1}) ** 2 - {2} * {2}) / ({2} * (({0} - {1}) ** 2 + {2} * {2}))")),
    "lognormal": ("K.lognormal({0}, {1}, {2})",
                  ("-(1.0 + (np.log({0}) - {1}) / ({2} * {2})) / {0}",
                   "(np.log({0}) - {1}) / {2} / {2}",
                   "(((np.log({0}) - {1}) / {2}) - 1.0) * (((np.log({0}) - {1}) / {2}) + 1.0) / {2}")),
    "exponential": ("(np.log({1}) - {1} * {0})", ("-{1} + 0.0 * {0}", "1.0 / {1} - {0}")),
    "student_t": ("(K.lgamma(0.5 * ({1} + 1.0)) - K.lgamma(0.5 * {1}) - 0.5 * (np.log({1}) + K.LOG_PI)"
                  " - np.log({3}) - 0.5 * ({1} + 1.0) * np.log1p((({0} - {2}) / {3}) ** 2 / {1}))",
                  ("-({1} + 1.0) * ({0} - {2}) / ({1} * {3} * {3} + ({0} - {2}) ** 2)",
                   "K.student_t_dnu({0}, {1}, {2}, {3})",
                   "({1} + 1.0) * ({0} - {2}) / ({1} * {3} * {3} + ({0} - {2}) ** 2)",
                   "(({1} + 1.0) * ({0} - {2}) ** 2 / ({1} * {3} * {3} + ({0} - {2}) ** 2) - 1.0) / {3}")),
    "gamma": ("({1} * np.log({2}) - K.lgamma({1}) + ({1} - 1.0) * np.log({0}) - {2} * {0})",
              ("({1} - 1.0) / {0} - {2}", "np.log({2}) - K.digamma({1}) + np.log({0})",
               "{1} / {2} - {0}")),
    "beta": ("(({1} - 1.0) * np.log({0}) + ({2} - 1.0) * np.log1p(-{0})"
             " - (K.lgamma({1}) + K.lgamma({2}) - K.lgamma({1} + {2})))",
             ("({1} - 1.0) / {0} - ({2} - 1.0) / (1.0 - {0})",
              "np.log({0}) - K.digamma({1}) + K.digamma({1} + {2})",
              "np.log1p(-{0}) - K.digamma({2}) + K.digamma({1} + {2})")),
}

# Log densities as a kernel plus a normalising term that reads only some of the
# arguments (the variate of a count model: data, nearly always): native code
# computes the normalising term once per bind when those are data
# (backends/numba/hoisting.py).  name -> (kernel, (normalising term, its arguments)).
NORMALISED = {
    "poisson": ("(K.xlogy({0} * 1.0, {1}) - {1})", ("(-K.lgamma({0} + 1.0))", (0,))),
    "poisson_log": ("({0} * {1} - np.exp({1}))", ("(-K.lgamma({0} + 1.0))", (0,))),
}
DISTRIBUTIONS["poisson"] = (f"({NORMALISED['poisson'][0]} + {NORMALISED['poisson'][1][0]})", (None, "{0} / {1} - 1.0"))
DISTRIBUTIONS["poisson_log"] = (f"({NORMALISED['poisson_log'][0]} + {NORMALISED['poisson_log'][1][0]})",
                                (None, "{0} - np.exp({1})"))

def _cumulative_templates(row):
    """The native entry of a log (C)CDF row: its stdlib.cdf_kernels ufunc
    (imported above, so templates name it K.<kernel>) asked for the value
    (which = -1) or the partial in argument k (which = k)."""
    kernel = KERNELS[row.name.rpartition("_")[0]][0]
    # operands as floats (an int literal or int data otherwise compiles another loop of the kernel)
    args = ", ".join(f"{{{i}}} * 1.0" for i in range(len(row.params) + 1))
    upper = UPPER[row.cumulative]
    return (f"K.{kernel}({args}, {upper}, -1)",
            tuple(None if rule is None else f"K.{kernel}({args}, {upper}, {i})"
                  for i, rule in enumerate(row.grad)))


DISTRIBUTIONS.update({name: _cumulative_templates(row) for name, row in CUMULATIVE.items()})
