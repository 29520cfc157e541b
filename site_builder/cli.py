"""The command line: ``site-builder build | check | serve | schema``."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

from . import __version__, epoch, schema
from . import diskcache
from .build import BuildCache, Compiled, compile_site
from .diagnostics import Diagnostics
from .targets import Kind, TargetError, check_target, enclosing_projects
from .writer import OutputError, check_output_dir, write_site


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
    try:
        check_output_dir(root, out)  # before the build, so a bad --out costs nothing and says so at once
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # A one-shot build keeps almost everything it allocates until it ends: the cyclic
    # garbage collector would only walk those objects again and again (see docs/performance.md).
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        key = None if args.no_cache else diskcache.source_key(root, args.strict)
        saved = diskcache.load_output(root, key)
        if saved is not None:  # not one source byte changed since the last build: its output stands
            result = Compiled(saved[0], saved[1], ok=True)
        else:
            cache = None if args.no_cache else diskcache.load(root)
            fresh = cache is None
            if cache is None and not args.no_cache:
                cache = BuildCache()
            result = compile_site(root, strict=args.strict, cache=cache)
            if cache is not None and (fresh or diskcache.changed(cache)):
                diskcache.save(root, cache)
            if cache is not None:
                diskcache.save_output(root, key if result.ok else None, result.diagnostics, result.files)
    finally:
        gc.enable()
        gc.unfreeze()
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
    elapsed = (time.perf_counter() - started) * 1000
    pages = sum(1 for p in result.files if p.path.endswith(".html"))
    print(f"built {pages} pages into {out} in {elapsed:.0f} ms ({result.diagnostics.summary()}); "
          f"open {out / 'index.html'}", file=sys.stderr)
    return 0


def cmd_schema(args) -> int:
    kinds = sorted(schema.KINDS)
    if args.out:
        folder = Path(args.out)
        try:
            check_target(Path(args.root), folder, kind=Kind.FOLDER, what="--out")
            if folder.exists() and not folder.is_dir():
                raise TargetError(f"refusing to write --out {folder}: it exists and is not a folder; nothing was written")
        except TargetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
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
        for project in enclosing_projects(target):
            check_target(project, target, kind=Kind.PROJECT, what="the new project")
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
    from .pdf import PdfError
    if not args.single_file and not args.zip and not args.pdf:
        print("error: say what to export: --single-file FILE.html, --zip FILE.zip and/or --pdf FILE.pdf",
              file=sys.stderr)
        return 2
    passphrase, problem = _export_passphrase(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    chromium = None
    if args.pdf:
        from . import pdf
        chromium = pdf.find_chromium()
        if chromium is None:
            print(f"error: {pdf.NO_CHROMIUM}", file=sys.stderr)
            return 2
    root = Path(args.root)
    targets = [(opt, Path(t)) for opt, t in (("--single-file", args.single_file), ("--zip", args.zip),
                                             ("--pdf", args.pdf)) if t]
    for opt, t in targets:
        try:
            check_target(root, t, kind=Kind.FILE, what=opt)
        except TargetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    for i, (opt_a, a) in enumerate(targets):
        for opt_b, b in targets[i + 1:]:
            if a.resolve() == b.resolve():
                print(f"error: {opt_a} and {opt_b} both name {a}; one export would replace the other", file=sys.stderr)
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
            data = _single_file(root, result.files, base, args.fetch_remote)
            if data is None:
                print("export failed: the single file would not be self-contained; nothing was written", file=sys.stderr)
                return 1
            if passphrase is not None:
                from . import protect
                data = protect.seal(data, passphrase, lang=site.language if site is not None else "en")
            _write_atomic(Path(args.single_file), data)
            print(f"wrote {args.single_file} ({len(data) / 1024:.0f} KB): the whole briefing in one file; "
                  "open it in any browser, no other files needed"
                  + ("; encrypted: it opens only with the passphrase" if passphrase is not None else ""),
                  file=sys.stderr)
        if args.zip:
            data = exports.zip_site(result.files, folder=Path(args.zip).stem, title=title)
            _write_atomic(Path(args.zip), data)
            print(f"wrote {args.zip} ({len(data) / 1024:.0f} KB): unpack it anywhere and open "
                  f"{Path(args.zip).stem}/index.html", file=sys.stderr)
        if args.pdf:
            from . import pdf
            data = pdf.export_pdf(result.files, chromium, base_url=base)
            _write_atomic(Path(args.pdf), data)
            print(f"wrote {args.pdf} ({len(data) / 1024:.0f} KB): the briefing as one PDF", file=sys.stderr)
    except OSError as exc:
        print(f"error: cannot write the export: {exc}", file=sys.stderr)
        return 2
    except PdfError as exc:
        print(f"error: {exc}; nothing was written to {args.pdf}", file=sys.stderr)
        return 2
    return 0


def _export_passphrase(args) -> tuple[str | None, str]:
    """(passphrase or None, problem) for ``export``: from --passphrase-file or $SITE_BUILDER_PASSPHRASE."""
    from . import protect
    try:
        passphrase = protect.passphrase_from(args.passphrase_file)
    except protect.PassphraseError as exc:
        return None, str(exc)
    if passphrase is None:
        return None, ""
    source = "--passphrase-file" if args.passphrase_file else protect.PASSPHRASE_ENV
    if not args.single_file:
        return None, f"{source} protects the --single-file export only; add --single-file FILE.html"
    if args.zip or args.pdf:
        return None, (f"{source} encrypts the single file, but the zip and the PDF cannot be encrypted; "
                      "export them in a separate run without a passphrase")
    if len(passphrase) < protect.SHORT_PASSPHRASE:
        print(f"warning: the passphrase has only {len(passphrase)} characters; anyone holding the file can try "
              "guesses offline, so use a long one (several unrelated words)", file=sys.stderr)
    return passphrase, ""


def _single_file(root: Path, files, base: str, fetch: bool) -> bytes | None:
    """The single-file export, self-contained: remote resources inlined (``fetch``) or reported (None)."""
    from . import exports, remote
    local = remote.localise(files, fetch=remote.fetch_url if fetch else None, root=root,
                            pages=exports.bundle_pages(files))
    for d in sorted(local.diagnostics, key=lambda d: d.sort_key()):
        print(d.format(), file=sys.stderr)
    if local.diagnostics:
        return None
    data = exports.single_file(local.files, base_url=base)
    left = remote.verify(data)
    for ref in left:
        print(f"error: the single-file export still refers to {ref}, which would be loaded from the network "
              f"[{remote.CODE}]", file=sys.stderr)
    return None if left else data


def cmd_import_annotations(args) -> int:
    from . import webannotation
    root = Path(args.root)
    rel = f"content/annotations/{args.document}.yml"
    if not schema.ID_RE.fullmatch(args.document):
        print(f"error: --document {args.document!r} is not a document slug (lowercase letters, digits and hyphens, "
              "the name of content/documents/SLUG.md); nothing was written", file=sys.stderr)
        return 2
    try:
        check_target(root, root / rel, kind=Kind.FILE, what="--document", edits=rel)
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
    p.add_argument("--no-cache", action="store_true",
                   help=f"build from scratch, without reading or writing {diskcache.FOLDER}/ in the project")
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

    p = sub.add_parser("schema", help="print or write the JSON Schemas of the YAML formats",
                       description="Print the JSON Schema of one content kind, or write all of them with --out.")
    p.add_argument("kind", nargs="?", default="annotations", help=f"one of: {', '.join(sorted(schema.KINDS))}")
    p.add_argument("--out", metavar="DIR", help="write every schema into DIR")
    p.add_argument("--root", default=".", metavar="DIR",
                   help="the briefing project whose sources --out must not replace; default: the current folder")
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

    # No abbreviated options: "--passphrase SECRET" must not pass for --passphrase-file.
    p = sub.add_parser("export", help="export the briefing as one HTML file, a zip of the site or a PDF",
                       allow_abbrev=False,
                       description="Build the site in memory and export it: --single-file writes one self-contained "
                                   "HTML file (every page, all CSS and JavaScript inline, links turned into in-file "
                                   "anchors) that opens offline, encrypted with --passphrase-file (or "
                                   "SITE_BUILDER_PASSPHRASE); --zip writes the whole site as a zip that works "
                                   "when unpacked anywhere and opened from disk; --pdf prints the briefing to one "
                                   "PDF with headless Chromium.")
    root_arg(p)
    p.add_argument("--single-file", metavar="FILE.html", help="write the single-file HTML export here")
    p.add_argument("--zip", metavar="FILE.zip", help="write the zipped site here")
    p.add_argument("--pdf", metavar="FILE.pdf",
                   help="write the briefing as one PDF (printed by headless Chromium: bookmarks, page numbers, "
                        "notes as endnotes)")
    p.add_argument("--passphrase-file", metavar="FILE",
                   help="encrypt the --single-file export with the passphrase in FILE (or set "
                        "SITE_BUILDER_PASSPHRASE); never pass a passphrase on the command line")
    p.add_argument("--fetch-remote", action="store_true",
                   help="download the remote images, fonts, stylesheets and scripts the pages use and inline them "
                        "in the single file (without it, any remote reference is an error)")
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
    if args.command in ("build", "check", "serve", "export"):
        problem = epoch.check()
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
