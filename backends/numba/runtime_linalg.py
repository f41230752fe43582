"""Run-time kernels of generated native code for the batched data-matrix products
(backends/numba/batched.py): a batch of S draws times a data matrix, and the
adjoint back, over the transposed data matrix ``xt`` (K x N) in column blocks
that stay in L2, two draws at a time (each load of ``xt`` serves both) and four
rows of ``xt`` at a time.  Written out rather than calling BLAS: a
multithreaded BLAS spins its threads between the calls of a VI loop, which on
a shared machine costs far more than it saves.
"""
from __future__ import annotations

import numpy as np
from numba import njit

FASTMATH = {"contract", "reassoc"}
BLOCK = 512     # columns per block


@njit(cache=True, fastmath=FASTMATH)
def rows_times(u, xt, out):
    """out[s, :] = u[s, :] @ xt  (u: S x K, xt: K x N, out: S x N)."""
    S, K = u.shape
    N = xt.shape[1]
    spare = np.empty(BLOCK)     # the second row of an odd S's last pair
    for n0 in range(0, N, BLOCK):
        n1 = min(n0 + BLOCK, N)
        m = n1 - n0
        for s in range(0, S, 2):
            t = min(s + 1, S - 1)
            p = out[s, n0:n1]
            q = out[t, n0:n1] if t != s else spare[:m]
            p[:] = 0.0
            q[:] = 0.0
            k = 0
            while k + 4 <= K:
                a0, a1, a2, a3 = u[s, k], u[s, k + 1], u[s, k + 2], u[s, k + 3]
                b0, b1, b2, b3 = u[t, k], u[t, k + 1], u[t, k + 2], u[t, k + 3]
                x0, x1, x2, x3 = xt[k, n0:n1], xt[k + 1, n0:n1], xt[k + 2, n0:n1], xt[k + 3, n0:n1]
                for n in range(m):
                    y0, y1, y2, y3 = x0[n], x1[n], x2[n], x3[n]
                    p[n] += (a0 * y0 + a1 * y1) + (a2 * y2 + a3 * y3)
                    q[n] += (b0 * y0 + b1 * y1) + (b2 * y2 + b3 * y3)
                k += 4
            while k < K:
                a, b = u[s, k], u[t, k]
                x = xt[k, n0:n1]
                for n in range(m):
                    p[n] += a * x[n]
                    q[n] += b * x[n]
                k += 1


@njit(cache=True, fastmath=FASTMATH)
def add_rows_times_transpose(g, xt, out):
    """out[s, :] += g[s, :] @ xt.T  (g: S x N, xt: K x N, out: S x K)."""
    S, N = g.shape
    K = xt.shape[0]
    for n0 in range(0, N, BLOCK):
        n1 = min(n0 + BLOCK, N)
        m = n1 - n0
        for s in range(0, S, 2):
            t = min(s + 1, S - 1)
            gs, gt = g[s, n0:n1], g[t, n0:n1]
            k = 0
            while k + 4 <= K:
                x0, x1, x2, x3 = xt[k, n0:n1], xt[k + 1, n0:n1], xt[k + 2, n0:n1], xt[k + 3, n0:n1]
                c0 = c1 = c2 = c3 = 0.0
                d0 = d1 = d2 = d3 = 0.0
                for n in range(m):
                    y0, y1, y2, y3 = x0[n], x1[n], x2[n], x3[n]
                    c0 += gs[n] * y0
                    c1 += gs[n] * y1
                    c2 += gs[n] * y2
                    c3 += gs[n] * y3
                    d0 += gt[n] * y0
                    d1 += gt[n] * y1
                    d2 += gt[n] * y2
                    d3 += gt[n] * y3
                out[s, k] += c0
                out[s, k + 1] += c1
                out[s, k + 2] += c2
                out[s, k + 3] += c3
                if t != s:
                    out[t, k] += d0
                    out[t, k + 1] += d1
                    out[t, k + 2] += d2
                    out[t, k + 3] += d3
                k += 4
            while k < K:
                x = xt[k, n0:n1]
                c = d = 0.0
                for n in range(m):
                    c += gs[n] * x[n]
                    d += gt[n] * x[n]
                out[s, k] += c
                if t != s:
                    out[t, k] += d
                k += 1
