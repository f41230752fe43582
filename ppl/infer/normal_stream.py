"""The random source of the VI loop (ppl.infer.optimize.adam): standard normals from
normal_kernels, seeded from the fit's numpy Generator, everything else from that Generator.

The compiled loop (ppl.infer.compiled_loop) draws from the same state inside compiled
code, so both loops see the same normals in the same order and a seed repeats bit for bit.
"""
from __future__ import annotations

import numpy as np

from .normal_kernels import fill_standard_normal


class NormalStream:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.state = rng.integers(0, np.iinfo(np.uint64).max, size=4, dtype=np.uint64, endpoint=True)
        if not self.state.any():       # the one state xoshiro cannot leave (probability 2^-256)
            self.state[0] = 1

    def standard_normal(self, size=None):
        out = np.empty(() if size is None else size)
        fill_standard_normal(self.state, out)
        return out if size is not None else float(out)

    def choice(self, *args, **kwargs):
        return self.rng.choice(*args, **kwargs)

    def integers(self, *args, **kwargs):
        return self.rng.integers(*args, **kwargs)
