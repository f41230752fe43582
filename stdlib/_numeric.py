"""Numeric building blocks shared by the distribution definitions in
:mod:`stdlib.continuous` and :mod:`stdlib.discrete` (and the argument checks
in :mod:`stdlib.distributions`): float64 conversion, the ``_elementwise``
wrapper, stable special-function helpers for the log densities and their
partials, and the vectorised ``_rng`` wrapper.

The conventions these serve are described in the docstring of
:mod:`stdlib.distributions`.
"""

from __future__ import annotations

import numpy as np
from ppl.lazy_scipy import special as sp


def _f(x):
    return np.asarray(x, dtype=np.float64)


# --------------------------------------------------------------------------
# Log densities.  Arguments arrive broadcast; _elementwise converts them to
# float64 and silences the floating-point warnings of branches that np.where
# discards.
# --------------------------------------------------------------------------

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_LOG_PI = np.log(np.pi)
_LOG2 = np.log(2.0)
_NEG_INF = -np.inf


def _elementwise(fn):
    def wrapped(*args):
        with np.errstate(all="ignore"):
            out = fn(*(_f(a) for a in args))
        return np.asarray(out, dtype=np.float64)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def _log1p_square(z):
    """log(1 + z**2) without overflow for huge |z|."""
    a = np.abs(z)
    return np.where(a < 1e150, np.log1p(a * a), 2.0 * np.log(a))


def _stirling_diff(x):
    """lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)], for x > 0."""
    big = x >= 10.0
    xb = np.where(big, x, 10.0)
    r = 1.0 / (xb * xb)
    series = (1.0 / 12 - r * (1.0 / 360 - r * (1.0 / 1260 - r * (1.0 / 1680 - r / 1188)))) / xb
    xs = np.where(big, 1.0, x)
    direct = sp.gammaln(xs) - ((xs - 0.5) * np.log(xs) - xs + _LOG_SQRT_2PI)
    return np.where(big, series, direct)


def _log_choose(N, n):
    """log(N choose n) for 0 <= n <= N (Stan's binomial_coefficient_log)."""
    return -np.log1p(N) - sp.betaln(N - n + 1.0, n + 1.0)


# Helpers for the partials.

def _stirling_diff_deriv(x):
    """d/dx _stirling_diff(x) = digamma(x) - log x + 1/(2x), for x > 0.

    O(1/x**2) for large x, where the asymptotic series is used, so that
    differences of digammas at large arguments can be formed without
    cancellation.
    """
    big = x >= 10.0
    xb = np.where(big, x, 10.0)
    r = 1.0 / (xb * xb)
    # -sum_k B_2k / (2k x^2k), k = 1..7; the next term is < 5e-17 / x^2 at x=10.
    series = -r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (
        1.0 / 240 - r * (1.0 / 132 - r * (691.0 / 32760 - r / 12))))))
    xs = np.where(big, 1.0, x)
    direct = sp.digamma(xs) - np.log(xs) + 0.5 / xs
    return np.where(big, series, direct)


def _log1p_minus(t):
    """log1p(t) - t for t > -1, accurate also for small |t| (~ -t**2/2)."""
    small = np.abs(t) < 0.1
    ts = np.where(small, t, 0.0)
    # log1p(t) - t = sum_{k>=2} (-1)^(k+1) t^k / k; 20 terms suffice at |t| < 0.1.
    acc = np.zeros_like(ts)
    for k in range(21, 1, -1):
        acc = (1.0 if k % 2 else -1.0) / k + ts * acc
    series = ts * ts * acc
    return np.where(small, series, np.log1p(t) - t)


def _log1p_minus_ratio(log1p_a, s):
    """log1p(a) - a/(1+a) for a >= 0, given log1p(a) and s = a/(1+a).

    ~ a**2/2 for small a; computed as -(log1p(-s) + s) there.
    """
    return np.where(s < 0.1, -_log1p_minus(-np.minimum(s, 0.1)), log1p_a - s)


def _sq_ratio(w):
    """w**2 / (1 + w**2), overflow-free."""
    big = np.abs(w) > 1.0
    wi = 1.0 / np.where(big, w, 1.0)
    return np.where(big, 1.0 / (1.0 + wi * wi), w * w / (1.0 + w * w))


def _t_ratio(z, nu):
    """z / (nu + z**2), overflow-free (nu > 0)."""
    big = np.abs(z) > 1.0
    zb = np.where(big, z, 1.0)
    return np.where(big, 1.0 / (zb + nu / zb), z / (nu + z * z))


def _t_ratio2(z, nu):
    """(z**2 - 1) / (nu + z**2), overflow-free and accurate near |z| = 1."""
    big = np.abs(z) > 1.0
    u = 1.0 / np.where(big, z, 1.0)
    return np.where(big, (1.0 - u) * (1.0 + u) / (nu * u * u + 1.0),
                    (z - 1.0) * (z + 1.0) / (nu + z * z))


def _xdivy(x, y):
    """x / y with 0 where x == 0 (a 0 * log(0) term differentiates to 0)."""
    return np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y))


# --------------------------------------------------------------------------
# Random number generators.
# --------------------------------------------------------------------------


def _shape(params, size):
    shape = np.broadcast_shapes(*(np.shape(p) for p in params))
    return shape if size is None else np.broadcast_shapes(shape, size)


def _rng(draw, discrete=False):
    """Wrap draw(gen, shape, *float64 params) into rng(gen, *params, size=None)."""
    def rng(gen, *params, size=None):
        ps = [_f(p) for p in params]
        shape = _shape(ps, size)
        ps = [np.broadcast_to(p, shape) for p in ps]
        out = draw(gen, shape, *ps)
        return np.asarray(out, dtype=np.int64 if discrete else np.float64)
    return rng
