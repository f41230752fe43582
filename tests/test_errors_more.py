"""More of the error corpus: malformed programs (syntax, lexical, semantic, unsupported
Stan features, changepoints misuse) and malformed files (bytes that are not UTF-8, a
5 MB model, a model larger than the limit, nesting deeper than Python's stack).

Same contract as tests/test_errors.py: each input raises a ``PPLError`` whose first
error has the exact line and column and a message matching a regex, and formats as
``path:line:col: error: message`` + source line + caret.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

import ppl
from ppl.compiler import MAX_SOURCE_BYTES
from ppl.frontend.errors import PPLError, PPLErrors, Source, format_error

PATH = "m.ppl"
CP_HEAD = ("data { int T; array[T] int D; }\n"
           "parameters { vector<lower=0>[2] rate; changepoints[1, T] tau; }\n")


def _first(exc: PPLError) -> PPLError:
    return exc.errors[0] if isinstance(exc, PPLErrors) else exc


# (id, source, line, col, message regex)
MORE_PROGRAMS = [
    ('missing_semi_after_tilde_before_for',
     'parameters { real mu; }\nmodel {\n  mu ~ normal(0, 1)\n  for (i in 1:3) target += i;\n}\n',
     3, 20, "missing ';' before 'for'"),
    ('missing_semi_after_print',
     'model {\n  print("a")\n}\n',
     2, 13, "missing ';' before '\\}'"),
    ('missing_semi_after_break',
     'model { while (1) { break } }\n',
     1, 26, "missing ';' before '\\}'"),
    ('missing_semi_crlf',
     'parameters { real mu; }\r\nmodel {\r\n  mu ~ normal(0, 1)\r\n  mu ~ normal(0, 1);\r\n}\r\n',
     3, 20, "missing ';' before 'mu'"),
    ('missing_semi_cr_only',
     'parameters { real mu; }\rmodel {\r  mu ~ normal(0, 1)\r  mu ~ normal(0, 1);\r}\r',
     3, 20, "missing ';' before 'mu'"),
    ('while_without_body',
     'model { while (1) }\n',
     1, 19, "unexpected '\\}'; expected a statement"),
    ('for_without_parens',
     'model { for i in 1:3 target += i; }\n',
     1, 13, "unexpected name 'i'; expected '\\('"),
    ('if_without_parens',
     'model { if 1 target += 1; }\n',
     1, 12, "unexpected number '1'; expected '\\('"),
    ('compound_assign_in_declaration',
     'model { real x += 1; }\n',
     1, 16, "unexpected '\\+='; expected ';' or '='"),
    ('target_assigned',
     'model { target = 1; }\n',
     1, 16, "unexpected '='; expected '\\(' or '\\+='"),
    # (y[] is Stan's omitted index, valid: see test_language_expressions.py)
    ('index_without_comma',
     'data { array[3] real y; }\nmodel { target += y[1 2]; }\n',
     2, 23, "unexpected number '2'; expected ',', ':', '\\]' or an operator"),
    ('unclosed_index',
     'data { array[3] real y; }\nmodel { target += y[1; }\n',
     2, 22, "unexpected ';'; expected ',', ':' or '\\]'"),
    ('nested_unclosed_brace',
     'model {\n  for (i in 1:3) {\n    target += i;\n}\n',
     4, 2, "unexpected end of file: the '\\{' at 1:7 is never closed \\(missing '\\}'\\)"),
    ('only_closing_brace',
     '}\n',
     1, 1, "unmatched '\\}': there is no open '\\{' to close"),
    ('block_without_name',
     '{ real x; }\n',
     1, 1, "unexpected '\\{'; expected a block: functions, data, transformed data, p"),
    ('statement_outside_blocks',
     'mu ~ normal(0, 1);\n',
     1, 1, "'mu' is not a block name; expected one of: functions, data, transforme"),
    ('matrix_one_size',
     'data { matrix[3] X; }\n',
     1, 16, "unexpected '\\]'; expected ','"),
    ('vector_two_sizes',
     'data { vector[3, 2] v; }\n',
     1, 16, "unexpected ','; expected '\\]'"),
    ('array_without_size',
     'data { array[] real x; }\n',
     1, 14, "unexpected '\\]'; expected an expression"),
    ('declaration_without_name',
     'data { int; }\n',
     1, 11, "unexpected ';'; expected '<' or a name"),
    ('declaration_without_type',
     'data { N; }\n',
     1, 8, "unexpected name 'N' in the data block: expected a declaration such as "),
    ('double_semicolon_in_data',
     'data { int N;; }\n',
     1, 14, "unexpected ';'; expected a declaration or '\\}'"),
    ('statement_in_data_block',
     'data { int N; N = 3; }\n',
     1, 15, 'statements are not allowed in the data block: it holds declarations on'),
    ('tilde_in_parameters_block',
     'parameters { real mu; mu ~ normal(0, 1); }\n',
     1, 23, 'statements are not allowed in the parameters block: it holds declarati'),
    ('reject_in_data_block',
     'data { reject("no"); }\n',
     1, 8, 'statements are not allowed in the data block: it holds declarations on'),
    ('print_without_arguments',
     'model { print(); }\n',
     1, 15, "unexpected '\\)'; expected an expression"),
    ('string_as_value',
     'model { real x = "abc"; }\n',
     1, 18, 'unexpected \'"abc"\'; expected an expression'),
    ('real_literal_two_points',
     'model { real x = 1.2.3; }\n',
     1, 21, "unexpected number '\\.3'; expected ';' or an operator"),
    ('number_glued_to_name',
     'data { int 3N; }\n',
     1, 12, "unexpected number '3'; expected '<' or a name"),
    ('else_without_if',
     'model {\n  else target += 1;\n}\n',
     2, 3, "'else' without a matching 'if' \\(is there a ';' or '\\}' too many before "),
    ('else_after_semicolon',
     'model { if (1) target += 1;; else target += 2; }\n',
     1, 30, "'else' without a matching 'if' \\(is there a ';' or '\\}' too many before "),
    ('stray_comment_close',
     'model { */ }\n',
     1, 9, "'\\*/' without an opening '/\\*'"),
    ('comments_do_not_nest',
     '/* a /* b */ c */\nmodel { }\n',
     1, 14, "'c' is not a block name; expected one of: functions, data, transformed"),
    ('unterminated_comment_at_eof',
     'model { }\n/* trailing\n',
     2, 1, "unterminated comment: '/\\*' has no matching '\\*/'"),
    ('leading_underscore_name',
     'data { real _x; }\n',
     1, 13, "names must start with a letter, not '_'"),
    ('greek_letter_name',
     'data { real μ; }\n',
     1, 13, "unexpected character 'μ'"),
    ('no_break_space',
     'model {\n  real x =\xa01;\n}\n',
     2, 11, 'unexpected character U\\+00A0 \\(NO\\-BREAK SPACE\\): an invisible space that '),
    ('zero_width_space',
     'model { real\u200b x; }\n',
     1, 13, 'unexpected character U\\+200B \\(ZERO WIDTH SPACE\\): an invisible space tha'),
    ('typographic_quote',
     'model { print(“hello”); }\n',
     1, 15, "unexpected character '“': a typographic quote; use the plain ASCII ' o"),
    ('unicode_minus',
     'model { real x = −1; }\n',
     1, 18, "unexpected character '−': use the ASCII minus '\\-'"),
    ('nul_byte',
     'parameters { real mu; }\x00\n',
     1, 24, 'unexpected character U\\+0000 \\(NUL\\)'),
    ('backtick',
     'model { real x = `1; }\n',
     1, 18, "unexpected character '`'"),
    ('form_feed_then_error',
     'model {\n\x0c  real x = @;\n}\n',
     2, 13, "unexpected character '@'"),
    ('very_long_line',
     "model { real x = 1; " + "x = x + 1; " * 2000 + "x = @; }\n",
     1, 22025, "unexpected character '@'"),
    ('keyword_for_as_parameter_name',
     'parameters { real in; }\n',
     1, 19, "'in' is a reserved word and cannot be used as a name"),
    ('keyword_model_as_name',
     'parameters { real model; }\n',
     1, 19, "'model' is a reserved word and cannot be used as a name"),
    ('keyword_as_loop_variable',
     'model { for (if in 1:3) target += 1; }\n',
     1, 14, "'if' is a reserved word and cannot be used as a name"),
    ('profile_is_reserved',
     'data { real profile; }\n',
     1, 13, "'profile' is a reserved word and cannot be used as a name"),
    ('integer_literal_too_large',
     'model { int k = 3000000000; }\n',
     1, 17, 'the integer literal 3000000000 is too large for an int \\(at most 214748'),
    ('real_literal_overflows',
     'model { real x = 1e400; }\n',
     1, 18, 'the real literal 1e400 is too large \\(it overflows to infinity; use pos'),
    ('vector_plus_matrix',
     'data { vector[3] v; matrix[3, 3] M; }\nmodel { target += sum(v + M); }\n',
     2, 23, "operator '\\+' cannot be applied to vector and matrix"),
    ('vector_times_matrix',
     'data { vector[3] v; matrix[3, 3] M; }\nmodel { target += sum(v * M); }\n',
     2, 23, "operator '\\*' cannot be applied to vector and matrix"),
    ('modulo_of_real',
     'data { real x; }\nmodel { real y = x % 2; }\n',
     2, 18, "operator '%' cannot be applied to real and int"),
    ('negate_vector_logically',
     'data { vector[3] v; }\nmodel { target += !v; }\n',
     2, 19, "operator '!' cannot be applied to vector"),
    ('index_a_real',
     'data { real x; }\nmodel { target += x[1]; }\n',
     2, 19, 'too many indexes \\(1\\) for a value of type real'),
    ('index_with_real_array',
     'data { vector[3] v; array[2] real idx; }\nmodel { target += sum(v[idx]); }\n',
     2, 25, 'an index must be an int or array\\[\\] int, found array\\[\\] real'),
    ('conditional_branch_types',
     'data { vector[3] v; }\nmodel { real x = 1 ? v : 2.0; }\n',
     2, 18, "the branches of '\\?:' have different types: vector and real"),
    ('assign_to_function_call',
     'model { real x; exp(x) = 2; }\n',
     1, 17, 'the left side of an assignment must be a variable, optionally indexed'),
    ('assign_to_literal',
     'model { 1 = 2; }\n',
     1, 9, 'the left side of an assignment must be a variable, optionally indexed'),
    ('loop_variable_shadows',
     'data { int i; }\nmodel { for (i in 1:3) target += i; }\n',
     2, 14, "loop variable 'i' shadows 'i' declared at 1:12"),
    ('init_data_variable',
     'data { real z = 1; }\n',
     1, 17, 'variables in the data block cannot be given a value'),
    ('init_parameter',
     'parameters { real z = 1; }\n',
     1, 23, 'variables in the parameters block cannot be given a value'),
    ('int_from_parameter',
     'parameters { real mu; }\ngenerated quantities { int k = mu; }\n',
     2, 32, "cannot initialise 'k' of type int with a value of type real"),
    ('lower_given_twice',
     'parameters { real<lower=0, lower=1> x; }\n',
     1, 28, "'lower' given twice in one constraint"),
    ('offset_on_int',
     'data { int<offset=1> k; }\n',
     1, 12, "unexpected 'offset'; expected 'lower' or 'upper'"),
    ('size_from_parameter',
     'parameters { real n; vector[n] x; }\n',
     1, 29, 'a size must be an int, found real'),
    ('return_outside_function',
     'model { return 1; }\n',
     1, 9, "'return' is only allowed inside a function"),
    ('poisson_lpdf_for_discrete',
     'data { int k; }\nmodel { target += poisson_lpdf(k | 3); }\n',
     2, 19, "unknown function 'poisson_lpdf'; did you mean 'poisson_lpmf'\\?"),
    ('lupdf_in_generated_quantities',
     'parameters { real mu; }\ngenerated quantities { real z = normal_lupdf(mu | 0, 1); }\n',
     2, 33, "'normal_lupdf' drops constants and can only be used in the model block"),
    ('rng_in_transformed_parameters',
     'parameters { real mu; }\ntransformed parameters { real z = normal_rng(0, 1); }\n',
     2, 35, "random number generators like 'normal_rng' are only allowed in transfo"),
    ('distribution_called_as_function',
     'parameters { real mu; }\nmodel { target += normal(mu, 0, 1); }\n',
     2, 19, "'normal' is a distribution: use '\\~ normal\\(\\.\\.\\.\\)' or 'normal_lpdf\\(y \\| \\.\\."),
    ('variable_called_as_function',
     'parameters { real mu; }\nmodel { target += mu(1); }\n',
     2, 19, "'mu' is a variable, not a function"),
    ('function_used_as_variable',
     'parameters { real mu; }\nmodel { target += log; }\n',
     2, 19, "'log' is not declared \\('log' is a function: call it as log\\(\\.\\.\\.\\)\\)"),
    ('distribution_name_used_undeclared',
     'parameters { real mu; }\nmodel { target += beta; }\n',
     2, 19, "^'beta' is not declared$"),
    ('removed_increment_log_prob',
     'parameters { real mu; }\nmodel { increment_log_prob(-mu^2); }\n',
     2, 9, "'increment_log_prob\\(\\.\\.\\.\\)' was removed from Stan; use 'target \\+= \\.\\.\\.'"),
    ('removed_get_lp',
     'parameters { real mu; }\nmodel { target += get_lp(); }\n',
     2, 19, "'get_lp\\(\\)' was removed from Stan; use 'target\\(\\)'"),
    ('removed_if_else',
     'parameters { real mu; }\nmodel { target += if_else(1, mu, 2); }\n',
     2, 19, "'if_else\\(c, a, b\\)' was removed from Stan; use the conditional operator"),
    ('removed_normal_log',
     'parameters { real mu; }\nmodel { target += normal_log(mu, 0, 1); }\n',
     2, 19, "'normal_log' was removed from Stan; use 'normal_lpdf\\(y \\| \\.\\.\\.\\)'"),
    ('unsupported_multi_normal',
     'parameters { vector[2] x; }\nmodel { x ~ multi_normal(rep_vector(0, 2), diag_matrix(rep_vector(1, 2))); }\n',
     2, 13, "the distribution 'multi_normal' is part of Stan but not supported by p"),
    ('unsupported_dirichlet_lpdf',
     'parameters { simplex[3] p; }\nmodel { target += dirichlet_lpdf(p | rep_vector(1, 3)); }\n',
     2, 19, "the distribution 'dirichlet' is part of Stan but not supported by pplc"),
    ('unsupported_cholesky_decompose',
     'data { matrix[2, 2] S; }\ntransformed data { matrix[2, 2] L = cholesky_decompose(S); }\n',
     2, 37, "the function 'cholesky_decompose' is part of Stan but not supported by"),
    ('unsupported_tuple',
     'data { tuple(real, int) x; }\n',
     1, 8, 'tuple types are not supported'),
    ('unsupported_complex',
     'data { complex z; }\n',
     1, 8, 'complex numbers are not supported'),
    ('unsupported_complex_vector',
     'data { complex_vector[3] z; }\n',
     1, 8, "the type 'complex_vector' is not supported: complex numbers are not su"),
    ('unsupported_unit_vector',
     'parameters { unit_vector[3] u; }\n',
     1, 14, "the constrained type 'unit_vector' is not supported yet \\(supported: lo"),
    ('unsupported_jacobian',
     'parameters { real mu; }\ntransformed parameters { jacobian += mu; }\n',
     2, 26, "'jacobian \\+=' is not supported yet; add the log Jacobian to 'target' i"),
    ('unsupported_lccdf',
     'parameters { real mu; }\nmodel { target += binomial_lccdf(2 | 5, mu); }\n',
     2, 19, "'binomial_lccdf' is not supported yet \\(pplc has the CDFs of normal, std"),
    ('changepoints_in_transformed_parameters_decl',
     'data { int T; }\ntransformed parameters { changepoints[1, T] tau; }\n',
     2, 26, "'changepoints' can only be declared in the parameters block"),
    ('changepoints_with_constraint',
     'data { int T; }\nparameters { changepoints<lower=0>[1, T] tau; }\n',
     2, 26, 'changepoints\\[M, T\\] takes no constraint: its values are always 1 < tau\\['),
    ('changepoints_one_size',
     'data { int T; }\nparameters { changepoints[T] tau; }\n',
     2, 28, "unexpected '\\]'; expected ','"),
    ('changepoints_real_size',
     'data { int T; real m; }\nparameters { changepoints[m, T] tau; }\n',
     2, 27, 'a size must be an int, found real'),
    ('changepoints_assigned',
     CP_HEAD + 'model { tau = 3; }\n',
     3, 9, "cannot assign to 'tau' here: it is declared in the parameters block, a"),
    ('changepoints_sampled',
     CP_HEAD + 'model { tau ~ normal(0, 1); }\n',
     3, 9, "the changepoints parameter 'tau' may only be used as segment\\(tau, t\\) o"),
    ('changepoints_in_while_loop',
     CP_HEAD + 'model { int t = 1; while (t <= T) { D[t] ~ poisson(rate[segment(tau, t)]); t += 1; } }\n',
     3, 57, "'tau' must be used inside 'for \\(t in 1:T\\)', where t is the time index "),
    ('changepoints_other_loop_index',
     CP_HEAD + 'model { for (t in 1:T) for (s in 1:T) D[t] ~ poisson(rate[segment(tau, s)]); }\n',
     3, 72, "segment\\(tau, \\.\\.\\.\\) must be given the loop index 't' itself"),
    ('segment_of_a_vector',
     CP_HEAD + 'model { for (t in 1:T) D[t] ~ poisson(rate[segment(rate, t)]); }\n',
     3, 44, "segment\\(tau, t\\) takes a changepoints parameter \\(declared 'changepoints"),
    ('changepoints_index_by_parameter',
     CP_HEAD + 'model { for (t in 1:T) D[t] ~ poisson(t < tau[rate[1]] ? rate[1] : rate[2]); }\n',
     3, 47, 'an index must be an int or array\\[\\] int, found real'),

]


def test_more_programs_corpus_is_distinct():
    ids = [p[0] for p in MORE_PROGRAMS]
    assert len(ids) == len(set(ids)) and len(ids) >= 90
    import test_errors
    assert not set(ids) & {p[0] for p in test_errors.PROGRAMS}
    # no input repeats one of the original corpus
    assert not {p[1] for p in MORE_PROGRAMS} & {p[1] for p in test_errors.PROGRAMS}


@pytest.mark.parametrize("name, source, line, col, pattern", MORE_PROGRAMS, ids=[p[0] for p in MORE_PROGRAMS])
def test_more_program_errors(name, source, line, col, pattern):
    with pytest.raises(PPLError) as info:
        ppl.compile(source, path=PATH)
    err = _first(info.value)
    got = f"{err.span.line}:{err.span.col}: {err.message}"
    assert err.span.path == PATH, got
    assert (err.span.line, err.span.col) == (line, col), got
    assert re.search(pattern, err.message), got
    src = Source(source, PATH)
    assert 1 <= col <= len(src.line(line)) + 1, got
    # formatted: header, the source line (or a window of it), a caret under the column
    lines = format_error(err, {PATH: src}).splitlines()
    assert lines[0] == f"{PATH}:{line}:{col}: error: {err.message}"
    if src.line(line):
        shown, caret = lines[1], lines[2]
        assert set(caret.strip()) <= {"^", "~"} and caret.lstrip().startswith("^")
        at = caret.index("^")
        text = "".join(c if c.isprintable() else " " for c in src.line(line))
        if len(text) <= 160:
            assert shown == "  " + text
            assert at - 2 == col - 1
        else:          # a window of the long line; the caret still sits on the offending character
            assert len(shown) < 200 and "..." in shown
            assert shown[at] == text[col - 1]


# ---------------------------------------------------------------------------
# whole files: bytes, sizes, encodings (through compile_file and the CLI)
# ---------------------------------------------------------------------------
VALID_MODEL = b"parameters { real mu; }\nmodel {\n  mu ~ normal(0, 1);\n}\n"

FILE_CASES = [
    # (id, bytes, line, col, message regex)
    ("latin1_comment", b"parameters { real mu; }\n// caf\xe9\nmodel { mu ~ normal(0, 1); }\n",
     2, 7, r"not valid UTF-8 \(byte 0xe9\)"),
    ("utf16_file", "parameters { real mu; }\n".encode("utf-16"), 1, 1, r"not valid UTF-8 \(byte 0xff\)"),
    # columns count characters: the valid two-byte character \xde\xad is one column
    ("binary_garbage", b"\x7fELF\x02\x01\x01\x00\x00\x00\xde\xad\xbe\xef", 1, 12, r"not valid UTF-8 \(byte 0xbe\)"),
    ("invalid_utf8_late", b"parameters { real mu; }\nmodel {\n  mu ~ normal(0, 1); // \xc3\x28\n}\n",
     3, 25, r"not valid UTF-8 \(byte 0xc3\)"),
    ("five_mb_then_syntax_error",
     b"parameters { real mu; }\n" + b"// a generated model, padded ......................................\n" * 76_000
     + b"model {\n  mu ~ normal(0, 1)\n}\n", 76_003, 20, r"missing ';' before '\}'"),
    ("five_mb_block_comment_unterminated",
     b"parameters { real mu; }\n/* " + b"0123456789" * 500_000 + b"\nmodel { }\n", 2, 1, r"unterminated comment"),
]


@pytest.mark.parametrize("name, data, line, col, pattern", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_file_errors(tmp_path, name, data, line, col, pattern):
    path = tmp_path / "model.ppl"
    path.write_bytes(data)
    t0 = time.perf_counter()
    with pytest.raises(PPLError) as info:
        ppl.compile_file(str(path))
    assert time.perf_counter() - t0 < 30
    err = _first(info.value)
    got = f"{err.span}: {err.message}"
    assert err.span.path == str(path)
    assert (err.span.line, err.span.col) == (line, col), got
    assert re.search(pattern, err.message), got


def test_five_mb_file_sizes():
    sizes = {c[0]: len(c[1]) for c in FILE_CASES}
    assert sizes["five_mb_then_syntax_error"] >= 5_000_000
    assert sizes["five_mb_block_comment_unterminated"] >= 5_000_000


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "huge.ppl"
    with open(path, "wb") as fh:           # sparse: no disk space, no time
        fh.truncate(MAX_SOURCE_BYTES + 10)
    with pytest.raises(PPLError, match=r"model file is larger than 16 MB") as info:
        ppl.compile_file(str(path))
    assert info.value.span.path == str(path)


def test_model_path_is_a_directory(tmp_path):
    with pytest.raises(PPLError, match=r"cannot read model file: Is a directory"):
        ppl.compile_file(str(tmp_path))


@pytest.mark.parametrize("name, data", [
    ("byte_order_mark", b"\xef\xbb\xbf" + VALID_MODEL),
    ("cr_line_ends", VALID_MODEL.replace(b"\n", b"\r")),
    ("crlf_line_ends", VALID_MODEL.replace(b"\n", b"\r\n")),
    ("no_final_newline", VALID_MODEL.rstrip()),
    ("profile_block", b"parameters { real mu; }\nmodel { profile(\"prior\") { mu ~ normal(0, 1); } }\n"),
    ("tabs_and_form_feeds", VALID_MODEL.replace(b"  ", b"\t\f")),
], ids=lambda x: x if isinstance(x, str) else "")
def test_valid_files(tmp_path, name, data):
    path = tmp_path / "model.ppl"
    path.write_bytes(data)
    model = ppl.compile_file(str(path))
    assert model.program.parameters[0].name == "mu"
    assert model.bind({}).log_density([0.5]) == pytest.approx(-0.5 * 0.25 - 0.5 * 1.8378770664093453)


def test_error_line_numbers_follow_cr_line_ends():
    """A lone CR ends a line for the parser as in the editor: the caret line is the line shown."""
    src = "parameters { real mu; }\rmodel {\r  mu ~ nromal(0, 1);\r}\r"
    with pytest.raises(PPLError) as info:
        ppl.compile(src, path=PATH)
    lines = format_error(info.value, {PATH: Source(src, PATH)}).splitlines()
    assert lines[0].startswith("m.ppl:3:8: error: unknown distribution 'nromal'")
    assert lines[1] == "    mu ~ nromal(0, 1);"
    assert lines[1][lines[2].index("^")] == "n"


# ---------------------------------------------------------------------------
# nesting deeper than Python's recursion limit: compiled, or a located error
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, source", [
    ("blocks_3000", "model { " + "{" * 3000 + "}" * 3000 + " }\n"),
    ("parens_3000", "model { real x = " + "(" * 3000 + "1" + ")" * 3000 + "; }\n"),
    ("sum_of_5000_terms", "model { real x = " + " + ".join(["1"] * 5000) + "; }\n"),
    ("if_chain_600", "parameters { real mu; }\nmodel { " + "if (1) " * 600 + "target += -mu^2; }\n"),
])
def test_deep_programs_compile(name, source):
    model = ppl.compile(source, path=PATH)
    assert model.program is not None
    assert sys.getrecursionlimit() < 10_000          # the large limit was only for the retry


def test_nesting_beyond_the_limit_is_a_located_error():
    source = "model {\n  real x;\n  " + "{" * 25_000 + "x = 1;" + "}" * 25_000 + "\n}\n"
    with pytest.raises(PPLError) as info:
        ppl.compile(source, path=PATH)
    err = _first(info.value)
    assert re.search(r"brackets nested 25001 levels deep", err.message), err.message
    assert (err.span.line, err.span.col) == (3, 3 + 25_000 - 1)


# ---------------------------------------------------------------------------
# the command line on whole files
# ---------------------------------------------------------------------------
def _pplc(*args, cwd):
    env = dict(os.environ)
    env.pop("PPLC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ppl.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_non_utf8_model(tmp_path):
    (tmp_path / "m.ppl").write_bytes(b"parameters { real mu; }\n// caf\xe9\nmodel { }\n")
    proc = _pplc("check", "m.ppl", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "m.ppl:2:7: error: the model file is not valid UTF-8 (byte 0xe9)"
    assert lines[1] == "  // caf\ufffd" and lines[2] == "        ^"


def test_cli_five_mb_model(tmp_path):
    (tmp_path / "m.ppl").write_bytes(dict((c[0], c[1]) for c in FILE_CASES)["five_mb_then_syntax_error"])
    proc = _pplc("check", "m.ppl", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[:3] == ["m.ppl:76003:20: error: missing ';' before '}'",
                                            "    mu ~ normal(0, 1)", " " * 21 + "^"]


def test_cli_empty_file_check_and_infer(tmp_path):
    (tmp_path / "empty.ppl").write_text("")
    proc = _pplc("check", "empty.ppl", cwd=tmp_path)
    assert proc.returncode == 0 and "parameters: none" in proc.stdout
    proc = _pplc("infer", "empty.ppl", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("empty.ppl:1:1: error: the file is empty: a valid program with no "
                                   "parameters, so there is nothing to infer")
    assert proc.stdout == "" and not (tmp_path / "output").exists()


def test_corpus_total():
    """The whole error corpus: malformed programs, files, data and numerical cases."""
    import test_errors
    import test_errors_data
    import test_errors_numerical
    counts = {"programs": len(test_errors.PROGRAMS) + len(MORE_PROGRAMS), "files": len(FILE_CASES),
              "data": len(test_errors_data.DATA_CASES), "numerical": len(test_errors_numerical.NUMERICAL)}
    print("\nerror corpus:", counts, "total", sum(counts.values()))
    assert sum(counts.values()) >= 150
    assert counts["programs"] >= 150 and counts["data"] >= 45 and counts["numerical"] >= 12
