"""The command line: ``site-builder build | check | serve | schema | anchors | report | ...``."""

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
        hint = " (warnings count as errors with --strict)" if args.strict and not result.diagnostics.errors else ""
        print(f"build failed: {result.diagnostics.summary()}{hint}; {out} was left unchanged", file=sys.stderr)
        return 1
    try:
        write_site(root, out, result.files)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {out}: {exc}", file=sys.stderr)
        return 2
    _save_anchor_state(root, result.anchor_state)
    elapsed = (time.perf_counter() - started) * 1000
    pages = sum(1 for p in result.files if p.path.endswith(".html"))
    print(f"built {pages} pages into {out} in {elapsed:.0f} ms ({result.diagnostics.summary()}); "
          f"open {out / 'index.html'}", file=sys.stderr)
    return 0


def _save_anchor_state(root: Path, state) -> None:
    from . import anchorstate
    if state is None:
        return
    try:
        anchorstate.save(root, state)
    except OSError as exc:  # the site is built; only the record of good anchorings could not be kept
        print(f"warning: cannot write {anchorstate.path_of(root)}: {exc}", file=sys.stderr)


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


def cmd_init(args) -> int:
    from . import scaffold
    target = Path(args.dir)
    try:
        created = scaffold.init(target, title=args.title or "", base_url=args.base_url or "", cname=args.cname or "")
    except scaffold.ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write into {target}: {exc}", file=sys.stderr)
        return 2
    for rel in created.files:
        print(f"  created {target / rel}", file=sys.stderr)
    print(f"initialised a briefing project in {target}. Next:\n"
          f"  site-builder check --root {target}\n"
          f"  site-builder build --root {target}    (then open {target / 'output' / 'index.html'})\n"
          "  publish: push to GitHub and set Settings > Pages > Source to 'GitHub Actions'", file=sys.stderr)
    return 0


def _write_atomic(path: Path, data: bytes) -> None:
    import os
    import tempfile
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cmd_export(args) -> int:
    from . import exports, loader, publish
    if not args.single_file and not args.zip:
        print("error: say what to export: --single-file FILE.html and/or --zip FILE.zip", file=sys.stderr)
        return 2
    root = Path(args.root)
    targets = [Path(t) for t in (args.single_file, args.zip) if t]
    for t in targets:
        if t.resolve().is_relative_to((root / "content").resolve()):
            print(f"error: {t} is inside content/; write exports elsewhere", file=sys.stderr)
            return 2
    result = compile_site(root, strict=args.strict)
    _print_diagnostics(result.diagnostics)
    if not result.ok:
        print(f"export failed: {result.diagnostics.summary()}; nothing was written", file=sys.stderr)
        return 1
    site = loader.load_site(root, Diagnostics())
    base = publish.base_url(site) if site is not None else ""
    title = site.title if site is not None else ""
    try:
        if args.single_file:
            data = exports.single_file(result.files, base_url=base)
            _write_atomic(Path(args.single_file), data)
            print(f"wrote {args.single_file} ({len(data) / 1024:.0f} KB): the whole briefing in one file; "
                  "open it in any browser, no other files needed", file=sys.stderr)
        if args.zip:
            data = exports.zip_site(result.files, folder=Path(args.zip).stem, title=title)
            _write_atomic(Path(args.zip), data)
            print(f"wrote {args.zip} ({len(data) / 1024:.0f} KB): unpack it anywhere and open "
                  f"{Path(args.zip).stem}/index.html", file=sys.stderr)
    except OSError as exc:
        print(f"error: cannot write the export: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_import_annotations(args) -> int:
    from . import webannotation
    root = Path(args.root)
    try:
        data = webannotation.load_import_file(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    except webannotation.ImportFormatError as exc:
        print(f"{args.file}: error: {exc} [import-format]", file=sys.stderr)
        return 1
    res = webannotation.import_annotations(root, args.document, data, replace=args.replace,
                                           skip_invalid=args.skip_invalid, dry_run=args.dry_run,
                                           source_name=str(args.file))
    for d in res.diagnostics:
        print(d.format(), file=sys.stderr)
    rel = f"content/annotations/{args.document}.yml"
    counts = (f"{len(res.added)} added, {len(res.replaced)} replaced, {len(res.unchanged)} already there, "
              f"{len(res.skipped)} skipped")
    if res.errors and not args.skip_invalid:
        print(f"import-annotations: {res.format or 'import'}: {len(res.errors)} error(s); nothing was written "
              f"to {rel}" + (f" (--skip-invalid imports the {res.importable} without errors)" if res.importable else ""),
              file=sys.stderr)
        return 1
    if args.dry_run:
        sys.stdout.write(res.text)
        print(f"import-annotations: {res.format}: {counts}; dry run, {rel} unchanged", file=sys.stderr)
        return 0
    done = f"wrote {rel}" if res.written else f"{rel} unchanged"
    print(f"import-annotations: {res.format}: {counts}; {done}", file=sys.stderr)
    return 0


def cmd_anchors(args) -> int:
    from . import anchors
    root = Path(args.root)
    result = compile_site(root, render_output=False)
    if not result.ok:
        _print_diagnostics(result.diagnostics)
        print(f"anchors: {result.diagnostics.summary()}; fix the errors first", file=sys.stderr)
        return 1
    if not (args.update or args.dry_run):
        rs = anchors.rows(result.analyses)
        if args.format == "json":
            print(json.dumps(anchors.as_json(rs), indent=2, ensure_ascii=False))
        else:
            sys.stdout.write(anchors.format_text(rs))
        return 0
    try:
        res = anchors.update(root, result.analyses, result.content.annotation_files, dry_run=args.dry_run)
    except OSError as exc:
        print(f"error: cannot update the annotation files: {exc}", file=sys.stderr)
        return 2
    for err in res.errors:
        print(f"error: {err}", file=sys.stderr)
    if res.errors:
        print("anchors: nothing was written", file=sys.stderr)
        return 1
    for c in res.changes:
        print(anchors.describe(c))
    orphans = [r for r in anchors.rows(result.analyses) if r.state == anchors.ORPHANED]
    for r in orphans:
        print(f'{r.file}:{r.line}: {r.id} (orphaned): left as it is; quote the passage it belongs to now: "{r.quote}"')
    files = len(res.files)
    verb = "would update" if args.dry_run else "updated"
    print(f"anchors: {verb} {len(res.changes)} annotation(s) in {files} file(s); {len(orphans)} orphaned"
          + (" (dry run: nothing written)" if args.dry_run else ""), file=sys.stderr)
    return 0


def cmd_report(args) -> int:
    from . import report
    from .diagnostics import did_you_mean
    conditions, unknown = report.parse_conditions(args.fail_on or "")
    if unknown:
        for w in unknown:
            print(f"error: unknown --fail-on condition '{w}'{did_you_mean(w, report.CONDITIONS)}; "
                  f"one of: {', '.join(report.CONDITIONS)}", file=sys.stderr)
        return 2
    root = Path(args.root)
    result = compile_site(root, render_output=False)
    if not result.ok:
        _print_diagnostics(result.diagnostics)
        print(f"report: {result.diagnostics.summary()}; fix the errors first", file=sys.stderr)
        return 1
    r = report.build(result.content, result.analyses)
    if args.format == "json":
        print(json.dumps(r.as_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(report.format_text(r))
    failing = r.failing(conditions)
    if failing:
        print("report: failing: " + ", ".join(f"{c} ({n})" for c, n in failing.items()), file=sys.stderr)
        return 1
    return 0


def cmd_serve(args) -> int:
    from . import serve

    return serve.run(Path(args.root), out=Path(args.out) if args.out else None, host=args.host, port=args.port,
                     base_path=args.base_path, open_browser=args.open, strict=args.strict,
                     live_reload=not args.no_reload)


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

    p = sub.add_parser("serve", help="build, serve on localhost and rebuild and reload on every save",
                       description="Build the site, serve it over HTTP and watch content/ and templates/: every save "
                                   "rebuilds what it affects and reloads the open pages. A failed rebuild keeps "
                                   "serving the last good site and shows the problems in the browser and here. "
                                   "Ctrl-C stops it.")
    root_arg(p)
    p.add_argument("--port", type=int, metavar="N",
                   help="port to listen on; default: 8000 (or the next free one); 0 picks any free port")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on; default: 127.0.0.1 (this machine only). Other values, such as "
                        "0.0.0.0, expose the briefing to the network")
    p.add_argument("--base-path", default="/", metavar="PATH",
                   help="serve the site under PATH, as GitHub Pages serves a project site (e.g. /repo/), to check "
                        "links before publishing")
    p.add_argument("--out", metavar="DIR",
                   help="build into DIR (kept after exit); default: a temporary folder, removed on exit")
    p.add_argument("--open", action="store_true", help="open the site in the default web browser")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--no-reload", action="store_true", help="do not inject the live-reload script into pages")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("anchors", help="list each annotation's anchoring state; --update accepts drifted quotes",
                       description="List every annotation as exact, relocated, text-changed or orphaned. With "
                                   "--update, rewrite the quote (and prefix/suffix where needed) of each relocated "
                                   "or text-changed annotation to the text it now anchors to, changing only those "
                                   "values in the YAML files, and record the accepted places.")
    root_arg(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format of the listing")
    p.add_argument("--update", action="store_true", help="rewrite the quotes of relocated and text-changed annotations")
    p.add_argument("--dry-run", action="store_true", help="with --update: print what would change, write nothing")
    p.set_defaults(func=cmd_anchors)

    p = sub.add_parser("report", help="the briefing's editorial health: counts, unsourced notes, glossary gaps, drift",
                       description="Report annotations per kind, fact-checks per verdict, fact-checks and context "
                                   "notes without sources, entities without description or never mentioned, likely "
                                   "entities without a glossary entry, and anchoring states.")
    root_arg(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--fail-on", metavar="CONDITIONS",
                   help="exit with status 1 if any of these comma-separated conditions holds: "
                        "orphaned, text-changed, relocated, unsourced, undescribed, unmentioned, unlisted")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("schema", help="print or write the JSON Schemas of the YAML formats",
                       description="Print the JSON Schema of one content kind, or write all of them with --out.")
    p.add_argument("kind", nargs="?", default="annotations", help=f"one of: {', '.join(sorted(schema.KINDS))}")
    p.add_argument("--out", metavar="DIR", help="write every schema into DIR")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("init", help="create a new briefing project (content skeleton, Pages workflow)",
                       description="Create a briefing project in DIR: content/ with one example document, annotation "
                                   "and glossary entry, site.yml, .gitignore, JSON Schemas and the GitHub Pages "
                                   "workflow. It builds as it comes. Existing files are never overwritten.")
    p.add_argument("dir", metavar="DIR", help="the new project's folder (created if missing; must not hold these files)")
    p.add_argument("--title", help="the briefing's title; default: from the folder name")
    p.add_argument("--base-url", metavar="URL", help="where the site will be published, e.g. https://<owner>.github.io/<repo>/")
    p.add_argument("--cname", metavar="DOMAIN", help="a custom domain for GitHub Pages (written to CNAME)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("export", help="export the briefing as one HTML file or a zip of the site",
                       description="Build the site in memory and export it: --single-file writes one self-contained "
                                   "HTML file (every page, all CSS and JavaScript inline, links turned into in-file "
                                   "anchors) that opens offline; --zip writes the whole site as a zip that works "
                                   "when unpacked anywhere and opened from disk.")
    root_arg(p)
    p.add_argument("--single-file", metavar="FILE.html", help="write the single-file HTML export here")
    p.add_argument("--zip", metavar="FILE.zip", help="write the zipped site here")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import-annotations", help="import W3C Web Annotations or a Hypothesis export into a document",
                       description="Read a W3C Web Annotation collection, page or annotation (JSON-LD), or a "
                                   "Hypothesis API export, anchor each annotation's quote in the document, and add "
                                   "it to content/annotations/SLUG.yml. Existing annotations are never silently "
                                   "replaced: a different annotation with an existing id is an error.")
    p.add_argument("file", metavar="FILE", help="the JSON or JSON-LD file ('-' reads standard input)")
    p.add_argument("--document", required=True, metavar="SLUG", help="the document the annotations belong to")
    root_arg(p)
    p.add_argument("--replace", action="store_true", help="replace existing annotations that have the same id")
    p.add_argument("--skip-invalid", action="store_true", help="import the valid annotations even if others have errors")
    p.add_argument("--dry-run", action="store_true", help="print the resulting YAML file; change nothing")
    p.set_defaults(func=cmd_import_annotations)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
