"""The guard table: every place where the density can jump with the parameters.

A *guard site* is a comparison, ``step``/``int_step``, ``floor``-like jump,
logical operator, or a bare condition (``if (x)``) whose operand depends
smoothly on the parameters.  Each site is one boundary surface
``g(theta) = 0`` per *instance* (per evaluation inside loops).  A site is
classified by the shape of ``g`` in the unconstrained parameters:

* ``affine``: ``g = c0 + c . theta`` (coefficients extracted exactly per
  instance at bind time);
* ``monotone``: a strictly monotone function of an affine form (so monotone
  in each coordinate it involves; one-dimensional root finding applies);
* ``general``: anything else (piecewise, products of parameters, ...).

Equality tests and bare truth tests change the density only on a null set:
they are listed (``measure_zero``) but contribute no boundary term.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ppl.frontend.errors import Span, split_lines

from . import nodes as N
from .nodes import DATA, SMOOTH

CONST, AFFINE, MONOTONE, GENERAL = 0, 1, 2, 3
KIND_NAMES = {AFFINE: "affine", MONOTONE: "monotone", GENERAL: "general", CONST: "affine"}

# Strictly monotone on their domain: f(affine) is monotone in every coordinate.
MONOTONE_FNS = {"exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "cbrt", "inv_logit",
                "logit", "log1m", "log_inv_logit", "log1m_inv_logit", "Phi", "inv_Phi",
                "Phi_approx", "atan", "tanh", "sinh", "asinh", "erf", "erfc", "asin", "acos",
                "atanh", "log1m_exp"}
# Linear (given data for the other arguments).
LINEAR_FNS = {"sum", "to_vector", "to_row_vector", "to_array_1d", "head", "tail", "segment",
              "cumulative_sum", "rep_vector", "rep_row_vector", "rep_array", "rep_matrix",
              "append_row", "append_col", "transpose", "mean", "dot_product", "u-", "u+", "'"}

COMPARISONS = {">": +1, ">=": +1, "<": -1, "<=": -1, "==": 0, "!=": 0}


@dataclass(eq=False)
class GuardSite:
    id: int
    span: Span
    text: str
    kind: str                 # 'affine' | 'monotone' | 'general'
    op: str                   # '>', '<=', 'step', 'int_step', 'floor', 'nonzero', '&&', ...
    node: object              # the IR node carrying the guard (Call, or the condition expr)
    measure_zero: bool = False
    instances: Optional[int] = None     # filled when bound to data

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def col(self) -> int:
        return self.span.col

    def __repr__(self) -> str:
        return f"GuardSite(g{self.id} {self.line}:{self.col} {self.text!r} {self.kind})"


def source_text(source: str, span: Span) -> str:
    lines = split_lines(source)
    if not (1 <= span.line <= len(lines)):
        return ""
    if span.end_line == span.line:
        return lines[span.line - 1][span.col - 1:span.end_col - 1]
    parts = [lines[span.line - 1][span.col - 1:]]
    parts += lines[span.line:span.end_line - 1]
    parts.append(lines[span.end_line - 1][:span.end_col - 1])
    return " ".join(p.strip() for p in parts)


# ------------------------------------------------------------ classification
class _Affinity:
    """Flow-insensitive lattice CONST < AFFINE < MONOTONE < GENERAL over variables."""

    def __init__(self, program: N.Program):
        self.cls: dict[int, int] = {}
        for v in program.parameters:
            self.cls[id(v)] = self._param_class(v)

    def _param_class(self, v: N.Variable) -> int:
        if v.keyword == "changepoints":
            return GENERAL
        c = v.constraint
        if c is None:
            return AFFINE
        if any(e is not None and e.dep > DATA for e in c.args()):   # None: offset/multiplier omitted
            return GENERAL
        if c.kind == "affine":
            return AFFINE
        if c.kind == "bounds":
            return MONOTONE
        return GENERAL

    def var(self, v: N.Variable) -> int:
        if v.dep == DATA:
            return CONST
        return self.cls.get(id(v), CONST)

    def raise_var(self, v: N.Variable, c: int) -> bool:
        if v.block in ("parameters", "data"):
            return False
        if c > self.cls.get(id(v), CONST):
            self.cls[id(v)] = c
            return True
        return False

    def expr(self, e: N.Expr) -> int:
        if e.dep == DATA:
            return CONST
        if isinstance(e, N.Load):
            return self.var(e.var)
        if isinstance(e, N.Index):
            if any(x.dep > DATA for s in e.indices for x in (s.lo, s.hi) if x is not None):
                return GENERAL
            return self.expr(e.base)
        if isinstance(e, N.Call):
            return self.call(e)
        if isinstance(e, N.Build):
            return max(self.expr(x) for x in e.items) if max(self.expr(x) for x in e.items) <= AFFINE else GENERAL
        return GENERAL

    def call(self, e: N.Call) -> int:
        name = e.fn.name
        args = [self.expr(a) for a in e.args]
        if e.fn.jump:
            return GENERAL
        if name in ("+", "-"):
            return additive(*args)
        if name == "*":
            if args[0] == CONST:
                return args[1]
            if args[1] == CONST:
                return args[0]
            return GENERAL
        if name in ("/", "./") and args[1] == CONST:
            return args[0]
        if name == ".*":
            if args[0] == CONST:
                return args[1]
            if args[1] == CONST:
                return args[0]
        if name in MONOTONE_FNS and len(args) == 1:
            return MONOTONE if args[0] in (AFFINE, MONOTONE) else GENERAL
        if name in LINEAR_FNS:
            worst = max(args)
            if name == "dot_product" and min(args) != CONST:
                return GENERAL
            return worst if worst <= AFFINE else GENERAL
        return GENERAL


def additive(a: int, b: int) -> int:
    if GENERAL in (a, b):
        return GENERAL
    if MONOTONE in (a, b):
        return MONOTONE if CONST in (a, b) else GENERAL
    return max(a, b)


def _classify_vars(program: N.Program, aff: _Affinity):
    bodies = [program.transformed_parameters, program.model, program.generated_quantities]

    def body(stmts, varying: bool) -> bool:
        changed = False
        for s in stmts:
            if isinstance(s, N.Assign):
                c = aff.expr(s.value)
                if s.indices and any(x.dep > DATA for items in s.indices for sp in items
                                     for x in (sp.lo, sp.hi) if x is not None):
                    c = GENERAL
                if varying:     # assigned per region: piecewise, not one affine form
                    c = GENERAL
                changed |= aff.raise_var(s.var, c)
            elif isinstance(s, N.If):
                v = varying or s.cond.dep > DATA
                changed |= body(s.then, v)
                changed |= body(s.other, v)
            elif isinstance(s, N.While):
                changed |= body(s.body, varying or s.cond.dep > DATA)
            elif isinstance(s, (N.For, N.ForEach)):
                if isinstance(s, N.ForEach) and s.collection.dep > DATA:
                    changed |= aff.raise_var(s.var, GENERAL)
                changed |= body(s.body, varying)
        return changed

    for _ in range(100):
        if not any([body(b, False) for b in bodies]):
            break


# -------------------------------------------------------------- site finding
def find_guards(program: N.Program) -> list[GuardSite]:
    """Number every guard site (in source order) and classify it."""
    aff = _Affinity(program)
    _classify_vars(program, aff)
    sites: list[GuardSite] = []

    def add(node, op, g_class, measure_zero=False):
        gid = len(sites)
        kind = KIND_NAMES[g_class]
        sites.append(GuardSite(gid, node.span, source_text(program.source, node.span), kind, op,
                               node, measure_zero))
        return gid

    def visit_expr(e: N.Expr, as_condition=False):
        if isinstance(e, N.Call) and e.fn.jump and any(a.dep == SMOOTH for a in e.args):
            name = e.fn.name
            if name in COMPARISONS:
                a, b = (aff.expr(x) for x in e.args)
                e.guard = add(e, name, additive(a, b), measure_zero=COMPARISONS[name] == 0)
            elif name in ("step", "int_step"):
                e.guard = add(e, name, aff.expr(e.args[0]))
            elif name in ("&&", "||", "!"):
                # Each smooth operand that is not itself a comparison is a truth test.
                e.guard = add(e, name, GENERAL, measure_zero=True)
            else:   # floor, ceil, round, trunc: a jump at every level set
                e.guard = add(e, name, GENERAL)
        if isinstance(e, N.Select):
            visit_condition(e.cond)
            visit_expr(e.then)
            visit_expr(e.other)
            return
        for c in N.children(e):
            visit_expr(c)

    def visit_condition(cond: N.Expr):
        visit_expr(cond)
        if cond.dep == SMOOTH and not (isinstance(cond, N.Call) and cond.fn.jump):
            # `if (x)` with x real and parametric: true off the null set x == 0.
            cond.guard = add(cond, "nonzero", GENERAL, measure_zero=True)

    def visit_body(stmts):
        for s in stmts:
            if isinstance(s, (N.If, N.While)):
                visit_condition(s.cond)
            else:
                for e in N.stmt_exprs(s):
                    visit_expr(e)
            for b in N.sub_bodies(s):
                visit_body(b)

    for b in (program.transformed_parameters, program.model):
        visit_body(b)
    program.guards = sites
    return sites
