"""The experiment of Lee, Yu & Yang (NeurIPS 2018), Table/Figure: gradient
variance and final ELBO of the score, reparam and boundary estimators on
temperature, textmsg and influenza (mean-field Gaussian guide, Adam).

For each model and estimator it prints
  * the average component variance of the gradient estimate and the variance of
    its norm, both over --var-reps independent estimates at one guide (the fit's
    initial guide, identical for all estimators);
  * the final ELBO (estimated with 1,000 draws) after --iter iterations of
    --samples draws each;
  * the wall time of the optimisation.

Run:  python benchmarks/vi_2018.py [--iter 10000] [--samples 16] [--var-reps 200]
      [--models temperature,textmsg,influenza] [--seed 0]
(The paper's setting is --iter 10000 --samples 16; on the numpy reference
backend that takes hours for the boundary estimator, so use fewer iterations
there and report them.)
"""
import argparse
import os
import time
import warnings

import numpy as np

import ppl
from ppl.infer.boundary import build_surfaces
from ppl.infer.estimators import ESTIMATORS
from ppl.infer.guides import MeanField
from ppl.infer.vi import infer

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")


def estimator(name, bm, guide, samples, surfaces, surfaces_per_step):
    if name == "boundary":
        return ESTIMATORS[name](bm, guide, samples, surfaces, surfaces_per_step, 1)
    return ESTIMATORS[name](bm, guide, samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iter", type=int, default=10000)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--var-reps", type=int, default=200)
    ap.add_argument("--surfaces-per-step", type=int, default=0, help="0: every surface each step")
    ap.add_argument("--models", default="temperature,textmsg,influenza")
    ap.add_argument("--estimators", default="score,reparam,boundary")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"iterations {args.iter} x {args.samples} samples; variance over {args.var_reps} estimates; "
          f"backend numpy reference")
    print(f"{'model':12s} {'estimator':9s} {'avg comp var':>13s} {'var of norm':>12s} "
          f"{'final ELBO':>11s} {'time s':>8s}")
    for name in args.models.split(","):
        d = os.path.join(EXAMPLES, name)
        bm = ppl.compile_file(os.path.join(d, "model.ppl")).bind(os.path.join(d, "data.json"))
        guide = MeanField(bm.param_unc_num())
        rng0 = np.random.default_rng(args.seed)
        phi0 = guide.init(_init_mean(bm, rng0))
        surfaces = build_surfaces(bm)
        for est_name in args.estimators.split(","):
            est = estimator(est_name, bm, guide, args.samples, surfaces, args.surfaces_per_step)
            rng = np.random.default_rng(args.seed + 1)
            grads = np.array([est(phi0, rng)[1] for _ in range(args.var_reps)])
            comp_var = float(np.mean(np.var(grads, axis=0, ddof=1)))
            norm_var = float(np.var(np.linalg.norm(grads, axis=1), ddof=1))
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    fit = infer(bm, estimator=est_name, iter=args.iter, samples=args.samples,
                                seed=args.seed, tol_rel_obj=0.0, init=guide.mean(phi0), draws=1000)
                    final = float(np.mean(fit.log_p - fit.log_g))
                except Exception as e:     # report, keep the table going
                    final = float("nan")
                    print(f"  ({name}/{est_name}: {type(e).__name__}: {e})")
            elapsed = time.perf_counter() - t0
            print(f"{name:12s} {est_name:9s} {comp_var:13.4g} {norm_var:12.4g} {final:11.2f} {elapsed:8.1f}")


def _init_mean(bm, rng):
    from ppl.infer.vi import initial_point
    return initial_point(bm, rng)


if __name__ == "__main__":
    main()
