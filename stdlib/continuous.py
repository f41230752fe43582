"""The continuous distributions of the DISTRIBUTIONS table: log densities,
their derivative rules and random-number generators, and the table rows.

The calling conventions (elementwise, no validation, ``-inf`` for cross-check
failures and ``LOG_ZERO`` cases, partials 0 there, choices at kinks and at the
edges of a support) are described in the docstring of
:mod:`stdlib.distributions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from ppl.lazy_scipy import special as sp

from ._numeric import (_LOG2, _LOG_PI, _LOG_SQRT_2PI, _NEG_INF, _elementwise,
                       _log1p_minus_ratio, _log1p_square, _rng, _sq_ratio,
                       _stirling_diff_deriv, _t_ratio, _t_ratio2, _xdivy)

if TYPE_CHECKING:
    from .distributions import Distribution


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


# --------------------------------------------------------------------------
# The table rows.
# --------------------------------------------------------------------------

def rows() -> list[Distribution]:
    """This module's rows of the DISTRIBUTIONS table (assembled in
    :mod:`stdlib.distributions`, which this imports only here, so that the
    definitions above can be imported on their own without an import cycle)."""
    from .distributions import Distribution, _r

    _Y_ANY = _r("y", "not_nan")
    _MU = _r("mu", "finite")
    _SIGMA = _r("sigma", "positive_finite")

    return [
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
    ]
