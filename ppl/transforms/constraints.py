"""Stan's parameter constraint transforms, with log-Jacobians, batch-aware.

Reference: Stan Reference Manual, chapter "Constraint transforms" (lower /
upper / lower-upper bounds, affine offset-multiplier, ordered,
positive_ordered, and the centered stick-breaking unit simplex of manual
versions 2.2x-2.35), and Stan Math's ``lub_constrain`` / ``lub_free`` for the
infinite-bound conventions.

Batch convention
----------------
Every array carries a LEADING BATCH AXIS.  An unconstrained value ``u`` has
shape ``(B, *unconstrained_shape)``; a constrained value ``x`` has shape
``(B, *value_shape)``.  Bound arguments have shape ``(B,)`` (one scalar bound
per lane, broadcast over the value) or ``(B, *value_shape)`` (elementwise
bounds); Python scalars / 0-d arrays are accepted as ``(1,)``.  A batch size of
1 means "the same for every lane" and broadcasts against any other batch size
S, so the output batch size ``B_out`` is the broadcast of all batch sizes.

``constrain(u, *args)`` returns ``(x, log_jac)`` where ``log_jac`` has shape
``(B_out,)``: log |det d x / d u| summed over every non-batch axis.
Vector-valued transforms (ordered, positive_ordered, simplex) act on the last
axis, so ``(B, n1, ..., K)`` is an array of ``K``-vectors.

Conventions for awkward inputs (chosen so a batched sampler can keep running):

* Infinite bounds mean "no bound on that side", elementwise, exactly as in
  Stan: ``lower_upper(-inf, ub)`` is ``upper(ub)``, ``lower_upper(lb, +inf)`` is
  ``lower(lb)``, ``lower_upper(-inf, +inf)`` and ``lower(-inf)`` /
  ``upper(+inf)`` are the identity with zero log-Jacobian.
* Invalid transform arguments (NaN bound, ``lb >= ub``, ``lower(+inf)``,
  ``upper(-inf)``, non-finite offset, multiplier not positive-finite) do not
  raise: the affected elements of ``x`` / ``u`` and the affected lanes of
  ``log_jac`` are NaN.
* ``unconstrain`` of a value that fails ``check`` gives NaN (for vector-valued
  transforms: the whole offending vector).  Values that pass ``check`` but sit
  exactly on an (inclusive) boundary, e.g. ``x == lb``, a zero simplex entry or
  ``x_1 == 0`` for positive_ordered, map to a large *finite* unconstrained value
  (the distance to the boundary is floored at the floating-point resolution
  there) rather than to +-inf.
"""
from __future__ import annotations

import numpy as np
from ppl.lazy_scipy import special

__all__ = [
    "Transform",
    "LowerBound",
    "UpperBound",
    "LowerUpperBound",
    "Affine",
    "Ordered",
    "PositiveOrdered",
    "Simplex",
    "TRANSFORMS",
    "SIMPLEX_TOLERANCE",
]

#: Tolerance on |sum(x) - 1| used by ``Simplex.check`` (Stan's CONSTRAINT_TOLERANCE).
SIMPLEX_TOLERANCE = 1e-8

_TINY = np.finfo(np.float64).smallest_subnormal


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def _as_batched(a, what: str, min_ndim: int = 1) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim < min_ndim:
        raise ValueError(
            f"{what} must have a leading batch axis and at least {min_ndim} "
            f"dimension(s); got shape {a.shape}")
    return a


def _bound_arg(a, value_ndim: int, what: str) -> np.ndarray:
    """Reshape a bound argument so it broadcasts against (B, *value_shape)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim == 1:
        return a.reshape(a.shape + (1,) * value_ndim)
    if a.ndim != value_ndim + 1:
        raise ValueError(
            f"{what}: a bound must have shape (B,) or (B, *value_shape) with "
            f"{value_ndim} value dimension(s); got shape {a.shape}")
    return a


def _full_shape(*arrays: np.ndarray) -> tuple:
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as exc:  # mismatched batch sizes or value shapes
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"incompatible batch/value shapes: {shapes}") from exc


def _lane_sum(terms: np.ndarray, full: tuple) -> np.ndarray:
    t = np.broadcast_to(terms, full)
    return t.sum(axis=tuple(range(1, len(full))))


def _lane_all(ok: np.ndarray, full: tuple) -> np.ndarray:
    t = np.broadcast_to(ok, full)
    return np.all(t, axis=tuple(range(1, len(full))))


def _unbroadcast(c: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Sum an adjoint over the value axes along which ``like`` was broadcast
    (keeping the batch axis: each lane has its own gradient)."""
    c = np.asarray(c)
    like = np.asarray(like)
    if like.ndim < c.ndim:                      # a (B,) bound against (B, *shape)
        c = c.reshape(c.shape[:like.ndim] + (-1,)).sum(axis=-1) if like.ndim else c.sum()
    axes = tuple(i for i in range(1, like.ndim) if like.shape[i] == 1 and c.shape[i] != 1)
    return c.sum(axis=axes, keepdims=True) if axes else c


def _log_dist(d: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """log(d) for a non-negative distance d to a boundary located at ``ref``.

    A distance of exactly 0 (a value on the inclusive boundary) is floored at
    half the floating-point spacing at the boundary, so the result is finite.
    """
    floor = np.maximum(0.5 * np.spacing(np.abs(ref)), _TINY)
    return np.log(np.maximum(d, floor))


# --------------------------------------------------------------------------
# scalar (elementwise) bounds: one kernel for lower / upper / lower_upper
# --------------------------------------------------------------------------

def _lub_constrain(u, lb, ub):
    """Elementwise lower/upper-bound transform; returns (x, log_jac terms)."""
    lb_inf = lb == -np.inf
    ub_inf = ub == np.inf
    invalid = ~(lb < ub) | (lb == np.inf) | (ub == -np.inf)  # NaN-safe
    both = ~lb_inf & ~ub_inf
    with np.errstate(all="ignore"):
        # finite interval: x = lb + (ub - lb) * inv_logit(u), evaluated from
        # the nearer end so that |u| large keeps full relative accuracy there.
        width = ub - lb
        x_lu = np.where(u > 0, ub - width * special.expit(-u), lb + width * special.expit(u))
        x_lu = np.minimum(np.maximum(x_lu, lb), ub)
        lj_lu = np.log(width) + special.log_expit(u) + special.log_expit(-u)
        eu = np.exp(u)
        x = np.where(both, x_lu,
                     np.where(lb_inf & ub_inf, u,
                              np.where(lb_inf, ub - eu, lb + eu)))
        lj = np.where(both, lj_lu, np.where(lb_inf & ub_inf, 0.0, u))
    x = np.where(invalid, np.nan, x)
    lj = np.where(invalid, np.nan, lj)
    return x, lj


def _lub_free(x, lb, ub):
    lb_inf = lb == -np.inf
    ub_inf = ub == np.inf
    invalid = (~(lb < ub) | (lb == np.inf) | (ub == -np.inf)
               | ~((lb <= x) & (x <= ub)))
    with np.errstate(all="ignore"):
        log_dl = _log_dist(x - lb, lb)
        log_du = _log_dist(ub - x, ub)
        u = np.where(lb_inf & ub_inf, x,
                     np.where(lb_inf, log_du,
                              np.where(ub_inf, log_dl, log_dl - log_du)))
    return np.where(invalid, np.nan, u)


def _lub_check(x, lb, ub):
    return (lb <= x) & (x <= ub)  # False for NaN x or NaN bounds


# --------------------------------------------------------------------------
# transforms
# --------------------------------------------------------------------------

class Transform:
    """Base class of a constraint transform (see the module docstring)."""

    name: str = ""
    nargs: int = 0
    vector_valued: bool = False

    def unconstrained_shape(self, shape: tuple) -> tuple:
        shape = tuple(int(s) for s in shape)
        if self.vector_valued and len(shape) == 0:
            raise ValueError(f"{self.name} requires a vector-valued shape")
        return shape

    def constrain(self, u, *args):  # pragma: no cover - abstract
        raise NotImplementedError

    def unconstrain(self, x, *args):  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, x, *args):  # pragma: no cover - abstract
        raise NotImplementedError

    def constrain_vjp(self, u, args, x_adj, lj_adj):  # pragma: no cover - abstract
        """Reverse mode: given d/dx (x_adj, shaped like x) and d/d(log_jac)
        (lj_adj, per lane), return (d/du, [d/d arg for each bound argument])."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _ScalarBound(Transform):
    """Shared machinery for lower / upper / lower_upper."""

    def _bounds(self, args, value_ndim):  # -> (lb, ub) broadcastable arrays
        raise NotImplementedError

    def _nargs_ok(self, args):
        if len(args) != self.nargs:
            raise TypeError(
                f"{self.name} takes {self.nargs} bound argument(s), got {len(args)}")

    def constrain(self, u, *args):
        self._nargs_ok(args)
        u = _as_batched(u, "u")
        lb, ub = self._bounds(args, u.ndim - 1)
        full = _full_shape(u, lb, ub)
        x, lj = _lub_constrain(u, lb, ub)
        return np.broadcast_to(x, full).copy(), _lane_sum(lj, full)

    def unconstrain(self, x, *args):
        self._nargs_ok(args)
        x = _as_batched(x, "x")
        lb, ub = self._bounds(args, x.ndim - 1)
        full = _full_shape(x, lb, ub)
        return np.broadcast_to(_lub_free(x, lb, ub), full).copy()

    def check(self, x, *args):
        self._nargs_ok(args)
        x = _as_batched(x, "x")
        lb, ub = self._bounds(args, x.ndim - 1)
        full = _full_shape(x, lb, ub)
        return _lane_all(_lub_check(x, lb, ub), full)

    def constrain_vjp(self, u, args, x_adj, lj_adj):
        u = _as_batched(u, "u")
        lb, ub = self._bounds(args, u.ndim - 1)
        full = _full_shape(u, lb, ub, np.asarray(x_adj))
        lj_adj = np.asarray(lj_adj, dtype=float).reshape((-1,) + (1,) * (len(full) - 1))
        lb_inf, ub_inf = lb == -np.inf, ub == np.inf
        both = ~lb_inf & ~ub_inf
        with np.errstate(all="ignore"):
            s = special.expit(u)
            width = ub - lb
            eu = np.exp(u)
            # finite interval: dx/du = w s (1-s), dlj/du = 1 - 2s, dx/dlb = 1-s, dx/dub = s,
            # dlj/dlb = -1/w, dlj/dub = 1/w
            du_lu = x_adj * width * s * (1 - s) + lj_adj * (1 - 2 * s)
            dlb_lu = x_adj * (1 - s) - lj_adj / width
            dub_lu = x_adj * s + lj_adj / width
            du = np.where(both, du_lu, np.where(lb_inf & ub_inf, x_adj,
                                                np.where(lb_inf, -x_adj * eu + lj_adj, x_adj * eu + lj_adj)))
            dlb = np.where(both, dlb_lu, np.where(lb_inf, 0.0, x_adj))
            dub = np.where(both, dub_lu, np.where(ub_inf, 0.0, x_adj))
        du = np.broadcast_to(du, full)
        grads = {"lower": [dlb], "upper": [dub], "lower_upper": [dlb, dub]}[self.name]
        return du.copy(), [_unbroadcast(np.broadcast_to(g, full), np.asarray(a, dtype=float))
                           for g, a in zip(grads, args)]


class LowerBound(_ScalarBound):
    """x = lb + exp(u); log|J| = u.  lb = -inf: identity."""

    name = "lower"
    nargs = 1

    def _bounds(self, args, value_ndim):
        return _bound_arg(args[0], value_ndim, "lower"), np.array(np.inf)


class UpperBound(_ScalarBound):
    """x = ub - exp(u); log|J| = u.  ub = +inf: identity."""

    name = "upper"
    nargs = 1

    def _bounds(self, args, value_ndim):
        return np.array(-np.inf), _bound_arg(args[0], value_ndim, "upper")


class LowerUpperBound(_ScalarBound):
    """x = lb + (ub - lb) inv_logit(u);
    log|J| = log(ub - lb) + log inv_logit(u) + log(1 - inv_logit(u)).
    Infinite bounds degrade elementwise to lower / upper / identity."""

    name = "lower_upper"
    nargs = 2

    def _bounds(self, args, value_ndim):
        return (_bound_arg(args[0], value_ndim, "lower_upper lb"),
                _bound_arg(args[1], value_ndim, "lower_upper ub"))


class Affine(Transform):
    """x = offset + multiplier * u; log|J| = log(multiplier) per element.

    ``offset`` defaults to 0 and ``multiplier`` to 1 (Stan allows either to be
    omitted).  Requires a finite offset and a positive finite multiplier;
    ``check`` accepts any non-NaN x (given valid arguments).
    """

    name = "affine"
    nargs = 2

    @staticmethod
    def _args(offset, multiplier, value_ndim):
        mu = _bound_arg(offset, value_ndim, "affine offset")
        sigma = _bound_arg(multiplier, value_ndim, "affine multiplier")
        invalid = ~np.isfinite(mu) | ~np.isfinite(sigma) | ~(sigma > 0)
        return mu, sigma, invalid

    def constrain(self, u, offset=0.0, multiplier=1.0):
        u = _as_batched(u, "u")
        mu, sigma, invalid = self._args(offset, multiplier, u.ndim - 1)
        full = _full_shape(u, mu, sigma)
        with np.errstate(all="ignore"):
            x = np.where(invalid, np.nan, mu + sigma * u)
            lj = np.where(invalid, np.nan, np.log(sigma))
        return np.broadcast_to(x, full).copy(), _lane_sum(lj, full)

    def unconstrain(self, x, offset=0.0, multiplier=1.0):
        x = _as_batched(x, "x")
        mu, sigma, invalid = self._args(offset, multiplier, x.ndim - 1)
        full = _full_shape(x, mu, sigma)
        with np.errstate(all="ignore"):
            u = np.where(invalid, np.nan, (x - mu) / sigma)
        return np.broadcast_to(u, full).copy()

    def check(self, x, offset=0.0, multiplier=1.0):
        x = _as_batched(x, "x")
        mu, sigma, invalid = self._args(offset, multiplier, x.ndim - 1)
        full = _full_shape(x, mu, sigma)
        return _lane_all(~np.isnan(x) & ~invalid, full)

    def constrain_vjp(self, u, args, x_adj, lj_adj):
        u = _as_batched(u, "u")
        offset, multiplier = (list(args) + [0.0, 1.0][len(args):])[:2]
        mu, sigma, _ = self._args(offset, multiplier, u.ndim - 1)
        full = _full_shape(u, mu, sigma, np.asarray(x_adj))
        lj_adj = np.asarray(lj_adj, dtype=float).reshape((-1,) + (1,) * (len(full) - 1))
        with np.errstate(all="ignore"):
            du = np.broadcast_to(x_adj * sigma, full)
            dmu = np.broadcast_to(x_adj, full)
            dsigma = np.broadcast_to(x_adj * u + lj_adj / sigma, full)
        return du.copy(), [_unbroadcast(dmu, np.asarray(offset, dtype=float)),
                           _unbroadcast(dsigma, np.asarray(multiplier, dtype=float))]


class _VectorTransform(Transform):
    vector_valued = True
    nargs = 0

    @staticmethod
    def _noargs(name, args):
        if args:
            raise TypeError(f"{name} takes no arguments, got {len(args)}")


def _strictly_increasing(x):
    """Per-vector bool (shape x.shape[:-1]): no NaN and strictly increasing."""
    with np.errstate(invalid="ignore"):
        return np.all(np.diff(x, axis=-1) > 0, axis=-1) & ~np.any(np.isnan(x), axis=-1)


class Ordered(_VectorTransform):
    """x_1 = u_1, x_k = x_{k-1} + exp(u_k); log|J| = sum_{k>=2} u_k."""

    name = "ordered"

    def constrain(self, u, *args):
        self._noargs(self.name, args)
        u = _as_batched(u, "u", 2)
        inc = np.concatenate([u[..., :1], np.exp(u[..., 1:])], axis=-1)
        x = np.cumsum(inc, axis=-1)
        return x, _lane_sum(u[..., 1:], u[..., 1:].shape)

    def unconstrain(self, x, *args):
        self._noargs(self.name, args)
        x = _as_batched(x, "x", 2)
        ok = _strictly_increasing(x)
        with np.errstate(all="ignore"):
            u = np.concatenate([x[..., :1], np.log(np.diff(x, axis=-1))], axis=-1)
        return np.where(ok[..., None], u, np.nan)

    def check(self, x, *args):
        self._noargs(self.name, args)
        x = _as_batched(x, "x", 2)
        return _lane_all(_strictly_increasing(x), x.shape[:-1])

    def constrain_vjp(self, u, args, x_adj, lj_adj):
        u = _as_batched(u, "u", 2)
        lj_adj = np.asarray(lj_adj, dtype=float).reshape((-1,) + (1,) * (u.ndim - 1))
        tail = np.cumsum(np.asarray(x_adj)[..., ::-1], axis=-1)[..., ::-1]   # sum_{j>=k} x_adj_j
        du = np.concatenate([tail[..., :1], tail[..., 1:] * np.exp(u[..., 1:]) + lj_adj], axis=-1)
        return du, []


class PositiveOrdered(_VectorTransform):
    """x_1 = exp(u_1), x_k = x_{k-1} + exp(u_k); log|J| = sum_k u_k.

    ``check`` follows Stan: x_1 >= 0 and strictly increasing.
    """

    name = "positive_ordered"

    def constrain(self, u, *args):
        self._noargs(self.name, args)
        u = _as_batched(u, "u", 2)
        x = np.cumsum(np.exp(u), axis=-1)
        return x, _lane_sum(u, u.shape)

    @staticmethod
    def _ok(x):
        with np.errstate(invalid="ignore"):
            first = np.all(x[..., :1] >= 0, axis=-1)
        return first & _strictly_increasing(x)

    def unconstrain(self, x, *args):
        self._noargs(self.name, args)
        x = _as_batched(x, "x", 2)
        ok = self._ok(x)
        with np.errstate(all="ignore"):
            inc = np.concatenate([x[..., :1], np.diff(x, axis=-1)], axis=-1)
            u = np.log(np.maximum(inc, _TINY))
        return np.where(ok[..., None], u, np.nan)

    def check(self, x, *args):
        self._noargs(self.name, args)
        x = _as_batched(x, "x", 2)
        return _lane_all(self._ok(x), x.shape[:-1])

    def constrain_vjp(self, u, args, x_adj, lj_adj):
        u = _as_batched(u, "u", 2)
        lj_adj = np.asarray(lj_adj, dtype=float).reshape((-1,) + (1,) * (u.ndim - 1))
        tail = np.cumsum(np.asarray(x_adj)[..., ::-1], axis=-1)[..., ::-1]
        return tail * np.exp(u) + lj_adj, []


class Simplex(_VectorTransform):
    """Centered stick-breaking unit simplex (Stan Reference Manual 2.2x-2.35).

    For k = 1..K-1: z_k = inv_logit(u_k + log(1 / (K - k))),
    x_k = (1 - sum_{k'<k} x_k') z_k, and x_K is the remaining stick;
    log|J| = sum_k log z_k + log(1 - z_k) + log(1 - sum_{k'<k} x_k').

    The remaining stick is carried in log space (log of the product of the
    (1 - z_k)), so tiny trailing components are exact; ``unconstrain`` uses
    tail sums, as Stan's ``simplex_free`` does.
    """

    name = "simplex"

    def unconstrained_shape(self, shape: tuple) -> tuple:
        shape = super().unconstrained_shape(shape)
        if shape[-1] < 1:
            raise ValueError("a simplex must have at least one element")
        return shape[:-1] + (shape[-1] - 1,)

    @staticmethod
    def _offsets(km1: int) -> np.ndarray:
        # log(K - k) for k = 1..K-1 (1-based), i.e. log(K-1), ..., log(1)
        return np.log(np.arange(km1, 0, -1, dtype=np.float64))

    def constrain(self, u, *args):
        self._noargs(self.name, args)
        u = _as_batched(u, "u", 2)
        km1 = u.shape[-1]
        adj = u - self._offsets(km1)
        log_z = special.log_expit(adj)
        log_1mz = special.log_expit(-adj)
        zeros = np.zeros(u.shape[:-1] + (1,))
        log_stick = np.concatenate([zeros, np.cumsum(log_1mz, axis=-1)], axis=-1)
        x = np.exp(np.concatenate([log_stick[..., :km1] + log_z,
                                   log_stick[..., km1:]], axis=-1))
        lj = log_stick[..., :km1] + log_z + log_1mz
        return x, _lane_sum(lj, lj.shape)

    @staticmethod
    def _ok(x):
        with np.errstate(invalid="ignore"):
            nonneg = np.all(x >= 0, axis=-1)
            summed = np.abs(np.sum(x, axis=-1) - 1.0) <= SIMPLEX_TOLERANCE
        return nonneg & summed

    def unconstrain(self, x, *args):
        self._noargs(self.name, args)
        x = _as_batched(x, "x", 2)
        if x.shape[-1] < 1:
            raise ValueError("a simplex must have at least one element")
        km1 = x.shape[-1] - 1
        ok = self._ok(x)
        with np.errstate(all="ignore"):
            # tail_{k+1} = sum_{j>k} x_j, summed from the small end
            tail = np.cumsum(x[..., :0:-1], axis=-1)[..., ::-1]
            u = (np.log(np.maximum(x[..., :km1], _TINY))
                 - np.log(np.maximum(tail, _TINY)) + self._offsets(km1))
        return np.where(ok[..., None], u, np.nan)

    def check(self, x, *args):
        self._noargs(self.name, args)
        x = _as_batched(x, "x", 2)
        return _lane_all(self._ok(x), x.shape[:-1])

    def constrain_vjp(self, u, args, x_adj, lj_adj):
        u = _as_batched(u, "u", 2)
        km1 = u.shape[-1]
        lj_adj = np.asarray(lj_adj, dtype=float).reshape((-1,) + (1,) * (u.ndim - 2))
        adj_in = u - self._offsets(km1)
        z = special.expit(adj_in)
        log_1mz = special.log_expit(-adj_in)
        log_stick = np.concatenate([np.zeros(u.shape[:-1] + (1,)), np.cumsum(log_1mz, axis=-1)], axis=-1)
        stick = np.exp(log_stick)          # stick[k] = remaining length before piece k
        x_adj = np.broadcast_to(np.asarray(x_adj, dtype=float), u.shape[:-1] + (km1 + 1,))
        du = np.zeros(np.broadcast_shapes(u.shape, x_adj.shape[:-1] + (km1,)))
        stick_adj = x_adj[..., km1]        # x_K is the last remaining stick
        for k in range(km1 - 1, -1, -1):
            zk, sk = z[..., k], stick[..., k]
            # x_k = s_k z_k;  s_{k+1} = s_k (1 - z_k);  lj += log z_k + log(1-z_k) + log s_k
            z_adj = (x_adj[..., k] - stick_adj) * sk
            s_adj = x_adj[..., k] * zk + stick_adj * (1 - zk) + lj_adj / sk
            # d/du of (log z + log(1-z)) = 1 - 2z; chain z' = z (1-z)
            du[..., k] = z_adj * zk * (1 - zk) + lj_adj * (1 - 2 * zk)
            stick_adj = s_adj
        return du, []


TRANSFORMS: dict[str, Transform] = {
    t.name: t
    for t in (LowerBound(), UpperBound(), LowerUpperBound(), Affine(),
              Ordered(), PositiveOrdered(), Simplex())
}
