"""The Lark parser of grammar/ppl.lark (LALR, contextual lexer), built once."""
from __future__ import annotations

import functools
from importlib import resources

import lark


@functools.lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    text = resources.files("ppl.grammar").joinpath("ppl.lark").read_text(encoding="utf-8")
    return lark.Lark(text, parser="lalr", lexer="contextual", propagate_positions=True,
                     maybe_placeholders=True, cache=False)
