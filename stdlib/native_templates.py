"""Native forms of the stdlib primitives, for the Numba backend: the templates.

The numpy definitions in this package work on batched arrays and lean on
scipy; generated native code works on one draw at a time, so it needs the
same functions as expressions Numba can compile.  Each entry is a template
of a Python expression over already-evaluated operands ``{0}, {1}, ...``
(plain names), the upstream adjoint ``{g}`` and the call's value ``{out}``;
templates are written with numpy ufuncs and the vectorised kernels of
stdlib/native.py (``K.``), so
one template serves scalars and containers alike and Numba fuses the
elementwise work into one loop.  ``tests/test_native_stdlib.py`` checks every
entry against the numpy definition (values and derivative rules).

A primitive without an entry here makes a model use the numpy backend (the
native backend says which primitive and where).

The code generator reads these tables without importing Numba (a warm start
that loads a stored gradient object does not import it).
"""
from __future__ import annotations

from .cumulative import CUMULATIVE, KERNELS, UPPER


# ------------------------------------------------------------ elementwise
# name -> (value template, (derivative template per argument...))
# log_mix#3's e^a and e^b over e^max(a, b) (1 for the larger, exp(-|a - b|) for the other: one
# exp, no overflow), and theta e^a + (1 - theta) e^b over it: all three derivatives from these
_EA = "(({1} >= {2}) + ({1} < {2}) * np.exp(-np.abs({1} - {2})))"
_EB = "(({1} < {2}) + ({1} >= {2}) * np.exp(-np.abs({1} - {2})))"
_MIX = f"({{0}} * {_EA} + (1.0 - {{0}}) * {_EB})"

FUNCTIONS = {
    "exp": ("np.exp({0})", ("{g} * {out}",)),
    "log": ("np.log({0})", ("{g} / {0}",)),
    "log1p": ("np.log1p({0})", ("{g} / (1.0 + {0})",)),
    "expm1": ("np.expm1({0})", ("{g} * ({out} + 1.0)",)),
    "sqrt": ("np.sqrt({0})", ("{g} * 0.5 / {out}",)),
    "square": ("({0} * {0})", ("{g} * 2.0 * {0}",)),
    "inv": ("(1.0 / {0})", ("-{g} * {out} * {out}",)),
    "inv_sqrt": ("(1.0 / np.sqrt({0}))", ("-{g} * 0.5 * {out} / {0}",)),
    "inv_square": ("(1.0 / ({0} * {0}))", ("-{g} * 2.0 * {out} / {0}",)),
    "inv_logit": ("K.inv_logit({0})", ("{g} * {out} * (1.0 - {out})",)),
    "logit": ("(np.log({0}) - np.log1p(-{0}))", ("{g} / ({0} * (1.0 - {0}))",)),
    "log1m": ("np.log1p(-{0})", ("-{g} / (1.0 - {0})",)),
    "log_inv_logit": ("K.log_inv_logit({0})", ("{g} * K.inv_logit(-{0})",)),
    "log1m_inv_logit": ("K.log_inv_logit(-{0})", ("-{g} * K.inv_logit({0})",)),
    "log1m_exp": ("K.log1m_exp({0})", ("-{g} / np.expm1(-{0})",)),
    "lgamma": ("K.lgamma({0})", ("{g} * K.digamma({0})",)),
    "digamma": ("K.digamma({0})", ("{g} * K.trigamma({0})",)),
    "Phi": ("K.Phi({0})", ("{g} * np.exp(-0.5 * {0} * {0}) / K.SQRT_2PI",)),
    "inv_Phi": ("K.inv_Phi({0})", ("{g} * K.SQRT_2PI * np.exp(0.5 * {out} * {out})",)),
    "sin": ("np.sin({0})", ("{g} * np.cos({0})",)),
    "cos": ("np.cos({0})", ("-{g} * np.sin({0})",)),
    "tan": ("np.tan({0})", ("{g} * (1.0 + {out} * {out})",)),
    "tanh": ("np.tanh({0})", ("{g} * (1.0 - {out} * {out})",)),
    "sinh": ("np.sinh({0})", ("{g} * np.cosh({0})",)),
    "cosh": ("np.cosh({0})", ("{g} * np.sinh({0})",)),
    "atan": ("np.arctan({0})", ("{g} / (1.0 + {0} * {0})",)),
    "erf": ("K.erf({0})", ("{g} * 1.1283791670955126 * np.exp(-{0} * {0})",)),
    "erfc": ("K.erfc({0})", ("-{g} * 1.1283791670955126 * np.exp(-{0} * {0})",)),
    "fabs": ("np.abs({0})", ("{g} * np.sign({0})",)),
    "step": ("K.step({0})", None),
    "floor": ("np.floor({0})", None),
    "ceil": ("np.ceil({0})", None),
    "pow": ("np.power({0}, {1})", ("{g} * {1} * np.power({0}, {1} - 1.0)", "{g} * K.pow_dexponent({out}, {0})")),
    "fmin": ("np.fmin({0}, {1})", ("{g} * (({0} <= {1}) | np.isnan({1}))", "{g} * (({1} < {0}) | np.isnan({0}))")),
    "fmax": ("np.fmax({0}, {1})", ("{g} * (({0} >= {1}) | np.isnan({1}))", "{g} * (({1} > {0}) | np.isnan({0}))")),
    "lbeta": ("(K.lgamma({0}) + K.lgamma({1}) - K.lgamma({0} + {1}))",
              ("{g} * (K.digamma({0}) - K.digamma({0} + {1}))",
               "{g} * (K.digamma({1}) - K.digamma({0} + {1}))")),
    "lmultiply": ("K.xlogy({0}, {1})", ("{g} * K.lmultiply_dfirst({0}, {1})", "{g} * {0} / {1}")),
    "multiply_log": ("K.xlogy({0}, {1})", ("{g} * K.lmultiply_dfirst({0}, {1})", "{g} * {0} / {1}")),
    # the weights exp(a - logaddexp(a, b)) as 1 / (1 + exp(b - a)): no need for the value
    "log_sum_exp#2": ("K.logaddexp({0}, {1})", ("{g} / (1.0 + np.exp({1} - {0}))", "{g} / (1.0 + np.exp({0} - {1}))")),
    "log_sum_exp#1": ("K.log_sum_exp({0})", ("{g} * np.exp({0} - {out})",)),
    "log_mix#3": ("K.logaddexp(np.log({0}) + {1}, np.log1p(-{0}) + {2})",
                  (f"{{g}} * ({_EA} - {_EB}) / {_MIX}", f"{{g}} * {{0}} * {_EA} / {_MIX}",
                   f"{{g}} * (1.0 - {{0}}) * {_EB} / {_MIX}")),
    # operators on scalars or same-shaped containers (matrix products are special)
    "+": ("({0} + {1})", ("{g}", "{g}")),
    "-": ("({0} - {1})", ("{g}", "-{g}")),
    ".*": ("({0} * {1})", ("{g} * {1}", "{g} * {0}")),
    "./": ("({0} / {1})", ("{g} / {1}", "-{g} * {0} / ({1} * {1})")),
    "u-": ("(-{0})", ("-{g}",)),
    "u+": ("{0}", ("{g}",)),
    "^": ("np.power({0} * 1.0, {1})", ("{g} * {1} * np.power({0} * 1.0, {1} - 1.0)",
                                       "{g} * K.pow_dexponent({out}, {0})")),
    "<": ("({0} < {1})", None), ">": ("({0} > {1})", None),
    "<=": ("({0} <= {1})", None), ">=": ("({0} >= {1})", None),
    "==": ("({0} == {1})", None), "!=": ("({0} != {1})", None),
    "!": ("({0} == 0)", None),
    "&&": ("(({0} != 0) and ({1} != 0))", None), "||": ("(({0} != 0) or ({1} != 0))", None),
    "%/%": ("K.int_divide({0}, {1})", None),
    "%": ("K.int_mod({0}, {1})", None),
}


# ------------------------------------------------------------ distributions
# name -> (elementwise log density template, (partial template per argument...)).
# The partials are d logpdf / d arg (the caller multiplies by the adjoint).
DISTRIBUTIONS = {
    "normal": ("(-0.5 * (({0} - {1}) / {2}) ** 2 - np.log({2}) - K.LOG_SQRT_2PI)",
               ("-({0} - {1}) / {2} / {2}", "({0} - {1}) / {2} / {2}",
                "((({0} - {1}) / {2}) - 1.0) * ((({0} - {1}) / {2}) + 1.0) / {2}")),
    "std_normal": ("(-0.5 * {0} * {0} - K.LOG_SQRT_2PI)", ("-{0}",)),
    "cauchy": ("(-K.LOG_PI - np.log({2}) - np.log1p((({0} - {1}) / {2}) ** 2))",
               ("-2.0 * ({0} - {1}) / (({0} - {1}) ** 2 + {2} * {2})",
                "2.0 * ({0} - {1}) / (({0} - {1}) ** 2 + {2} * {2})",
                "(({0} - {1}) ** 2 - {2} * {2}) / ({2} * (({0} - {1}) ** 2 + {2} * {2}))")),
    "lognormal": ("K.lognormal({0}, {1}, {2})",
                  ("-(1.0 + (np.log({0}) - {1}) / ({2} * {2})) / {0}",
                   "(np.log({0}) - {1}) / {2} / {2}",
                   "(((np.log({0}) - {1}) / {2}) - 1.0) * (((np.log({0}) - {1}) / {2}) + 1.0) / {2}")),
    "exponential": ("(np.log({1}) - {1} * {0})", ("-{1} + 0.0 * {0}", "1.0 / {1} - {0}")),
    "student_t": ("(K.lgamma(0.5 * ({1} + 1.0)) - K.lgamma(0.5 * {1}) - 0.5 * (np.log({1}) + K.LOG_PI)"
                  " - np.log({3}) - 0.5 * ({1} + 1.0) * np.log1p((({0} - {2}) / {3}) ** 2 / {1}))",
                  ("-({1} + 1.0) * ({0} - {2}) / ({1} * {3} * {3} + ({0} - {2}) ** 2)",
                   "K.student_t_dnu({0}, {1}, {2}, {3})",
                   "({1} + 1.0) * ({0} - {2}) / ({1} * {3} * {3} + ({0} - {2}) ** 2)",
                   "(({1} + 1.0) * ({0} - {2}) ** 2 / ({1} * {3} * {3} + ({0} - {2}) ** 2) - 1.0) / {3}")),
    "gamma": ("({1} * np.log({2}) - K.lgamma({1}) + ({1} - 1.0) * np.log({0}) - {2} * {0})",
              ("({1} - 1.0) / {0} - {2}", "np.log({2}) - K.digamma({1}) + np.log({0})",
               "{1} / {2} - {0}")),
    "beta": ("(({1} - 1.0) * np.log({0}) + ({2} - 1.0) * np.log1p(-{0})"
             " - (K.lgamma({1}) + K.lgamma({2}) - K.lgamma({1} + {2})))",
             ("({1} - 1.0) / {0} - ({2} - 1.0) / (1.0 - {0})",
              "np.log({0}) - K.digamma({1}) + K.digamma({1} + {2})",
              "np.log1p(-{0}) - K.digamma({2}) + K.digamma({1} + {2})")),
}

# Log densities as a kernel plus a normalising term that reads only some of the
# arguments (the variate of a count model: data, nearly always): native code
# computes the normalising term once per bind when those are data
# (backends/numba/hoisting.py).  name -> (kernel, (normalising term, its arguments)).
NORMALISED = {
    "poisson": ("(K.xlogy({0} * 1.0, {1}) - {1})", ("(-K.lgamma({0} + 1.0))", (0,))),
    "poisson_log": ("({0} * {1} - np.exp({1}))", ("(-K.lgamma({0} + 1.0))", (0,))),
}
DISTRIBUTIONS["poisson"] = (f"({NORMALISED['poisson'][0]} + {NORMALISED['poisson'][1][0]})", (None, "{0} / {1} - 1.0"))
DISTRIBUTIONS["poisson_log"] = (f"({NORMALISED['poisson_log'][0]} + {NORMALISED['poisson_log'][1][0]})",
                                (None, "{0} - np.exp({1})"))

def _cumulative_templates(row):
    """The native entry of a log (C)CDF row: its stdlib.cdf_kernels ufunc
    (imported into stdlib/native.py, so templates name it K.<kernel>) asked for the value
    (which = -1) or the partial in argument k (which = k)."""
    kernel = KERNELS[row.name.rpartition("_")[0]][0]
    # operands as floats (an int literal or int data otherwise compiles another loop of the kernel)
    args = ", ".join(f"{{{i}}} * 1.0" for i in range(len(row.params) + 1))
    upper = UPPER[row.cumulative]
    return (f"K.{kernel}({args}, {upper}, -1)",
            tuple(None if rule is None else f"K.{kernel}({args}, {upper}, {i})"
                  for i, rule in enumerate(row.grad)))


DISTRIBUTIONS.update({name: _cumulative_templates(row) for name, row in CUMULATIVE.items()})
