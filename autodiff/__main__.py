"""The command line: `python -m autodiff export|explain|check PROGRAM_FILE` (`-`: stdin).

An edge like the web app: it turns arguments into calls of the engine and the drawing, and
their results or errors into files, text and exit codes.

    python -m autodiff export net.txt --format pdf -o steps.pdf
    echo "x = 2; y = x * x" | python -m autodiff explain -
    python -m autodiff check net.txt
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import build, gradient_check, i18n
from .errors import AutodiffError
from .i18n import _

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_PROGRAM, EXIT_REFUSED, EXIT_MISSING = 0, 1, 2, 3, 4, 5
"""0 done; 1 a gradient disagrees with finite differences; 2 bad arguments; 3 a mistake in
the program (message with line and column); 4 an export larger than the app makes, or one
out of time; 5 Graphviz or rsvg-convert is not installed."""

EXPORT_FORMATS = ("pdf", "pptx", "gif", "mp4", "zip", "html", "tex", "svg", "png")
PROGRESS_AFTER = 8
"""Exports of more frames than this show a progress bar (on a terminal)."""


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand in the language `--lang` names (else the environment's); the exit
    code."""
    argv = sys.argv[1:] if argv is None else argv
    with i18n.language(_asked_language(argv)):
        return _run(parser().parse_args(argv))


def _asked_language(argv: list[str]) -> str:
    """`--lang` if given (read before the parser, whose help it translates), else the first
    language of LANGUAGE, LC_ALL, LC_MESSAGES or LANG that has a catalogue."""
    for k, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang" and k + 1 < len(argv):
            return argv[k + 1]
    wanted = [os.environ.get(name, "") for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]
    return i18n.best_match(code for value in wanted for code in value.split(":") if code)


def _run(args: argparse.Namespace) -> int:
    try:
        return args.run(args, read(args.program))
    except AutodiffError as err:
        where = "" if err.line is None else f"{err.line}:{err.col}: "
        print(f"{args.program}:{where}" + _("error: {message}", message=err.message),
              file=sys.stderr)
        return EXIT_REFUSED if getattr(err, "status", 400) != 400 else EXIT_PROGRAM
    except OSError as err:
        print(_("error: {message}", message=err), file=sys.stderr)
        return EXIT_USAGE
    except ImportError as err:
        print(_("error: {message}", message=err), file=sys.stderr)
        return EXIT_MISSING


def read(name: str) -> str:
    """The program text of a file, or of standard input for `-`."""
    return sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")


def parser() -> argparse.ArgumentParser:
    """Every subcommand and option, with the help `--help` prints."""
    top = argparse.ArgumentParser(
        prog="python -m autodiff",
        description=_("Build a program's computation graph and step through its derivatives."),
        epilog=_("Exit codes: 0 done, 1 a gradient check failed, 2 bad arguments, 3 a mistake "
                 "in the program, 4 an export too large or out of time, 5 Graphviz or "
                 "rsvg-convert missing."))
    sub = top.add_subparsers(required=True, metavar="COMMAND")
    export = sub.add_parser("export", help=_("every step as PDF, PowerPoint, GIF, MP4, ZIP, "
                                             "HTML, TikZ, or one frame as SVG or PNG"))
    explain = sub.add_parser("explain", help=_("print the forward and backward programs"))
    check = sub.add_parser("check", help=_("compare each gradient with finite differences"))
    for command, run in ((export, run_export), (explain, run_explain), (check, run_check)):
        command.add_argument("program", metavar="PROGRAM_FILE",
                             help=_("the program; - reads stdin"))
        command.add_argument("--dtype", choices=("float64", "float32"), default="float64")
        command.add_argument("--forward", metavar="INPUT", help=_("forward mode for this input"))
        command.add_argument("--expand", metavar="OPS", default="",
                             help=_("sigmoid,tanh,softmax or all: drawn as their primitives"))
        command.add_argument("--lang", choices=i18n.LANGS,
                             help=_("the language of the texts (default: the environment's)"))
        command.set_defaults(run=run)
    _export_options(export)
    return top


def _export_options(export: argparse.ArgumentParser) -> None:
    add = export.add_argument
    add("--format", "-f", choices=EXPORT_FORMATS, default="pdf", help=_("default: pdf"))
    add("-o", "--output", metavar="OUT",
        help=_("file to write (default steps.FORMAT; - stdout)"))
    add("--from", dest="first", type=int, default=0, metavar="STEP", help=_("first step shown"))
    add("--to", dest="last", type=int, metavar="STEP",
        help=_("last step shown (default: the end)"))
    add("--step", type=int, metavar="K", help=_("svg/png: the step drawn (default: the last)"))
    add("--theme", default="classic",
        help=_("classic, dark, projector, colourblind or print (default classic)"))
    add("--direction", choices=("lr", "tb"), default="lr", help=_("left-right or top-bottom"))
    add("--edge-labels", action="store_true", help=_("local derivatives on the edges"))
    add("--no-caption", action="store_true", help=_("leave the step's explanation out"))
    add("--transparent", action="store_true", help=_("no background (svg, png, pptx, zip)"))
    add("--layout", choices=("slides", "handout"), default="slides",
        help=_("pdf: handout puts three steps a page"))
    add("--paper", choices=("a4", "letter"), default="a4", help=_("the handout's paper"))
    add("--delay", type=int, default=1000, metavar="MS", help=_("gif, mp4: milliseconds a step"))
    add("--scale", type=float, help=_("svg/png: size over the natural one (png default 2)"))


def run_export(args: argparse.Namespace, source: str) -> int:
    """Write the export to `--output`."""
    from .draw import GraphvizUnavailable, LayoutError, get_layout, theme_name
    from .draw.export import ExportOptions
    from .draw.export.rsvg import RendererMissing

    graph = build(source, dtype=args.dtype, forward=args.forward, expand=args.expand)
    try:
        theme = theme_name(args.theme)
    except ValueError as err:
        raise AutodiffError(str(err)) from None
    try:
        layout = get_layout(graph, args.edge_labels, direction=args.direction)
        chosen = ExportOptions(first=args.first, last=args.last, caption=not args.no_caption,
                               transparent=args.transparent, delay=args.delay,
                               layout=args.layout, paper=args.paper, theme=theme)
        data = _made(args, graph, layout, chosen)
    except RendererMissing as err:
        print(_("error: {message}", message=err), file=sys.stderr)
        return EXIT_MISSING
    except LayoutError as err:
        missing = isinstance(err, GraphvizUnavailable)
        print(_("error: {message}", message=err.message)
              + (" " + _("(install Graphviz: apt install graphviz)") if missing else ""),
              file=sys.stderr)
        return EXIT_MISSING if missing else EXIT_REFUSED
    out = args.output or f"steps.{args.format}"
    if out == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(out).write_bytes(data)
        print(_("wrote {file} ({size} bytes)", file=out, size=f"{len(data):,}"), file=sys.stderr)
    return EXIT_OK


def _made(args, graph, layout, chosen) -> bytes:
    """The export's bytes, with a progress bar on a long one."""
    from .draw import render_frame, render_png
    from .draw.decorate import Look, caption_text, decorate
    from .draw.export import steps_of
    from .draw.export.formats import make

    look = Look(caption=not args.no_caption, transparent=args.transparent, scale=args.scale)
    if args.format == "svg":
        svg = render_frame(layout, graph, args.step, chosen.theme)
        return decorate(svg, look, caption_text(graph, args.step)).encode("utf-8")
    if args.format == "png":
        return render_png(layout, graph, args.step, args.scale or 2.0, chosen.theme,
                          look=Look(caption=look.caption, transparent=look.transparent))
    count = len(steps_of(graph, chosen))
    if count <= PROGRESS_AFTER or args.format in ("html", "tex") or not sys.stderr.isatty():
        return make(args.format, graph, layout, chosen)
    from tqdm import tqdm

    with tqdm(total=count, unit="frame", desc=args.format, file=sys.stderr) as bar:
        return make(args.format, graph, layout, chosen, progress=bar.update)


def run_explain(args: argparse.Namespace, source: str) -> int:
    """Print the forward pass, then the backward pass, one step a line, then the gradients."""
    graph = build(source, dtype=args.dtype, forward=args.forward, expand=args.expand)
    phases = {"forward": _("Forward pass (values)"), "backward": _("Backward pass (gradients)")}
    shown = None
    for k, step in enumerate(graph.steps, start=1):
        if step.phase != shown:
            shown = step.phase
            print(("\n" if k > 1 else "") + phases[step.phase] + ":")
        print(f"{k:>4}  " + step.text.replace("\n", "\n      "))
    print("\n" + _("Gradients:"))
    for name, grad in graph.gradients.items():
        print(f"  d{_output_name(graph)}/d{name} = {_text(grad)}")
    return EXIT_OK


def run_check(args: argparse.Namespace, source: str) -> int:
    """Each input element's gradient beside central finite differences; 1 if one disagrees."""
    graph = build(source, dtype=args.dtype, forward=args.forward, expand=args.expand)
    rows, total = gradient_check(graph)
    heads = [_("input"), _("autodiff"), _("finite diff."), _("rel. error"), _("ok")]
    width = max([len(heads[0]), *(len(r.label) for r in rows)])
    print(f"{heads[0]:<{width}}  {heads[1]:>14}  {heads[2]:>14}  {heads[3]:>10}  {heads[4]}")
    yes, no = _("yes"), _("NO")
    for r in rows:
        print(f"{r.label:<{width}}  {r.autodiff:>14.8g}  {r.numeric:>14.8g}  "
              f"{r.rel_error:>10.2e}  {yes if r.ok else no}")
    if total > len(rows):
        print(_("({checked} of {total} input elements checked)", checked=len(rows), total=total))
    return EXIT_OK if all(r.ok for r in rows) else EXIT_CHECK_FAILED


def _output_name(graph) -> str:
    return graph.nodes[graph.output].name


def _text(a) -> str:
    from .format import value

    return value(a)


if __name__ == "__main__":
    sys.exit(main())
