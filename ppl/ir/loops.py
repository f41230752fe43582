"""Loops whose iterations are independent of each other.

A top-level loop that assigns only variables declared inside it (so nothing
one iteration computes is seen by the next) and reads nothing the statements
after it assign: the common ``for (n in 1:N) target += ...`` over data.  The
AD transform runs the reverse of such a loop iteration by iteration inside the
forward sweep (ppl.ad.transform), and the jump function visits only the
iterations holding a forced guard instance (backends/numba/jumps.py).
"""
from __future__ import annotations

from . import nodes as N


def independent_iterations(s: N.Stmt, later: list) -> bool:
    """Is s a loop (no changepoint series) without break, continue, while or changepoint
    series inside, assigning only variables declared inside it, and reading nothing the
    statements ``later`` (those after it) assign?"""
    if not isinstance(s, N.For) or s.changepoint is not None:
        return False
    inside = list(N.walk_stmts(s.body))
    if any(isinstance(x, (N.Break, N.Continue, N.While, N.ForEach))
           or (isinstance(x, N.For) and x.changepoint is not None) for x in inside):
        return False
    own = {id(x.var) for x in inside if isinstance(x, (N.Declare, N.For))}
    if any(isinstance(x, N.Assign) and id(x.var) not in own for x in inside):
        return False
    read = {id(e.var) for x in [s, *inside] for ex in N.stmt_exprs(x) for e in N.walk_expr(ex)
            if isinstance(e, N.Load)}
    return not (read & N.assigned_variables(later).keys())
