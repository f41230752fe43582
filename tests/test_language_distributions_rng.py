"""The language of DESIGN.md section 3: density functions and random-number generators.

Method and shared helpers: see tests/language_helpers.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

import ppl

from language_helpers import bind, close, values


# ----------------------------------------------------------- density functions
# name, variate declaration and value, argument text (in q), scipy log density of (y, q)
DIST_CASES = {
    "normal": ("vector[3]", [0.3, -1.2, 2.0], "q - 1, q", lambda y, q: stats.norm.logpdf(y, q - 1, q)),
    "std_normal": ("vector[3]", [0.3, -1.2, 2.0], "", lambda y, q: stats.norm.logpdf(y)),
    "student_t": ("vector[3]", [0.3, -1.2, 2.0], "q + 2, 0.5, q",
                  lambda y, q: stats.t.logpdf(y, q + 2, 0.5, q)),
    "cauchy": ("vector[3]", [0.3, -1.2, 2.0], "q, 2", lambda y, q: stats.cauchy.logpdf(y, q, 2)),
    "double_exponential": ("vector[3]", [0.3, -1.2, 2.0], "q, q + 1",
                           lambda y, q: stats.laplace.logpdf(y, q, q + 1)),
    "logistic": ("vector[3]", [0.3, -1.2, 2.0], "q, 1.5", lambda y, q: stats.logistic.logpdf(y, q, 1.5)),
    "lognormal": ("vector[3]", [0.3, 1.2, 2.0], "q - 1, q",
                  lambda y, q: stats.lognorm.logpdf(y, q, scale=math.exp(q - 1))),
    "exponential": ("vector[3]", [0.3, 1.2, 2.0], "q", lambda y, q: stats.expon.logpdf(y, scale=1 / q)),
    "gamma": ("vector[3]", [0.3, 1.2, 2.0], "q + 1, q",
              lambda y, q: stats.gamma.logpdf(y, q + 1, scale=1 / q)),
    "inv_gamma": ("vector[3]", [0.3, 1.2, 2.0], "q + 1, q",
                  lambda y, q: stats.invgamma.logpdf(y, q + 1, scale=q)),
    "weibull": ("vector[3]", [0.3, 1.2, 2.0], "q + 0.5, 2 * q",
                lambda y, q: stats.weibull_min.logpdf(y, q + 0.5, scale=2 * q)),
    "beta": ("vector[3]", [0.2, 0.5, 0.9], "q, 2", lambda y, q: stats.beta.logpdf(y, q, 2)),
    "uniform": ("vector[3]", [0.1, -0.15, 1.0], "-q, q + 1",
                lambda y, q: stats.uniform.logpdf(y, -q, 2 * q + 1)),
    "bernoulli": ("array[3] int", [0, 1, 1], "q / 3.5", lambda y, q: stats.bernoulli.logpmf(y, q / 3.5)),
    "bernoulli_logit": ("array[3] int", [0, 1, 1], "q - 1",
                        lambda y, q: stats.bernoulli.logpmf(y, expit(q - 1))),
    "binomial": ("array[3] int", [0, 3, 7], "Nn, q / 3.5",
                 lambda y, q: stats.binom.logpmf(y, [5, 5, 7], q / 3.5)),
    "binomial_logit": ("array[3] int", [0, 3, 7], "Nn, q - 1",
                       lambda y, q: stats.binom.logpmf(y, [5, 5, 7], expit(q - 1))),
    "poisson": ("array[3] int", [0, 2, 5], "q", lambda y, q: stats.poisson.logpmf(y, q)),
    "poisson_log": ("array[3] int", [0, 2, 5], "q - 1", lambda y, q: stats.poisson.logpmf(y, math.exp(q - 1))),
    "neg_binomial_2": ("array[3] int", [0, 2, 5], "q, q + 0.5",
                       lambda y, q: stats.nbinom.logpmf(y, q + 0.5, (q + 0.5) / (2 * q + 0.5))),
}


def _dist_source(name):
    decl, _, args, _ = DIST_CASES[name]
    discrete = decl.startswith("array")
    suffix = "pmf" if discrete else "pdf"
    bar = f" | {args}" if args else " |"       # std_normal_lpdf(y |): Stan accepts the empty list
    return f"""
    data {{ int form; {decl} y; array[3] int Nn; }}
    parameters {{ real<lower=0.2, upper=3> q; }}
    model {{
      if (form == 1) y ~ {name}({args});
      else if (form == 2) target += {name}_l{suffix}(y{bar});
      else target += {name}_lu{suffix}(y{bar});
    }}
    """


class TestDensityFunctions:
    @pytest.mark.parametrize("name", sorted(DIST_CASES))
    def test_tilde_lpdf_and_lupdf(self, name):
        _, y, _, fn = DIST_CASES[name]
        model = ppl.compile(_dist_source(name))
        u = np.array([[-1.0], [0.2], [1.5]])
        q = 0.2 + 2.8 * expit(u[:, 0])
        want = [np.sum(fn(np.array(y), qq)) for qq in q]
        for form in (1, 2, 3):
            bm = model.bind({"form": form, "y": y, "Nn": [5, 5, 7]})
            close(bm.log_density(u, jacobian=False), want, rtol=1e-10)

    def test_std_normal_lpdf_without_bar(self):
        bm = bind("parameters { real x; } model { target += std_normal_lpdf(x); }")
        close(bm.log_density(np.array([0.4])), stats.norm.logpdf(0.4))

    def test_lpdf_in_generated_quantities(self):
        src = """
        data { array[2] int k; }
        parameters { real<lower=0> lam; }
        generated quantities {
          real lp1 = poisson_lpmf(k | lam);
          real lp2 = normal_lpdf(1.5 | lam, 2);
        }
        """
        bm = bind(src, {"k": [1, 4]})
        out = values(bm, np.array([0.3]))
        lam = math.exp(0.3)
        close(out["lp1"], stats.poisson.logpmf([1, 4], lam).sum())
        close(out["lp2"], stats.norm.logpdf(1.5, lam, 2))


# ==================================================================== rng
RNG_CASES = [
    # (Stan call, mean, sd) of the draw
    ("normal_rng(1, 2)", 1.0, 2.0),
    ("std_normal_rng()", 0.0, 1.0),
    ("student_t_rng(5, 1, 2)", 1.0, 2.0 * math.sqrt(5 / 3)),
    ("double_exponential_rng(1, 2)", 1.0, 2.0 * math.sqrt(2)),
    ("logistic_rng(1, 2)", 1.0, 2.0 * math.pi / math.sqrt(3)),
    ("lognormal_rng(0.5, 0.4)", math.exp(0.58), math.sqrt((math.exp(0.16) - 1) * math.exp(1.16))),
    ("exponential_rng(2)", 0.5, 0.5),
    ("gamma_rng(3, 2)", 1.5, math.sqrt(0.75)),
    ("inv_gamma_rng(4, 3)", 1.0, math.sqrt(0.5)),
    ("weibull_rng(2, 3)", 3 * math.gamma(1.5), 3 * math.sqrt(1 - math.gamma(1.5) ** 2)),
    ("beta_rng(2, 3)", 0.4, 0.2),
    ("uniform_rng(-1, 3)", 1.0, 4 / math.sqrt(12)),
    ("bernoulli_rng(0.3)", 0.3, math.sqrt(0.21)),
    ("bernoulli_logit_rng(0.5)", expit(0.5), math.sqrt(expit(0.5) * (1 - expit(0.5)))),
    ("binomial_rng(10, 0.3)", 3.0, math.sqrt(2.1)),
    ("binomial_logit_rng(10, -0.5)", 10 * expit(-0.5), math.sqrt(10 * expit(-0.5) * expit(0.5))),
    ("poisson_rng(3.5)", 3.5, math.sqrt(3.5)),
    ("poisson_log_rng(1.2)", math.exp(1.2), math.exp(0.6)),
    ("neg_binomial_2_rng(3, 2)", 3.0, math.sqrt(3 + 9 / 2)),
    ("normal_rng(mu, 1)", 0.5, 1.0),        # a parameter as argument
]
DISCRETE_RNGS = ("bernoulli", "binomial", "poisson", "neg_binomial_2")


def _rng_source(decls: str) -> str:
    return ("parameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n"
            "generated quantities {\n" + decls + "\n}")


class TestRng:
    @pytest.mark.parametrize("call,mean,sd", [
        pytest.param(c, m, sd, id=c.split("(")[0]) for c, m, sd in RNG_CASES])
    def test_sample_mean(self, call, mean, sd):
        discrete = call.startswith(DISCRETE_RNGS)
        bm = bind(_rng_source(f"  {'int' if discrete else 'real'} r = {call};"))
        S = 4000
        draws = values(bm, np.full((S, 1), 0.5), seed=7)["r"]
        assert draws.shape == (S,)
        if discrete:
            np.testing.assert_array_equal(draws, np.round(draws))
        se = sd / math.sqrt(S)
        assert abs(draws.mean() - mean) < 5 * se, (draws.mean(), mean, se)

    def test_seeded_draws_are_reproducible(self):
        bm = bind(_rng_source("  real a = normal_rng(mu, 1);\n  real b = gamma_rng(2, 1);\n"
                              "  int k = poisson_rng(20);"))
        theta = np.full((5, 1), 0.5)
        a = bm.param_constrain(theta, include_gq=True, seed=42)
        b = bm.param_constrain(theta, include_gq=True, seed=42)
        c = bm.param_constrain(theta, include_gq=True, seed=43)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        assert len(set(a[:, 1])) == 5          # the lanes of a batch are independent draws
        single = bm.param_constrain(theta[0], include_gq=True, seed=42)
        np.testing.assert_array_equal(single, bm.param_constrain(theta[0], include_gq=True, seed=42))

    def test_cauchy_median_and_vectorised_rng(self):
        bm = bind(_rng_source("  real c = cauchy_rng(1, 2);\n"
                              "  array[2] real vec = normal_rng([0, 100]', 1);\n"
                              "  array[2] int ks = poisson_rng({1.0, 50.0});"))
        S = 4000
        out = values(bm, np.full((S, 1), 0.5), seed=9)
        # cauchy has no mean: the fraction below the location is 1/2
        assert abs(np.mean(out["c"] < 1.0) - 0.5) < 5 * 0.5 / math.sqrt(S)
        assert out["vec"].shape == (S, 2)                # one draw per element
        assert abs(out["vec"][:, 0].mean()) < 5 / math.sqrt(S)
        assert abs(out["vec"][:, 1].mean() - 100) < 5 / math.sqrt(S)
        ks = out["ks"]
        np.testing.assert_array_equal(ks, np.round(ks))
        assert abs(ks[:, 0].mean() - 1) < 5 / math.sqrt(S)
        assert abs(ks[:, 1].mean() - 50) < 5 * math.sqrt(50 / S)

    def test_rng_in_transformed_data_uses_the_bind_seed(self):
        src = "transformed data { real z = normal_rng(0, 1); } generated quantities { real zz = z; }"
        a = values(bind(src, seed=3), np.zeros(0))["zz"]
        b = values(bind(src, seed=3), np.zeros(0))["zz"]
        c = values(bind(src, seed=4), np.zeros(0))["zz"]
        assert a == b and a != c
