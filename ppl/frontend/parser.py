"""Lark parse tree -> AST with spans (syntax errors: syntax_errors.py)."""
from __future__ import annotations

import re

from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken, VisitError

from . import ast as A
from .errors import PPLError, Span, split_lines
from .grammar import _lark
from .syntax_errors import _char_error, _eof_span, _expected, _tok_span, _token_error, _unterminated_comment

# Reserved words cannot name variables (Stan's list, plus our `changepoints`).
RESERVED = {
    "for", "in", "while", "repeat", "until", "if", "then", "else", "true", "false",
    "target", "functions", "model", "data", "parameters", "quantities", "transformed",
    "generated", "int", "real", "complex", "vector", "row_vector", "matrix", "array",
    "ordered", "positive_ordered", "simplex", "unit_vector", "cholesky_factor_corr",
    "cholesky_factor_cov", "corr_matrix", "cov_matrix", "tuple", "void", "return",
    "break", "continue", "print", "reject", "fatal_error", "profile", "changepoints",
    "lower", "upper", "offset", "multiplier",
}
# `lower`, `upper`, `offset`, `multiplier` are contextual in Stan; allow them as names.
RESERVED -= {"lower", "upper", "offset", "multiplier"}

def _normalise(text: str) -> str:
    """Same length, same positions: a byte-order mark becomes a space, a lone carriage return
    (old Mac line ends) a newline, so that lines are counted as editors count them."""
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    if "\r" in text:
        text = re.sub(r"\r(?!\n)", "\n", text)
    return text


def parse(text: str, path: str = "<string>") -> A.Program:
    """Parse a model; raise :class:`PPLError` with a located message on failure.

    A program nested too deeply for Python's recursion limit raises RecursionError
    (the compiler retries it with a deeper stack)."""
    text = _normalise(text)
    try:
        tree = _lark().parse(text)
    except (UnexpectedCharacters, UnexpectedEOF, UnexpectedToken) as e:
        comment = _unterminated_comment(text, path)
        if comment is not None:
            raise comment from None
        if isinstance(e, UnexpectedCharacters):
            raise _char_error(e, text, path) from None
        if isinstance(e, UnexpectedEOF):
            raise PPLError(f"unexpected end of file; expected {_expected(e.expected)}",
                           _eof_span(text, path)) from None
        raise _token_error(e, text, path) from None
    try:
        return _Builder(path, text).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, (PPLError, RecursionError)):
            raise e.orig_exc from None
        raise


# -------------------------------------------------------------- tree -> AST
def _span(meta, path) -> Span:
    if getattr(meta, "empty", True) and not hasattr(meta, "line"):
        return Span(0, 0, 0, 0, path)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column, path)


_BINOPS = {
    "add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%", "elt_mul": ".*",
    "elt_div": "./", "int_div": "%/%", "left_div": "\\", "pow": "^", "elt_pow": ".^",
    "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
    "and_": "&&", "or_": "||",
}


@v_args(meta=True)
class _Builder(Transformer):
    def __init__(self, path: str, text: str = ""):
        super().__init__(visit_tokens=False)
        self.path = path
        self.lines = split_lines(text)

    def sp(self, meta) -> Span:
        return _span(meta, self.path)

    def tsp(self, tok: Token) -> Span:
        return _tok_span(tok, self.path)

    def _char_before(self, span: Span) -> str:
        if 1 <= span.line <= len(self.lines) and span.col >= 2:
            return self.lines[span.line - 1][span.col - 2]
        return ""

    # -- program and blocks
    def start(self, meta, blocks):
        prog = A.Program(self.sp(meta), {}, {}, self.path)
        for name, span, body in blocks:
            if name in prog.blocks:
                first = prog.block_spans[name]
                raise PPLError(f"block '{name}' appears twice (first at {first.line}:{first.col}); "
                               "each block may appear only once", span)
            prog.blocks[name] = body
            prog.block_spans[name] = span
        return prog

    def _block(name):
        def build(self, meta, children):
            body = [c for c in children if not isinstance(c, Token)]
            flat = []
            for c in body:
                flat.extend(c if isinstance(c, list) else [c])
            return name, self.sp(meta), flat
        return build

    functions_block = _block("functions")
    data_block = _block("data")
    transformed_data_block = _block("transformed data")
    parameters_block = _block("parameters")
    transformed_parameters_block = _block("transformed parameters")
    model_block = _block("model")
    generated_quantities_block = _block("generated quantities")

    def function_def(self, meta, children):
        name = children[1]
        return A.FunctionDef(self.sp(meta), name[0], name[1])

    def return_type(self, meta, c):
        return None

    def arg_decl(self, meta, c):
        return None

    def unsized_type(self, meta, c):
        return None

    def unsized_dims(self, meta, c):
        return None

    def basic_type(self, meta, c):
        return None

    # -- declarations
    def name(self, meta, children):
        tok = children[0]
        return str(tok), self.tsp(tok)

    def top_decl(self, meta, children):
        dims, vtype, (name, nspan), init = (children if len(children) == 4 else [None, *children])
        if dims is not None:
            vtype.array_sizes = dims
        vtype.span = self.sp(meta)
        return A.Decl(self.sp(meta), name, nspan, vtype, init)

    def array_dims(self, meta, children):
        return list(children[1:])

    def _sized(keyword, nsizes):
        def build(self, meta, children):
            kw = children[0]
            rest = list(children[1:])
            constraint = A.Constraint(self.sp(meta))
            if rest and isinstance(rest[0], A.Constraint):
                constraint = rest.pop(0)
            if keyword in ("ordered", "positive_ordered", "simplex", "changepoints"):
                constraint = A.Constraint(self.sp(meta), keyword)
            return A.TypeDecl(self.sp(meta), keyword if keyword != "?" else str(kw), rest, [], constraint)
        return build

    int_type = _sized("int", 0)
    real_type = _sized("real", 0)
    vector_type = _sized("vector", 1)
    row_vector_type = _sized("row_vector", 1)
    matrix_type = _sized("matrix", 2)
    ordered_type = _sized("ordered", 1)
    positive_ordered_type = _sized("positive_ordered", 1)
    simplex_type = _sized("simplex", 1)
    changepoints_type = _sized("changepoints", 2)

    def unsupported_type(self, meta, children):
        kw = children[0]
        if str(kw).startswith("complex"):
            raise PPLError(f"the type '{kw}' is not supported: complex numbers are not supported",
                           self.tsp(kw))
        raise PPLError(f"the constrained type '{kw}' is not supported yet "
                       "(supported: lower/upper, offset/multiplier, ordered, positive_ordered, simplex)",
                       self.tsp(kw))

    def profile_stmt(self, meta, children):
        # profile("name") { ... } only times its body in Stan: run the body as a block
        body = []
        for c in children[2:]:
            body.extend(c.body if isinstance(c, A.Block) else [c])
        return A.Block(self.sp(meta), body)

    def range(self, meta, children):
        c = A.Constraint(self.sp(meta), "bounds")
        seen = set()
        for kind, expr, span in children:
            if kind in seen:
                raise PPLError(f"'{kind}' given twice in one constraint", span)
            seen.add(kind)
            setattr(c, kind, expr)
        return c

    def offset_multiplier(self, meta, children):
        c = A.Constraint(self.sp(meta), "affine")
        seen = set()
        for kind, expr, span in children:
            if kind in seen:
                raise PPLError(f"'{kind}' given twice in one constraint", span)
            seen.add(kind)
            setattr(c, kind, expr)
        return c

    def lower(self, meta, c):
        return "lower", c[1], self.tsp(c[0])

    def upper(self, meta, c):
        return "upper", c[1], self.tsp(c[0])

    def offset(self, meta, c):
        return "offset", c[1], self.tsp(c[0])

    def multiplier(self, meta, c):
        return "multiplier", c[1], self.tsp(c[0])

    # -- statements
    def assignment(self, meta, children):
        target, op, value = children
        indices = []
        node = target
        while isinstance(node, A.Index):
            indices.insert(0, node.indices)
            node = node.base
        if not isinstance(node, A.Var):
            raise PPLError("the left side of an assignment must be a variable, optionally indexed",
                           target.span)
        return A.Assign(self.sp(meta), node.name, node.span, indices, op, value)

    def assign_op(self, meta, children):
        return str(children[0])

    def tilde(self, meta, children):
        lhs, (dist, dspan), *rest = children
        trunc = None
        if rest and isinstance(rest[-1], tuple) and rest[-1] and rest[-1][0] == "T":
            trunc = rest.pop()
        args = [a for a in rest if a is not None]
        return A.Tilde(self.sp(meta), lhs, dist, dspan, args, trunc)

    def truncation(self, meta, children):
        return ("T", children[1], children[2], self.tsp(children[0]))

    def target_increment(self, meta, children):
        return A.TargetIncrement(self.sp(meta), children[1])

    def for_stmt(self, meta, children):
        _, (var, vspan), _, lo, hi, body = children
        return A.For(self.sp(meta), var, vspan, lo, hi, body)

    def foreach_stmt(self, meta, children):
        _, (var, vspan), _, coll, body = children
        return A.ForEach(self.sp(meta), var, vspan, coll, body)

    def while_stmt(self, meta, children):
        return A.While(self.sp(meta), children[1], children[2])

    def if_stmt(self, meta, children):
        other = children[4] if len(children) > 4 else None
        return A.If(self.sp(meta), children[1], children[2], other)

    def block_stmt(self, meta, children):
        body = []
        for c in children:
            body.extend(c if isinstance(c, list) else [c])
        return A.Block(self.sp(meta), body)

    def _printables(self, items):
        return [str(i)[1:-1] if isinstance(i, Token) else i for i in items]

    def print_stmt(self, meta, children):
        return A.Print(self.sp(meta), self._printables(children[1:]))

    def reject_stmt(self, meta, children):
        return A.Reject(self.sp(meta), self._printables(children[1:]),
                        fatal=str(children[0]) == "fatal_error")

    def break_stmt(self, meta, c):
        return A.Break(self.sp(meta))

    def continue_stmt(self, meta, c):
        return A.Continue(self.sp(meta))

    def return_stmt(self, meta, c):
        return A.Return(self.sp(meta), c[1])

    def call_stmt(self, meta, children):
        expr = children[0]
        if isinstance(expr, A.BinOp) and expr.op == "<" and isinstance(expr.right, A.UnOp) \
                and expr.right.op == "-" and self._char_before(expr.right.span) == "<":
            # `x <- 1;` lexes as the comparison `x < -1`
            line, col = expr.right.span.line, expr.right.span.col - 1
            raise PPLError("'<-' assignment was removed from Stan; use '='",
                           Span(line, col, line, col + 2, self.path))
        if not isinstance(expr, A.Call):
            raise PPLError("an expression on its own is not a statement "
                           "(only function calls like 'print(x);' may stand alone)", expr.span)
        return A.CallStmt(self.sp(meta), expr)

    def empty_stmt(self, meta, c):
        return A.Empty(self.sp(meta))

    # -- expressions
    def int_lit(self, meta, c):
        value = int(str(c[0]).replace("_", ""))
        if value > 2 ** 31 - 1:
            raise PPLError(f"the integer literal {c[0]} is too large for an int (at most 2147483647, "
                           "as in Stan); write it as a real, e.g. " + str(c[0]).replace("_", "") + ".0",
                           self.sp(meta))
        return A.IntLit(self.sp(meta), value)

    def real_lit(self, meta, c):
        value = float(str(c[0]).replace("_", ""))
        if value == float("inf"):
            raise PPLError(f"the real literal {c[0]} is too large (it overflows to infinity; "
                           "use positive_infinity() if that is meant)", self.sp(meta))
        return A.RealLit(self.sp(meta), value)

    def imag_lit(self, meta, c):
        raise PPLError("complex numbers are not supported", self.sp(meta))

    def var(self, meta, c):
        name, span = c[0]
        if name == "else":
            raise PPLError("'else' without a matching 'if' (is there a ';' or '}' too many before it?)", span)
        return A.Var(span, name)

    def call(self, meta, children):
        (name, nspan), *args = children
        return A.Call(self.sp(meta), name, [a for a in args if a is not None], False, nspan)

    def cond_call(self, meta, children):
        (name, nspan), first, *args = children
        return A.Call(self.sp(meta), name, [first, *[a for a in args if a is not None]], True, nspan)

    def target_value(self, meta, c):
        return A.TargetValue(self.sp(meta))

    def array_lit(self, meta, c):
        return A.ArrayLit(self.sp(meta), list(c))

    def row_vector_lit(self, meta, c):
        return A.RowVectorLit(self.sp(meta), [x for x in c if x is not None])

    def conditional(self, meta, c):
        return A.Conditional(self.sp(meta), c[0], c[1], c[2])

    def neg(self, meta, c):
        return A.UnOp(self.sp(meta), "-", c[0])

    def pos(self, meta, c):
        return A.UnOp(self.sp(meta), "+", c[0])

    def not_(self, meta, c):
        return A.UnOp(self.sp(meta), "!", c[0])

    def transpose(self, meta, c):
        return A.UnOp(self.sp(meta), "'", c[0])

    def index(self, meta, c):
        span = self.sp(meta)
        # an omitted index (None from the grammar's optional item) is the all-slice ":"
        items = [A.IndexItem(span, "all") if item is None else item for item in c[1]]
        return A.Index(span, c[0], items)

    def indexes(self, meta, c):
        return list(c)

    def single_index(self, meta, c):
        return A.IndexItem(self.sp(meta), "single", c[0])

    def slice_index(self, meta, c):
        return A.IndexItem(self.sp(meta), "slice", c[0], c[1])

    def lower_slice_index(self, meta, c):
        return A.IndexItem(self.sp(meta), "lower", c[0])

    def upper_slice_index(self, meta, c):
        return A.IndexItem(self.sp(meta), "upper", None, c[0])

    def all_index(self, meta, c):
        return A.IndexItem(self.sp(meta), "all")


def _binop(op):
    def build(self, meta, c):
        return A.BinOp(self.sp(meta), op, c[0], c[1])
    return build


for _rule, _op in _BINOPS.items():
    setattr(_Builder, _rule, v_args(meta=True)(_binop(_op)))
