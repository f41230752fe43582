"""Data-matrix × parameter-vector products computed for the whole batch at once.

``X * b`` with ``X`` a data matrix (N×K) and ``b`` an unconstrained vector
parameter is, over a batch of S draws, one matrix product ``U X^T`` (S×N, U
the draws' slices of theta) instead of S matrix-vector products: BLAS runs it
several times faster (backends/numba/runtime_linalg.py, over the transposed
data matrix, which ``prepared`` makes once per bind).  Each draw's function then reads its row of the product
(an argument).  The adjoint ``X^T g`` that the reverse sweep adds to ``b``'s
adjoint is deferred the same way: each draw adds ``g`` into its row of an S×N
buffer, and after the loop one product ``G X`` is added to the gradient's
columns of ``b`` (exact: ``b`` has no transform, so its adjoint is its
gradient, and adjoints only ever add up).

The S×N buffers are carved out of ``work``, a float64 array the caller keeps
between calls (``prepared`` says how many elements per draw): buffers this
large, allocated afresh per call, come from fresh pages, and the page faults
cost more than the products save.
"""
from __future__ import annotations

import numpy as np

from ppl.ad import nodes as D
from ppl.ir import nodes as N

DATA_BLOCKS = ("data", "transformed data")


class BatchedProducts:
    """The products (and deferred adjoints) one generated per-draw function uses."""

    def __init__(self, slots, name):
        self._slots = {id(s.var): s for s in slots}
        self._name = name              # IR variable -> identifier in the generated code
        self.products: dict[tuple, str] = {}   # (id X, id b) -> row argument name
        self.adjoints: dict[tuple, str] = {}
        self._parts: dict[tuple, tuple] = {}   # key -> (X name, slot)

    def _key(self, e) -> tuple | None:
        """(id X, id b) when ``e`` (a Call or an Adjoint of ``*``) is X * b as described."""
        if getattr(e.fn, "name", None) != "*" or len(e.args) != 2:
            return None
        x, b = e.args
        if not (isinstance(x, N.Load) and isinstance(b, N.Load)):
            return None
        if x.var.block not in DATA_BLOCKS or x.var.type.shape != "matrix" or x.var.type.ndims:
            return None
        slot = self._slots.get(id(b.var))
        if slot is None or b.var.constraint is not None or b.var.type.shape != "vector" \
                or b.var.type.ndims or len(slot.shape) != 1:
            return None
        key = (id(x.var), id(b.var))
        self._parts[key] = (self._name(x.var), slot)
        return key

    def product(self, e: N.Call) -> str | None:
        """The name of this draw's row of X * b, or None when e is not such a product."""
        key = self._key(e)
        if key is None:
            return None
        return self.products.setdefault(key, f"_xb{len(self.products)}")

    def deferred_adjoint(self, s: D.Accumulate, adjoint_of) -> str | None:
        """The name of this draw's row of the deferred adjoint when ``s`` adds X^T g to
        b's adjoint, or None."""
        e = s.value
        if s.indices or not isinstance(e, D.Adjoint) or e.index != 1:
            return None
        key = self._key(e)
        if key is None or adjoint_of(e.args[1].var) is not s.adj:
            return None
        return self.adjoints.setdefault(key, f"_xg{len(self.adjoints)}")

    def arguments(self) -> str:
        """The extra arguments of the per-draw function, in order."""
        return "".join(f", {n}" for n in [*self.products.values(), *self.adjoints.values()])

    def transposed(self) -> set[str]:
        """The data matrices whose transposes the batch functions take."""
        return {self._parts[k][0] for k in [*self.products, *self.adjoints]}

    def work_matrices(self) -> list[str]:
        """The data matrices one draw's share of ``work`` holds a row of (one per product
        or deferred adjoint: a matrix may appear twice)."""
        return [self._parts[k][0] for k in [*self.products, *self.adjoints]]

    def before_loop(self) -> list[str]:
        if not (self.products or self.adjoints):
            return []
        lines = ["    _at = 0"]
        for table, init in ((self.products, None), (self.adjoints, "0.0")):
            for key, n in table.items():
                x, slot = self._parts[key]
                lines.append(f"    {n}_all = work[_at:_at + S * {x}.shape[0]].reshape((S, {x}.shape[0]))")
                lines.append(f"    _at += S * {x}.shape[0]")
                if init is None:
                    lines.append(f"    L.rows_times(thetas[:, {slot.offset}:{slot.offset + slot.size}], "
                                 f"{x}_T, {n}_all)")
                else:
                    lines.append(f"    {n}_all[...] = {init}")
        return lines

    def row_arguments(self) -> str:
        return "".join(f", {n}_all[s]" for n in [*self.products.values(), *self.adjoints.values()])

    def after_loop(self) -> list[str]:
        lines = []
        for key, n in self.adjoints.items():
            x, slot = self._parts[key]
            lines.append(f"    L.add_rows_times_transpose({n}_all, {x}_T, "
                         f"grads[:, {slot.offset}:{slot.offset + slot.size}])")
        return lines


def prepared(data: tuple, layout: tuple) -> tuple[int, tuple]:
    """(the elements of ``work`` one draw needs, the derived data the batch functions take
    after the data: transposed data matrices) for the data arguments ``data`` of a
    generated module whose ``PREPARE`` is ``layout``: (the positions of the matrices to
    transpose, then for each batch function the positions of the matrices one draw keeps
    a row of).  Plain numpy: a warm start computes it without Numba."""
    transposed, *rows = layout
    work = max([sum(data[i].shape[0] for i in r) for r in rows], default=0)
    return work, tuple(np.ascontiguousarray(data[i].T) for i in transposed)
