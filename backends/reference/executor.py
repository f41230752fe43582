"""Reference (numpy) backend: log density, constraining and generated
quantities of a compiled program, for one draw or a batch ``(S, d)``.

No compile step: the IR is interpreted (interpreter.py).  This backend is
the oracle the native backend is tested against.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ppl.frontend.errors import PPLError
from ppl.io.data import convert, read_json
from ppl.ir import nodes as N
from ppl.transforms import TRANSFORMS

from .interpreter import Frame, Interpreter, default_printer


@dataclass
class ParamSlot:
    """Where one parameter lives in the unconstrained vector."""
    var: N.Variable
    shape: tuple            # constrained shape (array dims + vector/matrix dims)
    unc_shape: tuple        # unconstrained shape
    offset: int
    size: int               # unconstrained size

    @property
    def name(self) -> str:
        return self.var.name


@dataclass
class GuardInstance:
    site: int
    key: tuple              # iteration numbers of the enclosing loops


@dataclass
class EvalResult:
    lp: np.ndarray                  # (S,) log density, -inf where a lane was rejected
    failed: np.ndarray              # (S,) bool
    messages: dict                  # lane -> (message, span)
    trace: Optional[dict] = None
    env: Optional[dict] = None
    changepoint_tables: Optional[dict] = None     # name -> ell (S, T, M+1)


class ReferenceBackend:
    name = "numpy"

    def __init__(self, program: N.Program):
        self.program = program
        self.interp = Interpreter()

    def bind(self, data, seed: int = 0, printer=default_printer) -> "BoundReference":
        return BoundReference(self, data, seed, printer)


class BoundReference:
    def __init__(self, backend: ReferenceBackend, data, seed: int, printer):
        self.backend = backend
        self.program = p = backend.program
        self.interp = backend.interp
        self.printer = printer
        raw, label = read_json(data) if not isinstance(data, dict) else (data, "<data>")
        self.data_label = label
        f = Frame(1, rng=np.random.default_rng(seed), printer=printer, strict=True)
        self._bind_data(raw, label, f)
        self.interp.run(p.transformed_data, f)
        for v in p.transformed_data_vars:
            self._check_constraint(v, f, "transformed data")
        self.data_env = f.env
        self.slots = self._layout()
        self.dim = sum(s.size for s in self.slots)
        self._instances: Optional[list] = None

    # -------------------------------------------------------------- binding
    def _bind_data(self, raw: dict, label: str, f: Frame):
        declared = {v.name for v in self.program.data}
        self.extra_names = sorted(k for k in raw if k not in declared)
        for v in self.program.data:
            if v.name not in raw:
                raise PPLError(f"data variable '{v.name}' is missing from {_label(label)}", v.span)
            shape = self._shape(v, f)
            f.env[id(v)] = convert(v.name, raw[v.name], v.type.base, shape,
                                   v.type.shape == "matrix", v.span, label)
            val = f.env[id(v)]
            if v.type.base == "real" and np.isnan(val).any() and v.constraint is not None \
                    and v.constraint.kind == "bounds":
                raise PPLError(f"data variable '{v.name}' contains NaN, which its bounds do not allow"
                               + _where(label), v.span)
            self._check_constraint(v, f, "data", label)

    def _shape(self, v: N.Variable, f: Frame) -> tuple:
        shape = []
        for e in [*v.array_sizes, *v.sizes]:
            n = np.asarray(self.interp.eval(e, f))
            n = int(n.reshape(-1)[0])
            if n < 0:
                what = f"{e.var.name} = {n}" if isinstance(e, N.Load) else str(n)
                raise PPLError(f"the size of '{v.name}' is negative ({what})", e.span)
            shape.append(n)
        if v.keyword == "simplex" and shape and shape[-1] == 0:
            raise PPLError(f"simplex '{v.name}' must have at least one element (its size is 0)",
                           v.sizes[-1].span if v.sizes else v.span)
        return tuple(shape)

    def _check_constraint(self, v: N.Variable, f: Frame, block: str, label: str = ""):
        c = v.constraint
        if c is None or c.transform_name is None:
            return
        t = TRANSFORMS[c.transform_name]
        if c.kind == "affine":
            return
        args = [self._bound_value(e, f, v) for e in c.args()]
        x = f.env[id(v)]
        ok = t.check(x.astype(float), *args)
        if not np.all(ok):
            desc = _constraint_text(v, c)
            detail = _first_violation(v, x, t, args)
            if not detail and c.transform_name in ("ordered", "positive_ordered", "simplex"):
                # name the first offending vector and what is wrong with it
                rows = np.asarray(x, dtype=float).reshape(-1, x.shape[-1])
                bad = np.flatnonzero(~np.asarray(t.check(rows)).reshape(-1))
                if bad.size:
                    i = int(bad[0])
                    r = rows[i]
                    pos = np.unravel_index(i, x.shape[1:-1]) if x.ndim > 2 else ()
                    name = v.name + "".join(f"[{p + 1}]" for p in pos)
                    neg = np.flatnonzero(~(r >= 0))
                    down = np.flatnonzero(~(np.diff(r) > 0))
                    if c.transform_name == "simplex" and neg.size:
                        detail = f": {name}[{neg[0] + 1}] = {r[neg[0]]:.6g} is negative"
                    elif c.transform_name == "simplex":
                        detail = f": the elements of {name} sum to {np.sum(r):.6g}, not 1"
                    elif c.transform_name == "positive_ordered" and neg[:1].tolist() == [0]:
                        detail = f": {name}[1] = {r[0]:.6g} is negative"
                    elif down.size:
                        k = int(down[0]) + 1
                        detail = (f": {name}[{k + 1}] = {r[k]:.6g} is not greater than "
                                  f"{name}[{k}] = {r[k - 1]:.6g}")
            raise PPLError(f"{block} variable '{v.name}' violates its constraint {desc}"
                           + detail + (_where(label) if label else ""), v.span)

    def _bound_value(self, e, f, v):
        return np.asarray(self.interp.eval(e, f), dtype=float)

    def _transform_args(self, c: N.Constraint, f: Frame) -> list:
        """The transform's arguments; an omitted offset is 0, an omitted multiplier 1."""
        defaults = (0.0, 1.0) if c.kind == "affine" else (None,) * len(c.args())
        return [np.array([d]) if e is None else np.asarray(self.interp.eval(e, f), dtype=float)
                for e, d in zip(c.args(), defaults)]

    def _layout(self) -> list[ParamSlot]:
        f = Frame(1, env=dict(self.data_env), strict=True)
        slots, offset = [], 0
        for v in self.program.continuous_params:
            shape = self._shape(v, f)
            c = v.constraint
            if c is not None and c.transform_name in ("ordered", "positive_ordered", "simplex"):
                unc = TRANSFORMS[c.transform_name].unconstrained_shape(shape)
                if c.kind == "simplex" and shape[-1] == 0:
                    raise PPLError(f"simplex '{v.name}' must have at least one element", v.span)
            else:
                unc = shape
            size = int(np.prod(unc)) if unc else 1
            slots.append(ParamSlot(v, shape, unc, offset, size))
            offset += size
        return slots

    # ---------------------------------------------------------- parameters
    def _theta(self, theta) -> tuple[np.ndarray, bool]:
        theta = np.asarray(theta, dtype=float)
        single = theta.ndim == 1
        theta = np.atleast_2d(theta)
        if theta.ndim != 2 or theta.shape[1] != self.dim:
            raise ValueError(f"expected {self.dim} unconstrained parameters per draw, got shape "
                             f"{np.shape(theta)}")
        return theta, single

    def _unflatten(self, slot: ParamSlot, theta: np.ndarray) -> np.ndarray:
        """Stan order: arrays row-major, matrices column-major."""
        u = theta[:, slot.offset:slot.offset + slot.size]
        shp = slot.unc_shape
        if slot.var.type.shape == "matrix":
            r, c = shp[-2], shp[-1]
            return np.swapaxes(u.reshape((u.shape[0],) + shp[:-2] + (c, r)), -1, -2)
        return u.reshape((u.shape[0],) + shp)

    def _flatten(self, slot: ParamSlot, u: np.ndarray) -> np.ndarray:
        if slot.var.type.shape == "matrix":
            u = np.swapaxes(u, -1, -2)
        return u.reshape(u.shape[0], -1)

    def _constrain_params(self, theta: np.ndarray, f: Frame, jacobian: bool):
        for slot in self.slots:
            v = slot.var
            u = self._unflatten(slot, theta)
            c = v.constraint
            name = c.transform_name if c is not None else None
            if name is None:
                f.env[id(v)] = u
                continue
            args = self._transform_args(c, f)
            x, log_jac = TRANSFORMS[name].constrain(u, *args)
            bad = np.isnan(log_jac) if log_jac.ndim else np.isnan([log_jac])
            if bad.any():
                f.mask = np.ones(f.S, dtype=bool)
                self.interp.fail(f, np.broadcast_to(bad, (f.S,)),
                                 f"invalid bounds for parameter '{v.name}' {_constraint_text(v, c)}",
                                 c.span or v.span)
            f.env[id(v)] = x
            if jacobian:
                f.target = f.target + np.where(np.isnan(log_jac), 0.0, log_jac)

    # -------------------------------------------------------------- density
    def evaluate(self, theta, jacobian=True, force=None, trace=False, explore=False,
                 through="model") -> EvalResult:
        theta, _ = self._theta(theta)
        S = theta.shape[0]
        f = Frame(S, env=dict(self.data_env), force=dict(force or {}),
                  trace={} if trace else None, explore=explore, printer=self.printer)
        p = self.program
        with np.errstate(all="ignore"):
            self._constrain_params(theta, f, jacobian)
            f.mask = np.ones(S, dtype=bool)
            self.interp.run(p.transformed_parameters, f)
            self._check_lane_constraints(p.transformed_parameters_vars, f, "transformed parameter")
            if through == "model":
                f.mask = np.ones(S, dtype=bool)
                self.interp.run(p.model, f)
        lp = np.where(f.failed, -np.inf, f.target)
        tables = {v.name: f.changepoint_tables[id(v)] for v in p.changepoint_params
                  if id(v) in f.changepoint_tables}
        return EvalResult(lp, f.failed, f.messages, f.trace, f.env, tables)

    def _check_lane_constraints(self, variables, f: Frame, what: str):
        for v in variables:
            c = v.constraint
            if c is None or c.transform_name is None or c.kind == "affine":
                continue
            args = [np.asarray(self.interp.eval(e, f), dtype=float) for e in c.args()]
            x = f.env.get(id(v))
            if x is None:
                continue
            ok = np.asarray(TRANSFORMS[c.transform_name].check(np.asarray(x, dtype=float), *args))
            ok = np.broadcast_to(ok, (f.S,))
            if not ok.all():
                f.mask = np.ones(f.S, dtype=bool)
                self.interp.fail(f, ~ok, f"{what} '{v.name}' violates its constraint "
                                 f"{_constraint_text(v, c)}", v.span)

    def log_density(self, theta, jacobian=True, force=None):
        theta = np.asarray(theta, dtype=float)
        res = self.evaluate(theta, jacobian, force)
        return res.lp[0] if theta.ndim == 1 else res.lp

    def log_density_jumps(self, theta, forced: dict):
        """log p(instances in ``forced`` true) - log p(forced false), per draw (see
        BoundModel.log_density_jumps): two forced evaluations in one batch."""
        return jumps_by_two_evaluations(self.log_density, theta, forced)

    # ------------------------------------------------------- guard instances
    def guard_instances(self, seed: int = 0) -> list[GuardInstance]:
        """Every (site, loop iteration) instance reachable with these data.

        Found by one exploring evaluation (both sides of every parametric
        branch run), so instances do not depend on where the draws fall."""
        if self._instances is None:
            if not self.program.guards:
                self._instances = []
            else:
                rng = np.random.default_rng(seed)
                theta = rng.uniform(-2, 2, size=(4, self.dim))
                res = self.evaluate(theta, trace=True, explore=True)
                self._instances = [GuardInstance(site, key) for site, key in sorted(res.trace)]
        return self._instances

    def guard_instance_counts(self) -> dict[int, int]:
        counts = {g.id: 0 for g in self.program.guards}
        for inst in self.guard_instances():
            counts[inst.site] += 1
        return counts

    def changepoint_tables(self, theta) -> dict:
        """ell[t, j] per changepoints parameter at unconstrained draws (S, d): name -> (S, T, M+1)."""
        return self.evaluate(theta).changepoint_tables

    def guard_values(self, theta) -> dict:
        """Guard value g per instance (the comparison is g > 0), with the lanes that reach it."""
        return self.evaluate(theta, trace=True).trace

    def affine_coefficients(self):
        """Exact (c0, c) of every instance of every affine site: g = c0 + c . theta.

        An affine g is evaluated at theta = 0 and at the unit vectors; for an
        affine function these differences are the coefficients (up to one
        rounding of the data coefficients)."""
        sites = {g.id for g in self.program.guards if g.kind == "affine"}
        if not sites:
            return {}
        pts = np.vstack([np.zeros(self.dim), np.eye(self.dim)])
        trace = self.evaluate(pts, trace=True, explore=True).trace
        out = {}
        for (site, key), rec in trace.items():
            if site in sites:
                g = rec.g
                out[(site, key)] = (float(g[0]), g[1:] - g[0])
        return out

    # -------------------------------------------------------- constraining
    def param_constrain(self, theta, include_tp=False, include_gq=False, seed=0) -> np.ndarray:
        theta_arr, single = self._theta(theta)
        values = self.constrained_values(theta_arr, include_tp, include_gq, seed)
        cols = [self._flatten_value(v, values[v.name]) for v in self._output_vars(include_tp, include_gq)]
        out = np.concatenate(cols, axis=1) if cols else np.zeros((theta_arr.shape[0], 0))
        return out[0] if single else out

    def _flatten_value(self, v: N.Variable, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if v.type.shape == "matrix":
            x = np.swapaxes(x, -1, -2)
        return x.reshape(x.shape[0], -1)

    def _output_vars(self, include_tp, include_gq):
        p = self.program
        out = list(p.continuous_params)
        if include_tp:
            out += p.transformed_parameters_vars
        if include_gq:
            out += p.generated_quantities_vars
        return out

    def constrained_values(self, theta, include_tp=True, include_gq=False, seed=0) -> dict:
        theta, _ = self._theta(theta)
        S = theta.shape[0]
        f = Frame(S, env=dict(self.data_env), rng=np.random.default_rng(seed), printer=self.printer)
        p = self.program
        with np.errstate(all="ignore"):
            self._constrain_params(theta, f, False)
            if include_tp or include_gq:
                f.mask = np.ones(S, dtype=bool)
                self.interp.run(p.transformed_parameters, f)
            if include_gq:
                f.mask = np.ones(S, dtype=bool)
                self.interp.run(p.generated_quantities, f)
                self._check_lane_constraints(p.generated_quantities_vars, f, "generated quantity")
        out = {}
        for v in self._output_vars(include_tp, include_gq):
            val = f.env.get(id(v))
            shape = (S,) + self._shape(v, Frame(1, env=dict(f.env), strict=True))
            out[v.name] = np.broadcast_to(val, shape).copy() if val is not None else np.full(shape, np.nan)
        if f.failed.any():
            lane = int(np.flatnonzero(f.failed)[0])
            msg, span = f.messages.get(lane, ("rejected", None))
            out["__failed__"] = f.failed
            out["__message__"] = (msg, span)
        return out

    def param_unconstrain(self, values: dict) -> np.ndarray:
        """Inverse of param_constrain: constrained values by name -> unconstrained vector(s)."""
        f = Frame(1, env=dict(self.data_env))
        cols = []
        S = None
        for slot in self.slots:
            v = slot.var
            if v.name not in values:
                raise KeyError(f"missing value for parameter '{v.name}'")
            x = np.asarray(values[v.name], dtype=float)
            batched = x.ndim == len(slot.shape) + 1
            x = x if batched else x[None]
            if x.shape[1:] != slot.shape:
                raise ValueError(f"parameter '{v.name}' has shape {slot.shape}, got {x.shape[1:]}")
            S = x.shape[0] if batched else (S or 1)
            f.S = max(f.S, x.shape[0])
            c = v.constraint
            name = c.transform_name if c is not None else None
            if name is None:
                u = x
            else:
                args = self._transform_args(c, f)
                u = TRANSFORMS[name].unconstrain(x, *args)
            f.env[id(v)] = x
            cols.append(self._flatten(slot, u))
        n = max(c.shape[0] for c in cols) if cols else 1
        out = np.concatenate([np.broadcast_to(c, (n, c.shape[1])) for c in cols], axis=1) if cols \
            else np.zeros((n, 0))
        return out if any(np.asarray(values[s.name]).ndim == len(s.shape) + 1 for s in self.slots) else out[0]

    def param_names(self, include_tp=False, include_gq=False) -> list[str]:
        names = []
        f = Frame(1, env=dict(self.data_env), strict=True)
        for v in self._output_vars(include_tp, include_gq):
            names += element_names(v.name, self._shape(v, f), v.type.shape == "matrix")
        return names

    def param_unc_names(self) -> list[str]:
        names = []
        for slot in self.slots:
            names += element_names(slot.name, slot.unc_shape, slot.var.type.shape == "matrix")
        return names


def element_names(name: str, shape: tuple, matrix: bool) -> list[str]:
    """Stan's flattened names ``name.1.2``: arrays row-major, matrices column-major."""
    if not shape:
        return [name]
    idx = np.indices(shape).reshape(len(shape), -1).T + 1
    if matrix:
        # column-major over the last two axes, row-major over array axes
        order = np.lexsort(tuple(idx[:, k] for k in [len(shape) - 2] + [len(shape) - 1]
                                 + list(range(len(shape) - 3, -1, -1))))
        idx = idx[order]
    return [name + "." + ".".join(str(i) for i in row) for row in idx]


def _label(label: str) -> str:
    return "the data" if label == "<data>" else label


def _where(label: str) -> str:
    return "" if label in ("", "<data>") else f" (in {label})"


def _constraint_text(v: N.Variable, c: N.Constraint) -> str:
    if c.kind in ("ordered", "positive_ordered", "simplex"):
        return c.kind
    return "<" + ", ".join(f"{k}={_expr_text(e)}" for k, e in
                           (("lower", c.lower), ("upper", c.upper), ("offset", c.offset),
                            ("multiplier", c.multiplier)) if e is not None) + ">"


def _expr_text(e) -> str:
    if isinstance(e, N.Const):
        return repr(e.value)
    if isinstance(e, N.Load):
        return e.var.name
    return "expr"


def _first_violation(v, x, t, args) -> str:
    if t.name in ("lower", "upper", "lower_upper"):
        full = np.broadcast_arrays(np.asarray(x, float), *[a.reshape(a.shape + (1,) * (np.ndim(x) - a.ndim))
                                                          for a in args])
        xs = full[0].reshape(-1)
        if t.name == "lower":
            bad = ~(xs >= full[1].reshape(-1))
        elif t.name == "upper":
            bad = ~(xs <= full[1].reshape(-1))
        else:
            bad = ~((xs >= full[1].reshape(-1)) & (xs <= full[2].reshape(-1)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            shape = np.shape(x)[1:]
            pos = np.unravel_index(i, shape) if shape else ()
            where = f"[{', '.join(str(p + 1) for p in pos)}]" if pos else ""
            return f": {v.name}{where} = {xs[i]:.6g}"
    return ""


def jumps_by_two_evaluations(log_density, theta, forced: dict):
    """log p(instances in ``forced`` true) - log p(forced false) per draw of theta (S, d),
    from ``log_density(thetas, jacobian, force)`` on one batch holding each draw twice
    (``forced``: key -> bool (S,), is the instance in draw s's set)."""
    theta = np.asarray(theta, dtype=float)
    S = theta.shape[0]
    force = {}
    for key, member in forced.items():
        member = np.broadcast_to(np.asarray(member, dtype=bool), (S,))
        force[key] = np.concatenate([np.where(member, 1, -1), np.where(member, 0, -1)])
    lp = log_density(np.concatenate([theta, theta]), False, force)
    with np.errstate(invalid="ignore"):
        return lp[:S] - lp[S:]
