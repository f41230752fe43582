"""Self-checks of the hand-written oracles in tests/oracles.py: run
``python tests/oracles_selfcheck.py``.  Each oracle is finite at random
points and consumes its registered dimension; the changepoint enumeration
agrees with direct loops and with a dynamic programme; coal with one
changepoint agrees with its conjugate closed form; the transforms invert."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.special import gammaln, logsumexp

from oracles import (ORACLES, _lower, _ordered, _positive_ordered, _simplex, changepoint_loglik_enum,
                     load_data, logp_coal, logp_coal2, logp_coal3, param_count)


def _changepoint_loglik_loops(ell: np.ndarray, M: int) -> float:
    """Direct nested loops over placements (M <= 2), for the self-check."""
    T = ell.shape[0]

    def seg(taus, t):
        return 1 + sum(1 for tk in taus if tk <= t)

    terms = []
    if M == 1:
        for t1 in range(2, T + 1):
            terms.append(sum(ell[t - 1, seg((t1,), t) - 1] for t in range(1, T + 1)))
    elif M == 2:
        for t1 in range(2, T + 1):
            for t2 in range(t1 + 1, T + 1):
                terms.append(sum(ell[t - 1, seg((t1, t2), t) - 1] for t in range(1, T + 1)))
    else:
        raise ValueError(M)
    return float(logsumexp(terms) - math.log(len(terms)))


def _changepoint_loglik_dp(ell: np.ndarray, M: int) -> float:
    """The forward recursion of DESIGN.md section 7, for the self-check."""
    T = ell.shape[0]
    alpha = np.full((M + 1, T), -np.inf)
    alpha[0, 0] = ell[0, 0]
    for t in range(1, T):
        alpha[0, t] = alpha[0, t - 1] + ell[t, 0]
        for j in range(1, M + 1):
            alpha[j, t] = ell[t, j] + np.logaddexp(alpha[j, t - 1], alpha[j - 1, t - 1])
    return float(alpha[M, T - 1] - math.log(math.comb(T - 1, M)))


def _coal_conjugate(theta, data) -> float:
    """coal (M = 1) in closed form per placement, as a second check."""
    rate, lj = _lower(np.asarray(theta, dtype=float), 0.0)
    D = np.asarray(data["D"], dtype=float)
    T = len(D)
    lg = float(np.sum(gammaln(D + 1)))
    terms = []
    for tau in range(2, T + 1):
        s1, n1 = D[:tau - 1].sum(), tau - 1
        s2, n2 = D[tau - 1:].sum(), T - tau + 1
        terms.append(s1 * math.log(rate[0]) - n1 * rate[0] + s2 * math.log(rate[1]) - n2 * rate[1])
    return float(-rate.sum() + lj + logsumexp(terms) - math.log(T - 1) - lg)


def _selfcheck(verbose: bool = True) -> None:
    rng = np.random.default_rng(20180101)
    # every oracle: finite at random points, registered dimension consumed
    for name, fn in ORACLES.items():
        data = load_data(name)
        d = param_count(name)
        vals = [fn(rng.standard_normal(d), data) for _ in range(5)]
        assert all(np.isfinite(v) for v in vals), (name, vals)
        try:
            fn(np.zeros(d + 1), data)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{name}: wrong length accepted")
        if verbose:
            print(f"{name:45s} d={d:4d}  logp={vals[0]: .6g}")
    # changepoint enumeration vs direct loops and vs the DP, random tables
    for M in (1, 2):
        for T in (2, 3, 7, 12):
            if T - 1 < M:
                continue
            ell = rng.normal(size=(T, M + 1)) * 3
            e = changepoint_loglik_enum(ell, M)
            assert abs(e - _changepoint_loglik_loops(ell, M)) < 1e-10, (M, T)
            assert abs(e - _changepoint_loglik_dp(ell, M)) < 1e-10, (M, T)
    for M in (3,):
        ell = rng.normal(size=(20, M + 1)) * 3
        assert abs(changepoint_loglik_enum(ell, M) - _changepoint_loglik_dp(ell, M)) < 1e-10
    # truncated coal series: oracle vs direct double loop over (tau1, tau2)
    coal = load_data("coal")
    small = {"T": 15, "D": coal["D"][:15]}
    for _ in range(3):
        th = rng.standard_normal(3)
        rate, lj = _lower(th, 0.0)
        D = np.asarray(small["D"])
        ell = stats.poisson.logpmf(D[:, None], rate[None, :])
        direct = -rate.sum() + lj + _changepoint_loglik_loops(ell, 2)
        assert abs(logp_coal2(th, small) - direct) < 1e-10
    # full coal vs conjugate closed form; coal3 vs the DP on the full series
    for _ in range(3):
        th = rng.standard_normal(2)
        assert abs(logp_coal(th, coal) - _coal_conjugate(th, coal)) < 1e-8
        th = rng.standard_normal(4)
        rate, lj = _lower(th, 0.0)
        ell = stats.poisson.logpmf(np.asarray(coal["D"])[:, None], rate[None, :])
        dp = -rate.sum() + lj + _changepoint_loglik_dp(ell, 3)
        assert abs(logp_coal3(th, coal) - dp) < 1e-8
    # transforms: log|J| against numerical Jacobian determinants
    def num_logdet(f, u, h=1e-6):
        n = len(u)
        J = np.empty((n, n))
        for i in range(n):
            e = np.zeros(n)
            e[i] = h
            J[:, i] = (f(u + e) - f(u - e)) / (2 * h)
        return np.linalg.slogdet(J)[1]
    u = rng.standard_normal(4)
    assert abs(_ordered(u)[1] - num_logdet(lambda v: _ordered(v)[0], u)) < 1e-6
    assert abs(_positive_ordered(u)[1] - num_logdet(lambda v: _positive_ordered(v)[0], u)) < 1e-6
    # simplex: Jacobian of the first K-1 coordinates
    assert abs(_simplex(u)[1] - num_logdet(lambda v: _simplex(v)[0][:-1], u)) < 1e-6
    assert abs(_simplex(np.zeros(4))[0] - 0.2).max() < 1e-12   # u = 0 -> uniform simplex
    if verbose:
        print("self-checks passed")


if __name__ == "__main__":
    _selfcheck()
