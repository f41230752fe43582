"""The mixture-of-Gaussians guide: its pathwise gradient against finite
differences, and fits of targets one Gaussian cannot hold (a bimodal density,
the coal-mining rates with two changepoints summed out)."""
import json
import os
import warnings

import numpy as np
import pytest

import ppl
from ppl.infer.guides import MeanFieldMixture
from test_changepoints import exact_coal_posterior

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _elbo_fixed_eps(guide, phi, eps, log_p):
    """The stratified ELBO estimate with eps held fixed: sum_k pi_k mean_s [log p - log q](mu_k + sigma_k eps)."""
    theta = guide.stratified_draws(phi, eps)
    f = (log_p(theta) - guide.log_q(phi, theta)).reshape(eps.shape[:2])
    return guide.weights(phi) @ f.mean(axis=1)


def test_stratified_gradient_matches_finite_differences():
    """With eps fixed, d/dphi of the estimate = our gradient + the left-out term
    -sum_k pi_k mean_s d/dphi log q(theta_ks) (theta held fixed), each by central
    differences (step 1e-6: truncation ~1e-12, rounding ~1e-10; tolerance 1e-6)."""
    rng = np.random.default_rng(0)
    d, K, S = 3, 3, 4
    A = rng.normal(size=(d, d))
    P = A @ A.T + np.eye(d)                       # a Gaussian target with its gradient in closed form

    def log_p(theta):
        return -0.5 * np.einsum("sa,ab,sb->s", theta - 0.5, P, theta - 0.5)

    guide = MeanFieldMixture(d, K)
    phi = rng.normal(scale=0.5, size=guide.n_params)
    eps = rng.standard_normal((K, S, d))
    theta = guide.stratified_draws(phi, eps)
    _, grad = guide.stratified_elbo_grad(phi, eps, theta, log_p(theta), -(theta - 0.5) @ P)

    def left_out(ph):
        return -(guide.weights(phi) @ guide.log_q(ph, theta).reshape(K, S).mean(axis=1))

    h = 1e-6
    for i in range(guide.n_params):
        e = np.zeros_like(phi)
        e[i] = h
        fd = (_elbo_fixed_eps(guide, phi + e, eps, log_p) - _elbo_fixed_eps(guide, phi - e, eps, log_p)) / (2 * h)
        fd_left_out = (left_out(phi + e) - left_out(phi - e)) / (2 * h)
        assert abs(grad[i] + fd_left_out - fd) < 1e-6 * max(1.0, abs(fd)), i


def test_draws_and_log_q_agree():
    """log q integrates to one (quadrature in 1-D) and the draws' histogram follows it
    (20,000 draws: each bin's count within 4 binomial sds)."""
    guide = MeanFieldMixture(1, 3)
    phi = np.array([0.3, -0.5, 0.0, -2.0, 0.5, 3.0, -0.7, 0.2, -0.3])
    x = np.linspace(-10, 10, 20001)
    q = np.exp(guide.log_q(phi, x[:, None]))
    assert abs(np.sum((q[1:] + q[:-1]) / 2 * np.diff(x)) - 1.0) < 1e-8
    draws = guide.draw(phi, np.random.default_rng(1), 20000)[:, 0]
    edges = np.linspace(-4, 5, 19)
    counts, _ = np.histogram(draws, edges)
    cdf = np.concatenate([[0], np.cumsum((q[1:] + q[:-1]) / 2 * np.diff(x))])
    p = np.diff(np.interp(edges, x, cdf))
    assert np.all(np.abs(counts - 20000 * p) < 4 * np.sqrt(20000 * p * (1 - p)) + 1)


BIMODAL = """
parameters { real x; }
model { target += log_mix(0.3, normal_lpdf(x | -3, 1), normal_lpdf(x | 3, 1)); }
"""


def test_mixture_guide_finds_both_modes_where_one_gaussian_cannot():
    """Target 0.3 N(-3, 1) + 0.7 N(3, 1): mean 1.2, P(x < 0) = 0.3.  The mean-field
    guide sits in one mode (P(x < 0) is 0 or 1); the mixture's draws match both
    figures within 4 standard errors of 4000 draws plus the optimiser's slack (0.05)."""
    model = ppl.compile(BIMODAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = model.infer({}, iter=1000, lr=0.05, tol_rel_obj=0.0, seed=1, draws=4000)
        mix = model.infer({}, guide="mixture", components=3, iter=1000, lr=0.05, tol_rel_obj=0.0,
                          seed=1, draws=4000)
    below = np.mean(mf.draws["x"] < 0)
    assert below < 0.02 or below > 0.98
    x = mix.draws["x"]
    se_p = np.sqrt(0.3 * 0.7 / x.size)
    assert abs(np.mean(x < 0) - 0.3) < 4 * se_p + 0.05
    assert abs(x.mean() - 1.2) < 4 * x.std() / np.sqrt(x.size) + 0.3
    assert mix.guide_name == "mixture" and abs(sum(mix.guide["weights"]) - 1) < 1e-12


def test_mixture_guide_refuses_guarded_models():
    model = ppl.compile("parameters { real x; }\nmodel { if (x > 0) target += -x; else target += x; }\n")
    from ppl.infer.optimize import InferenceError
    with pytest.raises(InferenceError, match="guide='mixture' is fitted with the reparameterisation"):
        model.infer({}, guide="mixture", iter=10)
