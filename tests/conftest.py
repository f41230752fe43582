import os
import signal
import sys
import threading
import warnings

import pytest

# tests/oracles.py is a plain helper module next to the tests
sys.path.insert(0, os.path.dirname(__file__))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))

# Tests of the language's semantics run on the reference (numpy) backend, which
# needs no compile step; the native backend is tested against it explicitly
# (tests/test_native.py passes backend="numba").
os.environ.setdefault("PPLC_BACKEND", "numpy")


@pytest.fixture(scope="session")
def native_cache_dir(tmp_path_factory):
    """A private PPLC_CACHE_DIR for the native backend's tests, shared by their modules so
    that a model compiled by one is a cache hit in the next (and nothing comes from an
    earlier run)."""
    return str(tmp_path_factory.mktemp("pplc-cache"))


@pytest.fixture(scope="module")
def in_native_cache_dir(native_cache_dir):
    """PPLC_CACHE_DIR set to native_cache_dir for a module's tests (``pytestmark``)."""
    old = os.environ.get("PPLC_CACHE_DIR")
    os.environ["PPLC_CACHE_DIR"] = native_cache_dir
    yield
    if old is None:
        os.environ.pop("PPLC_CACHE_DIR", None)
    else:
        os.environ["PPLC_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _sigint_handler_restored(request):
    """Each test starts with the SIGINT handler the session had: the interrupt tests rely on
    Python's default one.  A test that leaves another behind is named in a warning."""
    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    if after is not before and threading.current_thread() is threading.main_thread():
        warnings.warn(f"{request.node.nodeid} left the SIGINT handler {after!r} (restored)")
        signal.signal(signal.SIGINT, before)
