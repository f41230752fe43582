"""Numba kernels of the boundary term (DESIGN §6) for the compiled VI loop
(ppl.infer.compiled_loop): the affine surfaces' boundary points and the term
they add to the ELBO gradient.

Each mirrors ppl.infer.boundary.affine_boundary_batch operation for operation
(terms of coordinates a surface does not read skipped): surface k, c0 +
c.theta > 0 with theta = mu + A eps (A = diag(sigma) or L), is s(eps) = a0 +
a.eps with a = A^T c; coordinate j = argmax |a_j| is solved onto it; lane k m
+ r holds the point of surface k's draw r, where the model's jump function
gives Delta (surface k's instances forced true minus forced false), and the
weight is N(eps_j) / |a_j|. A full-rank guide's parameters are mu then L's
lower triangle row by row (as adam_kernels).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@njit(cache=True)
def _eps_coefficients(phi, sigma, c, a, fullrank):
    """a = A^T c."""
    d = c.shape[0]
    if fullrank:
        for b in range(d):
            acc = 0.0
            for r in range(b, d):
                acc += phi[d + r * (r + 1) // 2 + b] * c[r]
            a[b] = acc
    else:
        for i in range(d):
            a[i] = c[i] * sigma[i]


@njit(cache=True)
def _mean_field_scales(phi, sigma, fullrank):
    """sigma = exp(omega) of a mean-field guide (once per step, not per surface)."""
    if not fullrank:
        d = sigma.shape[0]
        for i in range(d):
            sigma[i] = math.exp(phi[d + i])


@njit(cache=True)
def boundary_points(phi, eps, c0, C, nonzero, fullrank, thetas, weights, solved, a, sigma):
    """For each surface k and draw r of eps (K, m, d): the draw with its coordinate j
    solved onto the surface (solved[k, r]), its point (thetas[k m + r]) and its weight.
    nonzero[k]: the coordinates surface k reads (C[k, i] != 0), then -1s (surfaces read
    few coordinates: with a mean-field guide only those enter a, a0 and the solve);
    a, sigma: scratch (d,)."""
    K, m, d = eps.shape
    _mean_field_scales(phi, sigma, fullrank)
    for k in range(K):
        a0 = c0[k]
        for t in range(nonzero.shape[1]):
            i = nonzero[k, t]
            if i < 0:
                break
            a0 += C[k, i] * phi[i]
        if fullrank:
            _eps_coefficients(phi, sigma, C[k], a, fullrank)
            j = 0
            for i in range(1, d):
                if abs(a[i]) > abs(a[j]):
                    j = i
        else:
            j = nonzero[k, 0]
            for t in range(nonzero.shape[1]):
                i = nonzero[k, t]
                if i < 0:
                    break
                a[i] = C[k, i] * sigma[i]
                if abs(a[i]) > abs(a[j]):
                    j = i
        for r in range(m):
            e = solved[k, r]
            for i in range(d):
                e[i] = eps[k, r, i]
            rest = 0.0
            if fullrank:
                for i in range(d):
                    rest += e[i] * a[i]
            else:
                for t in range(nonzero.shape[1]):
                    i = nonzero[k, t]
                    if i < 0:
                        break
                    rest += e[i] * a[i]
            rest -= e[j] * a[j]
            e[j] = -(a0 + rest) / a[j]
            lane = k * m + r
            if fullrank:
                for i in range(d):
                    row = d + i * (i + 1) // 2
                    acc = 0.0
                    for b in range(i + 1):
                        acc += phi[row + b] * e[b]
                    thetas[lane, i] = phi[i] + acc
            else:
                for i in range(d):
                    thetas[lane, i] = phi[i] + sigma[i] * e[i]
            weights[lane] = math.exp(-0.5 * e[j] * e[j] - HALF_LOG_2PI) / abs(a[j])


def nonzero_coordinates(C) -> np.ndarray:
    """Per surface (row of C), the coordinates it reads, padded with -1 (boundary_points)."""
    rows = [np.flatnonzero(c) for c in C]
    out = np.full((len(rows), max(1, max(len(r) for r in rows))), -1, dtype=np.int64)
    for k, r in enumerate(rows):
        out[k, :len(r)] = r
    return out


@njit(cache=True)
def add_boundary_term(phi, solved, C, jumps, weights, g, fullrank, sigma):
    """g += the boundary term: over surfaces k and draws r, the jump (log p forced true -
    forced false) * weight * d theta / d phi . c, averaged over the m draws (a jump that
    is not finite adds nothing); sigma as boundary_points left it."""
    K, m, d = solved.shape
    for k in range(K):
        for r in range(m):
            lane = k * m + r
            delta = jumps[lane]
            if not math.isfinite(delta):
                continue
            dw = delta * weights[lane] / m
            e = solved[k, r]
            for i in range(d):
                g[i] += dw * C[k, i]
            if fullrank:
                for i in range(d):
                    row = d + i * (i + 1) // 2
                    for b in range(i + 1):
                        g[row + b] += dw * C[k, i] * e[b]
            else:
                for i in range(d):
                    g[d + i] += dw * C[k, i] * e[i] * sigma[i]


def boundary_scratch(K: int, m: int, d: int):
    """(thetas (K m, d), weights (K m,), solved (K, m, d), a (d,), sigma (d,)) for the
    kernels above."""
    return np.empty((K * m, d)), np.empty(K * m), np.empty((K, m, d)), np.empty(d), np.empty(d)
