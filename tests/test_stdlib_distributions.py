"""Tests for the distribution table in ppl.stdlib.distributions.

The reference densities are scipy.stats, with Stan's parameterisations mapped
onto scipy's by hand here (independently of the module under test).
"""

import math

import numpy as np
import pytest
from scipy import special, stats

from ppl.stdlib.distributions import DISTRIBUTIONS, SUPPORTS, Arg, Distribution, lookup

N_POINTS = 60


def _pos(rng, n, lo=0.1, hi=10.0):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


# name -> (make(rng, n) -> (y, *params), scipy reference logpdf(y, *params))
CASES = {
    "normal": (lambda r, n: (r.normal(0, 5, n), r.normal(0, 3, n), _pos(r, n)),
               lambda y, mu, s: stats.norm.logpdf(y, mu, s)),
    "std_normal": (lambda r, n: (r.normal(0, 5, n),),
                   lambda y: stats.norm.logpdf(y)),
    "student_t": (lambda r, n: (r.normal(0, 5, n), _pos(r, n, 0.5, 50),
                                r.normal(0, 3, n), _pos(r, n)),
                  lambda y, nu, mu, s: stats.t.logpdf(y, nu, loc=mu, scale=s)),
    "cauchy": (lambda r, n: (r.normal(0, 5, n), r.normal(0, 3, n), _pos(r, n)),
               lambda y, mu, s: stats.cauchy.logpdf(y, mu, s)),
    "double_exponential": (
        lambda r, n: (r.normal(0, 5, n), r.normal(0, 3, n), _pos(r, n)),
        lambda y, mu, s: stats.laplace.logpdf(y, mu, s)),
    "logistic": (lambda r, n: (r.normal(0, 5, n), r.normal(0, 3, n), _pos(r, n)),
                 lambda y, mu, s: stats.logistic.logpdf(y, mu, s)),
    "lognormal": (lambda r, n: (_pos(r, n, 1e-3, 1e3), r.normal(0, 2, n), _pos(r, n)),
                  lambda y, mu, s: stats.lognorm.logpdf(y, s, scale=np.exp(mu))),
    "exponential": (lambda r, n: (_pos(r, n, 1e-3, 20), _pos(r, n)),
                    lambda y, b: stats.expon.logpdf(y, scale=1 / b)),
    "gamma": (lambda r, n: (_pos(r, n, 1e-3, 20), _pos(r, n), _pos(r, n)),
              lambda y, a, b: stats.gamma.logpdf(y, a, scale=1 / b)),
    "inv_gamma": (lambda r, n: (_pos(r, n, 1e-2, 20), _pos(r, n), _pos(r, n)),
                  lambda y, a, b: stats.invgamma.logpdf(y, a, scale=b)),
    "weibull": (lambda r, n: (_pos(r, n, 1e-2, 20), _pos(r, n, 0.3, 5), _pos(r, n)),
                lambda y, a, s: stats.weibull_min.logpdf(y, a, scale=s)),
    "beta": (lambda r, n: (r.uniform(0.001, 0.999, n), _pos(r, n), _pos(r, n)),
             lambda y, a, b: stats.beta.logpdf(y, a, b)),
    "uniform": (lambda r, n: (lambda a, w, u: (a + u * w, a, a + w))(
                    r.normal(0, 3, n), _pos(r, n), r.uniform(0, 1, n)),
                lambda y, a, b: stats.uniform.logpdf(y, loc=a, scale=b - a)),
    "bernoulli": (lambda r, n: (r.integers(0, 2, n), r.uniform(0.01, 0.99, n)),
                  lambda y, t: stats.bernoulli.logpmf(y, t)),
    "bernoulli_logit": (lambda r, n: (r.integers(0, 2, n), r.normal(0, 4, n)),
                        lambda y, a: stats.bernoulli.logpmf(y, special.expit(a))),
    "binomial": (lambda r, n: (lambda N: (r.integers(0, N + 1), N, r.uniform(0.01, 0.99, n)))(
                     r.integers(0, 60, n)),
                 lambda y, N, t: stats.binom.logpmf(y, N, t)),
    "binomial_logit": (lambda r, n: (lambda N: (r.integers(0, N + 1), N, r.normal(0, 3, n)))(
                           r.integers(0, 60, n)),
                       lambda y, N, a: stats.binom.logpmf(y, N, special.expit(a))),
    "poisson": (lambda r, n: (r.integers(0, 40, n), _pos(r, n, 0.01, 50)),
                lambda y, lam: stats.poisson.logpmf(y, lam)),
    "poisson_log": (lambda r, n: (r.integers(0, 40, n), r.normal(0, 2, n)),
                    lambda y, a: stats.poisson.logpmf(y, np.exp(a))),
    "neg_binomial_2": (lambda r, n: (r.integers(0, 40, n), _pos(r, n, 0.01, 50),
                                     _pos(r, n, 0.05, 100)),
                       lambda y, mu, phi: stats.nbinom.logpmf(y, phi, phi / (mu + phi))),
}


def test_table_complete_and_well_formed():
    assert set(DISTRIBUTIONS) == set(CASES)
    for name, d in DISTRIBUTIONS.items():
        assert isinstance(d, Distribution) and d.name == name
        for arg in (d.variate, *d.params):
            assert isinstance(arg, Arg)
            assert arg.kind in ("reals", "ints")
            assert arg.support in SUPPORTS, (name, arg)
        assert d.variate.kind == ("ints" if d.discrete else "reals")
    assert DISTRIBUTIONS["std_normal"].params == ()
    assert [a.name for a in DISTRIBUTIONS["student_t"].params] == ["nu", "mu", "sigma"]
    assert [a.name for a in DISTRIBUTIONS["binomial"].params] == ["N", "theta"]
    assert DISTRIBUTIONS["binomial"].params[0].kind == "ints"


@pytest.mark.parametrize("name", sorted(CASES))
def test_logpdf_matches_scipy(name):
    make, ref = CASES[name]
    rng = np.random.default_rng(20240601 + len(name))
    args = make(rng, N_POINTS)
    d = DISTRIBUTIONS[name]
    # every generated point must pass the table's own argument checks
    for arg, value in zip((d.variate, *d.params), args):
        assert SUPPORTS[arg.support](np.asarray(value)).all(), (name, arg.name)
    got = d.logpdf(*args)
    assert got.dtype == np.float64 and got.shape == (N_POINTS,)
    np.testing.assert_allclose(got, ref(*args), rtol=1e-10, atol=1e-13)


def test_logpdf_accepts_ints_and_broadcast_scalars():
    d = DISTRIBUTIONS["normal"]
    got = d.logpdf(np.array([0, 1, 2], dtype=np.int64), np.array(1), np.array(2))
    np.testing.assert_allclose(got, stats.norm.logpdf([0, 1, 2], 1, 2), rtol=1e-12)
    got = DISTRIBUTIONS["poisson"].logpdf(np.array(3, dtype=np.int64), np.array(2.5))
    assert got.shape == () and np.isclose(got, stats.poisson.logpmf(3, 2.5), rtol=1e-12)


# ---------------------------------------------------------------- stability

def test_logit_parameterisations_stable_at_extreme_alpha():
    bl = DISTRIBUTIONS["bernoulli_logit"].logpdf
    y = np.array([1, 0, 1, 0])
    a = np.array([800.0, 800.0, -800.0, -800.0])
    # log inv_logit(800) = -log1p(exp(-800)) ~ -exp(-800) == 0 in double
    np.testing.assert_array_equal(bl(y, a), [0.0, -800.0, -800.0, 0.0])
    np.testing.assert_allclose(bl(np.array(1), np.array(40.0)), -math.exp(-40), rtol=1e-12)

    binl = DISTRIBUTIONS["binomial_logit"].logpdf
    n, N = np.array([10, 0, 3, 3]), np.array([10, 10, 10, 10])
    a = np.array([800.0, 800.0, 800.0, -800.0])
    expect = [0.0, -8000.0, math.log(120) - 5600.0, math.log(120) - 2400.0]
    np.testing.assert_allclose(binl(n, N, a), expect, rtol=1e-14)


def test_poisson_log_stable_at_extreme_alpha():
    pl = DISTRIBUTIONS["poisson_log"].logpdf
    n = np.array([0, 2, 0, 3])
    a = np.array([-800.0, -800.0, 700.0, 700.0])
    expect = [0.0, -1600.0 - math.log(2), -math.exp(700), 2100.0 - math.exp(700) - math.log(6)]
    got = pl(n, a)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expect, rtol=1e-14)
    # exp(800) overflows; the true value (< -1e347) rounds to -inf, never NaN
    assert pl(np.array(1), np.array(800.0)) == -np.inf
    # rate limits: alpha = -inf is a point mass at 0; alpha = +inf is LOG_ZERO
    np.testing.assert_array_equal(
        pl(np.array([0, 1, 0]), np.array([-np.inf, -np.inf, np.inf])), [0.0, -np.inf, -np.inf])


def test_lognormal_and_gamma_at_tiny_and_huge_y():
    y = np.array([1e-300, 1e-30, 1e30, 1e300])
    got = DISTRIBUTIONS["lognormal"].logpdf(y, np.array(0.0), np.array(1.0))
    ly = np.log(y)
    np.testing.assert_allclose(got, -0.5 * ly**2 - ly - 0.5 * math.log(2 * math.pi), rtol=1e-13)
    got = DISTRIBUTIONS["gamma"].logpdf(y, np.array(2.5), np.array(1e-280))
    expect = 2.5 * math.log(1e-280) - special.gammaln(2.5) + 1.5 * ly - 1e-280 * y
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expect, rtol=1e-13)


def test_neg_binomial_2_huge_phi_tends_to_poisson():
    n = np.arange(0, 30)
    for phi in (1e8, 1e12, 1e20, 1e300):
        got = DISTRIBUTIONS["neg_binomial_2"].logpdf(n, np.array(7.5), np.array(phi))
        # difference from the Poisson limit is O(n^2 / phi)
        np.testing.assert_allclose(got, stats.poisson.logpmf(n, 7.5), rtol=1e-10 + 1e3 / phi)


def test_heavy_tails_do_not_overflow():
    y = np.array([1e200, -1e300])
    got = DISTRIBUTIONS["cauchy"].logpdf(y, np.array(0.0), np.array(1.0))
    np.testing.assert_allclose(got, -math.log(math.pi) - 2 * np.log(np.abs(y)), rtol=1e-14)
    got = DISTRIBUTIONS["student_t"].logpdf(y, np.array(3.0), np.array(0.0), np.array(1.0))
    assert np.all(np.isfinite(got))


# ------------------------------------------------- cross checks and LOG_ZERO

def test_cross_argument_checks_and_log_zero_cases():
    D = DISTRIBUTIONS
    assert np.all(D["binomial"].logpdf(np.array([4, -1]), np.array([3, 3]), np.array(0.5)) == -np.inf)
    assert np.all(D["binomial_logit"].logpdf(np.array([4]), np.array([3]), np.array(0.0)) == -np.inf)
    # degenerate theta / N = 0 are finite where the mass is 1
    np.testing.assert_array_equal(
        D["binomial"].logpdf(np.array([0, 3, 0, 1]), np.array([3, 3, 0, 3]),
                             np.array([0.0, 1.0, 0.3, 0.0])), [0.0, 0.0, 0.0, -np.inf])
    u = D["uniform"].logpdf
    np.testing.assert_array_equal(u(np.array([-0.1, 2.1]), np.array(0.0), np.array(2.0)), [-np.inf] * 2)
    np.testing.assert_allclose(u(np.array([0.0, 2.0]), np.array(0.0), np.array(2.0)), -math.log(2))
    assert np.all(u(np.array([1.0, 1.0]), np.array([1.0, 2.0]), np.array([1.0, 1.0])) == -np.inf)
    p = D["poisson"].logpdf
    np.testing.assert_array_equal(p(np.array([0, 1, 0]), np.array([0.0, 0.0, np.inf])), [0.0, -np.inf, -np.inf])
    assert D["lognormal"].logpdf(np.array(0.0), np.array(0.0), np.array(1.0)) == -np.inf
    assert D["inv_gamma"].logpdf(np.array(-1.0), np.array(2.0), np.array(1.0)) == -np.inf
    assert D["weibull"].logpdf(np.array(-1.0), np.array(2.0), np.array(1.0)) == -np.inf
    assert D["exponential"].logpdf(np.array(np.inf), np.array(2.0)) == -np.inf
    np.testing.assert_array_equal(
        D["bernoulli"].logpdf(np.array([0, 1, 1]), np.array([0.0, 1.0, 0.0])), [0.0, 0.0, -np.inf])


# ----------------------------------------------------------------- supports

NAN, INF = np.nan, np.inf
SUPPORT_CASES = {  # key -> (accepted, rejected)
    "not_nan": ([0.0, -3.0, INF, -INF], [NAN]),
    "finite": ([0.0, -1e300, 1e300], [NAN, INF, -INF]),
    "positive_finite": ([1e-300, 1.0, 1e300], [NAN, 0.0, -0.0, -1.0, INF, -INF]),
    "nonnegative": ([0.0, 2.5, INF], [NAN, -1e-300, -INF]),
    "unit_interval": ([0.0, 0.5, 1.0], [NAN, -1e-16, 1.0 + 1e-15, INF]),
    "binary": ([0, 1], [NAN, -1, 2, 0.5]),
    "nonnegative_int": ([0, 1, 7, 2**40], [NAN, -1, 0.5, INF]),
}


@pytest.mark.parametrize("key", sorted(SUPPORT_CASES))
def test_support_functions(key):
    ok, bad = SUPPORT_CASES[key]
    assert np.all(SUPPORTS[key](np.array(ok, dtype=np.float64)))
    assert not np.any(SUPPORTS[key](np.array(bad, dtype=np.float64)))
    ints = [int(v) for v in ok if float(v).is_integer() and abs(v) < 2**62]
    if ints:  # int64 arrays are accepted too
        assert np.all(SUPPORTS[key](np.array(ints, dtype=np.int64)))


def test_every_support_key_is_tested():
    assert set(SUPPORTS) == set(SUPPORT_CASES)


def test_support_keys_match_stan_checks():
    expect = {  # Stan Math's check_* on (variate, *params)
        "normal": ("not_nan", "finite", "positive_finite"),
        "std_normal": ("not_nan",),
        "student_t": ("not_nan", "positive_finite", "finite", "positive_finite"),
        "cauchy": ("not_nan", "finite", "positive_finite"),
        "double_exponential": ("finite", "finite", "positive_finite"),
        "logistic": ("finite", "finite", "positive_finite"),
        "lognormal": ("nonnegative", "finite", "positive_finite"),
        "exponential": ("nonnegative", "positive_finite"),
        "gamma": ("positive_finite", "positive_finite", "positive_finite"),
        "inv_gamma": ("not_nan", "positive_finite", "positive_finite"),
        "weibull": ("finite", "positive_finite", "positive_finite"),
        "beta": ("unit_interval", "positive_finite", "positive_finite"),
        "uniform": ("not_nan", "finite", "finite"),
        "bernoulli": ("binary", "unit_interval"),
        "bernoulli_logit": ("binary", "not_nan"),
        "binomial": ("nonnegative_int", "nonnegative_int", "unit_interval"),
        "binomial_logit": ("nonnegative_int", "nonnegative_int", "finite"),
        "poisson": ("nonnegative_int", "nonnegative"),
        "poisson_log": ("nonnegative_int", "not_nan"),
        "neg_binomial_2": ("nonnegative_int", "positive_finite", "positive_finite"),
    }
    for name, d in DISTRIBUTIONS.items():
        assert tuple(a.support for a in (d.variate, *d.params)) == expect[name], name


# ---------------------------------------------------------------------- rng

N_DRAWS = 20_000


def _weib(a, s):
    m = s * math.gamma(1 + 1 / a)
    return m, math.sqrt(s**2 * math.gamma(1 + 2 / a) - m**2)


def _bin(N, p):
    return N * p, math.sqrt(N * p * (1 - p))


# name -> (params, exact mean, exact sd)
RNG_CASES = {
    "normal": ((1.0, 2.0), 1.0, 2.0),
    "std_normal": ((), 0.0, 1.0),
    "student_t": ((5.0, 1.0, 2.0), 1.0, 2.0 * math.sqrt(5 / 3)),
    "double_exponential": ((1.0, 2.0), 1.0, 2.0 * math.sqrt(2)),
    "logistic": ((1.0, 2.0), 1.0, 2.0 * math.pi / math.sqrt(3)),
    "lognormal": ((0.5, 0.5), math.exp(0.625), math.sqrt((math.exp(0.25) - 1) * math.exp(1.25))),
    "exponential": ((2.0,), 0.5, 0.5),
    "gamma": ((3.0, 2.0), 1.5, math.sqrt(3) / 2),
    "inv_gamma": ((5.0, 2.0), 0.5, math.sqrt(4 / (16 * 3))),
    "weibull": ((2.0, 3.0), *_weib(2.0, 3.0)),
    "beta": ((2.0, 3.0), 0.4, 0.2),
    "uniform": ((-1.0, 3.0), 1.0, 4 / math.sqrt(12)),
    "bernoulli": ((0.3,), *_bin(1, 0.3)),
    "bernoulli_logit": ((0.5,), *_bin(1, special.expit(0.5))),
    "binomial": ((10, 0.3), *_bin(10, 0.3)),
    "binomial_logit": ((10, -0.5), *_bin(10, special.expit(-0.5))),
    "poisson": ((3.5,), 3.5, math.sqrt(3.5)),
    "poisson_log": ((1.2,), math.exp(1.2), math.exp(0.6)),
    "neg_binomial_2": ((4.0, 2.5), 4.0, math.sqrt(4.0 + 16.0 / 2.5)),
}


@pytest.mark.parametrize("name", sorted(RNG_CASES))
def test_rng_mean(name):
    d = DISTRIBUTIONS[name]
    params, mean, sd = RNG_CASES[name]
    gen = np.random.default_rng(12345)
    if params:
        draws = d.rng(gen, *(np.full(N_DRAWS, p) for p in params))
    else:
        draws = d.rng(gen, size=N_DRAWS)
    assert draws.shape == (N_DRAWS,)
    assert draws.dtype == (np.int64 if d.discrete else np.float64)
    se = sd / math.sqrt(N_DRAWS)  # standard error of the sample mean
    assert abs(draws.mean() - mean) < 5 * se, (draws.mean(), mean, se)
    # draws lie in the support of the distribution
    assert np.all(d.logpdf(draws, *(np.full(N_DRAWS, p) for p in params)) > -np.inf)


def test_rng_cauchy_median():
    gen = np.random.default_rng(12345)
    draws = DISTRIBUTIONS["cauchy"].rng(gen, np.full(N_DRAWS, 1.0), np.full(N_DRAWS, 2.0))
    # sample median is asymptotically normal with sd 1 / (2 f(m) sqrt(n)),
    # f(m) = 1 / (pi sigma)  =>  sd = pi sigma / (2 sqrt(n))
    se = math.pi * 2.0 / (2 * math.sqrt(N_DRAWS))
    assert abs(np.median(draws) - 1.0) < 5 * se


def test_rng_student_t_heavy_tails_finite():
    # nu <= 2: infinite variance, so no mean test; just finite draws
    gen = np.random.default_rng(7)
    draws = DISTRIBUTIONS["student_t"].rng(gen, np.full(1000, 1.5), np.array(0.0), np.array(1.0))
    assert draws.shape == (1000,) and np.all(np.isfinite(draws))


def test_rng_broadcast_shapes():
    gen = np.random.default_rng(0)
    d = DISTRIBUTIONS["normal"]
    assert d.rng(gen, np.zeros((2, 1)), np.ones(3)).shape == (2, 3)
    assert d.rng(gen, np.array(0.0), np.array(1.0)).shape == ()
    assert DISTRIBUTIONS["std_normal"].rng(gen).shape == ()
    x = DISTRIBUTIONS["binomial"].rng(gen, np.array([3, 5], dtype=np.int64), np.array(0.5))
    assert x.dtype == np.int64 and np.all((x >= 0) & (x <= [3, 5]))


# ------------------------------------------------------------------- lookup

def test_lookup():
    assert lookup("normal") is DISTRIBUTIONS["normal"]
    assert lookup("normal_lpdf") is DISTRIBUTIONS["normal"]
    assert lookup("normal_lupdf") is DISTRIBUTIONS["normal"]
    assert lookup("normal_rng") is DISTRIBUTIONS["normal"]
    assert lookup("poisson_lpmf") is DISTRIBUTIONS["poisson"]
    assert lookup("poisson_lupmf") is DISTRIBUTIONS["poisson"]
    assert lookup("poisson_rng") is DISTRIBUTIONS["poisson"]
    assert lookup("poisson_log") is DISTRIBUTIONS["poisson_log"]
    assert lookup("poisson_log_lpmf") is DISTRIBUTIONS["poisson_log"]
    assert lookup("bernoulli_logit_rng") is DISTRIBUTIONS["bernoulli_logit"]
    assert lookup("std_normal_lpdf") is DISTRIBUTIONS["std_normal"]
    for bad in ("normal_lpmf", "poisson_lpdf", "poisson_lupdf", "normal_lcdf",
                "frobnicate", "frobnicate_lpdf", "normal_", "_lpdf", ""):
        assert lookup(bad) is None, bad
