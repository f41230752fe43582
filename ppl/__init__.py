"""pplc: a compiled probabilistic programming language (Stan's language)."""
__version__ = "0.1.0"
