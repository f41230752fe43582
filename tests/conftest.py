import os
import sys

# tests/oracles.py is a plain helper module next to the tests
sys.path.insert(0, os.path.dirname(__file__))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))

# Tests of the language's semantics run on the reference (numpy) backend, which
# needs no compile step; the native backend is tested against it explicitly
# (tests/test_native.py passes backend="numba").
os.environ.setdefault("PPLC_BACKEND", "numpy")
