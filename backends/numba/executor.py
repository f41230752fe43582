"""Log density and gradient of a bound model through its generated native module.

Everything else a bound model does (constraining draws, generated
quantities, guard bookkeeping, forced guards, changepoint tables) stays with
the reference backend it wraps.  Draws whose native value is not finite, and
batches where native code raised (an index out of range, a rejection), are
re-evaluated by the reference backend, so messages and failure semantics are
the reference's own.
"""
from __future__ import annotations

import numpy as np

from ppl.ad import gradient_program

from . import cache
from .codegen import Unsupported
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


class NativeModel:
    def __init__(self, bound):
        self.ref = bound
        self.source, data_vars = generated_source(bound)
        self.module, self.path = cache.load(self.source)
        self.data = tuple(_native_value(v, bound.data_env[id(v)]) for v in data_vars)
        self.dim = bound.dim
        # compile now (or load from Numba's cache), on an empty batch
        empty = np.zeros((0, self.dim))
        try:
            self.module.density(empty, True, *self.data)
            self.module.gradient(empty, True, *self.data)
        except Exception as e:  # a construct the generator emits but Numba cannot type
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise Unsupported(f"this model (Numba: {first[:200]})") from None

    def _batch(self, theta):
        t = np.asarray(theta, dtype=np.float64)
        single = t.ndim == 1
        t = np.ascontiguousarray(t.reshape(1, -1) if single else t)
        if t.shape[1] != self.dim:
            return None, single
        return t, single

    def log_density(self, theta, jacobian=True, force=None):
        t, single = self._batch(theta)
        if force or t is None:
            return self.ref.log_density(theta, jacobian, force)
        try:
            lp = self.module.density(t, bool(jacobian), *self.data)
        except Exception:
            return self.ref.log_density(theta, jacobian, force)
        bad = ~np.isfinite(lp)
        if bad.any():
            lp[bad] = self.ref.log_density(t[bad], jacobian)
        return float(lp[0]) if single else lp

    def log_density_gradient(self, theta, jacobian=True, force=None):
        from ppl.backends.reference.gradient import log_density_gradient as reference
        t, single = self._batch(theta)
        if force or t is None:
            return reference(self.ref, theta, jacobian, force)
        try:
            lp, grad = self.module.gradient(t, bool(jacobian), *self.data)
        except Exception:
            return reference(self.ref, theta, jacobian, force)
        bad = ~np.isfinite(lp) | ~np.all(np.isfinite(grad), axis=1)
        if bad.any():
            lp[bad], grad[bad] = reference(self.ref, t[bad], jacobian)
        if single:
            return float(lp[0]), grad[0]
        return lp, grad


def _native_value(v, x):
    x = np.asarray(x)[0]
    if x.ndim == 0:
        return int(x) if v.type.base == "int" else float(x)
    dtype = np.int64 if v.type.base == "int" else np.float64
    return np.ascontiguousarray(x, dtype=dtype)
