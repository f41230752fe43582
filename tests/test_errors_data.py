"""The error-reporting corpus for data: malformed CmdStan JSON and values that
do not fit the data block.  Each error names the variable and points at its
declaration in the model (JSON syntax errors point into the data file).
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

import ppl
from ppl.frontend.errors import PPLError, PPLErrors, Source, format_error
from ppl.io.data import _checked_array, _well_formed_array

PATH = "m.ppl"


def _errors(exc: PPLError) -> list[PPLError]:
    return list(exc.errors) if isinstance(exc, PPLErrors) else [exc]

# ---------------------------------------------------------------------------
# malformed data: (id, payload, variable, line, col, message regex)
# payload: dict of overrides of GOOD_DATA (DROP deletes), or raw bytes of the file.
# variable None: the error points into the data file itself.
# ---------------------------------------------------------------------------
DATA_MODEL = """\
data {
  int<lower=0> N;
  vector[N] y;
  matrix[2, 3] X;
  array[N] int<lower=0> k;
  real<lower=0> s;
  simplex[3] theta;
  ordered[3] c;
  int K;
  vector[K] z;
  array[2] real a;
}
parameters { real mu; }
model { y ~ normal(mu, 1); }
"""
GOOD_DATA = dict(N=2, y=[1.0, 2.0], X=[[1, 2, 3], [4, 5, 6]], k=[1, 2], s=1.0,
                 theta=[0.2, 0.3, 0.5], c=[1, 2, 3], K=1, z=[0.5], a=[1.0, 2.0])
DROP = object()


class RAW(dict):
    """Overrides given as raw JSON text (for values json.dumps cannot write, such as 1e400)."""

DATA_CASES = [
    ("missing_variable", {"y": DROP}, "y", 3, 13, r"'y' is missing from .*d\.json"),
    ("vector_wrong_length", {"y": [1.0]}, "y", 3, 13, r"expected shape \[2\], found \[1\]"),
    ("matrix_as_flat_list", {"X": [1, 2, 3, 4, 5, 6]}, "X", 4, 16,
     r"expected shape \[2, 3\], found \[6\]"),
    ("matrix_transposed", {"X": [[1, 2], [3, 4], [5, 6]]}, "X", 4, 16,
     r"expected shape \[2, 3\], found \[3, 2\]"),
    ("scalar_as_list", {"s": [1.0]}, "s", 6, 17, r"expected a single real, found an array"),
    ("array_given_scalar", {"a": 1.0}, "a", 11, 17, r"found a single number"),
    ("array_too_deep", {"a": [[1.0], [2.0]]}, "a", 11, 17, r"expected shape \[2\], found \[2, 1\]"),
    ("ragged_array", {"X": [[1, 2, 3], [4, 5]]}, "X", 4, 16, r"ragged array"),
    ("real_for_int", {"N": 2.5}, "N", 2, 16, r"expected integers, found 2\.5"),
    ("real_in_int_array", {"k": [1, 0.5]}, "k", 5, 25, r"expected integers, found 0\.5"),
    ("string_for_number", {"s": "abc"}, "s", 6, 17, r"expected a number, found the string \"abc\""),
    ("boolean_for_number", {"s": True}, "s", 6, 17, r"expected a number, found true"),
    ("null_value", {"s": None}, "s", 6, 17, r"expected a number, found null"),
    ("nan_for_bounded", {"s": "NaN"}, "s", 6, 17, r"contains NaN, which its bounds do not allow"),
    ("negative_for_lower_0", {"k": [1, -1]}, "k", 5, 25, r"violates its constraint <lower=0>: k\[2\] = -1"),
    ("negative_size_with_bound", {"N": -1, "y": [], "k": []}, "N", 2, 16,
     r"violates its constraint <lower=0>: N = -1"),
    ("negative_size", {"K": -1, "z": []}, "z", 10, 10, r"the size of 'z' is negative \(K = -1\)"),
    ("simplex_not_summing_to_1", {"theta": [0.2, 0.3, 0.6]}, "theta", 7, 14,
     r"violates its constraint simplex: the elements of theta sum to 1\.1, not 1"),
    ("simplex_negative", {"theta": [-0.2, 0.7, 0.5]}, "theta", 7, 14,
     r"simplex: theta\[1\] = -0\.2 is negative"),
    ("ordered_unsorted", {"c": [1, 3, 2]}, "c", 8, 14,
     r"violates its constraint ordered: c\[3\] = 2 is not greater than c\[2\] = 3"),
    ("int_out_of_range", {"N": 2, "k": [1, 2 ** 40]}, "k", 5, 25, r"out of range for a 32-bit int"),
    # errors inside the data file itself
    ("malformed_json_trailing_comma", b'{"N": 2,\n "y": [1.0, 2.0,]\n}\n', None, 2, 17,
     r"malformed JSON: Expecting value"),
    ("malformed_json_missing_comma", b'{"N": 2\n "y": [1.0, 2.0]}\n', None, 2, 2,
     r"malformed JSON: Expecting ',' delimiter"),
    ("malformed_json_trailing_garbage", b'{"N": 2}\nxyz\n', None, 2, 1, r"malformed JSON: Extra data"),
    ("empty_data_file", b"", None, 1, 1, r"malformed JSON"),
    ("json_list_not_object", b"[1, 2]\n", None, 1, 1, r"must be a JSON object"),
    ("non_utf8_bytes", b'{"N": 2, "y": "\xff"}\n', None, 1, 16, r"not valid UTF-8"),
    # --- more: each a different way to get the data wrong
    ("duplicate_key", b'{"N": 2,\n "y": [1.0, 2.0],\n "N": 3}\n', None, 3, 2,
     r"'N' appears twice in the data"),
    ("single_quoted_keys", b"{'N': 2}\n", None, 1, 2, r"malformed JSON: Expecting property name"),
    ("truncated_json", b'{"N": 2, "y": [1.0, 2.0', None, 1, 24, r"malformed JSON: Expecting"),
    ("javascript_comment", b'{"N": 2} // the size\n', None, 1, 10, r"malformed JSON: Extra data"),
    ("arrays_nested_10000_deep", b'{"y": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", None, 1, 105,
     r"arrays nested too deeply"),
    ("utf16_data_file", '{"N": 2}'.encode("utf-16"), None, 1, 1, r"not valid UTF-8 \(byte 0xff\)"),
    ("empty_object", b"{}\n", "N", 2, 16, r"'N' is missing from"),
    ("real_overflows_double", RAW({"s": "1e400"}), "s", 6, 17, r"the number 1e400 is too large"),
    ("int_with_5000_digits", RAW({"K": "1" + "0" * 5000}), "K", 9, 7,
     r"the number 100000000000\.\.\. \(5001 digits\) is too large"),
    ("bare_nan_for_bounded", RAW({"s": "NaN"}), "s", 6, 17, r"contains NaN, which its bounds do not allow"),
    ("minus_infinity_for_lower_0", {"s": "-Inf"}, "s", 6, 17, r"violates its constraint <lower=0>: s = -inf"),
    ("nan_for_int", {"N": "NaN"}, "N", 2, 16, r"expected integers, found nan"),
    ("infinity_in_int_array", {"k": [1, "Infinity"]}, "k", 5, 25, r"expected integers, found inf at k\[2\]"),
    ("real_literal_for_int", {"K": 1.0, "z": [0.5]}, "K", 9, 7, r"expected integers, found 1\.0"),
    ("integral_real_in_int_array", {"k": [1, 2.0]}, "k", 5, 25, r"expected integers, found 2\.0 at k\[2\]"),
    ("real_overflows_double_in_array", RAW({"y": "[1.0, -1e400]"}), "y", 3, 13,
     r"the number -1e400 is too large .* at y\[2\]"),
    ("bare_infinity_in_int_array", RAW({"k": "[1, Infinity]"}), "k", 5, 25,
     r"expected integers, found inf at k\[2\]"),
    ("numeric_string_in_array", {"y": [1.0, "2"]}, "y", 3, 13, r'found the string "2" at y\[2\]'),
    ("object_as_value", {"X": {"rows": 2}}, "X", 4, 16, r"found a JSON object"),
    ("null_for_vector", {"y": None}, "y", 3, 13, r"expected a number, found null"),
    ("bool_in_matrix", {"X": [[1, 2, 3], [4, False, 6]]}, "X", 4, 16, r"found false at X\[2, 2\]"),
    ("nan_in_simplex", {"theta": ["NaN", 0.5, 0.5]}, "theta", 7, 14, r"violates its constraint simplex"),
    ("nan_in_ordered", {"c": [1, "NaN", 3]}, "c", 8, 14, r"violates its constraint ordered"),
    ("vector_nested_one_level_too_deep", {"y": [[1.0], [2.0]]}, "y", 3, 13, r"expected shape \[2\], found \[2, 1\]"),
    ("matrix_ragged_in_depth", {"X": [[1, 2, 3], [4, 5, [6]]]}, "X", 4, 16, r"ragged array"),
    ("size_larger_than_vector", {"N": 3, "k": [1, 2, 3]}, "y", 3, 13, r"expected shape \[3\], found \[2\]"),
]


@pytest.fixture(scope="module")
def data_model():
    return ppl.compile(DATA_MODEL, path=PATH)


def _write_data(tmp_path, payload) -> str:
    path = tmp_path / "d.json"
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    elif isinstance(payload, RAW):
        items = [f"{json.dumps(k)}: {payload[k] if k in payload else json.dumps(v)}"
                 for k, v in GOOD_DATA.items()]
        path.write_text("{" + ", ".join(items) + "}")
    else:
        data = dict(GOOD_DATA)
        for k, v in payload.items():
            if v is DROP:
                del data[k]
            else:
                data[k] = v
        path.write_text(json.dumps(data))
    return str(path)


def test_good_data_binds(data_model, tmp_path):
    data_model.bind(_write_data(tmp_path, {}))


@pytest.mark.parametrize("name, payload, var, line, col, pattern", DATA_CASES,
                         ids=[d[0] for d in DATA_CASES])
def test_data_error(data_model, tmp_path, name, payload, var, line, col, pattern):
    path = _write_data(tmp_path, payload)
    with pytest.raises(PPLError) as info:
        data_model.bind(path)
    err = _errors(info.value)[0]
    got = f"{err.span}: {err.message}"
    assert (err.span.line, err.span.col) == (line, col), got
    assert re.search(pattern, err.message), got
    if var is None:
        assert err.span.path == path, got          # located in the data file
        assert 1 <= col <= len(Source(open(path, encoding="utf-8", errors="replace").read())
                                .line(line)) + 1
    else:
        assert err.span.path == PATH, got          # at the declaration in the model
        assert f"'{var}'" in err.message, got
        decl = DATA_MODEL.splitlines()[line - 1]
        assert re.search(rf"\b{var}\b", decl), decl


def test_data_file_missing(data_model, tmp_path):
    path = str(tmp_path / "nope.json")
    with pytest.raises(PPLError) as info:
        data_model.bind(path)
    assert "does not exist" in info.value.message and path in info.value.message
    assert info.value.span.path == path



def test_format_data_error_points_into_the_data_file(data_model, tmp_path):
    path = _write_data(tmp_path, b'{"N": 2,\n "y": [1.0, 2.0,]\n}\n')
    with pytest.raises(PPLError) as info:
        data_model.bind(path)
    text = open(path, encoding="utf-8").read()
    lines = format_error(info.value, {path: Source(text, path)}).splitlines()
    assert lines[0] == f"{path}:2:17: error: malformed JSON: Expecting value"
    assert lines[1] == '   "y": [1.0, 2.0,]'
    assert lines[2] == " " * (2 + 16) + "^"


def test_data_corpus_size():
    assert len(DATA_CASES) >= 45
    assert len({d[0] for d in DATA_CASES}) == len(DATA_CASES)


@pytest.mark.parametrize("raw", [
    [[1, 2, 3], [4, 5, 6]], [[1, 2.5], [3, 4]], [7, 2 ** 62, 1], [-(2 ** 63), 1], [2 ** 64, 1.5], 3, 2.5,
    [], [[], []], [[[1.0], [2]], [[3], [4.0]]], np.random.default_rng(0).normal(size=50).tolist()])
def test_well_formed_arrays_convert_as_the_element_wise_walk(raw):
    """The C-level path for rectangular lists of numbers gives what the walk that
    names bad elements gives: values, dtype, and the first value written as a real."""
    fast = _well_formed_array(raw)
    if fast is None:                       # out of int64: left to the walk, which floats it
        assert max(map(abs, raw)) >= 2 ** 62
        return
    arr, non_int, at = fast
    ref, ref_non_int, ref_at = _checked_array(raw)
    assert arr.dtype == ref.dtype and arr.shape == ref.shape and np.array_equal(arr, ref)
    assert (non_int, at) == (ref_non_int, ref_at) and type(non_int) is type(ref_non_int)


# ---------------------------------------------------------------------------
# files: huge, over the limit, not a file; undeclared variables
# ---------------------------------------------------------------------------
HUGE_MODEL = "data { int N; vector[N] y; }\nparameters { real mu; }\nmodel { y ~ normal(mu, 1); }\n"


def test_huge_data_file_with_one_bad_value(tmp_path):
    """A 5 MB data file: the bad element is found and named by its index, quickly."""
    import time
    n = 400_000
    values = ["1.234567"] * n
    values[n - 3] = '"1.5e"'
    path = tmp_path / "big.json"
    path.write_text('{"N": %d, "y": [%s]}' % (n, ", ".join(values)))
    assert path.stat().st_size > 4_000_000
    model = ppl.compile(HUGE_MODEL, path=PATH)
    t0 = time.perf_counter()
    with pytest.raises(PPLError) as info:
        model.bind(str(path))
    assert time.perf_counter() - t0 < 30
    err = _errors(info.value)[0]
    assert (err.span.line, err.span.col) == (1, 25)
    assert re.search(rf'found the string "1.5e" at y\[{n - 2}\]', err.message), err.message


def test_data_file_over_the_size_limit(tmp_path):
    from ppl.io.data import MAX_DATA_BYTES
    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:             # sparse: no disk space, no time
        fh.truncate(MAX_DATA_BYTES + 1)
    with pytest.raises(PPLError, match=r"data file is 2\.1 GB; the limit is 2 GB") as info:
        ppl.compile(HUGE_MODEL, path=PATH).bind(str(path))
    assert info.value.span.path == str(path)


def test_data_path_is_a_directory(tmp_path):
    with pytest.raises(PPLError, match=r"cannot read data file: Is a directory"):
        ppl.compile(HUGE_MODEL, path=PATH).bind(str(tmp_path))


def test_undeclared_data_is_named_not_fatal(tmp_path):
    import subprocess
    import sys
    (tmp_path / "m.ppl").write_text(HUGE_MODEL)
    (tmp_path / "d.json").write_text('{"N": 1, "y": [0.5], "sigma": 2}')
    for cmd in (["check"], ["infer", "--iter", "30", "--draws", "20"]):
        proc = subprocess.run([sys.executable, "-m", "ppl.cli", cmd[0], "m.ppl", "--data", "d.json", *cmd[1:]],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "d.json: warning: 'sigma' is not declared in the data block; ignored" in proc.stderr
