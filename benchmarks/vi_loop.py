"""Whole VI runs: pplc's compiled loop against its Python loop and NumPyro's SVI.

    python benchmarks/vi_loop.py                      # the four posteriors below
    python benchmarks/vi_loop.py --models arK-arK --iter 10000 --cold

Each run: 10,000 Adam steps x 1 draw, mean-field Gaussian guide, every step
taken (pplc: ``infer(iter=10000, samples=1, tol_rel_obj=0)``).  Columns:

* numpyro run / compile: SVI(AutoNormal, Trace_ELBO(1)), pplc's step-size
  schedule, a jitted lax.scan of svi.update (benchmarks/run.py's numpyro_svi);
  compile timed apart.
* pplc compiled / python: the whole ``bm.infer`` in this process, after a
  warm-up run (so compile excluded): initial point, the steps, one ELBO
  evaluation, 100 final draws and PSIS.  'ELBO/100': the compiled loop with
  the default ELBO evaluation every 100 steps (100 draws each), as a user's run
  does.
* pplc warm: a fresh process doing compile_file + bind + infer on a warm
  cache (a first process filled it), imports excluded: compile included;
  then the three parts (compile_file: parsing, the IR, its analyses and the AD
  program; bind: the native module from the cache; infer: the whole VI run).
  Both processes get PYTHONHASHSEED=0 (the generated module's text must not
  depend on set order for the cache to be hit; fixed on the native-perf branch).
  '--cold': the same with empty cache directories (Numba's included).
* ELBO: of each fitted guide under pplc's log density, the same 1,000 draws.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import ppl                                                        # noqa: E402
from benchmarks.peers import available, load_data, posterior_files  # noqa: E402
from benchmarks.run import _guide_of, elbo_under, fmt, numpyro_svi, ratio, table  # noqa: E402

MODELS = ["earnings-earn_height", "arK-arK", "kidiq-kidscore_momiq", "eight_schools-eight_schools_noncentered"]


def options(iters, eval_elbo=None):
    return dict(iter=iters, samples=1, tol_rel_obj=0.0, eval_elbo=eval_elbo or iters, draws=100, seed=0)


def timed_infer(bm, **kw):
    t0 = time.perf_counter()
    fit = bm.infer(**kw)
    return time.perf_counter() - t0, fit


def child(name, iters):
    """In a fresh process: compile_file, bind, infer (imports excluded, Numba's included);
    prints the seconds of each."""
    warnings.simplefilter("ignore")
    import ppl.backends.numba                                     # noqa: F401  (the import is not timed)
    path, data_path = posterior_files(name)
    t0 = time.perf_counter()
    model = ppl.compile_file(path)
    t1 = time.perf_counter()
    bm = model.bind(data_path, backend="numba")
    t2 = time.perf_counter()
    fit = bm.infer(**options(iters))
    t3 = time.perf_counter()
    print(json.dumps({"compile_file": t1 - t0, "bind": t2 - t1, "infer": t3 - t2, "loop": fit.settings["loop"]}))


def fresh_process(name, iters, env) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", name, "--iter", str(iters)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def process_times(name, iters, cold: bool):
    """(cold figures or None, warm figures): fresh processes on new cache directories."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONHASHSEED="0", PPLC_CACHE_DIR=os.path.join(tmp, "pplc"))
        if cold:
            env.update(NUMBA_CACHE_DIR=os.path.join(tmp, "numba"), XDG_CACHE_HOME=os.path.join(tmp, "xdg"))
        first = fresh_process(name, iters, env)
        return (first if cold else None), fresh_process(name, iters, env)


def total(figures) -> float | None:
    return None if figures is None else figures["compile_file"] + figures["bind"] + figures["infer"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--iter", type=int, default=10000)
    ap.add_argument("--cold", action="store_true", help="also time a first process on empty caches")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child, args.iter)
    warnings.simplefilter("ignore")
    peers = available()
    if not peers["numpyro"]:
        print("peer numpyro: not installed, NumPyro columns skipped (pip install '.[bench]')")
    print(f"== whole VI runs: {args.iter} steps x 1 draw, mean-field; cpu count {os.cpu_count()}")
    rows = []
    for name in [m for m in args.models.split(",") if m]:
        path, _ = posterior_files(name)
        data = load_data(name)
        bm = ppl.compile_file(path).bind(data, backend="numba")
        bm_ref = ppl.compile_file(path).bind(data, backend="numpy")
        nres = numpyro_svi(name, data, bm_ref, args.iter) if peers["numpyro"] else None
        bm.infer(**options(100))                                      # compile the loop
        t_c, fit_c = timed_infer(bm, **options(args.iter))
        t_c100, _ = timed_infer(bm, **options(args.iter, 100))
        t_p, _ = timed_infer(bm, compiled_loop=False, **options(args.iter))
        assert fit_c.settings["loop"] == "compiled", name
        cold, warm = process_times(name, args.iter, args.cold)
        n_run = nres["run_s"] if nres else None
        n_incl = nres["run_s"] + nres["compile_s"] if nres else None
        row = [name, bm.param_unc_num(),
               fmt(n_run), fmt(nres["compile_s"] if nres else None),
               fmt(t_c), fmt(t_c100), fmt(t_p), ratio(t_c, n_run), ratio(t_p, t_c),
               fmt(n_incl), fmt(total(warm)), ratio(total(warm), n_incl),
               "/".join(fmt(warm[k], 2) for k in ("compile_file", "bind", "infer"))]
        if args.cold:
            row.append(f"{fmt(total(cold))} ({'/'.join(fmt(cold[k], 2) for k in ('compile_file', 'bind', 'infer'))})")
        row += [fmt(elbo_under(bm_ref, *_guide_of(fit_c)), 5), fmt(nres["elbo"], 5) if nres else "-"]
        rows.append(row)
        print("  done", name, flush=True)
    headers = ["model", "d", "numpyro run s", "numpyro compile s", "pplc compiled s", "ELBO/100 s",
               "python loop s", "compiled/numpyro", "python/compiled", "numpyro incl. s", "pplc warm s",
               "warm/numpyro incl.", "warm: parse/bind/infer s"]
    if args.cold:
        headers.append("pplc cold s (parse/bind/infer)")
    headers += ["pplc ELBO", "numpyro ELBO"]
    table(headers, rows)
    print(__doc__.split("Columns:")[1].strip())


if __name__ == "__main__":
    main()
