"""Cumulative distribution functions: the ``<dist>_lcdf`` and ``<dist>_lccdf``
rows (``<dist>_cdf`` is ``exp`` of ``_lcdf``, formed by the lowering).

Each row is a :class:`~stdlib.distributions.Distribution` whose ``logpdf`` is
the elementwise log CDF (or log CCDF) and whose ``grad`` holds its partials,
with the calling conventions of the density rows (see
:mod:`stdlib.distributions`), so a ``normal_lccdf(y | mu, sigma)`` call
travels the same path as ``normal_lpdf``: checked against ``variate`` and
``params``, summed over vectorised arguments, differentiated through
``grad``.  The mathematics is in :mod:`stdlib.cdf_kernels`, one Numba ufunc
per distribution that the generated native code calls as well (see the
``DISTRIBUTIONS`` table of :mod:`stdlib.native_templates`).

Argument checks are Stan's for the CDFs, which differ from the densities'
only in the variate: e.g. ``gamma_lcdf`` accepts ``y = 0`` (``log 0 = -inf``).
"""
from __future__ import annotations

import numpy as np

from ._numeric import _f
from .distributions import DISTRIBUTIONS, Arg, Distribution

# distribution -> (kernel name in stdlib.cdf_kernels, support of the variate)
KERNELS = {
    "normal": ("normal_cdf", "not_nan"),
    "std_normal": ("std_normal_cdf", "not_nan"),
    "student_t": ("student_t_cdf", "not_nan"),
    "cauchy": ("cauchy_cdf", "not_nan"),
    "logistic": ("logistic_cdf", "not_nan"),
    "double_exponential": ("double_exponential_cdf", "not_nan"),
    "lognormal": ("lognormal_cdf", "nonnegative"),
    "exponential": ("exponential_cdf", "nonnegative"),
    "gamma": ("gamma_cdf", "nonnegative"),
    "weibull": ("weibull_cdf", "nonnegative"),
    "beta": ("beta_cdf", "unit_interval"),
    "uniform": ("uniform_cdf", "not_nan"),
    # P(N <= n) is 0 for n < 0 (Stan returns LOG_ZERO there, no domain error)
    "poisson": ("poisson_cdf", "not_nan"),
}

UPPER = {"lcdf": 0, "lccdf": 1}   # the kernels' ``upper`` flag


def _kernel(name):
    """The ufunc ``name`` of stdlib.cdf_kernels, imported (with Numba) on the first
    evaluation: the table itself is read by the native code generator, which a warm start
    runs without importing Numba."""
    from . import cdf_kernels
    return getattr(cdf_kernels, name)


def _value(kernel_name, upper):
    def log_cdf(*args):
        with np.errstate(all="ignore"):
            return np.asarray(_kernel(kernel_name)(*(_f(a) for a in args), upper, -1), dtype=np.float64)
    return log_cdf


def _partial(kernel_name, upper, which):
    def partial(*args):
        with np.errstate(all="ignore"):
            return np.asarray(_kernel(kernel_name)(*(_f(a) for a in args), upper, which), dtype=np.float64)
    return partial


def _rows() -> dict[str, Distribution]:
    rows = {}
    for base, (kernel_name, support) in KERNELS.items():
        dist = DISTRIBUTIONS[base]
        specs = (dist.variate, *dist.params)
        for kind, upper in UPPER.items():
            rows[f"{base}_{kind}"] = Distribution(
                f"{base}_{kind}", dist.discrete, Arg(dist.variate.name, dist.variate.kind, support),
                dist.params, _value(kernel_name, upper), rng=None,
                grad=tuple(None if spec.kind == "ints" else _partial(kernel_name, upper, i)
                           for i, spec in enumerate(specs)),
                cumulative=kind)
    return rows


# "normal_lcdf" -> its row; "normal_cdf" resolves to the "normal_lcdf" row
# (stdlib.lookup_callable) and is lowered to exp(normal_lcdf(...)).
CUMULATIVE: dict[str, Distribution] = _rows()
