"""Native form of the changepoint recursion (DESIGN §7), for the Numba backend.

The same mathematics as :mod:`ppl.stdlib.changepoint` (the numpy reference,
which the tests compare against), for one table ``ell[t, j]`` (T, M+1) or a
batch ``(S, T, M+1)``:

- the forward recursion in log space, ``alpha[t, j] = ell[t, j] +
  logaddexp(alpha[t-1, j], alpha[t-1, j-1])``, over the band of cells that
  lie on some placement (``M - (T-1-t) <= j <= t``) only, so O(M T); cells
  outside the band are never read.  Two -inf operands give -inf, not NaN.
- the gradient of the log marginal with respect to ``ell``, which is the
  segment posterior ``P(step t in segment j | y, theta) = exp(alpha + beta -
  alpha[T-1, M])``.  It is computed as the reverse sweep of the forward
  recursion: each forward cell records how its logaddexp ``s`` split between
  its two predecessors (``p_stay = exp(alpha[t-1, j] - s)``, ``p_move =
  exp(alpha[t-1, j-1] - s)``, both read off the one exponential the logaddexp
  computes anyway), and the posterior flows back as ``g[t-1, j] += g[t, j]
  p_stay[t, j]``, ``g[t-1, j-1] += g[t, j] p_move[t, j]`` from ``g[T-1, M] =
  1``.  ``g`` is a probability in [0, 1], so this backward pass needs neither
  logs nor exponentials and cannot overflow; it equals the log-space beta
  formula of DESIGN §7 cell by cell (``g = exp(alpha + beta - total)``), at a
  third of the transcendental calls (one exp and one log per cell in all), and
  without that formula's cancellation of |alpha|-sized terms
  (``changepoint.segment_posteriors`` is the same sweep in numpy).
  The splits are kept in the output array itself (each row is read once
  more, then overwritten by its posteriors), so a gradient allocates nothing
  of size T.

A table with no placement of finite mass (``T - 1 < M``, or every band path
through a -inf cell) has log marginal -inf and gradient zero.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def log_num_placements(T, M):
    """log C(T-1, M), the number of placements of M changepoints in T steps."""
    return math.lgamma(T) - math.lgamma(M + 1) - math.lgamma(T - M)


# A predecessor smaller than the other by more than this adds less than
# exp(-40) = 4e-18 to the cell (below half an ulp of 1) and gets that share of
# its posterior: both are taken as 0, which skips the exp and the log where one
# predecessor dominates (most cells of a long series).
NEGLIGIBLE_GAP = -40.0


@njit(cache=True)
def _log1p_unit(e):
    """log1p(e) for e in [0, 1] to a few ulps, with one log (libm's log1p costs
    about three times as much, and this is the inner loop): the rounding of
    1 + e cancels between log(w) and w - 1."""
    w = 1.0 + e
    if w == 1.0:
        return e
    return math.log(w) * e / (w - 1.0)


@njit(cache=True)
def _forward(ell, splits):
    """The forward recursion over the band, two rows of alpha at a time.  With
    ``splits`` (T, M+1) (not (0, M+1)) each band cell t >= 1 also records its
    split as the ratio e = exp(smaller - larger predecessor) in [0, 1], signed
    by which predecessor is larger: +e when it is the stay (t-1, j), -e when it
    is the move (t-1, j-1).  Returns alpha[T-1, M]."""
    T, J = ell.shape
    M = J - 1
    record = splits.shape[0] > 0
    prev = np.full(J, -math.inf)
    cur = np.full(J, -math.inf)
    prev[0] = ell[0, 0]
    for t in range(1, T):
        lo = max(0, M - (T - 1 - t))
        hi = min(t, M)
        for j in range(lo, hi + 1):
            # row t-1's band holds j - 1 whenever j > 0, and j whenever j < t
            stay = prev[j] if j < t else -math.inf
            move = prev[j - 1] if j > 0 else -math.inf
            stay_big = stay >= move
            big = stay if stay_big else move
            if big == -math.inf:
                # no mass reaches this cell: its posterior will be 0, so any split does
                cur[j] = -math.inf
                if record:
                    splits[t, j] = 0.0
                continue
            gap = (move if stay_big else stay) - big
            if gap < NEGLIGIBLE_GAP:
                e = 0.0
                cur[j] = ell[t, j] + big
            else:
                e = math.exp(gap)
                cur[j] = ell[t, j] + big + _log1p_unit(e)
            if record:
                splits[t, j] = e if stay_big else -e
        prev, cur = cur, prev           # cells of a row outside its band are never read
    return prev[M]


@njit(cache=True)
def log_marginal(ell):
    """log p(y | theta) with the changepoints summed out under their uniform prior."""
    T, J = ell.shape
    M = J - 1
    if T - 1 < M:
        return -math.inf
    return _forward(ell, np.empty((0, J))) - log_num_placements(T, M)


@njit(cache=True)
def log_marginal_gradient(ell, grad):
    """The log marginal, with d log marginal / d ell[t, j] (the segment
    posteriors, zero outside the band) written into ``grad`` (T, M+1)."""
    T, J = ell.shape
    M = J - 1
    if T - 1 < M:
        grad[:, :] = 0.0
        return -math.inf
    total = _forward(ell, grad)
    if not math.isfinite(total):
        grad[:, :] = 0.0
        return total - log_num_placements(T, M)
    g = np.zeros(J)             # posteriors of row t
    g_prev = np.zeros(J)        # row t-1, accumulated from row t
    g[M] = 1.0
    for t in range(T - 1, 0, -1):
        lo = max(0, M - (T - 1 - t))
        hi = min(t, M)
        g_prev[:] = 0.0
        for j in range(lo, hi + 1):
            split = grad[t, j]
            e = abs(split)
            p_big = 1.0 / (1.0 + e)
            p_small = e * p_big
            # the sign bit, not split < 0: a split of -0.0 means the move is larger
            stay_big = math.copysign(1.0, split) > 0.0
            if j < t:
                g_prev[j] += g[j] * (p_big if stay_big else p_small)
            if j > 0:
                g_prev[j - 1] += g[j] * (p_small if stay_big else p_big)
        for j in range(J):
            grad[t, j] = g[j]
        g, g_prev = g_prev, g
    for j in range(J):
        grad[0, j] = g[j]
    return total - log_num_placements(T, M)


@njit(cache=True)
def log_marginal_batch(ells):
    """log_marginal of each table of a batch (S, T, M+1)."""
    out = np.empty(ells.shape[0])
    for s in range(ells.shape[0]):
        out[s] = log_marginal(ells[s])
    return out


@njit(cache=True)
def log_marginal_gradient_batch(ells):
    """(log marginals (S,), segment posteriors (S, T, M+1)) of a batch of tables."""
    out = np.empty(ells.shape[0])
    grads = np.empty(ells.shape)
    for s in range(ells.shape[0]):
        out[s] = log_marginal_gradient(ells[s], grads[s])
    return out, grads
