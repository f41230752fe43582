"""Choices between loop-invariant values lifted out of the function applied to them
(ppl.ir.invariant_choices), against the same model written with if/else."""
import numpy as np

import ppl
from ppl.ir import nodes as N

HEAD = """
data { int N; array[N] int y; vector[N] c; }
parameters { real x0; real x1; real z; }
model {
  real w = 0.5;
  x0 ~ normal(2, 1);
  x1 ~ normal(2, 1);
  z ~ normal(0, 1);
  for (i in 1:N) {
"""

CHOICE = HEAD + """
    y[i] ~ poisson_log(z > c[i] ? x0 : x1);
    target += normal_lpdf(c[i] | x0, z > c[i] ? w : 1.5);
    target += exp(-square(z - c[i]) * (z > 0 ? 2 * x0 : x1)); // not lifted: a side is computed
  }
}
"""

BRANCHES = HEAD + """
    if (z > c[i]) y[i] ~ poisson_log(x0); else y[i] ~ poisson_log(x1);
    if (z > c[i]) target += normal_lpdf(c[i] | x0, w); else target += normal_lpdf(c[i] | x0, 1.5);
    target += exp(-square(z - c[i]) * (z > 0 ? 2 * x0 : x1));
  }
}
"""

DATA = {"N": 5, "y": [3, 0, 7, 2, 4], "c": [-1.0, -0.3, 0.2, 0.9, 1.4]}


def _lifted(program):
    return [e for s in N.walk_stmts(program.model) for x in N.stmt_exprs(s) for e in N.walk_expr(x)
            if isinstance(e, N.Select) and e.lifted]


def test_lifted_choices_equal_the_branches_they_stand_for():
    """Two choices are lifted (a parameter or a local assigned before the loop on each side),
    the third is not (its side is a product); the model has the same guards, log density,
    gradient and jumps, on both backends, as the one written with if/else, to rounding."""
    choice, branches = ppl.compile(CHOICE), ppl.compile(BRANCHES)
    assert len(_lifted(choice.program)) == 2 and not _lifted(branches.program)
    rng = np.random.default_rng(4)
    theta = rng.normal(scale=1.2, size=(12, 3))
    for backend in ("numpy", "numba"):
        a, b = choice.bind(DATA, backend=backend), branches.bind(DATA, backend=backend)
        assert a.backend == backend
        ia = [(g.site, g.key) for g in a.guard_instances()]
        ib = [(g.site, g.key) for g in b.guard_instances()]
        assert len(ia) == len(ib) == 3 * DATA["N"]
        np.testing.assert_allclose(a.log_density(theta), b.log_density(theta), rtol=1e-13)
        lp_a, g_a = a.log_density_gradient(theta)
        lp_b, g_b = b.log_density_gradient(theta)
        np.testing.assert_allclose(lp_a, lp_b, rtol=1e-13)
        np.testing.assert_allclose(g_a, g_b, rtol=1e-12, atol=1e-12)
        for ka, kb in zip(sorted(ia), sorted(ib)):
            member = rng.random(len(theta)) < 0.5
            np.testing.assert_allclose(a.log_density_jumps(theta, {ka: member}),
                                       b.log_density_jumps(theta, {kb: member}), rtol=1e-12, atol=1e-12)
