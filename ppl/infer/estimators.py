"""ELBO gradient estimators (DESIGN §6).

Every estimator returns (elbo estimate, gradient in phi, number of density
evaluations).  The ELBO is E_q[log p] + H(q), H in closed form.

* ``reparam``: pathwise gradient of log p with branches frozen (the AD
  gradient is the derivative of the branch taken).  Biased when the density
  jumps with the parameters.
* ``score``: (log p - log q - b) grad log q, b a running baseline from
  earlier steps (so it stays unbiased).
* ``boundary``: ``reparam`` plus the boundary term of each guard surface
  (ppl.infer.boundary), with K surfaces subsampled per step and scaled.
"""
from __future__ import annotations

import numpy as np

from .boundary import affine_boundary_batch, boundary_samples


class Reparam:
    name = "reparam"

    def __init__(self, bm, guide, samples: int):
        self.bm, self.guide, self.samples = bm, guide, samples

    def __call__(self, phi, rng):
        return self.at(phi, rng.standard_normal((self.samples, self.guide.d)))

    def at(self, phi, eps):
        """The estimate from the given standard normal draws ``eps`` (samples, d)."""
        theta = self.guide.transform(phi, eps)
        lp, grad = self.bm.log_density_gradient(theta)
        elbo = float(np.mean(lp)) + self.guide.entropy(phi)
        g = self.guide.pathwise_grad(phi, eps, grad) + self.guide.entropy_grad(phi)
        return elbo, g, 1


class StratifiedReparam:
    """``reparam`` for the mixture guide: ceil(samples / K) draws from each of its K
    components per step (see guides.MeanFieldMixture.stratified_elbo_grad)."""
    name = "reparam"

    def __init__(self, bm, guide, samples: int):
        self.bm, self.guide = bm, guide
        self.per_component = -(-samples // guide.K)

    def __call__(self, phi, rng):
        eps = rng.standard_normal((self.guide.K, self.per_component, self.guide.d))
        theta = self.guide.stratified_draws(phi, eps)
        lp, grad = self.bm.log_density_gradient(theta)
        elbo, g = self.guide.stratified_elbo_grad(phi, eps, theta, np.asarray(lp, dtype=float), grad)
        return elbo, g, 1


class Score:
    name = "score"

    def __init__(self, bm, guide, samples: int):
        self.bm, self.guide, self.samples = bm, guide, samples
        self.baseline = None

    def __call__(self, phi, rng):
        eps = rng.standard_normal((self.samples, self.guide.d))
        theta = self.guide.transform(phi, eps)
        lp = self.bm.log_density(theta)
        f = lp - self.guide.log_q(phi, theta)
        b = 0.0 if self.baseline is None else self.baseline
        g = ((f - b)[:, None] * self.guide.score(phi, theta)).mean(axis=0)
        elbo = float(np.mean(lp)) + self.guide.entropy(phi)
        if np.all(np.isfinite(f)):
            m = float(np.mean(f))
            self.baseline = m if self.baseline is None else 0.9 * self.baseline + 0.1 * m
        return elbo, g, 1


class Boundary(Reparam):
    name = "boundary"

    def __init__(self, bm, guide, samples: int, surfaces, surfaces_per_step: int = 0,
                 boundary_samples_per_surface: int = 1):
        super().__init__(bm, guide, samples)
        self.surfaces = surfaces
        self.k = surfaces_per_step if surfaces_per_step > 0 else len(surfaces)
        self.m = boundary_samples_per_surface
        # every surface affine and visited each step: one block of draws per step (the
        # compiled loop's case, ppl.infer.compiled_loop)
        self.every_surface_affine = bool(surfaces) and self.k >= len(surfaces) and \
            all(s.kind == "affine" for s in surfaces)

    def __call__(self, phi, rng):
        if self.every_surface_affine:
            eps = rng.standard_normal((self.samples, self.guide.d))
            return self.at_all_affine(phi, eps, rng.standard_normal((len(self.surfaces), self.m, self.guide.d)))
        elbo, g, evals = super().__call__(phi, rng)
        b, more = self.boundary_term(phi, rng)
        return elbo, g + b, evals + more

    def at_all_affine(self, phi, eps, eps_boundary):
        """The estimate from the draws eps (samples, d) and eps_boundary (surfaces, m, d) when
        every surface is affine and visited."""
        elbo, g, evals = super().at(phi, eps)
        b, more = affine_boundary_batch(self.bm, self.guide, phi, self.surfaces, eps_boundary)
        return elbo, g + b, evals + more

    def boundary_term(self, phi, rng):
        n = len(self.surfaces)
        if n == 0:
            return np.zeros(self.guide.n_params), 0
        k = min(self.k, n)
        chosen = rng.choice(n, size=k, replace=False) if k < n else np.arange(n)
        total = np.zeros(self.guide.n_params)
        evals = 0
        affine = [self.surfaces[i] for i in chosen if self.surfaces[i].kind == "affine"]
        if affine:     # all affine surfaces in one batched evaluation
            eps = rng.standard_normal((len(affine), self.m, self.guide.d))
            b, e = affine_boundary_batch(self.bm, self.guide, phi, affine, eps)
            total += b
            evals += e
        for i in chosen:
            if self.surfaces[i].kind == "affine":
                continue
            eps = rng.standard_normal((self.m, self.guide.d))
            b, e = boundary_samples(self.bm, self.guide, phi, self.surfaces[i], eps, rng)
            total += b
            evals += e
        return total * (n / k), evals


ESTIMATORS = {"reparam": Reparam, "score": Score, "boundary": Boundary}
