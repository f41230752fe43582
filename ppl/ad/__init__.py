"""Reverse-mode differentiation of the IR by source transformation."""
from .transform import GradientProgram, differentiate


def gradient_program(program) -> GradientProgram:
    """The (cached) gradient program of a compiled IR program."""
    cached = getattr(program, "_gradient_program", None)
    if cached is None:
        cached = differentiate(program)
        program._gradient_program = cached
    return cached


__all__ = ["GradientProgram", "differentiate", "gradient_program"]
