"""Parameter constraint transforms (Stan's constrain / unconstrain maps)."""
from .constraints import (
    SIMPLEX_TOLERANCE,
    TRANSFORMS,
    Affine,
    LowerBound,
    LowerUpperBound,
    Ordered,
    PositiveOrdered,
    Simplex,
    Transform,
    UpperBound,
)

__all__ = [
    "Transform",
    "LowerBound",
    "UpperBound",
    "LowerUpperBound",
    "Affine",
    "Ordered",
    "PositiveOrdered",
    "Simplex",
    "TRANSFORMS",
    "SIMPLEX_TOLERANCE",
]
