"""The boundary term of Lee, Yu & Yang (NeurIPS 2018), DESIGN §6.

With theta = theta(eps; phi) and eps ~ N(0, I), a guard instance's surface
g(theta) = 0 is, in eps-space, s(eps; phi) = g(theta(eps; phi)) = 0.  Moving
phi moves the surface, and the ELBO changes by the flux of the density's
jump across it:

    dL/dphi (boundary) = int_S N(eps) Delta(theta) (ds/dphi) / |grad_eps s| dS
                       = E_{eps_-j ~ N} [ N(eps_j*) Delta (ds/dphi) / |ds/deps_j| ]

summed over the points eps_j* where the line through eps_-j along
coordinate j crosses the surface; Delta = log p(guard forced true) -
log p(forced false) there (log q is continuous), and ds/dphi = grad_theta g .
dtheta/dphi at fixed eps.  For an affine guard g = c0 + c.theta the crossing
is found in closed form and grad g = c; otherwise grad g is taken by central
differences and the crossings by a grid search plus bisection.

Instances whose affine surfaces coincide (the same condition written twice)
form one surface and are forced together: their jumps happen at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
GRID = np.linspace(-8.0, 8.0, 161)     # crossing search along one eps coordinate (general guards)


@dataclass
class Surface:
    """One boundary surface: the guard instances forced together on it."""
    keys: list                         # [(site id, loop key)]
    kind: str                          # 'affine' | 'monotone' | 'general'
    c0: float = 0.0
    c: np.ndarray = None               # affine coefficients (affine kind)
    site: int = 0
    line: int = 0
    measure_zero: bool = False
    notes: list = field(default_factory=list)

    def force(self, value: bool) -> dict:
        return {key: value for key in self.keys}


def build_surfaces(bm) -> list[Surface]:
    """Group the bound model's guard instances into boundary surfaces."""
    sites = {g.id: g for g in bm.guards}
    coeffs = bm.affine_coefficients()
    surfaces: dict = {}
    out: list[Surface] = []
    for inst in bm.guard_instances():
        g = sites[inst.site]
        key = (inst.site, inst.key)
        if g.measure_zero:
            continue
        if g.kind == "affine" and key in coeffs:
            c0, c = coeffs[key]
            nz = np.flatnonzero(c)
            if nz.size == 0:
                continue                      # constant on this instance: no surface
            scale = c[nz[0]]
            sig = (round(c0 / scale, 12), tuple(np.round(c / scale, 12)))
            if sig in surfaces:
                surfaces[sig].keys.append(key)
                continue
            s = Surface([key], "affine", c0, c, g.id, g.line)
            surfaces[sig] = s
            out.append(s)
        else:
            out.append(Surface([key], g.kind, site=g.id, line=g.line))
    return out


def _normal_logpdf(x):
    return -0.5 * x * x - LOG_SQRT_2PI


def _guard_value(bm, surface, thetas):
    """g at each row of thetas for this surface's first instance (NaN where not reached)."""
    trace = bm.guard_values(thetas)
    rec = trace.get(surface.keys[0])
    if rec is None:
        return np.full(thetas.shape[0], np.nan)
    return np.where(rec.reached, rec.g, np.nan)


def boundary_samples(bm, guide, phi, surface, eps, rng, fd_step=1e-6):
    """Boundary-term estimate for one surface from draws eps (m, d) of the other
    coordinates; returns (sum over crossings averaged over the m draws: (n_params,),
    number of density evaluations used)."""
    d = guide.d
    m = eps.shape[0]
    evals = 0
    if surface.kind == "affine":
        c0, c = surface.c0, surface.c
        # s(eps) = c0 + c.mu + (A^T c).eps with theta = mu + A eps (A = diag(sigma) or L)
        a = _eps_coefficients(guide, phi, c)
        j = int(np.argmax(np.abs(a)))
        a0 = c0 + c @ guide.mean(phi)
        e = eps.copy()
        rest = e @ a - e[:, j] * a[j]
        e[:, j] = -(a0 + rest) / a[j]
        theta = guide.transform(phi, e)
        lp_t = bm.log_density(theta, force=surface.force(True))
        lp_f = bm.log_density(theta, force=surface.force(False))
        evals += 2
        delta = lp_t - lp_f
        w = np.exp(_normal_logpdf(e[:, j])) / abs(a[j])
        grads = np.array([guide.pathwise_grad(phi, e[k:k + 1], c[None]) for k in range(m)])
        contrib = np.where(np.isfinite(delta), delta * w, 0.0)[:, None] * grads
        return contrib.mean(axis=0), evals
    # monotone / general: crossings along eps_j by a grid search, refined by bisection,
    # all draws at once (one batched evaluation per grid point set / bisection step)
    j = int(rng.integers(d)) if surface.kind == "general" else _monotone_coordinate(bm, guide, phi, surface)
    n_grid = GRID.size
    lines = np.repeat(eps[:, None, :], n_grid, axis=1)
    lines[:, :, j] = GRID[None, :]
    gv = _guard_value(bm, surface, guide.transform(phi, lines.reshape(-1, d))).reshape(m, n_grid)
    evals += 1
    ok = np.isfinite(gv[:, :-1]) & np.isfinite(gv[:, 1:]) & (np.sign(gv[:, :-1]) != np.sign(gv[:, 1:]))
    rows, cols = np.nonzero(ok)
    if rows.size == 0:
        return np.zeros(guide.n_params), evals
    lo, hi = GRID[cols].copy(), GRID[cols + 1].copy()
    g_lo = gv[rows, cols]
    base = eps[rows].copy()
    for _ in range(60):                      # bisection to ~16/2^60: far below float spacing
        mid = 0.5 * (lo + hi)
        base[:, j] = mid
        g_mid = _guard_value(bm, surface, guide.transform(phi, base))
        evals += 1
        same = np.sign(g_mid) == np.sign(g_lo)
        lo, g_lo = np.where(same, mid, lo), np.where(same, g_mid, g_lo)
        hi = np.where(same, hi, mid)
    base[:, j] = 0.5 * (lo + hi)
    theta = guide.transform(phi, base)
    n = theta.shape[0]
    pts = np.concatenate([theta[:, None, :] + fd_step * np.eye(d)[None], theta[:, None, :] - fd_step * np.eye(d)[None]],
                         axis=1).reshape(-1, d)
    gfd = _guard_value(bm, surface, pts).reshape(n, 2, d)
    grad_g = (gfd[:, 0, :] - gfd[:, 1, :]) / (2 * fd_step)
    ds_deps_j = np.array([_eps_coefficients(guide, phi, gg)[j] for gg in grad_g])
    delta = bm.log_density(theta, force=surface.force(True)) - bm.log_density(theta, force=surface.force(False))
    evals += 3
    w = np.exp(_normal_logpdf(base[:, j])) / np.abs(ds_deps_j)
    good = np.isfinite(delta) & np.isfinite(w) & (ds_deps_j != 0)
    total = np.zeros(guide.n_params)
    for k in np.flatnonzero(good):
        total += delta[k] * w[k] * guide.pathwise_grad(phi, base[k:k + 1], grad_g[k:k + 1])
    return total / m, evals


def affine_boundary_batch(bm, guide, phi, surfaces, eps):
    """Sum of the boundary terms of several affine surfaces, eps (K, m, d), from one batched
    evaluation of the jumps (draws k m .. k m + m - 1 force surface k's instances)."""
    K, m, d = eps.shape
    points, weights, grads = [], [], []
    for s, e in zip(surfaces, eps):
        a = _eps_coefficients(guide, phi, s.c)
        j = int(np.argmax(np.abs(a)))
        a0 = s.c0 + s.c @ guide.mean(phi)
        e = e.copy()
        e[:, j] = -(a0 + e @ a - e[:, j] * a[j]) / a[j]
        points.append(guide.transform(phi, e))
        weights.append(np.exp(_normal_logpdf(e[:, j])) / abs(a[j]))
        grads.append(np.array([guide.pathwise_grad(phi, e[k:k + 1], s.c[None]) for k in range(m)]))
    forced = {}
    for i, s in enumerate(surfaces):
        member = np.zeros(K * m, dtype=bool)
        member[i * m:(i + 1) * m] = True
        for key in s.keys:
            forced[key] = member
    delta = bm.log_density_jumps(np.concatenate(points), forced)
    w = np.concatenate(weights)
    contrib = np.where(np.isfinite(delta), delta * w, 0.0)[:, None] * np.concatenate(grads)
    return contrib.reshape(K, m, -1).mean(axis=1).sum(axis=0), 1


def _eps_coefficients(guide, phi, c):
    """Coefficients of s in eps: A^T c (A = diag(sigma) for mean-field, L for full-rank)."""
    if guide.name == "meanfield":
        return c * guide.scale_diag(phi)
    _, L = guide.unpack(phi)
    return L.T @ c


def _fd_gradient(bm, surface, theta, h):
    d = theta.size
    pts = np.vstack([theta + h * np.eye(d), theta - h * np.eye(d)])
    g = _guard_value(bm, surface, pts)
    return (g[:d] - g[d:]) / (2 * h)


def _monotone_coordinate(bm, guide, phi, surface):
    """A coordinate the guard depends on (the one with the largest |ds/deps_j| at the mean)."""
    theta = guide.mean(phi)[None]
    grad_g = _fd_gradient(bm, surface, theta[0], 1e-6)
    a = _eps_coefficients(guide, phi, np.nan_to_num(grad_g))
    return int(np.argmax(np.abs(a)))
