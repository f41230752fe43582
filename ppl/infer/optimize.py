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
from .normal_stream import NormalStream


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


class AdamState:
    """Adam's moments, step count and step-size scale between iterations (both the Python loop
    below and the compiled one of ppl.infer.compiled_loop advance it)."""

    def __init__(self, phi0, settings: OptimiserSettings):
        self.settings = settings
        self.phi = np.array(phi0, dtype=float)
        self.m = np.zeros_like(self.phi)
        self.v = np.zeros_like(self.phi)
        self.t = 0                 # accepted steps
        self.lr_scale = 1.0        # halved at each rejected step
        self.failures = 0          # consecutive rejected steps

    def step(self, elbo, grad) -> bool:
        """One ascent step on the ELBO; False (and the step size halved) when ``elbo``, ``grad`` or
        the new parameters are not finite, the parameters then left as they were."""
        s = self.settings
        ok = np.isfinite(elbo) and np.all(np.isfinite(grad))
        if ok:
            m_new = s.beta1 * self.m + (1 - s.beta1) * grad
            v_new = s.beta2 * self.v + (1 - s.beta2) * grad * grad
            mhat = m_new / (1 - s.beta1 ** (self.t + 1))
            vhat = v_new / (1 - s.beta2 ** (self.t + 1))
            lr = s.lr * self.lr_scale / np.sqrt(1.0 + (self.t + 1) / s.decay)
            phi_new = self.phi + lr * mhat / (np.sqrt(vhat) + s.eps)
            ok = bool(np.all(np.isfinite(phi_new)))                      # an overflowing step is rejected too
        if not ok:
            self.failures += 1
            self.lr_scale *= 0.5
            return False
        self.failures = 0
        self.t += 1
        self.m, self.v, self.phi = m_new, v_new, phi_new
        return True


def failure_error(failures: int, it: int, phi, describe_failure) -> InferenceError:
    """The error ending a run after ``failures`` consecutive rejected steps (the last at ``it``)."""
    cause, span = describe_failure(phi) if describe_failure else ("", None)
    return InferenceError(
        f"{failures} consecutive steps gave a non-finite ELBO or gradient (at iteration {it}); "
        "the step size was halved each time without recovery" + (f". Likely cause: {cause}"
                                                                 if cause else ""), span)


class StoppingRule:
    """Stan's ADVI rule, applied to the ELBO estimated every ``eval_elbo`` iterations: stop once the
    mean or the median of the recent relative changes is below ``tol_rel_obj``."""

    def __init__(self, settings: OptimiserSettings):
        self.settings = settings
        self.window = max(2, int(0.1 * settings.iter / settings.eval_elbo))
        self.changes: list = []
        self.last = None

    def converged(self, it: int, current: float, trace: OptimiserTrace) -> bool:
        trace.elbo_eval.append((it, current))
        if self.last is not None and np.isfinite(current):
            self.changes.append(relative_change(current, self.last))
            recent = self.changes[-self.window:]
            tol = self.settings.tol_rel_obj
            if self.settings.stop_early and (np.mean(recent) < tol or np.median(recent) < tol):
                return True
        self.last = current
        return False


def adam(phi0, estimator, elbo_estimate, rng, settings: OptimiserSettings, callback=None,
         describe_failure=None, loop=None):
    """Maximise the ELBO, with normals drawn from a NormalStream seeded from ``rng`` (the
    estimators' and ``elbo_estimate``'s).  ``describe_failure(phi)`` returns (explanation, span or None) for the
    error raised when steps keep failing.  Ctrl-C ends the run early with ``trace.interrupted``
    set and the parameters reached so far returned.  ``loop``: a compiled loop
    (ppl.infer.compiled_loop) running the iterations in place of the Python loop below."""
    trace = OptimiserTrace()
    state = {"phi": np.array(phi0, dtype=float)}
    rng = NormalStream(rng)
    try:
        if loop is not None:
            loop.steps(state, trace, elbo_estimate, rng, settings, callback, describe_failure)
        else:
            _adam_steps(state, trace, estimator, elbo_estimate, rng, settings, callback, describe_failure)
    except KeyboardInterrupt:
        trace.interrupted = True
    return state["phi"], trace


def _adam_steps(state, trace, estimator, elbo_estimate, rng, settings, callback, describe_failure):
    adam = AdamState(state["phi"], settings)
    stopping = StoppingRule(settings)
    for it in range(1, settings.iter + 1):
        elbo, grad, evals = estimator(adam.phi, rng)
        trace.grad_evals += evals
        if not adam.step(elbo, grad):
            trace.rejected += 1
            if adam.failures >= settings.max_failures:
                raise failure_error(adam.failures, it, adam.phi, describe_failure)
            continue
        phi = adam.phi
        state["phi"] = phi
        trace.elbo.append(float(elbo))
        trace.iterations = it
        if callback is not None:
            callback(it, float(elbo), phi)
        if it % settings.eval_elbo == 0 and stopping.converged(it, elbo_estimate(phi, rng), trace):
            trace.converged = True
            break
