"""The Lark parser of grammar/ppl.lark (LALR, contextual lexer), built once.

Building the LALR tables takes most of a second, so they are kept in pplc's
cache directory, one file per grammar text: Lark checks the hash of the
grammar, its options and its own version stored in the file and rebuilds the
tables (rewriting the file) when anything differs or the file is unreadable.
Without a usable cache directory the tables are built in memory."""
from __future__ import annotations

import functools
import hashlib
import os
from importlib import resources

import lark

from ppl.cachedir import cache_dir


@functools.lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    text = resources.files("ppl.grammar").joinpath("ppl.lark").read_text(encoding="utf-8")
    try:
        key = hashlib.sha256(text.encode()).hexdigest()[:24]
        cache = os.path.join(cache_dir(), f"grammar_{key}.lark")
    except OSError:
        cache = False
    return lark.Lark(text, parser="lalr", lexer="contextual", propagate_positions=True,
                     maybe_placeholders=True, cache=cache)
