"""Variational families on the unconstrained space.

Both are Gaussian and reparameterised as theta = mu + scale(eps), eps ~ N(0, I).
The ELBO is written E_q[log p(theta)] + H(q) with the entropy in closed form,
so only log p needs samples.  Parameters are packed in one flat vector
``phi`` for the optimiser.
"""
from __future__ import annotations

import numpy as np

LOG_2PI = np.log(2.0 * np.pi)


class MeanField:
    """q = N(mu, diag(sigma^2)), sigma = exp(omega) (Stan ADVI's parameterisation)."""

    name = "meanfield"

    def __init__(self, d: int):
        self.d = d
        self.n_params = 2 * d

    def init(self, mu0=None, omega0: float = 0.0) -> np.ndarray:
        mu = np.zeros(self.d) if mu0 is None else np.asarray(mu0, dtype=float)
        return np.concatenate([mu, np.full(self.d, omega0)])

    def unpack(self, phi):
        return phi[:self.d], phi[self.d:]

    def mean(self, phi):
        return phi[:self.d]

    def scale_diag(self, phi):
        return np.exp(phi[self.d:])

    def transform(self, phi, eps):
        mu, omega = self.unpack(phi)
        return mu + np.exp(omega) * eps

    def entropy(self, phi) -> float:
        return float(np.sum(phi[self.d:]) + 0.5 * self.d * (1.0 + LOG_2PI))

    def entropy_grad(self, phi):
        return np.concatenate([np.zeros(self.d), np.ones(self.d)])

    def log_q(self, phi, theta):
        mu, omega = self.unpack(phi)
        z = (theta - mu) / np.exp(omega)
        return -0.5 * np.sum(z * z, axis=-1) - np.sum(omega) - 0.5 * self.d * LOG_2PI

    def pathwise_grad(self, phi, eps, grad_theta):
        """d/dphi of mean over draws of f(mu + sigma eps), given grad_theta = df/dtheta (S, d)."""
        sigma = np.exp(phi[self.d:])
        return np.concatenate([grad_theta.mean(axis=0), (grad_theta * eps * sigma).mean(axis=0)])

    def score(self, phi, theta):
        """d/dphi log q(theta), per draw: (S, n_params)."""
        mu, omega = self.unpack(phi)
        sigma = np.exp(omega)
        z = (theta - mu) / sigma
        return np.concatenate([z / sigma, z * z - 1.0], axis=1)

    def describe(self, phi) -> dict:
        return {"mu": phi[:self.d].tolist(), "omega": phi[self.d:].tolist(),
                "sigma": np.exp(phi[self.d:]).tolist()}


class FullRank:
    """q = N(mu, L L^T) with L lower triangular (diagonal unconstrained, as Stan)."""

    name = "fullrank"

    def __init__(self, d: int):
        self.d = d
        self.tril = np.tril_indices(d)
        self.n_params = d + len(self.tril[0])

    def init(self, mu0=None, omega0: float = 0.0) -> np.ndarray:
        mu = np.zeros(self.d) if mu0 is None else np.asarray(mu0, dtype=float)
        L = np.eye(self.d) * np.exp(omega0)
        return np.concatenate([mu, L[self.tril]])

    def unpack(self, phi):
        L = np.zeros((self.d, self.d))
        L[self.tril] = phi[self.d:]
        return phi[:self.d], L

    def mean(self, phi):
        return phi[:self.d]

    def scale_diag(self, phi):
        _, L = self.unpack(phi)
        return np.sqrt(np.sum(L * L, axis=1))

    def transform(self, phi, eps):
        mu, L = self.unpack(phi)
        return mu + eps @ L.T

    def entropy(self, phi) -> float:
        _, L = self.unpack(phi)
        return float(np.sum(np.log(np.abs(np.diag(L)))) + 0.5 * self.d * (1.0 + LOG_2PI))

    def entropy_grad(self, phi):
        _, L = self.unpack(phi)
        G = np.diag(1.0 / np.diag(L))
        return np.concatenate([np.zeros(self.d), G[self.tril]])

    def log_q(self, phi, theta):
        mu, L = self.unpack(phi)
        from scipy.linalg import solve_triangular
        z = solve_triangular(L, (theta - mu).T, lower=True).T
        return -0.5 * np.sum(z * z, axis=-1) - np.sum(np.log(np.abs(np.diag(L)))) - 0.5 * self.d * LOG_2PI

    def pathwise_grad(self, phi, eps, grad_theta):
        # theta = mu + L eps: d/dL_ab = grad_theta_a * eps_b
        G = np.einsum("sa,sb->ab", grad_theta, eps) / eps.shape[0]
        return np.concatenate([grad_theta.mean(axis=0), G[self.tril]])

    def score(self, phi, theta):
        mu, L = self.unpack(phi)
        from scipy.linalg import solve_triangular
        z = solve_triangular(L, (theta - mu).T, lower=True).T            # eps
        Linv_t_z = solve_triangular(L.T, z.T, lower=False).T              # Sigma^-1 (theta - mu)
        # d log q / dL = L^-T z z^T ... = (Sigma^-1 (theta-mu)) eps^T - diag(1/L_ii)
        dL = np.einsum("sa,sb->sab", Linv_t_z, z) - np.diag(1.0 / np.diag(L))[None]
        return np.concatenate([Linv_t_z, dL[:, self.tril[0], self.tril[1]]], axis=1)

    def describe(self, phi) -> dict:
        mu, L = self.unpack(phi)
        return {"mu": mu.tolist(), "L": L.tolist()}


GUIDES = {"meanfield": MeanField, "fullrank": FullRank}
