"""Changepoint series in the reference executor: the table ell[t, j] (the loop
body's target increment at step t in segment j) filled serially, with the
segments as extra lanes, or in one pass with steps and segments as lanes,
then the exact log marginal over all placements (stdlib.changepoint)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ppl.ir import nodes as N
from ppl.ir.changepoints import data_only
from ppl.stdlib import changepoint

from .values import _uniform_int, runtime_error

if TYPE_CHECKING:
    from .interpreter import Frame


class ChangepointLoops:
    """Interpreter methods for a ``for`` loop that is a changepoint series."""

    def _changepoint_loop(self, s: N.For, lo: int, hi: int, f: Frame):
        """Run the body once per (step, segment) to fill ell[t, j], then add the
        exact log marginal over all placements of the changepoints."""
        var = s.changepoint.var
        M = _uniform_int(self.eval(var.sizes[0], f), var.sizes[0].span, "M")
        T = _uniform_int(self.eval(var.sizes[1], f), var.sizes[1].span, "T")
        if lo != 1 or hi != T:
            raise runtime_error(f"the loop over the series of '{var.name}' must run over 1:{T} "
                                f"(its T), not {lo}:{hi}", s.span)
        if not 0 <= M <= T - 1:
            raise runtime_error(f"changepoints[{M}, {T}] needs 0 <= M <= T - 1", var.span)
        for k_expr, span in s.changepoint.indices:
            if data_only(k_expr):      # k depending on an inner loop is not checked here
                k = _uniform_int(self.eval(k_expr, f), k_expr.span, "k")
                if not 1 <= k <= M:
                    raise runtime_error(f"{var.name}[{k}] is out of range: '{var.name}' holds {M} "
                                        f"changepoint{'s' if M != 1 else ''} (indices 1..{M})", span)
        if time_expandable(s):
            ell = self._changepoint_table_all_lanes(s, var, T, M + 1, f)
        elif lane_expandable(s):
            ell = self._changepoint_table_lanes(s, var, T, M + 1, f)
        else:
            ell = self._changepoint_table_serial(s, var, T, M + 1, f)
        f.changepoint_tables[id(var)] = ell
        f.target = f.target + np.where(f.mask, changepoint.log_marginal(ell), 0.0)

    def _changepoint_table_serial(self, s: N.For, var, T: int, J: int, f: Frame):
        """ell[:, t, j]: the body run once per (step, segment), the segment fixed per run."""
        ell = np.zeros((f.S, T, J))
        outer_target, mask = f.target, f.mask
        f.loop_stops.append([np.zeros(f.S, dtype=bool), np.zeros(f.S, dtype=bool)])
        f.loop_keys.append(0)
        try:
            for k, t in enumerate(range(1, T + 1)):
                f.loop_keys[-1] = k
                f.env[id(s.var)] = np.array([t], dtype=np.int64)
                for j in range(J):
                    f.segment[id(var)] = j + 1
                    f.target = np.zeros(f.S)
                    f.loop_stops[-1] = [np.zeros(f.S, dtype=bool), np.zeros(f.S, dtype=bool)]
                    self.run(s.body, f, mask)
                    ell[:, k, j] = f.target
        finally:
            f.loop_stops.pop()
            f.loop_keys.pop()
            f.segment.pop(id(var), None)
            f.target, f.mask = outer_target, mask
        return ell

    def _changepoint_table_all_lanes(self, s: N.For, var, T: int, J: int, f: Frame):
        """ell in one run of the body over S * J * T lanes (lane (t * J + j) * S + s):
        the step index and the segment are both per-lane values."""
        sub = lane_frame(f, J * T)
        sub.segment[id(var)] = np.tile(np.repeat(np.arange(1, J + 1), f.S), T)
        sub.env[id(s.var)] = np.repeat(np.arange(1, T + 1), J * f.S)
        sub.loop_keys.append(0)
        sub.loop_stops.append([np.zeros(sub.S, dtype=bool), np.zeros(sub.S, dtype=bool)])
        self.run(s.body, sub, sub.mask)
        f.changepoint_locals[id(var)] = body_locals(s, sub)
        ell = sub.target.reshape(T, J, f.S).transpose(2, 0, 1).copy()
        failed = sub.failed.reshape(T * J, f.S).any(axis=0)
        if failed.any():
            f.failed = f.failed | failed
            for lane, msg in sub.messages.items():
                f.messages.setdefault(lane % f.S, msg)
        return ell

    def _changepoint_table_lanes(self, s: N.For, var, T: int, J: int, f: Frame):
        """ell[:, t, j] with the segments as extra lanes: the body runs once per step on
        S * J lanes (lane j * S + s is draw s in segment j + 1).  Valid because the
        body only writes its own locals (lane_expandable)."""
        sub = lane_frame(f, J)
        sub.segment[id(var)] = np.repeat(np.arange(1, J + 1), f.S)
        ell = np.zeros((f.S, T, J))
        mask = sub.mask
        sub.loop_keys.append(0)
        sub.loop_stops.append([np.zeros(sub.S, dtype=bool), np.zeros(sub.S, dtype=bool)])
        for k in range(T):
            sub.loop_keys[-1] = k
            sub.env[id(s.var)] = np.array([k + 1], dtype=np.int64)
            sub.target = np.zeros(sub.S)
            sub.loop_stops[-1] = [np.zeros(sub.S, dtype=bool), np.zeros(sub.S, dtype=bool)]
            self.run(s.body, sub, mask)
            ell[:, k, :] = sub.target.reshape(J, f.S).T
        f.changepoint_locals[id(var)] = body_locals(s, sub)
        failed = sub.failed.reshape(J, f.S).any(axis=0)
        if failed.any():
            f.failed = f.failed | failed
            for lane, msg in sub.messages.items():
                f.messages.setdefault(lane % f.S, msg)
        return ell


def body_locals(loop: N.For, sub) -> dict:
    """The values of the variables a changepoint loop's body declares, in a lane frame."""
    own = {id(st.var) for st in N.walk_stmts(loop.body) if isinstance(st, N.Declare)}
    return {k: v for k, v in sub.env.items() if k in own}


def lane_expandable(loop: N.For) -> bool:
    """Can a changepoint loop's body run with the segments as lanes?  Yes when it
    writes only variables it declares itself (nothing flows between steps)."""
    own = {id(st.var) for st in N.walk_stmts(loop.body) if isinstance(st, N.Declare)}
    return all(id(st.var) in own for st in N.walk_stmts(loop.body) if isinstance(st, N.Assign))


def time_expandable(loop: N.For) -> bool:
    """Can the whole changepoint loop run as one pass with the steps as lanes too?
    Yes when the body writes only its own locals, has no inner loops (their bounds
    could depend on the step) and no guard sites (their instances are per step)."""
    if not lane_expandable(loop):
        return False
    for st in N.walk_stmts(loop.body):
        if isinstance(st, (N.For, N.ForEach, N.While)):
            return False
        for e in N.stmt_exprs(st):
            if any(isinstance(x, N.Call) and x.guard is not None for x in N.walk_expr(e)):
                return False
    return True


def lane_frame(f, J: int):
    """A frame with J copies of every lane (lane j * S + s copies lane s)."""
    S = f.S
    env = {k: (np.concatenate([v] * J, axis=0) if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == S
               and S > 1 else v) for k, v in f.env.items()}
    force = {k: (np.tile(v, J) if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == S else v)
             for k, v in f.force.items()}     # per-lane forcing: each copy as its lane
    sub = type(f)(S * J, env=env, force=force, explore=f.explore, rng=f.rng, taping=f.taping, tape=f.tape)
    sub.mask = np.tile(f.mask, J)
    sub.segment = dict(f.segment)
    sub.loop_keys = list(f.loop_keys)
    sub.changepoint_tables = f.changepoint_tables
    return sub
