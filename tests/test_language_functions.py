"""The language of DESIGN.md section 3: the math functions.

Method and shared helpers: see tests/language_helpers.py.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special, stats
from scipy.special import expit, logsumexp

from language_helpers import bind, close, values


# ==================================================================== functions
# (declared type, Stan expression in p (real) and u (in (0, 1)), numpy/scipy value)
FUNCTION_TABLE = [
    ("real", "exp(p)", lambda p, u: math.exp(p)),
    ("real", "log(u)", lambda p, u: math.log(u)),
    ("real", "log1p(u)", lambda p, u: math.log1p(u)),
    ("real", "expm1(p)", lambda p, u: math.expm1(p)),
    ("real", "sqrt(u)", lambda p, u: math.sqrt(u)),
    ("real", "square(p)", lambda p, u: p * p),
    ("real", "pow(u, p)", lambda p, u: u ** p),
    ("real", "pow(2, 3)", lambda p, u: 8.0),
    ("real", "inv(p)", lambda p, u: 1 / p),
    ("real", "inv_logit(p)", lambda p, u: expit(p)),
    ("real", "logit(u)", lambda p, u: special.logit(u)),
    ("real", "log_sum_exp(p, u)", lambda p, u: np.logaddexp(p, u)),
    ("real", "log_sum_exp([p, u, 1]')", lambda p, u: logsumexp([p, u, 1])),
    ("real", "log_sum_exp({p, u})", lambda p, u: logsumexp([p, u])),
    ("real", "log1m(u)", lambda p, u: math.log(1 - u)),
    ("real", "log_inv_logit(p)", lambda p, u: math.log(expit(p))),
    ("real", "log1m_exp(-u)", lambda p, u: math.log(1 - math.exp(-u))),
    ("real", "log_diff_exp(p, p - u)", lambda p, u: math.log(math.exp(p) - math.exp(p - u))),
    ("real", "log_mix(u, p, 2.0)", lambda p, u: math.log(u * math.exp(p) + (1 - u) * math.exp(2.0))),
    ("real", "log_mix([u, 1 - u]', [p, 2]')", lambda p, u: math.log(u * math.exp(p) + (1 - u) * math.exp(2.0))),
    ("real", "fabs(p)", lambda p, u: abs(p)),
    ("real", "abs(p)", lambda p, u: abs(p)),
    ("int", "abs(-3)", lambda p, u: 3),
    ("real", "fmin(p, u)", lambda p, u: min(p, u)),
    ("real", "fmax(p, u)", lambda p, u: max(p, u)),
    ("real", "step(p)", lambda p, u: 0.0 if p < 0 else 1.0),
    ("real", "step(0)", lambda p, u: 1.0),
    ("int", "int_step(p)", lambda p, u: int(p > 0)),
    ("int", "int_step(0)", lambda p, u: 0),
    ("real", "floor(p)", lambda p, u: math.floor(p)),
    ("real", "ceil(p)", lambda p, u: math.ceil(p)),
    ("real", "lgamma(u + 1)", lambda p, u: math.lgamma(u + 1)),
    ("real", "Phi(p)", lambda p, u: stats.norm.cdf(p)),
    ("real", "inv_Phi(u)", lambda p, u: stats.norm.ppf(u)),
    ("real", "Phi_approx(p)", lambda p, u: expit(0.07056 * p ** 3 + 1.5976 * p)),
    ("real", "sin(p)", lambda p, u: math.sin(p)),
    ("real", "cos(p)", lambda p, u: math.cos(p)),
    ("real", "tanh(p)", lambda p, u: math.tanh(p)),
    ("real", "sum([p, u, 2]')", lambda p, u: p + u + 2),
    ("int", "sum({1, 2, 3})", lambda p, u: 6),
    ("real", "sum({p, u})", lambda p, u: p + u),
    ("real", "mean([p, u, 2])", lambda p, u: (p + u + 2) / 3),
    ("real", "mean({p, u})", lambda p, u: (p + u) / 2),
    ("vector[3]", "cumulative_sum([p, u, 2]')", lambda p, u: np.cumsum([p, u, 2])),
    ("array[3] int", "cumulative_sum({1, 2, 3})", lambda p, u: [1, 3, 6]),
    ("real", "dot_product([p, u]', [2, 3]')", lambda p, u: 2 * p + 3 * u),
    ("vector[3]", "rep_vector(p, 3)", lambda p, u: [p] * 3),
    ("array[2, 3] real", "rep_array(u, 2, 3)", lambda p, u: [[u] * 3] * 2),
    ("array[2] int", "rep_array(4, 2)", lambda p, u: [4, 4]),
    ("int", "size({1, 2, 3})", lambda p, u: 3),
    ("int", "size([p, u]')", lambda p, u: 2),
    ("int", "rows(Md)", lambda p, u: 2),
    ("int", "cols(Md)", lambda p, u: 3),
    ("int", "rows([p, u]')", lambda p, u: 2),
    ("int", "cols([p, u]')", lambda p, u: 1),
    # vectorised unary functions
    ("vector[2]", "exp([p, u]')", lambda p, u: np.exp([p, u])),
    ("vector[2]", "log([u, 2]')", lambda p, u: np.log([u, 2])),
    ("array[2] real", "inv_logit({p, u})", lambda p, u: expit([p, u])),
    ("row_vector[2]", "square([p, u])", lambda p, u: np.square([p, u])),
]


class TestFunctions:
    def test_every_listed_function(self):
        decls = "\n".join(f"  {t} f{i} = {e};" for i, (t, e, _) in enumerate(FUNCTION_TABLE))
        src = ("data { matrix[2, 3] Md; }\n"
               "parameters { real p; real<lower=0, upper=1> u; }\n"
               "generated quantities {\n" + decls + "\n}")
        bm = bind(src, {"Md": [[1, 2, 3], [4, 5, 6]]})
        theta = np.array([[0.7, -0.3], [-1.4, 1.2], [2.3, 0.1], [-0.2, -2.0]])
        out = values(bm, theta)
        for s, (p, uu) in enumerate(theta):
            u = float(expit(uu))
            for i, (_, e, fn) in enumerate(FUNCTION_TABLE):
                np.testing.assert_allclose(out[f"f{i}"][s], fn(p, u), rtol=1e-12, atol=1e-14,
                                           err_msg=e)

    def test_functions_of_parameters_in_the_density(self):
        src = """
        parameters { real p; vector[3] v; }
        model {
          target += log_sum_exp(v) + log1p(exp(p)) + fmax(p, 0) + Phi(p) + sum(cumulative_sum(v))
                  + dot_product(v, rep_vector(2, 3)) + log_mix(inv_logit(p), v[1], v[2]) + mean(v)
                  + tanh(p) * sin(v[3]);
        }
        """
        bm = bind(src)
        theta = np.random.default_rng(8).normal(size=(4, 4))
        want = [logsumexp(t[1:]) + math.log1p(math.exp(t[0])) + max(t[0], 0) + stats.norm.cdf(t[0])
                + np.cumsum(t[1:]).sum() + 2 * t[1:].sum()
                + np.logaddexp(math.log(expit(t[0])) + t[1], math.log(1 - expit(t[0])) + t[2])
                + t[1:].mean() + math.tanh(t[0]) * math.sin(t[3]) for t in theta]
        close(bm.log_density(theta), want)
