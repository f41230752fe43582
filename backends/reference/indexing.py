"""Indexing of batched values: ``x[i]``, ``x[a:b]``, ``x[idxs]``, ``x[i][j, k]``.

Brackets are composed into one numpy index on the stored array (its leading
axis is the batch axis, never indexed).  Indices are 1-based and checked.
"""
from __future__ import annotations

import numpy as np

from ppl.ir import nodes as N

from .values import _uniform_int, runtime_error


class PerLane:
    """A single index that differs between lanes (0-based, one per lane), e.g.
    ``rate[segment(tau, t)]`` while the changepoint table is filled lane-wise."""

    def __init__(self, idx: np.ndarray):
        self.idx = idx


def _consumes(a) -> bool:
    return isinstance(a, (int, np.integer, PerLane))


class Indexing:
    """Mixed into the interpreter: needs ``self.eval`` and the module's helpers."""

    def _index_tuple(self, x, brackets, f, name, span):
        """Compose brackets ``x[a][b, c]`` into one index on the stored array.

        Returns the numpy index and the shape of the result's non-batch axes."""
        rank = x.ndim - 1
        per_axis: list = [None] * rank      # None: whole axis; int; or 1-D int array
        remaining = list(range(rank))
        for items in brackets:
            if len(items) > len(remaining):
                raise runtime_error(f"too many indexes for '{name}'", span)
            consumed = []
            for spec, ax in zip(items, remaining):
                n = x.shape[ax + 1]
                cur = per_axis[ax]
                size = n if cur is None else len(cur)
                sel = self._one_index(spec, size, f, name, span)
                if cur is None:
                    per_axis[ax] = sel
                elif isinstance(sel, PerLane):
                    per_axis[ax] = PerLane(cur[sel.idx])
                else:
                    per_axis[ax] = cur[sel]
                if _consumes(sel):
                    consumed.append(ax)
            remaining = [a for a in remaining if a not in consumed]
        kept_shape = tuple(x.shape[ax + 1] if per_axis[ax] is None else len(per_axis[ax])
                           for ax in range(rank) if not _consumes(per_axis[ax]))
        if any(isinstance(a, PerLane) for a in per_axis):
            return self._lane_index(x, per_axis, len(kept_shape)), kept_shape
        arrays = [a for a in per_axis if a is not None and not isinstance(a, (int, np.integer))]
        if len(arrays) <= 1:
            idx = (slice(None),) + tuple(slice(None) if a is None else a for a in per_axis)
            if len(arrays) == 1:
                # a single advanced index keeps its axis in place unless ints separate
                # it from the front; handle the general case with np.ix_ below
                first = next(i for i, a in enumerate(per_axis) if a is not None
                             and not isinstance(a, (int, np.integer)))
                if any(isinstance(a, (int, np.integer)) for a in per_axis[:first]) and \
                        any(isinstance(a, (int, np.integer)) for a in per_axis[first + 1:]):
                    return self._ix(x, per_axis), kept_shape
            return idx, kept_shape
        return self._ix(x, per_axis), kept_shape

    @staticmethod
    def _lane_index(x, per_axis, n_kept):
        """Advanced index with one entry per lane: open-mesh arrays whose broadcast
        shape is (S, kept axes...), so reads, writes and np.add.at all see lanes."""
        S = max(max(a.idx.shape[0] for a in per_axis if isinstance(a, PerLane)), x.shape[0])
        ones = (1,) * n_kept
        batch = np.arange(S) if x.shape[0] == S else np.zeros(S, dtype=np.int64)
        idx = [batch.reshape((S,) + ones)]
        k = 0
        for ax, a in enumerate(per_axis):
            if isinstance(a, (int, np.integer)):
                idx.append(a)
            elif isinstance(a, PerLane):
                idx.append(np.broadcast_to(a.idx, (S,)).reshape((S,) + ones))
            else:
                arr = np.arange(x.shape[ax + 1]) if a is None else np.asarray(a)
                shape = [1] * (1 + n_kept)
                shape[1 + k] = arr.size
                idx.append(arr.reshape(shape))
                k += 1
        return tuple(idx)

    @staticmethod
    def _ix(x, per_axis):
        axes = [np.arange(x.shape[0])]
        for ax, a in enumerate(per_axis):
            if a is None:
                axes.append(np.arange(x.shape[ax + 1]))
            elif isinstance(a, (int, np.integer)):
                axes.append(np.array([a]))
            else:
                axes.append(np.asarray(a))
        return np.ix_(*axes)

    def _one_index(self, spec: N.IndexSpec, n: int, f, name, span):
        if spec.kind == "all":
            return np.arange(n)
        if spec.kind == "single":
            v = np.asarray(self.eval(spec.lo, f))
            if v.shape[0] > 1 and not np.all(v == v[0]):
                active = np.broadcast_to(f.mask, v.shape) if f.mask.shape == v.shape else np.ones(v.shape, bool)
                bad = active & ((v < 1) | (v > n))
                if bad.any():
                    raise runtime_error(f"index {int(v[bad][0])} out of range for '{name}' (size {n})",
                                        spec.lo.span)
                return PerLane(np.clip(v - 1, 0, max(n - 1, 0)).astype(np.int64))
            i = int(v.reshape(-1)[0])
            if not 1 <= i <= n:
                raise runtime_error(f"index {i} out of range for '{name}' (size {n})", spec.lo.span)
            return i - 1
        if spec.kind == "multi":
            arr = np.asarray(self.eval(spec.lo, f))
            if arr.shape[0] > 1 and not np.all(arr == arr[:1]):
                raise runtime_error("multi-indexes that depend on the parameters are not supported",
                                    spec.lo.span)
            arr = arr[0]
            bad = (arr < 1) | (arr > n)
            if bad.any():
                raise runtime_error(f"index {int(arr[bad][0])} out of range for '{name}' (size {n})",
                                    spec.lo.span)
            return arr - 1
        lo = 1 if spec.lo is None else _uniform_int(self.eval(spec.lo, f), spec.lo.span, "a slice bound")
        hi = n if spec.hi is None else _uniform_int(self.eval(spec.hi, f), spec.hi.span, "a slice bound")
        if hi < lo:
            return np.arange(0)
        for b, sp in ((lo, spec.lo), (hi, spec.hi)):
            if not 1 <= b <= n:
                raise runtime_error(f"slice bound {b} out of range for '{name}' (size {n})",
                                    (sp.span if sp is not None else span))
        return np.arange(lo - 1, hi)


