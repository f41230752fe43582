"""The discrete distributions of the DISTRIBUTIONS table: log mass functions,
their derivative rules and random-number generators, and the table rows.

The calling conventions (elementwise, no validation, ``-inf`` for cross-check
failures and ``LOG_ZERO`` cases, partials 0 there, integer arguments never
differentiated) are described in the docstring of :mod:`stdlib.distributions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from ppl.lazy_scipy import special as sp

from ._numeric import (_NEG_INF, _elementwise, _log1p_minus, _log_choose, _rng,
                       _stirling_diff, _stirling_diff_deriv, _xdivy)

if TYPE_CHECKING:
    from .distributions import Distribution


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


def _n(x):
    return np.asarray(x).astype(np.int64)


def _neg_binomial_2_draw(gen, s, mu, phi):
    return gen.poisson(gen.gamma(phi, mu / phi, s))  # gamma-Poisson mixture


# --------------------------------------------------------------------------
# The table rows.
# --------------------------------------------------------------------------

def rows() -> list[Distribution]:
    """This module's rows of the DISTRIBUTIONS table (assembled in
    :mod:`stdlib.distributions`, which this imports only here, so that the
    definitions above can be imported on their own without an import cycle)."""
    from .distributions import Distribution, _i, _r

    return [
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
