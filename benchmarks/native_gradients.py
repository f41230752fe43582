"""Gradient throughput of the native backend next to the numpy backend and Stan.

    python benchmarks/native_gradients.py

For each posteriordb model of issue 6: cold compile (an empty PPLC_CACHE_DIR,
to the first gradient), warm start (a second process, cache hit, to the
first gradient), and microseconds per gradient evaluating a batch of 64
points per call (as the VI loop does) for numba and numpy, measured in one
run; Stan's per-gradient times are the figures measured on this machine in
a C++ loop (issue 6), for the ratio column.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

import ppl

STAN_US = {"earnings-earn_height": 12.5, "kidiq-kidscore_momiq": 4.6, "arK-arK": 19.6,
           "garch-garch11": 13.2, "eight_schools-eight_schools_noncentered": 0.53, "sblri-blr": 1.2,
           "diamonds-diamonds": 32.9, "low_dim_gauss_mix-low_dim_gauss_mix": 119.0}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WARM = """
import time, warnings, numpy as np
t = time.perf_counter()
import ppl
warnings.simplefilter("ignore")
bm = ppl.compile_file({model!r}).bind({data!r}, backend="numba")
bm.log_density_gradient(np.zeros(bm.param_unc_num()))
print(time.perf_counter() - t, bm.backend)
"""


def per_call(f, min_time=0.5):
    f()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_time:
        f()
        n += 1
    return (time.perf_counter() - t0) / n


def main():
    warnings.simplefilter("ignore")
    os.environ["PPLC_CACHE_DIR"] = tempfile.mkdtemp(prefix="pplc-bench-")
    print(f"{'model':40s} {'cold s':>7s} {'warm s':>7s} {'numba us':>9s} {'numpy us':>9s} "
          f"{'Stan us':>8s} {'Stan/numba':>10s}")
    ratios = []
    for name, stan in STAN_US.items():
        d = os.path.join(ROOT, "examples", name)
        model, data = os.path.join(d, "model.ppl"), os.path.join(d, "data.json")
        t0 = time.perf_counter()
        m = ppl.compile_file(model)
        bn = m.bind(data, backend="numba")
        bn.log_density_gradient(np.zeros(bn.param_unc_num()))
        cold = time.perf_counter() - t0
        out = subprocess.run([sys.executable, "-c", WARM.format(model=model, data=data)],
                             capture_output=True, text=True, env=dict(os.environ))
        warm = float(out.stdout.split()[0]) if out.returncode == 0 else float("nan")
        br = m.bind(data, backend="numpy")
        theta = np.random.default_rng(0).uniform(-2, 2, size=(64, bn.param_unc_num()))
        tn = per_call(lambda: bn.log_density_gradient(theta)) / 64 * 1e6
        tr = per_call(lambda: br.log_density_gradient(theta)) / 64 * 1e6
        ratios.append(stan / tn)
        print(f"{name:40s} {cold:7.2f} {warm:7.2f} {tn:9.2f} {tr:9.1f} {stan:8.2f} {stan / tn:10.2f}",
              flush=True)
    print(f"median Stan/numba ratio: {np.median(ratios):.2f}")


if __name__ == "__main__":
    main()
