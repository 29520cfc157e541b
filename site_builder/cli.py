"""The command line: ``site-builder build | check | serve | schema | anchors | report | ...``."""

from __future__ import annotations

import argparse
import gc
import json
import signal
import sys
import threading
import time
from pathlib import Path

from . import diskcache, epoch, outputstore, provenance, schema, writer
from .build import Compiled, compile_site
from .console import Console
from .diagnostics import Diagnostics
from .targets import Kind, TargetError, check_target, enclosing_projects
from .writer import OutputError, Staging, check_output_dir


def _console(args) -> Console:
    """The command's standard error (colour, progress and --quiet as the terminal and options say)."""
    console = getattr(args, "console", None)
    if console is None:
        console = Console.for_stderr(quiet=getattr(args, "quiet", False), strict=getattr(args, "strict", False))
        args.console = console
    return console


def _print_diagnostics(diags: Diagnostics, console: Console) -> None:
    console.diagnostics(diags.sorted())


def _failure(console: Console, line: str) -> None:
    """A command's closing line when it failed: shown even with --quiet (it says what was not done)."""
    console.clear_progress()
    print(line, file=console.stream, flush=True)


def cmd_check(args) -> int:
    root = Path(args.root)
    console = _console(args)
    result = compile_site(root, strict=args.strict, render_output=False, publishing=args.publish,
                          progress=console.progress)
    _print_diagnostics(result.diagnostics, console)
    failed = result.diagnostics.has_errors(args.strict)
    line = f"check: {result.diagnostics.summary()}" + (" (warnings count as errors with --strict)" if args.strict and result.diagnostics.warnings else "")
    if failed:
        _failure(console, line)
    else:
        console.success(line)
    return 1 if failed else 0


def _summary(result: Compiled, pages: int, out: Path, seconds: float) -> str:
    """The build's one summary line on a terminal."""
    stats = result.stats
    parts = [f"{pages} pages"]
    if stats is not None:
        parts += [_count(stats.documents, "document"), _count(stats.annotations, "note"),
                  _count(stats.entities, "entity", "entities")]
    parts.append(_count(len(result.diagnostics.warnings), "warning"))
    return f"built {', '.join(parts)} into {out} in {seconds:.1f} s; open {out / 'index.html'}"


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt


def cmd_build(args) -> int:
    root = Path(args.root)
    out = Path(args.out) if args.out else root / "output"
    console = _console(args)
    started = time.perf_counter()
    try:
        check_output_dir(root, out)  # before the build, so a bad --out costs nothing and says so at once
    except OutputError as exc:
        console.error(str(exc))
        return 2
    # A one-shot build keeps almost everything it allocates until it ends: the cyclic
    # garbage collector would only walk those objects again and again (see docs/performance.md).
    gc.collect()
    gc.freeze()
    gc.disable()
    staging = None
    # Terminated (kill, a CI timeout) as interrupted, so the staging folder is removed on the way out.
    previous = signal.signal(signal.SIGTERM, _terminated) if threading.current_thread() is threading.main_thread() else None
    try:
        # Every page goes into a staging folder as it is rendered (outputstore.py); the
        # staging folder replaces the output folder only when the whole build succeeded.
        staging = Staging(root, out)
        store = None if args.no_cache else diskcache.store(root)
        key = None if args.no_cache else diskcache.source_key(root, args.strict, publishing=args.publish)
        saved = diskcache.load_output(root, key)
        untouched = saved is not None and diskcache.output_untouched(root, key, writer.snapshot(out))
        if untouched:
            # Nothing changed, and the output folder is still what that build wrote: leave it as it is.
            result = Compiled(saved[0], dict(saved[1]), ok=True)
            staging.discard()
        elif saved is not None and store is not None and outputstore.restore(staging, store, saved[1]):
            # Not one source byte changed since the last build: its output stands.
            result = Compiled(saved[0], dict(saved[1]), ok=True)
        else:
            cache = None if args.no_cache else diskcache.load(root)
            fresh = cache is None
            if cache is None and not args.no_cache:
                cache = diskcache.new(root)
            sink = outputstore.DiskSink(staging, store)
            result = compile_site(root, strict=args.strict, cache=cache, publishing=args.publish,
                                  progress=console.progress, sink=sink)
            if result.ok:
                console.progress("writing files", 0, 0)
                result.files = sink.finish(result.files)  # the site-wide files, still in memory
            if cache is not None and (fresh or diskcache.changed(cache)):
                diskcache.save(root, cache)
            if cache is not None:
                diskcache.save_output(root, key if result.ok else None, result.diagnostics, result.files)
                diskcache.prune_store(root, cache, result.files if result.ok else {})
        if result.ok and not untouched:
            staging.commit()
            if store is not None:
                diskcache.save_stamp(root, key, writer.snapshot(out))
    except OutputError as exc:
        console.error(str(exc))
        return 2
    except OSError as exc:
        console.error(f"cannot write {out}: {exc}")
        return 2
    finally:
        if staging is not None:
            staging.discard()  # nothing left behind unless committed
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        gc.enable()
        gc.unfreeze()
    _print_diagnostics(result.diagnostics, console)
    if not result.ok:
        hint = " (warnings count as errors with --strict)" if args.strict and not result.diagnostics.errors else ""
        _failure(console, f"build failed: {result.diagnostics.summary()}{hint}; {out} was left unchanged")
        return 1
    _save_anchor_state(root, result.anchor_state)
    seconds = time.perf_counter() - started
    pages = sum(1 for p in result.files if p.path.endswith(".html"))
    if console.interactive:
        console.success(_summary(result, pages, out, seconds))
    else:
        console.info(f"built {pages} pages into {out} in {seconds * 1000:.0f} ms ({result.diagnostics.summary()}); "
                     f"open {out / 'index.html'}")
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
    console = _console(args)
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
        console.info(f"wrote {len(kinds)} schemas into {folder}")
        return 0
    if args.kind not in schema.KINDS:
        console.error(f"unknown kind '{args.kind}'; one of: {', '.join(kinds)}")
        return 2
    print(json.dumps(schema.json_schema(args.kind), indent=2, ensure_ascii=False))
    return 0


def cmd_init(args) -> int:
    from . import scaffold
    console = _console(args)
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
        console.error(str(exc))
        return 2
    except OSError as exc:
        console.error(f"cannot write into {target}: {exc}")
        return 2
    for rel in created.files:
        console.info(f"  created {target / rel}")
    source = created.source
    if source is not None and source.requirement:
        console.info(f"requirements.txt installs site_builder from {source.description}")
        if source.caution:
            console.labelled("warning", source.caution)
    elif source is not None:
        # Not an error (the project is complete and builds here), but publishing needs one line.
        console.labelled("warning", f"requirements.txt does not say where to install site_builder from: "
                                    f"{source.problem}. The Pages workflow stops with an error until you write "
                                    f"that one line in {target / 'requirements.txt'}; {target / 'README.md'} "
                                    "shows what it can be")
    if not args.base_url:
        console.note("no --base-url: the GitHub Pages workflow gives the build the site's address; to publish "
                     "elsewhere set base_url in content/site.yml (site-builder check --publish reports it)")
    console.info(f"initialised a briefing project in {target}. Next:\n"
                 f"  site-builder check --root {target}\n"
                 f"  site-builder build --root {target}    (then open {target / 'output' / 'index.html'})\n"
                 "  publish: push to GitHub and set Settings > Pages > Source to 'GitHub Actions'")
    return 0


def _write_atomic(path: Path, data: bytes) -> None:
    from . import atomicfile
    atomicfile.write_bytes(path, data, make_parents=True)


def cmd_export(args) -> int:
    from . import exports, loader, publish
    from .pdf import PdfError
    console = _console(args)
    if not args.single_file and not args.zip and not args.pdf:
        console.error("say what to export: --single-file FILE.html, --zip FILE.zip and/or --pdf FILE.pdf")
        return 2
    passphrase, problem = _export_passphrase(args)
    if problem:
        console.error(f"{problem}")
        return 2
    chromium = None
    if args.pdf:
        from . import pdf
        chromium = pdf.find_chromium()
        if chromium is None:
            console.error(f"{pdf.NO_CHROMIUM}")
            return 2
    root = Path(args.root)
    targets = [(opt, Path(t)) for opt, t in (("--single-file", args.single_file), ("--zip", args.zip),
                                             ("--pdf", args.pdf)) if t]
    for opt, t in targets:
        try:
            check_target(root, t, kind=Kind.FILE, what=opt)
        except TargetError as exc:
            console.error(f"{exc}")
            return 2
    for i, (opt_a, a) in enumerate(targets):
        for opt_b, b in targets[i + 1:]:
            if a.resolve() == b.resolve():
                console.error(f"{opt_a} and {opt_b} both name {a}; one export would replace the other")
                return 2
    result = compile_site(root, strict=args.strict, progress=console.progress)
    _print_diagnostics(result.diagnostics, console)
    if not result.ok:
        _failure(console, f"export failed: {result.diagnostics.summary()}; nothing was written")
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
            console.info(f"wrote {args.single_file} ({len(data) / 1024:.0f} KB): the whole briefing in one file; "
                         "open it in any browser, no other files needed"
                         + ("; encrypted: it opens only with the passphrase" if passphrase is not None else ""))
        if args.zip:
            data = exports.zip_site(result.files, folder=Path(args.zip).stem, title=title)
            _write_atomic(Path(args.zip), data)
            console.info(f"wrote {args.zip} ({len(data) / 1024:.0f} KB): unpack it anywhere and open "
                         f"{Path(args.zip).stem}/index.html")
        if args.pdf:
            from . import pdf
            data = pdf.export_pdf(result.files, chromium, base_url=base)
            _write_atomic(Path(args.pdf), data)
            console.info(f"wrote {args.pdf} ({len(data) / 1024:.0f} KB): the briefing as one PDF")
    except OSError as exc:
        console.error(f"cannot write the export: {exc}")
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
    from .annotation_import import formats, merge
    console = _console(args)
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
        data = formats.load_import_file(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        console.error(f"cannot read {args.file}: {exc}")
        return 2
    except formats.ImportFormatError as exc:
        print(f"{args.file}: error: {exc} [import-format]", file=sys.stderr)
        return 1
    res = merge.import_annotations(root, args.document, data, replace=args.replace,
                                   skip_invalid=args.skip_invalid, dry_run=args.dry_run,
                                   source_name=str(args.file))
    console.diagnostics(res.diagnostics)
    rel = f"content/annotations/{args.document}.yml"
    counts = (f"{len(res.added)} added, {len(res.replaced)} replaced, {len(res.unchanged)} already there, "
              f"{len(res.skipped)} skipped")
    if res.errors and not args.skip_invalid:
        _failure(console, f"import-annotations: {res.format or 'import'}: {len(res.errors)} error(s); nothing was "
                          f"written to {rel}" + (f" (--skip-invalid imports the {res.importable} without errors)"
                                                 if res.importable else ""))
        return 1
    if args.dry_run:
        sys.stdout.write(res.text)
        console.info(f"import-annotations: {res.format}: {counts}; dry run, {rel} unchanged")
        return 0
    done = f"wrote {rel}" if res.written else f"{rel} unchanged"
    console.info(f"import-annotations: {res.format}: {counts}; {done}")
    return 0


def cmd_anchors(args) -> int:
    from . import anchors
    console = _console(args)
    root = Path(args.root)
    result = compile_site(root, render_output=False)
    if not result.ok:
        _print_diagnostics(result.diagnostics, console)
        _failure(console, f"anchors: {result.diagnostics.summary()}; fix the errors first")
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
        console.error(f"cannot update the annotation files: {exc}")
        return 2
    for err in res.errors:
        console.error(err)
    if res.errors:
        _failure(console, "anchors: nothing was written")
        return 1
    for c in res.changes:
        print(anchors.describe(c))
    orphans = [r for r in anchors.rows(result.analyses) if r.state == anchors.ORPHANED]
    for r in orphans:
        print(f'{r.file}:{r.line}: {r.id} (orphaned): left as it is; quote the passage it belongs to now: "{r.quote}"')
    files = len(res.files)
    verb = "would update" if args.dry_run else "updated"
    console.info(f"anchors: {verb} {len(res.changes)} annotation(s) in {files} file(s); {len(orphans)} orphaned"
                 + (" (dry run: nothing written)" if args.dry_run else ""))
    return 0


def cmd_report(args) -> int:
    from . import report
    from .diagnostics import did_you_mean
    console = _console(args)
    conditions, unknown = report.parse_conditions(args.fail_on or "")
    if unknown:
        for w in unknown:
            console.error(f"unknown --fail-on condition '{w}'{did_you_mean(w, report.CONDITIONS)}; "
                          f"one of: {', '.join(report.CONDITIONS)}")
        return 2
    root = Path(args.root)
    result = compile_site(root, render_output=False)
    if not result.ok:
        _print_diagnostics(result.diagnostics, console)
        _failure(console, f"report: {result.diagnostics.summary()}; fix the errors first")
        return 1
    r = report.build(result.content, result.analyses)
    if args.format == "json":
        print(json.dumps(r.as_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(report.format_text(r))
    failing = r.failing(conditions)
    if failing:
        _failure(console, "report: failing: " + ", ".join(f"{c} ({n})" for c, n in failing.items()))
        return 1
    return 0


def cmd_serve(args) -> int:
    from . import serve

    return serve.run(Path(args.root), out=Path(args.out) if args.out else None, host=args.host, port=args.port,
                     base_path=args.base_path, open_browser=args.open, strict=args.strict,
                     live_reload=not args.no_reload, read_only=args.read_only, quiet=getattr(args, "quiet", False))


class _VersionAction(argparse.Action):
    """``--version``: the version in the package metadata, looked up only when asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"site-builder {provenance.version()}")
        parser.exit()


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="site-builder",
        description="Build a cross-linked static site from an annotated briefing "
                    "(Markdown documents, YAML annotations and a YAML glossary).",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the installed version and exit")
    parser.add_argument("-q", "--quiet", action="store_true", default=False,
                        help="print only errors (also accepted after the command)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    # After the command as well as before it; SUPPRESS keeps a subcommand from resetting the top-level value.
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="print only errors: no warnings, progress or summary (with --strict, warnings too)")

    def publish_arg(p):
        p.add_argument("--publish", action="store_true",
                       help="also check the publishing settings: report a site address (base_url) that is unknown")

    def root_arg(p):
        p.add_argument("--root", default=".", metavar="DIR",
                       help="the briefing project (the folder holding content/); default: the current folder")

    p = sub.add_parser("build", help="check the content and build the site", parents=[quiet],
                       description="Check the content and build the site into --out. On any error nothing in the "
                                   "output folder changes; the new site is swapped in whole.")
    root_arg(p)
    p.add_argument("--out", metavar="DIR", help="output folder; default: output/ in the project")
    p.add_argument("--no-cache", action="store_true",
                   help=f"build from scratch, without reading or writing {diskcache.FOLDER}/ in the project")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    publish_arg(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", help="report every problem in the content, build nothing", parents=[quiet],
                       description="Report every problem in the content as path:line:col: severity: message [code]. "
                                   "Exit status 1 if there are errors.")
    root_arg(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    publish_arg(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("serve", help="build, serve on localhost and rebuild and reload on every save", parents=[quiet],
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
    p.add_argument("--read-only", action="store_true",
                   help="turn off annotating from the preview (no authoring script, no write endpoints)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("anchors", help="list each annotation's anchoring state; --update accepts drifted quotes",
                       parents=[quiet],
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
                       parents=[quiet],
                       description="Report annotations per kind, fact-checks per verdict, fact-checks and context "
                                   "notes without sources, entities without description or never mentioned, likely "
                                   "entities without a glossary entry, and anchoring states.")
    root_arg(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--fail-on", metavar="CONDITIONS",
                   help="exit with status 1 if any of these comma-separated conditions holds: "
                        "orphaned, text-changed, relocated, unsourced, undescribed, unmentioned, unlisted")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("schema", help="print or write the JSON Schemas of the YAML formats", parents=[quiet],
                       description="Print the JSON Schema of one content kind, or write all of them with --out.")
    p.add_argument("kind", nargs="?", default="annotations", help=f"one of: {', '.join(sorted(schema.KINDS))}")
    p.add_argument("--out", metavar="DIR", help="write every schema into DIR")
    p.add_argument("--root", default=".", metavar="DIR",
                   help="the briefing project whose sources --out must not replace; default: the current folder")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("init", help="create a new briefing project (content skeleton, Pages workflow)", parents=[quiet],
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
                       allow_abbrev=False, parents=[quiet],
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
                       parents=[quiet],
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
        console = getattr(args, "console", None)
        if console is not None:
            console.clear_progress()
        print("interrupted", file=sys.stderr)
        return 130
