"""Fuzzing the front end: thousands of broken programs, no crash, every error located.

Programs are mutants of the example models (tokens deleted, duplicated, swapped,
replaced; random characters inserted; truncation) plus hypothesis-generated token
soups, all from fixed seeds.  Each goes through ``ppl.compile`` in-process: it must
compile or raise ``PPLError``; every error must point inside the source and format as
``m.ppl:line:col: error: message`` with the source line and a caret; no message may
leak parser internals.  A smaller sample goes through the ``pplc check`` command
(exit 0 or 1, never a traceback) along with bad flags (exit 2).

Run as a script for the figures: ``python tests/test_fuzz_frontend.py [N]``.
"""
from __future__ import annotations

import collections
import glob
import os
import random
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import ppl
from ppl.frontend.errors import PPLError, PPLErrors, Source, format_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = "m.ppl"
N_MUTANTS = 4000
N_SOUPS = 1000
SEED = 20240607

TOKEN = re.compile(r"\s+|//[^\n]*|/\*.*?\*/|\"[^\"\n]*\"|[A-Za-z_][A-Za-z0-9_]*|\d+\.?\d*(?:[eE][+-]?\d+)?"
                   r"|\.\*|\./|<=|>=|==|!=|&&|\|\||\+=|-=|\*=|/=|%/%|.", re.S)
INSERTS = (list("{}()[];,:<>=+-*/^'~|!?.%\\\"#@$`_") +
           ["\n", "\t", "\r", "\f", "\u00a0", "\u200b", "\x00", "\u00e9", "\u201c", "\u2212", "/*", "*/", "//",
            "<-", "T[", "1e999", "99999999999", "else", "real ", "int ", "vector[3] ", "array[2] ", "for ",
            "while ", "if ", "model ", "data ", "parameters ", "target += ", "target()", "print(",
            "reject(", "segment(", "tau", "changepoints[1, T] ", "~ normal(0, 1);", "_lpdf(", " | ", "profile(",
            "functions { }", "increment_log_prob(", "multi_normal", "tuple(", "complex ", "{{{{", "}}}}"])
# what a message must never show: parser internals, Python reprs
LEAKS = re.compile(r"__ANON|\$END|Token\(|Tree\(|NoneType|object at 0x|Traceback|UNSUPPORTED_TYPE|"
                   r"\b[A-Z]{3,}_[A-Z]+\b|<lambda>|lark\.")


def example_sources() -> list[str]:
    paths = sorted(glob.glob(os.path.join(ROOT, "examples", "*", "model.ppl")))
    return [open(p, encoding="utf-8").read() for p in paths]


def mutate(src: str, rng: random.Random) -> str:
    toks = TOKEN.findall(src)
    words = [i for i, t in enumerate(toks) if not t.isspace()]
    i, j = rng.choice(words), rng.choice(words)
    op = rng.randrange(10)
    if op == 0:
        del toks[i]
    elif op == 1:
        toks.insert(i, toks[i])
    elif op == 2:
        toks[i], toks[j] = toks[j], toks[i]
    elif op == 3:
        toks.insert(i, rng.choice(INSERTS))
    elif op == 4:
        return src[:rng.randrange(len(src) + 1)]
    elif op == 5:
        toks[i] = toks[j]
    elif op == 6:
        p = rng.randrange(len(src) + 1)
        return src[:p] + rng.choice(INSERTS) + src[p:]
    elif op == 7:
        p = rng.randrange(len(src) + 1)
        return src[:p] + chr(rng.randrange(1, 0x3000)) + src[p:]
    elif op == 8:                       # delete a run of tokens
        del toks[i:i + rng.randint(2, 8)]
    else:                               # several edits at once
        for _ in range(rng.randint(2, 5)):
            k = rng.randrange(len(toks))
            toks[k] = rng.choice(INSERTS + [toks[rng.randrange(len(toks))]])
    return "".join(toks)


def mutants(n: int, seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    sources = example_sources()
    return [mutate(rng.choice(sources), rng) for _ in range(n)]


def token_soups(n: int) -> list[str]:
    """Hypothesis-generated programs: blocks filled with random tokens of the language
    (derandomised: the same programs on every run)."""
    from hypothesis import strategies as st

    vocab = sorted({t for src in example_sources() for t in TOKEN.findall(src) if not t.isspace()}
                   | set(INSERTS))
    body = st.lists(st.sampled_from(vocab), max_size=40).map(" ".join)
    block = st.tuples(st.sampled_from(["data", "transformed data", "parameters", "transformed parameters",
                                       "model", "generated quantities", "functions", "modle", ""]), body)
    program = st.lists(block, min_size=1, max_size=4).map(
        lambda bs: "\n".join(f"{name} {{\n  {b}\n}}" if name else b for name, b in bs))
    from hypothesis import HealthCheck, given, settings

    out: list[str] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(program)
    def collect(p):
        out.append(p)

    collect()
    return out


def normalise(message: str) -> str:
    """A message with names, numbers and quoted text stripped: its kind."""
    m = re.sub(r"'[^']*'|\"[^\"]*\"", "'X'", message)
    m = re.sub(r"\d+(\.\d+)?", "N", m)
    m = re.sub(r"U\+[0-9A-F]{4} \([^)]*\)", "U+X", m)
    return m


def check_program(src: str):
    """Compile; return None if valid, else the list of errors.  Raise AssertionError on a bad error."""
    try:
        ppl.compile(src, path=PATH)
        return None
    except PPLError as e:
        errs = list(e.errors) if isinstance(e, PPLErrors) else [e]
    source = Source(src, PATH)
    n_lines = max(1, len(source.lines))
    for err in errs:
        span = err.span
        assert span is not None and span.path == PATH, (err.message, src)
        assert 1 <= span.line <= n_lines, (span, err.message, src)
        assert 1 <= span.col <= len(source.line(span.line)) + 1, (span, err.message, src)
        assert err.message and not LEAKS.search(err.message), (err.message, src)
        lines = format_error(err, {PATH: source}).split("\n")
        assert re.fullmatch(rf"{re.escape(PATH)}:{span.line}:{span.col}: error: .+", lines[0]), lines[0]
        if source.line(span.line):
            caret = lines[2]
            assert set(caret[2:]) <= {" ", "^", "~"} and "^" in caret, lines
            assert caret.index("^") == 2 + span.col - 1 or len(source.line(span.line)) > 160, lines
    return errs


def run_corpus(programs):
    stats = {"tried": 0, "valid": 0, "errors": 0, "messages": collections.Counter()}
    failures = []
    for k, src in enumerate(programs):
        stats["tried"] += 1
        try:
            errs = check_program(src)
        except AssertionError as e:
            failures.append((k, f"bad error: {e}"))
            continue
        except Exception as e:              # noqa: BLE001 - a crash is what we are looking for
            failures.append((k, f"crash {type(e).__name__}: {e}"))
            continue
        if errs is None:
            stats["valid"] += 1
        else:
            stats["errors"] += 1
            for err in errs:
                stats["messages"][normalise(err.message)] += 1
    return stats, failures


def _report(label, stats):
    print(f"\n{label}: {stats['tried']} programs tried, {stats['valid']} valid, {stats['errors']} rejected "
          f"with a located error, {len(stats['messages'])} distinct messages (names and numbers stripped)")


def test_fuzz_mutants_of_the_examples():
    programs = mutants(N_MUTANTS)
    assert len(set(programs)) > 0.9 * len(programs)
    stats, failures = run_corpus(programs)
    _report("mutants", stats)
    assert not failures, "\n".join(f"program {k}: {msg}" for k, msg in failures[:10])
    # the mutations really break programs, in many different ways
    assert stats["errors"] > 0.6 * stats["tried"]
    assert len(stats["messages"]) >= 60


def test_fuzz_hypothesis_token_soups():
    pytest.importorskip("hypothesis")
    programs = token_soups(N_SOUPS)
    stats, failures = run_corpus(programs)
    _report("token soups", stats)
    assert not failures, "\n".join(f"program {k}: {msg}" for k, msg in failures[:10])
    assert stats["errors"] > 0.8 * stats["tried"]


def _pplc(args, cwd):
    env = dict(os.environ)
    env.pop("PPLC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ppl.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_fuzz_through_pplc_check(tmp_path):
    """A sample through the command line: exit 1 with a located error or 0, never a traceback;
    bad flags exit 2."""
    programs = mutants(9, seed=SEED + 1)
    jobs = []
    for k, src in enumerate(programs):
        (tmp_path / f"m{k}.ppl").write_text(src, encoding="utf-8")
        jobs.append((["check", f"m{k}.ppl"], src, k))
    (tmp_path / "ok.ppl").write_text("parameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n")
    for flags in (["check"], ["compile", "ok.ppl", "--emit", "c"], ["infer", "ok.ppl", "--iter", "-3"]):
        jobs.append((flags, None, None))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: (job, _pplc(job[0], tmp_path)), jobs))
    for (args, src, k), proc in results:
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, (args, proc.stderr)
        if src is None:
            assert proc.returncode == 2, (args, proc.stderr)
            assert "usage:" in proc.stderr or "pplc: error:" in proc.stderr
            continue
        try:
            ppl.compile(src, path=f"m{k}.ppl")
            expected = 0
        except PPLError:
            expected = 1
        assert proc.returncode == expected, (args, proc.stderr)
        if expected:
            assert re.match(rf"m{k}\.ppl:\d+:\d+: error: ", proc.stderr), proc.stderr


if __name__ == "__main__":                              # figures for a larger run
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N_MUTANTS
    import time
    t0 = time.perf_counter()
    stats, failures = run_corpus(mutants(n))
    _report("mutants", stats)
    soups, f2 = run_corpus(token_soups(min(n, N_SOUPS)))
    _report("token soups", soups)
    print(f"failures: {len(failures) + len(f2)}; {time.perf_counter() - t0:.1f} s")
    both = stats["messages"] + soups["messages"]
    print(f"distinct messages over both: {len(both)}")
    for msg, count in both.most_common():
        print(f"{count:6d}  {msg}")
    for k, msg in (failures + f2)[:20]:
        print("FAIL", k, msg)
