"""Every entry of stdlib/native.py's tables against stdlib's numpy definitions.

For each native template (value and every partial) this compiles a few
njit harness functions (one per argument signature and evaluation mode, not
one per entry or point) and compares, at random points of each argument's
domain plus the edges of the domain:

* values with the numpy definition (``stdlib.functions``, ``stdlib.operators``,
  ``stdlib.distributions``) to 1e-12 relative (looser tolerances are listed
  in ``VALUE_TOL`` with the reason);
* partials with the numpy backend's derivative rules (themselves checked
  against finite differences in test_gradient.py /
  test_stdlib_distribution_grads.py), to 1e-12 relative likewise
  (``PARTIAL_TOL``), where the numpy value is finite.

Templates run in the two ways the generated code uses them: on whole arrays
(numpy ufuncs and the vectorised kernels) and on scalars inside a loop; and
with float64 operands, and with int64 operands where the argument can be an
int (an int literal or int data in a model: ``normal(y | 0, 1)``).

Every table entry must have a domain below: a new entry without one fails
``test_every_table_entry_has_a_domain``, and the coverage test checks that
every template and every kernel of stdlib/native.py was exercised.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from numba import njit
from scipy import special

from ppl.stdlib import native as K
from ppl.stdlib import native_templates
from ppl.stdlib.cumulative import CUMULATIVE
from ppl.stdlib.distributions import DISTRIBUTIONS as DENSITIES
from ppl.stdlib.functions import FUNCTIONS
from ppl.stdlib.operators import OPERATORS
from ppl.backends.numba.module import FASTMATH

RNG_SEED = 20240617
N_RANDOM = 48
INF = math.inf

# the rows the native distribution table implements: densities and log (C)CDFs
DISTRIBUTIONS = {**DENSITIES, **CUMULATIVE}

# ------------------------------------------------------------------ domains
# A domain draws random points (float, and int where ints belong to it) and
# lists edge points.


class Domain:
    def __init__(self, draw, ints=None, edges=()):
        self.draw, self.ints, self.edges = draw, ints, tuple(edges)


REAL = Domain(lambda r, n: r.normal(0.0, 3.0, n), lambda r, n: r.integers(-6, 7, n))
POS = Domain(lambda r, n: np.exp(r.normal(0.0, 1.5, n)), lambda r, n: r.integers(1, 12, n))
NONNEG = Domain(POS.draw, lambda r, n: r.integers(0, 12, n), edges=(0.0,))
UNIT = Domain(lambda r, n: r.uniform(0.0, 1.0, n), edges=(0.0, 1.0))
OPEN_UNIT = Domain(lambda r, n: r.uniform(0.001, 0.999, n))
NEG = Domain(lambda r, n: -np.exp(r.normal(0.0, 1.5, n)), lambda r, n: r.integers(-12, 0, n))
GT_M1 = Domain(lambda r, n: np.exp(r.normal(0.0, 1.5, n)) - 1.0, lambda r, n: r.integers(0, 12, n),
               edges=(-1.0, INF))
LT_1 = Domain(lambda r, n: 1.0 - np.exp(r.normal(0.0, 1.5, n)), lambda r, n: r.integers(-12, 1, n),
              edges=(1.0, -INF))
NONZERO_INT = Domain(None, lambda r, n: r.choice([-7, -3, -2, -1, 1, 2, 3, 5], n))
BOOL_INT = Domain(None, lambda r, n: r.choice([-2, 0, 0, 1, 1, 3], n))
# lgamma / digamma: positive reals and negative non-integers (reflection)
GAMMA_ARG = Domain(lambda r, n: np.where(r.random(n) < 0.75, np.exp(r.normal(0.0, 2.0, n)),
                                         -r.uniform(0.05, 6.0, n) - 0.013),
                   lambda r, n: r.integers(1, 30, n),
                   edges=(1.0, 2.0, 1e-300, 1e-8, 0.5, 10.0, 171.5, 1e10, -0.5, -2.5))

# Entry -> one domain per argument, plus extra (edge) points as argument tuples.
# Keys with "#n" are the arity-specific native entries.
FUNCTION_DOMAINS = {
    "exp": ([REAL], [(-INF,), (INF,), (-800.0,), (700.0,)]),
    "log": ([POS], [(0.0,), (INF,), (1e-300,)]),
    "log1p": ([GT_M1], [(1e-20,), (-1e-20,)]),
    "expm1": ([REAL], [(1e-20,), (-INF,), (INF,)]),
    "sqrt": ([NONNEG], [(INF,)]),
    "square": ([REAL], [(INF,), (-INF,)]),
    "inv": ([POS], [(-2.0,), (INF,), (-INF,)]),
    "inv_sqrt": ([POS], [(INF,)]),
    "inv_square": ([REAL], [(INF,)]),
    "inv_logit": ([REAL], [(INF,), (-INF,), (800.0,), (-800.0,), (40.0,), (-40.0,)]),
    "logit": ([UNIT], [(1e-300,), (0.5,)]),
    "log1m": ([LT_1], [(1e-20,)]),
    "log_inv_logit": ([REAL], [(INF,), (-INF,), (800.0,), (-800.0,), (40.0,), (-40.0,)]),
    "log1m_inv_logit": ([REAL], [(INF,), (-INF,), (800.0,), (-800.0,), (40.0,), (-40.0,)]),
    "log1m_exp": ([NEG], [(0.0,), (-INF,), (-1e-20,), (-0.6931471805599453,), (-800.0,), (1.0,)]),
    "lgamma": ([GAMMA_ARG], [(0.0,)]),
    "digamma": ([GAMMA_ARG], [(0.0,), (-1.0,)]),
    "Phi": ([REAL], [(INF,), (-INF,), (-38.0,), (8.0,), (0.0,)]),
    "inv_Phi": ([OPEN_UNIT], [(0.0,), (1.0,), (1e-300,), (1e-20,), (0.02425,), (0.5,),
                              (1.0 - 1e-12,), (0.97575,)]),
    "sin": ([REAL], []), "cos": ([REAL], []), "tan": ([REAL], []),
    "tanh": ([REAL], [(INF,), (-INF,), (30.0,)]),
    "sinh": ([REAL], [(800.0,), (-800.0,)]), "cosh": ([REAL], [(800.0,), (-800.0,)]),
    "atan": ([REAL], [(INF,), (-INF,)]),
    "erf": ([REAL], [(INF,), (-INF,), (0.0,), (1e-20,)]),
    "erfc": ([REAL], [(INF,), (-INF,), (27.0,)]),
    "fabs": ([REAL], [(0.0,), (-INF,)]),
    "step": ([REAL], [(0.0,), (-0.0,), (-1e-300,)]),
    "floor": ([REAL], [(-0.5,), (2.0,)]), "ceil": ([REAL], [(-0.5,), (2.0,)]),
    "pow": ([POS, REAL], [(0.0, 2.0), (0.0, 0.0), (-2.0, 3.0), (2.0, -INF), (INF, 2.0)]),
    "fmin": ([REAL, REAL], [(1.0, 1.0), (1.0, math.nan), (math.nan, 1.0)]),
    "fmax": ([REAL, REAL], [(1.0, 1.0), (1.0, math.nan), (math.nan, 1.0)]),
    "lbeta": ([POS, POS], [(1e-8, 3.0), (400.0, 500.0)]),
    "lmultiply": ([REAL, POS], [(0.0, 0.0), (0.0, 2.0), (2.0, 0.0)]),
    "multiply_log": ([REAL, POS], [(0.0, 0.0), (0.0, 2.0), (2.0, 0.0)]),
    "log_sum_exp#2": ([REAL, REAL], [(-INF, -INF), (-INF, 1.0), (1.0, -INF), (800.0, 800.0),
                                     (INF, 1.0)]),
    "log_sum_exp#1": ([REAL], []),   # a vector argument: see test_log_sum_exp_of_a_vector
    "log_mix#3": ([UNIT, REAL, REAL], [(0.5, -INF, -INF), (0.3, 800.0, 790.0)]),
    "+": ([REAL, REAL], [(INF, 1.0)]),
    "-": ([REAL, REAL], [(INF, 1.0)]),
    ".*": ([REAL, REAL], [(0.0, INF)]),
    "./": ([REAL, POS], [(1.0, 0.0), (0.0, 0.0)]),
    "u-": ([REAL], [(INF,)]),
    "u+": ([REAL], [(INF,)]),
    "^": ([POS, REAL], [(0.0, 2.0), (0.0, 0.0), (-2.0, 3.0), (-2.0, 2.0), (INF, 2.0)]),
    "<": ([REAL, REAL], [(1.0, 1.0)]), ">": ([REAL, REAL], [(1.0, 1.0)]),
    "<=": ([REAL, REAL], [(1.0, 1.0)]), ">=": ([REAL, REAL], [(1.0, 1.0)]),
    "==": ([REAL, REAL], [(1.0, 1.0)]), "!=": ([REAL, REAL], [(1.0, 1.0)]),
    "!": ([BOOL_INT], []),
    "&&": ([BOOL_INT, BOOL_INT], []), "||": ([BOOL_INT, BOOL_INT], []),
    "%/%": ([NONZERO_INT, NONZERO_INT], [(0, 3), (7, -2), (-7, 2), (-7, -2)]),
    "%": ([NONZERO_INT, NONZERO_INT], [(0, 3), (7, -2), (-7, 2), (-7, -2)]),
}
# Entries whose operands are only ever scalars in generated code (Stan types
# them scalar-only) and whose templates use Python scalar syntax.
SCALAR_ONLY = {"<", ">", "<=", ">=", "==", "!=", "!", "&&", "||", "%/%", "%"}
INT_ONLY = {"%/%", "%", "!", "&&", "||"}

# Value tolerances other than 1e-12 relative, with the reason.
VALUE_TOL = {
    # digamma has a root at 1.4616...: near it only an absolute error is meaningful.
    "digamma": dict(rtol=1e-12, atol=1e-14),
    # lgamma has roots at 1 and 2 (same reason); math.lgamma is good to ~1 ulp of log|Gamma|'s scale.
    "lgamma": dict(rtol=1e-12, atol=1e-14),
    "lbeta": dict(rtol=1e-12, atol=1e-13),
    # Phi(-38) ~ 2.9e-316 and erfc(27) ~ 5.2e-319 are subnormal: math.erfc keeps
    # them, scipy's ndtr / erfc flush to 0.
    "Phi": dict(rtol=1e-12, atol=1e-300),
    "erfc": dict(rtol=1e-12, atol=1e-300),
}
PARTIAL_TOL = {
    # the derivative of lgamma is digamma (see VALUE_TOL)
    "lgamma": dict(rtol=1e-12, atol=1e-14),
    "lbeta": dict(rtol=1e-12, atol=1e-13),
    # 1 - tanh(x)^2 cancels where tanh(x) ~ +-1: both rules compute it so, from
    # tanh values that may differ by an ulp; the absolute error is ~ 1e-16.
    "tanh": dict(rtol=1e-12, atol=1e-15),
}

# Support name (stdlib.distributions.SUPPORTS) -> domain of a distribution argument.
SUPPORT_DOMAINS = {
    "not_nan": REAL, "finite": REAL, "positive_finite": POS, "nonnegative": NONNEG,
    "unit_interval": UNIT, "binary": Domain(None, lambda r, n: r.integers(0, 2, n)),
    "nonnegative_int": Domain(None, lambda r, n: r.integers(0, 25, n), edges=(0,)),
}


def _reference_name(key):
    return key.split("#")[0]


def _numpy_value(key, args):
    name = _reference_name(key)
    fn = FUNCTIONS.get(name) or OPERATORS[name]
    with np.errstate(all="ignore"):
        return np.asarray(fn.impl(*args), dtype=float)


def _numpy_partial(key, i, args, g, out):
    name = _reference_name(key)
    fn = FUNCTIONS.get(name) or OPERATORS[name]
    with np.errstate(all="ignore"):
        return np.asarray(fn.grad[i](g, out, *args), dtype=float)


# ------------------------------------------------------------------ harness
def _harness(name, n_args, rows, array_rows):
    """Source of two njit functions evaluating ``rows`` (per entry: the value
    template and its partial templates) for entries j = 0.. at points k: one
    on scalars in a loop, one on whole arrays ``X{a}[j]`` (for the entries in
    ``array_rows`` only: see ``_array_cover``)."""
    args = [f"X{a}" for a in range(n_args)]
    arr = [f"def {name}_arrays({', '.join(args)}, G, res):", "    g = G"]
    sca = [f"def {name}_scalars({', '.join(args)}, G, res):",
           "    for k in range(G.shape[0]):", "        g = G[k]"]
    r = 0
    for j, (value, partials) in enumerate(rows):
        ops = [f"x{a}" for a in range(n_args)]
        codes = [value.format(*ops)] + [p.format(*ops, g="g", out="out") for p in partials]
        sca += [f"        x{a} = X{a}[{j}, k]" for a in range(n_args)]
        sca += [f"        out = {codes[0]}"] + [f"        res[{r + i}, k] = {c}" if i else
                                                f"        res[{r}, k] = out" for i, c in enumerate(codes)]
        if j in array_rows:
            arr += [f"    x{a} = X{a}[{j}]" for a in range(n_args)]
            arr += [f"    out = {codes[0]}"] + [f"    res[{r + i}] = {c}" if i else f"    res[{r}] = out"
                                                for i, c in enumerate(codes)]
        r += len(codes)
    if len(arr) == 2:
        arr.append("    pass")
    return "\n".join(arr) + "\n\n" + "\n".join(sca) + "\n", r


def _compile(name, n_args, rows, array_rows=()):
    """The harness compiled with the generated module's fastmath flags.  A
    scalar float division by zero raises ZeroDivisionError in generated code
    (which then hands the batch to the reference backend); here the scalar
    loop uses numpy's error model instead, so the edge points compare values."""
    src, n_rows = _harness(name, n_args, rows, set(array_rows))
    ns = {"np": np, "K": K}
    exec(compile(src, f"<harness {name}>", "exec"), ns)
    fns = {"scalars": njit(fastmath=set(FASTMATH), error_model="numpy")(ns[f"{name}_scalars"])}
    if array_rows:
        fns["arrays"] = njit(fastmath=set(FASTMATH))(ns[f"{name}_arrays"])
    return fns, n_rows


def _run(fns, n_rows, X, G):
    out = {}
    for mode, fn in fns.items():
        res = np.full((n_rows, G.shape[0]), np.nan)
        fn(*X, G, res)
        out[mode] = res
    return out


_TOKEN = re.compile(r"(?:np|K)\.\w+|\*\*|\band\b|\bor\b|\bint\(")


def _tokens(entry):
    value, partials = entry
    return set(_TOKEN.findall(" ".join([value, *[p for p in (partials or ()) if p]])))


def _array_cover(table):
    """Entries whose templates together use every callable and construct of
    the table's templates (greedy set cover).  Compiling a template on arrays
    costs ~0.5 s; what can differ from the scalar evaluation is whether each
    callable accepts arrays, so these entries also run on whole arrays."""
    eligible = sorted(k for k in table if k not in SCALAR_ONLY and k != "log_sum_exp#1")
    left = set().union(*(_tokens(table[k]) for k in eligible))
    chosen = []
    while left:
        best = max(eligible, key=lambda k: len(_tokens(table[k]) & left))
        chosen.append(best)
        left -= _tokens(table[best])
    return set(chosen)


def _points(rng, domains, edges, int_positions=()):
    """Random points (float, or int64 at int_positions) plus edge points, as
    one array per argument (edge points only in the all-float variant)."""
    cols = []
    for a, d in enumerate(domains):
        if a in int_positions or d.draw is None:
            cols.append(d.ints(rng, N_RANDOM).astype(np.int64))
        else:
            cols.append(np.asarray(d.draw(rng, N_RANDOM), dtype=float))
    if not int_positions:
        extra = list(edges)
        for a, d in enumerate(domains):     # each domain's own edges, other arguments typical
            for e in d.edges:
                extra.append(tuple(e if b == a else c[0] for b, c in enumerate(cols)))
        if extra:
            cols = [np.concatenate([c, np.array([p[a] for p in extra], dtype=c.dtype)])
                    for a, c in enumerate(cols)]
    return cols


def _close(got, want, tol, what):
    got = np.asarray(got, dtype=float)
    want = np.broadcast_to(np.asarray(want, dtype=float), got.shape)
    np.testing.assert_allclose(got, want, equal_nan=True, err_msg=what, **tol)


EXERCISED: set[tuple] = set()


def _function_cases():
    """(key, int_position) for every elementwise function entry and variant."""
    cases = []
    for key, (domains, _) in FUNCTION_DOMAINS.items():
        if key == "log_sum_exp#1":
            continue
        if key in INT_ONLY:
            cases.append((key, "int"))
            continue
        cases.append((key, None))
        for a, d in enumerate(domains):
            if d.ints is not None and len(domains) <= 2:
                cases.append((key, a))
    return cases


def _group(cases):
    groups: dict = {}
    for key, variant in cases:
        n = len(FUNCTION_DOMAINS[key][0])
        groups.setdefault((n, variant, key in SCALAR_ONLY), []).append(key)
    return groups


@pytest.mark.parametrize("n_args,variant,scalar_only,keys",
                         [(*k, v) for k, v in _group(_function_cases()).items()],
                         ids=lambda x: str(x) if not isinstance(x, list) else f"{len(x)}entries")
def test_function_templates_match_numpy(n_args, variant, scalar_only, keys):
    rng = np.random.default_rng(RNG_SEED)
    rows, data = [], []
    for key in keys:
        value, partials = native_templates.FUNCTIONS[key]
        partials = [p for p in (partials or ()) if p is not None]
        rows.append((value, partials))
        domains, edges = FUNCTION_DOMAINS[key]
        if variant == "int":     # the integer-only operators: ints everywhere
            cols = _points(rng, domains, ())
            cols = [np.concatenate([c, np.array([e[a] for e in edges], dtype=np.int64)])
                    for a, c in enumerate(cols)]
        else:
            cols = _points(rng, domains, edges, () if variant is None else (variant,))
        data.append(cols)
    width = max(c[0].shape[0] for c in data)
    X = []
    for a in range(n_args):
        dtype = np.result_type(*[c[a].dtype for c in data])
        block = np.ones((len(keys), width), dtype=dtype)
        for j, c in enumerate(data):        # pad with the first point
            block[j, :c[a].shape[0]] = c[a]
            block[j, c[a].shape[0]:] = c[a][0]
        X.append(block)
    G = rng.normal(1.0, 0.5, width)
    cover = _array_cover(native_templates.FUNCTIONS) if variant is None else set()
    fns, n_rows = _compile(f"f{n_args}_{variant}", n_args, rows,
                           [j for j, key in enumerate(keys) if key in cover])
    results = _run(fns, n_rows, X, G)
    r = 0
    for j, key in enumerate(keys):
        args = [x[j] for x in X]
        want = _numpy_value(key, args)
        value_row = r
        modes = {m: res for m, res in results.items() if m == "scalars" or key in cover}
        for mode, res in modes.items():
            _close(res[value_row], want, VALUE_TOL.get(key, dict(rtol=1e-12)),
                   f"{key} value ({mode}, variant {variant})")
        r += 1
        EXERCISED.add(("function", key, "value"))
        value, partials = native_templates.FUNCTIONS[key]
        for i, p in enumerate(partials or ()):
            if p is None:
                continue
            ref = _numpy_partial(key, i, args, G, want)
            finite = np.isfinite(want)
            ref = np.broadcast_to(ref, want.shape)
            for mode, res in modes.items():
                _close(res[r][finite], ref[finite], PARTIAL_TOL.get(key, dict(rtol=1e-12)),
                       f"d {key} / d arg {i} ({mode}, variant {variant})")
            EXERCISED.add(("function", key, i))
            r += 1


def test_log_sum_exp_of_a_vector():
    value, (partial,) = native_templates.FUNCTIONS["log_sum_exp#1"]
    src = (f"def lse(x, g):\n    out = {value.format('x')}\n"
           f"    return out, {partial.format('x', g='g', out='out')}\n")
    ns = {"np": np, "K": K}
    exec(src, ns)
    lse = njit(ns["lse"])
    rng = np.random.default_rng(RNG_SEED)
    cases = [rng.normal(0, 3, 7), np.array([800.0, 799.0, -INF]), np.array([-INF, -INF]),
             np.array([2.5]), rng.integers(-5, 5, 6)]
    for x in cases:
        out, d = lse(x, 0.7)
        want = _numpy_value("log_sum_exp#1", [np.asarray(x, float)[None, :]])[0]
        _close(out, want, dict(rtol=1e-12), f"log_sum_exp({x})")
        if np.isfinite(want):
            ref = _numpy_partial("log_sum_exp#1", 0, [np.asarray(x, float)[None, :]],
                                 np.array([0.7]), np.array([want]))[0]
            _close(d, ref, dict(rtol=1e-12), f"d log_sum_exp({x})")
    EXERCISED.update({("function", "log_sum_exp#1", "value"), ("function", "log_sum_exp#1", 0)})


def test_integer_division_by_zero_raises():
    f = njit(lambda a, b: (K.int_divide(a, b), K.int_mod(a, b)))
    assert f(-7, 2) == (-3, -1)
    for a, b in [(1, 0), (0, 0)]:
        with pytest.raises(ZeroDivisionError):
            f(a, b)


# ------------------------------------------------------------- distributions
# The log (C)CDF templates are one construct, a stdlib.cdf_kernels ufunc called
# on float-cast operands: one of them stands for all in the compiled harnesses
# (a harness over all of them costs seconds to compile); the others are
# evaluated from Python, where the ufuncs run the same compiled loops
# (test_cdf_templates_match_numpy).
CDF_STAND_IN = "student_t_lccdf"


def _dist_cases():
    cases = []
    for name in native_templates.DISTRIBUTIONS:
        dist = DISTRIBUTIONS[name]
        specs = [dist.variate, *dist.params]
        if name in CUMULATIVE and name != CDF_STAND_IN:
            continue
        cases.append((name, None))
        for a, spec in enumerate(specs):
            d = SUPPORT_DOMAINS[spec.support]
            if d.draw is not None and d.ints is not None:
                cases.append((name, a))
    return cases


@pytest.mark.parametrize("variant", [None, "int"])
def test_distribution_templates_match_numpy(variant):
    """All distributions in one harness per arity; variant 'int' makes each
    argument that can be an int an int64, one argument at a time."""
    rng = np.random.default_rng(RNG_SEED + 1)
    cases = [c for c in _dist_cases() if (c[1] is None) == (variant is None)]
    by_arity: dict = {}
    for name, position in cases:
        by_arity.setdefault(len(DISTRIBUTIONS[name].params) + 1, []).append((name, position))
    for n_args, group in by_arity.items():
        rows, data = [], []
        for name, position in group:
            dist = DISTRIBUTIONS[name]
            value, partials = native_templates.DISTRIBUTIONS[name]
            rows.append((value, [p for p in partials if p is not None]))
            domains = [SUPPORT_DOMAINS[s.support] for s in (dist.variate, *dist.params)]
            data.append(_points(rng, domains, (), () if position is None else (position,)))
        width = max(c[0].shape[0] for c in data)
        X = []
        for a in range(n_args):
            dtype = np.result_type(*[c[a].dtype for c in data])
            block = np.ones((len(group), width), dtype=dtype)
            for j, c in enumerate(data):
                block[j, :c[a].shape[0]] = c[a]
                block[j, c[a].shape[0]:] = c[a][0]
            X.append(block)
        G = np.ones(width)
        cover = _array_cover({k: v for k, v in native_templates.DISTRIBUTIONS.items()
                              if k not in CUMULATIVE or k == CDF_STAND_IN}) if variant is None else set()
        fns, n_rows = _compile(f"d{n_args}_{variant}", n_args, rows,
                               [j for j, (name, _) in enumerate(group) if name in cover])
        results = _run(fns, n_rows, X, G)
        r = 0
        for j, (name, position) in enumerate(group):
            dist = DISTRIBUTIONS[name]
            args = [x[j] for x in X]
            want = dist.logpdf(*args)
            modes = {m: res for m, res in results.items() if m == "scalars" or name in cover}
            for mode, res in modes.items():
                _close(res[r], want, dict(rtol=1e-12), f"{name} log density ({mode}, int arg {position})")
            EXERCISED.add(("distribution", name, "value"))
            r += 1
            finite = np.isfinite(want)
            for i, p in enumerate(native_templates.DISTRIBUTIONS[name][1]):
                if p is None:
                    continue
                ref = dist.grad[i](*np.broadcast_arrays(*args))
                for mode, res in modes.items():
                    _close(res[r][finite], ref[finite], dict(rtol=1e-12, atol=1e-300),
                           f"d {name} / d arg {i} ({mode}, int arg {position})")
                EXERCISED.add(("distribution", name, i))
                r += 1


def test_cdf_templates_match_numpy():
    """Every log (C)CDF template but the stand-in, evaluated from Python on
    arrays (with an int operand in a second run, which the template casts)."""
    rng = np.random.default_rng(RNG_SEED + 2)
    for name in CUMULATIVE:
        if name == CDF_STAND_IN:
            continue
        dist = DISTRIBUTIONS[name]
        domains = [SUPPORT_DOMAINS[s.support] for s in (dist.variate, *dist.params)]
        value, partials = native_templates.DISTRIBUTIONS[name]
        ops = [f"x{a}" for a in range(len(domains))]
        for position in (None, len(domains) - 1):
            if position is not None and domains[position].ints is None:
                continue
            args = _points(rng, domains, (), () if position is None else (position,))
            env = {"np": np, "K": K, **dict(zip(ops, args))}
            with np.errstate(all="ignore"):
                want = dist.logpdf(*args)
                _close(eval(value.format(*ops), env), want, dict(rtol=1e-12), f"{name} ({position})")
                finite = np.isfinite(want)
                for i, p in enumerate(partials):
                    if p is None:
                        continue
                    ref = dist.grad[i](*args)
                    _close(eval(p.format(*ops), env)[finite], ref[finite], dict(rtol=1e-12, atol=1e-300),
                           f"d {name} / d arg {i} ({position})")
                    EXERCISED.add(("distribution", name, i))
        EXERCISED.add(("distribution", name, "value"))


# ---------------------------------------------------------------- coverage
# Partials the native tables do not have although the numpy backend does:
# a model needing them runs on the numpy backend (the native backend says so).
NATIVE_GAPS: set = set()


def test_every_table_entry_has_a_domain():
    assert set(native_templates.FUNCTIONS) == set(FUNCTION_DOMAINS)
    for name in native_templates.DISTRIBUTIONS:
        dist = DISTRIBUTIONS[name]
        assert len(native_templates.DISTRIBUTIONS[name][1]) == len(dist.params) + 1, name
        for spec in (dist.variate, *dist.params):
            assert spec.support in SUPPORT_DOMAINS, (name, spec.support)


def test_every_template_and_kernel_was_exercised():
    """Runs after the tests above (file order); fails when an entry or a
    kernel was added without being compared."""
    if not EXERCISED:
        pytest.skip("run with the whole file")
    missing = []
    for key, (value, partials) in native_templates.FUNCTIONS.items():
        need = ["value"] + [i for i, p in enumerate(partials or ()) if p is not None]
        missing += [("function", key, x) for x in need if ("function", key, x) not in EXERCISED]
        numpy_fn = FUNCTIONS.get(_reference_name(key)) or OPERATORS[_reference_name(key)]
        arity = int(key.split("#")[1]) if "#" in key else len(numpy_fn.grad or ())
        for i, rule in enumerate((numpy_fn.grad or ())[:arity]):
            absent = partials is None or i >= len(partials) or partials[i] is None
            if absent and rule is not None and ("function", key, i) not in NATIVE_GAPS:
                missing.append(("native partial missing", key, i))
    for name, (value, partials) in native_templates.DISTRIBUTIONS.items():
        need = ["value"] + [i for i, p in enumerate(partials) if p is not None]
        missing += [("distribution", name, x) for x in need
                    if ("distribution", name, x) not in EXERCISED]
        for i, rule in enumerate(DISTRIBUTIONS[name].grad):
            if partials[i] is None and rule is not None and ("distribution", name, i) not in NATIVE_GAPS:
                missing.append(("native partial missing", name, i))
    templates = " ".join(v + " " + " ".join(p for p in (ps or ()) if p)
                         for v, ps in [*native_templates.FUNCTIONS.values(), *native_templates.DISTRIBUTIONS.values()])
    used = set(re.findall(r"K\.(\w+)", templates))
    kernels = {n for n, v in vars(K).items()
               if not n.startswith("_") and hasattr(v, "py_func") or type(v).__name__ == "DUFunc"}
    missing += [("kernel not used by any template", k) for k in sorted(kernels - used)]
    assert not missing, missing
