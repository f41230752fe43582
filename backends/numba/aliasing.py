"""Which variables a generated function updates in place, so that assignments
of one array variable to another copy only when an in-place update could make
the two differ (otherwise the target just shares the array)."""
from __future__ import annotations

import dataclasses

from ppl.ad import nodes as D
from ppl.ir import nodes as N


def mutated_variables(stmts) -> set[int]:
    """ids of the variables (adjoints included) some statement updates in place:
    indexed assignments and pops, adjoint accumulation and zeroing."""
    out: set[int] = set()
    for s in all_statements(stmts):
        if isinstance(s, (N.Assign, D.Pop)) and s.indices:
            out.add(id(s.var))
        elif isinstance(s, (D.Accumulate, D.ZeroAdjoint)):
            out.add(id(s.adj))
    return out


def loaded_variables(e) -> set[int]:
    """ids of the variables an expression reads (a view of one may be its value)."""
    out: set[int] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (N.Load, N.Segment)):
            out.add(id(x.var))
        elif isinstance(x, (N.Expr, N.IndexSpec)):
            stack.extend(getattr(x, f.name) for f in dataclasses.fields(x)
                         if f.name not in ("span", "type", "dep"))
    return out


def all_statements(stmts):
    """Every statement of stmts, nested ones included, those of the AD program too."""
    for s in stmts:
        yield s
        for attr in ("body", "then", "other"):
            inner = getattr(s, attr, None)
            if isinstance(inner, list):
                yield from all_statements(inner)
