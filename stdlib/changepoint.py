"""Exact marginalisation of M ordered changepoints over T steps (DESIGN §7).

``ell[..., t, j]`` is the log-likelihood contribution of step t (0-based
here) when it lies in segment j (0..M).  Placements are uniform over the
C(T-1, M) ways to choose 1 < tau_1 < ... < tau_M <= T.  Everything is in
log space; cells outside the band of reachable (t, j) stay -inf without
producing NaN.  The leading axes of ``ell`` are a batch.
"""
from __future__ import annotations

import numpy as np
from ppl.lazy_scipy import special


def log_num_placements(T: int, M: int) -> float:
    """log C(T-1, M)."""
    return float(special.gammaln(T) - special.gammaln(M + 1) - special.gammaln(T - M))


def forward(ell: np.ndarray, row_scaled: bool = False) -> np.ndarray:
    """alpha[..., t, j] = log sum over placements of steps 0..t ending in segment j (in
    ell's precision when that is above float64's: the tests' long double references).

    ``row_scaled``: each row less its largest cell instead, which keeps the
    differences within a row (all that the reverse sweep reads) but not alpha's
    size, which grows like T: adding ell to a cell of size |alpha| rounds it by
    |alpha| x 1e-16 (1e-12 at |alpha| = 1e4), adding it to a scaled cell by far less."""
    *batch, T, M1 = ell.shape
    alpha = np.full(ell.shape, -np.inf, dtype=np.result_type(ell, np.float64))
    alpha[..., 0, 0] = ell[..., 0, 0]
    if row_scaled:
        alpha[..., 0, 0] = np.where(np.isfinite(ell[..., 0, 0]), 0.0, ell[..., 0, 0])
    with np.errstate(invalid="ignore"):
        for t in range(1, T):
            prev = alpha[..., t - 1, :]
            stay = prev
            move = np.concatenate([np.full(tuple(batch) + (1,), -np.inf), prev[..., :-1]], axis=-1)
            row = ell[..., t, :] + np.logaddexp(stay, move)
            if row_scaled:
                top = row.max(axis=-1, keepdims=True)
                row = row - np.where(np.isfinite(top), top, 0.0)
            alpha[..., t, :] = row
    return alpha


def backward(ell: np.ndarray) -> np.ndarray:
    """beta[..., t, j] = log sum over continuations of steps t+1..T-1 given step t in segment j."""
    *batch, T, M1 = ell.shape
    beta = np.full(ell.shape, -np.inf, dtype=np.result_type(ell, np.float64))
    beta[..., T - 1, M1 - 1] = 0.0
    with np.errstate(invalid="ignore"):
        for t in range(T - 2, -1, -1):
            nxt = ell[..., t + 1, :] + beta[..., t + 1, :]
            move = np.concatenate([nxt[..., 1:], np.full(tuple(batch) + (1,), -np.inf)], axis=-1)
            beta[..., t, :] = np.logaddexp(nxt, move)
    return beta


def log_marginal(ell: np.ndarray) -> np.ndarray:
    """log p(y | theta) with tau summed out under its uniform prior."""
    T, M1 = ell.shape[-2:]
    M = M1 - 1
    if T - 1 < M:
        return np.full(ell.shape[:-2], -np.inf)
    alpha = forward(ell)
    return alpha[..., T - 1, M] - log_num_placements(T, M)


def segment_posteriors(ell: np.ndarray) -> np.ndarray:
    """d log_marginal / d ell[..., t, j] = P(step t in segment j | y, theta), zero off the band.

    Equal to exp(alpha + beta - alpha[T-1, M]) (DESIGN §7), computed as the reverse
    sweep of forward() (see _reverse_sweep), which keeps its relative precision
    where alpha + beta - total cancels terms as large as |alpha| (1e-11 to 1e-10
    lost at T = 1e4 with |alpha| ~ 1e4 to 1e5).  stdlib/native_changepoint.py is the
    same sweep compiled, over the unscaled alphas (so rounded by |alpha| x 1e-16)."""
    return _reverse_sweep(ell)[0]


def changepoint_probabilities(ell: np.ndarray) -> np.ndarray:
    """P(tau_k = t | y, theta) as an array [..., k, t] over 0-based step t (tau_k = t + 1 in 1-based time).

    Step t is the first of segment k when step t-1 is in segment k-1 and step t in
    segment k: the posterior that the reverse sweep moves from cell (t, k) to
    (t-1, k-1).  Read off the sweep, it has the segment posteriors' relative
    precision, where exp(alpha[t-1, k-1] + ell[t, k] + beta[t, k] - total) would
    cancel terms of size |alpha|."""
    moved = _reverse_sweep(ell)[1]
    return np.ascontiguousarray(np.moveaxis(moved[..., 1:], -1, -2))


def _reverse_sweep(ell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(g, moved): g[..., t, j] = P(step t in segment j | y, theta) and
    moved[..., t, j] = P(step t-1 in segment j-1, step t in segment j | y, theta)
    (zero at t = 0 and j = 0).

    The reverse sweep of forward(): each cell's posterior flows to its two
    predecessors in proportion to their shares of its logaddexp, 1 / (1 + e) and
    e / (1 + e) with e = exp(-|difference of their alphas|), from 1 at the last
    cell.  Only differences of neighbouring alphas enter, read off the row-scaled
    forward pass (rounded by their own size, not by |alpha|'s), and every term is
    a product of probabilities (no subtraction): on T = 1e4 the results stay within
    1e-13 relative of a long double evaluation (benchmarks/changepoint_precision.py)."""
    T, M1 = ell.shape[-2:]
    alpha = forward(ell, row_scaled=True)
    g = np.zeros(ell.shape)
    moved = np.zeros(ell.shape)
    if T - 1 < M1 - 1:
        return g, moved
    g[..., T - 1, M1 - 1] = np.where(np.isfinite(alpha[..., T - 1, M1 - 1]), 1.0, 0.0)
    with np.errstate(invalid="ignore"):
        for t in range(T - 1, 0, -1):
            stay = alpha[..., t - 1, :]
            move = np.concatenate([np.full(stay.shape[:-1] + (1,), -np.inf), stay[..., :-1]], axis=-1)
            e = np.exp(-np.abs(move - stay))
            p_big = 1.0 / (1.0 + e)
            stay_big = ~(move > stay)
            dead = (stay == -np.inf) & (move == -np.inf)     # no mass reaches the cell
            p_stay = np.where(dead, 0.0, np.where(stay_big, p_big, e * p_big))
            p_move = np.where(dead, 0.0, np.where(stay_big, e * p_big, p_big))
            moved[..., t, 1:] = g[..., t, 1:] * p_move[..., 1:]
            g[..., t - 1, :] += g[..., t, :] * p_stay
            g[..., t - 1, :-1] += moved[..., t, 1:]
    return g, moved


def sample(ell: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One exact draw of tau from p(tau | y, theta) per batch row, by backward sampling.

    Returns 1-based changepoints tau[..., k] (the first time step of segment k+2
    in 1-based indexing), shape (batch, M)."""
    ell = np.asarray(ell, dtype=float)
    S, T, M1 = ell.shape
    M = M1 - 1
    alpha = forward(ell)
    tau = np.zeros((S, M), dtype=np.int64)
    seg = np.full(S, M)                       # the last step is in the last segment
    rows = np.arange(S)
    for t in range(T - 1, 0, -1):
        # step t is in segment seg; step t-1 was in seg (stay) or seg-1 (switch at t)
        stay = alpha[rows, t - 1, seg]
        move = np.where(seg > 0, alpha[rows, t - 1, np.maximum(seg - 1, 0)], -np.inf)
        with np.errstate(invalid="ignore"):
            p_move = np.exp(move - np.logaddexp(stay, move))
        p_move = np.where(np.isfinite(p_move), p_move, 0.0)
        switch = (seg > 0) & (rng.random(S) < p_move)
        tau[rows[switch], seg[switch] - 1] = t + 1        # 0-based step t is time t + 1
        seg = seg - switch
    return tau
