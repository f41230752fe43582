"""The variational inference driver: initialise, optimise, draw, diagnose."""
from __future__ import annotations

import warnings
from dataclasses import asdict

import numpy as np

from .boundary import build_surfaces
from .estimators import ESTIMATORS
from .fit import Fit
from .guides import GUIDES
from .optimize import InferenceError, OptimiserSettings, adam

ESTIMATOR_CHOICES = ("auto", "reparam", "score", "boundary")


class VIWarning(UserWarning):
    pass


def initial_point(bm, rng, radius=2.0, tries=100):
    """Stan's initialisation: uniform(-2, 2) on the unconstrained scale, retried while
    the density is not finite; then an error naming the first failing statement."""
    d = bm.param_unc_num()
    last = None
    for _ in range(tries):
        theta = rng.uniform(-radius, radius, size=d)
        lp, grad = bm.log_density_gradient(theta)
        if np.isfinite(lp) and np.all(np.isfinite(grad)):
            return theta
        last = theta
    raise InferenceError("no initial point with a finite log density and gradient after "
                         f"{tries} tries of uniform(-{radius}, {radius}) on the unconstrained scale"
                         + _failure_detail(bm, last))


def _failure_detail(bm, theta) -> str:
    if theta is None:
        return ""
    res = bm._impl.evaluate(theta[None])
    if res.messages:
        msg, span = next(iter(res.messages.values()))
        where = f"{span.path}:{span.line}:{span.col}: " if span is not None and span.line else ""
        return f"; the first failure: {where}{msg}"
    names = bm.param_names()
    values = bm.param_constrain(theta)
    shown = ", ".join(f"{n} = {v:.4g}" for n, v in list(zip(names, values))[:6])
    return f"; the density is {res.lp[0]} at {shown}"


def infer(bm, *, estimator="auto", guide="meanfield", iter=10000, samples=16, seed=0,
          draws=1000, lr=0.1, tol_rel_obj=0.01, eval_elbo=100, elbo_samples=100,
          surfaces_per_step=0, boundary_samples=1, callback=None, init=None,
          psis_resample=False) -> Fit:
    """Fit a Gaussian guide by stochastic gradient ascent on the ELBO.

    ``surfaces_per_step``: the boundary estimator visits this many guard
    surfaces per step, drawn uniformly without replacement and scaled by
    (number of surfaces / visited): unbiased, cheaper on models with many guard
    instances (0 visits all of them).  ``psis_resample``: resample the output draws
    by Pareto-smoothed importance weights (see :meth:`Fit.from_guide`)."""
    if estimator not in ESTIMATOR_CHOICES:
        raise ValueError(f"estimator must be one of {ESTIMATOR_CHOICES}, not {estimator!r}")
    if guide not in GUIDES:
        raise ValueError(f"guide must be one of {tuple(GUIDES)}, not {guide!r}")
    d = bm.param_unc_num()
    if d == 0:
        raise InferenceError("the model has no continuous parameters: there is nothing to infer")
    rng = np.random.default_rng(seed)
    guide_obj = GUIDES[guide](d)
    active_guards = [g for g in bm.guards if not g.measure_zero]
    if estimator == "auto":
        estimator = "boundary" if active_guards else "reparam"
    if estimator == "reparam" and active_guards:
        g = active_guards[0]
        warnings.warn(f"the 'reparam' estimator is biased for this model: its density jumps at guard "
                      f"g{g.id} (line {g.line}: {g.text}); use estimator='boundary'", VIWarning,
                      stacklevel=2)
    theta0 = initial_point(bm, rng) if init is None else np.asarray(init, dtype=float)
    phi = guide_obj.init(theta0)
    if estimator == "boundary":
        surfaces = build_surfaces(bm)
        general = [s for s in surfaces if s.kind == "general"]
        if general:
            s = general[0]
            warnings.warn(f"guard g{s.site} (line {s.line}) is not affine or monotone: its boundary term "
                          "uses a grid search for crossings along one coordinate (|eps| <= 8) refined by "
                          "bisection, which misses crossings closer together than the grid spacing (0.1)", VIWarning,
                          stacklevel=2)
        est = ESTIMATORS["boundary"](bm, guide_obj, samples, surfaces, surfaces_per_step, boundary_samples)
    else:
        est = ESTIMATORS[estimator](bm, guide_obj, samples)
    settings = OptimiserSettings(iter=iter, lr=lr, tol_rel_obj=tol_rel_obj, eval_elbo=eval_elbo,
                                 elbo_samples=elbo_samples)

    def elbo_estimate(phi, rng):
        eps = rng.standard_normal((elbo_samples, d))
        lp = bm.log_density(guide_obj.transform(phi, eps))
        return float(np.mean(lp)) + guide_obj.entropy(phi)

    def describe(phi):
        eps = rng.standard_normal((8, d))
        theta = guide_obj.transform(phi, eps)
        lp = bm.log_density(theta)
        bad = np.flatnonzero(~np.isfinite(lp))
        return "Likely cause" + _failure_detail(bm, theta[bad[0]] if bad.size else theta[0])[1:]

    phi, trace = adam(phi, est, elbo_estimate, rng, settings, callback, describe)
    fit = Fit.from_guide(bm, guide_obj, phi, trace, rng, draws, seed, psis_resample)
    fit.settings = {"estimator": estimator, "guide": guide, "iter": iter, "samples": samples, "seed": seed,
                    "draws": draws, "lr": lr, "tol_rel_obj": tol_rel_obj, "eval_elbo": eval_elbo,
                    "elbo_samples": elbo_samples, "psis_resample": psis_resample, "optimiser": asdict(settings)}
    k = fit.diagnostics["pareto_k"]
    if np.isfinite(k) and k > 0.7:
        fit.diagnostics["warnings"].append(
            f"Pareto k-hat = {k:.2f} > 0.7: the importance ratios p/q have a heavy tail, so the "
            "variational approximation is unreliable (try guide='fullrank' or more iterations)")
        warnings.warn(fit.diagnostics["warnings"][-1], VIWarning, stacklevel=2)
    return fit
