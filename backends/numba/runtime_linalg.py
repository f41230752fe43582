"""Run-time kernels of generated native code for the batched data-matrix products
(backends/numba/batched.py): a batch of S draws times a data matrix, and the
adjoint back, as register-blocked loops over column blocks of the transposed
data matrix.  Written out rather than calling BLAS: a multithreaded BLAS spins
its threads between the calls of a VI loop, which on a shared machine costs
far more than it saves, and these loops run within 2x of single-threaded BLAS.
"""
from __future__ import annotations

from numba import njit

FASTMATH = {"contract", "reassoc"}
BLOCK = 512     # columns per block: the block of xt (K x BLOCK) stays in L2


@njit(cache=True, fastmath=FASTMATH)
def rows_times(u, xt, out):
    """out[s, :] = u[s, :] @ xt  (u: S x K, xt: K x N, out: S x N)."""
    S, K = u.shape
    N = xt.shape[1]
    for n0 in range(0, N, BLOCK):
        n1 = min(n0 + BLOCK, N)
        m = n1 - n0
        for s in range(S):
            p = out[s, n0:n1]
            p[:] = 0.0
            k = 0
            while k + 4 <= K:
                a0, a1, a2, a3 = u[s, k], u[s, k + 1], u[s, k + 2], u[s, k + 3]
                x0, x1, x2, x3 = xt[k, n0:n1], xt[k + 1, n0:n1], xt[k + 2, n0:n1], xt[k + 3, n0:n1]
                for n in range(m):
                    p[n] += (a0 * x0[n] + a1 * x1[n]) + (a2 * x2[n] + a3 * x3[n])
                k += 4
            while k < K:
                a = u[s, k]
                x = xt[k, n0:n1]
                for n in range(m):
                    p[n] += a * x[n]
                k += 1


@njit(cache=True, fastmath=FASTMATH)
def add_rows_times_transpose(g, xt, out):
    """out[s, :] += g[s, :] @ xt.T  (g: S x N, xt: K x N, out: S x K)."""
    S, N = g.shape
    K = xt.shape[0]
    for n0 in range(0, N, BLOCK):
        n1 = min(n0 + BLOCK, N)
        m = n1 - n0
        for s in range(S):
            gs = g[s, n0:n1]
            k = 0
            while k + 4 <= K:
                x0, x1, x2, x3 = xt[k, n0:n1], xt[k + 1, n0:n1], xt[k + 2, n0:n1], xt[k + 3, n0:n1]
                c0 = c1 = c2 = c3 = 0.0
                for n in range(m):
                    gn = gs[n]
                    c0 += gn * x0[n]
                    c1 += gn * x1[n]
                    c2 += gn * x2[n]
                    c3 += gn * x3[n]
                out[s, k] += c0
                out[s, k + 1] += c1
                out[s, k + 2] += c2
                out[s, k + 3] += c3
                k += 4
            while k < K:
                x = xt[k, n0:n1]
                c = 0.0
                for n in range(m):
                    c += gs[n] * x[n]
                out[s, k] += c
                k += 1
