"""CDF calls in models: ``<dist>_cdf``, ``_lcdf``, ``_lccdf`` (DESIGN.md section 3).

* Stan's vectorisation: ``_lcdf`` / ``_lccdf`` over containers is the SUM of
  the elementwise values, ``_cdf`` the PRODUCT (Stan Functions Reference,
  "vectorized function signatures"), against scipy;
* gradients of a model using every CDF with parameter arguments against
  finite differences, and the native backend against the reference backend
  to 1e-10 (compiled natively, not through the fallback), including
  student_t's d/dnu of the log density, which the native backend lacked;
* the censored-data example's posterior against quadrature.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from scipy import stats

import ppl
from conftest import EXAMPLES
from language_helpers import bind, close
from test_gradient import assert_gradient_matches

VECTORISED = """
data { int N; vector[N] y; array[N] int n; }
parameters { real mu; real<lower=0> sigma; real<lower=0> lam; }
model {
  target += normal_lcdf(y | mu, sigma);
  target += normal_lccdf(y | mu, sigma);
  target += log(normal_cdf(y | mu, sigma));
  target += poisson_lcdf(n | lam) + poisson_lccdf(n | lam);
  target += std_normal_lcdf(y) + student_t_lccdf(1.5 | 3, y, sigma);
}
"""


def test_vectorised_lcdf_is_a_sum_and_cdf_a_product():
    y = np.array([-0.4, 0.3, 2.1])
    n = np.array([0, 2, 5])
    bm = bind(VECTORISED, {"N": 3, "y": y.tolist(), "n": n.tolist()})
    theta = np.array([0.2, np.log(0.8), np.log(2.5)])
    mu, sigma, lam = theta[0], np.exp(theta[1]), np.exp(theta[2])
    want = (stats.norm.logcdf(y, mu, sigma).sum() + stats.norm.logsf(y, mu, sigma).sum()
            + np.log(np.prod(stats.norm.cdf(y, mu, sigma)))
            + stats.poisson.logcdf(n, lam).sum() + stats.poisson.logsf(n, lam).sum()
            + stats.norm.logcdf(y).sum() + stats.t.logsf(1.5, 3, y, sigma).sum()
            + theta[1] + theta[2])
    close(bm.log_density(theta), want)


# One model over every CDF, each with parameter arguments (student_t's nu too).
EVERY_CDF = """
data { vector[2] y; array[2] int n; real<lower=0, upper=1> u; }
parameters {
  real mu; real<lower=0> s; real<lower=0> a; real<lower=0> b; real<lower=0> nu;
  real<lower=0, upper=1> p;
}
model {
  mu ~ normal(0, 1); s ~ lognormal(0, 0.5); a ~ lognormal(0, 0.5); b ~ lognormal(0, 0.5);
  nu ~ gamma(4, 1); p ~ beta(2, 2);
  y ~ student_t(nu, mu, s);
  target += normal_lcdf(y | mu, s) + normal_lccdf(y[1] | mu, s);
  target += std_normal_lcdf(mu) + std_normal_lccdf(mu);
  target += student_t_lcdf(y | nu, mu, s) + student_t_lccdf(y[2] | nu, mu, s);
  target += cauchy_lcdf(y | mu, s) + cauchy_lccdf(y | mu, s);
  target += logistic_lcdf(y | mu, s) + logistic_lccdf(y | mu, s);
  target += double_exponential_lcdf(y | mu, s) + double_exponential_lccdf(y | mu, s);
  target += lognormal_lcdf(a | mu, s) + lognormal_lccdf(b | mu, s);
  target += exponential_lcdf(a | b) + exponential_lccdf(a | b);
  target += gamma_lcdf(s | a, b) + gamma_lccdf(s | a, b);
  target += weibull_lcdf(s | a, b) + weibull_lccdf(s | a, b);
  target += beta_lcdf(p | a, b) + beta_lccdf(u | a, b);
  target += uniform_lcdf(p | -1, a) + uniform_lccdf(p | -b, 1.5);
  target += poisson_lcdf(n | a) + poisson_lccdf(n | b);
  target += log(gamma_cdf(s | a, b)) + log(beta_cdf(u | a, b));
}
"""
EVERY_CDF_DATA = {"y": [-0.3, 1.1], "n": [1, 4], "u": 0.35}


def test_every_cdf_gradient_matches_finite_differences():
    bm = bind(EVERY_CDF, EVERY_CDF_DATA, backend="numpy")
    rng = np.random.default_rng(5)
    for _ in range(3):
        assert_gradient_matches(bm, rng.normal(scale=0.5, size=bm.param_unc_num()), rtol=1e-6)


# student_t with nu a parameter: the native backend used to fall back to numpy
# for want of d/dnu of the log density; with a vector CDF term.
STUDENT_T_NU = """
data { vector[3] y; }
parameters { real mu; real<lower=0> s; real<lower=0> nu; }
model {
  nu ~ gamma(4, 1);
  y ~ student_t(nu, mu, s);
  target += student_t_lccdf(y | nu, mu, s) + gamma_lcdf(s | nu, 2);
}
"""


def _native_agrees(src, data, tmp_path, monkeypatch):
    monkeypatch.setenv("PPLC_CACHE_DIR", str(tmp_path))
    model = ppl.compile(src)
    bn = model.bind(data, backend="numba")
    br = model.bind(data, backend="numpy")
    assert bn.backend == "numba", bn.backend_note
    theta = np.random.default_rng(6).normal(scale=0.7, size=(5, br.param_unc_num()))
    lp_n, g_n = bn.log_density_gradient(theta)
    lp_r, g_r = br.log_density_gradient(theta)
    assert np.all(np.isfinite(lp_r))
    np.testing.assert_allclose(lp_n, lp_r, rtol=1e-10)
    np.testing.assert_allclose(g_n, g_r, rtol=1e-10, atol=1e-10 * np.abs(g_r).max())


def test_student_t_nu_runs_natively_and_agrees(tmp_path, monkeypatch):
    _native_agrees(STUDENT_T_NU, {"y": [-0.3, 1.1, 4.0]}, tmp_path, monkeypatch)


@pytest.mark.slow     # one compile of ~10 s; test_native_stdlib checks every template cheaply
def test_every_cdf_native_agrees_with_the_reference(tmp_path, monkeypatch):
    _native_agrees(EVERY_CDF, EVERY_CDF_DATA, tmp_path, monkeypatch)


def test_printed_ir_names_the_cdf():
    text = ppl.compile("parameters { real mu; }\nmodel { target += normal_lccdf(2 | mu, 1) "
                       "+ normal_cdf(2 | mu, 1); }\n")
    from ppl.ir.printer import expr_text
    stmts = text.program.model
    printed = " ".join(expr_text(s.value) for s in stmts)
    assert "normal_lccdf(2 | mu, 1)" in printed and "exp(normal_lcdf(2 | mu, 1))" in printed


def test_censored_example_posterior_matches_quadrature():
    """VI (full-rank guide) on examples/censored against the posterior means by
    quadrature on a fine grid.  Tolerance: 4 sd of the fitted mean, which has the 4000
    draws' standard error and jitters with Adam's last steps (sd over seeds 0..11 at these
    settings: 0.0052 for mu, 0.0125 for sigma), plus 0.1 posterior sd for the Gaussian
    guide's approximation; leaving the censored observations out moves the mean of mu by
    ~1 posterior sd."""
    d = os.path.join(EXAMPLES, "censored")
    data = json.load(open(os.path.join(d, "data.json")))
    y = np.asarray(data["y_obs"])
    mu, log_s = np.meshgrid(np.linspace(0.2, 1.8, 321), np.linspace(np.log(0.4), np.log(1.5), 321),
                            indexing="ij")
    s = np.exp(log_s)
    lp = (stats.norm.logpdf(mu, 0, 5) + stats.lognorm.logpdf(s, 1.0) + log_s
          + stats.norm.logpdf(y[:, None, None], mu, s).sum(0)
          + data["N_cens"] * stats.norm.logsf(data["U"], mu, s))
    w = np.exp(lp - lp.max())
    w /= w.sum()
    fit = ppl.compile_file(os.path.join(d, "model.ppl")).infer(
        data, seed=1, guide="fullrank", iter=3000, lr=0.03, tol_rel_obj=0, draws=4000, backend="numpy")
    for name, x, jitter in (("mu", mu, 0.0052), ("sigma", s, 0.0125)):
        mean = (w * x).sum()
        sd = np.sqrt((w * x * x).sum() - mean ** 2)
        draws = fit.draws[name]
        tolerance = 4 * np.hypot(sd / np.sqrt(draws.size), jitter) + 0.1 * sd
        assert abs(draws.mean() - mean) < tolerance, (name, draws.mean(), mean)


@pytest.mark.parametrize("src", [
    "parameters { real nu; }\nmodel { target += student_t_lcdf(1 | nu, 0, 1); }\n",
])
def test_cdf_argument_checks_at_run_time(src):
    """A parameter outside its support rejects the draw, as for the densities."""
    bm = bind(src)
    assert bm.log_density(np.array([-1.0])) == -np.inf
    assert np.isfinite(bm.log_density(np.array([2.0])))
