"""Adam with a decaying step size, Stan-style stopping, and NaN recovery.

Stopping follows Stan's ADVI: every ``eval_elbo`` iterations the ELBO is
estimated with fresh draws, and the run stops once the mean or the median
of the recent relative ELBO changes falls below ``tol_rel_obj``.  A step
whose ELBO or gradient is not finite is rejected, the step size is halved,
and after ``max_failures`` consecutive rejections the run ends with an
:class:`InferenceError` naming the likely cause.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class InferenceError(Exception):
    """Numerical trouble that ended a run; the message says what and where."""


@dataclass
class OptimiserSettings:
    iter: int = 10000
    lr: float = 0.1
    decay: float = 1000.0          # step size lr / sqrt(1 + t / decay)
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    tol_rel_obj: float = 0.01
    eval_elbo: int = 100
    elbo_samples: int = 100
    max_failures: int = 20
    stop_early: bool = True


@dataclass
class OptimiserTrace:
    elbo: list = field(default_factory=list)          # per-iteration estimate from the gradient draws
    elbo_eval: list = field(default_factory=list)     # (iteration, ELBO with elbo_samples draws)
    rejected: int = 0
    converged: bool = False
    iterations: int = 0
    grad_evals: int = 0


def relative_change(new: float, old: float) -> float:
    return abs((new - old) / new) if new != 0 else abs(new - old)


def adam(phi0, estimator, elbo_estimate, rng, settings: OptimiserSettings, callback=None,
         describe_failure=None):
    phi = np.array(phi0, dtype=float)
    m = np.zeros_like(phi)
    v = np.zeros_like(phi)
    trace = OptimiserTrace()
    lr_scale = 1.0
    failures = 0
    window = max(2, int(0.1 * settings.iter / settings.eval_elbo))
    changes: list = []
    last_elbo = None
    t = 0
    for it in range(1, settings.iter + 1):
        elbo, grad, evals = estimator(phi, rng)
        trace.grad_evals += evals
        if not (np.isfinite(elbo) and np.all(np.isfinite(grad))):
            failures += 1
            trace.rejected += 1
            lr_scale *= 0.5
            if failures >= settings.max_failures:
                cause = describe_failure(phi) if describe_failure else ""
                raise InferenceError(
                    f"{failures} consecutive steps gave a non-finite ELBO or gradient (at iteration {it}); "
                    f"the step size was halved each time without recovery. {cause}".strip())
            continue
        failures = 0
        t += 1
        m = settings.beta1 * m + (1 - settings.beta1) * grad
        v = settings.beta2 * v + (1 - settings.beta2) * grad * grad
        mhat = m / (1 - settings.beta1 ** t)
        vhat = v / (1 - settings.beta2 ** t)
        lr = settings.lr * lr_scale / np.sqrt(1.0 + t / settings.decay)
        phi = phi + lr * mhat / (np.sqrt(vhat) + settings.eps)     # ascent on the ELBO
        trace.elbo.append(float(elbo))
        trace.iterations = it
        if callback is not None:
            callback(it, float(elbo), phi)
        if it % settings.eval_elbo == 0:
            current = elbo_estimate(phi, rng)
            trace.elbo_eval.append((it, current))
            if last_elbo is not None and np.isfinite(current):
                changes.append(relative_change(current, last_elbo))
                recent = changes[-window:]
                if settings.stop_early and (np.mean(recent) < settings.tol_rel_obj
                                            or np.median(recent) < settings.tol_rel_obj):
                    trace.converged = True
                    break
            last_elbo = current
    return phi, trace
