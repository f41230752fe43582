"""The parser's LALR tables are kept in pplc's cache directory: a parser loaded
from the file parses as a freshly built one, a damaged file is rebuilt, and a
cache directory that cannot be created only costs the build."""
import os

from conftest import EXAMPLES

from ppl.frontend import grammar


def _text():
    with open(os.path.join(EXAMPLES, "diamonds-diamonds", "model.ppl")) as fh:
        return fh.read()


def test_cached_tables_parse_as_fresh_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("PPLC_CACHE_DIR", str(tmp_path))
    text = _text()
    fresh = grammar._lark.__wrapped__()
    (entry,) = tmp_path.glob("grammar_*.lark")
    assert grammar._lark.__wrapped__().parse(text) == fresh.parse(text)
    entry.write_bytes(b"not a pickle")
    assert grammar._lark.__wrapped__().parse(text) == fresh.parse(text)
    assert entry.read_bytes() != b"not a pickle"


def test_no_cache_directory(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PPLC_CACHE_DIR", str(blocker / "pplc"))
    text = _text()
    assert grammar._lark.__wrapped__().parse(text).children
