"""Native backend: the IR compiled to machine code through Numba/LLVM."""
from .executor import NativeModel, Unsupported

__all__ = ["NativeModel", "Unsupported"]
