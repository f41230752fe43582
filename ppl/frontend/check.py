"""Semantic checker: scopes, types, block rules, signatures.

Walks the AST once, in block order, annotating expressions with their
``type``, variables with their declaration and calls with their resolved
stdlib entry.  Errors are collected (one per statement at most, so a
mistake does not cascade) and raised together as :class:`PPLErrors`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ppl.stdlib import lookup_callable
from ppl.stdlib.operators import OPERATORS

from . import ast as A
from .errors import PPLError, PPLErrors, Span, did_you_mean
from .parser import RESERVED
from .stan_library import STAN_DISTRIBUTIONS, dist_names, unknown_callable_message
from .types import INT, REAL, Type

ORDER = list(A.BLOCK_NAMES)
ASSIGNABLE = {"transformed data", "transformed parameters", "generated quantities", "model"}
RNG_BLOCKS = {"transformed data", "generated quantities"}


@dataclass
class Callee:
    """What a call resolved to: kind is 'function', 'lpdf', 'glm', 'rng' or 'segment'."""
    kind: str
    entry: object
    suffix: str = ""


class _Abort(Exception):
    """Stop checking the current statement (its error is already recorded)."""


class Checker:
    def __init__(self, program: A.Program):
        self.program = program
        self.errors: list[PPLError] = []
        self.scopes: list[dict[str, A.Decl]] = [{}]
        self.block = ""
        self.loop_depth = 0
        self.local_depth = 0

    # ----------------------------------------------------------- entry point
    def run(self) -> A.Program:
        self._check_block_order()
        for name in ORDER:
            if name not in self.program.blocks:
                continue
            self.block = name
            if name == "model":
                self.scopes.append({})        # model locals are not visible later
            for stmt in self.program.blocks[name]:
                self._stmt_guarded(stmt, top=True)
            if name == "model":
                self.scopes.pop()
        if self.errors:
            raise PPLErrors(self.errors)
        return self.program

    def _check_block_order(self):
        spans = self.program.block_spans
        # The parser keeps the last of repeated blocks; report repeats and order.
        seen = [n for n in ORDER if n in spans]
        by_pos = sorted(seen, key=lambda n: (spans[n].line, spans[n].col))
        if by_pos != seen:
            for a, b in zip(by_pos, by_pos[1:]):
                if ORDER.index(a) > ORDER.index(b):
                    self.errors.append(PPLError(
                        f"block '{b}' must come before block '{a}'; blocks appear in the order: "
                        + ", ".join(ORDER), spans[b]))
                    break

    def error(self, message: str, span: Span):
        self.errors.append(PPLError(message, span))
        raise _Abort()

    # ----------------------------------------------------------------- scopes
    def lookup(self, name: str) -> Optional[A.Decl]:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def all_names(self):
        for scope in self.scopes:
            yield from scope

    def declare(self, decl: A.Decl):
        if decl.name in RESERVED:
            self.error(f"'{decl.name}' is a reserved word and cannot be used as a name", decl.name_span)
        if decl.name.endswith("__"):
            self.error(f"names ending in '__' are reserved: '{decl.name}'", decl.name_span)
        if lookup_callable(decl.name) is not None and decl.name not in ("e",):
            # Stan allows shadowing some library names, but it makes models unreadable
            pass
        prev = self.lookup(decl.name)
        if prev is not None:
            where = f"{prev.name_span.line}:{prev.name_span.col}"
            self.error(f"'{decl.name}' is already declared (at {where})", decl.name_span)
        self.scopes[-1][decl.name] = decl

    # ------------------------------------------------------------- statements
    def _stmt_guarded(self, stmt, top=False):
        try:
            self.stmt(stmt, top)
        except _Abort:
            pass

    def stmt(self, s: A.Stmt, top=False):
        method = getattr(self, "stmt_" + type(s).__name__)
        method(s, top) if isinstance(s, A.Decl) else method(s)

    def stmt_FunctionDef(self, s: A.FunctionDef):
        self.error("user-defined functions (the 'functions' block) are not supported yet", s.name_span)

    def stmt_Decl(self, d: A.Decl, top: bool):
        try:
            self._decl(d, top)
        except _Abort:
            # still declare the name, so its later uses do not report it as undeclared
            if d.name not in self.scopes[-1] and d.name not in RESERVED:
                self.scopes[-1][d.name] = d
            raise

    def _decl(self, d: A.Decl, top: bool):
        block = self.block
        d.block = block if top else "local"
        d.is_global = top
        kw = d.vtype.keyword
        c = d.vtype.constraint
        if block in ("data", "parameters") and d.init is not None:
            self.error(f"variables in the {block} block cannot be given a value", d.init.span)
        if not top and block in ("data", "parameters"):
            self.error("declarations only", d.span)
        if kw == "changepoints":
            if block != "parameters":
                self.error("'changepoints' can only be declared in the parameters block", d.vtype.span)
            if d.vtype.array_sizes:
                self.error("arrays of changepoints are not supported; declare one changepoints "
                           "parameter per series", d.vtype.span)
        if block == "parameters" and kw == "int":
            self.error("parameters cannot be integers (use 'changepoints[M, T]' for discrete "
                       "changepoints, or marginalise the discrete variable)", d.vtype.span)
        if not top and c.kind != "none":
            self.error("local variables cannot have constraints", c.span)
        if block == "model" and top and c.kind != "none":
            self.error("variables declared in the model block cannot have constraints", c.span)
        if c.kind == "affine" and block not in ("parameters", "transformed parameters"):
            self.error("offset/multiplier is only meaningful for parameters", c.span)
        # sizes: int, and for block variables built from data only
        for e in [*d.vtype.array_sizes, *d.vtype.sizes]:
            t = self.expr(e)
            if not t.is_int:
                self.error(f"a size must be an int, found {t}", e.span)
            if top:
                self._require_data_only(e, "a size")
        for bound in (c.lower, c.upper, c.offset, c.multiplier):
            if bound is None:
                continue
            t = self.expr(bound)
            if t.base not in ("int", "real") or not (t.is_scalar or t.rank >= 1):
                self.error(f"a bound must be a real or a container of reals, found {t}", bound.span)
            if block in ("data", "transformed data"):
                self._require_data_only(bound, "a bound of a data variable")
        if kw in ("int",) and c.kind == "bounds":
            for bound in (c.lower, c.upper):
                if bound is not None and bound.type.base != "int":
                    self.error("bounds of an int must be ints", bound.span)
        dtype = d.vtype.type
        if d.init is not None:
            t = self.expr(d.init)
            if not self._assignable(t, dtype):
                self.error(f"cannot initialise '{d.name}' of type {dtype} with a value of type {t}",
                           d.init.span)
        self.declare(d)

    def _require_data_only(self, e: A.Expr, what: str):
        for v in _variables(e):
            if v.decl is not None and v.decl.block not in ("data", "transformed data", "local", "loop"):
                self.error(f"{what} must depend on data only, but uses '{v.name}' "
                           f"(declared in {v.decl.block})", v.span)

    @staticmethod
    def _assignable(t: Type, target: Type) -> bool:
        if t == target or t.promotes_to(target):
            return True
        # array[] int -> array[] real
        return t.base == "int" and target.base == "real" and t.shape == target.shape == "scalar" \
            and t.ndims == target.ndims

    def stmt_Assign(self, s: A.Assign):
        d = self.lookup(s.name)
        if d is None and s.name == "jacobian" and s.op == "+=":
            self.error("'jacobian +=' is not supported yet; add the log Jacobian to 'target' in the "
                       "model block instead", s.name_span)
        if d is None:
            self.error(f"'{s.name}' is not declared" + did_you_mean(s.name, self.all_names()), s.name_span)
        s.decl = d
        if d.block == "loop":
            self.error(f"cannot assign to the loop variable '{s.name}'", s.name_span)
        if d.block != "local" and d.block != self.block:
            self.error(f"cannot assign to '{s.name}' here: it is declared in the {d.block} block, "
                       f"and only variables of this block ({self.block}) can be assigned", s.name_span)
        if d.vtype.keyword == "changepoints":
            self.error("cannot assign to a changepoints parameter", s.name_span)
        t = d.vtype.type
        for items in s.indices:
            t = self._index_type(t, items, s.name_span)
        s.lhs_type = t
        v = self.expr(s.value)
        if s.op == "=":
            if not self._assignable(v, t):
                self.error(f"cannot assign a value of type {v} to '{s.name}' of type {t}", s.value.span)
            return
        op = s.op[:-1]
        res = OPERATORS[op].resolve((t, v))
        if res is None or not self._assignable(res, t):
            self.error(f"'{s.op}' cannot combine {t} and {v}", s.value.span)

    def stmt_Tilde(self, s: A.Tilde):
        if self.block != "model":
            self.error("'~' statements are only allowed in the model block", s.span)
        if s.truncation is not None:
            self.error("truncation T[,] is not supported yet", s.truncation[3])
        entry = lookup_callable(s.dist)
        if entry is not None and entry[0] == "glm":
            if entry[2]:
                self.error(f"'~ {s.dist}(...)' is not allowed: write '~ {entry[1].name}(...)' without the "
                           f"'_{entry[2]}' suffix", s.dist_span)
            self._check_glm_args(entry[1], [s.lhs, *s.args], s.dist_span)
            s.fn = Callee("glm", entry[1])
            return
        if entry is not None and entry[0] == "dist" and entry[2]:
            self.error(f"'~ {s.dist}(...)' is not allowed: write '~ {entry[1].name}(...)' without the "
                       f"'_{entry[2]}' suffix", s.dist_span)
        if entry is None or entry[0] != "dist":
            hint = ""
            if s.dist.endswith(("_lpdf", "_lpmf", "_log")):
                hint = f"; write '~ {s.dist.rsplit('_', 1)[0]}(...)' without the suffix"
            if not hint and s.dist in STAN_DISTRIBUTIONS:
                self.error(unknown_callable_message(s.dist, "distribution"), s.dist_span)
            self.error(f"unknown distribution '{s.dist}'" + (hint or did_you_mean(s.dist, dist_names())),
                       s.dist_span)
        dist = entry[1]
        types = [self.expr(s.lhs)] + [self.expr(a) for a in s.args]
        self._check_distribution_args(dist, types, [s.lhs, *s.args], s.dist_span, s.dist)
        s.fn = Callee("lpdf", dist)

    def _check_glm_args(self, glm, exprs, span):
        problem = glm.check([self.expr(e) for e in exprs])
        if problem is not None:
            self.error(problem, span)

    def _check_distribution_args(self, dist, types, exprs, span, shown):
        from ppl.stdlib.signatures import ints_arg, reals_arg
        want = [dist.variate, *dist.params]
        if len(types) != len(want):
            names = ", ".join(a.name for a in dist.params)
            self.error(f"'{shown}' takes {len(want) - 1} argument(s) ({names}) after the variate, "
                       f"found {len(types) - 1}", span)
        for i, (t, arg, e) in enumerate(zip(types, want, exprs)):
            ok = ints_arg(t) if arg.kind == "ints" else reals_arg(t) or (t.ndims == 1 and t.shape != "scalar"
                                                                         and False)
            if not ok:
                what = "the variate" if i == 0 else f"argument '{arg.name}'"
                need = "int or array[] int" if arg.kind == "ints" else \
                    "real, vector, row_vector or 1-D array of reals"
                self.error(f"{what} of {dist.name} must be {need}, found {t}", e.span)

    def stmt_TargetIncrement(self, s: A.TargetIncrement):
        if self.block != "model":
            self.error("'target +=' is only allowed in the model block", s.span)
        t = self.expr(s.value)
        if t.base not in ("int", "real"):
            self.error(f"'target +=' needs a real or container of reals, found {t}", s.value.span)

    def _loop_body(self, var_decl: Optional[A.Decl], body: A.Stmt):
        self.scopes.append({})
        if var_decl is not None:
            self.scopes[-1][var_decl.name] = var_decl
        self.loop_depth += 1
        self._stmt_guarded(body)
        self.loop_depth -= 1
        self.scopes.pop()

    def stmt_For(self, s: A.For):
        for e in (s.lo, s.hi):
            t = self.expr(e)
            if not t.is_int:
                self.error(f"loop bounds must be ints, found {t}", e.span)
        if s.var in RESERVED:
            self.error(f"'{s.var}' is a reserved word and cannot be used as a name", s.var_span)
        if self.lookup(s.var) is not None:
            prev = self.lookup(s.var)
            self.error(f"loop variable '{s.var}' shadows '{s.var}' declared at "
                       f"{prev.name_span.line}:{prev.name_span.col}", s.var_span)
        d = _loop_decl(s.var, s.var_span, "int")
        s.decl = d
        self._loop_body(d, s.body)

    def stmt_ForEach(self, s: A.ForEach):
        t = self.expr(s.collection)
        if t.is_scalar:
            self.error(f"cannot loop over a value of type {t}", s.collection.span)
        if self.lookup(s.var) is not None:
            self.error(f"loop variable '{s.var}' shadows an existing name", s.var_span)
        elem = t.element() if t.ndims else REAL
        d = _loop_decl(s.var, s.var_span, "int" if elem == INT else "real")
        d.vtype = A.TypeDecl(s.var_span, "real", [], [], A.Constraint(s.var_span))
        d.foreach_type = elem
        s.decl = d
        self._loop_body(d, s.body)

    def stmt_While(self, s: A.While):
        self._condition(s.cond)
        self._loop_body(None, s.body)

    def stmt_If(self, s: A.If):
        try:
            self._condition(s.cond)
        except _Abort:
            pass
        self._nested(s.then)
        if s.other is not None:
            self._nested(s.other)

    def _nested(self, body):
        self.scopes.append({})
        self._stmt_guarded(body)
        self.scopes.pop()

    def _condition(self, e: A.Expr):
        t = self.expr(e)
        if not t.is_scalar:
            self.error(f"a condition must be an int or real, found {t}", e.span)

    def stmt_Block(self, s: A.Block):
        self.scopes.append({})
        for st in s.body:
            self._stmt_guarded(st)
        self.scopes.pop()

    def stmt_Print(self, s: A.Print):
        for item in s.items:
            if isinstance(item, A.Expr):
                self.expr(item)

    def stmt_Reject(self, s: A.Reject):
        self.stmt_Print(s)

    def stmt_Break(self, s):
        if self.loop_depth == 0:
            self.error("'break' outside a loop", s.span)

    def stmt_Continue(self, s):
        if self.loop_depth == 0:
            self.error("'continue' outside a loop", s.span)

    def stmt_Return(self, s):
        self.error("'return' is only allowed inside a function", s.span)

    def stmt_CallStmt(self, s: A.CallStmt):
        self.expr(s.call)
        self.error(f"the value of '{s.call.name}(...)' is not used: a function call on its own is "
                   "not a statement", s.call.span)

    def stmt_Empty(self, s):
        pass

    # ------------------------------------------------------------ expressions
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
            low = name.rsplit("_", 1)
            if len(low) == 2 and low[1] in ("cdf", "lcdf", "lccdf"):
                self.error(f"cumulative distribution functions like '{name}' are not supported yet",
                           e.name_span or e.span)
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
            e.fn = Callee("lpdf", obj, suffix)
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


# ------------------------------------------------------------------ helpers
def _loop_decl(name, span, base) -> A.Decl:
    d = A.Decl(span, name, span, A.TypeDecl(span, base, [], [], A.Constraint(span)))
    d.block = "loop"
    return d


def _is_changepoint_index(e, checker) -> bool:
    if isinstance(e, A.Index) and isinstance(e.base, A.Var):
        d = checker.lookup(e.base.name)
        return d is not None and d.vtype.keyword == "changepoints"
    return False


def _variables(e):
    """All Var nodes inside an expression."""
    if isinstance(e, A.Var):
        yield e
    for v in vars(e).values():
        if isinstance(v, A.Expr):
            yield from _variables(v)
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, (A.Expr, A.IndexItem)):
                    yield from _variables(x)
        elif isinstance(v, A.IndexItem):
            yield from _variables(v)
    if isinstance(e, A.IndexItem):
        for x in (e.lo, e.hi):
            if x is not None:
                yield from _variables(x)


def _show(e) -> str:
    return "y" if not isinstance(e, A.Var) else e.name


def check(program: A.Program) -> A.Program:
    return Checker(program).run()
