"""Stan's generalised linear model densities, as one table.

``y ~ normal_id_glm(x, alpha, beta, sigma)`` is ``y ~ normal(alpha + x * beta,
sigma)``: a GLM density is its family's density at the linear predictor.
Each row names the family (a row of :data:`stdlib.distributions.DISTRIBUTIONS`)
and the family's parameters after the location; the lowering builds the
linear predictor from the ``+`` and ``*`` operators and emits the family's
density, so values, derivative rules and native templates are the family's
and the matrix product's (nothing is defined twice).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ppl.frontend.types import REAL, VECTOR, Type


@dataclass(frozen=True)
class Glm:
    name: str            # "normal_id_glm"
    family: str          # key into DISTRIBUTIONS: "normal"
    rest: tuple[str, ...]  # the family's parameters after the location, e.g. ("sigma",)

    @property
    def params(self) -> tuple[str, ...]:
        return ("x", "alpha", "beta", *self.rest)

    def check(self, types: list[Type]) -> Optional[str]:
        """None if ``(y, x, alpha, beta, *rest)`` fit Stan's signatures, else what is wrong."""
        if len(types) != 4 + len(self.rest):
            return (f"'{self.name}' takes {3 + len(self.rest)} argument(s) "
                    f"({', '.join(self.params)}) after the variate, found {len(types) - 1}")
        y, x, alpha, beta, *rest = types
        scalar_or_vector = (REAL, VECTOR)
        if _real(y) not in scalar_or_vector:
            return f"the variate of {self.name} must be real or vector, found {y}"
        if x.ndims or x.shape not in ("matrix", "row_vector"):
            return f"argument 'x' of {self.name} must be matrix or row_vector, found {x}"
        if _real(alpha) not in scalar_or_vector:
            return f"argument 'alpha' of {self.name} must be real or vector, found {alpha}"
        if beta != VECTOR:
            return f"argument 'beta' of {self.name} must be vector, found {beta}"
        for name, t in zip(self.rest, rest):
            if _real(t) not in scalar_or_vector:
                return f"argument '{name}' of {self.name} must be real or vector, found {t}"
        return None


def _real(t: Type) -> Type:
    return t.with_base("real") if t.base == "int" and t.is_scalar else t


GLMS: dict[str, Glm] = {g.name: g for g in [
    Glm("normal_id_glm", "normal", ("sigma",)),
]}
