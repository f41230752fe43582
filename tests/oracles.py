"""Hand-written log-density oracles for every model in ``examples/``.

Each ``logp_<name>(theta, data)`` is written independently of ``ppl`` with
numpy and scipy.stats.  It returns the log density of the UNCONSTRAINED
parameter vector ``theta`` (Stan's layout: parameters in declaration order,
arrays row-major, matrices column-major), that is

    log p(x(theta), y) + log |det J(theta)|,

with the full normalising constant of every ``~`` statement (pplc treats
``y ~ foo(...)`` exactly as ``target += foo_lpdf(y | ...)``).

For the changepoint examples (coal, coal2, coal3, textmsg_changepoint) theta
holds only the continuous parameters, and the discrete ``tau`` is summed out
by brute-force enumeration of every placement 1 < tau[1] < ... < tau[M] <= T
under the uniform prior 1 / C(T-1, M).

``ORACLES`` maps each example folder name to its oracle, ``param_count(name)``
gives the unconstrained dimension, and ``load_data(name)`` reads the example's
``data.json``.  ``python tests/oracles_selfcheck.py`` runs the self-checks.
"""
from __future__ import annotations

import functools
import itertools
import json
import math
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.special import gammaln, logsumexp

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

_LOG_2PI = math.log(2.0 * math.pi)


def load_data(name: str) -> dict:
    """The ``data.json`` of ``examples/<name>/``."""
    with open(EXAMPLES_DIR / name / "data.json", encoding="utf-8") as fh:
        return json.load(fh)


# --------------------------------------------------------------- transforms
def _check_len(theta, n: int, name: str) -> np.ndarray:
    theta = np.asarray(theta, dtype=float).reshape(-1)
    if theta.shape[0] != n:
        raise ValueError(f"{name}: expected {n} unconstrained parameters, got {theta.shape[0]}")
    return theta


def _log_inv_logit(u):
    return -np.logaddexp(0.0, -u)


def _log1m_inv_logit(u):
    return -np.logaddexp(0.0, u)


def _inv_logit(u):
    return np.exp(_log_inv_logit(u))


def _lower(u, lb=0.0):
    """x = lb + exp(u); log|J| = u (elementwise; returns x, summed log|J|)."""
    u = np.asarray(u, dtype=float)
    return lb + np.exp(u), float(np.sum(u))


def _lower_upper(u, lb, ub):
    """x = lb + (ub - lb) inv_logit(u); log|J| = log(ub-lb) + log s + log(1-s)."""
    u = np.asarray(u, dtype=float)
    x = lb + (ub - lb) * _inv_logit(u)
    lj = np.log(ub - lb) + _log_inv_logit(u) + _log1m_inv_logit(u)
    return x, float(np.sum(lj))


def _ordered(u):
    """x1 = u1, xk = x(k-1) + exp(uk); log|J| = sum_{k>=2} uk."""
    u = np.asarray(u, dtype=float)
    x = np.empty_like(u)
    x[0] = u[0]
    for k in range(1, len(u)):
        x[k] = x[k - 1] + math.exp(u[k])
    return x, float(np.sum(u[1:]))


def _positive_ordered(u):
    """x1 = exp(u1), xk = x(k-1) + exp(uk); log|J| = sum uk."""
    u = np.asarray(u, dtype=float)
    x = np.cumsum(np.exp(u))
    return x, float(np.sum(u))


def _simplex(u):
    """Centred stick-breaking: K-1 unconstrained values -> simplex[K]."""
    u = np.asarray(u, dtype=float)
    K = len(u) + 1
    x = np.empty(K)
    stick = 1.0
    lj = 0.0
    for k in range(1, K):                       # k = 1..K-1 (1-based)
        a = u[k - 1] + math.log(1.0 / (K - k))
        z = float(_inv_logit(a))
        lj += float(_log_inv_logit(a) + _log1m_inv_logit(a)) + math.log(stick)
        x[k - 1] = stick * z
        stick -= x[k - 1]
    x[K - 1] = stick
    return x, lj


# ----------------------------------------------------------- densities
def _normal(y, mu, sigma) -> float:
    return float(np.sum(stats.norm.logpdf(y, loc=mu, scale=sigma)))


def _cauchy(y, mu, sigma) -> float:
    return float(np.sum(stats.cauchy.logpdf(y, loc=mu, scale=sigma)))


def _poisson(y, lam) -> float:
    return float(np.sum(stats.poisson.logpmf(y, lam)))


def _poisson_log_terms(y, log_lam):
    """Elementwise poisson_log_lpmf: y * a - exp(a) - lgamma(y + 1)."""
    y = np.asarray(y, dtype=float)
    return y * log_lam - np.exp(log_lam) - gammaln(y + 1.0)


# ====================================================== Lee, Yu & Yang 2018
def logp_temperature(theta, data) -> float:
    T = int(data["T"])
    theta = _check_len(theta, 1 + 2 * (T - 1), "temperature")
    obs = np.asarray(data["obs"], dtype=float)
    theta0 = theta[0]
    th = theta[1:T]
    qn = theta[T:2 * T - 1]
    theta_low = data["theta_s"] - data["delta_d"] / 2.0
    theta_up = data["theta_s"] + data["delta_d"] / 2.0
    R, C, P = data["R"], data["C"], data["P_rate"]
    lp = _normal(theta0, 20.0, 0.001) + _normal(obs[0], theta0, 1.0)
    t_prev, q_prev = theta0, 0.0
    for i in range(1, T):
        if t_prev < theta_low:
            m = 0.0
        elif t_prev > theta_up:
            m = 1.0
        else:
            m = q_prev
        lp += _normal(qn[i - 1], m, 0.001)
        on = qn[i - 1] > 0.5
        q = 1.0 if on else 0.0
        b = (data["theta_a"] - (t_prev + q * R * P)) / (C * R)
        s = data["sigma1"] if on else data["sigma0"]
        lp += _normal(th[i - 1], t_prev + b, s * data["sqrt_time_step"])
        lp += _normal(obs[i], th[i - 1], 1.0)
        t_prev, q_prev = th[i - 1], q
    return float(lp)


def logp_textmsg(theta, data) -> float:
    theta = _check_len(theta, 3, "textmsg")
    x0, x1, z = theta
    y = np.asarray(data["y"])
    T = int(data["T"])
    lp = _normal(x0, 2.6362, 0.8326) + _normal(x1, 2.6362, 0.8326) + _normal(z, 0.0, 1.0)
    days = np.arange(2, T + 1, 2)                       # 2, 4, ..., 74
    first = z > stats.norm.ppf(days / 75.0)
    rate_log = np.where(first, x0, x1)
    lp += float(np.sum(_poisson_log_terms(y[days - 1], rate_log)))
    return float(lp)


def logp_influenza(theta, data) -> float:
    T = int(data["T"])
    theta = _check_len(theta, 1 + 3 * T, "influenza")
    y = np.asarray(data["y"], dtype=float)
    f0 = theta[0]
    v = theta[1:1 + T]
    w = theta[1 + T:1 + 2 * T]
    f = theta[1 + 2 * T:1 + 3 * T]
    a1, a2 = data["alpha1"], data["alpha2"]
    b0, b1 = data["beta0"], data["beta1"]
    s1, s2, sv = data["sigma1"], data["sigma2"], data["sigma_v"]
    lp = _normal(f0, 0.0, 1.0)
    a_p = b_p = c_p = d_p = 0.0
    f_p = f0
    for i in range(T):
        lp += _normal(v[i], 0.0, s1) + _normal(w[i], 0.0, s2)
        a = a1 * a_p + a2 * b_p + v[i]
        b = a_p
        c = b1 * c_p + b0 + w[i]
        d = d_p
        lp += _normal(f[i], 0.67 if f_p > 0 else -0.67, 1.0)
        if f[i] > 0:
            lp += _normal(y[i], a + d, sv)
        else:
            lp += _normal(y[i], a + c + d, sv)
        a_p, b_p, c_p, d_p, f_p = a, b, c, d, f[i]
    return float(lp)


logp_influenza_full = logp_influenza


# ================================================================ changepoints
@functools.lru_cache(maxsize=None)
def _placements(T: int, M: int) -> np.ndarray:
    """All placements 1 < tau[1] < ... < tau[M] <= T, as an (n, M) int array."""
    combos = itertools.combinations(range(2, T + 1), M)
    arr = np.fromiter(itertools.chain.from_iterable(combos), dtype=np.int64)
    arr = arr.reshape(-1, M)
    assert arr.shape[0] == math.comb(T - 1, M)
    arr.setflags(write=False)
    return arr


def changepoint_loglik_enum(ell: np.ndarray, M: int) -> float:
    """log sum_tau 1/C(T-1,M) exp(sum_t ell[t, segment(tau, t)]) by enumeration.

    ``ell`` is the (T, M+1) table: ell[t-1, j-1] = log-likelihood of step t
    when t is in segment j.  Vectorised over all placements.
    """
    ell = np.asarray(ell, dtype=float)
    T = ell.shape[0]
    assert ell.shape[1] == M + 1
    taus = _placements(T, M)
    n = taus.shape[0]
    # cum[t, j] = sum_{s <= t} ell[s, j]  (1-based s), cum[0, j] = 0
    cum = np.vstack([np.zeros((1, M + 1)), np.cumsum(ell, axis=0)])
    bounds = np.empty((n, M + 2), dtype=np.int64)
    bounds[:, 0] = 1
    bounds[:, 1:M + 1] = taus
    bounds[:, M + 1] = T + 1
    total = np.zeros(n)
    for j in range(M + 1):                # segment j+1 covers bounds[j] .. bounds[j+1]-1
        total += cum[bounds[:, j + 1] - 1, j] - cum[bounds[:, j] - 1, j]
    return float(logsumexp(total) - math.log(math.comb(T - 1, M)))


def _coal_M(theta, data, M: int, name: str) -> float:
    theta = _check_len(theta, M + 1, name)
    rate, lj = _lower(theta, 0.0)
    D = np.asarray(data["D"])
    lp = float(np.sum(stats.expon.logpdf(rate))) + lj    # exponential(1)
    ell = stats.poisson.logpmf(D[:, None], rate[None, :])  # (T, M+1)
    return lp + changepoint_loglik_enum(ell, M)


def logp_coal(theta, data) -> float:
    return _coal_M(theta, data, 1, "coal")


def logp_coal2(theta, data) -> float:
    return _coal_M(theta, data, 2, "coal2")


def logp_coal3(theta, data) -> float:
    return _coal_M(theta, data, 3, "coal3")


def logp_textmsg_changepoint(theta, data) -> float:
    theta = _check_len(theta, 2, "textmsg_changepoint")
    y = np.asarray(data["y"])
    lp = _normal(theta, 2.6362, 0.8326)
    ell = _poisson_log_terms(y[:, None], theta[None, :])   # (T, 2)
    return lp + changepoint_loglik_enum(ell, 1)


# ================================================================ posteriordb
def logp_kidiq_kidscore_momiq(theta, data) -> float:
    theta = _check_len(theta, 3, "kidiq-kidscore_momiq")
    beta = theta[:2]
    sigma, lj = _lower(theta[2], 0.0)
    kid = np.asarray(data["kid_score"], dtype=float)
    iq = np.asarray(data["mom_iq"], dtype=float)
    lp = _cauchy(sigma, 0.0, 2.5)
    lp += _normal(kid, beta[0] + beta[1] * iq, sigma)
    return lp + lj


def logp_earnings_logearn_height(theta, data) -> float:
    theta = _check_len(theta, 3, "earnings-logearn_height")
    beta = theta[:2]
    sigma, lj = _lower(theta[2], 0.0)
    log_earn = np.log(np.asarray(data["earn"], dtype=float))
    height = np.asarray(data["height"], dtype=float)
    return _normal(log_earn, beta[0] + beta[1] * height, sigma) + lj


def logp_earnings_earn_height(theta, data) -> float:
    theta = _check_len(theta, 3, "earnings-earn_height")
    beta = theta[:2]
    sigma, lj = _lower(theta[2], 0.0)
    earn = np.asarray(data["earn"], dtype=float)
    height = np.asarray(data["height"], dtype=float)
    return _normal(earn, beta[0] + beta[1] * height, sigma) + lj


def logp_diamonds_diamonds(theta, data) -> float:
    K = int(data["K"])
    theta = _check_len(theta, K + 1, "diamonds-diamonds")
    X = np.asarray(data["X"], dtype=float)
    Xc = X[:, 1:] - X[:, 1:].mean(axis=0)
    b = theta[:K - 1]
    intercept = theta[K - 1]
    sigma, lj = _lower(theta[K], 0.0)
    lp = _normal(b, 0.0, 1.0)
    lp += float(stats.t.logpdf(intercept, 3, 8, 10))
    lp += float(stats.t.logpdf(sigma, 3, 0, 10)) + np.log(2.0)
    lp += _normal(np.asarray(data["Y"], dtype=float), intercept + Xc @ b, sigma)
    return lp + lj


def logp_eight_schools_eight_schools_noncentered(theta, data) -> float:
    J = int(data["J"])
    theta = _check_len(theta, J + 2, "eight_schools-eight_schools_noncentered")
    th_trans = theta[:J]
    mu = theta[J]
    tau, lj = _lower(theta[J + 1], 0.0)
    th = th_trans * tau + mu
    lp = _normal(th_trans, 0.0, 1.0)
    lp += _normal(np.asarray(data["y"], dtype=float), th, np.asarray(data["sigma"], dtype=float))
    lp += _normal(mu, 0.0, 5.0)
    lp += _cauchy(tau, 0.0, 5.0)
    return lp + lj


def logp_arK_arK(theta, data) -> float:
    K, T = int(data["K"]), int(data["T"])
    theta = _check_len(theta, K + 2, "arK-arK")
    alpha = theta[0]
    beta = theta[1:K + 1]
    sigma, lj = _lower(theta[K + 1], 0.0)
    y = np.asarray(data["y"], dtype=float)
    lp = _normal(alpha, 0.0, 10.0) + _normal(beta, 0.0, 10.0) + _cauchy(sigma, 0.0, 2.5)
    for t in range(K, T):                 # 0-based t = K .. T-1  (Stan t = K+1 .. T)
        mu = alpha
        for k in range(1, K + 1):
            mu += beta[k - 1] * y[t - k]
        lp += _normal(y[t], mu, sigma)
    return lp + lj


def logp_garch_garch11(theta, data) -> float:
    theta = _check_len(theta, 4, "garch-garch11")
    mu = theta[0]
    alpha0, lj0 = _lower(theta[1], 0.0)
    alpha1, lj1 = _lower_upper(theta[2], 0.0, 1.0)
    beta1, lj2 = _lower_upper(theta[3], 0.0, 1.0 - alpha1)
    y = np.asarray(data["y"], dtype=float)
    T = int(data["T"])
    sigma = np.empty(T)
    sigma[0] = data["sigma1"]
    for t in range(1, T):
        sigma[t] = math.sqrt(alpha0 + alpha1 * (y[t - 1] - mu) ** 2 + beta1 * sigma[t - 1] ** 2)
    return _normal(y, mu, sigma) + lj0 + lj1 + lj2


def logp_mesquite_logmesquite(theta, data) -> float:
    theta = _check_len(theta, 8, "mesquite-logmesquite")
    b = theta[:7]
    sigma, lj = _lower(theta[7], 0.0)
    g = {k: np.asarray(data[k], dtype=float) for k in
         ("weight", "diam1", "diam2", "canopy_height", "total_height", "density", "group")}
    mean = (b[0] + b[1] * np.log(g["diam1"]) + b[2] * np.log(g["diam2"])
            + b[3] * np.log(g["canopy_height"]) + b[4] * np.log(g["total_height"])
            + b[5] * np.log(g["density"]) + b[6] * g["group"])
    return _normal(np.log(g["weight"]), mean, sigma) + lj


def logp_nes1972_nes(theta, data) -> float:
    theta = _check_len(theta, 10, "nes1972-nes")
    b = theta[:9]
    sigma, lj = _lower(theta[9], 0.0)
    v = {k: np.asarray(data[k], dtype=float) for k in
         ("partyid7", "real_ideo", "race_adj", "educ1", "gender", "income")}
    age = np.asarray(data["age_discrete"])
    mean = (b[0] + b[1] * v["real_ideo"] + b[2] * v["race_adj"]
            + b[3] * (age == 2) + b[4] * (age == 3) + b[5] * (age == 4)
            + b[6] * v["educ1"] + b[7] * v["gender"] + b[8] * v["income"])
    return _normal(v["partyid7"], mean, sigma) + lj


def logp_sblri_blr(theta, data) -> float:
    D = int(data["D"])
    theta = _check_len(theta, D + 1, "sblri-blr")
    beta = theta[:D]
    sigma, lj = _lower(theta[D], 0.0)
    X = np.asarray(data["X"], dtype=float)          # rows of the N x D matrix
    y = np.asarray(data["y"], dtype=float)
    lp = _normal(beta, 0.0, 10.0) + _normal(sigma, 0.0, 10.0)
    lp += _normal(y, X @ beta, sigma)
    return lp + lj


def logp_low_dim_gauss_mix_low_dim_gauss_mix(theta, data) -> float:
    theta = _check_len(theta, 5, "low_dim_gauss_mix-low_dim_gauss_mix")
    mu, lj_mu = _ordered(theta[0:2])
    sigma, lj_s = _lower(theta[2:4], 0.0)
    th, lj_t = _lower_upper(theta[4], 0.0, 1.0)
    th = float(th)
    y = np.asarray(data["y"], dtype=float)
    lp = _normal(sigma, 0.0, 2.0) + _normal(mu, 0.0, 2.0)
    lp += float(stats.beta.logpdf(th, 5.0, 5.0))
    l1 = stats.norm.logpdf(y, mu[0], sigma[0])
    l2 = stats.norm.logpdf(y, mu[1], sigma[1])
    lp += float(np.sum(np.logaddexp(math.log(th) + l1, math.log1p(-th) + l2)))
    return lp + lj_mu + lj_s + lj_t


def logp_hmm_example_hmm_example(theta, data) -> float:
    K, N = int(data["K"]), int(data["N"])
    theta = _check_len(theta, 2 * (K - 1) + K, "hmm_example-hmm_example")
    theta1, lj1 = _simplex(theta[0:K - 1])
    theta2, lj2 = _simplex(theta[K - 1:2 * (K - 1)])
    mu, lj3 = _positive_ordered(theta[2 * (K - 1):])
    trans = np.vstack([theta1, theta2])              # trans[j, k] = theta[j][k]
    y = np.asarray(data["y"], dtype=float)
    lp = _normal(mu[0], 3.0, 1.0) + _normal(mu[1], 10.0, 1.0)
    emit = stats.norm.logpdf(y[:, None], mu[None, :], 1.0)   # (N, K)
    logtrans = np.log(trans)
    gamma = emit[0].copy()
    for t in range(1, N):
        # gamma_new[k] = log_sum_exp_j(gamma[j] + log trans[j, k] + emit[t, k])
        gamma = logsumexp(gamma[:, None] + logtrans, axis=0) + emit[t]
    lp += float(logsumexp(gamma))
    return lp + lj1 + lj2 + lj3


def logp_censored(theta, data) -> float:
    theta = _check_len(theta, 2, "censored")
    mu = theta[0]
    sigma, lj = _lower(theta[1], 0.0)
    y = np.asarray(data["y_obs"], dtype=float)
    lp = _normal(mu, 0.0, 5.0) + float(stats.lognorm.logpdf(sigma, 1.0))
    lp += _normal(y, mu, sigma)
    lp += data["N_cens"] * float(stats.norm.logsf(data["U"], mu, sigma))   # P(y > U) each
    return lp + lj


# ================================================================ registry
ORACLES = {
    "censored": logp_censored,
    "temperature": logp_temperature,
    "textmsg": logp_textmsg,
    "influenza": logp_influenza,
    "influenza_full": logp_influenza_full,
    "coal": logp_coal,
    "coal2": logp_coal2,
    "coal3": logp_coal3,
    "textmsg_changepoint": logp_textmsg_changepoint,
    "kidiq-kidscore_momiq": logp_kidiq_kidscore_momiq,
    "earnings-logearn_height": logp_earnings_logearn_height,
    "earnings-earn_height": logp_earnings_earn_height,
    "diamonds-diamonds": logp_diamonds_diamonds,
    "eight_schools-eight_schools_noncentered": logp_eight_schools_eight_schools_noncentered,
    "arK-arK": logp_arK_arK,
    "garch-garch11": logp_garch_garch11,
    "mesquite-logmesquite": logp_mesquite_logmesquite,
    "nes1972-nes": logp_nes1972_nes,
    "sblri-blr": logp_sblri_blr,
    "low_dim_gauss_mix-low_dim_gauss_mix": logp_low_dim_gauss_mix_low_dim_gauss_mix,
    "hmm_example-hmm_example": logp_hmm_example_hmm_example,
}

# Unconstrained dimension of each example with its shipped data.json (for the
# changepoint examples: the continuous parameters only).
PARAM_COUNTS = {
    "censored": 2,            # mu, sigma
    "temperature": 41,        # theta0, theta[20], qn[20]
    "textmsg": 3,             # x0, x1, z
    "influenza": 37,          # f0, v[12], w[12], f[12]
    "influenza_full": 397,    # f0, v[132], w[132], f[132]
    "coal": 2,                # rate[2]
    "coal2": 3,               # rate[3]
    "coal3": 4,               # rate[4]
    "textmsg_changepoint": 2,  # log_rate[2]
    "kidiq-kidscore_momiq": 3,
    "earnings-logearn_height": 3,
    "earnings-earn_height": 3,
    "diamonds-diamonds": 26,
    "eight_schools-eight_schools_noncentered": 10,
    "arK-arK": 7,
    "garch-garch11": 4,
    "mesquite-logmesquite": 8,
    "nes1972-nes": 10,
    "sblri-blr": 6,
    "low_dim_gauss_mix-low_dim_gauss_mix": 5,
    "hmm_example-hmm_example": 4,  # theta1 (1), theta2 (1), mu (2)
}

# Number of changepoints per changepoint example.
CHANGEPOINTS = {"coal": 1, "coal2": 2, "coal3": 3, "textmsg_changepoint": 1}


def param_count(name: str) -> int:
    """Unconstrained dimension of ``examples/<name>`` (continuous parameters)."""
    return PARAM_COUNTS[name]
