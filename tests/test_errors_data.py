"""The error-reporting corpus for data: malformed CmdStan JSON and values that
do not fit the data block.  Each error names the variable and points at its
declaration in the model (JSON syntax errors point into the data file).
"""
from __future__ import annotations

import json
import re

import pytest

import ppl
from ppl.frontend.errors import PPLError, PPLErrors, Source, format_error

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
]


@pytest.fixture(scope="module")
def data_model():
    return ppl.compile(DATA_MODEL, path=PATH)


def _write_data(tmp_path, payload) -> str:
    path = tmp_path / "d.json"
    if isinstance(payload, bytes):
        path.write_bytes(payload)
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
    assert len(DATA_CASES) >= 15
    assert len({d[0] for d in DATA_CASES}) == len(DATA_CASES)
