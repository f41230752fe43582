"""Helpers on batched values shared by the interpreter and its parts."""
from __future__ import annotations

import numpy as np

from ppl.frontend.errors import PPLError


def runtime_error(message, span):
    return PPLError(message, span, kind="error")


def _bsize(x) -> int:
    return np.shape(x)[0]


def _expand(x, S):
    """Give a value S lanes (copying when it had one)."""
    if _bsize(x) == S:
        return x
    return np.repeat(x, S, axis=0)


def _uniform_int(x, span, what="an index"):
    """A per-lane int that must be the same in every lane (sizes, loop bounds)."""
    x = np.asarray(x)
    if x.shape[0] > 1:
        if not np.all(x == x[0]):
            raise runtime_error(f"{what} depends on the parameters, which is not supported", span)
    return int(x[0])
