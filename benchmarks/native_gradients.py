"""Gradient throughput of the native backend next to the numpy backend and Stan.

    python benchmarks/native_gradients.py [--changepoints-only]

For each posteriordb model of issue 6: cold compile (an empty PPLC_CACHE_DIR,
to the first gradient), warm start (a second process, cache hit, to the
first gradient), and microseconds per gradient evaluating a batch of 64
points per call (as the VI loop does) for numba and numpy, measured in one
run; Stan's per-gradient times are the figures measured on this machine in
a C++ loop (issue 6), for the ratio column.  Then the same columns for two
changepoint examples (no Stan column: no Stan figures were measured for them),
with the batch size per call.
"""
from __future__ import annotations

import argparse
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
# changepoint examples -> draws per call (mean_shift's T = 10,000 makes the numpy
# backend's tables large: a smaller batch keeps its memory modest)
CHANGEPOINT_BATCH = {"coal2": 64, "mean_shift": 8}
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


def measure(name, batch):
    """(cold s, warm s, numba us, numpy us, backend) per gradient of one example."""
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
    theta = np.random.default_rng(0).uniform(-2, 2, size=(batch, bn.param_unc_num()))
    tn = per_call(lambda: bn.log_density_gradient(theta)) / batch * 1e6
    tr = per_call(lambda: br.log_density_gradient(theta)) / batch * 1e6
    return cold, warm, tn, tr, bn.backend


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--changepoints-only", action="store_true", help="only the changepoint examples")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    os.environ["PPLC_CACHE_DIR"] = tempfile.mkdtemp(prefix="pplc-bench-")
    if not args.changepoints_only:
        print(f"{'model':40s} {'cold s':>7s} {'warm s':>7s} {'numba us':>9s} {'numpy us':>9s} "
              f"{'Stan us':>8s} {'Stan/numba':>10s}")
        ratios = []
        for name, stan in STAN_US.items():
            cold, warm, tn, tr, _ = measure(name, 64)
            ratios.append(stan / tn)
            print(f"{name:40s} {cold:7.2f} {warm:7.2f} {tn:9.2f} {tr:9.1f} {stan:8.2f} "
                  f"{stan / tn:10.2f}", flush=True)
        print(f"median Stan/numba ratio: {np.median(ratios):.2f}")
        print()
    print(f"{'changepoint model':40s} {'batch':>5s} {'cold s':>7s} {'warm s':>7s} {'numba us':>9s} "
          f"{'numpy us':>9s} {'numpy/numba':>11s}")
    for name, batch in CHANGEPOINT_BATCH.items():
        cold, warm, tn, tr, backend = measure(name, batch)
        note = "" if backend == "numba" else f"  (ran on {backend})"
        print(f"{name:40s} {batch:5d} {cold:7.2f} {warm:7.2f} {tn:9.1f} {tr:9.1f} {tr / tn:11.1f}{note}",
              flush=True)


if __name__ == "__main__":
    main()
