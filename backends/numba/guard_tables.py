"""Forced guards in generated native code (DESIGN §4: "a compiled density can be
evaluated with any guard forced true or false, all others natural").

A draw's forcing is a table ``force`` of int64 rows ``[site, value, k0, k1,
k2]``: the guard instance of site ``site`` at loop iterations ``(k0, k1,
k2)`` (0-based counts of the enclosing ``for`` loops, outermost first, as the
reference backend's loop keys) evaluates to ``value`` (1 true, 0 false)
instead of its condition; a value of -1 keeps the condition.  A key of -1
matches every iteration (a site forced in all its instances, or the unused
levels of a shallower site); a row whose site is -1 is padding.  The first
row that matches wins.  An empty table is the natural density.

Plain numpy: the code generator and the executor use it without importing Numba.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

FORCE_WIDTH = 5          # site, value and up to three loop keys
MAX_LOOP_DEPTH = FORCE_WIDTH - 2


def force_row(key, value: int) -> list:
    """The row forcing a guard instance (site id, loop keys) or a whole site (site id)."""
    if isinstance(key, tuple):
        site, loop_keys = key
        return [site, value, *loop_keys, *[-1] * (MAX_LOOP_DEPTH - len(loop_keys))]
    return [key, value, -1, -1, -1]


def force_tables(force: dict, S: int) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The reference backend's ``force`` (site id or (site id, loop keys) -> bool, or an
    int array over the S draws: 1 true, 0 false, -1 natural) as ``(forces (F, L,
    FORCE_WIDTH), lane_force (S,))``: draw s is evaluated with table
    ``forces[lane_force[s]]``.  Keyed entries come first, as the reference looks them up
    before the site's.  None when a key is nested deeper than the tables hold."""
    if any(isinstance(key, tuple) and len(key[1]) > MAX_LOOP_DEPTH for key in force):
        return None
    ordered = sorted(force, key=lambda key: not isinstance(key, tuple))
    per_lane = []
    for key in ordered:
        row, value = force_row(key, 0), force[key]
        if isinstance(value, np.ndarray):
            lanes = np.broadcast_to(np.asarray(value, dtype=np.int64).reshape(-1), (S,))
        else:
            lanes = np.full(S, 1 if value else 0, dtype=np.int64)
        per_lane.append((row, lanes))
    tables: dict = {}
    lane_force = np.empty(S, dtype=np.int64)
    for s in range(S):
        rows = tuple((row[0], int(lanes[s]), *row[2:]) for row, lanes in per_lane)
        lane_force[s] = tables.setdefault(rows, len(tables))
    width = max(1, len(per_lane))
    forces = np.full((max(1, len(tables)), width, FORCE_WIDTH), -1, dtype=np.int64)
    for rows, k in tables.items():
        if rows:
            forces[k, :len(rows)] = rows
    return forces, lane_force


def forced_false(forces: np.ndarray) -> np.ndarray:
    """The tables ``forces`` with the instances they force true forced false instead (the
    other world of a jump: jumps.py)."""
    out = forces.copy()
    out[..., 1] = np.where(forces[..., 1] == 1, 0, forces[..., 1])
    return out
