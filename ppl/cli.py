"""The ``pplc`` command line.

Exit status: 0 success, 1 a user error in the model or data (reported as
``file:line:col: error: ...``), 2 a usage error, 3 an internal error.
"""
from __future__ import annotations

import argparse
import sys

from ppl import __version__
from ppl.frontend.errors import PPLError, Source, UsageError, format_error


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write(f"pplc: error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="pplc", description="Compile and run models written in Stan's language.")
    p.add_argument("--version", action="version", version=f"pplc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser("check", help="check a model; list parameters, guards and changepoints")
    c.add_argument("model")
    c.add_argument("--data", help="CmdStan JSON data (shapes and guard instance counts need it)")

    comp = sub.add_parser("compile", help="show what the compiler made of a model")
    comp.add_argument("model")
    comp.add_argument("--emit", choices=["ast", "ir"], default="ir")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return 2
    sources: dict[str, Source] = {}
    try:
        if args.command == "check":
            return cmd_check(args, sources)
        if args.command == "compile":
            return cmd_compile(args, sources)
    except PPLError as e:
        _add_sources(e, sources)
        sys.stderr.write(format_error(e, sources) + "\n")
        return 1
    except UsageError as e:
        sys.stderr.write(f"pplc: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("pplc: interrupted\n")
        return 130
    except Exception as e:  # a bug in pplc, not the user's mistake
        import traceback
        sys.stderr.write("pplc: internal error: " + f"{type(e).__name__}: {e}\n"
                         "This is a bug in pplc; please report it with the model and data.\n")
        if _debug():
            traceback.print_exc()
        return 3
    return 0


def _add_sources(err: PPLError, sources: dict) -> None:
    """Read the files that errors point into (a data file, say) so their lines can be quoted."""
    for e in getattr(err, "errors", None) or [err]:
        path = e.span.path if e.span is not None and e.span.line > 0 else None
        if path is None or path in sources:
            continue
        try:
            with open(path, "rb") as fh:
                sources[path] = Source(fh.read(1 << 24).decode("utf-8", errors="replace"), path)
        except OSError:
            pass


def _debug() -> bool:
    import os
    return bool(os.environ.get("PPLC_DEBUG"))


def _load_model(path: str, sources: dict):
    from ppl.api import compile as compile_source
    from ppl.compiler import read_source
    text = read_source(path)
    sources[path] = Source(text, path)
    return compile_source(text, path)


def cmd_compile(args, sources) -> int:
    from ppl.frontend.parser import parse
    from ppl.ir.printer import ast_text, program_text
    model = _load_model(args.model, sources)
    if args.emit == "ast":
        print(ast_text(parse(model.source, model.path)))
    else:
        print(program_text(model.program))
    return 0


def cmd_check(args, sources) -> int:
    from ppl.reports import check_report
    model = _load_model(args.model, sources)
    bound = None
    if args.data:
        bound = model.bind(args.data)
        for name in bound.extra_data_names:
            sys.stderr.write(f"{args.data}: warning: '{name}' is not declared in the data block; ignored\n")
    print(check_report(model, bound))
    return 0


if __name__ == "__main__":
    sys.exit(main())
