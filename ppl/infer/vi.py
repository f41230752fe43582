"""The variational inference driver: initialise, optimise, draw, diagnose."""
from __future__ import annotations

import warnings
from dataclasses import asdict

import numpy as np

from .boundary import build_surfaces
from .diagnose import first_failure, parameter_values
from .estimators import ESTIMATORS, StratifiedReparam
from .fit import Fit
from .guides import GUIDES
from .optimize import InferenceError, OptimiserSettings, adam

ESTIMATOR_CHOICES = ("auto", "reparam", "score", "boundary")


class VIWarning(UserWarning):
    pass


def initial_point(bm, rng, radius=2.0, tries=100):
    """Stan's initialisation: uniform(-2, 2) on the unconstrained scale, retried while
    the density is not finite; then an error located at the first failing statement,
    with the parameter values of the first try."""
    d = bm.param_unc_num()
    first = None
    for _ in range(tries):
        theta = rng.uniform(-radius, radius, size=d)
        lp, grad = bm.log_density_gradient(theta)
        if np.isfinite(lp) and np.all(np.isfinite(grad)):
            return theta
        if first is None:
            first = theta
    cause, span = first_failure(bm, first)
    raise InferenceError(f"no initial point with a finite log density and gradient in {tries} tries of "
                         f"uniform({-radius:g}, {radius:g}) on the unconstrained scale: {cause}", span,
                         notes=(f"at the first try: {parameter_values(bm, first)}",))


def check_memory(d: int, batch: int):
    """Refuse runs whose draws alone would not fit in memory (instead of being killed by the OS)."""
    need = 3 * 8 * d * max(batch, 1)
    avail = available_memory()
    if avail and need > avail:
        raise InferenceError(
            f"the model has {d} unconstrained parameters: batches of {batch} draws need about "
            f"{need / 1e9:.3g} GB, more than the {avail / 1e9:.3g} GB of memory available "
            "(use fewer draws or samples, or a smaller model)")


def available_memory() -> int:
    """Bytes of memory available now (Linux /proc/meminfo), or 0 when unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def infer(bm, *, estimator="auto", guide="meanfield", iter=10000, samples=16, seed=0,
          draws=1000, lr=0.1, tol_rel_obj=0.01, eval_elbo=100, elbo_samples=100,
          surfaces_per_step=0, boundary_samples=1, callback=None, init=None,
          psis_resample=False, components=3, compiled_loop=True) -> Fit:
    """Fit a Gaussian guide by stochastic gradient ascent on the ELBO.

    ``surfaces_per_step``: the boundary estimator visits this many guard
    surfaces per step, drawn uniformly without replacement and scaled by
    (number of surfaces / visited): unbiased, cheaper on models with many guard
    instances (0 visits all of them).  ``psis_resample``: resample the output draws
    by Pareto-smoothed importance weights (see :meth:`Fit.from_guide`).
    ``guide="mixture"``: ``components`` mean-field Gaussians, each started from its
    own random initial point, fitted with the reparameterisation estimator (best
    with ``psis_resample``: the mixture covers what one Gaussian misses, the
    weights correct the mode-seeking of KL(q || p)).  ``compiled_loop``: on the numba
    backend with the reparam estimator and a meanfield or fullrank guide, run the
    iterations in compiled code (the same steps up to rounding; ppl.infer.compiled_loop);
    False keeps the Python loop."""
    if estimator not in ESTIMATOR_CHOICES:
        raise ValueError(f"estimator must be one of {ESTIMATOR_CHOICES}, not {estimator!r}")
    if guide not in GUIDES:
        raise ValueError(f"guide must be one of {tuple(GUIDES)}, not {guide!r}")
    d = bm.param_unc_num()
    if d == 0:
        raise InferenceError("the model has no continuous parameters: there is nothing to infer")
    check_memory(d, max(samples, elbo_samples, draws))
    rng = np.random.default_rng(seed)
    guide_obj = GUIDES[guide](d, components) if guide == "mixture" else GUIDES[guide](d)
    active_guards = [g for g in bm.guards if not g.measure_zero]
    if estimator == "auto":
        estimator = "boundary" if active_guards and guide != "mixture" else "reparam"
    if guide == "mixture" and (estimator != "reparam" or active_guards):
        why = (f"this model's density jumps at guard g{active_guards[0].id} (line {active_guards[0].line}), "
               "which needs the boundary estimator") if active_guards else f"not with estimator='{estimator}'"
        raise InferenceError(f"guide='mixture' is fitted with the reparameterisation estimator only: {why}; "
                             "use guide='meanfield' or 'fullrank'")
    if estimator == "reparam" and active_guards:
        g = active_guards[0]
        warnings.warn(f"the 'reparam' estimator is biased for this model: its density jumps at guard "
                      f"g{g.id} (line {g.line}: {g.text}); use estimator='boundary'", VIWarning,
                      stacklevel=2)
    theta0 = initial_point(bm, rng) if init is None else np.asarray(init, dtype=float)
    if guide == "mixture":        # distinct starts: identical components would stay identical
        theta0 = np.stack([theta0] + [initial_point(bm, rng) for _ in range(components - 1)])
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
    elif guide == "mixture":
        est = StratifiedReparam(bm, guide_obj, samples)
    else:
        est = ESTIMATORS[estimator](bm, guide_obj, samples)
    settings = OptimiserSettings(iter=iter, lr=lr, tol_rel_obj=tol_rel_obj, eval_elbo=eval_elbo,
                                 elbo_samples=elbo_samples)

    def elbo_estimate(phi, rng):
        theta = guide_obj.draw(phi, rng, elbo_samples)
        return float(np.mean(bm.log_density(theta))) + guide_obj.entropy_estimate(phi, theta)

    def describe(phi):
        """(cause, span) when the optimiser cannot take a finite step from phi."""
        mean = np.asarray(guide_obj.mean(phi), dtype=float)
        if not np.all(np.isfinite(phi)) or np.max(np.abs(mean), initial=0.0) > 1e6:
            return (f"the optimisation diverged (the guide's mean reached {np.max(np.abs(mean)):.3g} on the "
                    f"unconstrained scale): the step size lr = {lr:g} is too large, or the posterior is "
                    "improper; try a smaller --lr", None)
        theta = guide_obj.draw(phi, rng, 8)
        lp = bm.log_density(theta)
        bad = np.flatnonzero(~np.isfinite(lp))
        point = theta[bad[0]] if bad.size else theta[0]
        cause, span = first_failure(bm, point)
        return f"{cause} (at {parameter_values(bm, point)})", span

    loop = None
    if compiled_loop:
        from .compiled_loop import compiled_loop_for
        loop = compiled_loop_for(bm, guide_obj, est)
    phi, trace = adam(phi, est, elbo_estimate, rng, settings, callback, describe, loop=loop)
    if trace.interrupted:
        warnings.warn(f"interrupted after {trace.iterations} of {iter} iterations: the fit is partial "
                      "(draws from the guide reached so far)", VIWarning, stacklevel=2)
    fit = Fit.from_guide(bm, guide_obj, phi, trace, rng, draws, seed, psis_resample)
    fit.diagnostics["partial"] = bool(trace.interrupted)
    fit.settings = {"backend": bm.backend, "estimator": estimator, "guide": guide, "iter": iter, "samples": samples, "seed": seed,
                    "draws": draws, "lr": lr, "tol_rel_obj": tol_rel_obj, "eval_elbo": eval_elbo,
                    "elbo_samples": elbo_samples, "psis_resample": psis_resample, "optimiser": asdict(settings),
                    "loop": "compiled" if loop is not None else "python",
                    **({"components": components} if guide == "mixture" else {})}
    overflow = int(np.sum(np.isposinf(fit.log_p)))
    if overflow and not trace.interrupted:
        i = int(np.flatnonzero(np.isposinf(fit.log_p))[0])
        cause, span = first_failure(bm, fit.theta[i])
        raise InferenceError(f"the log density overflows to +inf at {overflow} of {draws} draws from the "
                             f"fitted guide, so the results would be meaningless: {cause}", span,
                             notes=(f"at {parameter_values(bm, fit.theta[i])}",
                                    "an improper or overflowing density; check the model's terms"))
    k = fit.diagnostics["pareto_k"]
    if np.isfinite(k) and k > 0.7:
        fit.diagnostics["warnings"].append(
            f"Pareto k-hat = {k:.2f} > 0.7: the importance ratios p/q have a heavy tail, so the "
            "variational approximation is unreliable (try guide='fullrank' or more iterations)")
        warnings.warn(fit.diagnostics["warnings"][-1], VIWarning, stacklevel=2)
    return fit
