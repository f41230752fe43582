"""The error corpus for numerical trouble at run time, and Stan-like initialisation.

A model whose density is -inf or NaN at every initial point, one that overflows,
a step size that diverges: each ends with an ``InferenceError`` (a ``PPLError``)
that names the cause, located at the failing statement when there is one; the CLI
prints it with a caret, exits 1, prints no results and writes no files.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ppl
from ppl.frontend.errors import PPLError, Source, format_error
from ppl.infer.optimize import InferenceError
from ppl.infer.vi import initial_point

PATH = "m.ppl"
NO_INIT = (r"no initial point with a finite log density and gradient in 100 tries of uniform\(-2, 2\) "
           r"on the unconstrained scale")

# (id, source, data, infer options, line, col (0: no statement), message regex)
NUMERICAL = [
    ("scale_negative_everywhere",
     "parameters { real x; }\nmodel {\n  x ~ normal(0, -1);\n}\n", {}, {},
     3, 3, NO_INIT + r".*normal: parameter 'sigma' is -1, but must be positive"),
    ("log_of_a_negative_constant",
     "parameters { real x; }\nmodel {\n  x ~ normal(0, 1);\n  target += log(-1);\n}\n", {}, {},
     4, 3, NO_INIT + r": 'target \+= log\(-1\);' adds NaN to the log density"),
    ("minus_infinity_everywhere",
     "parameters { real x; }\nmodel {\n  target += negative_infinity();\n}\n", {}, {},
     3, 3, r"'target \+= negative_infinity\(\);' adds -inf"),
    ("nan_everywhere",
     "parameters { real x; }\nmodel {\n  target += not_a_number();\n}\n", {}, {},
     3, 3, r"adds NaN"),
    ("nan_inside_a_loop",
     "data { int N; }\nparameters { real x; }\nmodel {\n  x ~ normal(0, 1);\n"
     "  for (i in 1:N) {\n    target += log(i - 3.5);\n  }\n}\n", {"N": 5}, {},
     6, 5, r"'target \+= log\(i - 3\.5\);' adds NaN"),
    ("reject_everywhere",
     "parameters { real x; }\nmodel {\n  x ~ normal(0, 1);\n  reject(\"x is \", x);\n}\n", {}, {},
     4, 3, NO_INIT + r": reject: x is "),
    ("transformed_parameter_never_assigned",
     "parameters { real x; }\ntransformed parameters { real z; }\nmodel {\n  x ~ normal(z, 1);\n}\n", {}, {},
     4, 3, r"normal: parameter 'mu' is nan"),
    ("transformed_parameter_constraint_violated",
     "parameters { real x; }\ntransformed parameters {\n  real<lower=0> z = -1 - x^2;\n}\n"
     "model {\n  x ~ normal(0, 1);\n}\n", {}, {},
     3, 17, r"transformed parameter 'z' violates its constraint <lower=0>"),
    ("data_makes_the_density_nan",
     "data { real s; }\nparameters { real x; }\nmodel {\n  x ~ normal(0, s);\n}\n", {"s": -2.0}, {},
     4, 3, r"parameter 'sigma' is -2"),
    ("overflow_everywhere",
     "parameters { real x; }\nmodel {\n  x ~ normal(0, 1);\n  target += exp(exp(exp(10)));\n}\n", {}, {},
     4, 3, NO_INIT + r": 'target \+= exp\(exp\(exp\(10\)\)\);' adds \+inf \(overflow\)"),
    ("overflow_during_optimisation",
     "parameters { real x; }\nmodel {\n  x ~ normal(0, 1);\n  target += exp(1000 * x);\n}\n", {},
     {"iter": 300},
     4, 3, r"'target \+= exp\(1000 \* x\);' adds \+inf \(overflow\)"),
    ("overflow_in_the_fitted_guide",
     "parameters { real x; }\nmodel {\n  x ~ normal(0, 1);\n  target += exp(exp(exp(x)));\n}\n", {},
     {"iter": 200, "draws": 400},
     4, 3, r"'target \+= exp\(exp\(exp\(x\)\)\);' adds \+inf \(overflow\)"),
    ("gradient_not_finite",
     "parameters { real<lower=0> x; }\nmodel {\n  x ~ normal(0, 1);\n  target += sqrt(x - x);\n}\n", {}, {},
     0, 0, NO_INIT + r": the log density is finite \(.*\) but its gradient with respect to x is not"),
    ("step_size_diverges",
     "parameters { real x; }\nmodel {\n  x ~ normal(0, 1);\n}\n", {}, {"lr": 1e10, "iter": 200},
     0, 0, r"consecutive steps gave a non-finite ELBO.*the optimisation diverged.*lr = 1e\+10 is too "
           r"large.*try a smaller --lr"),
    ("too_large_for_memory",
     "data { int N; }\nparameters { vector[N] x; }\nmodel {\n  x ~ normal(0, 1);\n}\n",
     {"N": 2_000_000_000}, {},
     0, 0, r"the model has 2000000000 unconstrained parameters: batches of 100 draws need about .* GB, "
           r"more than the .* GB of memory available"),
]


def _infer(source, data, options):
    opts = {"iter": 50, "draws": 50, "seed": 0, **options}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ppl.compile(source, path=PATH).infer(data, **opts)


def test_numerical_corpus_size():
    assert len(NUMERICAL) >= 12 and len({c[0] for c in NUMERICAL}) == len(NUMERICAL)


@pytest.mark.parametrize("name, source, data, options, line, col, pattern", NUMERICAL,
                         ids=[c[0] for c in NUMERICAL])
def test_numerical_error(name, source, data, options, line, col, pattern):
    with pytest.raises(InferenceError) as info:
        _infer(source, data, options)
    err = info.value
    assert isinstance(err, PPLError)                  # a user error: exit 1, not an internal one
    assert re.search(pattern, err.message, re.S), err.message
    if line:
        assert err.span is not None and err.span.path == PATH, err.message
        assert (err.span.line, err.span.col) == (line, col), f"{err.span}: {err.message}"
        text = format_error(err, {PATH: Source(source, PATH)}).splitlines()
        assert text[0] == f"{PATH}:{line}:{col}: error: {err.message}"
        assert text[1] == "  " + source.splitlines()[line - 1]
        assert text[2].index("^") == 2 + col - 1
        assert str(err).startswith(f"{PATH}:{line}:{col}: ")
    else:
        assert err.span is None or err.span.line == 0


def test_failure_names_the_parameter_values():
    src = "parameters { real<lower=0> s; real m; }\nmodel {\n  m ~ normal(0, -s);\n}\n"
    with pytest.raises(InferenceError) as info:
        _infer(src, {}, {})
    err = info.value
    (note,) = err.notes
    values = re.fullmatch(r"at the first try: s = (\S+), m = (\S+)", note)
    assert values, note
    s = float(values.group(1))
    assert np.exp(-2) < s < np.exp(2) and -2 < float(values.group(2)) < 2
    sigma = re.search(r"parameter 'sigma' is (-[0-9.]+), but must be positive", err.message)
    assert sigma and float(sigma.group(1)) == pytest.approx(-s, rel=1e-3), err.message


# ---------------------------------------------------------------------------
# Stan's initialisation
# ---------------------------------------------------------------------------
class _Counting:
    """Wraps a bound model and records every point the initialiser tries."""

    def __init__(self, bm):
        self.bm, self.points = bm, []

    def __getattr__(self, name):
        return getattr(self.bm, name)

    def log_density_gradient(self, theta):
        self.points.append(np.array(theta, copy=True))
        return self.bm.log_density_gradient(theta)


def test_initialisation_tries_100_points_in_the_box():
    bm = ppl.compile("parameters { real a; vector[3] b; }\nmodel {\n  target += log(-1);\n}\n",
                     path=PATH).bind({})
    counting = _Counting(bm)
    with pytest.raises(InferenceError, match=NO_INIT):
        initial_point(counting, np.random.default_rng(5))
    pts = np.array(counting.points)
    assert pts.shape == (100, 4)
    assert np.all(np.abs(pts) < 2.0)
    assert len({tuple(p) for p in pts}) == 100                 # fresh draws, not one point retried
    assert pts.std() > 0.9                                      # uniform(-2, 2) has sd 1.15


def test_initialisation_retries_until_the_density_is_finite():
    """Finite only where x > 1.6 on the unconstrained scale (10% of the box): found by retrying."""
    src = "parameters { real x; }\nmodel {\n  target += x > 1.6 ? -square(x) : negative_infinity();\n}\n"
    bm = ppl.compile(src, path=PATH).bind({})
    counting = _Counting(bm)
    theta = initial_point(counting, np.random.default_rng(0))
    assert 1.6 < theta[0] < 2.0
    assert len(counting.points) > 1
    assert all(p[0] <= 1.6 for p in counting.points[:-1])


def test_initialisation_on_the_unconstrained_scale():
    """A bounded parameter is initialised inside its bounds: uniform(-2, 2) before the transform."""
    src = "parameters { real<lower=10, upper=11> x; real<lower=0> s; }\nmodel { }\n"
    bm = ppl.compile(src, path=PATH).bind({})
    rng = np.random.default_rng(1)
    values = np.array([bm.param_constrain(initial_point(bm, rng)) for _ in range(50)])
    lo = 10 + 1 / (1 + np.exp(2))
    assert np.all((values[:, 0] > lo) & (values[:, 0] < 21 - lo))
    assert np.all((values[:, 1] > np.exp(-2)) & (values[:, 1] < np.exp(2)))


# ---------------------------------------------------------------------------
# the command line: exit 1, a located message, no results printed, no files
# ---------------------------------------------------------------------------
def _pplc(*args, cwd):
    env = dict(os.environ)
    env.pop("PPLC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ppl.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name, extra", [
    ("log_of_a_negative_constant", []),
    ("overflow_everywhere", []),
    ("step_size_diverges", ["--lr", "1e10", "--iter", "200"]),
])
def test_cli_numerical_errors(tmp_path, name, extra):
    case = {c[0]: c for c in NUMERICAL}[name]
    source, line, col = case[1], case[4], case[5]
    (tmp_path / "m.ppl").write_text(source)
    proc = _pplc("infer", "m.ppl", "--output-dir", "out", "--iter", "50", *extra, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    errors = [l for l in proc.stderr.splitlines() if ": error: " in l]
    assert len(errors) == 1, proc.stderr
    if line:
        assert errors[0].startswith(f"m.ppl:{line}:{col}: error: "), proc.stderr
        lines = proc.stderr.splitlines()
        i = lines.index(errors[0])
        assert lines[i + 1] == "  " + source.splitlines()[line - 1]
        assert lines[i + 2].index("^") == 2 + col - 1
    else:
        assert errors[0].startswith("m.ppl: error: "), proc.stderr
    assert "mean" not in proc.stdout and "wrote" not in proc.stdout      # never a printed result
    assert not (tmp_path / "out").exists()                               # and no files
