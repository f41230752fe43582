"""A choice between loop-invariant values moved out of the function applied to it.

In a loop, ``poisson_log(y[i] | z > c[i] ? x0 : x1)`` computes exp of the
chosen rate in every iteration.  Written ``z > c[i] ? poisson_log(y[i] | x0) :
poisson_log(y[i] | x1)`` instead, each side's parametric part (exp(x0), exp(x1))
no longer varies with the loop and the native code computes it once per draw.
The value is the same (only the chosen side is evaluated), and so are the
derivative and the guard: the condition is the same node.

Rewritten: a distribution or a scalar function in a loop body whose argument
is a scalar ``?:`` with both sides constants or scalar variables the loop does
not assign, when its other arguments are free of guards and can be copied.
Changepoint series are left alone (their conditions are segments).
"""
from __future__ import annotations

import dataclasses

from . import nodes as N
from .dependence import expr_dep


def hoist_invariant_choices(program: N.Program) -> None:
    for body in (program.transformed_parameters, program.model):
        _body(body, None)


def _body(stmts: list, assigned) -> None:
    """``assigned``: the variables the innermost enclosing loop assigns, by id (None: no loop)."""
    for s in stmts:
        if isinstance(s, N.For):
            if s.changepoint is None:
                _body(s.body, N.assigned_variables([s]))
            continue
        if isinstance(s, (N.ForEach, N.While)):
            _body(s.body, N.assigned_variables([s]))
            continue
        if isinstance(s, N.If):
            _body(s.then, assigned)
            _body(s.other, assigned)
            continue
        if assigned is None:
            continue
        if isinstance(s, N.TargetAdd):
            s.value = _rewrite(s.value, assigned)
        elif isinstance(s, N.Assign):
            s.value = _rewrite(s.value, assigned)


def _invariant(e: N.Expr, assigned: dict) -> bool:
    return e.type is not None and e.type.rank == 0 and (
        isinstance(e, N.Const) or (isinstance(e, N.Load) and id(e.var) not in assigned))


def _rewrite(e: N.Expr, assigned: dict) -> N.Expr:
    if isinstance(e, N.Select):
        e.then, e.other = _rewrite(e.then, assigned), _rewrite(e.other, assigned)
        return e
    if not isinstance(e, (N.Call, N.Lpdf)):
        return e
    e.args = [_rewrite(a, assigned) for a in e.args]
    if e.type is None or e.type.rank != 0 or (isinstance(e, N.Call) and (e.fn.jump or e.guard is not None)) \
            or any(a.type is None or a.type.rank != 0 for a in e.args):
        return e
    for k, a in enumerate(e.args):
        if not (isinstance(a, N.Select) and _invariant(a.then, assigned) and _invariant(a.other, assigned)):
            continue
        rest = [x for i, x in enumerate(e.args) if i != k]
        if any(_copy(x) is None for x in rest):
            return e
        then = dataclasses.replace(e, args=[a.then if i == k else x for i, x in enumerate(e.args)])
        other = dataclasses.replace(e, args=[a.other if i == k else _copy(x) for i, x in enumerate(e.args)])
        choice = N.Select(e.span, e.type, a.cond, then, other, lifted=True)
        expr_dep(choice)
        return choice
    return e


def _copy(e: N.Expr):
    """A copy of a guard-free expression (its variables shared), or None."""
    if isinstance(e, (N.Const, N.Load)):
        new = dataclasses.replace(e)
    elif isinstance(e, N.Index):
        base = _copy(e.base)
        specs = []
        for spec in e.indices:
            lo = _copy(spec.lo) if spec.lo is not None else None
            hi = _copy(spec.hi) if spec.hi is not None else None
            if base is None or (spec.lo is not None and lo is None) or (spec.hi is not None and hi is None):
                return None
            specs.append(dataclasses.replace(spec, lo=lo, hi=hi))
        new = dataclasses.replace(e, base=base, indices=specs)
    elif isinstance(e, N.Call) and not e.fn.jump and e.guard is None:
        args = [_copy(x) for x in e.args]
        if any(x is None for x in args):
            return None
        new = dataclasses.replace(e, args=args)
    else:
        return None
    expr_dep(new)
    return new
