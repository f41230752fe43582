"""Reverse-mode differentiation of the IR by source transformation.

``differentiate(program)`` returns a :class:`GradientProgram`: the forward
sweep (the original transformed-parameters and model statements, plus tape
pushes of every value about to be overwritten and of every per-lane branch
decision) and the reverse sweep (statements in reverse order, loops run
backwards, each assignment replaced by its adjoint).

Expression adjoints are expanded into straight-line IR: the smooth
sub-expressions of a statement are recomputed into temporaries (the
environment has just been restored by the tape, so they equal the forward
values), then each call's vector-Jacobian product, taken from the stdlib
derivative rule of the function, flows into its arguments; variables and
indexed variables accumulate into their adjoint variables.  Only values
that depend smoothly on the parameters get adjoints: piecewise-constant
values (guards, comparisons, segments) have zero derivative, which is the
intensional derivative of the branch taken.

Cost: the forward sweep, one recomputation and one adjoint pass per
statement: a small constant times one density evaluation, independent of
the number of parameters.

A top-level loop of the model whose iterations are independent (ppl.ir.loops:
the common ``for (n in 1:N) target += ...`` over data) has its reverse sweep
run inside the forward one: each iteration adds its adjoints right after its
forward statements, while their values are at hand, and saves nothing on the
tape.  Adjoints are sums, so their order does not matter (but for rounding);
the adjoints such a loop adds to are then initialised in the forward sweep.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ppl.frontend.errors import PPLError
from ppl.frontend.types import REAL, Type
from ppl.ir import nodes as N
from ppl.ir.loops import independent_iterations
from ppl.ir.nodes import SMOOTH

from . import nodes as D


@dataclass
class GradientProgram:
    forward: list                  # augmented transformed parameters + model
    reverse: list                  # adjoint sweep
    adjoints: dict                 # id(primal Variable) -> adjoint Variable
    bound_reverse: dict            # id(param Variable) -> (list of seed Variables, stmts)
    n_ops: int = 0                 # size of the gradient program (statements + expression nodes)
    params: list = field(default_factory=list)


def needs_adjoint(v: N.Variable) -> bool:
    return v.dep == SMOOTH and v.type.base == "real"


class Differentiator:
    def __init__(self, program: N.Program):
        self.program = program
        self.adjoints: dict[int, N.Variable] = {}
        self.n_temps = 0
        self.pushed: set[int] = set()
        # ids of the model's top-level loops whose reverse runs inside the forward sweep
        model = program.model
        self.fused = {id(s) for k, s in enumerate(model) if independent_iterations(s, model[k + 1:])}

    # ---------------------------------------------------------------- helpers
    def adj(self, v: N.Variable) -> N.Variable:
        a = self.adjoints.get(id(v))
        if a is None:
            a = N.Variable(f"{v.name}__adj", v.type.with_base("real") if v.type.base == "int" else v.type,
                           "adjoint", v.span)
            a.dep = SMOOTH
            self.adjoints[id(v)] = a
        return a

    def temp(self, t: Type, span) -> N.Variable:
        self.n_temps += 1
        v = N.Variable(f"_t{self.n_temps}", t or REAL, "local", span)
        v.dep = SMOOTH
        return v

    # --------------------------------------------------------- forward sweep
    def forward(self, stmts: list, iteration_reversed: bool = False) -> list:
        """``iteration_reversed``: stmts is the body of a loop whose reverse runs right after
        each iteration (self.fused), so its declarations need not save the value they
        replace: it is the previous iteration's, and nothing of that iteration is read again."""
        out = []
        masked = _has_direct_jump(stmts)
        prev = None
        for s in stmts:
            start = len(out)
            if isinstance(s, N.Declare):
                if not iteration_reversed:
                    out.append(D.Push(s.span, s.var, []))
                    self.pushed.add(id(s))
                out.append(s)
            elif isinstance(s, N.Assign):
                fresh = isinstance(prev, N.Declare) and prev.var is s.var and not s.indices
                if not fresh:
                    out.append(D.Push(s.span, s.var, s.indices))
                    self.pushed.add(id(s))
                out.append(s)
            elif isinstance(s, N.For):
                body = self.forward(s.body, iteration_reversed=id(s) in self.fused)
                if id(s) in self.fused:
                    body += self.reverse(s.body)
                out.append(dataclasses.replace(s, body=body))
            elif isinstance(s, N.ForEach):
                out.append(dataclasses.replace(s, body=self.forward(s.body)))
            elif isinstance(s, N.While):
                out.append(TapedWhile(s.span, s.cond, self.forward(s.body)))
            elif isinstance(s, N.If):
                out.append(TapedIf(s.span, s.cond, self.forward(s.then), self.forward(s.other)))
            else:
                out.append(s)
            if masked:      # after a break/continue the lanes can change statement by statement
                out[start:] = [Masked(s.span, out[start:])]
            prev = s
        return out

    # --------------------------------------------------------- reverse sweep
    def reverse(self, stmts: list, inits: bool = True) -> list:
        out = []
        for s in stmts:
            if inits and isinstance(s, N.Declare) and needs_adjoint(s.var):
                out.append(D.InitAdjoint(s.span, self.adj(s.var), s.var))
        masked = _has_direct_jump(stmts)
        for s in reversed(stmts):
            rev = self.reverse_stmt(s)
            if masked:
                out.append(D.WithMask(s.span, rev))
            else:
                out.extend(rev)
        return out

    def reverse_stmt(self, s) -> list:
        if isinstance(s, N.Declare):
            return [D.Pop(s.span, s.var, [])] if id(s) in self.pushed else []
        if isinstance(s, N.Assign):
            out = []
            pop = [D.Pop(s.span, s.var, s.indices)] if id(s) in self.pushed else []
            if needs_adjoint(s.var) and s.value.dep == SMOOTH:
                a = self.adj(s.var)
                g = self.temp(s.value.type, s.span)
                current = N.Load(s.span, a.type, a)
                for items in s.indices:
                    current = N.Index(s.span, None, current, items)
                out.append(N.Assign(s.span, g, [], current))
                out.append(D.ZeroAdjoint(s.span, a, s.indices))
                out += pop
                out += self.expr_adjoint(s.value, N.Load(s.span, g.type, g))
            elif needs_adjoint(s.var):
                out.append(D.ZeroAdjoint(s.span, self.adj(s.var), s.indices))
                out += pop
            else:
                out += pop
            return out
        if isinstance(s, N.TargetAdd):
            seed = D.TargetSeed(s.span, REAL)
            seed.dep = SMOOTH
            return self.expr_adjoint(s.value, seed)
        if id(s) in self.fused:
            return []           # run in the forward sweep
        if isinstance(s, N.For) and s.changepoint is not None:
            return [D.ReverseChangepointFor(s.span, s.var, s.changepoint, self.reverse(s.body))]
        if isinstance(s, N.For):
            return [D.ReverseFor(s.span, s.var, s.lo, s.hi, self.reverse(s.body))]
        if isinstance(s, N.ForEach):
            return [D.ReverseForEach(s.span, s.var, s.collection, self.reverse(s.body))]
        if isinstance(s, N.While):
            return [D.ReverseWhile(s.span, self.reverse(s.body))]
        if isinstance(s, N.If):
            return [D.ReverseIf(s.span, self.reverse(s.then), self.reverse(s.other))]
        return []

    # ---------------------------------------------------- expression adjoints
    def expr_adjoint(self, e: N.Expr, g: N.Expr) -> list:
        """Statements that add d(e)/d(x) * g into the adjoint of every smooth x in e."""
        if e.dep != SMOOTH:
            return []
        stmts: list = []
        values: dict[int, N.Expr] = {}

        def value(n: N.Expr) -> N.Expr:
            return values.get(id(n), n)

        def prepare(n: N.Expr):
            if n.dep != SMOOTH or isinstance(n, (N.Load, N.Const)):
                return
            for c in N.children(n):
                prepare(c)
            copy = _with_children(n, value)
            t = self.temp(n.type, n.span)
            stmts.append(N.Assign(n.span, t, [], copy))
            values[id(n)] = N.Load(n.span, n.type, t)

        prepare(e)

        def materialise(gexpr: N.Expr, like: N.Expr) -> N.Expr:
            if isinstance(gexpr, (N.Load, N.Const, D.TargetSeed)):
                return gexpr
            t = self.temp(like.type, like.span)
            stmts.append(N.Assign(like.span, t, [], gexpr))
            return N.Load(like.span, like.type, t)

        def propagate(n: N.Expr, gexpr: N.Expr):
            if n.dep != SMOOTH:
                return
            if isinstance(n, N.Load):
                if needs_adjoint(n.var):
                    stmts.append(D.Accumulate(n.span, self.adj(n.var), [], gexpr))
                return
            if isinstance(n, N.Index) and isinstance(n.base, N.Load) and _data_indices(n):
                if needs_adjoint(n.base.var):
                    stmts.append(D.Accumulate(n.span, self.adj(n.base.var), [n.indices], gexpr))
                return
            if isinstance(n, N.TargetValue):
                raise PPLError("target() inside the model is not differentiable yet", n.span)
            gl = materialise(gexpr, n)
            if isinstance(n, N.Call):
                if n.fn.jump:
                    return
                args = [value(a) for a in n.args]
                for i, a in enumerate(n.args):
                    if a.dep == SMOOTH:
                        propagate(a, _adjoint(n, i, gl, value(n), args))
            elif isinstance(n, N.Lpdf):
                args = [value(a) for a in n.args]
                for i, a in enumerate(n.args):
                    if a.dep == SMOOTH:
                        propagate(a, _adjoint(n, i, gl, None, args))
            elif isinstance(n, N.Select):
                cond = value(n.cond)
                propagate(n.then, _typed(D.SelectAdjoint(n.span, n.then.type, cond, gl, True), n.then))
                propagate(n.other, _typed(D.SelectAdjoint(n.span, n.other.type, cond, gl, False), n.other))
            elif isinstance(n, N.Build):
                for i, item in enumerate(n.items):
                    propagate(item, _typed(D.BuildAdjoint(n.span, item.type, gl, i), item))
            elif isinstance(n, N.Index):
                propagate(n.base, _typed(D.IndexAdjoint(n.span, n.base.type, gl, value(n.base), n.indices),
                                         n.base))
            elif isinstance(n, N.Rng):
                return
            else:
                raise PPLError(f"cannot differentiate {type(n).__name__}", n.span)

        propagate(e, g)
        return stmts

    # ---------------------------------------------------------------- driver
    def run(self) -> GradientProgram:
        p = self.program
        inits = [D.InitAdjoint(v.span, self.adj(v), v)
                 for v in [*p.continuous_params, *p.transformed_parameters_vars] if needs_adjoint(v)]
        forward = self.forward(p.transformed_parameters)
        model = self.forward(p.model)
        if self.fused:      # fused loops add to adjoints during the forward sweep
            forward += inits
            for s in model:
                forward.append(s)
                if isinstance(s, N.Declare) and needs_adjoint(s.var):
                    forward.append(D.InitAdjoint(s.span, self.adj(s.var), s.var))
            reverse = self.reverse(p.model, inits=False)
        else:
            forward += model
            # model-block locals declared at top level are initialised by reverse()
            reverse = inits + self.reverse(p.model)
        reverse += self.reverse_top(p.transformed_parameters)
        bound_reverse = {}
        for v in p.continuous_params:
            c = v.constraint
            if c is None or not any(a.dep == SMOOTH for a in c.args()):
                continue
            seeds, stmts = [], []
            for a in c.args():
                seed = self.temp(a.type, a.span)
                seeds.append(seed)
                stmts += self.expr_adjoint(a, N.Load(a.span, a.type, seed))
            bound_reverse[id(v)] = (seeds, stmts)
        n_ops = _count(forward) + _count(reverse)
        return GradientProgram(forward, reverse, dict(self.adjoints), bound_reverse, n_ops,
                               list(p.continuous_params))

    def reverse_top(self, stmts):
        # top-level declarations of transformed parameters already have adjoints
        out = []
        for s in reversed(stmts):
            out.extend(self.reverse_stmt(s))
        return out


# Forward-sweep statements that save control decisions.  Each saves *after*
# running its body, so the reverse sweep pops the decision before the body's
# own saved values.
@dataclass(eq=False)
class TapedWhile(N.While):
    """A while loop that saves, per iteration, the lanes still running, then its count."""


@dataclass(eq=False)
class TapedIf(N.If):
    """An if that saves, per lane, which branch was taken."""


@dataclass(eq=False)
class Masked(N.Stmt):
    """Run ``body`` and save the lanes it ran on (statements after a break/continue)."""
    body: list


def _has_direct_jump(stmts) -> bool:
    """Does this body (not nested loops) contain break/continue that can change its lanes?"""
    for s in stmts:
        if isinstance(s, (N.Break, N.Continue)):
            return True
        if isinstance(s, N.If) and (_has_direct_jump(s.then) or _has_direct_jump(s.other)):
            return True
    return False


def _data_indices(n: N.Index) -> bool:
    return all(x.dep != SMOOTH for spec in n.indices for x in (spec.lo, spec.hi) if x is not None)


def _with_children(n: N.Expr, value) -> N.Expr:
    """A shallow copy of n whose smooth children are replaced by their temporaries."""
    if isinstance(n, N.Call):
        return _typed(dataclasses.replace(n, args=[value(a) for a in n.args]), n)
    if isinstance(n, N.Lpdf):
        return _typed(dataclasses.replace(n, args=[value(a) for a in n.args]), n)
    if isinstance(n, N.Select):
        return _typed(dataclasses.replace(n, cond=value(n.cond), then=value(n.then), other=value(n.other)), n)
    if isinstance(n, N.Build):
        return _typed(dataclasses.replace(n, items=[value(x) for x in n.items]), n)
    if isinstance(n, N.Index):
        return _typed(dataclasses.replace(n, base=value(n.base)), n)
    return n


def _typed(new, like):
    new.dep = like.dep
    if getattr(new, "type", None) is None:
        new.type = like.type
    return new


def _adjoint(n, i, g, out, args) -> D.Adjoint:
    fn = n.fn if isinstance(n, N.Call) else n.dist
    a = D.Adjoint(n.span, n.args[i].type, fn, i, g, out, args)
    a.dep = SMOOTH
    return a


def _count(stmts) -> int:
    total = 0
    for s in stmts:
        total += 1
        for e in N.stmt_exprs(s) if not isinstance(s, D.Accumulate) else [s.value]:
            total += sum(1 for _ in N.walk_expr(e))
        for attr in ("body", "then", "other"):
            sub = getattr(s, attr, None)
            if isinstance(sub, list):
                total += _count(sub)
    return total


def differentiate(program: N.Program) -> GradientProgram:
    return Differentiator(program).run()
