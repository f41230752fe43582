"""Cost of the log CDF kernels (stdlib/cdf_kernels.py) per element.

1. For each distribution with a CDF: nanoseconds per element of the log CDF and
of its partial in each argument (the ufuncs on arrays of 20,000 points spread
over the bulk and the tails), next to scipy.stats' ``logcdf`` on the same
points for scale.  The incomplete beta/gamma ones (student_t, gamma, beta,
poisson) integrate by quadrature, so they cost ~10-100 times the elementary
ones; the shape partials come from the same quadrature.  Times are the best of
--repeats runs (the machine is shared: the best run is the least disturbed).

2. The gradient of two models over 1,000 observations, one draw, on the
numpy and numba backends: right-censored normal data (normal_lccdf of a
vector) and student_t with nu a parameter plus a student_t_lccdf term (before
the native d/dnu of student_t_lpdf, that model ran on the numpy backend).

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
    models(repeats)


MODELS = {
    "censored normal": """
data { int N; vector[N] y; real U; int N_cens; }
parameters { real mu; real<lower=0> sigma; }
model { y ~ normal(mu, sigma); target += N_cens * normal_lccdf(U | mu, sigma);
        target += normal_lccdf(y | mu, sigma); }
""",
    "student_t nu": """
data { int N; vector[N] y; real U; int N_cens; }
parameters { real mu; real<lower=0> sigma; real<lower=0> nu; }
model { nu ~ gamma(4, 1); y ~ student_t(nu, mu, sigma);
        target += N_cens * student_t_lccdf(U | nu, mu, sigma); }
""",
}


def models(repeats):
    import os
    import tempfile
    import warnings

    import ppl
    os.environ.setdefault("PPLC_CACHE_DIR", tempfile.mkdtemp())
    data = {"N": 1000, "y": rng.normal(0.5, 1.3, 1000).tolist(), "U": 2.5, "N_cens": 40}
    print(f"\n{'model (N = 1000)':<18}{'numpy us':>10}{'numba us':>10}  backend used")
    for name, src in MODELS.items():
        model = ppl.compile(src)
        times, used = [], []
        for backend in ("numpy", "numba"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                bm = model.bind(data, backend=backend)
            theta = np.full(bm.param_unc_num(), 0.3)
            times.append(best(lambda: bm.log_density_gradient(theta), repeats) * N / 1e3)
            used.append(bm.backend)
        print(f"{name:<18}{times[0]:>10.0f}{times[1]:>10.0f}  {' / '.join(used)}")


if __name__ == "__main__":
    main()
