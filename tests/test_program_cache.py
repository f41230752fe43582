"""The compiled-program cache (ppl/program_cache.py): a program loaded from it is the
program the compiler builds, and nothing stale, torn or erroneous is ever served."""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import ppl
from ppl import compiler, program_cache
from ppl.ir.printer import program_text

from conftest import EXAMPLES

MODELS = sorted(glob.glob(os.path.join(EXAMPLES, "*", "model.ppl")))


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PPLC_CACHE_DIR", str(tmp_path))


def _guard_rows(program):
    return [(g.id, g.line, g.col, g.text, g.kind, g.op, g.measure_zero) for g in program.guards]


def test_every_example_loads_as_compiled():
    for path in MODELS:
        source = compiler.read_source(path)
        fresh = compiler._compile_deep(source, path)
        ppl.compile_file(path)                            # compiles and stores
        cached = program_cache.load(source, path)
        assert cached is not None, path
        assert program_text(cached) == program_text(fresh), path
        assert _guard_rows(cached) == _guard_rows(fresh), path
        assert len(cached.changepoint_plans) == len(fresh.changepoint_plans), path
        # guard sites point at nodes of the loaded program itself
        nodes = {id(g.node) for g in cached.guards}
        assert not nodes & {id(g.node) for g in fresh.guards}


@pytest.mark.parametrize("name", ["temperature", "coal", "diamonds-diamonds"])
def test_cached_program_has_the_same_density(name):
    """Log densities (every guard free, and each guard forced) of the loaded program equal
    the freshly compiled one's: no analysis result is lost or left pointing at old nodes."""
    path = os.path.join(EXAMPLES, name, "model.ppl")
    data = os.path.join(EXAMPLES, name, "data.json")
    first = ppl.compile_file(path)
    second = ppl.compile_file(path)
    assert program_cache.load(first.source, first.path) is not None
    b1, b2 = first.bind(data, backend="numpy"), second.bind(data, backend="numpy")
    theta = np.random.default_rng(3).normal(size=(5, b1.param_unc_num()))
    np.testing.assert_array_equal(b1.log_density(theta), b2.log_density(theta))
    for g in first.guards[:3]:
        for side in (True, False):
            np.testing.assert_array_equal(b1.log_density(theta, force={g.id: side}),
                                          b2.log_density(theta, force={g.id: side}))


def test_an_edited_source_is_compiled_again():
    one = "parameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n"
    two = "parameters { real mu; }\nmodel { mu ~ cauchy(0, 1); }\n"
    assert "normal" in program_text(ppl.compile(one, path="m.ppl").program)
    again = ppl.compile(two, path="m.ppl").program
    assert program_text(again) == program_text(compiler._compile_deep(two, "m.ppl"))
    assert "cauchy" in program_text(again) and "normal" not in program_text(again)


def test_a_torn_entry_is_compiled_again(tmp_path):
    source = "parameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n"
    ppl.compile(source, path="m.ppl")
    (entry,) = glob.glob(str(tmp_path / "program_*.pickle"))
    with open(entry, "r+b") as fh:
        fh.truncate(os.path.getsize(entry) // 2)
    assert program_cache.load(source, "m.ppl") is None
    assert program_text(ppl.compile(source, path="m.ppl").program) == \
        program_text(compiler._compile_deep(source, "m.ppl"))


def test_errors_are_reported_by_the_compiler_every_time(tmp_path):
    source = "parameters { real mu; }\nmodel { mu ~ normal(0, sigma); }\n"
    messages = []
    for _ in range(2):
        with pytest.raises(ppl.PPLError) as info:
            ppl.compile(source, path="m.ppl")
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "sigma" in messages[0]
    assert not glob.glob(str(tmp_path / "program_*.pickle"))
