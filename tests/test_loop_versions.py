"""Innermost loops whose index checks and hoisted-table lookups are made once, at the
loop's entry (backends/numba/loop_versions.py): the draws where a check fails go to the
function's checked version; both against the reference backend."""
import re

import numpy as np
import pytest

import ppl

MODEL = """
data {
  int N; int K; int k0; int M;
  array[M] int y;
  vector[N] x;
  matrix[N, K] X;
}
parameters { real a; vector[K] b; real<lower=0> s; real z; }
model {
  real m = 0;
  a ~ normal(0, 1);
  b ~ normal(0, 1);
  s ~ lognormal(0, 1);
  z ~ normal(0, 1);
  for (j in 1:N) {
    int i = 2 * j;                                        // an int local, affine in j
    y[i] ~ poisson_log(a + b[k0] * x[N - j + 1]);         // k0 fixed; a negative coefficient
    y[i - 1] ~ poisson_log(z > x[j] ? a : b[1]);          // a guard
    target += normal_lpdf(x[j] | inv_Phi(j / (N + 1.0)), s);   // a hoisted data-only call
  }
  for (n in 1:N) {
    real mu = a;
    for (k in 1:K) mu += X[n, k] * b[k];                  // n fixed in the inner loop
    x[n] ~ normal(mu, s);
  }
  for (t in 2:N) {                                        // carried: a reverse loop too
    m = 0.5 * m + x[t - 1];
    x[t] ~ normal(a * m, s);
  }
}
"""


def _data(rng, N=6, K=3, k0=2, ny=None):
    return {"N": N, "K": K, "k0": k0, "M": 2 * N if ny is None else ny, "y": rng.poisson(3, size=2 * N if ny is None else ny).tolist(),
            "x": rng.normal(size=N).tolist(), "X": rng.normal(size=(N, K)).tolist()}


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / (1 + np.abs(np.asarray(b)))))


def _body(source: str, function: str) -> str:
    """The body of one generated function ('' when there is none)."""
    parts = source.split(f"def {function}(")
    return parts[1].split("\n@njit")[0] if len(parts) > 1 else ""


def _checked_once(source: str, function: str) -> list[str]:
    """The loops of a generated function that are checked once at their entry."""
    lines = _body(source, function).split("\n")
    loops = []
    for k, line in enumerate(lines):
        if re.match(r"^\s*if not _ok\d+:$", line) and lines[k + 1].strip() == "return np.nan":
            indent = len(lines[k + 2]) - len(lines[k + 2].lstrip())
            end = k + 3
            while end < len(lines) and len(lines[end]) - len(lines[end].lstrip()) > indent:
                end += 1
            loops.append("\n".join(lines[k + 2:end]))
    return loops


def test_every_loop_has_a_checked_once_version_that_agrees_with_the_reference():
    """The j loop, the inner k loop (forward and reverse sweeps) and the carried t loop (forward
    and reverse) are checked once in the gradient function (the density keeps its checks): no
    index checks or table lookups are left in them, the checked version has them; density and
    gradient agree with the reference backend at random points."""
    m = ppl.compile(MODEL, path="versions.ppl")
    rng = np.random.default_rng(3)
    data = _data(rng)
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba"
    source = bn._native.source
    loops = _checked_once(source, "gradient_one")
    assert len(loops) >= 5 and not _checked_once(source, "density_one")
    assert all(lp.startswith(" " * 4) and "for " in lp.split("\n")[0] for lp in loops)
    assert not any("K_ix" in lp or "H.lookup" in lp for lp in loops)
    checked = _body(source, "gradient_one_checked")
    assert "K_ix" in checked and "H.lookup" in checked and not _checked_once(source, "gradient_one_checked")
    theta = rng.normal(size=(8, bn.param_unc_num()))
    assert _rel(bn.log_density(theta), br.log_density(theta)) < 1e-10
    lp, g = bn.log_density_gradient(theta)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10


SHIFTED = """
data { int N; int K; int shift; matrix[N, K] X; vector[N] x; }
parameters { vector[K] b; real<lower=0> s; }
model {
  b ~ normal(0, 1);
  s ~ lognormal(0, 1);
  for (n in 1:(N - 1)) {
    real mu = 0;
    for (k in 1:K) mu += X[n, k + shift] * b[k];
    x[n] ~ normal(mu, s);
  }
}
"""


@pytest.mark.parametrize("shift", [1, -1])
def test_an_index_out_of_range_at_one_iteration_still_raises(shift):
    """X[n, k + shift] leaves its row at k = K (shift 1) or k = 1 (shift -1) only: the entry's
    check fails, the checked loop raises, and the reference reports it.  Unchecked, the read
    would land in the next row, or wrap around to the row's end: a finite, wrong density."""
    m = ppl.compile(SHIFTED, path="shifted.ppl")
    rng = np.random.default_rng(5)
    data = {"N": 5, "K": 3, "X": rng.normal(size=(5, 3)).tolist(), "x": rng.normal(size=5).tolist()}
    bn = m.bind({**data, "shift": 0}, backend="numba")
    br = m.bind({**data, "shift": 0}, backend="numpy")
    assert bn.backend == "numba" and len(_checked_once(bn._native.source, "gradient_one")) >= 2
    theta = rng.normal(size=(4, 4))
    lp, g = bn.log_density_gradient(theta)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10
    bn = m.bind({**data, "shift": shift}, backend="numba")
    with pytest.raises(ppl.PPLError, match="out of range"):
        bn.log_density_gradient(theta)


@pytest.mark.parametrize("change", [dict(k0=4), dict(k0=0), dict(ny=11)])
def test_an_index_out_of_range_anywhere_raises(change):
    """b[k0] out of range at every iteration (k0 = K + 1, k0 = 0), or y[2 j] at the last one
    only (y one short)."""
    m = ppl.compile(MODEL, path="versions.ppl")
    rng = np.random.default_rng(5)
    bn = m.bind(_data(rng, **change), backend="numba")
    assert bn.backend == "numba"
    with pytest.raises(ppl.PPLError, match="out of range"):
        bn.log_density_gradient(rng.normal(size=(2, bn.param_unc_num())))


PARTLY_REACHED = """
data { int N; array[N] int y; vector[N] c; }
parameters { real a; real z; }
model {
  a ~ normal(1, 1);
  z ~ normal(0, 1);
  for (n in 1:N) {
    if (z > c[n]) y[n] ~ poisson(exp(a));     // lgamma(y[n] + 1) hoisted, reached when z > c[n]
    else target += -0.5 * a;
  }
}
"""


def test_a_table_the_binding_run_only_partly_filled_is_not_read_unchecked():
    """The bind records the hoisted lgamma only where its branch was taken at the recording
    draws (z > 30 is beyond them): the table lacks entries, the unchecked version is not
    taken, and every draw, whichever branches it takes, agrees with the reference."""
    m = ppl.compile(PARTLY_REACHED, path="partly.ppl")
    c = [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 30.0, 40.0]
    data = {"N": 8, "y": [3, 1, 4, 1, 5, 9, 2, 6], "c": c}
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    assert bn.backend == "numba" and _checked_once(bn._native.source, "gradient_one")
    mode, table, offsets, sizes = bn._native.data[-2]
    assert 0 < max(sizes) < data["N"]      # the entries recorded: some, not all N
    rng = np.random.default_rng(8)
    theta = np.column_stack([rng.normal(size=40), np.concatenate([rng.normal(scale=2, size=30),
                                                                  rng.uniform(25, 45, size=10)])])
    lp, g = bn.log_density_gradient(theta)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10


def test_the_tables_are_recorded_at_draws_that_take_other_branches():
    """Recorded at the origin alone, the table would hold the 4 entries with c[n] < 0; the
    other recording draws (z up to 1.89) take the branch for every n here: the table is
    complete, so the loop reads it unchecked, and the gradient agrees with the reference."""
    from ppl.backends.numba.executor import recording_draws
    m = ppl.compile(PARTLY_REACHED, path="partly.ppl")
    data = {"N": 8, "y": [3, 1, 4, 1, 5, 9, 2, 6], "c": np.linspace(-1.5, 1.5, 8).tolist()}
    assert recording_draws(2)[:, 1].max() > 1.5 and recording_draws(2)[0, 1] == 0
    bn, br = m.bind(data, backend="numba"), m.bind(data, backend="numpy")
    mode, table, offsets, sizes = bn._native.data[-2]
    assert max(sizes) == data["N"]
    theta = np.random.default_rng(2).normal(scale=2, size=(20, 2))
    lp, g = bn.log_density_gradient(theta)
    lp_r, g_r = br.log_density_gradient(theta)
    assert _rel(lp, lp_r) < 1e-10 and _rel(g, g_r) < 1e-10
