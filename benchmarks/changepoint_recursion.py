"""Forward + backward changepoint recursion (DESIGN §7) against naive enumeration.

Prints, for T in {1e3, 1e4, 1e5} and M in {1, 3, 10}, the time of the forward
and backward passes (numpy, batch of one table), and for small T the time of
enumerating every placement (O(T^M)) where it finishes.  Linear growth in T and
in M is what the O(M T) recursion promises.

Run:  python benchmarks/changepoint_recursion.py [--repeats 3]
"""
import argparse
import itertools
import time

import numpy as np

from ppl.stdlib import changepoint as C


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'T':>7s} {'M':>3s} {'forward+backward ms':>20s} {'per T*M us':>11s}")
    for T in (1000, 10000, 100000):
        for M in (1, 3, 10):
            ell = rng.normal(size=(1, T, M + 1))
            t = best(lambda: (C.forward(ell), C.backward(ell)), args.repeats)
            print(f"{T:7d} {M:3d} {1e3 * t:20.2f} {1e6 * t / (T * (M + 1)):11.3f}")
    print()
    print(f"{'T':>7s} {'M':>3s} {'recursion ms':>13s} {'enumeration ms':>15s}")
    for T, M in ((50, 1), (200, 1), (50, 2), (200, 2), (50, 3), (100, 3)):
        ell = rng.normal(size=(T, M + 1))
        t_rec = best(lambda: C.log_marginal(ell[None]), args.repeats)
        t_enum = best(lambda: enumerate_all(ell), 1)
        print(f"{T:7d} {M:3d} {1e3 * t_rec:13.2f} {1e3 * t_enum:15.1f}")


if __name__ == "__main__":
    main()
