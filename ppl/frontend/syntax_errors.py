"""Syntax errors rewritten into located messages: what was expected, in words a
Stan user knows, at the token (or the end of the previous one) where the
problem is; unterminated comments and unclosed braces found by a scan."""
from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from .errors import PPLError, Span, describe_char, did_you_mean, split_lines
from .grammar import _lark

BLOCK_KEYWORDS = ["functions", "data", "transformed data", "parameters",
                  "transformed parameters", "model", "generated quantities"]


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
