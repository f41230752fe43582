"""Changepoint series in generated native code (DESIGN §7): the table ell[t, j]
filled by running the loop body once per step and segment, the exact log
marginal of stdlib/native_changepoint.py, and the reversed body seeded with
the segment posteriors.  The same maths as the reference backend's
backends/reference/changepoint_loop.py and its adjoint, with plain compiled
loops over t and j in place of the reference's lanes."""
from __future__ import annotations

from ppl.ad import nodes as D
from ppl.ir import nodes as N
from ppl.ir.changepoints import data_only

from .batched import DATA_BLOCKS


class ChangepointSeries:
    """FunctionGen methods for a ``for`` loop that is a changepoint series."""

    def changepoint_names(self, var: N.Variable) -> tuple[str, str, str]:
        """(the table ell, its segment posteriors, the current segment) of a
        changepoints parameter; defined at the top of the function, since the
        reverse sweep reads what the forward sweep computed in another block."""
        v = self.name(var)
        table, posteriors, segment = f"cp_ell_{v}", f"cp_posterior_{v}", f"cp_segment_{v}"
        self.m.local_inits[table] = (2, "real")
        self.m.local_inits[posteriors] = (2, "real")
        self.m.local_inits[segment] = (0, "int")
        return table, posteriors, segment

    def changepoint_series(self, s: N.For, lo: str, hi: str):
        """The loop of a changepoint series (DESIGN §7): the body once per step t and
        segment j (``segment(tau, t)`` is j; comparisons with tau[k] were rewritten
        to segment tests by the plan), its target increments collected into
        ell[t-1, j-1], then the exact log marginal over all placements added.
        Bounds that do not fit the series raise, and the reference backend reports
        them with their source lines."""
        var = s.changepoint.var
        M, T = (self.operand(e) for e in var.sizes)
        table, posteriors, segment = self.changepoint_names(var)
        outer = f"cp_target_{self.name(var)}"
        self.w(f"if {lo} != 1 or {hi} != {T} or {M} < 0 or {M} > {T} - 1:")
        self.w("    raise ValueError('changepoint series bounds')")
        for k_expr, _ in s.changepoint.indices:
            if data_only(k_expr):          # out of range: the reference reports it, located
                k = self.operand(k_expr)
                self.w(f"if {k} < 1 or {k} > {M}:")
                self.w("    raise ValueError('changepoint index')")
        self.table(table, T, M, var)
        self.w(f"{outer} = target")
        self.w(f"for {self.name(s.var)} in range(1, {T} + 1):")
        self.w.indent()
        self.w(f"for {segment} in range(1, {M} + 2):")
        self.w.indent()
        self.w("target = 0.0")
        self.stmts(s.body)
        self.w(f"{table}[{self.name(s.var)} - 1, {segment} - 1] = target")
        self.w.dedent()
        self.w.dedent()
        if self.differentiating:
            self.table(posteriors, T, M, var)
            self.w(f"target = {outer} + KC.log_marginal_gradient({table}, {posteriors})")
        else:
            self.w(f"target = {outer} + KC.log_marginal({table})")

    def table(self, name: str, T: str, M: str, var: N.Variable):
        """A T x (M + 1) table: the batch's buffer for it when its sizes are data the batch
        function has (a fresh one per draw of a long series costs page faults), else new."""
        shape = _batch_shape(var, self.m.name)
        if shape is None:
            self.w(f"{name} = np.empty(({T}, {M} + 1))")
            return
        self.buffers[f"{name}_buf"] = shape
        self.w(f"if {name}_buf.shape[0] == {T} and {name}_buf.shape[1] == {M} + 1:")
        self.w(f"    {name} = {name}_buf")
        self.w("else:")
        self.w(f"    {name} = np.empty(({T}, {M} + 1))")

    def s_ReverseChangepointFor(self, s: D.ReverseChangepointFor):
        """The reverse of a changepoint series: the reversed body of step t in segment j,
        in the reverse order of the forward sweep (the tape is LIFO), seeded with
        d log marginal / d ell[t-1, j-1], the segment posterior of that cell (the
        forward sweep computed them with the log marginal)."""
        var = s.plan.var
        table, weights, segment = self.changepoint_names(var)
        outer = f"cp_seed_{self.name(var)}"
        self.w(f"{outer} = seed")
        self.w(f"for {self.name(s.var)} in range({table}.shape[0], 0, -1):")
        self.w.indent()
        self.w(f"for {segment} in range({table}.shape[1], 0, -1):")
        self.w.indent()
        self.w(f"seed = {outer} * {weights}[{self.name(s.var)} - 1, {segment} - 1]")
        if not _reads_tape(s.body):
            # a cell off the posterior's support adds nothing (most cells of a long
            # series); with a tape every cell must still pop what it pushed
            self.w("if seed == 0.0:")
            self.w("    continue")
        self.stmts(s.body)
        self.w.dedent()
        self.w.dedent()
        self.w(f"seed = {outer}")

    def e_Segment(self, e: N.Segment):
        return self.changepoint_names(e.var)[2]


def _reads_tape(stmts) -> bool:
    """Does a reversed body pop saved values or branch decisions?"""
    for s in stmts:
        if isinstance(s, (D.Pop, D.ReverseIf, D.ReverseWhile, D.WithMask)):
            return True
        if any(isinstance(b, list) and _reads_tape(b)
               for b in (getattr(s, "body", None), getattr(s, "then", None), getattr(s, "other", None))):
            return True
    return False


def _batch_shape(var: N.Variable, name) -> str | None:
    """The shape (T, M + 1) of a changepoints parameter's tables as code over the batch
    function's arguments: its sizes are constants or data variables; else None."""
    codes = []
    for e in var.sizes:
        if isinstance(e, N.Const) and isinstance(e.value, int):
            codes.append(repr(e.value))
        elif isinstance(e, N.Load) and e.var.block in DATA_BLOCKS and not e.var.type.ndims:
            codes.append(name(e.var))
        else:
            return None
    M, T = codes
    return f"({T}, {M} + 1)"
