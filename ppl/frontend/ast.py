"""The abstract syntax tree.  Every node keeps the span of its source text.

The checker (``check.py``) fills in ``type`` on expressions, ``decl`` on
variables and ``fn`` on calls; the lowering reads the checked tree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import Span
from .types import Type


@dataclass(eq=False)
class Node:
    span: Span


# ------------------------------------------------------------------ expressions
@dataclass(eq=False)
class Expr(Node):
    # Filled by the checker.
    type: Optional[Type] = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class IntLit(Expr):
    value: int


@dataclass(eq=False)
class RealLit(Expr):
    value: float


@dataclass(eq=False)
class Var(Expr):
    name: str
    decl: Any = field(default=None, init=False, repr=False)  # the Decl it refers to


@dataclass(eq=False)
class Call(Expr):
    """``f(a, b)``; ``conditional`` for the ``f(a | b)`` form of _lpdf/_lpmf calls."""
    name: str
    args: list[Expr]
    conditional: bool = False
    name_span: Optional[Span] = None
    fn: Any = field(default=None, init=False, repr=False)  # resolved stdlib entry


@dataclass(eq=False)
class BinOp(Expr):
    op: str          # '+', '-', '*', '/', '%', '.*', './', '%/%', '\\', '^', '.^', '==', ..., '&&', '||'
    left: Expr
    right: Expr
    fn: Any = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class UnOp(Expr):
    op: str          # '-', '+', '!', "'"
    operand: Expr
    fn: Any = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class Conditional(Expr):
    cond: Expr
    then: Expr
    other: Expr


@dataclass(eq=False)
class Index(Expr):
    base: Expr
    indices: list["IndexItem"]


@dataclass(eq=False)
class IndexItem(Node):
    """One position in ``x[...]``: kind is 'single', 'multi' (int array),
    'slice' (lo:hi), 'lower' (lo:), 'upper' (:hi) or 'all' (:)."""
    kind: str
    lo: Optional[Expr] = None
    hi: Optional[Expr] = None


@dataclass(eq=False)
class ArrayLit(Expr):
    items: list[Expr]


@dataclass(eq=False)
class RowVectorLit(Expr):
    items: list[Expr]


@dataclass(eq=False)
class TargetValue(Expr):
    pass


# ------------------------------------------------------------------- types
@dataclass(eq=False)
class Constraint(Node):
    """``<lower=, upper=>``, ``<offset=, multiplier=>``, or a special kind
    ('ordered', 'positive_ordered', 'simplex', 'changepoints')."""
    kind: str = "none"   # 'none' | 'bounds' | 'affine' | 'ordered' | 'positive_ordered' | 'simplex' | 'changepoints'
    lower: Optional[Expr] = None
    upper: Optional[Expr] = None
    offset: Optional[Expr] = None
    multiplier: Optional[Expr] = None


@dataclass(eq=False)
class TypeDecl(Node):
    """A sized type as written: base type, sizes of the shape, array sizes, constraint."""
    keyword: str                 # 'int','real','vector','row_vector','matrix','ordered',...
    sizes: list[Expr]            # [N] for vectors, [N, M] for matrices / changepoints
    array_sizes: list[Expr]
    constraint: Constraint

    @property
    def type(self) -> Type:
        if self.keyword == "int":
            base = Type("int")
        elif self.keyword == "real":
            base = Type("real")
        elif self.keyword in ("vector", "ordered", "positive_ordered", "simplex"):
            base = Type("real", "vector")
        elif self.keyword == "row_vector":
            base = Type("real", "row_vector")
        elif self.keyword == "matrix":
            base = Type("real", "matrix")
        elif self.keyword == "changepoints":
            base = Type("int", "scalar", 1)
        else:
            raise ValueError(self.keyword)
        return base.array_of(len(self.array_sizes)) if self.array_sizes else base


# ------------------------------------------------------------------ statements
@dataclass(eq=False)
class Stmt(Node):
    pass


@dataclass(eq=False)
class Decl(Stmt):
    name: str
    name_span: Span
    vtype: TypeDecl
    init: Optional[Expr] = None
    block: str = ""          # set by the checker: which block declared it
    is_global: bool = False  # declared at the top level of a block


@dataclass(eq=False)
class Assign(Stmt):
    """``name[i][j, k] op= value``; ``op`` is '=', '+=', '-=', '*=', '/=', '.*=', './='."""
    name: str
    name_span: Span
    indices: list[list[IndexItem]]
    op: str
    value: Expr
    decl: Any = field(default=None, init=False, repr=False)
    lhs_type: Optional[Type] = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class Tilde(Stmt):
    lhs: Expr
    dist: str
    dist_span: Span
    args: list[Expr]
    truncation: Optional[tuple] = None
    fn: Any = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class TargetIncrement(Stmt):
    value: Expr


@dataclass(eq=False)
class For(Stmt):
    var: str
    var_span: Span
    lo: Expr
    hi: Expr
    body: Stmt
    decl: Any = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class ForEach(Stmt):
    var: str
    var_span: Span
    collection: Expr
    body: Stmt
    decl: Any = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class While(Stmt):
    cond: Expr
    body: Stmt


@dataclass(eq=False)
class If(Stmt):
    cond: Expr
    then: Stmt
    other: Optional[Stmt] = None


@dataclass(eq=False)
class Block(Stmt):
    body: list[Stmt]


@dataclass(eq=False)
class Print(Stmt):
    items: list          # Expr or str


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


@dataclass(eq=False)
class Return(Stmt):
    value: Optional[Expr] = None


@dataclass(eq=False)
class CallStmt(Stmt):
    call: Call


@dataclass(eq=False)
class Empty(Stmt):
    pass


@dataclass(eq=False)
class FunctionDef(Stmt):
    name: str
    name_span: Span


# --------------------------------------------------------------------- program
BLOCK_NAMES = ("functions", "data", "transformed data", "parameters",
               "transformed parameters", "model", "generated quantities")


@dataclass(eq=False)
class Program(Node):
    blocks: dict[str, list[Stmt]]              # block name -> statements, in BLOCK_NAMES order
    block_spans: dict[str, Span] = field(default_factory=dict)
    path: str = "<string>"

    def block(self, name: str) -> list[Stmt]:
        return self.blocks.get(name, [])
