"""Gradient throughput of the native backend next to the numpy backend and Stan.

    python benchmarks/native_gradients.py [--changepoints-only]

For each posteriordb model of issue 6: cold compile (an empty PPLC_CACHE_DIR,
``compile_file(...).bind(data)`` to the first gradient), warm start (a second
process, cache hit, from the script's first line -- importing numpy and ppl
-- to the first gradient), and microseconds per gradient evaluating
a batch of 64 points per call (as the VI loop does) for numba and numpy,
measured in one run; Stan's per-gradient times are the figures measured on
this machine in a C++ loop (issue 6), for the ratio column.

Per-gradient times are CPU time of the process (the best of many short
windows, in rounds over all the models): the machine is shared, and wall time
would count the waits for a core.  A warm start computes its first gradient
through the object code stored at the compile, loaded by llvmlite without
importing Numba (backends/numba/object_loader.py); "the floor" is what such a
process pays before pplc does anything: importing numpy and llvmlite's binding,
timed in the same process; the rest is pplc's.  Python's own start (before the
first line) is printed beside it.  Warm processes get a
bytecode cache (PYTHONPYCACHEPREFIX in the benchmark's directory) as an
installed package has, even where PYTHONDONTWRITEBYTECODE is set: without it
each start compiles pplc's sixty modules from source (about 0.1 s).  Then the
same columns for two changepoint examples (no Stan column: no Stan figures
were measured for them), with the batch size per call.
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
ROUNDS = 4
# changepoint examples -> draws per call (mean_shift's T = 10,000 makes the numpy
# backend's tables large: a smaller batch keeps its memory modest)
CHANGEPOINT_BATCH = {"coal2": 64, "mean_shift": 8}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WARM = """
import time
t0 = time.perf_counter()
import sys
import warnings
import numpy as np
t1 = time.perf_counter()
import ppl
t2 = time.perf_counter()
import llvmlite.binding
t3 = time.perf_counter()
warnings.simplefilter("ignore")
bm = ppl.compile_file({model!r}).bind({data!r}, backend="numba")
bm.log_density_gradient(np.zeros(bm.param_unc_num()))
t4 = time.perf_counter()
print(t4 - t0, (t1 - t0) + (t3 - t2), bm.backend, "numba" in sys.modules)
"""


def per_call(f, windows=40, window=0.01, budget=1.0):
    """CPU seconds per call: the best of up to ``windows`` windows of about ``window``
    s each (fewer for slow calls, about ``budget`` s in all)."""
    f()
    t0 = time.process_time()
    f()
    once = max(time.process_time() - t0, 1e-6)
    reps = max(1, int(window / once))
    best = float("inf")
    for _ in range(max(2, min(windows, int(budget / (reps * once))))):
        t0 = time.process_time()
        for _ in range(reps):
            f()
        best = min(best, (time.process_time() - t0) / reps)
    return best


def warm_start(model, data) -> tuple[float, float]:
    """(seconds from the first line to the first gradient, of which the floor) in a
    fresh process with the caches filled."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(os.environ["PPLC_CACHE_DIR"], "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", WARM.format(model=model, data=data)],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        return float("nan"), float("nan")
    total, floor, _, numba_imported = out.stdout.split()[:4]
    if numba_imported == "True":
        print(f"  (the warm start of {os.path.basename(os.path.dirname(model))} imported Numba)")
    return float(total), float(floor)


def python_start() -> float:
    """Seconds from spawning an interpreter to its exit, doing nothing (the best of 5)."""
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--changepoints-only", action="store_true", help="only the changepoint examples")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    os.environ["PPLC_CACHE_DIR"] = tempfile.mkdtemp(prefix="pplc-bench-")
    # Numba started in this process too, so that the first model's cold compile
    # is that model's alone
    from ppl.backends.numba.runtime_transforms import ix
    ix(1, 2)
    if not args.changepoints_only:
        posteriordb_models()
        print()
    changepoint_models()


def bind_both(name, warm_runs):
    """(cold s, warm s, Numba's floor s, numba-bound, numpy-bound) of one example: the cold
    time from compile_file to the first gradient here, the warm one the best of
    ``warm_runs`` fresh processes."""
    d = os.path.join(ROOT, "examples", name)
    model, data = os.path.join(d, "model.ppl"), os.path.join(d, "data.json")
    t0 = time.perf_counter()
    m = ppl.compile_file(model)
    bn = m.bind(data, backend="numba")
    bn.log_density_gradient(np.zeros(bn.param_unc_num()))
    cold = time.perf_counter() - t0
    warm_start(model, data)             # writes the bytecode cache (the first model's run)
    warm, floor = min(warm_start(model, data) for _ in range(warm_runs))
    return cold, warm, floor, bn, m.bind(data, backend="numpy")


def changepoint_models():
    print(f"{'changepoint model':40s} {'batch':>5s} {'cold s':>7s} {'warm s':>7s} {'numba us':>9s} "
          f"{'numpy us':>9s} {'numpy/numba':>11s}")
    for name, batch in CHANGEPOINT_BATCH.items():
        cold, warm, _, bn, br = bind_both(name, warm_runs=1)
        theta = np.random.default_rng(0).uniform(-2, 2, size=(batch, bn.param_unc_num()))
        tn = per_call(lambda: bn.log_density_gradient(theta)) / batch * 1e6
        tr = per_call(lambda: br.log_density_gradient(theta), budget=0.3) / batch * 1e6
        note = "" if bn.backend == "numba" else f"  (ran on {bn.backend})"
        print(f"{name:40s} {batch:5d} {cold:7.2f} {warm:7.2f} {tn:9.1f} {tr:9.1f} {tr / tn:11.1f}{note}",
              flush=True)


def posteriordb_models():
    print(f"{'model':40s} {'cold s':>7s} {'warm s':>7s} {'numba us':>9s} {'numpy us':>9s} "
          f"{'Stan us':>8s} {'Stan/numba':>10s} {'numpy/numba':>11s}")
    rows = []
    for name, stan in STAN_US.items():
        cold, warm, floor, bn, br = bind_both(name, warm_runs=2)
        theta = np.random.default_rng(0).uniform(-2, 2, size=(64, bn.param_unc_num()))
        rows.append(dict(name=name, stan=stan, cold=cold, warm=warm, floor=floor, bn=bn, br=br, theta=theta,
                         tn=float("inf"), tr=float("inf")))
    # rounds over all the models, the best of each kept: a neighbour's burst on the
    # shared cores then spoils one round, not the figure
    for _ in range(ROUNDS):
        for r in rows:
            r["tn"] = min(r["tn"], per_call(lambda: r["bn"].log_density_gradient(r["theta"])) / 64 * 1e6)
            r["tr"] = min(r["tr"], per_call(lambda: r["br"].log_density_gradient(r["theta"]),
                                            budget=0.3) / 64 * 1e6)
    ratios = []
    for r in rows:
        tn, tr, stan = r["tn"], r["tr"], r["stan"]
        ratios.append(stan / tn)
        print(f"{r['name']:40s} {r['cold']:7.2f} {r['warm']:7.2f} {tn:9.2f} {tr:9.1f} {stan:8.2f} "
              f"{stan / tn:10.2f} {tr / tn:11.0f}", flush=True)
    print(f"median Stan/numba ratio: {np.median(ratios):.2f}; lowest: {min(ratios):.2f}")
    floors = [r["floor"] for r in rows]
    ours = [r["warm"] - r["floor"] for r in rows]
    print(f"warm start, median over the models: the floor {np.median(floors):.2f} s (importing numpy and "
          f"llvmlite), pplc's part {np.median(ours):.2f} s (max {max(ours):.2f} s); before the first line, "
          f"python's own start {python_start():.2f} s")


if __name__ == "__main__":
    main()
