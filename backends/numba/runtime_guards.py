"""Forced guards in generated native code: the lookups the compiled functions make in a
draw's table of forced guard instances (the table's layout and its making:
guard_tables.py)."""
from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def _forced_row(force, site, k0, k1, k2):
    """The first row of ``force`` naming this instance, or -1."""
    for r in range(force.shape[0]):
        if force[r, 0] == site and (force[r, 2] < 0 or force[r, 2] == k0) \
                and (force[r, 3] < 0 or force[r, 3] == k1) and (force[r, 4] < 0 or force[r, 4] == k2):
            return r
    return -1


@njit(cache=True, inline="always")
def forced_here(force, site, k0, k1, k2):
    """Does ``force`` force this instance (to either value)?"""
    if force.shape[0] == 0:
        return False
    r = _forced_row(force, site, k0, k1, k2)
    return r >= 0 and force[r, 1] >= 0


@njit(cache=True, inline="always")
def first_forced_key(force, lo, hi):
    """The first iteration (0-based) of a top-level loop whose body holds the sites lo .. hi
    holding an instance ``force`` forces: 0 when a whole such site is forced, beyond any
    iteration when none is.  The range may hold more sites: the answer errs towards 0."""
    first = 1 << 62
    for r in range(force.shape[0]):
        site = force[r, 0]
        if force[r, 1] < 0 or site < lo or site > hi:
            continue
        if force[r, 2] < 0:
            return 0
        if force[r, 2] < first:
            first = force[r, 2]
    return first


@njit(cache=True, inline="always")
def last_forced_key(force, lo, hi, after_lo, after_hi):
    """For a top-level loop whose body holds the sites lo .. hi, followed by statements
    holding after_lo .. after_hi: the last iteration (0-based) holding an instance ``force``
    forces; -1 when none does, and beyond any iteration when a whole site of the loop, or a
    site after it, is forced.  The ranges may hold more sites than those: the answer errs
    towards later."""
    last = -1
    for r in range(force.shape[0]):
        site = force[r, 0]
        if force[r, 1] < 0:
            continue
        if after_lo <= site <= after_hi or (lo <= site <= hi and force[r, 2] < 0):
            return 1 << 62
        if lo <= site <= hi and force[r, 2] > last:
            last = force[r, 2]
    return last


@njit(cache=True)
def guard_int(force, site, natural, k0, k1, k2):
    """An int-valued guard (a comparison, ``int_step``): ``natural`` unless forced."""
    if force.shape[0] == 0:
        return natural
    r = _forced_row(force, site, k0, k1, k2)
    return natural if r < 0 or force[r, 1] < 0 else force[r, 1]


@njit(cache=True)
def guard_real(force, site, natural, k0, k1, k2):
    """A real-valued guard (``step``, ``floor`` ...): ``natural`` unless forced."""
    if force.shape[0] == 0:
        return natural
    r = _forced_row(force, site, k0, k1, k2)
    return natural if r < 0 or force[r, 1] < 0 else float(force[r, 1])
