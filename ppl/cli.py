"""The ``pplc`` command line.

Exit status: 0 success, 1 a user error in the model or data or numerical
trouble (reported as ``file:line:col: error: ...``), 2 a usage error, 3 an
internal error, 130 interrupted by Ctrl-C (``infer`` then writes the results so
far, marked partial).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

from ppl import __version__
from ppl.frontend.errors import PPLError, Source, Span, UsageError, format_error


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

    inf = sub.add_parser("infer", help="fit a model by variational inference")
    inf.add_argument("model")
    inf.add_argument("--data", help="CmdStan JSON data")
    inf.add_argument("--output-dir", default="output", help="where draws.csv, summary.csv, fit.json go")
    inf.add_argument("--seed", type=int, default=0)
    inf.add_argument("--iter", type=int, default=10000, help="maximum optimisation steps")
    inf.add_argument("--samples", type=int, default=16, help="draws per gradient estimate")
    inf.add_argument("--estimator", choices=["auto", "reparam", "score", "boundary"], default="auto")
    inf.add_argument("--guide", choices=["meanfield", "fullrank", "mixture"], default="meanfield")
    inf.add_argument("--components", type=int, default=3,
                     help="Gaussians in the mixture guide (--guide mixture)")
    inf.add_argument("--draws", type=int, default=1000, help="draws from the fitted guide")
    inf.add_argument("--lr", type=float, default=0.1, help="Adam step size")
    inf.add_argument("--surfaces-per-step", type=int, default=0,
                     help="guard surfaces visited per step by the boundary estimator (0: all)")
    inf.add_argument("--tol-rel-obj", type=float, default=0.01,
                     help="stop when the relative ELBO change falls below this (as Stan)")
    inf.add_argument("--backend", choices=["numba", "numpy"], default=None,
                     help="numba: native code, cached (default); numpy: the reference interpreter")
    inf.add_argument("--psis-resample", action="store_true",
                     help="resample the output draws by Pareto-smoothed importance weights (as Pathfinder)")

    comp = sub.add_parser("compile", help="show what the compiler made of a model")
    comp.add_argument("model")
    comp.add_argument("--emit", choices=["ast", "ir", "python", "llvm", "asm"], default="ir",
                      help="python/llvm/asm: the native backend's generated module (needs --data)")
    comp.add_argument("--data", help="CmdStan JSON data (the native module is specialised to its sizes)")
    return p


class _PipeSafe:
    """A stream that goes quiet when its reader has gone (``pplc infer | head``): the run still
    finishes and writes its files instead of dying of BrokenPipeError."""

    def __init__(self, stream):
        self._stream = stream
        self._broken = False

    def write(self, text):
        if not self._broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self):
        if not self._broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self):
        self._broken = True
        try:          # so that the interpreter's final flush does not complain either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv=None) -> int:
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _PipeSafe(stdout), _PipeSafe(stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _main(argv=None) -> int:
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
        if args.command == "infer":
            return cmd_infer(args, sources)
    except PPLError as e:
        _add_sources(e, sources)
        _locate_in_model(e, getattr(args, "model", None))
        sys.stderr.write(format_error(e, sources) + "\n")
        return 1
    except UsageError as e:
        sys.stderr.write(f"pplc: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("pplc: interrupted\n")
        return 130
    except MemoryError:
        sys.stderr.write(f"{getattr(args, 'model', 'pplc')}: error: out of memory: the model or its data "
                         "is too large for this machine (for 'infer', fewer --draws or --samples may help)\n")
        return 1
    except RecursionError:
        sys.stderr.write(f"{getattr(args, 'model', 'pplc')}: error: the model is nested too deeply to "
                         "evaluate (an expression or loop nest thousands of levels deep)\n")
        return 1
    except Exception as e:  # a bug in pplc, not the user's mistake
        import traceback
        sys.stderr.write("pplc: internal error: " + f"{type(e).__name__}: {e}\n"
                         "This is a bug in pplc; please report it with the model and data.\n")
        if _debug():
            traceback.print_exc()
        return 3
    return 0


def _locate_in_model(err: PPLError, model_path) -> None:
    """An error with no location at all (numerical trouble, say) is reported against the model file."""
    from ppl.frontend.errors import Span
    for e in getattr(err, "errors", None) or [err]:
        if e.span is None and model_path:
            e.span = Span(0, 0, path=model_path)


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


def cmd_infer(args, sources) -> int:
    _check_infer_options(args)
    model = _load_model(args.model, sources)
    bound = model.bind(args.data, backend=args.backend)
    if bound.backend_note:
        sys.stderr.write(f"pplc: note: {bound.backend_note}\n")
    if args.data:
        _register_data_source(args.data, sources)
        for name in bound.extra_data_names:
            sys.stderr.write(f"{args.data}: warning: '{name}' is not declared in the data block; ignored\n")
    if bound.param_unc_num() == 0:
        if not model.source.strip():
            raise PPLError("the file is empty: a valid program with no parameters, so there is nothing "
                           "to infer", _first_line_span(args.model))
        raise PPLError("the model has no continuous parameters: there is nothing to infer",
                       _first_line_span(args.model))
    created = _prepare_output_dir(args.output_dir)
    try:
        return _run_infer(args, bound)
    except BaseException:
        if created:                     # leave no empty directory behind a failed run
            import os
            try:
                os.rmdir(args.output_dir)
            except OSError:
                pass
        raise


def _run_infer(args, bound) -> int:
    import warnings

    from ppl.infer.vi import infer
    from ppl.io.outputs import write_all
    progress = Progress(args.iter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = infer(bound, estimator=args.estimator, guide=args.guide, iter=args.iter,
                    samples=args.samples, seed=args.seed, draws=args.draws, lr=args.lr,
                    tol_rel_obj=args.tol_rel_obj, surfaces_per_step=args.surfaces_per_step,
                    psis_resample=args.psis_resample, components=args.components,
                    callback=progress)
    progress.close(fit)
    for w in caught:
        sys.stderr.write(f"{args.model}: warning: {w.message}\n")
    partial = bool(fit.diagnostics.get("partial"))
    if partial:
        print(f"PARTIAL RESULTS: interrupted after {fit.diagnostics.get('iterations')} of {args.iter} "
              "iterations")
    print(fit.summary_text())
    try:
        write_all(fit, args.output_dir, args.model, args.data)
    except OSError as e:
        raise PPLError(f"cannot write the results to '{args.output_dir}': {e.strerror or e}",
                       Span(0, 0, path=args.output_dir)) from None
    print(f"wrote {args.output_dir}/draws.csv, summary.csv, fit.json" + (" (marked partial)" if partial else ""))
    return 130 if partial else 0


def _check_infer_options(args):
    import math
    for name in ("iter", "samples", "draws", "components"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be at least 1")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be a positive number, not {args.lr:g}")
    if not (math.isfinite(args.tol_rel_obj) and args.tol_rel_obj >= 0):
        raise UsageError(f"--tol-rel-obj must be a non-negative number, not {args.tol_rel_obj:g}")
    if args.seed < 0 or args.seed >= 2 ** 63:
        raise UsageError(f"--seed must be between 0 and 2^63 - 1, not {args.seed}")
    if args.surfaces_per_step < 0:
        raise UsageError("--surfaces-per-step must be 0 (all) or more")


def _prepare_output_dir(path: str) -> bool:
    """Fail before a long run, not after it, when the results could not be written.
    Returns True when the directory was created here."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--output-dir '{path}' exists and is not a directory")
    created = not os.path.exists(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise PPLError(f"cannot create the output directory: {e.strerror or e}", Span(0, 0, path=path)) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise PPLError("the output directory is not writable", Span(0, 0, path=path))
    return created


def _register_data_source(path, sources):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            sources[path] = Source(fh.read(), path)
    except OSError:
        pass


def _first_line_span(path):
    from ppl.frontend.errors import Span
    return Span(1, 1, 1, 2, path)


class Progress:
    """A progress bar with the ELBO on a terminal; plain periodic lines otherwise."""

    def __init__(self, total: int, stream=None):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = max(1, total // 20)
        import time
        self.start = self.last_line = time.perf_counter()

    def __call__(self, it: int, elbo: float, phi):
        if self.tty and (it % max(1, self.total // 200) == 0 or it == self.total):
            frac = it / self.total
            bar = "#" * int(30 * frac)
            self.stream.write(f"\r[{bar:<30s}] {it}/{self.total}  ELBO {elbo:.4g}")
            self.stream.flush()
        elif not self.tty and (it % self.every == 0 or it == 1 or self._due()):
            # the first iteration at once (the run has started), then every 5% or 10 s
            self.stream.write(f"iteration {it}/{self.total}  ELBO {elbo:.6g}\n")
            self.stream.flush()

    def _due(self) -> bool:
        import time
        now = time.perf_counter()
        if now - self.last_line >= 10.0:
            self.last_line = now
            return True
        return False

    def close(self, fit):
        import time
        if self.tty:
            self.stream.write("\n")
        d = fit.diagnostics
        state = "converged" if d.get("converged") else "stopped at the iteration cap"
        if d.get("partial"):
            state = "interrupted (Ctrl-C)"
        self.stream.write(f"{state} after {d.get('iterations')} iterations "
                          f"({time.perf_counter() - self.start:.1f} s)\n")


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
    elif args.emit == "ir":
        print(program_text(model.program))
    else:
        if not args.data:
            raise UsageError(f"--emit {args.emit} needs --data (sizes are compiled into the native module)")
        saved = os.environ.get("PPLC_CACHE_DIR")
        if args.emit in ("llvm", "asm"):
            # Numba keeps the machine code, not the LLVM IR: a cache hit would have none to
            # show, so the module is compiled afresh in a cache of its own
            os.environ["PPLC_CACHE_DIR"] = tempfile.mkdtemp(prefix="pplc-emit-")
        try:
            bound = model.bind(args.data, backend="numba")
        finally:
            if saved is None:
                os.environ.pop("PPLC_CACHE_DIR", None)
            else:
                os.environ["PPLC_CACHE_DIR"] = saved
        if bound.backend != "numba":
            raise UsageError(bound.backend_note)
        native = bound._native
        if args.emit == "python":
            print(native.source)
        else:
            fn = native.module.gradient_one
            for sig in fn.signatures:
                print(fn.inspect_llvm(sig) if args.emit == "llvm" else fn.inspect_asm(sig))
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
