"""The reference executor: runs IR statements over a batch of parameter draws.

Values carry a leading batch axis: size 1 for values shared by every lane
(data), size S for values that differ per draw.  Control flow that depends
on the parameters runs *masked*: both sides of a parametric ``if`` execute,
each with the lanes that take it, and assignments only touch active lanes.

Guards: every evaluation of a guard site is an *instance*, keyed by the
site id and the iteration numbers of the enclosing loops (so the key does
not depend on which lanes happen to be active).  An evaluation can force
chosen instances true or false, and record each instance's guard value
``g`` (the comparison is ``g > 0``) and the lanes that reached it.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ppl.ir import nodes as N
from ppl.stdlib.distributions import SUPPORTS
from ppl.stdlib.functions import align

from .changepoint_loop import ChangepointLoops
from .indexing import Indexing
from .values import _bsize, _expand, _uniform_int, runtime_error

INT_UNSET = np.iinfo(np.int64).min


class LaneError(Exception):
    """Raised inside data-only code when a lane-level error is really global."""


@dataclass
class GuardRecord:
    g: np.ndarray            # (S,) guard value; the comparison holds iff g > 0 (or g >= 0 for >=, <=)
    reached: np.ndarray      # (S,) bool: lanes that evaluated this instance


@dataclass
class Frame:
    """The state of one evaluation."""
    S: int
    env: dict = field(default_factory=dict)          # id(Variable) -> array
    target: Optional[np.ndarray] = None
    failed: Optional[np.ndarray] = None               # (S,) lanes that hit reject / domain errors
    messages: dict = field(default_factory=dict)      # lane -> first error message
    force: dict = field(default_factory=dict)         # site id or (site id, key) -> bool
    trace: Optional[dict] = None                      # (site id, key) -> GuardRecord
    explore: bool = False                             # run both sides of parametric branches always
    loop_keys: list = field(default_factory=list)     # iteration numbers of the enclosing loops
    loop_stops: list = field(default_factory=list)    # per enclosing loop: (broken, continued) masks
    rng: Optional[np.random.Generator] = None
    printer: object = None
    mask: Optional[np.ndarray] = None                 # current active lanes (S,) bool
    owned: set = field(default_factory=set)           # variables whose arrays may be written in place
    strict: bool = False                              # data-only code: errors are raised, not per-lane
    taping: bool = False                              # gradient forward sweep: never skip (pushes must pair with pops)
    tape: list = field(default_factory=list)
    target_seed: object = 1.0
    adjoint_ids: set = field(default_factory=set)     # adjoint variables initialised in this frame
    segment: dict = field(default_factory=dict)       # id(changepoints var) -> segment of the current step
    changepoint_tables: dict = field(default_factory=dict)   # id(var) -> ell (S, T, M+1)
    # id(var) -> the body's locals in the lane frame that filled the table: the
    # reverse sweep's lane frame starts from them (its first pops need them)
    changepoint_locals: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.target is None:
            self.target = np.zeros(self.S)
        if self.failed is None:
            self.failed = np.zeros(self.S, dtype=bool)
        if self.mask is None:
            self.mask = np.ones(self.S, dtype=bool)


class Interpreter(ChangepointLoops, Indexing):
    """Executes IR in a Frame.  Stateless apart from the frame passed around."""

    # ------------------------------------------------------------- statements
    def run(self, stmts, f: Frame, mask=None):
        mask = f.mask if mask is None else mask
        for s in stmts:
            m = mask
            if f.loop_stops:
                broken, cont = f.loop_stops[-1]
                m = mask & ~broken & ~cont
            if not m.any() and not f.explore and not f.taping:
                return
            f.mask = m
            getattr(self, "s_" + type(s).__name__)(s, f)
        f.mask = mask

    def s_Declare(self, s: N.Declare, f: Frame):
        v = s.var
        f.owned.add(id(v))
        shape = tuple(_uniform_int(self.eval(e, f), e.span, "a size") for e in [*v.array_sizes, *v.sizes])
        for n, e in zip(shape, [*v.array_sizes, *v.sizes]):
            if n < 0:
                raise runtime_error(f"size of '{v.name}' is negative ({n})", e.span)
        if v.type.base == "int" and v.type.shape == "scalar":
            f.env[id(v)] = np.full((1,) + shape, INT_UNSET, dtype=np.int64)
        else:
            f.env[id(v)] = np.full((1,) + shape, np.nan)

    def s_Assign(self, s: N.Assign, f: Frame):
        value = np.asarray(self.eval(s.value, f))
        v = s.var
        if v.type.base == "real" and value.dtype.kind != "f":
            value = value.astype(float)
        cur = f.env.get(id(v))
        if not s.indices:
            value = self._conform(value, cur, v, s)
            f.env[id(v)] = self._masked(value, cur, f)
            f.owned.discard(id(v))
            return
        idx, kept_shape = self._index_tuple(cur, s.indices, f, v.name, s.span)
        if value.shape[1:] != kept_shape:
            raise runtime_error(f"cannot assign a value of shape {_shape_str(value.shape[1:])} to "
                                f"'{v.name}' indexed to shape {_shape_str(kept_shape)}", s.span)
        partial = not f.mask.all()
        S = f.S if (partial or _bsize(value) > 1) else _bsize(cur)
        if id(v) not in f.owned or _bsize(cur) != S:
            cur = _expand(cur, S).copy()       # never write into an array another name may share
            f.owned.add(id(v))
        if cur.dtype.kind == "i" and value.dtype.kind == "f":
            cur = cur.astype(float)
        target_shape = cur[idx].shape
        val = np.broadcast_to(value.reshape(value.shape[:1] + target_shape[1:]), target_shape)
        if partial:
            m = f.mask.reshape((S,) + (1,) * (len(target_shape) - 1))
            val = np.where(m, val, cur[idx])
        cur[idx] = val
        f.env[id(v)] = cur

    def _conform(self, value, cur, v, s):
        value = np.asarray(value)
        if v.type.base == "real" and value.dtype.kind != "f":
            value = value.astype(float)
        if cur is not None and v.block not in ("loop",):
            want = cur.shape[1:]
            if value.shape[1:] != want:
                raise runtime_error(f"cannot assign a value of shape {_shape_str(value.shape[1:])} to "
                                    f"'{v.name}' of shape {_shape_str(want)}", s.span)
        return value

    def _masked(self, value, cur, f: Frame):
        if f.mask.all() or cur is None:
            return value
        S = f.S
        value, cur = _expand(value, S), _expand(cur, S)
        m = f.mask.reshape((S,) + (1,) * (value.ndim - 1))
        out = np.where(m, value, cur)
        return out

    def s_TargetAdd(self, s: N.TargetAdd, f: Frame):
        value = np.asarray(self.eval(s.value, f), dtype=float)
        if value.ndim > 1:
            value = value.reshape(value.shape[0], -1).sum(axis=1)
        f.target = f.target + np.where(f.mask, value, 0.0)

    def s_For(self, s: N.For, f: Frame):
        lo = _uniform_int(self.eval(s.lo, f), s.lo.span, "a loop bound")
        hi = _uniform_int(self.eval(s.hi, f), s.hi.span, "a loop bound")
        if s.changepoint is not None:
            return self._changepoint_loop(s, lo, hi, f)
        mask = f.mask
        stops = [np.zeros(f.S, dtype=bool), np.zeros(f.S, dtype=bool)]
        f.loop_stops.append(stops)
        f.loop_keys.append(0)
        try:
            for k, i in enumerate(range(lo, hi + 1)):
                f.loop_keys[-1] = k
                f.env[id(s.var)] = np.array([i], dtype=np.int64)
                stops[1] = np.zeros(f.S, dtype=bool)
                f.loop_stops[-1] = stops
                self.run(s.body, f, mask)
                stops = f.loop_stops[-1]
                if (mask & ~stops[0]).sum() == 0 and not f.explore and not f.taping:
                    break
        finally:
            f.loop_stops.pop()
            f.loop_keys.pop()
            f.mask = mask

    def s_ForEach(self, s: N.ForEach, f: Frame):
        coll = np.asarray(self.eval(s.collection, f))
        mask = f.mask
        stops = [np.zeros(f.S, dtype=bool), np.zeros(f.S, dtype=bool)]
        f.loop_stops.append(stops)
        f.loop_keys.append(0)
        try:
            items = coll.reshape(coll.shape[0], -1, *(coll.shape[2:] if s.collection.type.ndims else ()))
            if s.collection.type.shape == "matrix" and not s.collection.type.ndims:
                items = np.swapaxes(coll, 1, 2).reshape(coll.shape[0], -1)
            for k in range(items.shape[1]):
                f.loop_keys[-1] = k
                f.env[id(s.var)] = items[:, k]
                stops[1] = np.zeros(f.S, dtype=bool)
                self.run(s.body, f, mask)
        finally:
            f.loop_stops.pop()
            f.loop_keys.pop()
            f.mask = mask

    def s_While(self, s: N.While, f: Frame):
        self.run_while(s, f)

    def run_while(self, s: N.While, f: Frame, after_iteration=None) -> int:
        """Run a while loop on the lanes whose condition holds; returns the iteration
        count.  ``after_iteration(running)`` is called after each body (the AD tape)."""
        mask = f.mask
        running = mask.copy()
        stops = [np.zeros(f.S, dtype=bool), np.zeros(f.S, dtype=bool)]
        f.loop_stops.append(stops)
        f.loop_keys.append(0)
        n = 0
        try:
            for n in range(10_000_000):
                f.loop_keys[-1] = n
                f.mask = running & ~stops[0]
                c = self._truth(self.eval(s.cond, f))
                running = running & ~stops[0] & np.broadcast_to(c, running.shape)
                if not running.any():
                    break
                stops[1] = np.zeros(f.S, dtype=bool)
                self.run(s.body, f, running)
                if after_iteration is not None:
                    after_iteration(running)
        finally:
            f.loop_stops.pop()
            f.loop_keys.pop()
            f.mask = mask
        return n

    def s_If(self, s: N.If, f: Frame):
        mask = f.mask
        c = self._truth(self.eval(s.cond, f))
        if c.shape[0] == 1:
            body = s.then if c[0] else s.other
            self.run(body, f, mask)
            if f.explore and s.cond.dep > N.DATA:
                # a parameter-dependent condition that happens to agree in every lane:
                # visit the other side's guard sites too (a data-only condition's
                # other side is never reached with these data)
                self.run(s.other if c[0] else s.then, f, np.zeros(f.S, dtype=bool))
        else:
            m_then, m_else = mask & c, mask & ~c
            if m_then.any() or f.explore:
                self.run(s.then, f, m_then)
            if m_else.any() or f.explore:
                self.run(s.other, f, m_else)
        f.mask = mask

    def s_Print(self, s: N.Print, f: Frame):
        if f.printer is None or f.S != 1:
            return
        parts = []
        for item in s.items:
            parts.append(item if isinstance(item, str) else _fmt(self.eval(item, f)))
        f.printer("".join(parts))

    def s_Reject(self, s: N.Reject, f: Frame):
        if not f.mask.any():
            return
        lanes = np.flatnonzero(f.mask)
        parts = []
        for item in s.items:
            parts.append(item if isinstance(item, str) else _fmt(self.eval(item, f), lanes[0]))
        msg = "".join(parts)
        self.fail(f, f.mask, f"reject: {msg}", s.span, fatal=s.fatal)

    def s_Break(self, s, f: Frame):
        f.loop_stops[-1][0] = f.loop_stops[-1][0] | f.mask

    def s_Continue(self, s, f: Frame):
        f.loop_stops[-1][1] = f.loop_stops[-1][1] | f.mask

    def fail(self, f: Frame, lanes, message, span, fatal=False):
        """Mark lanes as rejected (the density is -inf there) with a located message."""
        lanes = np.broadcast_to(lanes, (f.S,)) & f.mask
        if not lanes.any():
            return
        if fatal or f.strict:
            raise runtime_error(message, span)
        f.failed = f.failed | lanes
        loc = f"{span.path}:{span.line}:{span.col}" if span else ""
        for lane in np.flatnonzero(lanes)[:1]:
            f.messages.setdefault(int(lane), (message, span))
        f.last_error = (message, span, loc)

    # ------------------------------------------------------------ expressions
    def eval(self, e: N.Expr, f: Frame):
        return getattr(self, "e_" + type(e).__name__)(e, f)

    def e_Const(self, e, f):
        if e.type.base == "int":
            return np.array([e.value], dtype=np.int64)
        return np.array([float(e.value)])

    def e_Load(self, e: N.Load, f: Frame):
        try:
            return f.env[id(e.var)]
        except KeyError:
            raise runtime_error(f"'{e.var.name}' is used before it has a value", e.span) from None

    def e_TargetValue(self, e, f):
        return f.target

    def e_Call(self, e: N.Call, f: Frame):
        args = [self.eval(a, f) for a in e.args]
        fn = e.fn
        if fn.name in ("/", "%", "%/%") and e.args[0].type.is_int and e.args[1].type.is_int:
            if np.any((np.asarray(args[1]) == 0) & np.broadcast_to(f.mask, np.shape(args[1])[:1] or (1,))
                      if np.shape(args[1])[0] == f.S else np.asarray(args[1]) == 0):
                raise runtime_error("integer division by zero", e.span)
        if fn.elementwise and args:
            args = align(*args)
        with np.errstate(all="ignore"):
            out = fn.impl(*([a.type for a in e.args], *args) if fn.needs_types else args)
        out = np.asarray(out)
        if e.guard is not None:
            out = self._guard(e, args, out, f)
        return out

    def _guard(self, e: N.Call, args, out, f: Frame):
        key = (e.guard, tuple(f.loop_keys))
        forced = f.force.get(key, f.force.get(e.guard))
        if f.trace is not None:
            name = e.fn.name
            if name in (">", ">="):
                g = args[0] - args[1]
            elif name in ("<", "<="):
                g = args[1] - args[0]
            elif name in ("==", "!="):
                g = args[0] - args[1]
            else:
                g = args[0]
            g = np.broadcast_to(np.asarray(g, dtype=float), (max(_bsize(g), 1),))
            f.trace[key] = GuardRecord(_expand(g, f.S).copy(), f.mask.copy())
        if isinstance(forced, np.ndarray):
            # per-lane forcing: 1 true, 0 false, -1 natural (one batch, several forcings)
            lanes = forced.reshape((-1,) + (1,) * (out.ndim - 1))
            out = np.where(lanes >= 0, lanes, _expand(out, f.S)).astype(out.dtype)
        elif forced is not None:
            out = np.full(out.shape, 1 if forced else 0, dtype=out.dtype)
        return out

    def e_Select(self, e: N.Select, f: Frame):
        c = self._truth(self.eval(e.cond, f))
        mask = f.mask
        if c.shape[0] == 1:
            chosen = self.eval(e.then if c[0] else e.other, f)
            if f.explore and e.cond.dep > N.DATA:
                f.mask = np.zeros(f.S, dtype=bool)
                self.eval(e.other if c[0] else e.then, f)
                f.mask = mask
            return self._cast(chosen, e)
        f.mask = mask & c
        a = self._cast(self.eval(e.then, f), e)
        f.mask = mask & ~c
        b = self._cast(self.eval(e.other, f), e)
        f.mask = mask
        a, b = _expand(a, f.S), _expand(b, f.S)
        cm = c.reshape((f.S,) + (1,) * (a.ndim - 1))
        return np.where(cm, a, b)

    def _cast(self, x, e):
        x = np.asarray(x)
        if e.type.base == "real" and x.dtype.kind != "f":
            return x.astype(float)
        return x

    def e_Build(self, e: N.Build, f: Frame):
        items = [np.asarray(self.eval(x, f)) for x in e.items]
        real = e.type.base == "real" or e.kind != "array"
        if real:
            items = [x.astype(float) for x in items]
        S = max(_bsize(x) for x in items)
        items = [_expand(x, S) for x in items]
        shapes = {x.shape[1:] for x in items}
        if len(shapes) > 1:
            raise runtime_error("elements of a literal have different sizes: "
                                + ", ".join(_shape_str(s) for s in sorted(shapes)), e.span)
        return np.stack(items, axis=1)

    def e_Segment(self, e: N.Segment, f: Frame):
        seg = f.segment[id(e.var)]
        return seg if isinstance(seg, np.ndarray) else np.array([seg], dtype=np.int64)

    def e_Lpdf(self, e: N.Lpdf, f: Frame):
        args = [np.asarray(self.eval(a, f)) for a in e.args]
        dist = e.dist
        aligned = self._align_dist_args(dist, args, e)
        specs = [dist.variate, *dist.params]
        lane_ok = None
        for spec, val, src in zip(specs, aligned, e.args):
            good = SUPPORTS[spec.support](val)
            if not np.all(good):
                bad_lanes = ~good.reshape(good.shape[0], -1).all(axis=1)
                if bad_lanes.shape[0] == 1:
                    bad_lanes = np.broadcast_to(bad_lanes, (f.S,))
                bad_val = val.reshape(val.shape[0], -1)[np.flatnonzero(bad_lanes)[0] if val.shape[0] > 1 else 0]
                shown = bad_val[~good.reshape(good.shape[0], -1)[min(np.flatnonzero(bad_lanes)[0], good.shape[0] - 1)]][0]
                what = "the variate" if spec is dist.variate else f"parameter '{spec.name}'"
                self.fail(f, bad_lanes, f"{dist.name}: {what} is {_fmt_scalar(shown)}, but must be "
                          f"{_SUPPORT_TEXT.get(spec.support, spec.support)}", e.span)
                lane_ok = ~bad_lanes if lane_ok is None else lane_ok & ~bad_lanes
        with np.errstate(all="ignore"):
            lp = dist.logpdf(*aligned) if aligned else dist.logpdf(np.zeros(1))
        lp = np.asarray(lp, dtype=float)
        total = lp.reshape(lp.shape[0], -1).sum(axis=1) if lp.ndim > 1 else lp
        if lane_ok is not None:
            total = np.where(_expand(lane_ok, total.shape[0]) if total.shape[0] == lane_ok.shape[0] or total.shape[0] == 1 else lane_ok, total, -np.inf)
        return total

    def _align_dist_args(self, dist, args, e):
        """Broadcast the variate and parameters: scalars against 1-D containers of one length."""
        lengths = {}
        for a, src in zip(args, e.args):
            if a.ndim > 2:
                raise runtime_error(f"{dist.name}: arguments must be scalars or 1-D containers", src.span)
            if a.ndim == 2:
                lengths.setdefault(a.shape[1], src)
        if len(lengths) > 1:
            (n1, s1), (n2, s2) = list(lengths.items())[:2]
            raise runtime_error(f"{dist.name}: size mismatch: one argument has {n1} elements, "
                                f"another has {n2}", s2.span)
        if lengths:
            return [a.astype(float)[:, None] if a.ndim == 1 else a.astype(float) for a in args]
        return [a.astype(float) for a in args]

    def e_Rng(self, e: N.Rng, f: Frame):
        args = [np.asarray(self.eval(a, f), dtype=float) for a in e.args]
        dist = e.dist
        if not args:
            return dist.rng(f.rng, size=(f.S,))
        aligned = self._align_dist_args(dist, args, e)
        S = max(_bsize(a) for a in aligned)
        shape = np.broadcast_shapes(*(a.shape for a in aligned))
        shape = (max(S, f.S),) + shape[1:]
        for spec, val in zip(dist.params, aligned):
            good = SUPPORTS[spec.support](val)
            if not np.all(good):
                raise runtime_error(f"{dist.name}_rng: parameter '{spec.name}' is "
                                    f"{_fmt_scalar(val[~good][0])}, but must be "
                                    f"{_SUPPORT_TEXT.get(spec.support, spec.support)}", e.span)
        return dist.rng(f.rng, *[np.broadcast_to(a, shape) for a in aligned])

    def e_Index(self, e: N.Index, f: Frame):
        base = self.eval(e.base, f)
        name = e.base.var.name if isinstance(e.base, N.Load) else "value"
        idx, kept_shape = self._index_tuple(base, [e.indices], f, name, e.span)
        # copy: a view would see later in-place writes to the variable
        out = np.array(base[idx], copy=True)
        return out.reshape(out.shape[:1] + kept_shape) if out.ndim - 1 != len(kept_shape) else out

    @staticmethod
    def _truth(c):
        c = np.asarray(c)
        return c != 0


_SUPPORT_TEXT = {
    "not_nan": "not NaN", "finite": "finite", "positive_finite": "positive and finite",
    "nonnegative": "non-negative", "unit_interval": "in [0, 1]", "binary": "0 or 1",
    "nonnegative_int": "a non-negative integer",
}


def _shape_str(shape) -> str:
    return "scalar" if not shape else "[" + ", ".join(str(n) for n in shape) + "]"


def _fmt_scalar(x) -> str:
    x = float(x) if not isinstance(x, (int, np.integer)) else int(x)
    return repr(x) if isinstance(x, int) else f"{x:.6g}"


def _fmt(value, lane=0) -> str:
    value = np.asarray(value)
    v = value[min(lane, value.shape[0] - 1)] if value.ndim else value
    if np.ndim(v) == 0:
        return _fmt_scalar(v)
    return "[" + ",".join(_fmt(np.asarray([x])) for x in np.ravel(v)) + "]"


def default_printer(text: str):
    sys.stdout.write(text + "\n")
