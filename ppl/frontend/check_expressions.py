"""Semantic checker, expressions: types of literals, variables, operators,
indexing and calls (resolved against the stdlib), as methods of the checker
(ppl.frontend.check) in the way the statements' checks are."""
from __future__ import annotations

from dataclasses import dataclass

from ppl.stdlib import lookup_callable
from ppl.stdlib.operators import OPERATORS

from . import ast as A
from .errors import Span, did_you_mean
from .stan_library import unknown_callable_message
from .types import INT, REAL, Type

RNG_BLOCKS = {"transformed data", "generated quantities"}


@dataclass
class Callee:
    """What a call resolved to: kind is 'function', 'lpdf' (also a log CDF or CCDF),
    'cdf', 'glm', 'rng' or 'segment'."""
    kind: str
    entry: object
    suffix: str = ""


class ExpressionChecks:
    """Checker methods for expressions (``expr`` annotates each node with its type)."""

    def expr(self, e: A.Expr) -> Type:
        t = getattr(self, "expr_" + type(e).__name__)(e)
        e.type = t
        return t

    def expr_IntLit(self, e):
        return INT

    def expr_RealLit(self, e):
        return REAL

    def expr_TargetValue(self, e):
        if self.block != "model":
            self.error("target() is only available in the model block", e.span)
        return REAL

    def expr_Var(self, e: A.Var):
        d = self.lookup(e.name)
        if d is None:
            entry = lookup_callable(e.name)
            if entry is not None and entry[0] == "function":
                self.error(f"'{e.name}' is not declared ('{e.name}' is a function: call it as "
                           f"{e.name}(...))", e.span)
            self.error(f"'{e.name}' is not declared" + did_you_mean(e.name, self.all_names()), e.span)
        e.decl = d
        if d.vtype.keyword == "changepoints" and not getattr(e, "_cp_ok", False):
            self.error(f"the changepoints parameter '{e.name}' may only be used as "
                       f"segment({e.name}, t) or in comparisons like t < {e.name}[k]", e.span)
        return getattr(d, "foreach_type", None) or d.vtype.type

    def expr_BinOp(self, e: A.BinOp):
        if e.op in ("<", "<=", ">", ">=", "==", "!="):
            for side in (e.left, e.right):
                if _is_changepoint_index(side, self):
                    side.base._cp_ok = True
        a, b = self.expr(e.left), self.expr(e.right)
        fn = OPERATORS.get(e.op)
        if fn is None:
            self.error(f"operator '{e.op}' is not supported yet", e.span)
        t = fn.resolve((a, b))
        if t is None:
            self.error(f"operator '{e.op}' cannot be applied to {a} and {b}", e.span)
        e.fn = fn
        return t

    def expr_UnOp(self, e: A.UnOp):
        a = self.expr(e.operand)
        key = {"-": "u-", "+": "u+"}.get(e.op, e.op)
        fn = OPERATORS[key]
        t = fn.resolve((a,))
        if t is None:
            self.error(f"operator '{e.op}' cannot be applied to {a}", e.span)
        e.fn = fn
        return t

    def expr_Conditional(self, e: A.Conditional):
        c = self.expr(e.cond)
        if not c.is_scalar:
            self.error(f"the condition of '?:' must be an int or real, found {c}", e.cond.span)
        a, b = self.expr(e.then), self.expr(e.other)
        if a == b:
            return a
        if a.promotes_to(b):
            return b
        if b.promotes_to(a):
            return a
        self.error(f"the branches of '?:' have different types: {a} and {b}", e.span)

    def expr_ArrayLit(self, e: A.ArrayLit):
        types = [self.expr(x) for x in e.items]
        t = types[0]
        for u in types[1:]:
            if u == t:
                continue
            if u.promotes_to(t):
                continue
            if t.promotes_to(u):
                t = u
                continue
            self.error(f"array expression elements have different types: {t} and {u}", e.span)
        return t.array_of()

    def expr_RowVectorLit(self, e: A.RowVectorLit):
        types = [self.expr(x) for x in e.items]
        if all(t.is_scalar for t in types):
            return Type("real", "row_vector")
        if all(t == Type("real", "row_vector") for t in types):
            return Type("real", "matrix")
        self.error("[...] needs all reals (a row_vector) or all row_vectors (a matrix)", e.span)

    def expr_Index(self, e: A.Index):
        base = self.expr(e.base)
        return self._index_type(base, e.indices, e.span)

    def _index_type(self, t: Type, items: list, span: Span) -> Type:
        # Each index item consumes one axis: single drops it, multi/slice keep it.
        dims = [("array", None)] * t.ndims
        shape = t.shape
        if shape in ("vector", "row_vector"):
            dims.append((shape, None))
        elif shape == "matrix":
            dims += [("rows", None), ("cols", None)]
        if len(items) > len(dims):
            self.error(f"too many indexes ({len(items)}) for a value of type {t}", span)
        kept = []
        for i, item in enumerate(items):
            if item.kind == "single":
                it = self.expr(item.lo)
                if it.is_int:
                    item.kind = "single"
                elif it == Type("int", "scalar", 1):
                    item.kind = "multi"
                    kept.append(dims[i][0])
                    continue
                else:
                    self.error(f"an index must be an int or array[] int, found {it}", item.lo.span)
            else:
                for x in (item.lo, item.hi):
                    if x is not None:
                        it = self.expr(x)
                        if not it.is_int:
                            self.error(f"slice bounds must be ints, found {it}", x.span)
                kept.append(dims[i][0])
        kept += [d for d, _ in dims[len(items):]]
        n_array = sum(1 for d in kept if d == "array")
        rest = [d for d in kept if d != "array"]
        if not rest:
            inner = "scalar"
        elif rest == ["vector"] or rest == ["rows"]:
            inner = "vector"
        elif rest == ["row_vector"] or rest == ["cols"]:
            inner = "row_vector"
        else:
            inner = "matrix"
        base = t.base if inner == "scalar" else "real"
        return Type(base, inner, n_array)

    def expr_Call(self, e: A.Call):
        name = e.name
        if name == "segment" and e.args and isinstance(e.args[0], A.Var):
            d = self.lookup(e.args[0].name)
            if d is not None and d.vtype.keyword == "changepoints":
                e.args[0]._cp_ok = True
                types = [self.expr(a) for a in e.args]
                if len(types) != 2 or not types[1].is_int:
                    self.error("segment(tau, t) takes a changepoints parameter and an int time index",
                               e.span)
                e.fn = Callee("segment", None)
                return INT
        if name == "segment":
            what = "it is given no arguments here" if not e.args else \
                f"its first argument here is a value of type {self.expr(e.args[0])}"
            self.error("segment(tau, t) takes a changepoints parameter (declared "
                       f"'changepoints[M, T] tau;') and an int time index; {what}", e.span)
        entry = lookup_callable(name)
        if entry is None:
            if self.lookup(name) is not None:
                self.error(f"'{name}' is a variable, not a function", e.name_span or e.span)
            base, _, suffix = name.rpartition("_")
            if suffix in ("cdf", "lcdf", "lccdf") and lookup_callable(base) is not None:
                from ppl.stdlib.cumulative import KERNELS
                self.error(f"'{name}' is not supported yet (pplc has the CDFs of "
                           f"{', '.join(KERNELS)})", e.name_span or e.span)
            self.error(unknown_callable_message(name, "function"), e.name_span or e.span)
        kind, obj, suffix = entry
        if kind == "glm":
            if not suffix:
                self.error(f"'{name}' is a distribution: use '~ {name}(...)' or '{name}_lpdf(y | ...)'",
                           e.name_span or e.span)
            if suffix == "lupdf" and self.block != "model":
                self.error(f"'{name}' drops constants and can only be used in the model block; "
                           f"use '{obj.name}_lpdf' here", e.name_span or e.span)
            if not e.conditional:
                self.error(f"write '{name}(y | ...)': the variate is separated from the parameters by '|'",
                           e.span)
            self._check_glm_args(obj, e.args, e.name_span or e.span)
            e.fn = Callee("glm", obj, suffix)
            return REAL
        types = tuple(self.expr(a) for a in e.args)
        if kind == "dist" and not suffix:
            self.error(f"'{name}' is a distribution: use '~ {name}(...)' or '{name}_"
                       f"{'lpmf' if obj.discrete else 'lpdf'}(y | ...)'", e.name_span or e.span)
        if kind == "dist" and suffix in ("lupdf", "lupmf") and self.block != "model":
            self.error(f"'{name}' drops constants and can only be used in the model block; "
                       f"use '{obj.name}_{suffix.replace('u', '', 1)}' here", e.name_span or e.span)
        if kind == "dist":
            if suffix == "rng":
                if e.conditional:
                    self.error(f"'{name}' takes no '|'", e.span)
                if self.block not in RNG_BLOCKS:
                    self.error(f"random number generators like '{name}' are only allowed in "
                               "transformed data and generated quantities", e.name_span or e.span)
                fake = [Type("int" if obj.discrete else "real")] + list(types)
                self._check_distribution_args(obj, fake, [e, *e.args], e.name_span or e.span, name)
                e.fn = Callee("rng", obj, suffix)
                base = "int" if obj.discrete else "real"
                return Type(base) if all(t.is_scalar for t in types) else Type(base, "scalar", 1)
            if not e.conditional and e.args and obj.params:   # std_normal_lpdf(y) needs no '|'
                self.error(f"write '{name}({_show(e.args[0])} | ...)': the variate is separated from the "
                           "parameters by '|'", e.span)
            self._check_distribution_args(obj, list(types), e.args, e.name_span or e.span, name)
            # the CDF (a product over vectorised arguments) is exp of the log CDF (a sum)
            e.fn = Callee("cdf" if suffix == "cdf" else "lpdf", obj, suffix)
            return REAL
        if e.conditional:
            self.error(f"'|' is only used in _lpdf/_lpmf calls, not in '{name}'", e.span)
        if name.endswith("_rng") and self.block not in RNG_BLOCKS:
            self.error(f"'{name}' is only allowed in transformed data and generated quantities", e.span)
        t = obj.resolve(types)
        if t is None:
            shown = ", ".join(str(x) for x in types)
            self.error(f"no signature of '{name}' accepts ({shown}); available: {obj.describe()}",
                       e.name_span or e.span)
        e.fn = Callee("function", obj)
        return t


def _is_changepoint_index(e, checker) -> bool:
    if isinstance(e, A.Index) and isinstance(e.base, A.Var):
        d = checker.lookup(e.base.name)
        return d is not None and d.vtype.keyword == "changepoints"
    return False


def _show(e) -> str:
    return "y" if not isinstance(e, A.Var) else e.name
