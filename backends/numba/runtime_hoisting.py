"""The tables of hoisted data-only calls (backends/numba/hoisting.py).

``hoist = (mode, table, offsets, sizes)``: site k's entries are
``table[offsets[k]:offsets[k + 1]]``.  Mode 0 reads them; mode 1 notes in
``sizes[k]`` how many entries each site needs; mode 2 records the values.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

READ, SIZE, RECORD = 0, 1, 2


@njit(cache=True, inline="always")
def lookup(hoist, site, flat):
    """Site ``site``'s entry ``flat``, or NaN: compute it (not recorded, or not reading)."""
    mode, table, offsets, sizes = hoist
    if mode != READ or flat >= offsets[site + 1] - offsets[site]:
        return math.nan
    return table[offsets[site] + flat]


@njit(cache=True)
def note(hoist, site, flat, value):
    """``value``, computed in place; sized or recorded when that is the mode."""
    mode, table, offsets, sizes = hoist
    if mode == SIZE:
        sizes[site] = max(sizes[site], flat + 1)
    elif mode == RECORD and flat < offsets[site + 1] - offsets[site]:
        table[offsets[site] + flat] = value
    return value


def empty(n_sites: int, mode: int = READ):
    return (mode, np.empty(0), np.zeros(n_sites + 1, dtype=np.int64), np.zeros(n_sites, dtype=np.int64))


def tables(n_sites: int, run) -> tuple:
    """The read-mode tables, from ``run(hoist)`` (one evaluation that reaches the sites:
    a gradient) in mode SIZE then RECORD; an evaluation that raises leaves what it
    reached before."""
    if n_sites == 0:
        return empty(0)
    sizing = empty(n_sites, SIZE)
    _quietly(run, sizing)
    sizes = sizing[3]
    offsets = np.zeros(n_sites + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes)
    recording = (RECORD, np.full(int(offsets[-1]), np.nan), offsets, sizes)
    _quietly(run, recording)
    return (READ, recording[1], offsets, sizes)


def _quietly(run, hoist):
    try:
        run(hoist)
    except Exception:       # a rejection, an index out of range: the reference reports those
        pass
