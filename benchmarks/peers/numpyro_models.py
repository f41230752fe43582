"""NumPyro versions of the posteriordb posteriors that pplc's benchmarks use.

Each model is written the way a NumPyro user would write it (HalfCauchy /
HalfNormal for half-distributions, ImproperUniform for Stan's flat priors),
and is meant to give the same log density as pplc's model on the
unconstrained scale, Jacobians included, up to an additive constant that is
known in closed form (``MODELS[name].offset``):

    pplc log_density(theta) - (-potential_energy(theta)) == offset

NumPyro keeps every normalising constant, as pplc does; the offsets come only
from NumPyro's half-distributions, whose densities are twice Stan's
``cauchy``/``normal`` on a ``<lower=0>`` parameter (Stan does not renormalise
a truncated prior written with ``~``): -log 2 for each such scalar.

The unconstrained transforms agree with Stan's: exp for ``<lower=0>``,
logistic for ``<lower=0, upper=1>``, affine-logistic for garch's
``<lower=0, upper=1 - alpha1>``, and Stan's ordered transform (NumPyro's
OrderedTransform: x1, x1 + exp(x2)).

``flat_potential(name, data, unc_names)`` returns a potential on a flat
vector in pplc's ``param_unc_names()`` order, so the two can be compared and
timed on the same points.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp                                   # noqa: E402
import numpyro                                            # noqa: E402
import numpyro.distributions as dist                      # noqa: E402
from numpyro.distributions import constraints            # noqa: E402

LOG2 = math.log(2.0)


def _flat(shape=(), support=constraints.real):
    """Stan's implicit flat prior (an improper uniform on the support)."""
    return dist.ImproperUniform(support, (), event_shape=shape)


# --- the models --------------------------------------------------------------------------------

def earn_height(earn, height):
    beta = numpyro.sample("beta", _flat((2,)))
    sigma = numpyro.sample("sigma", _flat((), constraints.positive))
    numpyro.sample("earn", dist.Normal(beta[0] + beta[1] * height, sigma), obs=earn)


def kidscore_momiq(kid_score, mom_iq):
    beta = numpyro.sample("beta", _flat((2,)))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
    numpyro.sample("kid_score", dist.Normal(beta[0] + beta[1] * mom_iq, sigma), obs=kid_score)


def ark(y, K):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 10.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 10.0).expand([K]).to_event(1))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
    T = y.shape[0]
    # lags[t, k] = y[t - k - 1] for t = K .. T-1
    lags = jnp.stack([y[K - k - 1:T - k - 1] for k in range(K)], axis=1)
    numpyro.sample("y", dist.Normal(alpha + lags @ beta, sigma), obs=y[K:])


def garch11(y, sigma1):
    mu = numpyro.sample("mu", _flat())
    alpha0 = numpyro.sample("alpha0", _flat((), constraints.positive))
    alpha1 = numpyro.sample("alpha1", dist.Uniform(0.0, 1.0))
    beta1 = numpyro.sample("beta1", _flat((), constraints.interval(0.0, 1.0 - alpha1)))

    def step(sigma_prev, y_prev):
        s = jnp.sqrt(alpha0 + alpha1 * (y_prev - mu) ** 2 + beta1 * sigma_prev ** 2)
        return s, s

    _, rest = jax.lax.scan(step, jnp.asarray(sigma1, dtype=y.dtype), y[:-1])
    sigma = jnp.concatenate([jnp.asarray([sigma1], dtype=y.dtype), rest])
    numpyro.sample("y", dist.Normal(mu, sigma), obs=y)


def eight_schools_noncentered(y, sigma):
    J = y.shape[0]
    theta_trans = numpyro.sample("theta_trans", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    theta = numpyro.deterministic("theta", theta_trans * tau + mu)
    numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def blr(X, y):
    D = X.shape[1]
    beta = numpyro.sample("beta", dist.Normal(0.0, 10.0).expand([D]).to_event(1))
    sigma = numpyro.sample("sigma", dist.HalfNormal(10.0))
    numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=y)


def diamonds(Xc, Y):
    Kc = Xc.shape[1]
    b = numpyro.sample("b", dist.Normal(0.0, 1.0).expand([Kc]).to_event(1))
    intercept = numpyro.sample("Intercept", dist.StudentT(3.0, 8.0, 10.0))
    sigma = numpyro.sample("sigma", dist.TruncatedDistribution(dist.StudentT(3.0, 0.0, 10.0), low=0.0))
    numpyro.sample("Y", dist.Normal(intercept + Xc @ b, sigma), obs=Y)


def low_dim_gauss_mix(y):
    mu = numpyro.sample("mu", _flat((2,), constraints.ordered_vector))
    numpyro.factor("mu_prior", dist.Normal(0.0, 2.0).log_prob(mu).sum())   # mu ~ normal(0, 2) on ordered[2]
    sigma = numpyro.sample("sigma", dist.HalfNormal(2.0).expand([2]).to_event(1))
    theta = numpyro.sample("theta", dist.Beta(5.0, 5.0))
    mix = dist.MixtureSameFamily(dist.Categorical(probs=jnp.stack([theta, 1.0 - theta])),
                                 dist.Normal(mu, sigma))
    numpyro.sample("y", mix, obs=y)


# --- data and the table ------------------------------------------------------------------------

def _arr(x):
    return jnp.asarray(np.asarray(x, dtype=float))


def _diamonds_args(d):
    X = np.asarray(d["X"], dtype=float)
    Xc = X[:, 1:] - X[:, 1:].mean(axis=0)
    return (jnp.asarray(Xc), _arr(d["Y"]))


@dataclass
class PeerModel:
    fn: Callable
    args: Callable            # data dict -> model args
    offset: float             # pplc log density - NumPyro log density (constant)
    note: str


MODELS = {
    "earnings-earn_height": PeerModel(earn_height, lambda d: (_arr(d["earn"]), _arr(d["height"])), 0.0,
                                      "flat priors: identical"),
    "kidiq-kidscore_momiq": PeerModel(kidscore_momiq, lambda d: (_arr(d["kid_score"]), _arr(d["mom_iq"])),
                                      -LOG2, "HalfCauchy(2.5) = 2 x Stan's cauchy on sigma>0"),
    "arK-arK": PeerModel(ark, lambda d: (_arr(d["y"]), int(d["K"])), -LOG2, "HalfCauchy(2.5) on sigma"),
    "garch-garch11": PeerModel(garch11, lambda d: (_arr(d["y"]), float(d["sigma1"])), 0.0,
                               "flat priors within the bounds: identical"),
    "eight_schools-eight_schools_noncentered": PeerModel(
        eight_schools_noncentered, lambda d: (_arr(d["y"]), _arr(d["sigma"])), -LOG2, "HalfCauchy(5) on tau"),
    "sblri-blr": PeerModel(blr, lambda d: (_arr(d["X"]), _arr(d["y"])), -LOG2, "HalfNormal(10) on sigma"),
    "diamonds-diamonds": PeerModel(diamonds, _diamonds_args, 0.0,
                                   "truncated student_t renormalised in both (Stan: - student_t_lccdf)"),
    "low_dim_gauss_mix-low_dim_gauss_mix": PeerModel(low_dim_gauss_mix, lambda d: (_arr(d["y"]),), -2 * LOG2,
                                                     "HalfNormal(2) on both sigmas"),
}


def _unc_layout(model_fn, args):
    """{site: unconstrained shape} of the latent sites, from NumPyro's own initialisation."""
    from numpyro.infer.util import initialize_model
    info = initialize_model(jax.random.PRNGKey(0), model_fn, model_args=args)
    params = info.param_info.z
    return {k: tuple(np.shape(v)) for k, v in params.items()}, info.potential_fn


def flat_potential(name: str, data: dict, unc_names: list[str]):
    """(potential(theta_flat) -> scalar, PeerModel) with theta in pplc's unconstrained order.

    ``unc_names`` are pplc's ``param_unc_names()`` ("beta.1", "sigma", ...);
    each NumPyro site takes the entries whose base name is the site's name,
    in order (every site here is a scalar or a vector)."""
    pm = MODELS[name]
    args = pm.args(data)
    layout, potential_fn = _unc_layout(pm.fn, args)
    base = [n.split(".")[0] for n in unc_names]
    index = {}
    for site, shape in layout.items():
        idx = [i for i, b in enumerate(base) if b == site]
        size = int(np.prod(shape)) if shape else 1
        if len(idx) != size:
            raise ValueError(f"{name}: site {site!r} has {size} unconstrained values, pplc has {len(idx)}")
        index[site] = (np.asarray(idx), shape)
    if sum(len(i) for i, _ in index.values()) != len(unc_names):
        raise ValueError(f"{name}: pplc parameters {unc_names} not all matched by sites {list(layout)}")

    def potential(theta):
        params = {site: theta[idx].reshape(shape) for site, (idx, shape) in index.items()}
        return potential_fn(params)

    return potential, pm


def model_and_args(name: str, data: dict):
    pm = MODELS[name]
    return pm.fn, pm.args(data)


def unc_index(name: str, data: dict, unc_names: list[str]) -> dict:
    """{site: (indices into pplc's flat vector, shape)} (for mapping guides)."""
    pm = MODELS[name]
    layout, _ = _unc_layout(pm.fn, pm.args(data))
    base = [n.split(".")[0] for n in unc_names]
    return {site: (np.asarray([i for i, b in enumerate(base) if b == site]), shape)
            for site, shape in layout.items()}
