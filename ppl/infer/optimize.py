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

from ppl.frontend.errors import PPLError


class InferenceError(PPLError):
    """Numerical trouble that ended a run; the message says what, the span (when known) where.

    A user error like any other: the CLI prints it located, with a caret, and exits 1."""

    def __init__(self, message: str, span=None, notes=()):
        super().__init__(message, span, notes=notes)

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span is not None and self.span.line > 0 else ""
        return where + self.message + "".join(f"; {n}" for n in self.notes)


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
    interrupted: bool = False      # stopped by Ctrl-C (KeyboardInterrupt): the guide so far is kept
    iterations: int = 0
    grad_evals: int = 0


def relative_change(new: float, old: float) -> float:
    return abs((new - old) / new) if new != 0 else abs(new - old)


def adam(phi0, estimator, elbo_estimate, rng, settings: OptimiserSettings, callback=None,
         describe_failure=None):
    """Maximise the ELBO.  ``describe_failure(phi)`` returns (explanation, span or None) for the
    error raised when steps keep failing.  Ctrl-C ends the run early with ``trace.interrupted``
    set and the parameters reached so far returned."""
    trace = OptimiserTrace()
    state = {"phi": np.array(phi0, dtype=float)}
    try:
        _adam_steps(state, trace, estimator, elbo_estimate, rng, settings, callback, describe_failure)
    except KeyboardInterrupt:
        trace.interrupted = True
    return state["phi"], trace


def _adam_steps(state, trace, estimator, elbo_estimate, rng, settings, callback, describe_failure):
    phi = state["phi"]
    m = np.zeros_like(phi)
    v = np.zeros_like(phi)
    lr_scale = 1.0
    failures = 0
    window = max(2, int(0.1 * settings.iter / settings.eval_elbo))
    changes: list = []
    last_elbo = None
    t = 0
    for it in range(1, settings.iter + 1):
        elbo, grad, evals = estimator(phi, rng)
        trace.grad_evals += evals
        step_ok = np.isfinite(elbo) and np.all(np.isfinite(grad))
        if step_ok:
            m_new = settings.beta1 * m + (1 - settings.beta1) * grad
            v_new = settings.beta2 * v + (1 - settings.beta2) * grad * grad
            mhat = m_new / (1 - settings.beta1 ** (t + 1))
            vhat = v_new / (1 - settings.beta2 ** (t + 1))
            lr = settings.lr * lr_scale / np.sqrt(1.0 + (t + 1) / settings.decay)
            phi_new = phi + lr * mhat / (np.sqrt(vhat) + settings.eps)     # ascent on the ELBO
            step_ok = bool(np.all(np.isfinite(phi_new)))                  # an overflowing step is rejected too
        if not step_ok:
            failures += 1
            trace.rejected += 1
            lr_scale *= 0.5
            if failures >= settings.max_failures:
                cause, span = describe_failure(phi) if describe_failure else ("", None)
                raise InferenceError(
                    f"{failures} consecutive steps gave a non-finite ELBO or gradient (at iteration {it}); "
                    "the step size was halved each time without recovery" + (f". Likely cause: {cause}"
                                                                             if cause else ""), span)
            continue
        failures = 0
        t += 1
        m, v, phi = m_new, v_new, phi_new
        state["phi"] = phi
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
