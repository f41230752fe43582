"""Dependence analysis: is each value data-only, piecewise constant in the
parameters (STEP), or smoothly parametric (SMOOTH)?

Flow-insensitive over variables, iterated to a fixpoint: a variable's class
is the join of everything assigned to it, raised to STEP when an assignment
sits under a condition that varies with the parameters (the value then
differs between regions even if each assigned value is data).
"""
from __future__ import annotations

from . import nodes as N
from .nodes import DATA, SMOOTH, STEP


def expr_dep(e: N.Expr) -> int:
    """Compute and store ``dep`` on ``e`` and its sub-expressions."""
    if isinstance(e, N.Const):
        d = DATA
    elif isinstance(e, N.Load):
        d = e.var.dep
    elif isinstance(e, N.TargetValue):
        d = SMOOTH
    elif isinstance(e, N.Segment):
        expr_dep(e.t)
        d = STEP
    elif isinstance(e, N.Call) and e.fn.jump:
        d = STEP if max((expr_dep(a) for a in e.args), default=DATA) > DATA else DATA
    elif isinstance(e, N.Select):
        c = expr_dep(e.cond)
        d = max(STEP if c > DATA else DATA, expr_dep(e.then), expr_dep(e.other))
    else:
        d = max((expr_dep(c) for c in N.children(e)), default=DATA)
    e.dep = d
    return d


def _body(stmts, ctx: int) -> bool:
    """One pass over a body under a control context of class ``ctx``; True if anything rose."""
    changed = False
    for s in stmts:
        for e in N.stmt_exprs(s):
            expr_dep(e)
        if isinstance(s, N.Assign):
            new = max(s.value.dep, ctx, *(spec_dep(items) for items in s.indices))
            if s.var.block not in ("data", "parameters") and new > s.var.dep:
                s.var.dep = new
                changed = True
        elif isinstance(s, N.If):
            inner = max(ctx, STEP if s.cond.dep > DATA else DATA)
            changed |= _body(s.then, inner)
            changed |= _body(s.other, inner)
        elif isinstance(s, N.While):
            changed |= _body(s.body, max(ctx, STEP if s.cond.dep > DATA else DATA))
        elif isinstance(s, N.ForEach):
            d = s.collection.dep
            if d > s.var.dep:
                s.var.dep = d
                changed = True
            changed |= _body(s.body, ctx)
        elif isinstance(s, N.For):
            changed |= _body(s.body, ctx)
    return changed


def spec_dep(items) -> int:
    return max((expr_dep(x) for spec in items for x in (spec.lo, spec.hi) if x is not None),
               default=DATA)


def _constraint_args(c: N.Constraint) -> list:
    """The constraint's expressions (an omitted offset or multiplier is None)."""
    return [e for e in c.args() if e is not None]


def analyse(program: N.Program) -> None:
    for v in program.data:
        v.dep = DATA
    for v in program.parameters:
        v.dep = STEP if v.keyword == "changepoints" else SMOOTH
    for v in program.parameters:
        if v.constraint is not None:
            for e in _constraint_args(v.constraint):
                expr_dep(e)
        for e in [*v.sizes, *v.array_sizes]:
            expr_dep(e)
    for v in program.data:
        for e in [*v.sizes, *v.array_sizes, *(_constraint_args(v.constraint) if v.constraint else [])]:
            expr_dep(e)
    # Generated quantities are per-draw too, but they never feed the density;
    # they are analysed with the rest so their prints/rejects are classified.
    bodies = [program.transformed_data, program.transformed_parameters, program.model,
              program.generated_quantities]
    for _ in range(100):
        changed = False
        for b in bodies:
            changed |= _body(b, DATA)
        if not changed:
            break
    for v in program.transformed_parameters_vars:
        if v.constraint is not None:
            for e in _constraint_args(v.constraint):
                expr_dep(e)
