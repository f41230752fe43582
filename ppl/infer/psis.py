"""Pareto-k diagnostic of importance ratios (Vehtari, Simpson, Gelman, Yao & Gabry,
"Pareto smoothed importance sampling", 2015/2024): fit a generalized Pareto
distribution to the largest ratios; k > 0.7 means the ratios' tail is too heavy
for the variational approximation to be trusted (as Stan's Pathfinder warns)."""
from __future__ import annotations

import numpy as np


def gpd_fit(x: np.ndarray) -> tuple[float, float]:
    """Zhang & Stephens (2009) estimate of (k, sigma) for exceedances x > 0,
    with the weakly informative prior on k of Vehtari et al."""
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    prior = 3.0
    m = 30 + int(np.sqrt(n))
    b = 1.0 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))
    b = b / (prior * x[int(n / 4 + 0.5) - 1]) + 1.0 / x[-1]
    k = np.log1p(-b[:, None] * x).mean(axis=1)
    len_ = n * (np.log(-b / k) - k - 1.0)
    w = 1.0 / np.exp(len_ - len_[:, None]).sum(axis=1)
    b = np.sum(b * w)
    k = np.log1p(-b * x).mean()
    sigma = -k / b
    k = (n * k + 10 * 0.5) / (n + 10)      # shrink towards 0.5
    return float(k), float(sigma)


def psis_weights(log_ratios: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed normalised importance weights and k-hat.

    The largest M ratios are replaced by the expected order statistics of the
    fitted generalized Pareto tail (capped at the largest raw ratio), as in
    Vehtari et al.; non-finite ratios get weight 0."""
    lr = np.asarray(log_ratios, dtype=float)
    finite = np.isfinite(lr)
    w = np.zeros_like(lr)
    if finite.sum() < 10:
        w[finite] = 1.0
        return w / max(w.sum(), 1.0), float("nan")
    x = lr[finite] - lr[finite].max()
    S = x.size
    M = int(min(0.2 * S, 3 * np.sqrt(S)))
    order = np.argsort(x)
    tail_idx = order[-M:]
    cutoff = x[order[-M - 1]]
    exceed = np.exp(x[tail_idx]) - np.exp(cutoff)
    k = float("nan")
    r = np.exp(x)
    if np.any(exceed > 0):
        k, sigma = gpd_fit(exceed[exceed > 0])
        if np.isfinite(k) and sigma > 0:
            p = (np.arange(1, M + 1) - 0.5) / M
            q = sigma / k * ((1.0 - p) ** (-k) - 1.0) if abs(k) > 1e-12 else -sigma * np.log1p(-p)
            r[tail_idx] = np.minimum(np.exp(cutoff) + q, 1.0)
    w[finite] = r / r.sum()
    return w, k
