"""Lowering: checked AST -> IR (see nodes.py for what changes)."""
from __future__ import annotations

from ppl.frontend import ast as A
from ppl.frontend.types import INT, REAL
from ppl.stdlib.functions import FUNCTIONS
from ppl.stdlib.operators import OPERATORS

from . import nodes as N


class Lowerer:
    def __init__(self):
        self.vars: dict[int, N.Variable] = {}   # id(ast Decl) -> Variable

    # ----------------------------------------------------------- variables
    def variable(self, d: A.Decl) -> N.Variable:
        key = id(d)
        if key not in self.vars:
            vt = d.vtype
            t = getattr(d, "foreach_type", None) or vt.type
            v = N.Variable(d.name, t, d.block, d.name_span, keyword=vt.keyword)
            self.vars[key] = v
            v.array_sizes = [self.expr(e) for e in vt.array_sizes]
            v.sizes = [self.expr(e) for e in vt.sizes]
            c = vt.constraint
            if c.kind != "none":
                v.constraint = N.Constraint(
                    c.kind, *(self.expr(x) if x is not None else None
                              for x in (c.lower, c.upper, c.offset, c.multiplier)), span=c.span)
                if c.kind == "affine":   # Stan's defaults: offset 0, multiplier 1
                    if v.constraint.offset is None:
                        v.constraint.offset = N.Const(c.span, REAL, 0.0)
                    if v.constraint.multiplier is None:
                        v.constraint.multiplier = N.Const(c.span, REAL, 1.0)
        return self.vars[key]

    # --------------------------------------------------------- expressions
    def expr(self, e: A.Expr) -> N.Expr:
        return getattr(self, "e_" + type(e).__name__)(e)

    def e_IntLit(self, e):
        return N.Const(e.span, INT, e.value)

    def e_RealLit(self, e):
        return N.Const(e.span, REAL, e.value)

    def e_Var(self, e: A.Var):
        return N.Load(e.span, e.type, self.variable(e.decl))

    def e_TargetValue(self, e):
        return N.TargetValue(e.span, REAL)

    def e_BinOp(self, e: A.BinOp):
        return N.Call(e.span, e.type, e.fn, [self.expr(e.left), self.expr(e.right)])

    def e_UnOp(self, e: A.UnOp):
        return N.Call(e.span, e.type, e.fn, [self.expr(e.operand)])

    def e_Conditional(self, e: A.Conditional):
        return N.Select(e.span, e.type, self.expr(e.cond), self.expr(e.then), self.expr(e.other))

    def e_ArrayLit(self, e):
        return N.Build(e.span, e.type, "array", [self.expr(x) for x in e.items])

    def e_RowVectorLit(self, e):
        kind = "matrix" if e.type.shape == "matrix" else "row_vector"
        return N.Build(e.span, e.type, kind, [self.expr(x) for x in e.items])

    def e_Index(self, e: A.Index):
        return N.Index(e.span, e.type, self.expr(e.base), self.indices(e.indices))

    def indices(self, items) -> list[N.IndexSpec]:
        return [N.IndexSpec(i.kind, self.expr(i.lo) if i.lo is not None else None,
                            self.expr(i.hi) if i.hi is not None else None) for i in items]

    def e_Call(self, e: A.Call):
        callee = e.fn
        args = [self.expr(a) for a in e.args]
        if callee.kind == "segment":
            return N.Segment(e.span, INT, self.variable(e.args[0].decl), args[1])
        if callee.kind == "lpdf":
            return N.Lpdf(e.span, REAL, callee.entry, args)
        if callee.kind == "cdf":     # exp of the log CDF row (a product over vectors)
            exp = FUNCTIONS["exp"]
            return N.Call(e.span, REAL, exp, [N.Lpdf(e.span, REAL, callee.entry, args)])
        if callee.kind == "glm":
            return _glm_density(e.span, callee.entry, args)
        if callee.kind == "rng":
            return N.Rng(e.span, e.type, callee.entry, args)
        return N.Call(e.span, e.type, callee.entry, args)

    # ---------------------------------------------------------- statements
    def body(self, stmts) -> list[N.Stmt]:
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s: A.Stmt) -> list[N.Stmt]:
        return getattr(self, "s_" + type(s).__name__)(s)

    def s_Decl(self, d: A.Decl):
        v = self.variable(d)
        out = [N.Declare(d.span, v)]
        if d.init is not None:
            out.append(N.Assign(d.span, v, [], self.expr(d.init)))
        return out

    def s_Assign(self, s: A.Assign):
        v = self.variable(s.decl)
        idx = [self.indices(items) for items in s.indices]
        value = self.expr(s.value)
        if s.op != "=":
            current = N.Load(s.name_span, v.type, v)
            for items, lowered in zip(s.indices, idx):
                current = N.Index(s.name_span, None, current, lowered)
            current.type = s.lhs_type
            op = OPERATORS[s.op[:-1]]
            value = N.Call(s.span, op.resolve((s.lhs_type, value.type)), op, [current, value])
        return [N.Assign(s.span, v, idx, value)]

    def s_Tilde(self, s: A.Tilde):
        if s.fn.kind == "glm":
            args = [self.expr(s.lhs), *[self.expr(a) for a in s.args]]
            return [N.TargetAdd(s.span, _glm_density(s.span, s.fn.entry, args))]
        lp = N.Lpdf(s.span, REAL, s.fn.entry, [self.expr(s.lhs), *[self.expr(a) for a in s.args]])
        return [N.TargetAdd(s.span, lp)]

    def s_TargetIncrement(self, s):
        return [N.TargetAdd(s.span, self.expr(s.value))]

    def s_For(self, s: A.For):
        return [N.For(s.span, self.variable(s.decl), self.expr(s.lo), self.expr(s.hi), self.nested(s.body))]

    def s_ForEach(self, s: A.ForEach):
        return [N.ForEach(s.span, self.variable(s.decl), self.expr(s.collection), self.nested(s.body))]

    def s_While(self, s: A.While):
        return [N.While(s.span, self.expr(s.cond), self.nested(s.body))]

    def s_If(self, s: A.If):
        other = self.nested(s.other) if s.other is not None else []
        return [N.If(s.span, self.expr(s.cond), self.nested(s.then), other)]

    def nested(self, s: A.Stmt) -> list[N.Stmt]:
        if isinstance(s, A.Block):
            return self.body(s.body)
        return self.stmt(s)

    def s_Block(self, s: A.Block):
        # Scoping was resolved by the checker; a nested block is just its statements.
        return self.body(s.body)

    def s_Print(self, s):
        return [N.Print(s.span, [self.expr(i) if isinstance(i, A.Expr) else i for i in s.items])]

    def s_Reject(self, s):
        return [N.Reject(s.span, [self.expr(i) if isinstance(i, A.Expr) else i for i in s.items], s.fatal)]

    def s_Break(self, s):
        return [N.Break(s.span)]

    def s_Continue(self, s):
        return [N.Continue(s.span)]

    def s_Empty(self, s):
        return []


def lower(program: A.Program, source: str = "") -> N.Program:
    lw = Lowerer()

    def decls(block):
        return [lw.variable(d) for d in program.block(block) if isinstance(d, A.Decl)]

    def top_vars(block):
        return [lw.variable(d) for d in program.block(block) if isinstance(d, A.Decl)]

    data = decls("data")
    td = lw.body(program.block("transformed data"))
    params = decls("parameters")
    tp = lw.body(program.block("transformed parameters"))
    model = lw.body(program.block("model"))
    gq = lw.body(program.block("generated quantities"))
    return N.Program(program.path, source, data, td, top_vars("transformed data"), params, tp,
                     top_vars("transformed parameters"), model, gq, top_vars("generated quantities"))


def _glm_density(span, glm, args) -> N.Lpdf:
    """A GLM density (stdlib.glm) as its family's density at the linear
    predictor ``alpha + x * beta``."""
    from ppl.stdlib.distributions import DISTRIBUTIONS
    y, x, alpha, beta, *rest = args
    times, plus = OPERATORS["*"], OPERATORS["+"]
    xb = N.Call(span, times.resolve((x.type, beta.type)), times, [x, beta])
    mu = N.Call(span, plus.resolve((alpha.type, xb.type)), plus, [alpha, xb])
    return N.Lpdf(span, REAL, DISTRIBUTIONS[glm.family], [y, mu, *rest])
