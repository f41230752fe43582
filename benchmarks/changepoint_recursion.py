"""Forward + backward changepoint recursion (DESIGN §7): numpy reference, native
kernels, and naive enumeration.

Prints, for T in {1e3, 1e4, 1e5} and M in {1, 3, 10} plus the headline row
T = 1e5, M = 5, the time of one table's forward and backward passes (the log
marginal and its gradient, the segment posteriors: forward() and
segment_posteriors()' reverse sweep) with numpy (stdlib/changepoint.py, batch
of one table, as the reference backend runs it) and native
(stdlib/native_changepoint.py), the native forward pass alone (the log
marginal), and the native time per cell; then, for small T, the recursion
against enumerating every placement (O(T^M)).  Linear growth in T and in M is
what the O(M T) recursion promises.  The column "numpy a+b" is the other way
to the gradient DESIGN §7 allows: the backward recursion beta in log space,
then exp(alpha + beta - total), in numpy and compiled ("native a+b", written
here for the comparison); the reverse sweep of the forward pass (what pplc
uses: AD through the recursion) is compared with it in the same run.  Times are the best of --repeats runs
(the machine is shared: the best run is the least disturbed).

Run:  python benchmarks/changepoint_recursion.py [--repeats 5]
"""
import argparse
import itertools
import time

import math

import numpy as np
from numba import njit

from ppl.stdlib import changepoint as C
from ppl.stdlib import native_changepoint as NC


def best(fn, repeats):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def enumerate_all(ell):
    T, M1 = ell.shape
    total = []
    for tau in itertools.combinations(range(2, T + 1), M1 - 1):
        seg = np.searchsorted(np.asarray(tau), np.arange(1, T + 1), side="right")
        total.append(ell[np.arange(T), seg].sum())
    return np.logaddexp.reduce(total)


def alpha_beta_posteriors(ell):
    """The segment posteriors by the backward recursion: exp(alpha + beta - total)."""
    T, M1 = ell.shape[-2:]
    alpha, beta = C.forward(ell), C.backward(ell)
    with np.errstate(invalid="ignore"):
        return np.exp(alpha + beta - alpha[..., T - 1, M1 - 1][..., None, None])


@njit(cache=True)
def _logaddexp(a, b):
    if a == -np.inf and b == -np.inf:
        return -np.inf
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


@njit(cache=True)
def alpha_beta_native(ell, grad):
    """The backward-recursion gradient compiled: alpha and beta over the band, then
    grad = exp(alpha + beta - total); returns the total."""
    T, M1 = ell.shape
    alpha = np.full((T, M1), -np.inf)
    beta = np.full((T, M1), -np.inf)
    alpha[0, 0] = ell[0, 0]
    for t in range(1, T):
        for j in range(max(0, M1 - (T - t)), min(t, M1 - 1) + 1):
            move = alpha[t - 1, j - 1] if j > 0 else -np.inf
            alpha[t, j] = ell[t, j] + _logaddexp(alpha[t - 1, j], move)
    beta[T - 1, M1 - 1] = 0.0
    for t in range(T - 2, -1, -1):
        for j in range(max(0, M1 - (T - t)), min(t, M1 - 1) + 1):
            move = ell[t + 1, j + 1] + beta[t + 1, j + 1] if j + 1 < M1 else -np.inf
            beta[t, j] = _logaddexp(ell[t + 1, j] + beta[t + 1, j], move)
    total = alpha[T - 1, M1 - 1]
    for t in range(T):
        for j in range(M1):
            v = alpha[t, j] + beta[t, j] - total
            grad[t, j] = math.exp(v) if v > -np.inf else 0.0
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    NC.log_marginal_gradient(np.zeros((3, 2)), np.empty((3, 2)))     # compile (or load) first
    NC.log_marginal(np.zeros((3, 2)))
    print("forward + backward (log marginal and segment posteriors) of one T x (M+1) table")
    probe = np.random.default_rng(1).normal(size=(50, 4))
    check = [np.empty_like(probe), np.empty_like(probe)]
    alpha_beta_native(probe, check[0]), NC.log_marginal_gradient(probe, check[1])
    assert np.allclose(check[0], check[1], rtol=1e-10, atol=1e-14)
    print(f"{'T':>7s} {'M':>3s} {'numpy ms':>10s} {'numpy a+b ms':>12s} {'native ms':>10s} "
          f"{'native a+b ms':>13s} {'numpy/native':>12s} {'native fwd ms':>13s} {'native ns/cell':>14s}")
    rows = [(T, M) for T in (1000, 10000, 100000) for M in (1, 3, 10)] + [(100000, 5)]
    for T, M in rows:
        ell = rng.normal(size=(T, M + 1))
        grad = np.empty_like(ell)
        t_np = best(lambda: C.segment_posteriors(ell[None]), args.repeats)
        t_ab = best(lambda: alpha_beta_posteriors(ell[None]), args.repeats)
        t_nat = best(lambda: NC.log_marginal_gradient(ell, grad), args.repeats)
        t_fwd = best(lambda: NC.log_marginal(ell), args.repeats)
        t_nab = best(lambda: alpha_beta_native(ell, grad), args.repeats)
        head = "  <- headline (target < 10 ms native)" if (T, M) == (100000, 5) else ""
        print(f"{T:7d} {M:3d} {1e3 * t_np:10.2f} {1e3 * t_ab:12.2f} {1e3 * t_nat:10.2f} {1e3 * t_nab:13.2f} "
              f"{t_np / t_nat:12.0f} "
              f"{1e3 * t_fwd:13.2f} {1e9 * t_nat / (T * (M + 1)):14.1f}{head}", flush=True)
    print()
    print(f"{'T':>7s} {'M':>3s} {'numpy recursion ms':>18s} {'native ms':>10s} {'enumeration ms':>15s}")
    for T, M in ((50, 1), (200, 1), (50, 2), (200, 2), (50, 3), (100, 3)):
        ell = rng.normal(size=(T, M + 1))
        t_rec = best(lambda: C.log_marginal(ell[None]), args.repeats)
        t_nat = best(lambda: NC.log_marginal(ell), args.repeats)
        t_enum = best(lambda: enumerate_all(ell), 1)
        print(f"{T:7d} {M:3d} {1e3 * t_rec:18.2f} {1e3 * t_nat:10.4f} {1e3 * t_enum:15.1f}", flush=True)


if __name__ == "__main__":
    main()
