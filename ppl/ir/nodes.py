"""The IR: structured control flow over typed expression trees.

One IR is read by every analysis, by AD and by every backend.  Compared with
the AST it has fewer shapes: operators and functions are all ``Call``s of a
stdlib entry, ``~`` is ``TargetAdd(Lpdf(...))``, compound assignment is
plain assignment, declarations are ``Declare`` + ``Assign``, variables are
:class:`Variable` objects (not names), and every parametric jump site
carries a guard id.  Every node keeps its source span.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ppl.frontend.errors import Span
from ppl.frontend.types import Type

# Dependence classes (ir/dependence.py): how a value depends on the parameters.
DATA = 0      # the same for every parameter value
STEP = 1      # piecewise constant in the parameters (through guards only)
SMOOTH = 2    # varies continuously with the parameters (differentiable a.e.)


@dataclass(eq=False)
class Variable:
    name: str
    type: Type
    block: str                    # 'data', 'transformed data', 'parameters', ..., 'local', 'loop'
    span: Span
    sizes: list = field(default_factory=list)        # shape sizes (IR exprs): [N] / [N, M]
    array_sizes: list = field(default_factory=list)  # array sizes (IR exprs)
    constraint: Optional["Constraint"] = None
    keyword: str = "real"         # the declared keyword: 'vector', 'simplex', 'changepoints', ...
    dep: int = DATA               # filled by the dependence analysis

    def __repr__(self) -> str:
        return f"%{self.name}"


@dataclass(eq=False)
class Constraint:
    kind: str                      # 'bounds' | 'affine' | 'ordered' | 'positive_ordered' | 'simplex' | 'changepoints'
    lower: Optional["Expr"] = None
    upper: Optional["Expr"] = None
    offset: Optional["Expr"] = None
    multiplier: Optional["Expr"] = None
    span: Optional[Span] = None

    @property
    def transform_name(self) -> Optional[str]:
        """Name of the constraint transform (ppl.transforms), None for no transform."""
        if self.kind == "bounds":
            if self.lower is not None and self.upper is not None:
                return "lower_upper"
            return "lower" if self.lower is not None else ("upper" if self.upper is not None else None)
        if self.kind == "affine":
            return "affine"
        if self.kind in ("ordered", "positive_ordered", "simplex"):
            return self.kind
        return None

    def args(self) -> list:
        if self.kind == "bounds":
            return [e for e in (self.lower, self.upper) if e is not None]
        if self.kind == "affine":
            return [self.offset, self.multiplier]
        return []


# ----------------------------------------------------------------- expressions
@dataclass(eq=False)
class Expr:
    span: Span
    type: Type
    dep: int = field(default=DATA, init=False)


@dataclass(eq=False)
class Const(Expr):
    value: Any


@dataclass(eq=False)
class Load(Expr):
    var: Variable


@dataclass(eq=False)
class IndexSpec:
    kind: str                   # 'single' | 'multi' | 'slice' | 'lower' | 'upper' | 'all'
    lo: Optional[Expr] = None
    hi: Optional[Expr] = None


@dataclass(eq=False)
class Index(Expr):
    base: Expr
    indices: list[IndexSpec]


@dataclass(eq=False)
class Call(Expr):
    """A stdlib function or operator applied to arguments.

    ``guard`` is set on jump functions (comparisons, step, floor...) whose
    argument depends smoothly on the parameters: the site's guard id."""
    fn: Any                     # stdlib.functions.Function
    args: list[Expr]
    guard: Optional[int] = None

    @property
    def name(self) -> str:
        return self.fn.name


@dataclass(eq=False)
class Lpdf(Expr):
    """Sum of a distribution's elementwise log density: ``foo_lpdf(args[0] | args[1:])``."""
    dist: Any
    args: list[Expr]


@dataclass(eq=False)
class Rng(Expr):
    dist: Any
    args: list[Expr]


@dataclass(eq=False)
class Select(Expr):
    """``cond ? then : other`` (only the chosen side is evaluated, per lane)."""
    cond: Expr
    then: Expr
    other: Expr
    # made by ppl.ir.invariant_choices out of f(.., c ? a : b, ..): the sides share what f
    # read besides the choice, which the program evaluated whichever side is chosen
    lifted: bool = False


@dataclass(eq=False)
class Build(Expr):
    """Array ``{...}`` or row-vector/matrix ``[...]`` literal."""
    kind: str                   # 'array' | 'row_vector' | 'matrix'
    items: list[Expr]


@dataclass(eq=False)
class Segment(Expr):
    """``segment(tau, t)`` for a changepoints parameter."""
    var: Variable
    t: Expr


@dataclass(eq=False)
class TargetValue(Expr):
    pass


# ------------------------------------------------------------------ statements
@dataclass(eq=False)
class Stmt:
    span: Span


@dataclass(eq=False)
class Declare(Stmt):
    var: Variable


@dataclass(eq=False)
class Assign(Stmt):
    var: Variable
    indices: list[list[IndexSpec]]   # one list per bracket pair: x[i][j, k]
    value: Expr


@dataclass(eq=False)
class TargetAdd(Stmt):
    value: Expr


@dataclass(eq=False)
class For(Stmt):
    var: Variable
    lo: Expr
    hi: Expr
    body: list[Stmt]
    changepoint: Any = None     # ir.changepoints.ChangepointPlan when the loop is a changepoint series


@dataclass(eq=False)
class ForEach(Stmt):
    var: Variable
    collection: Expr
    body: list[Stmt]


@dataclass(eq=False)
class While(Stmt):
    cond: Expr
    body: list[Stmt]


@dataclass(eq=False)
class If(Stmt):
    cond: Expr
    then: list[Stmt]
    other: list[Stmt]


@dataclass(eq=False)
class Print(Stmt):
    items: list


@dataclass(eq=False)
class Reject(Stmt):
    items: list
    fatal: bool = False


@dataclass(eq=False)
class Break(Stmt):
    pass


@dataclass(eq=False)
class Continue(Stmt):
    pass


# --------------------------------------------------------------------- program
@dataclass(eq=False)
class Program:
    path: str
    source: str
    data: list[Variable]
    transformed_data: list[Stmt]
    transformed_data_vars: list[Variable]
    parameters: list[Variable]
    transformed_parameters: list[Stmt]
    transformed_parameters_vars: list[Variable]
    model: list[Stmt]
    generated_quantities: list[Stmt]
    generated_quantities_vars: list[Variable]
    guards: list = field(default_factory=list)        # ir.guards.GuardSite, by id
    changepoint_plans: list = field(default_factory=list)

    @property
    def changepoint_params(self) -> list[Variable]:
        return [v for v in self.parameters if v.keyword == "changepoints"]

    @property
    def continuous_params(self) -> list[Variable]:
        return [v for v in self.parameters if v.keyword != "changepoints"]


def children(e: Expr):
    """Direct sub-expressions of an expression, in evaluation order."""
    if isinstance(e, Index):
        yield e.base
        for spec in e.indices:
            if spec.lo is not None:
                yield spec.lo
            if spec.hi is not None:
                yield spec.hi
    elif isinstance(e, (Call, Lpdf, Rng)):
        yield from e.args
    elif isinstance(e, Select):
        yield e.cond
        yield e.then
        yield e.other
    elif isinstance(e, Build):
        yield from e.items
    elif isinstance(e, Segment):
        yield e.t


def walk_expr(e: Expr):
    yield e
    for c in children(e):
        yield from walk_expr(c)


def stmt_exprs(s: Stmt):
    """Expressions directly held by a statement (not those of nested statements)."""
    if isinstance(s, Declare):
        yield from s.var.array_sizes
        yield from s.var.sizes
    elif isinstance(s, Assign):
        for items in s.indices:
            for spec in items:
                if spec.lo is not None:
                    yield spec.lo
                if spec.hi is not None:
                    yield spec.hi
        yield s.value
    elif isinstance(s, TargetAdd):
        yield s.value
    elif isinstance(s, For):
        yield s.lo
        yield s.hi
    elif isinstance(s, ForEach):
        yield s.collection
    elif isinstance(s, (While, If)):
        yield s.cond
    elif isinstance(s, (Print, Reject)):
        yield from (i for i in s.items if isinstance(i, Expr))


def sub_bodies(s: Stmt):
    if isinstance(s, (For, ForEach, While)):
        yield s.body
    elif isinstance(s, If):
        yield s.then
        yield s.other


def walk_stmts(body):
    for s in body:
        yield s
        for b in sub_bodies(s):
            yield from walk_stmts(b)


def assigned_variables(body) -> dict:
    """The variables a list of statements gives values to (assignments, declarations, loop
    variables), nested statements included: id -> Variable."""
    return {id(s.var): s.var for s in walk_stmts(body) if isinstance(s, (Assign, Declare, For, ForEach))}
