"""scipy.special for the reference backend and the stdlib tables, imported on the first
call of one of its functions: the import costs about 0.33 s, two thirds of a warm
start's budget (issue 6), and a warm start that computes its gradients through the
stored object code (backends/numba/object_loader.py) calls none of them.  Depends on
nothing in pplc."""
from __future__ import annotations

import importlib
import sys


class LazyFunctions:
    """``module.f`` for a module imported when ``f`` is first called."""

    def __init__(self, module: str):
        self._module = module

    def __getattr__(self, name: str):
        module = sys.modules.get(self._module)
        if module is not None:          # imported: the function itself, from now on
            function = getattr(module, name)
            setattr(self, name, function)
            return function
        module_name = self._module

        def call(*args, **kwargs):
            return getattr(importlib.import_module(module_name), name)(*args, **kwargs)
        call.__name__ = call.__qualname__ = name
        return call


special = LazyFunctions("scipy.special")
