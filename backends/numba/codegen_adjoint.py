"""The AD program's statements and expressions as Numba source (ppl.ad: the
forward sweep's tape, the reverse sweep's adjoints): the methods of
:class:`backends.numba.codegen.FunctionGen` that only a gradient function
uses."""
from __future__ import annotations

from ppl.ad import nodes as D
from ppl.ad.transform import TapedIf
from ppl.stdlib import native_templates as templates
from ppl.stdlib.distributions import Distribution

from .hoisting import loop
from .source import Unsupported, indexed_type, rank


class AdjointGen:
    """FunctionGen methods for the AD program: tapes, branch decisions, adjoints."""

    def s_ReverseFor(self, s: D.ReverseFor):
        lo, hi = self.operand(s.lo), self.operand(s.hi)
        self.loop_counters.append(loop(self.name(s.var), lo, hi, [s.lo, s.hi]))
        self.loop_block(f"for {self.name(s.var)} in range({hi}, {lo} - 1, -1)", s, lo, hi)
        self.loop_counters.pop()

    def s_TapedIf(self, s: TapedIf):
        # the branch taken, on a tape of its own (an array and a count, as scalar tapes)
        c = self.tmp(f"bool({self.truth(s.cond)})")
        self.branches(c, s.then, s.other)
        self.tape_room("branches")
        self.w(f"branches[branches_n] = {c}")
        self.w("branches_n += 1")

    def tape_room(self, st: str):
        """A full scalar tape ends the draw: the batch function grows the tapes and runs
        it again (growing one here would make Numba count references to every tape at
        every push)."""
        self.w(f"if {st}_n == {st}.shape[0]:")
        self.w("    tape_full[0] = 1")
        self.w("    return 0.0")

    def s_ReverseIf(self, s: D.ReverseIf):
        self.w("branches_n -= 1")
        self.branches(self.tmp("branches[branches_n]"), s.then, s.other)

    # ------------------------------------------------------------------ tape
    def stack(self, s) -> str:
        v = s.var
        r = rank(v.type) if not s.indices else rank(indexed_type(v.type, s.indices))
        key = (id(v), r, v.type.base)
        name = self.stacks.get(key)
        if name is None:
            name = f"_tape{len(self.stacks)}"
            self.stacks[key] = name
            self.m.stack_inits.append((name, r, v.type.base))
        return name

    def s_Push(self, s: D.Push):
        if id(s) in self.m.untaped:
            return
        self.m.local_inits[self.name(s.var)] = (rank(s.var.type), s.var.type.base)
        st = self.stack(s)
        cur = self.name(s.var)
        if s.indices:
            cur = f"{cur}[{self.target_index(s.indices, s.var, s.span)}]"
        r = rank(s.var.type) if not s.indices else rank(indexed_type(s.var.type, s.indices))
        if r == 0:      # scalars: an array and a count (a list's append is a call)
            self.tape_room(st)
            self.w(f"{st}[{st}_n] = {cur}")
            self.w(f"{st}_n += 1")
        else:
            self.w(f"{st}.append({cur}.copy())")

    def s_Pop(self, s: D.Pop):
        if id(s) in self.m.untaped:
            return
        st = self.stack(s)
        if s.var.type.rank == 0 or (s.indices and rank(indexed_type(s.var.type, s.indices)) == 0):
            self.w(f"{st}_n -= 1")
            value = f"{st}[{st}_n]"
        else:
            value = f"{st}.pop()"
        if s.indices:
            self.w(f"{self.name(s.var)}[{self.target_index(s.indices, s.var, s.span)}] = {value}")
        else:
            self.w(f"{self.name(s.var)} = {value}")

    # -------------------------------------------------------------- adjoints
    def s_InitAdjoint(self, s: D.InitAdjoint):
        if rank(s.primal.type) == 0:
            self.w(f"{self.name(s.adj)} = 0.0")
        else:
            self.w(f"{self.name(s.adj)} = np.zeros({self.name(s.primal)}.shape)")

    def s_ZeroAdjoint(self, s: D.ZeroAdjoint):
        a = self.name(s.adj)
        if not s.indices:
            self.w(f"{a} = 0.0" if rank(s.adj.type) == 0 else f"{a}[...] = 0.0")
        else:
            self.w(f"{a}[{self.target_index(s.indices, s.adj, s.span)}] = 0.0")

    def s_Accumulate(self, s: D.Accumulate):
        row = self.m.batched.deferred_adjoint(s, self.m.adjoint_of)
        if row is not None:
            self.w(f"{row} += {self.operand(s.value.g)}")
            return
        a = self.name(s.adj)
        vr = rank(s.value.type)
        tr0 = rank(s.adj.type) if not s.indices else rank(indexed_type(s.adj.type, s.indices))
        value = self.sum_of(s.value) if vr == 1 and tr0 == 0 else self.expr(s.value)
        if vr == 1 and tr0 == 0:
            vr = 0
        if not s.indices:
            tr = rank(s.adj.type)
            if vr > tr:
                if tr != 0:
                    raise Unsupported("an adjoint summed over broadcast axes", s.span)
                value = self.sum_of(s.value)
            self.w(f"{a} += {value}")
            return
        if any(spec.kind == "multi" for items in s.indices for spec in items):
            raise Unsupported("accumulation through a multi-index", s.span)
        tr = rank(indexed_type(s.adj.type, s.indices))
        if vr > tr:
            value = f"np.sum({value})"
        self.w(f"{a}[{self.target_index(s.indices, s.adj, s.span)}] += {value}")

    def e_SelectAdjoint(self, e: D.SelectAdjoint):
        c = self.truth(e.cond)
        g = self.operand(e.g)
        zero = "0.0" if rank(e.g.type) == 0 else f"np.zeros_like({g})"
        return f"({g} if {c} else {zero})" if e.branch else f"({zero} if {c} else {g})"

    def e_BuildAdjoint(self, e: D.BuildAdjoint):
        return f"{self.operand(e.g)}[{e.index}]"

    def e_IndexAdjoint(self, e: D.IndexAdjoint):
        like = self.operand(e.like)
        g = self.operand(e.g)
        if any(spec.kind == "multi" for spec in e.indices):
            raise Unsupported("the adjoint of a multi-index", e.span)
        z = self.tmp(f"np.zeros({like}.shape)")
        self.w(f"{z}[{self.index_code([e.indices], e.like.type, e.span, like)}] += {g}")
        return z

    def e_Adjoint(self, e: D.Adjoint):
        fn = e.fn
        g = self.operand(e.g)
        args = [self.operand(a) for a in e.args]
        arg_rank = rank(e.args[e.index].type)
        full_rank = max(rank(a.type) for a in e.args)
        if isinstance(fn, Distribution):
            entry = templates.DISTRIBUTIONS.get(fn.name)
            rule = entry[1][e.index] if entry is not None else None
            if rule is None:
                raise Unsupported(f"the derivative of {fn.name} in argument {e.index + 1}", e.span)
            if arg_rank == 0 and rank(e.g.type) == 0 and all(rank(a.type) <= 1 for a in e.args) \
                    and full_rank == 1:
                return f"{g} * {self.fused_sum(rule, e.args)}"
            code = f"{g} * ({rule.format(*args)})"
        else:
            name = fn.name
            if name in ("*", "/") and not (e.args[0].type.is_scalar or e.args[1].type.is_scalar):
                if name != "*":
                    raise Unsupported("the derivative of matrix division", e.span)
                return self.matmul_adjoint(e, g, args)
            if name in ("*", "/"):
                name = {"*": ".*", "/": "./"}[name]
            container = _CONTAINER_GRADS.get(name)
            if container is not None:
                return container(self, e, g, args)
            entry = templates.FUNCTIONS.get(f"{name}#{len(e.args)}") or templates.FUNCTIONS.get(name)
            rule = entry[1][e.index] if entry is not None and entry[1] is not None else None
            if rule is None:
                raise Unsupported(f"the derivative of {name}", e.span)
            out = self.operand(e.out) if e.out is not None else "None"
            code = rule.format(*args, g=g, out=out)
            if "{g}" not in rule:
                code = f"{g} * ({code})"
        if arg_rank < full_rank or rank(e.g.type) > arg_rank:
            if arg_rank != 0:
                raise Unsupported("an adjoint summed over broadcast axes", e.span)
            return f"np.sum({code})"
        return code

    def matmul_adjoint(self, e, g, args):
        ta, tb = (a.type.shape for a in e.args)
        rule = _MATMUL_ADJOINTS.get((ta, tb))
        if rule is None:
            raise Unsupported(f"the derivative of {ta} * {tb}", e.span)
        return rule[e.index].format(a=args[0], b=args[1], g=g)


# (shape of a, shape of b) -> (d/da, d/db) of a * b, given the adjoint g of the product
_MATMUL_ADJOINTS = {
    ("matrix", "vector"): ("np.outer({g}, {b})", "np.dot({a}.T, {g})"),
    ("row_vector", "vector"): ("{g} * {b}", "{g} * {a}"),
    ("matrix", "matrix"): ("np.dot({g}, {b}.T)", "np.dot({a}.T, {g})"),
    ("row_vector", "matrix"): ("np.dot({b}, {g})", "np.outer({a}, {g})"),
    ("vector", "row_vector"): ("np.dot({g}, {b})", "np.dot({a}, {g})"),
}

def _sum_grad(g, e, gg, args):
    return f"np.full({args[0]}.shape, {gg})" if rank(e.args[0].type) else gg


def _mean_grad(g, e, gg, args):
    return f"np.full({args[0]}.shape, {gg} / {args[0]}.size)"


def _dot_grad(g, e, gg, args):
    return f"{gg} * {args[1 - e.index]}"


def _rep_grad(g, e, gg, args):
    return f"np.sum({gg})"


_CONTAINER_GRADS = {"sum": _sum_grad, "mean": _mean_grad, "dot_product": _dot_grad,
                    "rep_vector": _rep_grad, "rep_row_vector": _rep_grad, "rep_array": _rep_grad}
