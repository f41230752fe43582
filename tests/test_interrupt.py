"""Ctrl-C and the output directory: nothing half-written, nothing mixed, nothing lost.

* SIGINT during ``pplc infer`` stops the optimiser, writes the results so far marked
  partial (``# partial = true`` in the CSV files, ``"partial": true`` in fit.json and
  the manifest) and exits 130.
* The result files of a run form a set with one run id; a new run replaces the set as
  a whole (files an earlier run wrote and this one does not are removed), through
  temporary files and renames, with Ctrl-C held back while renaming.
* Bad command-line options are usage errors (exit 2) before any work is done.
"""
from __future__ import annotations

import csv
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import ppl
from ppl.infer.vi import VIWarning
from ppl.io import outputs
from ppl.io.outputs import MANIFEST, write_all

from conftest import EXAMPLES

EIGHT = os.path.join(EXAMPLES, "eight_schools-eight_schools_noncentered")
SIMPLE = "data { int N; vector[N] y; }\nparameters { real mu; real<lower=0> s; }\n" \
         "model { y ~ normal(mu, s); }\n"


def pplc_command() -> list[str]:
    """The installed ``pplc`` script of this interpreter's environment, else ``python -m ppl.cli``."""
    script = os.path.join(os.path.dirname(sys.executable), "pplc")
    try:
        with open(script, encoding="utf-8", errors="replace") as fh:
            if sys.executable in fh.readline():
                return [script]
    except OSError:
        pass
    return [sys.executable, "-m", "ppl.cli"]


def _sigint_default():
    signal.signal(signal.SIGINT, signal.SIG_DFL)    # even when the test runner ignores SIGINT


def read_draws(path):
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    comments = [l for l in lines if l.startswith("#")]
    rows = list(csv.reader([l for l in lines if not l.startswith("#")]))
    return comments, rows[0], np.array(rows[1:], dtype=float)


def run_ids(directory) -> set:
    ids = set()
    for line in open(os.path.join(directory, "draws.csv"), encoding="utf-8"):
        if line.startswith("# run_id = "):
            ids.add(line.split("=", 1)[1].strip())
    ids.add(json.load(open(os.path.join(directory, "fit.json")))["run_id"])
    ids.add(json.load(open(os.path.join(directory, MANIFEST)))["run_id"])
    return ids


# ---------------------------------------------------------------------------
# SIGINT during a real `pplc infer`
# ---------------------------------------------------------------------------
def test_sigint_during_infer_writes_partial_results(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.csv").write_text("from an earlier run\n")
    (out / MANIFEST).write_text(json.dumps({"run_id": "old", "files": ["stale.csv"]}))
    (out / "notes.txt").write_text("the user's own file\n")
    cmd = pplc_command() + ["infer", os.path.join(EIGHT, "model.ppl"), "--data", os.path.join(EIGHT, "data.json"),
                            "--output-dir", str(out), "--iter", "200000", "--tol-rel-obj", "0",
                            "--draws", "100", "--seed", "3"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_default)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(l) for l in proc.stderr], daemon=True)
    reader.start()
    seen = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:          # wait until it is iterating, not a blind sleep
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert proc.poll() is None, "pplc ended before iterating: " + "".join(seen)
                continue
            seen.append(line)
            if line.startswith("iteration "):
                break
        else:
            pytest.fail("no progress output within 120 s: " + "".join(seen))
        time.sleep(0.3)                              # a few more iterations
        proc.send_signal(signal.SIGINT)
        stdout = proc.stdout.read()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    while not lines.empty():
        seen.append(lines.get())
    stderr = "".join(seen)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert "interrupted (Ctrl-C) after" in stderr
    assert stdout.startswith("PARTIAL RESULTS: interrupted after ") and "theta_trans.1" in stdout

    # the set: exactly the new files (the stale one removed, the user's file kept), no temporaries
    assert sorted(os.listdir(out)) == sorted(["draws.csv", "summary.csv", "fit.json", MANIFEST, "notes.txt"])
    comments, header, draws = read_draws(out / "draws.csv")
    assert any(c.startswith("# partial = true") for c in comments)
    assert header[:3] == ["lp__", "log_p__", "log_g__"] and "mu" in header and "tau" in header
    assert draws.shape == (100, len(header)) and np.all(np.isfinite(draws[:, 3:]))
    with open(out / "summary.csv", encoding="utf-8") as fh:
        summary = fh.read().splitlines()
    assert summary[0].startswith("# partial = true")
    table = list(csv.DictReader([l for l in summary if not l.startswith("#")]))
    mu = next(r for r in table if r["name"] == "mu")
    assert float(mu["mean"]) == pytest.approx(draws[:, header.index("mu")].mean(), rel=1e-9, abs=1e-12)
    doc = json.load(open(out / "fit.json"))
    assert doc["partial"] is True and doc["diagnostics"]["partial"] is True
    assert 1 <= doc["diagnostics"]["iterations"] < 200000 and not doc["diagnostics"]["converged"]
    manifest = json.load(open(out / MANIFEST))
    assert manifest["partial"] is True and manifest["files"] == ["draws.csv", "fit.json", "summary.csv"]
    assert len(run_ids(out)) == 1 and run_ids(out) != {"old"}


# ---------------------------------------------------------------------------
# the result set
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fits():
    model = ppl.compile(SIMPLE, path="simple.ppl")
    data = {"N": 3, "y": [0.1, -0.4, 1.2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = model.infer(data, iter=60, draws=40, seed=1)
        stop = {"at": 25}

        def interrupt(it, elbo, phi):
            if it == stop["at"]:
                raise KeyboardInterrupt
        partial = model.infer(data, iter=1000, draws=40, seed=2, callback=interrupt)
    return full, partial


def test_interrupted_api_fit_is_partial(fits):
    full, partial = fits
    assert partial.diagnostics["partial"] is True and full.diagnostics["partial"] is False
    assert partial.diagnostics["iterations"] == 25           # the step before the callback counts
    assert np.all(np.isfinite(partial.matrix))


def test_interrupt_warns(tmp_path):
    model = ppl.compile(SIMPLE, path="simple.ppl")

    def interrupt(it, elbo, phi):
        if it == 5:
            raise KeyboardInterrupt
    with pytest.warns(VIWarning, match=r"interrupted after 5 of 100 iterations: the fit is partial"):
        model.infer({"N": 1, "y": [0.0]}, iter=100, draws=10, callback=interrupt)


def test_new_run_replaces_the_whole_set(tmp_path, fits):
    full, partial = fits
    out = str(tmp_path)
    first = write_all(partial, out, "simple.ppl", None)
    assert run_ids(out) == {first}
    # an earlier version of the set had another file; the user keeps a file of their own here
    manifest = json.load(open(os.path.join(out, MANIFEST)))
    manifest["files"].append("tau_marginals.csv")
    with open(os.path.join(out, MANIFEST), "w") as fh:
        json.dump(manifest, fh)
    (tmp_path / "tau_marginals.csv").write_text("old\n")
    (tmp_path / "my_notes.txt").write_text("mine\n")
    second = write_all(full, out, "simple.ppl", None)
    assert second != first
    assert sorted(os.listdir(out)) == sorted(["draws.csv", "summary.csv", "fit.json", MANIFEST, "my_notes.txt"])
    assert run_ids(out) == {second}
    # the complete run is not marked partial anywhere, and its summary is a plain CSV table
    comments, _, _ = read_draws(tmp_path / "draws.csv")
    assert not any("partial" in c for c in comments)
    assert open(tmp_path / "summary.csv").readline().startswith("name,mean,sd")
    assert json.load(open(tmp_path / "fit.json"))["partial"] is False
    assert json.load(open(tmp_path / MANIFEST))["partial"] is False


def test_manifest_cannot_point_outside_the_directory(tmp_path, fits):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep\n")
    (out / MANIFEST).write_text(json.dumps({"files": ["../precious.txt", "/etc/hostname", ".."]}))
    write_all(fits[0], str(out), "simple.ppl", None)
    assert victim.read_text() == "keep\n"


def test_interrupt_while_staging_keeps_the_old_set(tmp_path, fits, monkeypatch):
    out = str(tmp_path)
    old = write_all(fits[0], out, "simple.ppl", None)
    before = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
    real_stage = outputs._stage
    calls = []

    def stage(directory, name, text):
        calls.append(name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_stage(directory, name, text)
    monkeypatch.setattr(outputs, "_stage", stage)
    with pytest.raises(KeyboardInterrupt):
        write_all(fits[1], out, "simple.ppl", None)
    after = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
    assert after == before and run_ids(out) == {old}          # untouched, no temporaries left


@pytest.fixture
def python_sigint_handler():
    """Python's own SIGINT handler (KeyboardInterrupt), whatever the test runner installed."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_sigint_while_renaming_is_held_back(tmp_path, fits, monkeypatch, python_sigint_handler):
    out = str(tmp_path)
    write_all(fits[1], out, "simple.ppl", None)
    real_replace = os.replace
    sent = []

    def replace(src, dst):
        if not sent:
            sent.append(True)
            signal.raise_signal(signal.SIGINT)    # Ctrl-C mid-renames (to this thread: another may hold no handler)
            time.sleep(0.05)
        return real_replace(src, dst)
    monkeypatch.setattr(outputs.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_all(fits[0], out, "simple.ppl", None)
    monkeypatch.undo()
    assert sent
    ids = run_ids(out)
    assert len(ids) == 1                                      # the set is complete and consistent
    assert json.load(open(os.path.join(out, "fit.json")))["partial"] is False
    assert not [n for n in os.listdir(out) if n.startswith(".tmp")]


# ---------------------------------------------------------------------------
# usage errors: exit 2 before any work
# ---------------------------------------------------------------------------
BAD_OPTIONS = [
    (["--iter", "0"], "--iter must be at least 1"),
    (["--draws", "-5"], "--draws must be at least 1"),
    (["--lr", "-1"], "--lr must be a positive number, not -1"),
    (["--lr", "nan"], "--lr must be a positive number, not nan"),
    (["--lr", "inf"], "--lr must be a positive number, not inf"),
    (["--tol-rel-obj", "-0.1"], "--tol-rel-obj must be a non-negative number"),
    (["--seed", "-1"], "--seed must be between 0 and 2^63 - 1"),
    (["--surfaces-per-step", "-2"], "--surfaces-per-step must be 0 (all) or more"),
    (["--iter", "ten"], "argument --iter: invalid int value: 'ten'"),
    (["--estimator", "magic"], "argument --estimator: invalid choice: 'magic'"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["--output-dir", "model.ppl"], "--output-dir 'model.ppl' exists and is not a directory"),
]


@pytest.mark.parametrize("args, message", BAD_OPTIONS, ids=lambda x: " ".join(x) if isinstance(x, list) else "")
def test_bad_options_are_usage_errors(tmp_path, monkeypatch, capsys, args, message):
    """In-process through ppl.cli.main (the exit code is the same), before any work is done."""
    from ppl.cli import main
    (tmp_path / "model.ppl").write_text(SIMPLE)
    (tmp_path / "d.json").write_text('{"N": 1, "y": [0.0]}')
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["infer", "model.ppl", "--data", "d.json", *args])
    except SystemExit as e:                       # argparse's own errors
        code = e.code
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == "" and not (tmp_path / "output").exists()


@pytest.mark.parametrize("args", [BAD_OPTIONS[2][0], BAD_OPTIONS[10][0]], ids=["lr", "unknown flag"])
def test_bad_options_exit_2_from_the_command(tmp_path, args):
    (tmp_path / "model.ppl").write_text(SIMPLE)
    proc = subprocess.run(pplc_command() + ["infer", "model.ppl", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("pplc: error: ")


# ---------------------------------------------------------------------------
# a reader that goes away (`pplc infer ... | head`) does not cost the results
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["stdout", "stdout and stderr"])
def test_closed_pipe_does_not_lose_the_results(tmp_path, which):
    (tmp_path / "model.ppl").write_text(SIMPLE)
    (tmp_path / "d.json").write_text('{"N": 2, "y": [0.0, 1.0]}')
    r, w = os.pipe()
    os.close(r)                                     # the reader has already gone
    try:
        proc = subprocess.run(pplc_command() + ["infer", "model.ppl", "--data", "d.json", "--iter", "50",
                                                "--draws", "30"],
                              cwd=tmp_path, stdout=w, stderr=w if which != "stdout" else subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(w)
    assert proc.returncode == 0
    if which == "stdout":
        assert "Traceback" not in proc.stderr and "Error" not in proc.stderr, proc.stderr
    doc = json.load(open(tmp_path / "output" / "fit.json"))
    assert doc["partial"] is False and doc["diagnostics"]["iterations"] >= 1
    assert read_draws(tmp_path / "output" / "draws.csv")[2].shape[0] == 30
