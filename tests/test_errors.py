"""The error-reporting corpus: every user mistake is located and explained.

Each malformed program (and each malformed data file) must raise a
``PPLError`` whose first error has the exact line and column of the offending
token and a message matching a regex; the CLI must print it as
``path:line:col: error: message`` + source line + caret, exit 1, and never
show a Python traceback.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import ppl
from ppl.frontend.errors import PPLError, PPLErrors, Source, format_error

PATH = "m.ppl"


def _errors(exc: PPLError) -> list[PPLError]:
    return list(exc.errors) if isinstance(exc, PPLErrors) else [exc]


def _compile_error(source: str) -> PPLError:
    with pytest.raises(PPLError) as info:
        ppl.compile(source, path=PATH)
    return info.value


# ---------------------------------------------------------------------------
# malformed programs: (id, source, line, col, message regex)
# ---------------------------------------------------------------------------
CP_HEAD = ("data { int T; array[T] int D; }\n"
           "parameters { vector<lower=0>[2] rate; changepoints[1, T] tau; }\n")

PROGRAMS = [
    # ---- syntax: missing ';' points where the ';' belongs
    ("missing_semi_before_next_stmt",
     "parameters { real mu; }\nmodel {\n  mu ~ normal(0, 1)\n  mu ~ normal(0, 1);\n}\n",
     3, 20, r"missing ';' before 'mu'"),
    ("missing_semi_before_brace_same_line",
     "parameters { real mu }\nmodel { }\n",
     1, 21, r"missing ';' before '\}'"),
    ("missing_semi_before_brace_next_line",
     "parameters { real mu; }\nmodel {\n  mu ~ normal(0, 1)\n}\n",
     3, 20, r"missing ';' before '\}'"),
    ("missing_semi_after_init",
     "model {\n  real x = 1\n  x = 2;\n}\n",
     2, 13, r"missing ';' before 'x'"),
    ("missing_semi_before_line_comment",
     "model {\n  real x = 1  // one\n  x = 2;\n}\n",
     2, 13, r"missing ';' before 'x'"),
    ("missing_semi_before_block_comment",
     "model {\n  real x = 1 /* c */ }\n",
     2, 13, r"missing ';' before '\}'"),
    ("missing_semi_in_data",
     "data { int N }\n",
     1, 13, r"missing ';'"),
    # ---- unbalanced braces, parentheses, brackets
    ("unclosed_brace_at_eof",
     "parameters { real mu; }\nmodel { mu ~ normal(0, 1);\n",
     2, 27, r"end of file.*'\{' at 2:7 is never closed"),
    ("extra_closing_brace",
     "parameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n}\n",
     3, 1, r"unmatched '\}'"),
    ("unclosed_paren",
     "model { real x = (1 + 2; }\n",
     1, 24, r"unexpected ';'; expected '\)'"),
    ("extra_closing_paren",
     "model { real x = 1 + 2); }\n",
     1, 23, r"unexpected '\)'; expected ';'"),
    ("unclosed_paren_in_call",
     "parameters { real mu; }\nmodel { mu ~ normal(0, 1; }\n",
     2, 25, r"unexpected ';'; expected '\)' or ','"),
    ("unclosed_bracket",
     "data { vector[3 y; }\n",
     1, 17, r"unexpected name 'y'; expected '\]'"),
    # ---- blocks
    ("misspelt_block_parameters",
     "paramters { real mu; }\nmodel { mu ~ normal(0, 1); }\n",
     1, 1, r"'paramters' is not a block name.*did you mean 'parameters'\?"),
    ("misspelt_block_model",
     "parameters { real mu; }\nmodle { }\n",
     2, 1, r"did you mean 'model'\?"),
    ("misspelt_transformed_block",
     "data { int N; }\ntransformed dta { int M = N; }\n",
     2, 13, r"expected 'data' or 'parameters' after 'transformed', found 'dta'"),
    ("misspelt_generated_quantities",
     "generated quantites { }\n",
     1, 11, r"expected 'quantities' after 'generated'"),
    ("blocks_out_of_order",
     "model { }\nparameters { real mu; }\n",
     2, 1, r"block 'parameters' must come before block 'model'"),
    ("data_after_parameters",
     "parameters { real mu; }\ndata { int N; }\nmodel { }\n",
     2, 1, r"block 'data' must come before block 'parameters'"),
    ("repeated_block",
     "data { int N; }\ndata { int M; }\n",
     2, 1, r"block 'data' appears twice \(first at 1:1\)"),
    # ---- lexical
    ("keyword_as_name",
     "data { real for; }\n",
     1, 13, r"'for' is a reserved word"),
    ("keyword_as_local_name",
     "model { int while = 1; }\n",
     1, 13, r"'while' is a reserved word"),
    ("stray_at",
     "parameters { real mu; }\nmodel { mu ~ normal(0, 1) @ 2; }\n",
     2, 27, r"unexpected character '@'"),
    ("stray_dollar",
     "parameters { real mu; }\nmodel { $mu ~ normal(0, 1); }\n",
     2, 9, r"unexpected character '\$'"),
    ("unterminated_comment_between_blocks",
     "parameters { real mu; }\n/* unterminated\nmodel { mu ~ normal(0, 1); }\n",
     2, 1, r"unterminated comment: '/\*' has no matching '\*/'"),
    ("unterminated_comment_in_block",
     "model {\n  real x; /* oops\n  x = 1;\n}\n",
     2, 11, r"unterminated comment"),
    ("hash_comment",
     "parameters { real mu; }\n# a comment\nmodel { mu ~ normal(0, 1); }\n",
     2, 1, r"'#' comments were removed from Stan; use '//'"),
    ("unterminated_string",
     "model { print(\"abc); }\n",
     1, 15, r"unterminated string literal"),
    ("old_array_syntax",
     "data { int N; real x[N]; }\n",
     1, 21, r"old array syntax.*array\[N\] real x"),
    ("arrow_assignment",
     "model { real x; x <- 1; }\n",
     1, 19, r"'<-' assignment was removed from Stan; use '='"),
    ("single_equals_in_condition",
     "data { real x; }\nmodel { if (x = 1) target += 1; }\n",
     2, 15, r"unexpected '='.*use '==' to compare"),
    ("dangling_operator",
     "parameters { real mu; }\nmodel {\n  real z;\n  z = mu +;\n}\n",
     4, 11, r"unexpected ';'; expected an expression"),
    ("constraint_missing_comma",
     "parameters { real<lower=0 upper=1> p; }\n",
     1, 27, r"unexpected 'upper'; expected ',', '>'"),
    ("expression_as_statement",
     "model { 1 + 2; }\n",
     1, 9, r"an expression on its own is not a statement"),
    ("tilde_with_lpdf_suffix",
     "parameters { real mu; }\nmodel { mu ~ normal_lpdf(0, 1); }\n",
     2, 14, r"write '~ normal\(\.\.\.\)' without the '_lpdf' suffix"),
    # ---- names and declarations
    ("undeclared_with_suggestion",
     "parameters { real mu; }\nmodel { mu ~ normal(muu, 1); }\n",
     2, 21, r"'muu' is not declared; did you mean 'mu'\?"),
    ("undeclared_with_suggestion_bounded",
     "parameters { real<lower=0> sigma; real mu; }\n"
     "model { sigma ~ cauchy(0, 1); mu ~ normal(0, sigmaa); }\n",
     2, 46, r"'sigmaa' is not declared; did you mean 'sigma'\?"),
    ("undeclared_size",
     "data { int N; vector[M] y; }\n",
     1, 22, r"'M' is not declared"),
    ("duplicate_declaration",
     "data { int N; real N; }\n",
     1, 20, r"'N' is already declared \(at 1:12\)"),
    ("duplicate_across_blocks",
     "data { int N; }\nparameters { real N; }\n",
     2, 19, r"'N' is already declared \(at 1:12\)"),
    # ---- types
    ("assign_real_to_vector",
     "transformed data { vector[3] w; w = 1.5; }\n",
     1, 37, r"cannot assign a value of type real to 'w' of type vector"),
    ("init_int_with_real",
     "data { real x; }\ntransformed data { int k = x; }\n",
     2, 28, r"cannot initialise 'k' of type int with a value of type real"),
    ("int_parameter",
     "parameters { int k; }\n",
     1, 14, r"parameters cannot be integers"),
    ("real_size",
     "data { real n; vector[n] y; }\n",
     1, 23, r"a size must be an int, found real"),
    ("int_bound_real",
     "data { int<lower=0.5> N; }\n",
     1, 18, r"bounds of an int must be ints"),
    # ---- block rules
    ("tilde_outside_model",
     "parameters { real mu; }\ntransformed parameters { real z = mu; z ~ normal(0, 1); }\n",
     2, 39, r"'~' statements are only allowed in the model block"),
    ("target_outside_model",
     "parameters { real mu; }\ngenerated quantities { target += mu; }\n",
     2, 24, r"'target \+=' is only allowed in the model block"),
    ("target_function_outside_model",
     "parameters { real mu; }\ngenerated quantities { real t = target(); }\n",
     2, 33, r"target\(\) is only available in the model block"),
    ("assign_data_in_transformed_data",
     "data { real x; }\ntransformed data { x = 2; }\n",
     2, 20, r"cannot assign to 'x' here: it is declared in the data block"),
    ("assign_parameter_in_model",
     "parameters { real mu; }\nmodel { mu = 2; }\n",
     2, 9, r"cannot assign to 'mu' here: it is declared in the parameters block"),
    ("assign_parameter_in_generated_quantities",
     "parameters { real mu; }\nmodel { }\ngenerated quantities { mu = 1; }\n",
     3, 24, r"cannot assign to 'mu'.*parameters block"),
    ("assign_loop_variable",
     "model { for (i in 1:3) { i = 2; } }\n",
     1, 26, r"cannot assign to the loop variable 'i'"),
    # ---- calls
    ("distribution_wrong_arity",
     "parameters { real mu; }\nmodel { mu ~ normal(0); }\n",
     2, 14, r"'normal' takes 2 argument\(s\) \(mu, sigma\) after the variate, found 1"),
    ("lpdf_wrong_arity",
     "parameters { real mu; }\nmodel { target += normal_lpdf(mu | 0); }\n",
     2, 19, r"'normal_lpdf' takes 2 argument\(s\)"),
    ("function_wrong_arity",
     "parameters { real mu; }\nmodel { target += exp(mu, 2); }\n",
     2, 19, r"no signature of 'exp' accepts \(real, int\)"),
    ("unknown_distribution",
     "parameters { real mu; }\nmodel { mu ~ nromal(0, 1); }\n",
     2, 14, r"unknown distribution 'nromal'; did you mean 'normal'\?"),
    ("unknown_function",
     "parameters { real mu; }\nmodel { target += lgoit(mu); }\n",
     2, 19, r"unknown function 'lgoit'; did you mean 'logit'\?"),
    ("lpdf_without_bar",
     "parameters { real mu; }\nmodel { target += normal_lpdf(mu, 0, 1); }\n",
     2, 19, r"write 'normal_lpdf\(mu \| \.\.\.\)'"),
    ("rng_in_model",
     "parameters { real mu; }\nmodel { real z = normal_rng(0, 1); mu ~ normal(z, 1); }\n",
     2, 18, r"random number generators like 'normal_rng' are only allowed in transformed data "
            r"and generated quantities"),
    ("rng_wrong_arity",
     "parameters { real mu; }\nmodel { }\ngenerated quantities { real y = normal_rng(mu); }\n",
     3, 33, r"'normal_rng' takes 2 argument\(s\)"),
    ("discrete_distribution_real_variate",
     "parameters { real mu; }\nmodel { mu ~ poisson(3); }\n",
     2, 9, r"the variate of poisson must be int or array\[\] int, found real"),
    # ---- indexing and control flow
    ("real_index",
     "data { array[3] real y; }\nparameters { real mu; }\nmodel { y[mu] ~ normal(0, 1); }\n",
     3, 11, r"an index must be an int or array\[\] int, found real"),
    ("too_many_indexes",
     "data { array[3] real y; }\nmodel { target += y[1, 2]; }\n",
     2, 19, r"too many indexes \(2\) for a value of type array\[\] real"),
    ("too_many_matrix_indexes",
     "data { matrix[2, 2] X; }\nmodel { target += X[1, 1, 1]; }\n",
     2, 19, r"too many indexes \(3\) for a value of type matrix"),
    ("vector_condition_if",
     "data { vector[3] v; }\nmodel { if (v) target += 1; }\n",
     2, 13, r"a condition must be an int or real, found vector"),
    ("vector_condition_while",
     "data { vector[3] v; }\nmodel { while (v) { } }\n",
     2, 16, r"a condition must be an int or real, found vector"),
    ("break_outside_loop",
     "model { break; }\n",
     1, 9, r"'break' outside a loop"),
    ("continue_outside_loop",
     "model { continue; }\n",
     1, 9, r"'continue' outside a loop"),
    ("real_loop_bound",
     "data { real b; }\nmodel { for (i in 1:b) target += 1; }\n",
     2, 21, r"loop bounds must be ints, found real"),
    ("constraint_on_model_variable",
     "model { real<lower=0> z = 1; }\n",
     1, 13, r"variables declared in the model block cannot have constraints"),
    ("constraint_on_local_variable",
     "model { for (i in 1:3) { real<lower=0> z = 1; } }\n",
     1, 30, r"local variables cannot have constraints"),
    # ---- unsupported features, named as such
    ("user_defined_function",
     "functions { real f(real x) { return x; } }\nmodel { }\n",
     1, 18, r"user-defined functions .* not supported"),
    ("truncation",
     "parameters { real<lower=0> mu; }\nmodel { mu ~ normal(0, 1) T[0,]; }\n",
     2, 27, r"truncation T\[,\] is not supported"),
    ("cholesky_factor_corr",
     "parameters { cholesky_factor_corr[3] L; }\n",
     1, 14, r"'cholesky_factor_corr' is not supported"),
    ("cdf_of_a_distribution_without_one",
     "parameters { real mu; }\nmodel { target += inv_gamma_lcdf(mu | 1, 1); }\n",
     2, 19, r"'inv_gamma_lcdf' is not supported yet \(pplc has the CDFs of normal, "),
    # ---- CDF calls
    ("lcdf_without_bar",
     "parameters { real mu; }\nmodel { target += normal_lcdf(mu, 0, 1); }\n",
     2, 19, r"write 'normal_lcdf\(mu \| \.\.\.\)': the variate is separated"),
    ("lccdf_arity",
     "parameters { real mu; }\nmodel { target += normal_lccdf(mu | 0); }\n",
     2, 19, r"'normal_lccdf' takes 2 argument\(s\) \(mu, sigma\) after the variate, found 1"),
    ("cdf_variate_type",
     "parameters { real mu; }\nmodel { target += poisson_cdf(mu | 3); }\n",
     2, 31, r"the variate of poisson_cdf must be int or array\[\] int, found real"),
    ("cdf_parameter_type",
     "parameters { matrix[2, 2] m; }\nmodel { target += gamma_lccdf(1 | m, 1); }\n",
     2, 35, r"argument 'alpha' of gamma_lccdf must be real, vector, row_vector or 1-D array"),
    ("cdf_after_tilde",
     "parameters { real mu; }\nmodel { mu ~ normal_lcdf(0, 1); }\n",
     2, 14, r"'~ normal_lcdf\(\.\.\.\)' is not allowed: a CDF is not a density"),
    ("removed_cdf_log_spelling",
     "parameters { real mu; }\nmodel { target += normal_ccdf_log(mu, 0, 1); }\n",
     2, 19, r"'normal_ccdf_log' was removed from Stan; use 'normal_lccdf\(y \| \.\.\.\)'"),
    ("complex_literal",
     "model { real z = 2i; }\n",
     1, 18, r"complex numbers are not supported"),
    # ---- changepoints misuse
    ("changepoints_in_data",
     "data { changepoints[1, 10] tau; }\n",
     1, 8, r"'changepoints' can only be declared in the parameters block"),
    ("changepoints_array",
     "data { int T; }\nparameters { array[2] changepoints[1, T] tau; }\n",
     2, 14, r"arrays of changepoints are not supported"),
    ("changepoints_raw_use",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(rate[tau[1]]); }\n",
     3, 44, r"'tau' may only be used as segment\(tau, t\) or in comparisons"),
    ("changepoints_as_argument",
     CP_HEAD + "model { rate ~ exponential(tau); }\n",
     3, 28, r"'tau' may only be used as segment\(tau, t\)"),
    ("changepoints_in_generated_quantities",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(rate[segment(tau, t)]); }\n"
     "generated quantities { int s = 3 < tau[1]; }\n",
     4, 32, r"'tau' can only be used in the model block.*not in generated quantities"),
    ("changepoints_in_transformed_parameters",
     CP_HEAD + "transformed parameters { real z = segment(tau, 2); }\n"
     "model { for (t in 1:T) D[t] ~ poisson(rate[segment(tau, t)]); }\n",
     3, 35, r"not in transformed parameters"),
    ("changepoints_segment_shifted_index",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(rate[segment(tau, t + 1)]); }\n",
     3, 57, r"segment\(tau, \.\.\.\) must be given the loop index 't' itself"),
    ("changepoints_segment_arity",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(rate[segment(tau)]); }\n",
     3, 44, r"segment\(tau, t\) takes a changepoints parameter and an int time index"),
    ("changepoints_le_comparison",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(t <= tau[1] ? rate[1] : rate[2]); }\n",
     3, 39, r"only 't < tau\[k\]' and 't >= tau\[k\]'.*'<=' would depend on neighbouring steps"),
    ("changepoints_compare_expression",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(t + 1 < tau[1] ? rate[1] : rate[2]); }\n",
     3, 39, r"compare the loop index 't' itself with tau\[k\]"),
    ("changepoints_outside_loop",
     CP_HEAD + "model { D[1] ~ poisson(rate[segment(tau, 1)]); }\n",
     3, 29, r"'tau' must be used inside 'for \(t in 1:T\)'"),
    ("changepoints_two_loops",
     CP_HEAD + "model {\n  for (t in 1:T) D[t] ~ poisson(rate[segment(tau, t)]);\n"
     "  for (t in 1:T) target += t < tau[1];\n}\n",
     5, 28, r"'tau' is used in two different loops"),
    ("changepoints_index_beyond_M",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(t < tau[2] ? rate[1] : rate[2]); }\n",
     3, 43, r"tau\[2\] is out of range: 'tau' holds 1 changepoint \(indices 1\.\.1\)"),
    ("changepoints_index_zero",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(tau[0] <= t ? rate[2] : rate[1]); }\n",
     3, 39, r"tau\[0\] is out of range"),
]

VALID_PROGRAMS = [
    ("empty_file", ""),
    ("only_whitespace", "\n  \n\t\n"),
    ("only_comments", "// a line comment\n/* a block\n   comment */\n"),
    ("changepoints_ok", CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(rate[segment(tau, t)]); }\n"),
    ("changepoints_flipped_comparison_ok",
     CP_HEAD + "model { for (t in 1:T) D[t] ~ poisson(tau[1] > t ? rate[1] : rate[2]); }\n"),
]


def test_corpus_sizes():
    assert len(PROGRAMS) >= 40
    assert len({p[0] for p in PROGRAMS}) == len(PROGRAMS)


@pytest.mark.parametrize("name, source, line, col, pattern", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_program_error(name, source, line, col, pattern):
    err = _errors(_compile_error(source))[0]
    assert err.span is not None and err.span.path == PATH
    got = f"{err.span.line}:{err.span.col}: {err.message}"
    assert (err.span.line, err.span.col) == (line, col), got
    assert re.search(pattern, err.message), got
    # the caret must land inside the source text (or just past its end for EOF errors)
    text = Source(source, PATH).line(line)
    assert 1 <= col <= len(text) + 1, got


@pytest.mark.parametrize("name, source", VALID_PROGRAMS, ids=[p[0] for p in VALID_PROGRAMS])
def test_valid_program(name, source):
    ppl.compile(source, path=PATH)


def test_changepoint_index_beyond_data_sized_M_is_located_at_run_time(tmp_path, monkeypatch):
    """With M from the data, k is checked when the series runs: a located error, not 'always true'
    (the native code stops and the reference reports it)."""
    monkeypatch.setenv("PPLC_CACHE_DIR", str(tmp_path))
    src = ("data { int T; int M; int K; array[T] int D; }\n"
           "parameters { vector<lower=0>[2] rate; changepoints[M, T] tau; }\n"
           "model { for (t in 1:T) D[t] ~ poisson(t < tau[K] ? rate[1] : rate[2]); }\n")
    model = ppl.compile(src, path=PATH)
    data = {"T": 6, "M": 2, "K": 3, "D": [1, 2, 3, 4, 5, 6]}
    for backend in ("numpy", "numba"):
        bound = model.bind(data, backend=backend)
        assert bound.backend == backend
        for evaluate in (bound.log_density, bound.log_density_gradient):
            with pytest.raises(PPLError) as info:
                evaluate([0.1, 0.2])
            e = info.value
            assert (e.span.line, e.span.col) == (3, 43)
            assert "tau[3] is out of range: 'tau' holds 2 changepoints (indices 1..2)" in str(e)
    data["K"] = 2              # in range: the density is finite
    assert np.isfinite(model.bind(data).log_density([0.1, 0.2]))


def test_one_mistake_one_error():
    """A failed declaration still declares its name: no cascade of 'not declared'."""
    err = _compile_error("parameters { real mu; }\n"
                         "model { real z = normal_rng(0, 1); mu ~ normal(z, 1); }\n")
    assert len(_errors(err)) == 1


def test_independent_errors_are_all_reported():
    err = _compile_error("parameters { real mu; }\n"
                         "model {\n  mu ~ normal(muu, 1);\n  target += lgoit(mu);\n}\n")
    got = [(e.span.line, e.span.col) for e in _errors(err)]
    assert got == [(3, 15), (4, 13)]


def test_truncated_programs_never_crash():
    """Every prefix of a model is either valid or a located PPLError."""
    src = open(os.path.join(os.path.dirname(__file__), "..", "examples", "coal", "model.ppl")).read()
    for cut in range(0, len(src), 3):
        try:
            ppl.compile(src[:cut], path=PATH)
        except PPLError as e:
            for x in _errors(e):
                assert x.span is not None and x.span.line >= 1, (cut, x.message)


# ---------------------------------------------------------------------------
# the formatted message: header, source line, caret under the right column
# ---------------------------------------------------------------------------
def _formatted(source: str) -> list[str]:
    err = _compile_error(source)
    return format_error(err, {PATH: Source(source, PATH)}).splitlines()


def test_format_missing_semicolon():
    lines = _formatted("parameters { real mu; }\nmodel {\n  mu ~ normal(0, 1)\n  mu ~ normal(0, 1);\n}\n")
    assert lines == [
        "m.ppl:3:20: error: missing ';' before 'mu'",
        "    mu ~ normal(0, 1)",
        "                     ^",
    ]


def test_format_undeclared_name_underlines_the_name():
    lines = _formatted("parameters { real mu; }\nmodel { mu ~ normal(muu, 1); }\n")
    assert lines[0] == "m.ppl:2:21: error: 'muu' is not declared; did you mean 'mu'?"
    assert lines[1] == "  model { mu ~ normal(muu, 1); }"
    assert lines[2] == "                      ^~~"


def test_format_with_tab_indentation():
    lines = _formatted("parameters { real mu; }\nmodel {\n\tmu ~ nromal(0, 1);\n}\n")
    assert lines[0].startswith("m.ppl:3:7: error: unknown distribution 'nromal'")
    assert lines[1] == "   mu ~ nromal(0, 1);"
    assert lines[2] == "        ^~~~~~"
    assert lines[1][lines[2].index("^")] == "n"


def test_format_stray_character():
    lines = _formatted("parameters { real mu; }\nmodel { mu ~ normal(0, 1) @ 2; }\n")
    assert lines[2] == " " * (2 + 26) + "^"
    assert lines[1][lines[2].index("^")] == "@"


def test_format_several_errors():
    src = "parameters { real mu; }\nmodel {\n  mu ~ normal(muu, 1);\n  target += lgoit(mu);\n}\n"
    lines = _formatted(src)
    assert [l for l in lines if ": error: " in l] == [
        "m.ppl:3:15: error: 'muu' is not declared; did you mean 'mu'?",
        "m.ppl:4:13: error: unknown function 'lgoit'; did you mean 'logit'?",
    ]
    assert lines[2] == "  " + " " * 14 + "^~~"
    assert lines[5] == "  " + " " * 12 + "^~~~~"


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------
def _pplc(*args, cwd):
    env = dict(os.environ)
    env.pop("PPLC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ppl.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def _assert_located(proc, where: str, source_line: str, caret_col: int):
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"{where}: error: "), proc.stderr
    assert lines[1] == "  " + source_line, proc.stderr
    assert lines[2].startswith(" " * (2 + caret_col - 1) + "^"), proc.stderr
    assert set(lines[2]) <= {" ", "^", "~"}, proc.stderr


CLI_MODEL = "data { int N; vector[N] y; }\nparameters { real mu; }\nmodel { y ~ normal(mu, 1); }\n"


@pytest.fixture()
def cli_dir(tmp_path):
    (tmp_path / "model.ppl").write_text(CLI_MODEL)
    (tmp_path / "syntax.ppl").write_text("parameters { real mu; }\nmodel {\n  mu ~ normal(0, 1)\n}\n")
    (tmp_path / "undeclared.ppl").write_text("parameters { real mu; }\nmodel { mu ~ normal(muu, 1); }\n")
    (tmp_path / "cp.ppl").write_text(CP_HEAD + "model { D[1] ~ poisson(rate[segment(tau, 1)]); }\n")
    (tmp_path / "short.json").write_text('{"N": 2, "y": [1.0]}\n')
    (tmp_path / "bad.json").write_text('{"N": 2,\n "y": [1, 2,]}\n')
    return tmp_path


def test_cli_syntax_error(cli_dir):
    proc = _pplc("check", "syntax.ppl", cwd=cli_dir)
    _assert_located(proc, "syntax.ppl:3:20", "  mu ~ normal(0, 1)", 20)
    assert "missing ';'" in proc.stderr


def test_cli_semantic_error(cli_dir):
    proc = _pplc("check", "undeclared.ppl", cwd=cli_dir)
    _assert_located(proc, "undeclared.ppl:2:21", "model { mu ~ normal(muu, 1); }", 21)
    assert "did you mean 'mu'?" in proc.stderr


def test_cli_changepoint_error(cli_dir):
    proc = _pplc("compile", "cp.ppl", cwd=cli_dir)
    _assert_located(proc, "cp.ppl:3:29", "model { D[1] ~ poisson(rate[segment(tau, 1)]); }", 29)


def test_cli_data_shape_error(cli_dir):
    proc = _pplc("check", "model.ppl", "--data", "short.json", cwd=cli_dir)
    _assert_located(proc, "model.ppl:1:25", "data { int N; vector[N] y; }", 25)
    assert "'y'" in proc.stderr and "short.json" in proc.stderr


def test_cli_malformed_json_points_into_data_file(cli_dir):
    proc = _pplc("check", "model.ppl", "--data", "bad.json", cwd=cli_dir)
    _assert_located(proc, "bad.json:2:13", ' "y": [1, 2,]}', 13)


def test_cli_missing_model_file(cli_dir):
    proc = _pplc("check", "nope.ppl", cwd=cli_dir)
    assert proc.returncode == 1
    assert proc.stderr.startswith("nope.ppl: error: cannot read model file"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_missing_data_file(cli_dir):
    proc = _pplc("check", "model.ppl", "--data", "nope.json", cwd=cli_dir)
    assert proc.returncode == 1
    assert "nope.json" in proc.stderr and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["frobnicate", "model.ppl"], ["check"], []],
                         ids=["unknown_subcommand", "missing_file_argument", "no_command"])
def test_cli_usage_errors_exit_2(cli_dir, args):
    proc = _pplc(*args, cwd=cli_dir)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "usage" in proc.stderr.lower()
