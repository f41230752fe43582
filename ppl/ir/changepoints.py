"""The changepoint plan (DESIGN §3, §7).

A ``changepoints[M, T] tau`` parameter may be used only inside one
``for (t in 1:T)`` loop of the model block, as ``segment(tau, t)`` or in the
comparisons ``t < tau[k]`` / ``t >= tau[k]`` (also written ``tau[k] > t`` /
``tau[k] <= t``).  Comparisons are rewritten to segment tests
(``t < tau[k]`` is ``segment(tau, t) <= k``), so the loop body depends on
tau only through the segment of its own step, and the log density is
``log sum_tau prod_t exp(ell[t, segment_t])`` with ``ell[t, j]`` the body's
contribution for step t in segment j+1.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ppl.frontend.errors import PPLError
from ppl.stdlib.operators import OPERATORS

from . import nodes as N


@dataclass(eq=False)
class ChangepointPlan:
    var: N.Variable
    loop: N.For
    # the k of each comparison t < tau[k] (an IR expression), checked against 1..M
    # where M is known: here for literals, by the executor for data
    indices: list = field(default_factory=list)


def _is_cp_index(e, cps) -> bool:
    return isinstance(e, N.Index) and isinstance(e.base, N.Load) and e.base.var in cps


def _uses(e: N.Expr, cps, found):
    """Collect (node, var) for every changepoint use inside an expression."""
    if isinstance(e, N.Segment):
        found.append((e, e.var))
    elif isinstance(e, N.Call) and e.fn.name in ("<", "<=", ">", ">=", "==", "!=") and \
            any(_is_cp_index(a, cps) for a in e.args):
        found.append((e, next(a.base.var for a in e.args if _is_cp_index(a, cps))))
        for a in e.args:
            if not _is_cp_index(a, cps):
                _uses(a, cps, found)
        return
    elif isinstance(e, N.Load) and e.var in cps:
        found.append((e, e.var))
    for c in N.children(e):
        _uses(c, cps, found)


def _rewrite_comparison(call: N.Call, loop_var: N.Variable, var: N.Variable):
    a, b = call.args
    op = call.fn.name
    if _is_cp_index(a, {var}):      # tau[k] op t  ->  t op' tau[k]
        a, b = b, a
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[op]
    if not (isinstance(a, N.Load) and a.var is loop_var):
        raise PPLError(f"compare the loop index '{loop_var.name}' itself with {var.name}[k] "
                       f"(as in '{loop_var.name} < {var.name}[k]')", call.span)
    if op not in ("<", ">="):
        raise PPLError(f"only '{loop_var.name} < {var.name}[k]' and '{loop_var.name} >= {var.name}[k]' "
                       f"can be marginalised exactly; '{op}' would depend on neighbouring steps",
                       call.span)
    spec = b.indices[0] if len(b.indices) == 1 else None
    if spec is None or spec.kind != "single" or spec.lo.dep != N.DATA:
        raise PPLError(f"index {var.name} with a single data-only int: {var.name}[k]", b.span)
    k, M = spec.lo, var.sizes[0] if var.sizes else None
    if isinstance(k, N.Const) and isinstance(M, N.Const) and not 1 <= k.value <= M.value:
        raise PPLError(f"{var.name}[{k.value}] is out of range: '{var.name}' holds {M.value} "
                       f"changepoint{'s' if M.value != 1 else ''} (indices 1..{M.value})", b.span)
    seg = N.Segment(a.span, a.type, var, a)
    seg.dep = N.STEP
    # t < tau[k]  <=>  segment(tau, t) <= k ;  t >= tau[k]  <=>  segment(tau, t) > k
    call.fn = OPERATORS["<=" if op == "<" else ">"]
    call.args = [seg, spec.lo]
    call.guard = None
    return spec.lo, b.span


def plan(program: N.Program) -> list[ChangepointPlan]:
    cps = set(program.changepoint_params)
    if not cps:
        return []
    plans: dict[int, ChangepointPlan] = {}
    indices: dict[int, list] = {}

    def check_block(stmts, where):
        for s in N.walk_stmts(stmts):
            for e in N.stmt_exprs(s):
                found = []
                _uses(e, cps, found)
                if found:
                    node, var = found[0]
                    raise PPLError(f"the changepoints parameter '{var.name}' can only be used in the model "
                                   f"block (its posterior is reported by the fit), not in {where}", node.span)

    check_block(program.transformed_parameters, "transformed parameters")
    check_block(program.generated_quantities, "generated quantities")

    def visit(stmts, loop: N.For | None, depth_ok: bool):
        for s in stmts:
            for e in N.stmt_exprs(s):
                found = []
                _uses(e, cps, found)
                for node, var in found:
                    if loop is None:
                        raise PPLError(f"'{var.name}' must be used inside 'for (t in 1:T)', where t is "
                                       f"the time index of its series", node.span)
                    if isinstance(node, N.Load):
                        raise PPLError(f"the changepoints parameter '{var.name}' may only be used as "
                                       f"segment({var.name}, t) or in comparisons t < {var.name}[k]",
                                       node.span)
                    if isinstance(node, N.Segment):
                        if not (isinstance(node.t, N.Load) and node.t.var is loop.var):
                            raise PPLError(f"segment({var.name}, ...) must be given the loop index "
                                           f"'{loop.var.name}' itself", node.t.span)
                    else:
                        indices.setdefault(id(var), []).append(_rewrite_comparison(node, loop.var, var))
                    prev = plans.get(id(var))
                    if prev is not None and prev.loop is not loop:
                        raise PPLError(f"'{var.name}' is used in two different loops; all its uses must "
                                       f"be in one 'for (t in 1:T)' loop", node.span)
                    for other in plans.values():
                        if other.loop is loop and other.var is not var:
                            raise PPLError(f"'{var.name}' and '{other.var.name}' are used in the same loop; "
                                           "independent changepoint series need separate loops", node.span)
                    plans[id(var)] = ChangepointPlan(var, loop, indices.setdefault(id(var), []))
            if isinstance(s, N.For):
                if loop is None and depth_ok:
                    visit(s.body, s, True)
                else:
                    visit(s.body, loop, False)
            else:
                for b in N.sub_bodies(s):
                    if loop is None and isinstance(s, N.If) and s.cond.dep == N.DATA:
                        visit(b, loop, depth_ok)
                    else:
                        visit(b, loop, False if loop is None else depth_ok)

    visit(program.model, None, True)
    for p in plans.values():
        _check_no_carry(p)
        p.loop.changepoint = p
    for var in cps:
        if id(var) not in plans:
            pass   # an unused changepoints parameter: its prior alone (contributes nothing)
    program.changepoint_plans = list(plans.values())
    return program.changepoint_plans


def _check_no_carry(p: ChangepointPlan):
    """Step t's term may depend on its own segment only: no segment-dependent
    value may flow into a variable that outlives the iteration."""
    inner = set()
    for s in N.walk_stmts(p.loop.body):
        if isinstance(s, N.Declare):
            inner.add(s.var)
    tainted = set()

    def depends(e) -> bool:
        return any(isinstance(x, N.Segment) or isinstance(x, N.Load) and x.var in tainted
                   for x in N.walk_expr(e))

    def body(stmts, ctl):
        changed = False
        for s in stmts:
            if isinstance(s, N.Assign) and (ctl or depends(s.value)):
                if s.var not in inner:
                    raise PPLError(f"'{s.var.name}' is assigned a value that depends on the segment of "
                                   f"step {p.loop.var.name} and is carried past the step: each step's "
                                   "term may depend only on its own segment", s.span)
                if s.var not in tainted:
                    tainted.add(s.var)
                    changed = True
            for b in N.sub_bodies(s):
                cond = getattr(s, "cond", None)
                changed |= body(b, ctl or (cond is not None and depends(cond)))
        return changed

    while body(p.loop.body, False):
        pass
