"""Cost of the log CDF kernels (stdlib/cdf_kernels.py) per element.

For each distribution with a CDF: nanoseconds per element of the log CDF and
of its partial in each argument (the ufuncs on arrays of 20,000 points spread
over the bulk and the tails), next to scipy.stats' ``logcdf`` on the same
points for scale.  The incomplete beta/gamma ones (student_t, gamma, beta,
poisson) integrate by quadrature, so they cost ~10-100 times the elementary
ones; the shape partials come from the same quadrature.  Times are the best of
--repeats runs (the machine is shared: the best run is the least disturbed).

Run:  python benchmarks/cdf_kernels.py [--repeats 5]
"""
import argparse
import time

import numpy as np
from scipy import stats

from ppl.stdlib.cumulative import CUMULATIVE

N = 20_000
rng = np.random.default_rng(1)
Z = rng.normal(0.0, 3.0, N)
POS = np.exp(rng.normal(0.0, 1.5, N))

# distribution -> (arguments, scipy's frozen distribution for scale)
CASES = {
    "normal": ((Z, 0.3, 1.2), stats.norm(0.3, 1.2)),
    "student_t": ((Z, 4.5, 0.3, 1.2), stats.t(4.5, 0.3, 1.2)),
    "cauchy": ((Z, 0.3, 1.2), stats.cauchy(0.3, 1.2)),
    "logistic": ((Z, 0.3, 1.2), stats.logistic(0.3, 1.2)),
    "lognormal": ((POS, 0.3, 1.2), stats.lognorm(1.2, scale=np.exp(0.3))),
    "gamma": ((POS, 2.5, 1.5), stats.gamma(2.5, scale=1 / 1.5)),
    "weibull": ((POS, 1.5, 2.0), stats.weibull_min(1.5, scale=2.0)),
    "beta": ((POS / (1 + POS), 2.5, 0.7), stats.beta(2.5, 0.7)),
    "poisson": ((np.floor(POS * 3), 3.5), stats.poisson(3.5)),
}


def best(fn, repeats):
    fn()        # compile / warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) / N * 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    repeats = ap.parse_args().repeats
    print(f"{'distribution':<14}{'scipy logcdf':>14}{'lcdf':>10}  partials (ns/element)")
    for name, (args, frozen) in CASES.items():
        row = CUMULATIVE[f"{name}_lcdf"]
        full = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])
        ref = best(lambda: frozen.logcdf(full[0]), repeats)
        value = best(lambda: row.logpdf(*full), repeats)
        partials = [f"{spec.name}: {best(lambda g=g: g(*full), repeats):.0f}"
                    for spec, g in zip((row.variate, *row.params), row.grad) if g is not None]
        print(f"{name:<14}{ref:>14.0f}{value:>10.0f}  " + ", ".join(partials))


if __name__ == "__main__":
    main()
