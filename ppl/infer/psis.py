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


def pareto_k(log_ratios: np.ndarray) -> float:
    """k-hat of the importance ratios exp(log_ratios); nan if too few finite draws."""
    lr = np.asarray(log_ratios, dtype=float)
    lr = lr[np.isfinite(lr)]
    S = lr.size
    if S < 10:
        return float("nan")
    M = int(min(0.2 * S, 3 * np.sqrt(S)))
    lr = np.sort(lr - lr.max())
    tail = lr[-M:]
    cutoff = lr[-M - 1]
    exceed = np.exp(tail) - np.exp(cutoff)
    if np.all(exceed <= 0):
        return float("nan")
    k, _ = gpd_fit(exceed[exceed > 0])
    return k
