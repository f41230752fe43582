"""normal_id_glm (stdlib.glm): values against scipy, gradients against
central finite differences, the diamonds example written with it, and a type
error.  Numpy backend (conftest)."""
from __future__ import annotations

import os

import numpy as np
import pytest
from scipy import stats

import ppl
from conftest import EXAMPLES

MODEL = """
data { int N; int K; vector[N] y; matrix[N, K] x; }
parameters { ALPHA alpha; vector[K] beta; SIGMA sigma; }
model { STMT }
"""


def _bind(alpha, sigma, stmt, data):
    src = MODEL.replace("ALPHA", alpha).replace("SIGMA", sigma).replace("STMT", stmt)
    return ppl.compile(src).bind(data)


@pytest.mark.parametrize("alpha,sigma", [("real", "real<lower=0>"), ("vector[N]", "vector<lower=0>[N]")])
def test_normal_id_glm_value_and_gradient(alpha, sigma):
    rng = np.random.default_rng(3)
    N, K = 5, 3
    data = {"N": N, "K": K, "y": rng.normal(size=N).tolist(), "x": rng.normal(size=(N, K)).tolist()}
    tilde = _bind(alpha, sigma, "y ~ normal_id_glm(x, alpha, beta, sigma);", data)
    call = _bind(alpha, sigma, "target += normal_id_glm_lpdf(y | x, alpha, beta, sigma);", data)
    n_alpha = 1 if alpha == "real" else N
    theta = rng.normal(size=(4, tilde.param_unc_num()))
    lp, grad = tilde.log_density_gradient(theta, jacobian=False)
    a, b, log_s = theta[:, :n_alpha], theta[:, n_alpha:n_alpha + K], theta[:, n_alpha + K:]
    mu = a + b @ np.asarray(data["x"]).T
    want = stats.norm.logpdf(np.asarray(data["y"]), mu, np.exp(log_s)).sum(axis=1)
    np.testing.assert_allclose(lp, want, rtol=1e-12)
    np.testing.assert_array_equal(call.log_density(theta, jacobian=False), lp)
    # central differences: truncation error h^2 |f'''| / 6 ~ 1e-10 at h = 1e-5 here
    h = 1e-5
    for j in range(theta.shape[1]):
        e = np.zeros(theta.shape[1])
        e[j] = h
        fd = (tilde.log_density(theta + e, jacobian=False) - tilde.log_density(theta - e, jacobian=False)) / (2 * h)
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-6, atol=1e-6)


def test_diamonds_with_normal_id_glm_is_the_same_density():
    d = os.path.join(EXAMPLES, "diamonds-diamonds")
    src = open(os.path.join(d, "model.ppl")).read()
    by_hand = "target += normal_lpdf(Y | Intercept + Xc * b, sigma);"
    assert by_hand in src
    glm = src.replace(by_hand, "target += normal_id_glm_lpdf(Y | Xc, Intercept, b, sigma);")
    data = os.path.join(d, "data.json")
    a, b = ppl.compile(src).bind(data), ppl.compile(glm).bind(data)
    theta = np.random.default_rng(1).normal(0, 0.3, size=(3, a.param_unc_num()))
    lp_a, g_a = a.log_density_gradient(theta)
    lp_b, g_b = b.log_density_gradient(theta)
    np.testing.assert_allclose(lp_b, lp_a, rtol=1e-12)
    np.testing.assert_allclose(g_b, g_a, rtol=1e-12, atol=1e-12 * np.abs(g_a).max())


def test_normal_id_glm_type_error_points_at_the_call():
    src = ("data { vector[3] y; vector[3] x; } parameters { real a; vector[1] b; real<lower=0> s; }\n"
           "model { y ~ normal_id_glm(x, a, b, s); }\n")
    with pytest.raises(ppl.PPLError) as err:
        ppl.compile(src)
    from ppl.frontend.errors import format_error
    text = format_error(err.value)
    assert ":2:13: error: argument 'x' of normal_id_glm must be matrix or row_vector, found vector" in text
