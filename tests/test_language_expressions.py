"""The language of DESIGN.md section 3: expressions (arithmetic, precedence,
logic and the conditional operator, linear algebra, indexing, literals, comments).

Method and shared helpers: see tests/language_helpers.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import ppl

from language_helpers import bind, close, values


# ================================================================== expressions
class TestArithmetic:
    # (Stan expression, type, expected): Stan's int/real semantics (C++ truncation).
    CASES = [
        ("7 / 2", "int", 3), ("-7 / 2", "int", -3), ("7 / -2", "int", -3), ("7.0 / 2", "real", 3.5),
        ("7 / 2.0", "real", 3.5), ("1 / 3 * 3.0", "real", 0.0), ("1.0 / 3 * 3", "real", 1.0),
        ("7 % 3", "int", 1), ("-7 % 3", "int", -1), ("7 % -3", "int", 1),
        ("7 %/% 2", "int", 3), ("-7 %/% 2", "int", -3), ("2 * 7 %/% 2", "int", 6),
        ("2 ^ 3", "real", 8.0), ("2 ^ 3 ^ 2", "real", 512.0), ("-2 ^ 2", "real", -4.0),
        ("(-2) ^ 2", "real", 4.0), ("2 ^ -1", "real", 0.5), ("2.5 * 2", "real", 5.0),
        ("3 - 5", "int", -2), ("1e3 + 1", "real", 1001.0), ("2.5e-1", "real", 0.25),
        (".5 + 1.", "real", 1.5), ("1_000 + 1", "int", 1001),
    ]

    def test_int_and_real_semantics(self):
        decls = "\n".join(f"  {t} e{i} = {e};" for i, (e, t, _) in enumerate(self.CASES))
        v = values(bind("generated quantities {\n" + decls + "\n}"), np.zeros(0))
        for i, (e, _, want) in enumerate(self.CASES):
            assert v[f"e{i}"] == want, e

    def test_integer_division_by_zero_is_an_error(self):
        with pytest.raises(ppl.PPLError, match="division by zero"):
            bind("data { int z; } transformed data { int q = 3 / z; }", {"z": 0})


class TestPrecedence:
    # (Stan expression, the same meaning written in Python)
    TABLE = [
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("10 - 4 - 3", "(10 - 4) - 3"),
        ("100.0 / 10 / 5", "(100.0 / 10) / 5"),
        ("2 * 3 ^ 2", "2 * 3 ** 2"),
        ("-2 ^ 2", "-(2 ** 2)"),
        ("2 ^ 3 ^ 2", "2 ** (3 ** 2)"),
        ("-x ^ 2", "-(x ** 2)"),
        ("2 ^ -x", "2 ** (-x)"),
        ("1 - -1", "1 - (-1)"),
        ("3 - 2 * 2 ^ 2 / 4", "3 - (2 * 2 ** 2) / 4"),
        ("7 % 3 * 2", "(7 % 3) * 2"),
        ("2 * 7 % 3", "(2 * 7) % 3"),
        ("2 * 7 %/% 2", "2 * (7 // 2)"),
        ("1 + 2 < 4", "int((1 + 2) < 4)"),
        ("1 < 2 == 1", "int(int(1 < 2) == 1)"),
        ("3 > 2 > 1", "int(int(3 > 2) > 1)"),
        ("1 == 1 != 0", "int(int(1 == 1) != 0)"),
        ("0 || 1 && 0", "int(0 or (1 and 0))"),
        ("1 + 2 > 2 && 0 || 1", "int(((1 + 2 > 2) and 0) or 1)"),
        ("!0 + 1", "int(not 0) + 1"),
        ("!1 == 0", "int(int(not 1) == 0)"),
        ("!x < 1", "int(int(not x) < 1)"),
        ("-x * 3", "(-x) * 3"),
        ("1 ? 2 : 0 ? 3 : 4", "2 if 1 else (3 if 0 else 4)"),
        ("0 ? 2 : 0 ? 3 : 4", "2 if 0 else (3 if 0 else 4)"),
        ("0 ? 2 : 1 ? 3 : 4", "2 if 0 else (3 if 1 else 4)"),
        ("1 ? 0 ? 5 : 6 : 7", "(5 if 0 else 6) if 1 else 7"),
        ("1 + 1 ? 5 : 6", "5 if (1 + 1) else 6"),
        ("x > 0 ? x + 1 : x - 1", "x + 1 if x > 0 else x - 1"),
        ("x > 1 || x < -1 ? 1 : 2", "1 if (x > 1 or x < -1) else 2"),
    ]

    def test_precedence_and_associativity(self):
        decls = "\n".join(f"  real e{i} = {s};" for i, (s, _) in enumerate(self.TABLE))
        model = ppl.compile("data { real x; } generated quantities {\n" + decls + "\n}")
        for x in (1.5, -0.5, 0.0, -2.0):
            v = values(model.bind({"x": x}), np.zeros(0))
            for i, (s, py) in enumerate(self.TABLE):
                assert v[f"e{i}"] == pytest.approx(eval(py, {"x": x}), rel=1e-15), s

    def test_transpose_binds_tighter_than_everything(self):
        src = """
        data { vector[2] v; matrix[2, 2] M; }
        generated quantities {
          real a = v' * v;                // (v') * v
          row_vector[2] b = -v';          // -(v')
          matrix[2, 2] c = M' * M;
          row_vector[2] d = v' * M';
          real e = v'[2];                 // postfix ' then index
          matrix[2, 2] f = (M * M)';
        }
        """
        v, M = np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 5.0]])
        out = values(bind(src, {"v": v.tolist(), "M": M.tolist()}), np.zeros(0))
        close(out["a"], v @ v)
        close(out["b"], -v)
        close(out["c"], M.T @ M)
        close(out["d"], v @ M.T)
        close(out["e"], 2.0)
        close(out["f"], (M @ M).T)


class TestLogicAndConditional:
    def test_comparisons_and_logic_on_parameters(self):
        src = """
        parameters { real x; real y; }
        model {
          target += 1 * (x < y) + 2 * (x <= y) + 4 * (x > y) + 8 * (x >= y)
                  + 16 * (x == y) + 32 * (x != y);
          target += 64 * (x > 0 && y > 0) + 128 * (x > 0 || y > 0) + 256 * !(x > 0);
        }
        """
        bm = bind(src)
        pts = np.array([[1.0, 2.0], [2.0, 1.0], [1.5, 1.5], [-1.0, 3.0], [-1.0, -3.0], [0.5, 0.7]])

        def f(x, y):
            return ((x < y) + 2 * (x <= y) + 4 * (x > y) + 8 * (x >= y) + 16 * (x == y) + 32 * (x != y)
                    + 64 * (x > 0 and y > 0) + 128 * (x > 0 or y > 0) + 256 * (not x > 0))

        close(bm.log_density(pts), [f(*p) for p in pts])
        for p in pts:
            close(bm.log_density(p), f(*p))

    def test_nested_conditional_per_draw(self):
        src = """
        parameters { real x; }
        model {
          target += x < -1 ? -1 : x < 1 ? x ^ 3 : 1 + log(x);
        }
        """
        bm = bind(src)
        xs = np.array([-3.0, -0.5, 0.25, 4.0])
        want = [-1 if x < -1 else x ** 3 if x < 1 else 1 + math.log(x) for x in xs]
        close(bm.log_density(xs[:, None]), want)

    def test_conditional_with_containers(self):
        src = """
        data { int c; }
        generated quantities {
          vector[2] v = c ? [1, 2]' : [3, 4]';
          real r = c ? 1 : 2.5;      // int and real branches: the result is real
        }
        """
        close(values(bind(src, {"c": 1}), np.zeros(0))["v"], [1, 2])
        out = values(bind(src, {"c": 0}), np.zeros(0))
        close(out["v"], [3, 4])
        close(out["r"], 2.5)


class TestLinearAlgebra:
    SRC = """
    data { matrix[2, 3] A; row_vector[3] r; matrix[3, 2] B; vector[3] b; }
    parameters { vector[3] x; }
    generated quantities {
      vector[2] Ax = A * x;
      real rx = r * x;
      matrix[3, 3] outer = x * r;
      matrix[2, 2] AB = A * B;
      row_vector[2] rB = r * B;
      row_vector[3] xt = x';
      matrix[3, 2] At = A';
      vector[3] ew = x .* b;
      vector[3] ed = x ./ b;
      matrix[2, 3] ewm = A .* A;
      matrix[2, 3] edm = A ./ (A + 1);
      vector[3] xs = x * 2;
      vector[3] sx = 2 * x;
      vector[3] xd = x / 2;
      vector[3] plus = x + b;
      vector[3] minus = b - x;
      vector[3] plus_s = x + 1;
      vector[3] s_minus = 1 - x;
      vector[3] neg = -x;
      real quad = x' * x;
      matrix[2, 3] As = A * 0.5;
      vector[3] ed_s = 1 ./ b;
      vector[3] pw = x .^ 2;
    }
    """

    def test_products_and_elementwise_operators(self):
        rng = np.random.default_rng(11)
        A, r, B, b = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(3, 2)), rng.normal(size=3) + 3
        bm = bind(self.SRC, {"A": A.tolist(), "r": r.tolist(), "B": B.tolist(), "b": b.tolist()})
        theta = rng.normal(size=(3, 3))
        v = values(bm, theta)
        for s, x in enumerate(theta):
            expect = {
                "Ax": A @ x, "rx": r @ x, "outer": np.outer(x, r), "AB": A @ B, "rB": r @ B, "xt": x,
                "At": A.T, "ew": x * b, "ed": x / b, "ewm": A * A, "edm": A / (A + 1), "xs": 2 * x,
                "sx": 2 * x, "xd": x / 2, "plus": x + b, "minus": b - x, "plus_s": x + 1,
                "s_minus": 1 - x, "neg": -x, "quad": x @ x, "As": A * 0.5, "ed_s": 1 / b, "pw": x ** 2,
            }
            for k, want in expect.items():
                close(v[k][s], want)


class TestIndexing:
    SRC = """
    data {
      vector[5] v; matrix[3, 4] M; array[2] int idx; array[2, 3] real a2;
      array[2] vector[3] av; row_vector[4] rv;
    }
    generated quantities {
      vector[2] vi = v[idx];
      vector[2] vmi = v[{5, 1}];
      vector[3] s1 = v[2:4];
      vector[2] s2 = v[4:];
      vector[2] s3 = v[:2];
      vector[5] s4 = v[:];
      vector[0] s5 = v[3:2];
      row_vector[2] rs = rv[2:3];
      row_vector[4] row2 = M[2];
      vector[3] col3 = M[:, 3];
      matrix[2, 2] sub = M[2:3, {1, 4}];
      real e = M[3, 4];
      real e2 = M[3][4];
      row_vector[2] mr = M[1, idx];
      vector[2] mc = M[idx, 2];
      matrix[2, 4] mrows = M[idx];
      matrix[3, 2] mcols = M[:, 3:];
      array[3] real a2r = a2[2];
      real a2e = a2[2, 3];
      array[2] real a2c = a2[:, 1];
      array[2, 2] real a2s = a2[:, 2:3];
      vector[3] av2 = av[2];
      real ave = av[2, 3];
      real ave2 = av[2][3];
      array[2] real avc = av[:, 1];
      vector[2] avs = av[1, 2:3];
      int n = idx[2];
      real nested = v[idx[1]];
    }
    """

    def test_indexing_and_slicing(self):
        rng = np.random.default_rng(2)
        v, M, a2, av, rv = (rng.normal(size=5), rng.normal(size=(3, 4)), rng.normal(size=(2, 3)),
                            rng.normal(size=(2, 3)), rng.normal(size=4))
        idx = [3, 1]
        data = {"v": v.tolist(), "M": M.tolist(), "idx": idx, "a2": a2.tolist(), "av": av.tolist(),
                "rv": rv.tolist()}
        out = values(bind(self.SRC, data), np.zeros(0))
        i0 = np.array(idx) - 1
        expect = {
            "vi": v[i0], "vmi": v[[4, 0]], "s1": v[1:4], "s2": v[3:], "s3": v[:2], "s4": v,
            "rs": rv[1:3], "row2": M[1], "col3": M[:, 2], "sub": M[1:3][:, [0, 3]], "e": M[2, 3],
            "e2": M[2, 3], "mr": M[0, i0], "mc": M[i0, 1], "mrows": M[i0], "mcols": M[:, 2:],
            "a2r": a2[1], "a2e": a2[1, 2], "a2c": a2[:, 0], "a2s": a2[:, 1:3], "av2": av[1],
            "ave": av[1, 2], "ave2": av[1, 2], "avc": av[:, 0], "avs": av[0, 1:3], "n": 1,
            "nested": v[2],
        }
        for k, want in expect.items():
            close(out[k], want)
        assert "s5" not in out      # an empty vector has no elements to report

    def test_index_out_of_range_rejects_draw_or_errors(self):
        with pytest.raises(ppl.PPLError, match="out of range"):
            bind("data { vector[3] v; } transformed data { real z = v[4]; }", {"v": [1, 2, 3]})

    def test_indexing_parameters_per_draw(self):
        src = """
        data { array[2] int idx; }
        parameters { matrix[2, 2] m; vector[3] x; }
        model { target += sum(m[:, 2]) * 10 + sum(x[idx]) + x[2:3]' * m[1]'; }
        """
        bm = bind(src, {"idx": [3, 3]})
        theta = np.random.default_rng(4).normal(size=(3, 7))
        want = []
        for th in theta:
            m = th[:4].reshape(2, 2).T
            x = th[4:]
            want.append(m[:, 1].sum() * 10 + 2 * x[2] + x[1:3] @ m[0])
        close(bm.log_density(theta), want)


class TestLiterals:
    def test_vector_matrix_and_array_literals(self):
        src = """
        parameters { real x; }
        generated quantities {
          row_vector[3] r = [1, 2, 3];
          vector[3] c = [1, 2.5, x]';
          matrix[2, 3] m = [[1, 2, 3], [4, 5, x]];
          array[3] int ia = {1, 2, 3};
          array[2] real ra = {1.5, 2};
          array[2, 2] int i2 = {{1, 2}, {3, 4}};
          array[2] vector[2] av = {[1, 2]', [3, x]'};
          array[2] row_vector[2] ar = {[1, 2], [x, 4]};
          real s = sum({x, 2 * x, 3});
        }
        """
        x = 0.75
        out = values(bind(src), np.array([x]))
        close(out["r"], [1, 2, 3])
        close(out["c"], [1, 2.5, x])
        close(out["m"], [[1, 2, 3], [4, 5, x]])
        close(out["ia"], [1, 2, 3])
        close(out["ra"], [1.5, 2])
        close(out["i2"], [[1, 2], [3, 4]])
        close(out["av"], [[1, 2], [3, x]])
        close(out["ar"], [[1, 2], [x, 4]])
        close(out["s"], 3 * x + 3)


class TestComments:
    def test_line_and_block_comments(self):
        src = """
        // a line comment before the first block
        data { int N; /* an inline block comment */ vector[N] y; }
        /* a block comment
           over several lines, with code-like text: model { target += 1000; } */
        parameters {
          real mu; // trailing comment
        }
        model {
          y ~ normal(mu, /* in the middle of a call */ 1);
          // target += 1000;
          /* target += 1000; */
        }
        """
        bm = bind(src, {"N": 2, "y": [0.5, 1.0]})
        close(bm.log_density(np.array([0.2])), stats.norm.logpdf([0.5, 1.0], 0.2).sum())


# ------------------------------------------------------ omitted index (x[, j])
def test_omitted_index_parses_as_the_all_slice():
    from ppl.frontend import ast as A
    from ppl.frontend.parser import parse
    prog = parse("model { target += M[, 2] + M[1, ] + v[] + A[2, , 1]; }")
    kinds = []

    def walk(node):
        if isinstance(node, A.Index):
            kinds.append([i.kind for i in node.indices])
        for value in vars(node).values():
            for x in value if isinstance(value, list) else [value]:
                if isinstance(x, A.Node):
                    walk(x)
    for stmt in prog.block("model"):
        walk(stmt)
    assert sorted(kinds) == sorted([["all", "single"], ["single", "all"], ["all"],
                                    ["single", "all", "single"]])


def test_omitted_index_equals_colon_in_value_and_gradient():
    """x[, j], x[i, ] and x[] against x[:, j], x[i, :] and x[:] (as rvalues
    and assignment targets), in the log density and its gradient."""
    template = """
    data { vector[3] y; }
    parameters { matrix[3, 2] M; vector[2] v; }
    model {
      matrix[3, 2] C;
      C@1 = M;
      C[@22] = M[@31] .* v[1];
      y ~ normal(C[@42], 1);
      target += normal_lpdf(M[2@5] | v@6, 2) + sum(C[@71]);
    }
    """
    def fill(*parts):
        text = template
        for k, part in enumerate(parts, 1):
            text = text.replace(f"@{k}", part)
        return text
    omitted = fill("[]", ", ", ", ", ", ", ", ", "[]", ", ")
    colon = fill("[:]", ":, ", ":, ", ":, ", ", :", "[:]", ":, ")
    data = {"y": [0.3, -1.2, 2.0]}
    a, b = bind(omitted, data), bind(colon, data)
    theta = np.random.default_rng(5).normal(size=(4, 8))
    lp_a, g_a = a.log_density_gradient(theta)
    lp_b, g_b = b.log_density_gradient(theta)
    np.testing.assert_array_equal(lp_a, lp_b)
    np.testing.assert_array_equal(g_a, g_b)
    # and the value is the one written out with numpy (columns of M are theta[:, :3], theta[:, 3:6])
    M = theta[:, :6].reshape(4, 2, 3).transpose(0, 2, 1)
    v = theta[:, 6:]
    col2 = M[:, :, 0] * v[:, :1]
    want = (stats.norm.logpdf(np.array(data["y"])[None, :], col2, 1).sum(axis=1)
            + stats.norm.logpdf(M[:, 1, :], v, 2).sum(axis=1) + M[:, :, 0].sum(axis=1))
    np.testing.assert_allclose(lp_a, want, rtol=1e-12)
