"""Shared helpers for the tests of the language of DESIGN.md section 3
(tests/test_language_*.py), construct by construct.

Every test compiles a small inline model (parse + check + lower + analyses),
binds data and evaluates it, and compares the result with an independent
numpy/scipy computation written here:

* ``bm.log_density(theta)`` for what happens in the model block, and
* ``bm.param_constrain(theta, include_tp=True, include_gq=True)`` (through
  :func:`values`) for transformed parameters and generated quantities.

The unconstrained vector follows Stan: parameters in declaration order,
arrays row-major, matrices column-major.  ``~`` keeps every normalising
constant, so it equals ``target += foo_lpdf(...)`` exactly.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, log_expit

import ppl

RTOL = 1e-12


# ====================================================================== helpers
def bind(src: str, data: dict | None = None, **kw):
    return ppl.compile(src).bind({} if data is None else data, **kw)


def values(bm, theta, seed: int = 0) -> dict:
    """``param_constrain(theta, include_tp=True, include_gq=True)`` split by
    variable: ``{name: array}`` shaped as declared (plus a leading batch axis
    when ``theta`` is a batch).  Shapes are rebuilt from Stan's element names
    ``x.i.j``, so matrices come out right whatever the flattening order."""
    theta = np.asarray(theta, dtype=float)
    flat = np.atleast_2d(bm.param_constrain(theta, include_tp=True, include_gq=True, seed=seed))
    names = bm.param_names(include_tp=True, include_gq=True)
    assert flat.shape[1] == len(names)
    groups: dict = {}
    for col, name in enumerate(names):
        base, *idx = name.split(".")
        groups.setdefault(base, []).append((tuple(int(i) - 1 for i in idx), col))
    out = {}
    for base, items in groups.items():
        if items[0][0] == ():
            arr = flat[:, items[0][1]]
        else:
            rank = len(items[0][0])
            shape = tuple(max(ix[k] for ix, _ in items) + 1 for k in range(rank))
            arr = np.full((flat.shape[0],) + shape, np.nan)
            for ix, col in items:
                arr[(slice(None),) + ix] = flat[:, col]
        out[base] = arr if theta.ndim == 2 else arr[0]
    return out


def close(got, want, rtol=RTOL, atol=1e-12):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=rtol, atol=atol)


def lub(u, lb, ub):
    """Stan's lower-upper transform and its log-Jacobian."""
    return lb + (ub - lb) * expit(u), math.log(ub - lb) + log_expit(u) + log_expit(-u)


def stick_breaking(y):
    """Stan's (2.2x-2.35) stick-breaking simplex transform, written as loops."""
    K = len(y) + 1
    x = np.zeros(K)
    stick, logj = 1.0, 0.0
    for k in range(K - 1):
        z = expit(y[k] - math.log(K - k - 1))
        x[k] = stick * z
        logj += math.log(stick) + math.log(z) + math.log1p(-z)
        stick -= x[k]
    x[K - 1] = stick
    return x, logj
