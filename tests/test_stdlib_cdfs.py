"""The log CDFs and log CCDFs of stdlib.cumulative against independent references.

* values against scipy.stats (``logcdf`` / ``logsf``, each taken on the side
  where scipy computes it without cancellation: ``log1p(-sf)`` where the CDF is
  above 1/2) over grids that reach far into both tails, to 1e-12 relative;
  student_t against mpmath's incomplete beta at 30 digits (scipy's ``stdtr``
  is only good to ~1e-9 near t = 0 for small nu);
* every partial against central differences (Richardson-extrapolated) of the
  value, and student_t's d/dnu against mpmath's derivative of the
  high-precision log CDF, to 1e-7 and 1e-8 relative.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ppl.stdlib.cumulative import CUMULATIVE, KERNELS

# distribution -> (frozen scipy distribution from the Stan parameters, parameter
# sets, variate grid as a function of the parameters)
_Z = np.concatenate([-np.logspace(3, -3, 25), [0.0], np.logspace(-3, 3, 25)])
_POS = np.concatenate([[0.0], np.logspace(-6, 3, 40)])
_UNIT = np.concatenate([[0.0, 1e-12], np.linspace(0.01, 0.99, 25), [1.0 - 1e-9, 1.0]])

SCIPY = {
    "normal": (lambda mu, s: stats.norm(mu, s), [(0.3, 1.7), (-2.0, 0.05)],
               lambda mu, s: mu + s * np.concatenate([_Z[np.abs(_Z) < 40], [-1e3, -1e8, 1e8]])),
    "std_normal": (lambda: stats.norm(), [()], lambda: np.concatenate([_Z[np.abs(_Z) < 40], [-1e3]])),
    "cauchy": (lambda mu, s: stats.cauchy(mu, s), [(0.3, 1.7), (-2.0, 0.05)], lambda mu, s: mu + s * _Z),
    "logistic": (lambda mu, s: stats.logistic(mu, s), [(0.3, 1.7)], lambda mu, s: mu + s * _Z[np.abs(_Z) < 700]),
    "double_exponential": (lambda mu, s: stats.laplace(mu, s), [(0.3, 1.7)],
                           lambda mu, s: mu + s * _Z[np.abs(_Z) < 700]),
    "lognormal": (lambda mu, s: stats.lognorm(s, scale=np.exp(mu)), [(0.3, 0.7), (-1.0, 2.5)],
                  lambda mu, s: np.exp(mu + s * _Z[np.abs(_Z) < 30])),
    "exponential": (lambda b: stats.expon(scale=1.0 / b), [(0.3,), (40.0,)], lambda b: _POS[_POS * b < 700]),
    "gamma": (lambda a, b: stats.gamma(a, scale=1.0 / b), [(0.2, 1.0), (3.5, 2.0), (40.0, 0.5)],
              lambda a, b: _POS[(_POS * b < 600) & (_POS * b > 1e-5 * a)]),
    "weibull": (lambda a, s: stats.weibull_min(a, scale=s), [(0.6, 2.0), (3.0, 0.5)],
                lambda a, s: s * _POS[(_POS > 1e-4) & (_POS < 15)]),
    "beta": (lambda a, b: stats.beta(a, b), [(0.3, 0.5), (2.0, 3.0), (50.0, 0.7), (0.5, 200.0)],
             lambda a, b: _UNIT),
    "uniform": (lambda a, b: stats.uniform(a, b - a), [(-1.0, 2.5)],
                lambda a, b: np.array([-3.0, -1.0, -0.999, 0.0, 1.3, 2.49, 2.5, 7.0])),
    "poisson": (lambda lam: stats.poisson(lam), [(0.1,), (3.0,), (45.0,)],
                lambda lam: np.concatenate([[-2.0], np.arange(0.0, 3 * lam + 25)])),
}


def _scipy_reference(frozen, y):
    """log CDF and log CCDF, each from the tail scipy computes directly."""
    with np.errstate(all="ignore"):
        cdf, sf = frozen.cdf(y), frozen.sf(y)
        lcdf = np.where(cdf <= 0.5, frozen.logcdf(y), np.log1p(-sf))
        lccdf = np.where(sf <= 0.5, frozen.logsf(y), np.log1p(-cdf))
    return lcdf, lccdf


def _close(got, want, what, rtol=1e-12):
    """Relative agreement; where the reference underflowed to log 0 = -inf, the
    value must be -inf or below log(1e-300) (a probability scipy cannot hold)."""
    got, want = np.asarray(got), np.asarray(want)
    same_inf = np.isinf(want) & (got == want)
    underflow = (want == -np.inf) & (got < np.log(1e-300))
    with np.errstate(all="ignore"):
        err = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
    bad = ~same_inf & ~underflow & ~(err <= rtol)
    assert not bad.any(), f"{what}: at {np.flatnonzero(bad)[:5]} got {got[bad][:3]}, want {want[bad][:3]}"


def test_every_distribution_with_a_cdf_is_checked():
    assert set(KERNELS) == set(SCIPY) | {"student_t"}


@pytest.mark.parametrize("name", sorted(SCIPY))
def test_values_match_scipy(name):
    make, param_sets, grid = SCIPY[name]
    for params in param_sets:
        y = grid(*params)
        lcdf, lccdf = _scipy_reference(make(*params), y)
        args = [y, *[np.full_like(y, p) for p in params]]
        _close(CUMULATIVE[f"{name}_lcdf"].logpdf(*args), lcdf, f"{name}_lcdf{params}")
        _close(CUMULATIVE[f"{name}_lccdf"].logpdf(*args), lccdf, f"{name}_lccdf{params}")


def _mp_student_t(t, nu, upper):
    import mpmath as mp
    t, nu = mp.mpf(t), mp.mpf(nu)
    half = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + t * t), regularized=True) / 2
    # the tail beyond |t| is `half`; the other side is 1 - half
    return mp.log(half) if (t < 0) != upper else mp.log1p(-half)


STUDENT_T = [(nu, t) for nu in (0.3, 1.0, 2.5, 7.0, 60.0, 2000.0)
             for t in (-1e6, -40.0, -3.0, -0.7, -1e-3, 0.0, 0.4, 2.0, 9.0, 300.0)]


def test_student_t_values_match_mpmath():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    nu, t = (np.array(c, dtype=float) for c in zip(*STUDENT_T))
    mu, sigma = 0.25, 1.5
    y = mu + sigma * t
    for kind, upper in (("lcdf", False), ("lccdf", True)):
        want = np.array([float(_mp_student_t(b, a, upper)) for a, b in STUDENT_T])
        got = CUMULATIVE[f"student_t_{kind}"].logpdf(y, nu, np.full_like(y, mu), np.full_like(y, sigma))
        _close(got, want, f"student_t_{kind}")


def test_student_t_near_the_normal_limit():
    """At nu = 1e8 the incomplete beta's x is within 1e-8 of 1: log x and the
    integrand's log(1 - s) must come from 1 - x, not from x (a relative error
    of 1e-16 in x becomes ~1e-8 in a nu/2 log x).  Reference: the t density
    integrated by mpmath at 40 digits."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    nu = mp.mpf(1e8)
    c = mp.exp(mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2)) / mp.sqrt(nu * mp.pi)
    for t in (-2.0, 0.5):
        tail = mp.quad(lambda s: c * (1 + s * s / nu) ** (-(nu + 1) / 2), [-mp.inf, -abs(t) - 10, -abs(t)])
        want = float(mp.log(tail) if t < 0 else mp.log1p(-tail))
        _close(CUMULATIVE["student_t_lcdf"].logpdf(t, 1e8, 0.0, 1.0), want, f"student_t_lcdf({t} | 1e8)")


def test_student_t_dnu_matches_mpmath():
    """d/dnu has no closed form (quadrature in stdlib.cdf_kernels): against the
    derivative of mpmath's log CDF at 30 digits."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    cases = [(nu, t) for nu, t in STUDENT_T if abs(t) < 1e3 and t != 0.0]
    nu, t = (np.array(c, dtype=float) for c in zip(*cases))
    for kind, upper in (("lcdf", False), ("lccdf", True)):
        want = np.array([float(mp.diff(lambda n: _mp_student_t(b, n, upper), mp.mpf(a))) for a, b in cases])
        got = CUMULATIVE[f"student_t_{kind}"].grad[1](t, nu, np.zeros_like(t), np.ones_like(t))
        ok = np.abs(want) > 1e-280      # far in a tail the derivative underflows
        _close(got[ok], want[ok], f"d student_t_{kind} / d nu", rtol=1e-8)


# (distribution, argument tuples) for the finite-difference checks: bulk and tails
FD_POINTS = {
    "normal": [(0.3, 0.1, 1.3), (-5.0, 0.2, 0.7), (3.0, 1.0, 2.0), (-30.0, 0.0, 1.0)],
    "std_normal": [(0.3,), (-8.0,), (4.0,), (-25.0,)],
    "student_t": [(0.3, 3.0, 0.1, 1.3), (-5.0, 0.7, 0.2, 0.7), (30.0, 12.0, 1.0, 2.0), (-2.0, 80.0, 0.0, 1.0)],
    "cauchy": [(0.3, 0.1, 1.3), (-5.0, 0.2, 0.7), (30.0, 1.0, 2.0)],
    "logistic": [(0.3, 0.1, 1.3), (-5.0, 0.2, 0.7), (30.0, 1.0, 2.0)],
    "double_exponential": [(0.3, 0.1, 1.3), (-5.0, 0.2, 0.7), (30.0, 1.0, 2.0)],
    "lognormal": [(0.3, 0.1, 1.3), (5.0, 0.2, 0.7)],
    "exponential": [(0.3, 1.3), (5.0, 0.7)],
    "weibull": [(0.3, 1.5, 1.3), (5.0, 0.7, 2.0)],
    "gamma": [(0.3, 1.5, 1.3), (5.0, 0.7, 2.0), (30.0, 40.0, 1.1), (3.0, 0.2, 1.0)],
    "beta": [(0.3, 1.5, 1.3), (0.9, 0.7, 2.0), (0.5, 40.0, 30.0), (0.01, 0.3, 0.4)],
    "uniform": [(0.3, -1.0, 2.0), (1.9, -1.0, 2.0)],
    "poisson": [(3.0, 2.5), (0.0, 0.7), (30.0, 10.0)],
}


def test_fd_points_cover_every_distribution():
    assert set(FD_POINTS) == set(KERNELS)


@pytest.mark.parametrize("name", sorted(FD_POINTS))
def test_partials_match_central_differences(name):
    for kind in ("lcdf", "lccdf"):
        row = CUMULATIVE[f"{name}_{kind}"]
        for point in FD_POINTS[name]:
            args = [np.array([float(v)]) for v in point]
            for i, rule in enumerate(row.grad):
                if rule is None:
                    continue
                h = 1e-4 * max(abs(point[i]), 1e-2)

                def shifted(d):
                    moved = list(args)
                    moved[i] = args[i] + d
                    return row.logpdf(*moved)[0]
                coarse = (shifted(h) - shifted(-h)) / (2 * h)
                fine = (shifted(h / 2) - shifted(-h / 2)) / h
                want = (4 * fine - coarse) / 3
                got = rule(*args)[0]
                assert abs(got - want) <= 1e-7 * max(abs(want), 1e-6), (row.name, point, i, got, want)


def test_cdfs_at_the_edges_of_the_support():
    """Exact values where the CDF is 0 or 1, and no NaN from the tails."""
    lcdf, lccdf = CUMULATIVE["gamma_lcdf"].logpdf, CUMULATIVE["gamma_lccdf"].logpdf
    assert lcdf(0.0, 2.0, 1.0) == -np.inf and lccdf(0.0, 2.0, 1.0) == 0.0
    assert lcdf(np.inf, 2.0, 1.0) == 0.0 and lccdf(np.inf, 2.0, 1.0) == -np.inf
    assert CUMULATIVE["poisson_lcdf"].logpdf(-1.0, 2.0) == -np.inf
    assert CUMULATIVE["poisson_lccdf"].logpdf(3.0, 0.0) == -np.inf
    assert CUMULATIVE["poisson_lcdf"].grad[1](0.0, 0.0) == -1.0     # d/dlambda e^-lambda at 0
    assert CUMULATIVE["uniform_lcdf"].logpdf(3.0, -1.0, 2.0) == 0.0
    assert CUMULATIVE["uniform_lcdf"].logpdf(0.0, 2.0, 1.0) == -np.inf   # beta < alpha
    z = np.array([-1e300, -1e10, 1e10, 1e300])
    for kind in ("lcdf", "lccdf"):
        for name in ("normal", "cauchy", "logistic", "double_exponential"):
            row = CUMULATIVE[f"{name}_{kind}"]
            assert not np.isnan(row.logpdf(z, 0.0, 1.0)).any(), row.name
            assert not np.isnan(row.grad[0](z, 0.0, 1.0)).any(), row.name
