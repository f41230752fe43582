"""Numba kernels of the compiled VI loop (ppl.infer.compiled_loop): the Gaussian guides'
draws, entropy and ELBO gradient, and the Adam step.

Each mirrors its numpy counterpart (guides.MeanField / guides.FullRank,
estimators.Reparam, optimize.AdamState.step) operation for operation, in the
same order where numpy's order is fixed (a mean over draws adds the draws in
turn), so the two loops differ by rounding only.  A full-rank guide's
parameters are mu then L's lower triangle row by row (numpy's tril_indices).
"""
from __future__ import annotations

import math

from numba import njit

HALF_LOG_2PI_E = 0.5 * (1.0 + math.log(2.0 * math.pi))


@njit(cache=True)
def guide_draws(phi, eps, theta, fullrank):
    """theta[s] = mu + scale(eps[s]): exp(omega) * eps (mean-field) or L eps (full-rank)."""
    S, d = eps.shape
    if fullrank:
        for s in range(S):
            for a in range(d):
                row = d + a * (a + 1) // 2
                acc = 0.0
                for b in range(a + 1):
                    acc += phi[row + b] * eps[s, b]
                theta[s, a] = phi[a] + acc
    else:
        for j in range(d):
            sigma = math.exp(phi[d + j])
            for s in range(S):
                theta[s, j] = phi[j] + sigma * eps[s, j]


@njit(cache=True)
def entropy(phi, d, fullrank):
    total = 0.0
    if fullrank:
        for a in range(d):
            total += math.log(abs(phi[d + a * (a + 1) // 2 + a]))
    else:
        for j in range(d):
            total += phi[d + j]
    return total + HALF_LOG_2PI_E * d


@njit(cache=True)
def elbo_gradient(phi, eps, grad, g, fullrank):
    """g = d/dphi of the mean over draws of log p(theta[s]) (grad[s] = its gradient in theta)
    plus the entropy's gradient."""
    S, d = eps.shape
    for a in range(d):
        acc = 0.0
        for s in range(S):
            acc += grad[s, a]
        g[a] = acc / S
    if fullrank:
        for a in range(d):
            row = d + a * (a + 1) // 2
            for b in range(a + 1):
                acc = 0.0
                for s in range(S):
                    acc += grad[s, a] * eps[s, b]
                g[row + b] = acc / S + (1.0 / phi[row + b] if a == b else 0.0)
    else:
        for j in range(d):
            sigma = math.exp(phi[d + j])
            acc = 0.0
            for s in range(S):
                acc += grad[s, j] * eps[s, j] * sigma
            g[d + j] = acc / S + 1.0


@njit(cache=True)
def adam_step(phi, m, v, g, t, lr_scale, hyper, scratch):
    """Adam's ascent step t + 1 from gradient g, in place; False (nothing changed) when the
    new parameters would not be finite.  hyper = (lr, decay, beta1, beta2, eps)."""
    lr0, decay, beta1, beta2, adam_eps = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    P = phi.shape[0]
    m_new, v_new, phi_new = scratch[0], scratch[1], scratch[2]
    c1 = 1 - beta1 ** float(t + 1)
    c2 = 1 - beta2 ** float(t + 1)
    lr = lr0 * lr_scale / math.sqrt(1.0 + (t + 1) / decay)
    for i in range(P):
        m_new[i] = beta1 * m[i] + (1 - beta1) * g[i]
        v_new[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
        phi_new[i] = phi[i] + lr * (m_new[i] / c1) / (math.sqrt(v_new[i] / c2) + adam_eps)
        if not math.isfinite(phi_new[i]):
            return False
    for i in range(P):      # element loops, not slice assignments: far quicker to compile
        m[i] = m_new[i]
        v[i] = v_new[i]
        phi[i] = phi_new[i]
    return True


@njit(cache=True)
def record(history, k, phi):
    """history[k] = phi, when a history is kept (it has rows)."""
    if history.shape[0] > 0:
        for i in range(phi.shape[0]):
            history[k, i] = phi[i]


@njit(cache=True)
def elbo_and_gradient(phi, eps, lp, grad, g, fullrank):
    """The ELBO estimate from the draws' log densities lp, and its gradient into g (the
    draws' gradients grad through the guide, plus the entropy's)."""
    S, d = eps.shape
    total = 0.0
    for s in range(S):
        total += lp[s]
    elbo_gradient(phi, eps, grad, g, fullrank)
    return total / S + entropy(phi, d, fullrank)


@njit(cache=True)
def step_or_reject(phi, m, v, counts, scale, elbo, g, scratch, hyper):
    """The update of (phi, m, v) from the ELBO estimate and its gradient g when both are
    finite and the step is; otherwise the step size is halved.  counts = [steps,
    consecutive failures, rejected].  Returns the ELBO estimate, NaN for a rejected step."""
    ok = math.isfinite(elbo)
    for i in range(g.shape[0]):
        ok = ok and math.isfinite(g[i])
    if ok:
        ok = adam_step(phi, m, v, g, counts[0], scale[0], hyper, scratch)
    if ok:
        counts[0] += 1
        counts[1] = 0
        return elbo
    counts[1] += 1
    counts[2] += 1
    scale[0] *= 0.5
    return math.nan
