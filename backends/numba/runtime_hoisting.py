"""Reading and recording the tables of hoisted data-only calls in generated code
(the tables' layout and their making: hoist_tables.py)."""
from __future__ import annotations

import math

from numba import njit

from .hoist_tables import READ, RECORD, SIZE


@njit(cache=True, inline="always")
def lookup(hoist, site, flat):
    """Site ``site``'s entry ``flat``, or NaN: compute it (not recorded, or not reading)."""
    mode, table, offsets, sizes = hoist
    if mode != READ or flat >= offsets[site + 1] - offsets[site]:
        return math.nan
    return table[offsets[site] + flat]


@njit(cache=True, inline="always")
def recorded(hoist, site):
    """Site ``site``'s leading entries that are recorded (none unless reading)."""
    mode, table, offsets, sizes = hoist
    return table[offsets[site]:offsets[site] + (sizes[site] if mode == READ else 0)]


@njit(cache=True)
def note(hoist, site, flat, value):
    """``value``, computed in place; sized or recorded when that is the mode."""
    mode, table, offsets, sizes = hoist
    if mode == SIZE:
        sizes[site] = max(sizes[site], flat + 1)
    elif mode == RECORD and flat < offsets[site + 1] - offsets[site]:
        table[offsets[site] + flat] = value
    return value
