"""Log density (natural or with guards forced) and gradient of a bound model
through its generated native module.

Everything else a bound model does (constraining draws, generated
quantities, guard bookkeeping, the changepoint tables and posteriors a fit
reports) stays with the reference backend it wraps.  Draws whose native value
is not finite, and batches where native code raised (an index out of range, a rejection), are
re-evaluated by the reference backend, so messages and failure semantics are
the reference's own.

A bind whose gradient object is stored (object_loader.py) computes gradients through
it and imports neither the generated module nor Numba until something else (a
density, forced guards, jumps, the compiled VI loop) asks for ``module``; a bind that
compiles stores the object for the next process (object_code.py).
"""
from __future__ import annotations

import numpy as np

from ppl.ad import gradient_program
from ppl.backends.reference.executor import jumps_by_two_evaluations

from . import cache
from . import hoist_tables
from . import object_loader
from .batched import prepared
from .source import Unsupported
from .module import ModuleGen


def generated_source(bound):
    """The generated module's source for a bound model and the data variables its
    functions take, in order (raises Unsupported)."""
    p = bound.program
    for slot in bound.slots:
        if slot.var.type.shape == "matrix":
            raise Unsupported("a matrix parameter", slot.var.span)
        if slot.var.type.ndims and slot.var.type.shape != "scalar":
            raise Unsupported("an array of vectors as a parameter", slot.var.span)
    data_vars = [v for v in [*p.data, *p.transformed_data_vars] if id(v) in bound.data_env]
    return ModuleGen(p, bound.slots, data_vars, gradient_program(p)).source(), data_vars


RECORDING_DRAWS = 5


def recording_draws(dim: int) -> np.ndarray:
    """The draws (unconstrained) the hoisted calls' tables are recorded at: the origin and a
    few spread around it (a fixed seed: the same tables every bind), so that sites under
    branches the origin does not take are reached too, and their loops read them unchecked
    (loop_versions.py)."""
    spread = np.random.default_rng(0).normal(scale=2.0, size=(RECORDING_DRAWS - 1, dim))
    return np.vstack([np.zeros((1, dim)), spread])


class NativeModel:
    def __init__(self, bound, use_object: bool = True):
        self.ref = bound
        self.source, data_vars = generated_source(bound)
        self.key = cache.module_key(self.source)
        self.data = tuple(_native_value(v, bound.data_env[id(v)]) for v in data_vars)
        self.dim = bound.dim
        self._work = np.empty(0)
        self._module = None
        self._density_native = True
        self.entry = object_loader.load(self.key) if use_object else None
        if self.entry is not None:
            try:
                self._bind_entry()
                return
            except Exception:       # data the stored layout does not describe
                self.entry = None
        self._bind_module(store_object=use_object)

    def _bind_data(self, prepare, sites: int, gradient, compile_first: bool = False):
        """The functions' data: the bound data, the derived data ``prepare`` describes, then
        the tables of the ``sites`` hoisted calls, recorded by ``gradient(data, thetas,
        work)`` at a few draws (recording_draws), and the length of the gradient's tapes
        (grown by the generated code when a draw needs more).  ``compile_first``: call it on
        an empty batch first, so that an error compiling it is raised (the recording runs
        swallow errors)."""
        self.work_per_draw, derived = prepared(self.data, prepare)
        data = self.data + derived
        tape_room = np.array([1024], dtype=np.int64)
        if compile_first:
            gradient(data + (hoist_tables.empty(sites), tape_room), np.zeros((0, self.dim)), self._work)
        draws = recording_draws(self.dim)

        def run(hoist):
            for at in draws:
                try:
                    gradient(data + (hoist, tape_room), at[None], self.work(1))
                except Exception:   # a rejection, an index out of range: the reference reports those
                    pass
        hoist = hoist_tables.tables(sites, run)
        self.data = data + (hoist, tape_room)

    def _bind_entry(self):
        """Derived data and hoisted tables through the stored gradient object."""
        self._bind_data(self.entry.prepare, self.entry.hoist_sites,
                        lambda data, at, work: self.entry.bound(data)(at, True, work))
        self._gradient = self.entry.bound(self.data)

    def _bind_module(self, store_object: bool):
        """Compile the gradient now (or load it from Numba's cache), on an empty batch;
        the density on its first use (a warm start needs only the gradient)."""
        try:
            module = self.module
            self._bind_data(module.PREPARE, module.HOIST_SITES,
                            lambda data, at, work: module.gradient(at, True, work, *data), compile_first=True)
        except Exception as e:  # a construct the generator emits but Numba cannot type
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise Unsupported(f"this model (Numba: {first[:200]})") from None
        if store_object and not object_loader.recorded(self.key):
            from .object_code import store
            store(module, self.key, self.data, self.work(2), self.dim)

    @property
    def module(self):
        """The generated module (imported, with Numba, on first use)."""
        if self._module is None:
            self._module, self._path = cache.load(self.source)
        return self._module

    @property
    def path(self) -> str:
        """The generated module's file in the cache."""
        self.module
        return self._path

    def work(self, S: int) -> np.ndarray:
        """The generated functions' scratch buffer for a batch of S draws, kept between
        calls (a fresh one per call would cost page faults)."""
        if self._work.size < S * self.work_per_draw:
            self._work = np.empty(S * self.work_per_draw)
        return self._work

    def _batch(self, theta):
        t = np.asarray(theta, dtype=np.float64)
        single = t.ndim == 1
        t = np.ascontiguousarray(t.reshape(1, -1) if single else t)
        if t.shape[1] != self.dim:
            return None, single
        return t, single

    def log_density(self, theta, jacobian=True, force=None):
        """Guards in ``force`` are forced natively when every guard instance can be
        (guard_tables.py), else by the reference backend."""
        t, single = self._batch(theta)
        tables = None
        if force and t is not None and self.module.FORCING:
            from .guard_tables import force_tables
            tables = force_tables(force, len(t))
        if (force and tables is None) or t is None or not self._density_native:
            return self.ref.log_density(theta, jacobian, force)
        try:
            if tables is None:
                lp, finite = self.module.density(t, bool(jacobian), self.work(len(t)), *self.data)
            else:
                lp, finite = self.module.forced_density(t, bool(jacobian), self.work(len(t)), *tables,
                                                        *self.data)
        except Exception as e:
            from numba.core.errors import NumbaError
            if isinstance(e, NumbaError):    # not compilable: do not try again
                self._density_native = False
            return self.ref.log_density(theta, jacobian, force)
        if not finite:
            bad = ~np.isfinite(lp)
            lp[bad] = self.ref.log_density(t[bad], jacobian, _lanes(force, bad))
        return float(lp[0]) if single else lp

    def log_density_jumps(self, theta, forced):
        """BoundModel.log_density_jumps natively: one pass of the jump function when the
        model has one (jumps.py), else two forced densities; draws whose native jump is not
        finite, or batches where native code raised, by the reference backend."""
        t, _ = self._batch(theta)
        if t is None or not self.module.FORCING:
            return self.ref.log_density_jumps(theta, forced)
        if not self.module.JUMPS:
            return jumps_by_two_evaluations(self.log_density, t, forced)
        S = len(t)
        member = {key: np.broadcast_to(np.asarray(m, dtype=bool), (S,)) for key, m in forced.items()}
        from .guard_tables import force_tables, forced_false
        tables = force_tables({key: np.where(m, 1, -1) for key, m in member.items()}, S)
        if tables is None:
            return self.ref.log_density_jumps(theta, forced)
        forces, lane_force = tables
        try:
            out, finite = self.module.jumps(t, self.work(S), forces, forced_false(forces), lane_force, *self.data)
        except Exception:
            return self.ref.log_density_jumps(theta, forced)
        if not finite:
            bad = ~np.isfinite(out)
            out[bad] = self.ref.log_density_jumps(t[bad], {key: m[bad] for key, m in member.items()})
        return out

    def log_density_gradient(self, theta, jacobian=True, force=None):
        from ppl.backends.reference.gradient import log_density_gradient as reference
        t, single = self._batch(theta)
        if force or t is None:
            return reference(self.ref, theta, jacobian, force)
        if self.entry is not None:
            lp, grad, status = self._gradient(t, jacobian, self.work(len(t)))
            if status < 0:
                return reference(self.ref, theta, jacobian, force)
            finite = status == 1
        else:
            try:
                lp, grad, finite = self.module.gradient(t, bool(jacobian), self.work(len(t)), *self.data)
            except Exception:
                return reference(self.ref, theta, jacobian, force)
        if not finite:
            bad = ~np.isfinite(lp) | ~np.all(np.isfinite(grad), axis=1)
            lp[bad], grad[bad] = reference(self.ref, t[bad], jacobian)
        if single:
            return float(lp[0]), grad[0]
        return lp, grad


def _lanes(force, rows):
    """The forcing of the draws ``rows`` (a boolean mask) of a batch."""
    if not force:
        return force
    return {k: (v[rows] if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == rows.shape[0] else v)
            for k, v in force.items()}


def _native_value(v, x):
    x = np.asarray(x)[0]
    if x.ndim == 0:
        return int(x) if v.type.base == "int" else float(x)
    dtype = np.int64 if v.type.base == "int" else np.float64
    return np.ascontiguousarray(x, dtype=dtype)
