"""Tests for the derivative rules (Distribution.grad) in ppl.stdlib.distributions.

Every analytic partial is compared with a central finite difference of the
module's own ``logpdf`` at random valid points, and the numerically delicate
cases (logit parameterisations at huge |alpha|, neg_binomial_2 / student_t
near their Poisson / normal limits, kinks and support edges) are checked
against known limits and asymptotic expansions.
"""

import numpy as np
import pytest
from scipy import special

from ppl.stdlib.distributions import DISTRIBUTIONS, log_density_partials

N_POINTS = 30


def _pos(rng, n, lo=0.1, hi=10.0):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _binom_points(r, n, alpha):
    N = r.integers(0, 60, n)
    return r.integers(0, N + 1), N, alpha


# name -> make(rng, n) -> (y, *params), all valid (inside every support).
POINTS = {
    "normal": lambda r, n: (r.normal(0, 5, n), r.normal(0, 3, n), _pos(r, n)),
    "std_normal": lambda r, n: (r.normal(0, 5, n),),
    "student_t": lambda r, n: (r.normal(0, 5, n), _pos(r, n, 0.5, 50),
                               r.normal(0, 3, n), _pos(r, n)),
    "cauchy": lambda r, n: (r.normal(0, 5, n), r.normal(0, 3, n), _pos(r, n)),
    "double_exponential": lambda r, n: (r.normal(0, 5, n), r.normal(0, 3, n),
                                        _pos(r, n)),
    "logistic": lambda r, n: (r.normal(0, 5, n), r.normal(0, 3, n), _pos(r, n)),
    "lognormal": lambda r, n: (_pos(r, n, 1e-3, 1e3), r.normal(0, 2, n),
                               _pos(r, n)),
    "exponential": lambda r, n: (_pos(r, n, 1e-3, 20), _pos(r, n)),
    "gamma": lambda r, n: (_pos(r, n, 1e-3, 20), _pos(r, n), _pos(r, n)),
    "inv_gamma": lambda r, n: (_pos(r, n, 1e-2, 20), _pos(r, n), _pos(r, n)),
    "weibull": lambda r, n: (_pos(r, n, 1e-2, 20), _pos(r, n, 0.3, 5),
                             _pos(r, n)),
    "beta": lambda r, n: (r.uniform(0.001, 0.999, n), _pos(r, n), _pos(r, n)),
    "uniform": lambda r, n: (lambda a, w, u: (a + u * w, a, a + w))(
        r.normal(0, 3, n), _pos(r, n), r.uniform(0.05, 0.95, n)),
    "bernoulli": lambda r, n: (r.integers(0, 2, n), r.uniform(0.01, 0.99, n)),
    "bernoulli_logit": lambda r, n: (r.integers(0, 2, n), r.normal(0, 4, n)),
    "binomial": lambda r, n: _binom_points(r, n, r.uniform(0.01, 0.99, n)),
    "binomial_logit": lambda r, n: _binom_points(r, n, r.normal(0, 3, n)),
    "poisson": lambda r, n: (r.integers(0, 40, n), _pos(r, n, 0.01, 50)),
    "poisson_log": lambda r, n: (r.integers(0, 40, n), r.normal(0, 2, n)),
    "neg_binomial_2": lambda r, n: (r.integers(0, 40, n), _pos(r, n, 0.01, 50),
                                    _pos(r, n, 0.05, 100)),
}

DIFF_ARGS = [(name, i) for name, d in DISTRIBUTIONS.items()
             for i, g in enumerate(d.grad) if g is not None]


def _step(x, support):
    """Finite-difference step on the argument's own scale, inside its support."""
    a = np.abs(x)
    if support in ("positive_finite", "nonnegative"):
        return 1e-6 * a
    if support == "unit_interval":
        return 1e-6 * np.minimum(a, 1.0 - a)
    return 1e-6 * np.maximum(1.0, a)


def test_grad_rows_well_formed():
    assert set(POINTS) == set(DISTRIBUTIONS)
    for name, d in DISTRIBUTIONS.items():
        args = (d.variate, *d.params)
        assert len(d.grad) == len(args), name
        for arg, g in zip(args, d.grad):
            # None exactly for the integer arguments.
            assert (g is None) == (arg.kind == "ints"), (name, arg)
        if d.discrete:
            assert d.grad[0] is None


@pytest.mark.parametrize("name,i", DIFF_ARGS,
                         ids=[f"{n}-{DISTRIBUTIONS[n].params[i - 1].name if i else 'y'}"
                              for n, i in DIFF_ARGS])
def test_partial_matches_finite_difference(name, i):
    d = DISTRIBUTIONS[name]
    rng = np.random.default_rng(1234 + 17 * i + sum(map(ord, name)))
    args = [np.asarray(a) for a in POINTS[name](rng, N_POINTS)]
    args = list(np.broadcast_arrays(*args))
    support = (d.variate, *d.params)[i].support
    x = args[i].astype(np.float64)
    h = _step(x, support)

    def lp_at(xv):
        a = list(args)
        a[i] = xv
        return d.logpdf(*a)

    lp = d.logpdf(*args)
    assert np.all(np.isfinite(lp))
    fd = (lp_at(x + h) - lp_at(x - h)) / (2.0 * h)
    got = d.grad[i](*args)
    assert got.shape == lp.shape and got.dtype == np.float64
    assert np.all(np.isfinite(got))
    # Round-off of the difference quotient is ~ eps |lp| / h: allow 50x that.
    atol = 1e-14 * (1.0 + np.abs(lp)) / h
    bad = np.abs(got - fd) > 1e-6 * np.abs(fd) + atol
    assert not bad.any(), (name, i, x[bad], got[bad], fd[bad])


def test_log_density_partials_broadcasts():
    d = DISTRIBUTIONS["normal"]
    y = np.array([[0.5], [1.0], [-2.0]])
    mu = np.array([0.0, 1.0])
    parts = log_density_partials(d, y, mu, 2.0)
    assert len(parts) == 3 and all(p.shape == (3, 2) for p in parts)
    yy, mm = np.broadcast_arrays(y, mu)
    np.testing.assert_allclose(parts[0], -(yy - mm) / 4.0)
    np.testing.assert_allclose(parts[1], (yy - mm) / 4.0)
    parts = log_density_partials(DISTRIBUTIONS["binomial"], [3, 4], 10, 0.25)
    assert parts[0] is None and parts[1] is None
    np.testing.assert_allclose(parts[2], np.array([3, 4]) / 0.25 - np.array([7, 6]) / 0.75)
    # Integer inputs are converted like logpdf's.
    parts = log_density_partials(DISTRIBUTIONS["poisson"], np.array([0, 2]), np.array([1, 4]))
    np.testing.assert_allclose(parts[1], [-1.0, -0.5])


def test_logit_extremes():
    ga = DISTRIBUTIONS["bernoulli_logit"].grad[1]
    n = np.array([1, 0, 1, 0, 1, 0])
    a = np.array([700.0, 700.0, -700.0, -700.0, np.inf, -np.inf])
    got = ga(n, a)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [0.0, -1.0, 1.0, 0.0, 0.0, 0.0], atol=1e-300)
    # The tiny value n - inv_logit(alpha) at n = 1, alpha = 700 is kept.
    assert got[0] == pytest.approx(special.expit(-700.0), rel=1e-12)
    assert got[0] > 0

    gb = DISTRIBUTIONS["binomial_logit"].grad[2]
    n, N = np.array([3, 3, 0, 10]), np.array([10, 10, 10, 10])
    a = np.array([700.0, -700.0, 700.0, -700.0])
    got = gb(n, N, a)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [-7.0, 3.0, -10.0, 10.0], rtol=1e-15)


def test_neg_binomial_2_poisson_limit():
    d = DISTRIBUTIONS["neg_binomial_2"]
    n = np.array([0, 1, 3, 5, 40, 7])
    mu = np.array([2.5, 0.3, 3.0, 1.0, 35.0, 7.0])
    phi = np.full(n.shape, 1e10)
    dphi = d.grad[2](n, mu, phi)
    assert np.all(np.isfinite(dphi))
    np.testing.assert_allclose(dphi, 0.0, atol=1e-15)
    # Not just small: it matches the expansion (n - (n-mu)^2) / (2 phi^2).
    np.testing.assert_allclose(dphi, (n - (n - mu) ** 2) / (2 * phi ** 2), rtol=1e-6)
    # d/dmu tends to the Poisson n/mu - 1.
    np.testing.assert_allclose(d.grad[1](n, mu, phi), n / mu - 1.0, rtol=1e-8)
    # Still finite and tiny at phi = 1e300.
    assert np.all(np.abs(d.grad[2](n, mu, np.full(n.shape, 1e300))) < 1e-300)


def test_student_t_normal_limit():
    g = DISTRIBUTIONS["student_t"].grad
    y = np.array([0.0, 0.5, 1.0, 2.0, -3.0])
    nu = np.full(y.shape, 1e8)
    args = (y, nu, np.zeros_like(y), np.ones_like(y))
    dnu = g[1](*args)
    # d/dnu ~ (1 + 2 z^2 - z^4) / (4 nu^2) as nu -> inf.
    np.testing.assert_allclose(dnu, (1 + 2 * y**2 - y**4) / (4 * nu**2), rtol=1e-6)
    np.testing.assert_allclose(g[0](*args), -y, rtol=1e-7)      # normal's d/dy
    np.testing.assert_allclose(g[3](*args), y**2 - 1, rtol=1e-7, atol=1e-7)
    # Far tails: no overflow, d/dy ~ -(nu+1)/z.
    z = np.array([1e200, -1e200])
    one = np.ones_like(z)
    assert np.all(np.isfinite(g[1](z, 3 * one, 0 * one, one)))
    np.testing.assert_allclose(g[0](z, 3 * one, 0 * one, one), -4.0 / z, rtol=1e-12)


def test_high_precision_reference():
    """neg_binomial_2 d/dphi and student_t d/dnu across many scales."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40

    def nb(n, mu, phi):
        return (mp.loggamma(n + phi) - mp.loggamma(phi) + n * mp.log(mu / (mu + phi))
                + phi * mp.log(phi / (mu + phi)))

    g = DISTRIBUTIONS["neg_binomial_2"].grad[2]
    for phi in (1e-8, 0.03, 1.0, 9.99, 10.0, 300.0, 1e6, 1e12):
        for mu, n in ((0.5, 0), (3.0, 5), (40.0, 31), (1e4, 2)):
            ref = float(mp.diff(lambda p: nb(n, mp.mpf(mu), p), mp.mpf(phi)))
            assert g(np.array(n), np.array(mu), np.array(phi)) == pytest.approx(
                ref, rel=1e-9), (phi, mu, n)

    def t(y, nu):
        return (mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu) / 2
                - (nu + 1) / 2 * mp.log(1 + y * y / nu))

    g = DISTRIBUTIONS["student_t"].grad[1]
    for nu in (1e-3, 0.7, 5.0, 19.9, 20.0, 1e3, 1e7, 1e12):
        for y in (0.0, 0.9, 1.0, 4.0, 1e6):
            ref = float(mp.diff(lambda v: t(mp.mpf(y), v), mp.mpf(nu)))
            assert g(np.array(y), np.array(nu), np.array(0.0), np.array(1.0)) == \
                pytest.approx(ref, rel=1e-9), (nu, y)


def test_kinks_and_support_edges():
    D = DISTRIBUTIONS
    # double_exponential at y == mu: sign(0) = 0.
    de = D["double_exponential"].grad
    assert de[0](np.array(1.0), np.array(1.0), np.array(2.0)) == 0.0
    assert de[1](np.array(1.0), np.array(1.0), np.array(2.0)) == 0.0
    assert de[2](np.array(1.0), np.array(1.0), np.array(2.0)) == -0.5
    # poisson at lambda = 0, n = 0: -1.
    assert D["poisson"].grad[1](np.array(0), np.array(0.0)) == -1.0
    # poisson_log at alpha = -inf, n = 0 (rate 0): 0.
    assert D["poisson_log"].grad[1](np.array(0), np.array(-np.inf)) == 0.0
    # 0 * log(0) terms differentiate to 0 at the support edge.
    assert D["binomial"].grad[2](np.array(0), np.array(5), np.array(0.0)) == -5.0
    assert D["binomial"].grad[2](np.array(5), np.array(5), np.array(1.0)) == 5.0
    assert D["beta"].grad[0](np.array(0.0), np.array(1.0), np.array(3.0)) == -2.0
    assert D["weibull"].grad[0](np.array(0.0), np.array(1.0), np.array(4.0)) == -0.25
    assert D["gamma"].grad[0](np.array(2.0), np.array(1.0), np.array(3.0)) == -3.0
    # uniform: d/dy = 0; bounds inside the support, 0 outside (logpdf -inf).
    u = D["uniform"].grad
    y, a, b = np.array([0.5, 3.0, 0.5]), np.array([0.0, 0.0, 1.0]), np.array([2.0, 2.0, 0.0])
    np.testing.assert_array_equal(u[0](y, a, b), 0.0)
    np.testing.assert_array_equal(u[1](y, a, b), [0.5, 0.0, 0.0])
    np.testing.assert_array_equal(u[2](y, a, b), [-0.5, 0.0, 0.0])
    # Where logpdf returns -inf itself, the partials are 0.
    for name, args in (("lognormal", (0.0, 0.0, 1.0)), ("inv_gamma", (-1.0, 2.0, 1.0)),
                       ("weibull", (-1.0, 2.0, 1.0)), ("binomial", (6, 5, 0.5)),
                       ("binomial_logit", (6, 5, 0.5)), ("poisson", (2, np.inf))):
        args = [np.array(v) for v in args]
        assert D[name].logpdf(*args) == -np.inf
        for g in D[name].grad:
            if g is not None:
                assert g(*args) == 0.0, name
