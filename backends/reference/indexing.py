"""Indexing of batched values: ``x[i]``, ``x[a:b]``, ``x[idxs]``, ``x[i][j, k]``.

Brackets are composed into one numpy index on the stored array (its leading
axis is the batch axis, never indexed).  Indices are 1-based and checked.
"""
from __future__ import annotations

import numpy as np

from ppl.ir import nodes as N

from .values import _uniform_int, runtime_error


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
                else:
                    per_axis[ax] = cur[sel]
                if isinstance(sel, (int, np.integer)):
                    consumed.append(ax)
            remaining = [a for a in remaining if a not in consumed]
        kept_shape = tuple(x.shape[ax + 1] if per_axis[ax] is None else len(per_axis[ax])
                           for ax in range(rank) if not isinstance(per_axis[ax], (int, np.integer)))
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
            i = _uniform_int(self.eval(spec.lo, f), spec.lo.span, "an index")
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


