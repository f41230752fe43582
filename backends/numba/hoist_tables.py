"""The tables of hoisted data-only calls (backends/numba/hoisting.py), made at bind.

``hoist = (mode, table, offsets, sizes)``: site k's entries are
``table[offsets[k]:offsets[k + 1]]``.  Mode 0 reads them; mode 1 notes in
``sizes[k]`` how many entries each site needs; mode 2 records the values
(runtime_hoisting.py, compiled into the generated code).  In mode 0 ``sizes[k]``
is how many leading entries of site k were recorded (not NaN): a loop whose
entries all lie there reads them without checks (loop_versions.py).  Plain numpy, apart from
the compiled code: a warm start makes the tables through the loaded gradient
object without importing Numba.
"""
from __future__ import annotations

import numpy as np

READ, SIZE, RECORD = 0, 1, 2


def empty(n_sites: int, mode: int = READ):
    return (mode, np.empty(0), np.zeros(n_sites + 1, dtype=np.int64), np.zeros(n_sites, dtype=np.int64))


def tables(n_sites: int, run) -> tuple:
    """The read-mode tables, from ``run(hoist)`` (gradients at a few draws, which reach the
    sites; a draw that raises leaves what it reached before) in mode SIZE then RECORD."""
    if n_sites == 0:
        return empty(0)
    sizing = empty(n_sites, SIZE)
    run(sizing)
    sizes = sizing[3]
    offsets = np.zeros(n_sites + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes)
    recording = (RECORD, np.full(int(offsets[-1]), np.nan), offsets, sizes)
    run(recording)
    table = recording[1]
    for k in range(n_sites):
        missing = np.flatnonzero(np.isnan(table[offsets[k]:offsets[k + 1]]))
        sizes[k] = missing[0] if missing.size else offsets[k + 1] - offsets[k]
    return (READ, table, offsets, sizes)

