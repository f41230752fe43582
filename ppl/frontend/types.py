"""Types of the language: a base (int or real), a shape, and array dimensions.

``Type("real", "vector", 1)`` is ``array[] vector``.  Sizes are not part of
the type (as in Stan's unsized types): they are values known once data are
bound, and checked then.
"""
from __future__ import annotations

from dataclasses import dataclass

SHAPES = ("scalar", "vector", "row_vector", "matrix")


@dataclass(frozen=True)
class Type:
    base: str            # 'int' | 'real'
    shape: str = "scalar"  # one of SHAPES; ints are always scalar
    ndims: int = 0       # number of array dimensions around the shape

    def __str__(self) -> str:
        inner = self.base if self.shape == "scalar" else self.shape
        if self.ndims == 0:
            return inner
        return f"array[{',' * (self.ndims - 1)}] {inner}"

    # -- structure
    @property
    def is_int(self) -> bool:
        return self.base == "int" and self.ndims == 0

    @property
    def is_scalar(self) -> bool:
        return self.shape == "scalar" and self.ndims == 0

    @property
    def is_real_scalar(self) -> bool:
        return self.is_scalar and self.base == "real"

    @property
    def is_numeric_scalar(self) -> bool:
        return self.is_scalar

    @property
    def rank(self) -> int:
        """Number of axes of the value (array dims plus 0/1/1/2 for the shape)."""
        return self.ndims + {"scalar": 0, "vector": 1, "row_vector": 1, "matrix": 2}[self.shape]

    def element(self) -> "Type":
        """Type of ``x[i]``."""
        if self.ndims:
            return Type(self.base, self.shape, self.ndims - 1)
        if self.shape in ("vector", "row_vector"):
            return REAL
        if self.shape == "matrix":
            return ROW_VECTOR
        raise TypeError(f"{self} cannot be indexed")

    def with_base(self, base: str) -> "Type":
        return Type(base, self.shape if base == "real" else "scalar", self.ndims)

    def array_of(self, n: int = 1) -> "Type":
        return Type(self.base, self.shape, self.ndims + n)

    def promotes_to(self, other: "Type") -> bool:
        """Can a value of this type be used where ``other`` is expected (Stan's promotion)?"""
        if self == other:
            return True
        return (self.base == "int" and other.base == "real" and self.shape == "scalar"
                and other.shape == "scalar" and self.ndims == other.ndims)


INT = Type("int")
REAL = Type("real")
VECTOR = Type("real", "vector")
ROW_VECTOR = Type("real", "row_vector")
MATRIX = Type("real", "matrix")


def parse_type(text: str) -> Type:
    """``"array[,] real"`` -> Type('real', 'scalar', 2); used by the stdlib tables."""
    text = text.strip()
    ndims = 0
    if text.startswith("array["):
        close = text.index("]")
        ndims = text[6:close].count(",") + 1
        text = text[close + 1:].strip()
    if text in ("int", "real"):
        return Type(text, "scalar", ndims)
    if text in ("vector", "row_vector", "matrix"):
        return Type("real", text, ndims)
    raise ValueError(f"bad type string {text!r}")
