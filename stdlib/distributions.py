"""The univariate distributions of Stan's standard library, as one table.

Every distribution is defined exactly once, as a :class:`Distribution` row in
:data:`DISTRIBUTIONS`.  Type checking, code generation, the numpy/numba
backends and the random-number generators all read this table, so adding a
distribution means adding one row.  The rows, with their log densities,
derivative rules and generators, live in :mod:`stdlib.continuous` and
:mod:`stdlib.discrete` (shared numeric helpers in :mod:`stdlib._numeric`);
this module holds the row type, the argument checks and the assembled table.

A row records

* ``variate`` and ``params``: one :class:`Arg` each, in Stan's argument order
  (``normal(y | mu, sigma)``).  ``Arg.kind`` is the set of Stan types the
  argument accepts: ``"reals"`` (real, int, vector, row_vector, array[] real,
  array[] int) or ``"ints"`` (int, array[] int).  ``Arg.support`` names an
  entry of :data:`SUPPORTS`, the *argument check* Stan applies to it.
* ``logpdf(y, *params)``: the elementwise log density (continuous) or log mass
  (discrete), with all normalising constants.
* ``rng(gen, *params, size=None)``: draws from a ``numpy.random.Generator``.

Conventions (shared with the callers; do not change them lightly):

* ``logpdf`` is elementwise.  The caller broadcasts the arguments to a common
  shape first and sums the result itself (``normal_lpdf(y | ...)`` of a vector
  is the *sum* of the elementwise values).  Arguments may be float64 or int64
  arrays; they are converted to float64 here.
* ``logpdf`` never validates its arguments.  The caller evaluates
  ``SUPPORTS[arg.support](value)`` for the variate and every parameter and
  puts ``-inf`` wherever a check fails (where Stan would throw a domain error
  and reject the draw).  Checks that relate *two* arguments (binomial
  ``0 <= n <= N``, uniform ``beta > alpha``) cannot be expressed per argument,
  so ``logpdf`` itself returns ``-inf`` there; so it does for the values that
  pass Stan's checks but where Stan returns ``LOG_ZERO`` (e.g. a uniform
  variate outside ``[alpha, beta]``, lognormal ``y == 0``, Poisson
  ``lambda == inf``).  Each such case is marked in a comment.
* ``logpdf`` is computed stably with :mod:`scipy.special` (no Python loops),
  e.g. ``bernoulli_logit`` via ``log_expit`` so ``alpha = +-800`` is fine.
* ``rng`` is vectorised: its result has the broadcast shape of the parameters
  (or ``size`` if given; it must be broadcast-compatible), dtype int64 for
  discrete distributions and float64 otherwise.

Derivative rules (for reverse-mode AD) sit next to each log density:

* ``grad`` holds one entry per argument in the order ``(variate, *params)``:
  ``partial(y, *params) -> ndarray``, the *elementwise* partial derivative of
  ``logpdf(y, *params)`` with respect to that argument, with the calling
  convention of ``logpdf`` (broadcast arguments, float64 conversion, floating
  point warnings silenced, no validation).  The entry is ``None`` for
  arguments that are integers by nature (the variate of a discrete
  distribution, binomial's ``N``): they are never differentiated.
  :func:`log_density_partials` evaluates all of them.
* The partials are meaningful where ``logpdf`` is finite.  Where ``logpdf``
  itself returns ``-inf`` (cross-check failures and ``LOG_ZERO`` cases, see
  above) they are 0; where a per-argument support check fails they are
  unspecified (the caller rejects the draw anyway).
* At a kink the derivative does not exist and a fixed choice is made:
  ``double_exponential`` at ``y == mu`` uses ``sign(0) = 0`` (a subgradient;
  Stan Math also differentiates ``|y - mu|`` through ``sign``).  At the edges
  of a support one-sided limits are used (e.g. Poisson ``lambda == 0`` with
  ``n == 0`` gives ``-1``; a ``0 * log(0)`` term contributes 0).
* The partials are computed stably: expit-style forms for the logit
  parameterisations (``alpha = +-800`` is fine) and cancellation-free forms
  for ``student_t``'s ``d/dnu`` and ``neg_binomial_2``'s ``d/dphi`` at large
  ``nu`` / ``phi`` (both tend to 0 as the distribution tends to its normal /
  Poisson limit, as ``O(1/nu**2)`` / ``O(1/phi**2)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import continuous as _continuous
from . import discrete as _discrete
from ._numeric import _f

__all__ = ["Arg", "Distribution", "SUPPORTS", "DISTRIBUTIONS", "lookup",
           "log_density_partials"]


@dataclass(frozen=True)
class Arg:
    name: str  # Stan's argument name, e.g. "sigma"
    kind: str  # "reals" or "ints" (see the module docstring)
    support: str  # key into SUPPORTS: the validity check Stan applies


@dataclass(frozen=True)
class Distribution:
    name: str  # "normal"
    discrete: bool  # True -> _lpmf / variate kind "ints"; False -> _lpdf
    variate: Arg
    params: tuple[Arg, ...]
    logpdf: Callable  # logpdf(y, *params) -> elementwise log density
    rng: Callable  # rng(gen, *params, size=None) -> draws
    # grad[i](y, *params) -> elementwise d logpdf / d (variate, *params)[i];
    # None for integer arguments (see the module docstring).
    grad: tuple[Callable | None, ...] = ()
    # "" for a density row; "lcdf" / "lccdf" for the cumulative rows of
    # stdlib.cumulative, whose logpdf is the log (C)CDF (their rng is None).
    cumulative: str = ""

    @property
    def call_name(self) -> str:
        """The Stan function this row evaluates: normal_lpdf, poisson_lpmf, normal_lcdf."""
        if self.cumulative:
            return self.name
        return f"{self.name}_{'lpmf' if self.discrete else 'lpdf'}"

    def __post_init__(self):
        if self.grad and len(self.grad) != 1 + len(self.params):
            raise ValueError(f"{self.name}: grad needs one entry per argument")


# --------------------------------------------------------------------------
# Argument checks.  Each maps an array to an elementwise bool "valid" array;
# NaN is invalid for every check except "any".  The names follow Stan Math's
# check_* functions.
# --------------------------------------------------------------------------


def _is_int(x):
    return np.isfinite(x) & (np.floor(x) == x)


SUPPORTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    # check_not_nan: anything but NaN (+-inf allowed).
    "not_nan": lambda x: ~np.isnan(_f(x)),
    # check_finite: not NaN, not +-inf.
    "finite": lambda x: np.isfinite(_f(x)),
    # check_positive_finite: 0 < x < inf.
    "positive_finite": lambda x: np.isfinite(_f(x)) & (_f(x) > 0),
    # check_nonnegative: 0 <= x (+inf allowed, NaN not).
    "nonnegative": lambda x: _f(x) >= 0,
    # check_bounded(x, 0, 1): 0 <= x <= 1 (probabilities, beta variates).
    "unit_interval": lambda x: (_f(x) >= 0) & (_f(x) <= 1),
    # check_bounded(n, 0, 1) on an int: n in {0, 1}.
    "binary": lambda x: (_f(x) == 0) | (_f(x) == 1),
    # check_nonnegative on an int (counts, population sizes): 0, 1, 2, ...
    "nonnegative_int": lambda x: _is_int(_f(x)) & (_f(x) >= 0),
}


# --------------------------------------------------------------------------
# The table.
# --------------------------------------------------------------------------

def _r(name, support):
    return Arg(name, "reals", support)


def _i(name, support):
    return Arg(name, "ints", support)


# The rows are defined next to their log densities (stdlib.continuous,
# stdlib.discrete); those modules import Arg, Distribution, _r and _i from
# here only inside rows(), so there is no import cycle.
_ROWS = _continuous.rows() + _discrete.rows()

DISTRIBUTIONS: dict[str, Distribution] = {d.name: d for d in _ROWS}

_SUFFIXES = {
    "lpdf": False, "lupdf": False,  # continuous only
    "lpmf": True, "lupmf": True,  # discrete only
    "rng": None,  # either
}


def log_density_partials(dist: Distribution, y, *params) -> list[np.ndarray | None]:
    """All partials of ``dist.logpdf(y, *params)``, elementwise.

    One entry per argument in the order ``(variate, *params)``: an array of
    the broadcast shape of the arguments, or ``None`` for integer arguments
    (see :attr:`Distribution.grad`).  The arguments are broadcast here.
    """
    args = np.broadcast_arrays(*(np.asarray(a) for a in (y, *params)))
    return [None if g is None else g(*args) for g in dist.grad]


def lookup(name: str) -> Distribution | None:
    """The distribution a Stan name refers to, or None.

    Accepts the bare name ("normal") and the suffixed function names
    ("normal_lpdf", "normal_lupdf", "poisson_lpmf", "poisson_lupmf",
    "normal_rng"); a suffix of the wrong kind ("normal_lpmf") gives None.
    """
    if name in DISTRIBUTIONS:
        return DISTRIBUTIONS[name]
    base, _, suffix = name.rpartition("_")
    dist = DISTRIBUTIONS.get(base)
    if dist is None or suffix not in _SUFFIXES:
        return None
    want = _SUFFIXES[suffix]
    if want is not None and want != dist.discrete:
        return None
    return dist
