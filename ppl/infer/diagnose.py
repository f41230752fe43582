"""Why is the log density not finite here?  Located explanations for numerical failures.

Used when initialisation or optimisation fails: the answer names the first
statement that failed (its span, so the CLI can quote it with a caret) and
the parameter values involved.  Best effort: a backend that cannot be
instrumented still gets the density value and the parameter values.
"""
from __future__ import annotations

import numpy as np

from ppl.frontend.errors import Span


def parameter_values(bm, theta, limit: int = 6) -> str:
    """'x = 1.29, sigma = 0.3' for the first ``limit`` constrained parameters at ``theta``."""
    try:
        names = bm.param_names()
        values = np.asarray(bm.param_constrain(np.asarray(theta, dtype=float)), dtype=float).reshape(-1)
    except Exception:                       # noqa: BLE001 - a diagnostic must not fail itself
        return ""
    shown = [f"{n} = {v:.4g}" for n, v in list(zip(names, values))[:limit]]
    if len(names) > limit:
        shown.append(f"... ({len(names)} values)")
    return ", ".join(shown)


def first_failure(bm, theta) -> tuple[str, Span | None]:
    """(what went wrong, where) for an unconstrained point whose density or gradient is not finite."""
    theta = np.asarray(theta, dtype=float)
    if not np.all(np.isfinite(theta)):
        return "the parameters themselves are not finite (" + parameter_values(bm, theta) + ")", None
    impl = getattr(bm, "_impl", None)
    try:
        res = impl.evaluate(theta[None])
        lp = float(res.lp[0])
        if res.messages:
            msg, span = next(iter(res.messages.values()))
            return msg, span
    except Exception:                       # noqa: BLE001
        lp = float(np.asarray(bm.log_density(theta)))
    if not np.isfinite(lp):
        found = _first_nonfinite_increment(bm, theta)
        if found is not None:
            return found
        return f"the log density is {_show(lp)}", None
    try:
        _, grad = bm.log_density_gradient(theta)
        bad = [n for n, g in zip(bm.param_unc_names(), np.asarray(grad).reshape(-1)) if not np.isfinite(g)]
    except Exception:                       # noqa: BLE001
        bad = []
    what = f" with respect to {', '.join(bad[:4])}" if bad else ""
    return f"the log density is finite ({lp:.6g}) but its gradient{what} is not", None


def _first_nonfinite_increment(bm, theta):
    """Run the model once, watching each 'target +=' (and '~'): the first whose increment makes
    the accumulated log density non-finite.  Needs the reference interpreter; None otherwise."""
    impl = getattr(bm, "_impl", None)
    interp = getattr(impl, "interp", None)
    original = getattr(interp, "s_TargetAdd", None)
    if original is None:
        return None
    found = []

    def watched(s, f):
        before = np.array(f.target, dtype=float, copy=True)
        original(s, f)
        after = np.asarray(f.target, dtype=float)
        if not found and np.isfinite(before.reshape(-1)[0]) and not np.isfinite(after.reshape(-1)[0]):
            found.append((s, float(after.reshape(-1)[0] - before.reshape(-1)[0])))

    interp.s_TargetAdd = watched
    try:
        impl.evaluate(theta[None])
    except Exception:                       # noqa: BLE001
        return None
    finally:
        del interp.s_TargetAdd
    if not found:
        return None
    s, value = found[0]
    text = _statement_text(bm, s.span)
    return f"'{text}' adds {_show(value)} to the log density" if text else \
        f"this statement adds {_show(value)} to the log density", s.span


def _statement_text(bm, span) -> str:
    try:
        from ppl.ir.guards import source_text
        text = source_text(bm.model.source, span)
    except Exception:                       # noqa: BLE001
        return ""
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


def _show(x: float) -> str:
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "+inf (overflow)" if x > 0 else "-inf"
    return f"{x:.6g}"
