"""Execution of the gradient program's AD nodes (tape, adjoint sweep).

The forward sweep runs with ``taping`` on: no statement is skipped for
lack of active lanes, so every push has its pop whatever the lanes do.
"""
from __future__ import annotations

import numpy as np

from ppl.ad import nodes as D
from ppl.ad.transform import Masked, TapedIf, TapedWhile
from ppl.stdlib import changepoint
from ppl.stdlib.distributions import Distribution
from ppl.stdlib.functions import align

from .changepoint_loop import lane_expandable, lane_frame, time_expandable
from .interpreter import Interpreter
from .values import _expand, _uniform_int


def unbroadcast(c, like_shape, S):
    """Sum an aligned contribution back to an argument's shape (batch axis kept at S lanes)."""
    c = np.asarray(c, dtype=float)
    rank = len(like_shape) - 1
    if c.ndim - 1 > rank:
        c = c.reshape(c.shape[:1 + rank] + (-1,)).sum(axis=-1)
    axes = tuple(i for i in range(1, c.ndim) if like_shape[i] == 1 and c.shape[i] != 1)
    if axes:
        c = c.sum(axis=axes, keepdims=True)
    target = (max(S, c.shape[0]),) + tuple(like_shape[1:])
    return np.broadcast_to(c, target)


class GradientInterpreter(Interpreter):
    # ------------------------------------------------------------------ tape
    def s_Push(self, s: D.Push, f):
        cur = f.env.get(id(s.var))
        if cur is None or not s.indices:
            f.tape.append(None if cur is None else np.array(cur, copy=True))
            return
        idx, _ = self._index_tuple(cur, s.indices, f, s.var.name, s.span)
        f.tape.append(np.array(cur[idx], copy=True))

    def s_Pop(self, s: D.Pop, f):
        saved = f.tape.pop()
        if not s.indices:
            if saved is None:
                f.env.pop(id(s.var), None)
            else:
                f.env[id(s.var)] = saved
                f.owned.add(id(s.var))
            return
        cur = f.env[id(s.var)]
        idx, _ = self._index_tuple(cur, s.indices, f, s.var.name, s.span)
        if id(s.var) not in f.owned:
            cur = cur.copy()
            f.owned.add(id(s.var))
        if saved.shape[0] != cur.shape[0]:
            cur = _expand(cur, max(saved.shape[0], cur.shape[0])).copy()
        if cur.dtype.kind == "i" and saved.dtype.kind == "f":
            cur = cur.astype(float)
        cur[idx] = saved
        f.env[id(s.var)] = cur

    def s_Masked(self, s: Masked, f):
        mask = f.mask.copy()
        self.run(s.body, f, mask)
        f.tape.append(mask)

    def s_TapedIf(self, s: TapedIf, f):
        mask = f.mask
        c = np.broadcast_to(self._truth(self.eval(s.cond, f)), (f.S,))
        m_then, m_else = mask & c, mask & ~c
        if m_then.any():
            self.run(s.then, f, m_then)
        if m_else.any():
            self.run(s.other, f, m_else)
        f.mask = mask
        f.tape.append(c.copy())

    def s_WithMask(self, s: D.WithMask, f):
        mask = f.mask
        self.run(s.body, f, f.tape.pop())
        f.mask = mask

    def s_TapedWhile(self, s: TapedWhile, f):
        # each iteration's lanes are saved after its body, then the count
        n = self.run_while(s, f, after_iteration=lambda running: f.tape.append(running.copy()))
        f.tape.append(n)

    def s_ReverseWhile(self, s: D.ReverseWhile, f):
        mask = f.mask
        n = f.tape.pop()
        f.loop_keys.append(0)
        try:
            for k in range(n - 1, -1, -1):
                f.loop_keys[-1] = k
                running = f.tape.pop()
                self.run(s.body, f, running)
        finally:
            f.loop_keys.pop()
            f.mask = mask

    # ------------------------------------------------------- reverse control
    def s_ReverseFor(self, s: D.ReverseFor, f):
        lo = _uniform_int(self.eval(s.lo, f), s.lo.span, "a loop bound")
        hi = _uniform_int(self.eval(s.hi, f), s.hi.span, "a loop bound")
        mask = f.mask
        f.loop_keys.append(0)
        try:
            for k in range(hi - lo, -1, -1):
                f.loop_keys[-1] = k
                f.env[id(s.var)] = np.array([lo + k], dtype=np.int64)
                self.run(s.body, f, mask)
        finally:
            f.loop_keys.pop()
            f.mask = mask

    def s_ReverseChangepointFor(self, s, f):
        """Reverse of a changepoint loop: each (step, segment) body is seeded with
        d log p / d ell[t, j], the posterior probability of that cell."""
        var = s.plan.var
        ell = f.changepoint_tables[id(var)]
        T, M1 = ell.shape[1:]
        weights = changepoint.segment_posteriors(ell)
        if time_expandable(s.plan.loop):
            return self._reverse_changepoint_all_lanes(s, var, weights, f)
        if lane_expandable(s.plan.loop):
            return self._reverse_changepoint_lanes(s, var, weights, f)
        mask = f.mask
        seed = f.target_seed
        f.loop_keys.append(0)
        try:
            for k in range(T - 1, -1, -1):
                f.loop_keys[-1] = k
                f.env[id(s.var)] = np.array([k + 1], dtype=np.int64)
                for j in range(M1 - 1, -1, -1):
                    f.segment[id(var)] = j + 1
                    f.target_seed = seed * weights[:, k, j]
                    self.run(s.body, f, mask)
        finally:
            f.loop_keys.pop()
            f.segment.pop(id(var), None)
            f.target_seed = seed
            f.mask = mask

    def _reverse_changepoint_all_lanes(self, s, var, weights, f):
        """Reverse of the one-pass table: the reversed body once over S * J * T lanes."""
        S, T, J = weights.shape
        sub = lane_frame(f, J * T)
        sub.env.update(f.changepoint_locals.get(id(var), {}))
        sub.segment[id(var)] = np.tile(np.repeat(np.arange(1, J + 1), S), T)
        sub.env[id(s.var)] = np.repeat(np.arange(1, T + 1), J * S)
        outer = [k for k in f.adjoint_ids if k in f.env]
        for key in outer:
            sub.env[key] = np.zeros((S * J * T,) + f.env[key].shape[1:])
        seed = np.broadcast_to(np.asarray(f.target_seed, dtype=float), (S,))
        sub.target_seed = np.tile(seed, J * T) * weights.transpose(1, 2, 0).reshape(-1)
        sub.loop_keys.append(0)
        self.run(s.body, sub, sub.mask)
        for key in outer:
            f.env[key] = f.env[key] + sub.env[key].reshape((T * J, S) + f.env[key].shape[1:]).sum(axis=0)

    def _reverse_changepoint_lanes(self, s, var, weights, f):
        """Reverse of the lane-wise table: per step, the reversed body on S * J lanes
        seeded with the cell weights; adjoints of outer variables start at zero in
        the lane frame and their J copies are summed back after every step."""
        S, T, J = weights.shape
        sub = lane_frame(f, J)
        sub.env.update(f.changepoint_locals.get(id(var), {}))
        sub.segment[id(var)] = np.repeat(np.arange(1, J + 1), S)
        outer = [k for k in f.adjoint_ids if k in f.env]
        seed = np.broadcast_to(np.asarray(f.target_seed, dtype=float), (S,))
        sub.loop_keys.append(0)
        for k in range(T - 1, -1, -1):
            sub.loop_keys[-1] = k
            sub.env[id(s.var)] = np.array([k + 1], dtype=np.int64)
            for key in outer:
                sub.env[key] = np.zeros((S * J,) + f.env[key].shape[1:])
            sub.target_seed = np.tile(seed, J) * weights[:, k, :].T.reshape(-1)
            self.run(s.body, sub, sub.mask)
            for key in outer:
                f.env[key] = f.env[key] + sub.env[key].reshape((J, S) + f.env[key].shape[1:]).sum(axis=0)

    def s_ReverseForEach(self, s: D.ReverseForEach, f):
        coll = np.asarray(self.eval(s.collection, f))
        mask = f.mask
        items = coll.reshape(coll.shape[0], -1, *(coll.shape[2:] if s.collection.type.ndims else ()))
        if s.collection.type.shape == "matrix" and not s.collection.type.ndims:
            items = np.swapaxes(coll, 1, 2).reshape(coll.shape[0], -1)
        f.loop_keys.append(0)
        try:
            for k in range(items.shape[1] - 1, -1, -1):
                f.loop_keys[-1] = k
                f.env[id(s.var)] = items[:, k]
                self.run(s.body, f, mask)
        finally:
            f.loop_keys.pop()
            f.mask = mask

    def s_ReverseIf(self, s: D.ReverseIf, f):
        mask = f.mask
        c = f.tape.pop()
        m_then, m_else = mask & c, mask & ~c
        if m_then.any():
            self.run(s.then, f, m_then)
        if m_else.any():
            self.run(s.other, f, m_else)
        f.mask = mask

    # -------------------------------------------------------------- adjoints
    def s_InitAdjoint(self, s: D.InitAdjoint, f):
        primal = f.env.get(id(s.primal))
        shape = (f.S,) + (np.shape(primal)[1:] if primal is not None else ())
        f.env[id(s.adj)] = np.zeros(shape)
        f.owned.add(id(s.adj))
        f.adjoint_ids.add(id(s.adj))

    def s_ZeroAdjoint(self, s: D.ZeroAdjoint, f):
        cur = f.env[id(s.adj)]
        if id(s.adj) not in f.owned:
            cur = cur.copy()
            f.owned.add(id(s.adj))
        if not s.indices:
            m = f.mask.reshape((f.S,) + (1,) * (cur.ndim - 1))
            f.env[id(s.adj)] = np.where(m, 0.0, cur)
            return
        idx, _ = self._index_tuple(cur, s.indices, f, s.adj.name, s.span)
        sub = cur[idx]
        m = f.mask.reshape((f.S,) + (1,) * (sub.ndim - 1))
        cur[idx] = np.where(m, 0.0, sub)
        f.env[id(s.adj)] = cur

    def s_Accumulate(self, s: D.Accumulate, f):
        value = np.asarray(self.eval(s.value, f), dtype=float)
        cur = f.env[id(s.adj)]
        if id(s.adj) not in f.owned:
            cur = cur.copy()
            f.owned.add(id(s.adj))
        if not s.indices:
            value = unbroadcast(value, (1,) + cur.shape[1:], f.S)
            m = f.mask.reshape((f.S,) + (1,) * (cur.ndim - 1))
            f.env[id(s.adj)] = cur + np.where(m, value, 0.0)
            return
        idx, kept = self._index_tuple(cur, s.indices, f, s.adj.name, s.span)
        target_shape = cur[idx].shape
        value = unbroadcast(value, (1,) + kept, f.S)
        value = np.broadcast_to(value.reshape(value.shape[:1] + target_shape[1:]), target_shape)
        m = f.mask.reshape((f.S,) + (1,) * (len(target_shape) - 1))
        np.add.at(cur, idx, np.where(m, value, 0.0))
        f.env[id(s.adj)] = cur

    def e_TargetSeed(self, e, f):
        return f.target_seed

    def e_Adjoint(self, e: D.Adjoint, f):
        g = np.asarray(self.eval(e.g, f), dtype=float)
        args = [np.asarray(self.eval(a, f)) for a in e.args]
        fn = e.fn
        like = args[e.index].shape
        if isinstance(fn, Distribution):
            aligned = self._align_dist_args(fn, args, e)
            full = np.broadcast_shapes(*(a.shape for a in aligned))
            aligned = [np.broadcast_to(a, full) for a in aligned]
            with np.errstate(all="ignore"):
                partial = fn.grad[e.index](*aligned)
            gg = g.reshape(g.shape + (1,) * (partial.ndim - g.ndim))
            return unbroadcast(gg * partial, like, f.S)
        out = np.asarray(self.eval(e.out, f)) if e.out is not None else None
        rule = fn.grad[e.index]
        with np.errstate(all="ignore"):
            if fn.elementwise:
                aligned = align(*args)
                nd = max(a.ndim for a in aligned)
                gg = g.reshape(g.shape + (1,) * (nd - g.ndim))
                c = rule(gg, out, *aligned)
            elif fn.needs_types:
                c = rule([a.type for a in e.args], g, out, *args)
            else:
                c = rule(g, out, *args)
        return unbroadcast(c, like, f.S)

    def e_IndexAdjoint(self, e: D.IndexAdjoint, f):
        g = np.asarray(self.eval(e.g, f), dtype=float)
        like = np.asarray(self.eval(e.like, f))
        S = max(f.S, like.shape[0])
        out = np.zeros((S,) + like.shape[1:])
        idx, kept = self._index_tuple(out, [e.indices], f, "value", e.span)
        target_shape = out[idx].shape
        g = np.broadcast_to(unbroadcast(g, (1,) + kept, S).reshape((-1,) + target_shape[1:]), target_shape)
        np.add.at(out, idx, g)
        return out

    def e_SelectAdjoint(self, e: D.SelectAdjoint, f):
        c = self._truth(self.eval(e.cond, f))
        g = np.asarray(self.eval(e.g, f), dtype=float)
        c = c.reshape(c.shape + (1,) * (g.ndim - c.ndim))
        return np.where(c if e.branch else ~c, g, 0.0)

    def e_BuildAdjoint(self, e: D.BuildAdjoint, f):
        g = np.asarray(self.eval(e.g, f), dtype=float)
        return g[:, e.index]
