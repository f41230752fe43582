"""The standard library: distributions, math functions and operators, each
defined once (signature, value, support; derivative rules beside them) and
read by the checker, the analyses, AD and every backend."""
from __future__ import annotations

from .functions import FUNCTIONS
from . import containers  # noqa: F401  (registers the container functions)
from .operators import OPERATORS

_SUFFIXES = ("lpdf", "lupdf", "lpmf", "lupmf", "rng")
_CDF_SUFFIXES = ("cdf", "lcdf", "lccdf")


def lookup_callable(name: str):
    """Resolve a callable name to ``(kind, entry, suffix)``.

    kind is 'function' (a math function), 'glm' (a GLM density, stdlib.glm;
    suffix '' or 'lpdf'/'lupdf') or 'dist' (a distribution; suffix
    '' for the bare name used after '~', else 'lpdf'/'lupdf'/'lpmf'/'lupmf'/'rng';
    or 'cdf'/'lcdf'/'lccdf', whose entry is the log CDF / log CCDF row of
    stdlib.cumulative, the log CDF's for 'cdf').
    A density suffix that does not fit the distribution ('normal_lpmf') is None,
    so is a CDF that stdlib.cumulative does not define.
    """
    from .distributions import DISTRIBUTIONS
    from .glm import GLMS
    if name in FUNCTIONS:
        return "function", FUNCTIONS[name], ""
    if name in GLMS:
        return "glm", GLMS[name], ""
    if name.endswith(("_lpdf", "_lupdf")) and name.rpartition("_")[0] in GLMS:
        return "glm", GLMS[name.rpartition("_")[0]], name.rpartition("_")[2]
    if name in DISTRIBUTIONS:
        return "dist", DISTRIBUTIONS[name], ""
    base, _, suffix = name.rpartition("_")
    if suffix in _SUFFIXES and base in DISTRIBUTIONS:
        dist = DISTRIBUTIONS[base]
        if suffix in ("lpdf", "lupdf") and dist.discrete or suffix in ("lpmf", "lupmf") and not dist.discrete:
            return None
        return "dist", dist, suffix
    if suffix in _CDF_SUFFIXES and base in DISTRIBUTIONS:
        from .cumulative import CUMULATIVE
        row = CUMULATIVE.get(f"{base}_{'lcdf' if suffix == 'cdf' else suffix}")
        return None if row is None else ("dist", row, suffix)
    return None


def known_names() -> list[str]:
    from .distributions import DISTRIBUTIONS
    from .glm import GLMS
    names = list(FUNCTIONS) + [f"{g}_lpdf" for g in GLMS]
    for d in DISTRIBUTIONS.values():
        names += [f"{d.name}_{'lpmf' if d.discrete else 'lpdf'}", f"{d.name}_rng"]
    from .cumulative import KERNELS
    names += [f"{d}_{s}" for d in KERNELS for s in _CDF_SUFFIXES]
    return names
