"""Run-time helpers of generated native code: 1-based index checks, growing a
scalar tape, and the constraint transforms for one draw (value, log-Jacobian, vector-Jacobian
product), with the same formulas as ppl.transforms.constraints."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ppl.stdlib.native import inv_logit, log_inv_logit


@njit(cache=True)
def ix(i, n):
    """0-based position of the 1-based index i into an axis of length n."""
    if i < 1 or i > n:
        raise IndexError("index out of range")
    return i - 1


@njit(cache=True)
def grown(tape):
    """A scalar tape with twice the room, its entries kept."""
    out = np.empty(2 * tape.shape[0], dtype=tape.dtype)
    out[:tape.shape[0]] = tape
    return out


# ------------------------------------------------------------------ bounds
@njit(cache=True)
def _bound1(u, lb, ub):
    if not (lb < ub) or lb == np.inf or ub == -np.inf:
        return np.nan, np.nan
    lb_inf = lb == -np.inf
    ub_inf = ub == np.inf
    if lb_inf and ub_inf:
        return u, 0.0
    if lb_inf:
        return ub - math.exp(u), u
    if ub_inf:
        return lb + math.exp(u), u
    width = ub - lb
    if u > 0:
        x = ub - width * inv_logit(-u)
    else:
        x = lb + width * inv_logit(u)
    x = min(max(x, lb), ub)
    return x, math.log(width) + log_inv_logit(u) + log_inv_logit(-u)


@njit(cache=True)
def bounds_constrain1(u, lb, ub):
    return _bound1(u, lb, ub)


@njit(cache=True)
def bounds_constrain(u, lb, ub):
    x = np.empty_like(u)
    lbs = np.broadcast_to(np.asarray(lb, dtype=np.float64), u.shape)
    ubs = np.broadcast_to(np.asarray(ub, dtype=np.float64), u.shape)
    xf = x.reshape(-1)
    uf = u.reshape(-1)
    lf = np.ascontiguousarray(lbs).reshape(-1)
    hf = np.ascontiguousarray(ubs).reshape(-1)
    lj = 0.0
    for i in range(uf.size):
        xi, li = _bound1(uf[i], lf[i], hf[i])
        xf[i] = xi
        lj += li
    return x, lj


@njit(cache=True)
def _bound_vjp1(u, lb, ub, xa, lja):
    lb_inf = lb == -np.inf
    ub_inf = ub == np.inf
    if lb_inf and ub_inf:
        return xa, 0.0, 0.0
    if lb_inf:
        eu = math.exp(u)
        return -xa * eu + lja, 0.0, xa
    if ub_inf:
        eu = math.exp(u)
        return xa * eu + lja, xa, 0.0
    s = inv_logit(u)
    width = ub - lb
    du = xa * width * s * (1 - s) + lja * (1 - 2 * s)
    return du, xa * (1 - s) - lja / width, xa * s + lja / width


@njit(cache=True)
def bounds_vjp1(u, lb, ub, xa, lja):
    return _bound_vjp1(u, lb, ub, xa, lja)


@njit(cache=True)
def bounds_vjp(u, lb, ub, xa, lja):
    """(d/du, d/dlb, d/dub); the bound adjoints are summed when the bound is a scalar."""
    du = np.empty_like(u)
    lbs = np.ascontiguousarray(np.broadcast_to(np.asarray(lb, dtype=np.float64), u.shape)).reshape(-1)
    ubs = np.ascontiguousarray(np.broadcast_to(np.asarray(ub, dtype=np.float64), u.shape)).reshape(-1)
    xas = np.ascontiguousarray(np.broadcast_to(np.asarray(xa, dtype=np.float64), u.shape)).reshape(-1)
    uf = u.reshape(-1)
    df = du.reshape(-1)
    dlb = np.empty(uf.size)
    dub = np.empty(uf.size)
    for i in range(uf.size):
        a, b, c = _bound_vjp1(uf[i], lbs[i], ubs[i], xas[i], lja)
        df[i] = a
        dlb[i] = b
        dub[i] = c
    return du, dlb.reshape(u.shape), dub.reshape(u.shape)


# ----------------------------------------------------------------- affine
@njit(cache=True)
def affine_constrain1(u, mu, sigma):
    if not (sigma > 0) or not np.isfinite(mu) or not np.isfinite(sigma):
        return np.nan, np.nan
    return mu + sigma * u, math.log(sigma)


@njit(cache=True)
def affine_constrain(u, mu, sigma):
    x = mu + sigma * u
    lj = np.sum(np.log(sigma * np.ones_like(u)))
    return x, lj


@njit(cache=True)
def affine_vjp1(u, mu, sigma, xa, lja):
    return xa * sigma, xa, xa * u + lja / sigma


@njit(cache=True)
def affine_vjp(u, mu, sigma, xa, lja):
    return xa * sigma, xa, xa * u + lja / sigma


# ------------------------------------------------- ordered, positive_ordered
# x_k = x_{k-1} + exp(u_k), starting from x_1 = u_1 (ordered) or exp(u_1)
# (positive_ordered); log|J| is the sum of the exponentiated u_k.
@njit(cache=True)
def increasing_constrain(u, first_exp):
    x = np.empty_like(u)
    acc = 0.0
    lj = 0.0
    for i in range(u.size):
        if i == 0 and not first_exp:
            acc = u[0]
        else:
            acc += math.exp(u[i])
            lj += u[i]
        x[i] = acc
    return x, lj


@njit(cache=True)
def increasing_vjp(u, xa, lja, first_exp):
    du = np.empty_like(u)
    tail = 0.0
    for i in range(u.size - 1, -1, -1):
        tail += xa[i]
        du[i] = tail if (i == 0 and not first_exp) else tail * math.exp(u[i]) + lja
    return du
