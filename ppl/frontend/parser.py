"""Lark grammar -> AST with spans; syntax errors rewritten into located messages."""
from __future__ import annotations

import functools
import re
from importlib import resources

import lark
from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken, VisitError

from . import ast as A
from .errors import PPLError, Span, describe_char, did_you_mean, split_lines

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

BLOCK_KEYWORDS = ["functions", "data", "transformed data", "parameters",
                  "transformed parameters", "model", "generated quantities"]


@functools.lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    text = resources.files("ppl.grammar").joinpath("ppl.lark").read_text(encoding="utf-8")
    return lark.Lark(text, parser="lalr", lexer="contextual", propagate_positions=True,
                     maybe_placeholders=True, cache=False)


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


# ------------------------------------------------------------------ errors
_TERMINAL_TEXT = {
    "SEMICOLON": "';'", "RBRACE": "'}'", "LBRACE": "'{'", "RPAR": "')'", "LPAR": "'('",
    "RSQB": "']'", "LSQB": "'['", "COMMA": "','", "NAME": "a name", "EQUAL": "'='",
    "COLON": "':'", "MORETHAN": "'>'", "LESSTHAN": "'<'", "TILDE": "'~'", "VBAR": "'|'",
    "INT_LIT": "an integer", "REAL_LIT": "a real number", "STRING": "a string",
    "$END": "end of file", "QMARK": "'?'", "TRUNC": "'T['",
}


_OPERATORS = {"+", "-", "*", "/", "%", "\\", "^", ".^", ".*", "./", "%/%", "<", "<=", ">", ">=",
              "==", "!=", "&&", "||", "?", "'", "["}
_ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", ".*=", "./="}
_STATEMENT_STARTS = {"FOR", "WHILE", "IF", "PRINT", "REJECT", "BREAK", "CONTINUE", "RETURN"}
_EXPRESSION_STARTS = {"NAME", "INT_LIT", "REAL_LIT", "LPAR", "BANG"}


_TYPE_STARTS = {"INT", "REAL", "VECTOR", "ROW_VECTOR", "MATRIX", "ARRAY", "ORDERED",
                "POSITIVE_ORDERED", "SIMPLEX", "CHANGEPOINTS"}


def _expected(names) -> str:
    names = set(names) - {"UNSUPPORTED_TYPE"}        # an internal name: those types get their own error
    if names & _STATEMENT_STARTS:
        return "a statement"
    if _TYPE_STARTS <= names:
        rest = names - _TYPE_STARTS
        return "a declaration" + (" or " + _expected(rest) if rest else "")
    if _TYPE_STARTS - {"ARRAY"} <= names:
        rest = names - _TYPE_STARTS
        return "a type (such as 'real' or 'vector[N]')" + (" or " + _expected(rest) if rest else "")
    assign = {n for n in names if n == "EQUAL" or n.startswith("__ANON") and _terminal_pattern(n) in _ASSIGN_OPS}
    if len(assign) >= len(_ASSIGN_OPS):
        rest = _expected(names - assign) if names - assign else ""
        return "an assignment ('=', '+=', ...)" + (", " + rest if rest else "")
    shown = []
    for n in sorted(names):
        if n in _TERMINAL_TEXT:
            shown.append(_TERMINAL_TEXT[n])
        elif not n.startswith("$"):
            shown.append(f"'{_terminal_pattern(n)}'")
    shown = sorted(set(shown))
    if not shown:
        return "something else"
    if len(shown) > 6:
        if _EXPRESSION_STARTS <= names:
            return "an expression"
        ops = _OPERATORS if "'<'" in shown else _OPERATORS - {">"}   # '>' may close a constraint
        rest = [x for x in shown if x[1:-1] not in ops]
        if len(rest) < len(shown):
            return ", ".join(rest) + (" or " if rest else "") + "an operator"
    return ", ".join(shown[:-1]) + (" or " if len(shown) > 1 else "") + shown[-1]


def _terminal_pattern(name: str) -> str:
    """The literal text of an anonymous terminal such as '==' (Lark names it __ANON_n)."""
    try:
        pattern = _lark().get_terminal(name).pattern
    except (KeyError, AttributeError):
        return name.lower()
    return pattern.value if pattern.type == "str" else name.lower()


def _scan_braces(text: str):
    """Yield (char, offset) of each bracket outside comments and strings; ('/*', offset) for an
    unterminated block comment."""
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                yield "/*", i
                return
            i = j + 2
        elif text[i] == '"':
            j = text.find('"', i + 1)
            i = n if j < 0 else j + 1
        else:
            if text[i] in "{}()[]":
                yield text[i], i
            i += 1


def _line_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _unterminated_comment(text: str, path: str):
    for ch, pos in _scan_braces(text):
        if ch == "/*":
            line, col = _line_col(text, pos)
            return PPLError("unterminated comment: '/*' has no matching '*/'",
                            Span(line, col, line, col + 2, path))
    return None


def _unclosed_brace(text: str) -> str:
    """' at line:col' of the last '{' left open at the end of the text, or ''."""
    stack = []
    for ch, pos in _scan_braces(text):
        if ch == "{":
            stack.append(pos)
        elif ch == "}" and stack:
            stack.pop()
    if not stack:
        return ""
    line, col = _line_col(text, stack[-1])
    return f" at {line}:{col}"


def _eof_span(text: str, path: str) -> Span:
    lines = split_lines(text) or [""]
    return Span(len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 1, path)


def _tok_span(tok: Token, path: str) -> Span:
    end_col = tok.end_column if tok.end_line == tok.line else tok.column + 1
    return Span(tok.line, tok.column, tok.line, end_col or tok.column + 1, path)


def _char_error(e: UnexpectedCharacters, text: str, path: str) -> PPLError:
    ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
    span = Span(e.line, e.column, e.line, e.column + 1, path)
    if text.startswith("/*", e.pos_in_stream):
        return PPLError("unterminated comment: '/*' has no matching '*/'", span)
    if ch == '"':
        return PPLError("unterminated string literal", span)
    if ch == "#":
        return PPLError("'#' comments were removed from Stan; use '//'", span)
    if ch == "<" and text.startswith("<-", e.pos_in_stream):
        return PPLError("'<-' assignment was removed from Stan; use '='", span)
    if ch == "_" and e.pos_in_stream + 1 < len(text) and (text[e.pos_in_stream + 1].isalnum()):
        return PPLError("names must start with a letter, not '_'", span)
    if ch in "\u00a0\u2000\u2001\u2002\u2003\u2007\u2009\u200a\u200b\u202f\u3000\ufeff":
        return PPLError(f"unexpected character {describe_char(ch)}: an invisible space that is not "
                        "an ordinary space (copied from a web page or word processor?)", span)
    if ch in "\u2018\u2019\u201c\u201d":
        return PPLError(f"unexpected character {describe_char(ch)}: a typographic quote; "
                        "use the plain ASCII ' or \"", span)
    if ch in "\u2212\u2013\u2014":
        return PPLError(f"unexpected character {describe_char(ch)}: use the ASCII minus '-'", span)
    return PPLError(f"unexpected character {describe_char(ch)}", span)


def _token_error(e: UnexpectedToken, text: str, path: str) -> PPLError:
    tok = e.token
    expected = set(e.expected)
    try:
        # LALR states are merged, so e.expected over-approximates; ask the parser what it accepts.
        expected = set(e.interactive_parser.accepts()) or expected
    except Exception:   # noqa: BLE001 - best effort, e.expected is still valid
        pass
    if tok.type == "$END":
        span = _eof_span(text, path)
        if "RBRACE" in expected:
            return PPLError(f"unexpected end of file: the '{{'{_unclosed_brace(text)} is never closed "
                            "(missing '}')", span)
        return PPLError(f"unexpected end of file; expected {_expected(expected)}", span)
    span = _tok_span(tok, path)
    value = str(tok)
    special = _special_token_error(tok, expected, text, path)
    if special is not None:
        return special
    block_kw = {"FUNCTIONS", "DATA", "TRANSFORMED", "PARAMETERS", "MODEL", "GENERATED"}
    if expected and expected <= block_kw | {"$END"} | {"DATA", "PARAMETERS", "QUANTITIES"}:
        if tok.type == "RBRACE":
            return PPLError("unmatched '}': there is no open '{' to close", span)
        if tok.type == "NAME" or tok.type not in block_kw:
            if "QUANTITIES" in expected or "PARAMETERS" in expected and "DATA" in expected and len(expected) == 2:
                return PPLError(f"expected 'data' or 'parameters' after 'transformed', found '{value}'"
                                if "QUANTITIES" not in expected else
                                f"expected 'quantities' after 'generated', found '{value}'", span)
            if not value.isidentifier():
                return PPLError(f"unexpected {_describe(tok)}; expected a block: "
                                + ", ".join(BLOCK_KEYWORDS), span)
            return PPLError(f"'{value}' is not a block name; expected one of: "
                            + ", ".join(BLOCK_KEYWORDS) + did_you_mean(value, BLOCK_KEYWORDS + ["transformed", "generated"]), span)
        return PPLError(f"block '{value}' is out of order or repeated; blocks must appear in the order: "
                        + ", ".join(BLOCK_KEYWORDS), span)
    if "NAME" in expected and tok.type != "NAME" and value.isidentifier():
        return PPLError(f"'{value}' is a reserved word and cannot be used as a name", span)
    if tok.type == "LSQB" and "SEMICOLON" in expected and "EQUAL" in expected:
        return PPLError("old array syntax: declare arrays as 'array[N] real x;' not 'real x[N];'", span)
    if "SEMICOLON" in expected and not expected & _STATEMENT_STARTS \
            and (tok.line > _prev_line(text, tok) or tok.type == "RBRACE"):
        # The statement ended on an earlier line or before a '}': point where the ';' belongs.
        line, col = _prev_end(text, tok)
        return PPLError(f"missing ';' before '{value}'", Span(line, col, line, col + 1, path))
    if tok.type == "RBRACE" and "RBRACE" not in expected:
        return PPLError(f"unexpected '}}'; expected {_expected(expected)}", span)
    if tok.type == "EQUAL" and "EQUAL" not in expected and \
            any(_terminal_pattern(n) == "==" for n in expected if n.startswith("__ANON")):
        return PPLError("unexpected '=' inside an expression; use '==' to compare "
                        "(assignments are statements)", span)
    return PPLError(f"unexpected {_describe(tok)}; expected {_expected(expected)}", span)


_UNSUPPORTED_TYPE_NAMES = {
    "tuple": "tuple types are not supported",
    "complex": "complex numbers are not supported",
}


def _special_token_error(tok: Token, expected: set, text: str, path: str):
    """Errors that say what the user most likely meant, or None."""
    span = _tok_span(tok, path)
    value = str(tok)
    if text.startswith("*/", tok.start_pos):
        return PPLError("'*/' without an opening '/*'", Span(tok.line, tok.column, tok.line, tok.column + 2, path))
    if tok.type == "ELSE":
        return PPLError("'else' without a matching 'if' (is there a ';' or '}' too many before it?)", span)
    if tok.type == "LESSTHAN" and text[:tok.start_pos].rstrip().endswith("changepoints"):
        return PPLError("changepoints[M, T] takes no constraint: its values are always "
                        "1 < tau[1] < ... < tau[M] <= T", span)
    # 'else' where a statement starts lexes as a name; the error surfaces at the next token
    start = _prev_position(text, tok)
    if text[max(0, start - 4):start] == "else" and (start < 5 or not _is_name_char(text[start - 5])) \
            and "SEMICOLON" in expected:
        line, col = _line_col(text, start - 4)
        return PPLError("'else' without a matching 'if' (is there a ';' or '}' too many before it?)",
                        Span(line, col, line, col + 4, path))
    if _TYPE_STARTS <= expected and not expected & _STATEMENT_STARTS:
        # inside data { } or parameters { }: declarations only
        block = _enclosing_block(text, tok.start_pos)
        where = f"the {block} block" if block else "this block"
        if tok.type == "NAME" and value in _UNSUPPORTED_TYPE_NAMES:
            return PPLError(_UNSUPPORTED_TYPE_NAMES[value], span)
        if tok.type in _STATEMENT_STARTS or tok.type == "TARGET" or tok.type == "NAME" and \
                re.match(r"[A-Za-z0-9_\[\], ]*(~|[-+*/]?=[^=])", text[tok.end_pos:tok.end_pos + 200].lstrip()):
            return PPLError(f"statements are not allowed in {where}: it holds declarations only "
                            "(write statements in 'transformed data', 'transformed parameters' or 'model')",
                            span)
        if tok.type == "NAME":
            return PPLError(f"unexpected name '{value}' in {where}: expected a declaration such as "
                            "'real x;' or 'vector[N] y;'" + did_you_mean(value, sorted(_type_words())), span)
    if tok.type == "NAME" and value in _UNSUPPORTED_TYPE_NAMES and "NAME" not in expected:
        return PPLError(_UNSUPPORTED_TYPE_NAMES[value], span)
    return None


def _type_words():
    return {"int", "real", "vector", "row_vector", "matrix", "array", "ordered", "positive_ordered",
            "simplex", "changepoints"}


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _enclosing_block(text: str, pos: int) -> str:
    """The name of the top-level block that contains offset ``pos`` ('' if none)."""
    depth, opened = 0, -1
    for ch, at in _scan_braces(text[:pos]):
        if ch == "{":
            if depth == 0:
                opened = at
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
    if depth == 0 or opened < 0:
        return ""
    head = " ".join(text[max(0, opened - 40):opened].split()[-2:])
    for name in sorted(BLOCK_KEYWORDS, key=len, reverse=True):
        if head.endswith(name):
            return name
    return ""


def _describe(tok: Token) -> str:
    if tok.type == "NAME":
        return f"name '{tok}'"
    if tok.type in ("INT_LIT", "REAL_LIT"):
        return f"number '{tok}'"
    return f"'{tok}'"


def _prev_position(text: str, tok: Token) -> int:
    """Offset just past the last non-space, non-comment character before ``tok``."""
    i = tok.start_pos - 1
    while i >= 0:
        if text[i].isspace():
            i -= 1
            continue
        # skip a // comment ending on this line
        line_start = text.rfind("\n", 0, i + 1) + 1
        cpos = text.find("//", line_start, i + 1)
        if cpos != -1:
            i = cpos - 1
            continue
        # skip a /* */ comment
        if text[i] == "/" and i >= 1 and text[i - 1] == "*":
            cpos = text.rfind("/*", 0, i - 1)
            if cpos != -1:
                i = cpos - 1
                continue
        break
    return i + 1


def _prev_line(text: str, tok: Token) -> int:
    return text.count("\n", 0, _prev_position(text, tok)) + 1


def _prev_end(text: str, tok: Token) -> tuple[int, int]:
    pos = _prev_position(text, tok)
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


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
        return A.Index(self.sp(meta), c[0], c[1])

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
