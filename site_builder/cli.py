"""The command line: ``site-builder build | check | schema``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import __version__, schema
from .build import compile_site
from .diagnostics import Diagnostics
from .writer import OutputError, write_site


def _print_diagnostics(diags: Diagnostics, stream=None) -> None:
    stream = stream or sys.stderr
    for d in diags.sorted():
        print(d.format(), file=stream)


def cmd_check(args) -> int:
    root = Path(args.root)
    result = compile_site(root, strict=args.strict, render_output=False)
    _print_diagnostics(result.diagnostics)
    failed = result.diagnostics.has_errors(args.strict)
    print(f"check: {result.diagnostics.summary()}" + (" (warnings count as errors with --strict)" if args.strict and result.diagnostics.warnings else ""),
          file=sys.stderr)
    return 1 if failed else 0


def cmd_build(args) -> int:
    root = Path(args.root)
    out = Path(args.out) if args.out else root / "output"
    started = time.perf_counter()
    result = compile_site(root, strict=args.strict)
    _print_diagnostics(result.diagnostics)
    if not result.ok:
        print(f"build failed: {result.diagnostics.summary()}; {out} was left unchanged", file=sys.stderr)
        return 1
    try:
        write_site(root, out, result.files)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {out}: {exc}", file=sys.stderr)
        return 2
    elapsed = (time.perf_counter() - started) * 1000
    pages = sum(1 for p in result.files if p.path.endswith(".html"))
    print(f"built {pages} pages into {out} in {elapsed:.0f} ms ({result.diagnostics.summary()}); "
          f"open {out / 'index.html'}", file=sys.stderr)
    return 0


def cmd_schema(args) -> int:
    kinds = sorted(schema.KINDS)
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        for kind in kinds:
            (folder / f"{kind}.schema.json").write_text(json.dumps(schema.json_schema(kind), indent=2, ensure_ascii=False) + "\n",
                                                        encoding="utf-8")
        print(f"wrote {len(kinds)} schemas into {folder}", file=sys.stderr)
        return 0
    if args.kind not in schema.KINDS:
        print(f"error: unknown kind '{args.kind}'; one of: {', '.join(kinds)}", file=sys.stderr)
        return 2
    print(json.dumps(schema.json_schema(args.kind), indent=2, ensure_ascii=False))
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="site-builder",
        description="Build a cross-linked static site from an annotated briefing "
                    "(Markdown documents, YAML annotations and a YAML glossary).",
    )
    parser.add_argument("--version", action="version", version=f"site-builder {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def root_arg(p):
        p.add_argument("--root", default=".", metavar="DIR",
                       help="the briefing project (the folder holding content/); default: the current folder")

    p = sub.add_parser("build", help="check the content and build the site",
                       description="Check the content and build the site into --out. On any error nothing in the "
                                   "output folder changes; the new site is swapped in whole.")
    root_arg(p)
    p.add_argument("--out", metavar="DIR", help="output folder; default: output/ in the project")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", help="report every problem in the content, build nothing",
                       description="Report every problem in the content as path:line:col: severity: message [code]. "
                                   "Exit status 1 if there are errors.")
    root_arg(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("schema", help="print or write the JSON Schemas of the YAML formats",
                       description="Print the JSON Schema of one content kind, or write all of them with --out.")
    p.add_argument("kind", nargs="?", default="annotations", help=f"one of: {', '.join(sorted(schema.KINDS))}")
    p.add_argument("--out", metavar="DIR", help="write every schema into DIR")
    p.set_defaults(func=cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
