"""Every Python package directory of the repository is installed by `pip install .`."""
import os
import tomllib

from conftest import ROOT

MAPPING = {"ppl": "ppl", "backends": "ppl.backends", "stdlib": "ppl.stdlib", "grammar": "ppl.grammar"}


def test_all_packages_listed():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        listed = set(tomllib.load(fh)["tool"]["setuptools"]["packages"])
    found = set()
    for top, name in MAPPING.items():
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            if "__init__.py" in filenames:
                rel = os.path.relpath(dirpath, os.path.join(ROOT, top))
                found.add(name if rel == "." else name + "." + rel.replace(os.sep, "."))
    assert found <= listed, f"not installed by pip install .: {sorted(found - listed)}"


def test_grammar_is_package_data():
    import ppl.grammar
    from importlib import resources
    assert resources.files("ppl.grammar").joinpath("ppl.lark").is_file()
