"""Semantic checker: scopes, types, block rules, signatures (expressions in check_expressions.py).

Walks the AST once, in block order, annotating expressions with their
``type``, variables with their declaration and calls with their resolved
stdlib entry.  Errors are collected (one per statement at most, so a
mistake does not cascade) and raised together as :class:`PPLErrors`.
"""
from __future__ import annotations

from typing import Optional

from ppl.stdlib import lookup_callable
from ppl.stdlib.operators import OPERATORS

from . import ast as A
from .check_expressions import Callee, ExpressionChecks
from .errors import PPLError, PPLErrors, Span, did_you_mean
from .parser import RESERVED
from .stan_library import STAN_DISTRIBUTIONS, dist_names, unknown_callable_message
from .types import INT, REAL, Type

ORDER = list(A.BLOCK_NAMES)
ASSIGNABLE = {"transformed data", "transformed parameters", "generated quantities", "model"}


class _Abort(Exception):
    """Stop checking the current statement (its error is already recorded)."""


class Checker(ExpressionChecks):
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
            self.error("truncation T[,] is not supported yet; normalise by hand with the CDFs, e.g. "
                       f"'target += -{s.dist}_lccdf(L | ...)' for T[L, ]", s.truncation[3])
        entry = lookup_callable(s.dist)
        if entry is not None and entry[0] == "glm":
            if entry[2]:
                self.error(f"'~ {s.dist}(...)' is not allowed: write '~ {entry[1].name}(...)' without the "
                           f"'_{entry[2]}' suffix", s.dist_span)
            self._check_glm_args(entry[1], [s.lhs, *s.args], s.dist_span)
            s.fn = Callee("glm", entry[1])
            return
        if entry is not None and entry[0] == "dist" and entry[2] in ("cdf", "lcdf", "lccdf"):
            self.error(f"'~ {s.dist}(...)' is not allowed: a CDF is not a density; write "
                       f"'target += {s.dist}(y | ...)' for a censored observation", s.dist_span)
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
                # a CDF call names its own function: poisson_cdf resolves to the poisson_lcdf row
                self.error(f"{what} of {shown if dist.cumulative else dist.name} must be {need}, found {t}",
                           e.span)

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



# ------------------------------------------------------------------ helpers
def _loop_decl(name, span, base) -> A.Decl:
    d = A.Decl(span, name, span, A.TypeDecl(span, base, [], [], A.Constraint(span)))
    d.block = "loop"
    return d


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


def check(program: A.Program) -> A.Program:
    return Checker(program).run()
