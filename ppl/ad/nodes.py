"""IR nodes that only the AD transform produces.

The gradient program is ordinary IR (Declare/Assign/Call/For/If...) plus
these few statements for the tape and the adjoint sweep.  Every backend
that runs gradients implements them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ppl.frontend.errors import Span
from ppl.ir import nodes as N


@dataclass(eq=False)
class Push(N.Stmt):
    """Save the value about to be overwritten: ``var`` (or ``var[indices]``) onto the tape."""
    var: N.Variable
    indices: list


@dataclass(eq=False)
class Pop(N.Stmt):
    """Restore what the matching Push saved."""
    var: N.Variable
    indices: list


@dataclass(eq=False)
class InitAdjoint(N.Stmt):
    """``adj = 0`` with the shape of the primal's current value (S lanes)."""
    adj: N.Variable
    primal: N.Variable


@dataclass(eq=False)
class ZeroAdjoint(N.Stmt):
    """``adj[indices] = 0`` on the active lanes (after its value was consumed)."""
    adj: N.Variable
    indices: list


@dataclass(eq=False)
class Accumulate(N.Stmt):
    """``adj[indices] += value`` on the active lanes (repeated indices add up)."""
    adj: N.Variable
    indices: list
    value: N.Expr


@dataclass(eq=False)
class AccumulateTarget(N.Stmt):
    """Adjoint of ``target()`` read inside the model: its value flows into the seed."""
    value: N.Expr


@dataclass(eq=False)
class ReverseFor(N.Stmt):
    """Run ``body`` for the loop variable from hi down to lo (iteration keys as forward)."""
    var: N.Variable
    lo: N.Expr
    hi: N.Expr
    body: list


@dataclass(eq=False)
class ReverseChangepointFor(N.Stmt):
    """Reverse of a changepoint loop: the body of step t in segment j is
    seeded with d log p / d ell[t, j] (the cell's posterior probability)."""
    var: N.Variable
    plan: Any
    body: list


@dataclass(eq=False)
class ReverseForEach(N.Stmt):
    var: N.Variable
    collection: N.Expr
    body: list


@dataclass(eq=False)
class ReverseIf(N.Stmt):
    """Pop a saved condition; run the reversed branches on the lanes that took them."""
    then: list
    other: list


@dataclass(eq=False)
class ReverseWhile(N.Stmt):
    """Replay a while loop backwards: pop its iteration count, then per iteration its lanes."""
    body: list


@dataclass(eq=False)
class WithMask(N.Stmt):
    """Pop saved lanes and run ``body`` on them (statements after a break/continue)."""
    body: list


@dataclass(eq=False)
class Adjoint(N.Expr):
    """The vector-Jacobian product of one argument of a call:
    ``vjp(g; out, args)`` for argument ``index``, shaped like that argument."""
    fn: Any                      # stdlib Function or Distribution
    index: int
    g: N.Expr
    out: Optional[N.Expr]
    args: list


@dataclass(eq=False)
class TargetSeed(N.Expr):
    """d(final target)/d(this increment): 1, or a changepoint cell's weight."""


@dataclass(eq=False)
class IndexAdjoint(N.Expr):
    """Zeros shaped like ``like`` with ``g`` added at ``indices`` (adjoint of indexing)."""
    g: N.Expr
    like: N.Expr
    indices: list


@dataclass(eq=False)
class SelectAdjoint(N.Expr):
    """``g`` on the lanes where ``cond`` is (``branch``) true, zero elsewhere."""
    cond: N.Expr
    g: N.Expr
    branch: bool


@dataclass(eq=False)
class BuildAdjoint(N.Expr):
    """Item ``index`` of the adjoint of an array/row-vector literal."""
    g: N.Expr
    index: int


def adjoint_children(e):
    if isinstance(e, Adjoint):
        yield e.g
        if e.out is not None:
            yield e.out
        yield from e.args
    elif isinstance(e, IndexAdjoint):
        yield e.g
        yield e.like
    elif isinstance(e, SelectAdjoint):
        yield e.cond
        yield e.g
    elif isinstance(e, BuildAdjoint):
        yield e.g


_NO_SPAN = Span(0, 0)
