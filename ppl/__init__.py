"""pplc: a compiled probabilistic programming language (Stan's language)."""
__version__ = "0.1.0"

from ppl.api import BoundModel, Model, compile, compile_file  # noqa: E402,F401
from ppl.frontend.errors import PPLError  # noqa: E402,F401
