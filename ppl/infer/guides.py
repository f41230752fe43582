"""Variational families on the unconstrained space.

The Gaussian ones are reparameterised as theta = mu + scale(eps), eps ~ N(0, I);
their ELBO is written E_q[log p(theta)] + H(q) with the entropy in closed form,
so only log p needs samples.  The mixture of mean-field Gaussians has no
closed-form entropy: its ELBO is E_q[log p - log q], estimated per component
(see MeanFieldMixture).  Parameters are packed in one flat vector ``phi`` for
the optimiser.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, softmax

LOG_2PI = np.log(2.0 * np.pi)


class _Gaussian:
    """What both Gaussian guides share: draws are transform(eps), the entropy is closed-form."""

    def draw(self, phi, rng, n: int):
        return self.transform(phi, rng.standard_normal((n, self.d)))

    def entropy_estimate(self, phi, theta) -> float:
        return self.entropy(phi)


class MeanField(_Gaussian):
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


class FullRank(_Gaussian):
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


class MeanFieldMixture:
    """q = sum_k pi_k N(mu_k, diag(sigma_k^2)), pi = softmax(alpha), sigma_k = exp(omega_k).

    For posteriors a single Gaussian cannot hold: several modes, or a skewed
    marginal (the rates of a model whose changepoints are summed out are a
    mixture over placements).  The ELBO sum_k pi_k E_{q_k}[log p - log q] is
    estimated with the same number of draws from every component (stratified,
    so no discrete sampling enters the gradient) and differentiated pathwise
    within each component, plus the softmax derivative of the weights.  The
    term E_q[d/dphi log q] is zero in expectation and left out, which lowers
    the variance near the optimum (as "sticking the landing").  phi packs
    alpha (K), mu (K, d), omega (K, d)."""

    name = "mixture"

    def __init__(self, d: int, components: int = 3):
        if components < 1:
            raise ValueError(f"a mixture guide needs at least one component, not {components}")
        self.d, self.K = d, components
        self.n_params = components * (1 + 2 * d)

    def init(self, mu0=None, omega0: float = 0.0) -> np.ndarray:
        """mu0: (K, d) distinct starting means (identical components would stay identical)."""
        mu = np.zeros((self.K, self.d)) if mu0 is None else np.broadcast_to(mu0, (self.K, self.d))
        return np.concatenate([np.zeros(self.K), np.ravel(mu), np.full(self.K * self.d, omega0)])

    def unpack(self, phi):
        K, d = self.K, self.d
        return phi[:K], phi[K:K + K * d].reshape(K, d), phi[K + K * d:].reshape(K, d)

    def weights(self, phi):
        return softmax(phi[:self.K])

    def mean(self, phi):
        _, mu, _ = self.unpack(phi)
        return self.weights(phi) @ mu

    def scale_diag(self, phi):
        _, mu, omega = self.unpack(phi)
        pi, m = self.weights(phi), self.mean(phi)
        return np.sqrt(pi @ (np.exp(2 * omega) + (mu - m) ** 2))

    def draw(self, phi, rng, n: int):
        _, mu, omega = self.unpack(phi)
        k = rng.choice(self.K, size=n, p=self.weights(phi))
        return mu[k] + np.exp(omega[k]) * rng.standard_normal((n, self.d))

    def _log_components(self, phi, theta):
        """log pi_k + log N(theta; mu_k, sigma_k): (S, K)."""
        alpha, mu, omega = self.unpack(phi)
        z = (theta[:, None, :] - mu[None]) / np.exp(omega)[None]
        return (alpha - logsumexp(alpha))[None] - 0.5 * np.sum(z * z, axis=-1) \
            - np.sum(omega, axis=-1)[None] - 0.5 * self.d * LOG_2PI

    def log_q(self, phi, theta):
        return logsumexp(self._log_components(phi, np.atleast_2d(theta)), axis=1)

    def entropy_estimate(self, phi, theta) -> float:
        return float(-np.mean(self.log_q(phi, theta)))

    def stratified_draws(self, phi, eps):
        """eps (K, S, d) -> theta (K*S, d): S draws from each component."""
        _, mu, omega = self.unpack(phi)
        return (mu[:, None, :] + np.exp(omega)[:, None, :] * eps).reshape(-1, self.d)

    def stratified_elbo_grad(self, phi, eps, theta, log_p, grad_log_p):
        """The ELBO estimate and its gradient in phi from S draws per component
        (theta = stratified_draws(phi, eps), log p and its gradient there)."""
        K, S, d = eps.shape
        _, mu, omega = self.unpack(phi)
        sigma = np.exp(omega)
        a = self._log_components(phi, theta)
        log_q = logsumexp(a, axis=1)
        resp = np.exp(a - log_q[:, None])                                   # (K*S, K)
        grad_log_q = -np.einsum("sk,skd->sd", resp, (theta[:, None, :] - mu[None]) / (sigma ** 2)[None])
        f = (log_p - log_q).reshape(K, S)
        g_theta = (grad_log_p - grad_log_q).reshape(K, S, d)
        pi = self.weights(phi)
        per_component = f.mean(axis=1)
        elbo = float(pi @ per_component)
        g_alpha = pi * (per_component - elbo)
        g_mu = pi[:, None] * g_theta.mean(axis=1)
        g_omega = pi[:, None] * (g_theta * eps * sigma[:, None, :]).mean(axis=1)
        return elbo, np.concatenate([g_alpha, g_mu.ravel(), g_omega.ravel()])

    def describe(self, phi) -> dict:
        _, mu, omega = self.unpack(phi)
        return {"weights": self.weights(phi).tolist(), "mu": mu.tolist(), "omega": omega.tolist(),
                "sigma": np.exp(omega).tolist()}


GUIDES = {"meanfield": MeanField, "fullrank": FullRank, "mixture": MeanFieldMixture}
