"""pplc against its peers, figures side by side from one run.

    python benchmarks/run.py --section all                       # everything (Stan builds: ~2 min a model)
    python benchmarks/run.py --section gradients --backend numba numpy
    python benchmarks/run.py --section compile
    python benchmarks/run.py --section vi2018 --pplc-budget 900
    python benchmarks/run.py --section vi --models kidiq-kidscore_momiq,sblri-blr
    python benchmarks/run.py --section check                     # log densities only: pplc vs NumPyro vs Stan

Sections
  check      pplc's log density (unconstrained, Jacobian on) against NumPyro's
             potential and Stan's log_prob at random points; prints the residual
             after the known constant offset (NumPyro's half-distributions).
  gradients  µs per gradient: pplc ``log_density_gradient`` on a (64, d) batch
             per call; JAX ``jit(vmap(grad(potential)))`` on the same batch
             (compile excluded, block_until_ready); Stan's ``log_prob_grad``
             one point at a time in a C++ loop with the model built once (and,
             for reference, one call of httpstan's module, which rebuilds the
             model from the data dict each time); ratios pplc / peer.
  compile    Stan cold build (httpstan: stanc + g++), the timing driver's build,
             JAX's compile of the batched gradient, pplc compile-to-first-gradient
             in a fresh process (cold: empty cache directories; warm: a second
             process on the same ones).
  vi2018     the boundary estimator on temperature, textmsg, influenza: JAX
             (benchmarks/peers/jax_boundary.py, one jitted lax.scan) against pplc
             ``infer(estimator="boundary")``; 10,000 Adam steps x 16 draws, same
             initial point; final ELBO of each fitted guide under pplc's density
             (1,000 draws).
  vi         NumPyro SVI (AutoNormal, Trace_ELBO with 1 particle, 10,000 steps, a
             jitted lax.scan; compile excluded and included) against pplc
             ``infer(iter=10000, samples=1)`` on the posteriordb models.

pplc runs with every backend named by --backend that ``Model.bind(backend=...)``
accepts ("numba" is skipped, with a line saying so, until it exists).  A pplc
run projected to take longer than --pplc-budget seconds runs fewer iterations
and its time is extrapolated (marked ~).  Peers that are not installed are
skipped with a line saying so (``pip install '.[bench]'``).
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

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

import ppl                                                       # noqa: E402
from benchmarks.peers import ORDER, available, load_data, posterior_files   # noqa: E402

VI2018 = ["temperature", "textmsg", "influenza"]
BATCH = 64


# --- small helpers ------------------------------------------------------------------------------

def table(headers, rows):
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    print("\n".join(lines))
    print()


def fmt(x, digits=3):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def ratio(a, b):
    if a is None or b is None or not b:
        return "-"
    return f"{a / b:.3g}"


def per_call(fn, min_time=1.0, min_calls=3):
    """Median seconds per call of fn() over at least min_time seconds (after one warm call)."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 1000:
            break
    return float(np.median(times))


def bind(name_or_path, data, backend):
    model = ppl.compile_file(name_or_path)
    return model.bind(data, backend=backend)


def usable_backends(requested):
    """Backends of pplc that Model.bind accepts now (detected by trying)."""
    out = []
    probe = ppl.compile("parameters { real x; } model { x ~ normal(0, 1); }")
    for b in requested:
        try:
            probe.bind({}, backend=b)
            out.append(b)
        except (TypeError, ValueError, ImportError, NotImplementedError) as e:
            print(f"pplc backend {b!r} skipped: {type(e).__name__}: {e}")
    return out


def peers_banner(peers):
    for p, ok in peers.items():
        if not ok:
            print(f"peer {p}: not installed, skipped (pip install '.[bench]')")


def points(d, seed=0, n=BATCH):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, size=(n, d))


# --- check --------------------------------------------------------------------------------------

def section_check(args, peers):
    print("== log density check: pplc vs NumPyro potential (negated) and Stan log_prob, "
          "unconstrained scale, Jacobian on, 16 points uniform(-2, 2)")
    rows = []
    for name in args.models:
        path, _ = posterior_files(name)
        data = load_data(name)
        bm = bind(path, data, "numpy")
        th = points(bm.param_unc_num(), seed=1, n=16)
        lp, g = bm.log_density_gradient(th)
        scale = np.maximum(1.0, np.abs(lp))
        row = [name, bm.param_unc_num()]
        if peers["numpyro"]:
            import jax
            from benchmarks.peers.numpyro_models import flat_potential
            pot, pm = flat_potential(name, data, bm.param_unc_names())
            vg = jax.jit(jax.vmap(jax.value_and_grad(pot)))
            u, gu = vg(jax.numpy.asarray(th))
            diff = lp - (-np.asarray(u))
            res = np.max(np.abs(diff - pm.offset) / scale)
            gres = np.max(np.abs(g + np.asarray(gu)) / np.maximum(1.0, np.abs(g)))
            row += [f"{pm.offset:+.4f}", f"{np.mean(diff):+.4f}", f"{res:.1e}", f"{gres:.1e}"]
        else:
            row += ["-"] * 4
        if peers["stan"] and not args.no_stan:
            from benchmarks.peers import stan_peer
            try:
                stan_peer.build(name, cold=False)
                slp, sg, _ = stan_peer.gradients(name, th, 0.0)
                row += [f"{np.max(np.abs(slp - lp) / scale):.1e}",
                        f"{np.max(np.abs(sg - g) / np.maximum(1.0, np.abs(g))):.1e}"]
            except Exception as e:      # keep the table going
                row += [f"error: {e}"[:40], "-"]
        else:
            row += ["-", "-"]
        rows.append(row)
    table(["model", "d", "numpyro offset (expected)", "mean pplc-numpyro", "lp residual", "grad residual",
           "stan lp residual", "stan grad residual"], rows)
    print("offset: NumPyro's HalfCauchy/HalfNormal are 2x Stan's density on a <lower=0> parameter "
          "(-log 2 each); residuals are relative (|a-b| / max(1, |a|)).  Stan: log_prob_grad<propto=false, "
          "jacobian=true>, constants kept, so no offset.")
    print()


# --- gradients ----------------------------------------------------------------------------------

def section_gradients(args, peers, backends):
    print(f"== gradients: µs per gradient; pplc and JAX on a ({BATCH}, d) batch per call, "
          "Stan one point per call in a C++ loop (model built once)")
    rows = []
    results = {}
    for name in args.models:
        path, _ = posterior_files(name)
        data = load_data(name)
        bm0 = bind(path, data, "numpy")
        d = bm0.param_unc_num()
        th = points(d)
        r = {"d": d}
        for b in backends:
            bm = bm0 if b == "numpy" else bind(path, data, b)
            r[b] = 1e6 * per_call(lambda: bm.log_density_gradient(th), args.min_time) / BATCH
        if peers["numpyro"]:
            import jax
            from benchmarks.peers.numpyro_models import flat_potential
            pot, _ = flat_potential(name, data, bm0.param_unc_names())
            f = jax.jit(jax.vmap(jax.grad(pot)))
            x = jax.numpy.asarray(th)
            t0 = time.perf_counter()
            f(x).block_until_ready()
            r["jax_compile"] = time.perf_counter() - t0
            r["jax"] = 1e6 * per_call(lambda: f(x).block_until_ready(), args.min_time) / BATCH
        if peers["stan"] and not args.no_stan:
            from benchmarks.peers import stan_peer
            try:
                r["stan_build"] = stan_peer.build(name, cold=False) or None
                r["stan_driver_build"] = stan_peer.build_driver(name) or None
                _, _, r["stan"] = stan_peer.gradients(name, th, args.min_time)
                r["httpstan_call"] = stan_peer.httpstan_call_us(name, th[0])
            except Exception as e:
                print(f"  stan on {name}: {type(e).__name__}: {str(e)[:300]}")
        results[name] = r
        row = [name, d] + [fmt(r.get(b)) for b in backends] + [fmt(r.get("jax")), fmt(r.get("stan")),
                                                                fmt(r.get("httpstan_call"))]
        for b in backends:
            row += [ratio(r.get(b), r.get("jax")), ratio(r.get(b), r.get("stan"))]
        rows.append(row)
    headers = ["model", "d"] + [f"pplc-{b}" for b in backends] + ["jax", "stan", "httpstan call"]
    for b in backends:
        headers += [f"{b}/jax", f"{b}/stan"]
    table(headers, rows)
    print("µs per gradient (lower is better); ratios > 1: pplc slower.  'httpstan call': one "
          "log_prob_grad call of pystan's module, which converts the data and builds the model each call.")
    print()
    return results


# --- compile ------------------------------------------------------------------------------------

_COMPILE_PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np, ppl
t1 = time.perf_counter()
m = ppl.compile_file(sys.argv[1])
t2 = time.perf_counter()
bm = m.bind(sys.argv[2], backend=sys.argv[3])
th = np.random.default_rng(0).uniform(-2, 2, size=(64, bm.param_unc_num()))
bm.log_density_gradient(th)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "compile": t2 - t1, "bind_first_grad": t3 - t2, "total": t3 - t1}))
"""


def pplc_compile_times(path, data_path, backend):
    """(cold, warm) seconds from compile_file to the first batched gradient, in fresh processes."""
    out = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, XDG_CACHE_HOME=cache, NUMBA_CACHE_DIR=os.path.join(cache, "numba"),
                   PPLC_CACHE_DIR=os.path.join(cache, "pplc"), PYTHONPATH=ROOT)
        for _ in range(2):
            res = subprocess.run([sys.executable, "-c", _COMPILE_PROBE, path, data_path, backend],
                                 capture_output=True, text=True, env=env)
            if res.returncode != 0:
                raise RuntimeError(res.stderr[-500:])
            out.append(json.loads(res.stdout.strip().splitlines()[-1]))
    return out


def section_compile(args, peers, backends, grad_results=None):
    print("== compile times (seconds)")
    rows = []
    for name in args.models:
        path, data_path = posterior_files(name)
        row = [name]
        for b in backends:
            try:
                cold, warm = pplc_compile_times(path, data_path, b)
                row += [fmt(cold["total"]), fmt(warm["total"])]
            except Exception as e:
                print(f"  pplc {b} on {name}: {e}")
                row += ["-", "-"]
        jc = (grad_results or {}).get(name, {}).get("jax_compile")
        if jc is None and peers["numpyro"]:
            import jax
            from benchmarks.peers.numpyro_models import flat_potential
            data = load_data(name)
            bm = bind(path, data, "numpy")
            pot, _ = flat_potential(name, data, bm.param_unc_names())
            f = jax.jit(jax.vmap(jax.grad(pot)))
            x = jax.numpy.asarray(points(bm.param_unc_num()))
            t0 = time.perf_counter()
            f(x).block_until_ready()
            jc = time.perf_counter() - t0
        row.append(fmt(jc))
        if peers["stan"] and not args.no_stan:
            from benchmarks.peers import stan_peer
            try:
                tb = stan_peer.build(name, cold=True)
                stan_peer.clear_driver_cache_for(name)
                td = stan_peer.build_driver(name)
                row += [fmt(tb), fmt(td)]
            except Exception as e:
                print(f"  stan on {name}: {type(e).__name__}: {str(e)[:300]}")
                row += ["-", "-"]
        else:
            row += ["-", "-"]
        rows.append(row)
    headers = ["model"]
    for b in backends:
        headers += [f"pplc-{b} cold", f"pplc-{b} warm"]
    headers += ["jax jit (vmap grad)", "stan build (cold)", "stan driver build"]
    table(headers, rows)
    print("pplc: compile_file + bind + first batched gradient in a fresh process (import excluded); cold "
          "with empty XDG_CACHE_HOME / NUMBA_CACHE_DIR / PPLC_CACHE_DIR, warm a second process on the same "
          "directories.  Stan: httpstan's stanc + g++ -O3 of the model module (what stan.build pays for a "
          "new program), then the C++ timing driver (compiled again from the generated C++).")
    print()


# --- pplc VI runs with a time budget --------------------------------------------------------------

def pplc_vi_time(bm, iters, budget, probe=20, **options):
    """(seconds for `iters` iterations, iterations actually run, fit or None)."""
    warnings.simplefilter("ignore")
    kw = dict(tol_rel_obj=0.0, draws=100, seed=0, **options)
    bm.infer(iter=2, eval_elbo=2, **kw)         # compiles the VI loop: not part of the timing
    t0 = time.perf_counter()
    bm.infer(iter=probe, eval_elbo=probe, **kw)
    per_iter = (time.perf_counter() - t0) / probe
    n = iters if per_iter * iters <= budget else max(probe, int(budget / per_iter))
    if n == probe and n < iters:
        return per_iter * iters, probe, None
    t0 = time.perf_counter()
    fit = bm.infer(iter=n, eval_elbo=n, **kw)
    elapsed = time.perf_counter() - t0
    return elapsed * iters / n, n, (fit if n == iters else None)


def elbo_under(bm, mu, sigma, draws=1000, seed=7):
    eps = np.random.default_rng(seed).standard_normal((draws, mu.size))
    lp = bm.log_density(mu + sigma * eps)
    lp = lp[np.isfinite(lp)] if np.any(np.isfinite(lp)) else lp
    return float(np.mean(lp) + np.sum(np.log(sigma)) + 0.5 * mu.size * (1 + np.log(2 * np.pi)))


def _guide_of(fit):
    """(mu, sigma) of a mean-field fit (Fit.guide holds describe(phi))."""
    g = getattr(fit, "guide", None) or {}
    if "mu" not in g or "sigma" not in g:
        return None
    return np.asarray(g["mu"], dtype=float), np.asarray(g["sigma"], dtype=float)


def section_vi2018(args, peers, backends):
    print(f"== vi2018: boundary estimator, {args.iter} Adam steps x 16 draws, mean-field Gaussian guide")
    if not peers["jax"]:
        print("peer jax: not installed, JAX columns skipped")
    from ppl.infer.vi import initial_point
    rows = []
    for name in VI2018:
        d_ = os.path.join(ROOT, "examples", name)
        data = json.load(open(os.path.join(d_, "data.json")))
        model_path = os.path.join(d_, "model.ppl")
        bm0 = bind(model_path, data, "numpy")
        mu0 = initial_point(bm0, np.random.default_rng(0))
        row = [name, bm0.param_unc_num(), len(bm0.guard_instances())]
        jres = None
        if peers["jax"]:
            from benchmarks.peers.jax_boundary import fit as jfit
            jres = jfit(name, data, mu0, iters=args.iter, samples=16)
            d = bm0.param_unc_num()
            jelbo = elbo_under(bm0, jres["phi"][:d], np.exp(jres["phi"][d:]))
            row += [fmt(jres["compile_s"]), fmt(jres["run_s"]), fmt(jelbo, 5)]
        else:
            row += ["-", "-", "-"]
        row += pplc_vi_columns(bm0, backends, lambda b: bind(model_path, data, b), args,
                               jres["run_s"] if jres else None, estimator="boundary", samples=16, init=mu0)
        rows.append(row)
        print("  done", name, flush=True)
    headers = ["model", "d", "guards", "jax compile s", "jax run s", "jax ELBO"]
    for b in backends:
        headers += [f"pplc-{b} s", f"pplc-{b} ELBO", f"{b}/jax"]
    table(headers, rows)
    print("ELBO: of each fitted guide under pplc's log density, 1,000 draws (same draws for both).  "
          "~: extrapolated from a shorter run (--pplc-budget).  Both start from the same point.")
    print()


def pplc_vi_columns(bm0, backends, bind_backend, args, peer_secs, **vi_options) -> list:
    """Per backend: VI seconds ('~' when extrapolated), the fitted guide's ELBO under bm0, ratio to the peer."""
    cols = []
    for b in backends:
        bm = bm0 if b == "numpy" else bind_backend(b)
        secs, n, fit = pplc_vi_time(bm, args.iter, args.pplc_budget, **vi_options)
        pelbo = "-"
        gs = _guide_of(fit) if fit is not None else None
        if gs is not None:
            pelbo = fmt(elbo_under(bm0, *gs), 5)
        cols += [("" if n == args.iter else "~") + fmt(secs), pelbo, ratio(secs, peer_secs)]
    return cols


def section_vi(args, peers, backends):
    print(f"== vi: {args.iter} steps, 1 draw per step, mean-field Gaussian (NumPyro AutoNormal)")
    if not peers["numpyro"]:
        print("peer numpyro: not installed, NumPyro columns skipped")
    rows = []
    for name in args.models:
        path, _ = posterior_files(name)
        data = load_data(name)
        bm0 = bind(path, data, "numpy")
        row = [name, bm0.param_unc_num()]
        nres = None
        if peers["numpyro"]:
            nres = numpyro_svi(name, data, bm0, args.iter)
            row += [fmt(nres["compile_s"]), fmt(nres["run_s"]), fmt(nres["run_s"] + nres["compile_s"]),
                    fmt(nres["svi_run_s"]), fmt(nres["elbo"], 5)]
        else:
            row += ["-"] * 5
        row += pplc_vi_columns(bm0, backends, lambda b: bind(path, data, b), args,
                               nres["run_s"] if nres else None, samples=1)
        rows.append(row)
        print("  done", name, flush=True)
    headers = ["model", "d", "numpyro compile s", "numpyro run s", "numpyro incl. s", "svi.run s", "numpyro ELBO"]
    for b in backends:
        headers += [f"pplc-{b} s", f"pplc-{b} ELBO", f"{b}/numpyro"]
    table(headers, rows)
    print("NumPyro: SVI(AutoNormal, Trace_ELBO(1)), Adam with pplc's schedule 0.1/sqrt(1+t/1000); a jitted "
          "lax.scan of svi.update (compile timed apart); 'svi.run s': svi.run(progress_bar=False), compile "
          "included.  pplc: infer(iter, samples=1, tol_rel_obj=0) so every step runs, one ELBO evaluation; "
          "time includes 100 final draws.  ELBO: each fitted guide under pplc's log density, 1,000 draws.  "
          "~: extrapolated (--pplc-budget).")
    print()


def numpyro_svi(name, data, bm, iters):
    import jax
    import jax.numpy as jnp
    import numpyro
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoNormal
    from benchmarks.peers.numpyro_models import model_and_args, unc_index

    fn, margs = model_and_args(name, data)
    guide = AutoNormal(fn)
    opt = numpyro.optim.Adam(lambda t: 0.1 / jnp.sqrt(1.0 + t / 1000.0))
    svi = SVI(fn, guide, opt, Trace_ELBO(num_particles=1))
    key = jax.random.PRNGKey(0)
    state = svi.init(key, *margs)

    def run(state):
        return jax.lax.scan(lambda s, _: svi.update(s, *margs), state, None, length=iters)

    t0 = time.perf_counter()
    compiled = jax.jit(run).lower(state).compile()
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    state2, losses = compiled(state)
    jax.block_until_ready(losses)
    t_run = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = svi.run(key, iters, *margs, progress_bar=False)
    jax.block_until_ready(res.losses)
    t_svi_run = time.perf_counter() - t0
    params = svi.get_params(state2)
    d = bm.param_unc_num()
    mu, sigma = np.zeros(d), np.ones(d)
    for site, (idx, _) in unc_index(name, data, bm.param_unc_names()).items():
        mu[idx] = np.ravel(np.asarray(params[f"{site}_auto_loc"]))
        sigma[idx] = np.ravel(np.asarray(params[f"{site}_auto_scale"]))
    return {"compile_s": t_compile, "run_s": t_run, "svi_run_s": t_svi_run, "elbo": elbo_under(bm, mu, sigma)}


# --- main ---------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--section", nargs="+", default=["all"],
                    choices=["check", "gradients", "compile", "vi2018", "vi", "all"])
    ap.add_argument("--backend", nargs="+", default=["numba", "numpy"], help="pplc backends to run")
    ap.add_argument("--models", default=",".join(ORDER), help="posteriordb posteriors (comma-separated)")
    ap.add_argument("--iter", type=int, default=10000, help="VI steps")
    ap.add_argument("--pplc-budget", type=float, default=300.0,
                    help="seconds a pplc VI run may take before it is shortened and extrapolated")
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of timed calls per gradient figure")
    ap.add_argument("--no-stan", action="store_true", help="skip Stan even if pystan is installed")
    ap.add_argument("--json", help="also write the raw figures here")
    args = ap.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    sections = ["compile", "check", "gradients", "vi2018", "vi"] if "all" in args.section else args.section

    peers = available()
    import platform
    print(f"pplc benchmarks  python {platform.python_version()}  numpy {np.__version__}  "
          f"cpu count {os.cpu_count()}")
    versions = []
    for mod in ("jax", "numpyro", "stan", "httpstan", "numba"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except Exception:
            pass
    print("peers: " + ", ".join(versions))
    peers_banner(peers)
    if peers["stan"] and not args.no_stan:
        print("Stan through pystan's httpstan (stanc + g++); gradients timed by benchmarks/peers/stan_grad.cpp")
    backends = usable_backends(args.backend)
    print(f"pplc backends: {', '.join(backends)}")
    print()
    grad = None
    for s in sections:
        if s == "check":
            section_check(args, peers)
        elif s == "gradients":
            grad = section_gradients(args, peers, backends)
        elif s == "compile":
            section_compile(args, peers, backends, grad)
        elif s == "vi2018":
            section_vi2018(args, peers, backends)
        elif s == "vi":
            section_vi(args, peers, backends)
    if args.json and grad is not None:
        with open(args.json, "w") as fh:
            json.dump(grad, fh, indent=1)


if __name__ == "__main__":
    main()
