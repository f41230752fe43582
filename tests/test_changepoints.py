"""Exact changepoint marginalisation (DESIGN §7) against brute-force enumeration,
the native (Numba) recursion against the numpy reference and enumeration, and
the fitted changepoint posterior of coal mining against its closed form."""
import itertools
import json
import os
import warnings

import numpy as np
import pytest
from scipy.special import gammaln, logsumexp

import ppl
from conftest import EXAMPLES
from ppl.stdlib import changepoint as C
from ppl.stdlib import native_changepoint as NC


def placements(T, M):
    return list(itertools.combinations(range(2, T + 1), M))


def segments(taus, T):
    """0-based segment of each 1-based time 1..T given 1-based changepoints."""
    return np.searchsorted(np.asarray(taus), np.arange(1, T + 1), side="right")


def enumerate_table(ell):
    """log p, segment posteriors (T, M+1), changepoint marginals (M, T) by enumeration."""
    T, M1 = ell.shape
    M = M1 - 1
    logs, segs, taus = [], [], []
    for tau in placements(T, M):
        s = segments(tau, T)
        logs.append(ell[np.arange(T), s].sum())
        segs.append(s)
        taus.append(tau)
    logs = np.array(logs)
    w = np.exp(logs - logsumexp(logs))
    post = np.zeros((T, M1))
    marg = np.zeros((M, T))
    for wk, s, tau in zip(w, segs, taus):
        post[np.arange(T), s] += wk
        for k, t in enumerate(tau):
            marg[k, t - 1] += wk
    return logsumexp(logs) - np.log(len(logs)), post, marg


@pytest.mark.parametrize("T,M", [(2, 1), (5, 1), (6, 2), (9, 3), (12, 4), (14, 2), (14, 4), (5, 4)])
def test_value_and_gradient_against_enumeration(T, M):
    rng = np.random.default_rng(T * 10 + M)
    ell = rng.normal(scale=2.0, size=(T, M + 1))
    value, post, marg = enumerate_table(ell)
    np.testing.assert_allclose(C.log_marginal(ell[None])[0], value, rtol=1e-10)
    # d log p / d ell[t, j] = posterior probability that step t is in segment j
    alpha, beta = C.forward(ell[None])[0], C.backward(ell[None])[0]
    grad = np.exp(alpha + beta - alpha[T - 1, M])
    np.testing.assert_allclose(np.where(np.isfinite(grad), grad, 0.0), post, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(C.segment_posteriors(ell[None])[0], post, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(C.changepoint_probabilities(ell[None])[0], marg, rtol=1e-10, atol=1e-14)


def probabilities_by_alpha_beta(ell):
    """P(tau_k = t) [k, t] by DESIGN §7's exp(alpha[t-1, k-1] + ell[t, k] + beta[t, k] - total),
    in ell's precision (long double for a reference)."""
    T, M1 = ell.shape
    alpha, beta = C.forward(ell), C.backward(ell)
    out = np.zeros((M1 - 1, T), dtype=alpha.dtype)
    with np.errstate(all="ignore"):
        for k in range(1, M1):
            out[k - 1, 1:] = np.exp(alpha[:-1, k - 1] + ell[1:, k] + beta[1:, k] - alpha[-1, -1])
    return out


def long_mean_shift_table(T, M, sigma, seed):
    """ell of a Gaussian mean-shift series (unit noise) under segment means near the truth and
    scale ``sigma``: |alpha| grows like T / sigma^2, the size at which alpha + beta - total cancels."""
    rng = np.random.default_rng(seed)
    taus = np.sort(rng.choice(np.arange(1, T), M, replace=False))
    mu = np.cumsum(rng.choice([-1.0, 1.0], M + 1) * rng.uniform(0.5, 1.5, M + 1))
    y = mu[np.searchsorted(taus, np.arange(T), side="right")] + rng.normal(size=T)
    return -0.5 * ((y[:, None] - mu[None, :]) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)


@pytest.mark.skipif(np.finfo(np.longdouble).eps > 1e-18, reason="long double is no wider than float64 here")
@pytest.mark.parametrize("sigma", [1.0, 0.3])
def test_long_series_probabilities_keep_their_relative_precision(sigma):
    """T = 10,000 with |alpha| ~ 1e4..1e5: the changepoint and segment posteriors agree with
    DESIGN §7's formula evaluated in long double (whose own cancellation costs |alpha| x 1e-19)
    to 1e-12 relative, and each sums to 1 to 1e-14; the same formula in float64 is off by
    |alpha| x 1e-16 (about 1e-11 here)."""
    ell = long_mean_shift_table(10_000, 3, sigma, seed=5)
    wide = ell.astype(np.longdouble)
    p = C.changepoint_probabilities(ell[None])[0]
    ref = probabilities_by_alpha_beta(wide)
    likely = ref > 1e-10
    assert np.max(np.abs(p[likely] - ref[likely]) / ref[likely]) < 1e-12
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    g = C.segment_posteriors(ell[None])[0]
    alpha, beta = C.forward(wide), C.backward(wide)
    with np.errstate(all="ignore"):
        ref_g = np.exp(alpha + beta - alpha[-1, -1])
    likely = ref_g > 1e-10
    assert np.max(np.abs(g[likely] - ref_g[likely]) / ref_g[likely]) < 1e-12
    np.testing.assert_allclose(g.sum(axis=1), 1.0, rtol=0, atol=1e-14)


def posteriors_by_alpha_beta(ell):
    """Segment posteriors exp(alpha + beta - total) (S, T, M+1), DESIGN §7's formula."""
    alpha, beta = C.forward(ell), C.backward(ell)
    with np.errstate(all="ignore"):
        w = np.exp(alpha + beta - alpha[:, -1:, -1:])
    return np.where(np.isfinite(w), w, 0.0)


def random_tables(rng, S, T, M, p_inf):
    """Tables with a spread of scales and some -inf cells (impossible step/segment pairs)."""
    ell = rng.normal(scale=rng.choice([0.5, 3.0, 30.0]), size=(S, T, M + 1))
    ell[rng.random(ell.shape) < p_inf] = -np.inf
    return ell


@pytest.mark.parametrize("T,M", [(2, 1), (5, 1), (6, 2), (9, 3), (12, 4), (14, 2), (14, 4), (5, 4)])
def test_native_recursion_against_enumeration(T, M):
    rng = np.random.default_rng(T * 10 + M)
    ell = rng.normal(scale=2.0, size=(T, M + 1))
    value, post, _ = enumerate_table(ell)
    grad = np.empty_like(ell)
    assert NC.log_marginal_gradient(ell, grad) == pytest.approx(value, rel=1e-10)
    assert NC.log_marginal(ell) == pytest.approx(value, rel=1e-10)
    np.testing.assert_allclose(grad, post, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 14, 60, 400])
def test_native_recursion_against_the_numpy_reference(T):
    """Batches of random tables, with and without -inf cells, every M = 0..min(4, T-1) and
    one M above T-1 (no placement): value and segment posteriors to 1e-10 relative (the
    posteriors against both numpy forms: the reverse sweep and alpha + beta)."""
    rng = np.random.default_rng(T)
    for M in [*range(min(4, T - 1) + 1), T, *([10] if T > 10 else [])]:
        for p_inf in (0.0, 0.1, 0.4):
            ell = random_tables(rng, 5, T, M, p_inf)
            want = C.log_marginal(ell)
            value, grad = NC.log_marginal_gradient_batch(ell)
            finite = np.isfinite(want)
            assert np.array_equal(np.isfinite(value), finite) and np.all(value[~finite] == -np.inf)
            np.testing.assert_allclose(value[finite], want[finite], rtol=1e-10)
            np.testing.assert_allclose(NC.log_marginal_batch(ell), value, rtol=1e-13)
            np.testing.assert_allclose(grad, C.segment_posteriors(ell), rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(grad, posteriors_by_alpha_beta(ell), rtol=1e-10, atol=1e-13)
            assert not np.isnan(grad).any()


def test_native_recursion_on_degenerate_tables():
    ell = np.full((10, 4), -np.inf)
    ell[:, 0] = 0.0                      # only segment 0 possible: no placement has mass
    grad = np.full_like(ell, np.nan)
    assert NC.log_marginal_gradient(ell, grad) == -np.inf and np.all(grad == 0.0)
    ell = np.zeros((10, 4))
    ell[3, :] = -1e300
    assert np.isfinite(NC.log_marginal(ell))
    # one dominant placement: every posterior is 0 or 1
    ell = np.zeros((8, 3))
    ell[:3, 1:] = ell[3:5, [0, 2]] = ell[5:, :2] = -1e4
    NC.log_marginal_gradient(ell, grad := np.empty_like(ell))
    np.testing.assert_array_equal(grad, np.where(ell == 0.0, 1.0, 0.0))


def test_extreme_tables_give_no_nan():
    ell = np.full((1, 10, 4), -np.inf)
    ell[0, :, 0] = 0.0                   # only segment 0 possible: no placement has mass
    assert C.log_marginal(ell)[0] == -np.inf
    ell = np.zeros((1, 10, 4))
    ell[0, 3, :] = -1e300
    assert np.isfinite(C.log_marginal(ell)[0])


def test_backward_sampling_draws_from_the_exact_posterior():
    """Frequencies of 40,000 joint draws vs enumeration; each placement's frequency has
    sd <= sqrt(p(1-p)/n) <= 0.0025, so a 0.012 bound is about 5 sd."""
    rng = np.random.default_rng(1)
    T, M = 8, 2
    ell = rng.normal(size=(T, M + 1))
    draws = C.sample(np.repeat(ell[None], 40000, axis=0), rng)
    logs = {tau: ell[np.arange(T), segments(tau, T)].sum() for tau in placements(T, M)}
    z = logsumexp(list(logs.values()))
    counts = {}
    for row in map(tuple, draws):
        counts[row] = counts.get(row, 0) + 1
    for tau, lp in logs.items():
        assert abs(counts.get(tau, 0) / 40000 - np.exp(lp - z)) < 0.012


MODEL = """
data { int T; array[T] int D; }
parameters { vector<lower=0>[%d] rate; changepoints[%d, T] tau; }
model {
  rate ~ exponential(1);
  for (t in 1:T) D[t] ~ poisson(rate[segment(tau, t)]);
}
"""


def _coal():
    return json.load(open(os.path.join(EXAMPLES, "coal", "data.json")))


@pytest.mark.parametrize("M", [1, 2, 3])
def test_real_model_density_and_gradient_against_enumeration(M):
    """Coal counts truncated to T = 14: log density and its gradient equal an enumeration
    over all placements written here by hand (gradient by central differences of it)."""
    D = np.array(_coal()["D"][:14])
    T = D.size
    bm = ppl.compile(MODEL % (M + 1, M)).bind({"T": T, "D": D.tolist()})

    def oracle(u):
        rate = np.exp(u)
        lp = np.sum(-rate) + np.sum(u)          # exponential(1) priors + log-Jacobian
        ll = D[:, None] * np.log(rate)[None] - rate[None] - gammaln(D + 1)[:, None]
        logs = [ll[np.arange(T), segments(tau, T)].sum() for tau in placements(T, M)]
        return lp + logsumexp(logs) - np.log(len(logs))

    rng = np.random.default_rng(M)
    for _ in range(3):
        u = rng.normal(size=M + 1)
        lp, grad = bm.log_density_gradient(u)
        np.testing.assert_allclose(lp, oracle(u), rtol=1e-10)
        fd = np.array([(oracle(u + 1e-6 * e) - oracle(u - 1e-6 * e)) / 2e-6 for e in np.eye(M + 1)])
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


TAPED_SERIES = """
data { int T; vector[T] y; }
parameters { vector[3] mu; real<lower=0> sigma; changepoints[2, T] tau; }
model {
  mu ~ normal(0, 3);
  sigma ~ lognormal(0, 1);
  for (t in 1:T) {
    real m = mu[segment(tau, t)];
    if (t >= tau[2]) m = m + 0.5 * mu[1];
    if (y[t] > 0) target += normal_lpdf(y[t] | m, sigma);
    else y[t] ~ normal(m, 2 * sigma);
  }
}
"""


def taped_series_data():
    return {"T": 12, "y": np.random.default_rng(2).normal(size=12).round(3).tolist()}


def test_series_with_locals_and_branches_against_enumeration():
    """A body with a local reassigned under a segment test and a data branch (the
    reverse sweep needs the local's last value in its lane frame): log density and
    gradient against enumeration written here by hand (gradient by central differences)."""
    data = taped_series_data()
    y, T = np.array(data["y"]), data["T"]
    bm = ppl.compile(TAPED_SERIES).bind(data)

    def oracle(u):
        mu, sigma = u[:3], np.exp(u[3])
        # normal(0, 3) priors; lognormal(0, 1) on sigma plus the log-Jacobian u[3]
        lp = np.sum(-0.5 * (mu / 3) ** 2 - np.log(3 * np.sqrt(2 * np.pi))) - 0.5 * u[3] ** 2 \
            - 0.5 * np.log(2 * np.pi)
        scale = np.where(y > 0, sigma, 2 * sigma)
        logs = []
        for tau in placements(T, 2):
            m = mu[segments(tau, T)] + np.where(np.arange(1, T + 1) >= tau[1], 0.5 * mu[0], 0.0)
            logs.append(np.sum(-0.5 * ((y - m) / scale) ** 2 - np.log(scale * np.sqrt(2 * np.pi))))
        return lp + logsumexp(logs) - np.log(len(logs))

    rng = np.random.default_rng(9)
    for _ in range(2):
        u = rng.normal(size=4)
        lp, grad = bm.log_density_gradient(u)
        np.testing.assert_allclose(lp, oracle(u), rtol=1e-10)
        fd = np.array([(oracle(u + 1e-6 * e) - oracle(u - 1e-6 * e)) / 2e-6 for e in np.eye(4)])
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


def exact_coal_posterior(D, M):
    """p(tau | D) and E[rates | D] with exponential(1) priors: Gamma integrals per segment."""
    T = D.size
    cs = np.concatenate([[0], np.cumsum(D)])
    logs, means, taus = [], [], []
    for tau in placements(T, M):
        bounds = [0, *[t - 1 for t in tau], T]
        lp, m = 0.0, []
        for a, b in zip(bounds, bounds[1:]):
            s, n = cs[b] - cs[a], b - a
            lp += gammaln(s + 1) - (s + 1) * np.log(n + 1)
            m.append((s + 1) / (n + 1))
        logs.append(lp), means.append(m), taus.append(tau)
    w = np.exp(np.array(logs) - logsumexp(logs))
    marg = np.zeros((M, T))
    for wk, tau in zip(w, taus):
        for k, t in enumerate(tau):
            marg[k, t - 1] += wk
    return marg, w @ np.array(means)


@pytest.mark.slow
@pytest.mark.parametrize("M", [1, 2])
def test_coal_fit_matches_the_exact_posterior(M):
    """Fitted (VI on the rates, tau summed out exactly): P(tau_k = t) averaged over the
    guide's draws vs the closed form: total variation < 0.05 per changepoint, same mode;
    posterior rate means near the exact ones.  One changepoint: mean-field, 8 draws per
    step; the fitted rate means jitter with Adam's last steps (relative sd over seeds
    0..11: 1.0% and 1.4%), so within 4 of those sds.  Two:
    the rates' posterior is a mixture over placements (the third rate's is bimodal), which
    one Gaussian misses by 4-6%; a 3-component mixture guide with PSIS resampling of 8000
    draws (ESS ~7000: the third rate's mean has a Monte Carlo sd of ~0.7%) holds it
    within 2%."""
    D = np.array(_coal()["D"])
    marg, rates = exact_coal_posterior(D, M)
    name = {1: "coal", 2: "coal2"}[M]
    d = os.path.join(EXAMPLES, name)
    options = dict(seed=3, iter=3000, lr=0.02, samples=8, tol_rel_obj=0.0, draws=4000) if M == 1 else \
        dict(seed=3, iter=2000, lr=0.05, tol_rel_obj=0.0, draws=8000, guide="mixture", psis_resample=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ppl.compile_file(os.path.join(d, "model.ppl")).infer(os.path.join(d, "data.json"), backend="numba",
                                                                   **options)
    got = fit.changepoints["tau"]
    for k in range(M):
        tv = 0.5 * np.abs(got["probabilities"][k] - marg[k]).sum()
        assert tv < 0.05, (k, tv)
        assert got["mode"][k] == int(np.argmax(marg[k])) + 1
    rtol = 4 * np.array([0.010, 0.014]) if M == 1 else 0.02
    assert np.all(np.abs(fit.draws["rate"].mean(axis=0) / rates - 1) < rtol), fit.draws["rate"].mean(axis=0) / rates
    assert fit.draws["tau"].shape == (options["draws"], M) and fit.draws["tau"].dtype.kind == "i"
    assert [c for c in fit.columns if c.startswith("tau.")] == [f"tau.{k + 1}" for k in range(M)]


@pytest.mark.slow
def test_mean_shift_series_recovers_the_true_changepoints():
    """T = 10,000, M = 5 (examples/mean_shift): a short fit (400 steps of 2 draws) finds
    every changepoint within 2 steps of the truth and the segment means within 0.1
    (each segment has >= 1,100 points, so the means' posterior sd is <= 0.03)."""
    d = os.path.join(EXAMPLES, "mean_shift")
    truth = json.load(open(os.path.join(d, "data.json")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ppl.compile_file(os.path.join(d, "model.ppl")).infer(
            os.path.join(d, "data.json"), backend="numba", iter=400, samples=2, lr=0.1, tol_rel_obj=0.0,
            draws=200, seed=1)
    assert np.all(np.abs(np.array(fit.changepoints["tau"]["mode"]) - truth["true_tau"]) <= 2)
    np.testing.assert_allclose(fit.draws["mu"].mean(axis=0), truth["true_mu"], atol=0.1)


def test_textmsg_changepoint_agrees_with_the_boundary_version():
    """The same even-day series as examples/textmsg, with one exact changepoint instead of
    the switch day 75 Phi(z) behind 37 guards: the modal first day of the second regime is
    day 26 (the boundary version's exact posterior puts the switch in (24, 26) with
    probability 0.82), and the log rates agree with that posterior within 0.5 sd (the two
    models differ only in the prior over the switch: uniform here, Phi(z) there)."""
    from test_textmsg_posterior import exact_posterior
    y = np.array(json.load(open(os.path.join(EXAMPLES, "textmsg", "data.json")))["y"])
    even = y[1::2]
    exact = exact_posterior(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ppl.compile_file(os.path.join(EXAMPLES, "textmsg_changepoint", "model.ppl")).infer(
            {"T": int(even.size), "y": even.tolist()}, backend="numba", iter=3000, lr=0.05, tol_rel_obj=0.0,
            seed=0)
    assert 2 * fit.changepoints["tau"]["mode"][0] == 26
    for k, name in enumerate(("x0", "x1")):
        mean, sd = exact[name]
        assert abs(fit.draws["log_rate"][:, k].mean() - mean) < 0.5 * sd
