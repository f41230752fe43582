"""The boundary-term gradient estimator of Lee, Yu & Yang (NeurIPS 2018) in JAX,
for the paper's three models (temperature, textmsg, influenza), as a peer for
pplc's ``estimator="boundary"`` (DESIGN §6).

Each model is hand-written in JAX as ``logp(theta, force)``: ``theta`` is the
unconstrained vector in pplc's ``param_unc_names()`` order, ``force`` holds one
entry per guard instance (-1: evaluate the condition, 0: forced false, 1:
forced true).  Its affine guard surfaces are listed as (c0, c, instances):
the guard is true where c0 + c.theta > 0, and instances whose conditions
coincide (temperature's two ``qn[i] > 0.5``, influenza's ``f[i] > 0`` read
at steps i and i + 1) are forced together, as pplc does.

The estimator, per step, for a mean-field guide theta = mu + exp(omega) eps:

* reparameterisation term from ``samples`` draws, branches frozen (AD of the
  branch taken), plus the entropy's gradient;
* boundary term: for each surface (all of them, or ``surfaces_per_step``
  drawn uniformly without replacement and scaled by K / k), one draw eps of
  the other coordinates, coordinate j = argmax |c_j sigma_j| (any j with
  c_j != 0 is unbiased; pplc picks this one), eps_j solved onto the
  hyperplane, Delta = logp(theta'; forced true) - logp(theta'; forced false)
  (zero where the guard is not reached), weight N(eps_j) / |c_j sigma_j|, and
  d/dmu = Delta w c, d/domega = Delta w c eps sigma.

Adam as pplc's: lr 0.1 / sqrt(1 + t / 1000), betas 0.9 / 0.999, eps 1e-8; a
step whose ELBO or gradient is not finite is skipped and the step size
halved.  The whole optimisation is one jitted ``lax.scan``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp                          # noqa: E402
from jax.scipy.special import ndtri              # noqa: E402
from jax.scipy.stats import norm as jnorm        # noqa: E402

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _normal(y, mu, sigma):
    z = (y - mu) / sigma
    return -0.5 * z * z - jnp.log(sigma) - HALF_LOG_2PI


def _guard(force, k, natural):
    """The guard's value: its condition, unless forced."""
    return jnp.where(force[k] < 0, natural, force[k] == 1)


@dataclass
class JaxModel:
    name: str
    d: int
    n_instances: int
    logp: Callable                   # (theta (d,), force (n_instances,)) -> scalar
    c0: np.ndarray                   # (K,)
    c: np.ndarray                    # (K, d)
    members: np.ndarray              # (K, n_instances) bool: instances forced with each surface


def _surfaces(d, n_inst, rows):
    c0 = np.array([r[0] for r in rows], dtype=float)
    c = np.zeros((len(rows), d))
    members = np.zeros((len(rows), n_inst), dtype=bool)
    for k, (_, coeffs, inst) in enumerate(rows):
        for i, v in coeffs.items():
            c[k, i] = v
        members[k, inst] = True
    return c0, c, members


def temperature(data) -> JaxModel:
    T = int(data["T"])
    obs = jnp.asarray(data["obs"], dtype=float)
    theta_low = data["theta_s"] - data["delta_d"] / 2
    theta_up = data["theta_s"] + data["delta_d"] / 2
    ta, P, R, C = data["theta_a"], data["P_rate"], data["R"], data["C"]
    s0, s1, sq = data["sigma0"], data["sigma1"], data["sqrt_time_step"]
    n = T - 1
    d = 1 + 2 * n                   # theta0, theta[1..n], qn[1..n]

    def logp(theta, force):
        theta0, th, qn = theta[0], theta[1:1 + n], theta[1 + n:]
        lp = _normal(theta0, 20.0, 0.001) + _normal(obs[0], theta0, 1.0)

        def step(carry, i):
            theta_prev, q_prev = carry
            low = _guard(force, 4 * i, theta_prev < theta_low)
            up = _guard(force, 4 * i + 1, theta_prev > theta_up)
            m = jnp.where(low, 0.0, jnp.where(up, 1.0, q_prev))
            out = _normal(qn[i], m, 0.001)
            q = jnp.where(_guard(force, 4 * i + 2, qn[i] > 0.5), 1.0, 0.0)
            b = (ta - (theta_prev + q * R * P)) / (C * R)
            s = jnp.where(_guard(force, 4 * i + 3, qn[i] > 0.5), s1, s0)
            out = out + _normal(th[i], theta_prev + b, s * sq) + _normal(obs[i + 1], th[i], 1.0)
            return (th[i], q), out

        _, terms = jax.lax.scan(step, (theta0, jnp.zeros((), theta.dtype)), jnp.arange(n))
        return lp + jnp.sum(terms)

    rows = []
    for i in range(n):
        prev = 0 if i == 0 else i          # theta_prev: theta0, then theta[i] (flat index i)
        rows.append((theta_low, {prev: -1.0}, [4 * i]))            # theta_prev < theta_low
        rows.append((-theta_up, {prev: 1.0}, [4 * i + 1]))         # theta_prev > theta_up
        rows.append((-0.5, {1 + n + i: 1.0}, [4 * i + 2, 4 * i + 3]))   # qn[i] > 0.5 (twice)
    return JaxModel("temperature", d, 4 * n, logp, *_surfaces(d, 4 * n, rows))


def textmsg(data) -> JaxModel:
    T = int(data["T"])
    y = np.asarray(data["y"], dtype=float)
    J = T // 2
    days = 2 * np.arange(1, J + 1)                      # i = 2j
    yj = jnp.asarray(y[days - 1])
    cut = jnp.asarray(ndtri(days / 75.0))
    lgam = jnp.asarray([math.lgamma(v + 1.0) for v in y[days - 1]])

    def logp(theta, force):
        x0, x1, z = theta[0], theta[1], theta[2]
        lp = _normal(x0, 2.6362, 0.8326) + _normal(x1, 2.6362, 0.8326) + _normal(z, 0.0, 1.0)
        first = jnp.where(force < 0, z > cut, force == 1)
        a = jnp.where(first, x0, x1)
        return lp + jnp.sum(yj * a - jnp.exp(a) - lgam)       # poisson_log

    rows = [(-float(ndtri(i / 75.0)), {2: 1.0}, [k]) for k, i in enumerate(days)]
    return JaxModel("textmsg", 3, J, logp, *_surfaces(3, J, rows))


def influenza(data) -> JaxModel:
    T = int(data["T"])
    y = jnp.asarray(data["y"], dtype=float)
    a1, a2, b0, b1 = data["alpha1"], data["alpha2"], data["beta0"], data["beta1"]
    sg1, sg2, sv = data["sigma1"], data["sigma2"], data["sigma_v"]
    d = 1 + 3 * T                   # f0, v[1..T], w[1..T], f[1..T]

    def logp(theta, force):
        f0, v, w, f = theta[0], theta[1:1 + T], theta[1 + T:1 + 2 * T], theta[1 + 2 * T:]
        lp = _normal(f0, 0.0, 1.0)

        def step(carry, i):
            a_prev, b_prev, c_prev, d_prev, f_prev = carry
            out = _normal(v[i], 0.0, sg1) + _normal(w[i], 0.0, sg2)
            a = a1 * a_prev + a2 * b_prev + v[i]
            b = a_prev
            c = b1 * c_prev + b0 + w[i]
            dd = d_prev
            mean_f = jnp.where(_guard(force, 2 * i, f_prev > 0), 0.67, -0.67)
            out = out + _normal(f[i], mean_f, 1.0)
            mean_y = jnp.where(_guard(force, 2 * i + 1, f[i] > 0), a + dd, a + c + dd)
            out = out + _normal(y[i], mean_y, sv)
            return (a, b, c, dd, f[i]), out

        zero = jnp.zeros((), theta.dtype)
        _, terms = jax.lax.scan(step, (zero, zero, zero, zero, f0), jnp.arange(T))
        return lp + jnp.sum(terms)

    rows = [(0.0, {0: 1.0}, [0])]                                   # f0 > 0 (read at step 1)
    for i in range(T):
        inst = [2 * i + 1] + ([2 * (i + 1)] if i + 1 < T else [])   # f[i] > 0 at steps i and i + 1
        rows.append((0.0, {1 + 2 * T + i: 1.0}, inst))
    return JaxModel("influenza", d, 2 * T, logp, *_surfaces(d, 2 * T, rows))


MODELS = {"temperature": temperature, "textmsg": textmsg, "influenza": influenza}


# --- the estimator and the optimiser ------------------------------------------------------------

def make_step(model: JaxModel, samples: int = 16, surfaces_per_step: int = 0):
    d, K = model.d, model.c.shape[0]
    k = K if surfaces_per_step <= 0 else min(surfaces_per_step, K)
    c0 = jnp.asarray(model.c0)
    c = jnp.asarray(model.c)
    natural = -jnp.ones(model.n_instances, dtype=jnp.int32)
    f_true = jnp.where(jnp.asarray(model.members), 1, -1).astype(jnp.int32)
    f_false = jnp.where(jnp.asarray(model.members), 0, -1).astype(jnp.int32)
    vg = jax.vmap(jax.value_and_grad(lambda th: model.logp(th, natural)))
    lp_forced = jax.vmap(model.logp)

    def estimate(phi, key):
        mu, omega = phi[:d], phi[d:]
        sigma = jnp.exp(omega)
        k1, k2, k3 = jax.random.split(key, 3)
        eps = jax.random.normal(k1, (samples, d))
        lp, g = vg(mu + sigma * eps)
        elbo = jnp.mean(lp) + jnp.sum(omega) + d * (0.5 + HALF_LOG_2PI)
        grad_mu = jnp.mean(g, axis=0)
        grad_om = jnp.mean(g * eps * sigma, axis=0) + 1.0
        # boundary term
        idx = jnp.arange(K) if k == K else jax.random.choice(k2, K, (k,), replace=False)
        cs, c0s = c[idx], c0[idx]
        a = cs * sigma                                        # (k, d): s(eps) = a0 + a.eps
        j = jnp.argmax(jnp.abs(a), axis=1)
        aj = jnp.take_along_axis(a, j[:, None], axis=1)[:, 0]
        a0 = c0s + cs @ mu
        e = jax.random.normal(k3, (k, d))
        ej = -(a0 + jnp.sum(e * a, axis=1) - jnp.take_along_axis(e, j[:, None], axis=1)[:, 0] * aj) / aj
        e = e.at[jnp.arange(k), j].set(ej)
        th = mu + sigma * e
        delta = lp_forced(th, f_true[idx]) - lp_forced(th, f_false[idx])
        w = jnp.exp(-0.5 * ej * ej - HALF_LOG_2PI) / jnp.abs(aj)
        dw = jnp.where(jnp.isfinite(delta), delta * w, 0.0)[:, None]
        scale = K / k
        grad_mu = grad_mu + scale * jnp.sum(dw * cs, axis=0)
        grad_om = grad_om + scale * jnp.sum(dw * cs * e * sigma, axis=0)
        return elbo, jnp.concatenate([grad_mu, grad_om])

    return estimate


def make_run(model: JaxModel, iters: int, samples: int = 16, surfaces_per_step: int = 0, lr: float = 0.1,
             decay: float = 1000.0, b1: float = 0.9, b2: float = 0.999, adam_eps: float = 1e-8):
    estimate = make_step(model, samples, surfaces_per_step)

    def run(phi0, key):
        def body(carry, key_t):
            phi, m, v, t, lr_scale = carry
            elbo, g = estimate(phi, key_t)
            ok = jnp.isfinite(elbo) & jnp.all(jnp.isfinite(g))
            g = jnp.where(ok, g, 0.0)
            t1 = t + 1.0
            m1 = b1 * m + (1 - b1) * g
            v1 = b2 * v + (1 - b2) * g * g
            mhat = m1 / (1 - b1 ** t1)
            vhat = v1 / (1 - b2 ** t1)
            step = lr * lr_scale / jnp.sqrt(1.0 + t1 / decay)
            phi1 = phi + step * mhat / (jnp.sqrt(vhat) + adam_eps)
            new = (jnp.where(ok, phi1, phi), jnp.where(ok, m1, m), jnp.where(ok, v1, v),
                   jnp.where(ok, t1, t), jnp.where(ok, lr_scale, 0.5 * lr_scale))
            return new, elbo

        zeros = jnp.zeros_like(phi0)
        carry0 = (phi0, zeros, zeros, jnp.zeros(()), jnp.ones(()))
        (phi, *_), elbos = jax.lax.scan(body, carry0, jax.random.split(key, iters))
        return phi, elbos

    return jax.jit(run)


def fit(name: str, data: dict, mu0, iters: int = 10000, samples: int = 16, surfaces_per_step: int = 0,
        seed: int = 0) -> dict:
    """Compile and run; returns phi, the per-step ELBO trace, compile and run seconds."""
    model = MODELS[name](data)
    run = make_run(model, iters, samples, surfaces_per_step)
    phi0 = jnp.concatenate([jnp.asarray(mu0, dtype=float), jnp.zeros(model.d)])
    key = jax.random.PRNGKey(seed)
    t0 = time.perf_counter()
    compiled = run.lower(phi0, key).compile()
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    phi, elbos = compiled(phi0, key)
    phi.block_until_ready()
    t_run = time.perf_counter() - t0
    return {"phi": np.asarray(phi), "elbo_trace": np.asarray(elbos), "compile_s": t_compile, "run_s": t_run,
            "model": model}
