"""Stage 7b: the Jinja2 environment and rendering one page.

Jinja2 runs with ``StrictUndefined`` and autoescape: every string from content
is escaped unless it is HTML that markdown-it produced (which escapes raw HTML
unless the site opted in).  Templates come from the project's ``templates/``
first, then the package's defaults, file by file.  Also here: the digests of
templates (what each includes), the template error with its position, and the
stylesheets.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import jinja2.meta
from markupsafe import Markup
from pygments.formatters import HtmlFormatter

from . import bidi, language, publish, urls
from .diagnostics import Pos
from .urls import OutPath, relative_url
from .views import Link, Page, SiteView, digest

if TYPE_CHECKING:
    from .pageviews import RenderCache

from .labels import KIND_LABELS, PACKAGE_TEMPLATES, VERDICT_LABELS

# ------------------------------------------------------------- rendering

def make_environment(project_templates: Path | None) -> jinja2.Environment:
    search = [str(project_templates)] if project_templates and project_templates.is_dir() else []
    search.append(str(PACKAGE_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # A build makes a new environment when any template's source changes (build._environment),
        # so Jinja need not stat every template file again on each page.
        auto_reload=False,
    )
    # `tojson` (the pages' JSON-LD) without the spaces after "," and ":" (about 7% of its bytes).
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
    env.filters["bdi"] = _bdi_filter
    env.filters["isolate"] = _isolate_filter
    env.filters["text_direction"] = language.direction
    env.globals["lang_attr"] = _lang_attr
    env.globals["link_lang"] = _link_lang
    env.globals["hreflang"] = _hreflang
    env.globals["reuse"] = _call  # a page rendered by _render_template gets the reusing one
    # Its macro output by key, for this environment only (a template edit makes a new one).
    env.site_builder_reused = {}  # type: ignore[attr-defined]
    env.site_builder_package_history = not (  # type: ignore[attr-defined]
        project_templates is not None and (project_templates / "_history.html").exists())
    return env


# The package's macros whose output depends only on their arguments and on the page's
# folder (relative links), language and direction: nothing else of the page's context.
_REUSABLE = {("_macros.html", "note_card")}
_REUSED_MAX = 1 << 16


def _call(macro, *args):
    return macro(*args)


def _reusable(env: jinja2.Environment, macro) -> bool:
    """Whether ``macro`` is one of the package's own :data:`_REUSABLE` macros, read from the package's files."""
    template = getattr(getattr(macro, "_func", None), "__globals__", {}).get("__jinja_template__")
    if template is None or (template.name, getattr(macro, "name", None)) not in _REUSABLE:
        return False
    if not getattr(env, "site_builder_package_history", False) or not template.filename:
        return False
    return Path(template.filename).is_relative_to(PACKAGE_TEMPLATES)


def _reuse_for(env: jinja2.Environment, folder: str, page_lang: str, site_lang: str):
    """``reuse(macro, *args)`` for one page: ``macro(*args)``, rendered once per page folder and language.

    A note's card shows the same on every entity page that names it, so the
    package's ``note_card`` is rendered once per note (and page folder and
    language) and its HTML reused.  Any other macro (a project's own, or one
    whose package template a project overrides) is simply called.
    """
    cache: dict = env.site_builder_reused  # type: ignore[attr-defined]
    checked: dict[int, bool] = {}  # id of a macro object (alive while the page renders) -> reusable

    def reuse(macro, *args):
        ok = checked.get(id(macro))
        if ok is None:
            ok = checked[id(macro)] = _reusable(env, macro)
        if not ok:
            return macro(*args)
        try:
            key = (macro.name, args, folder, page_lang, site_lang)
            hit = cache.get(key)
        except TypeError:  # an argument that cannot be hashed
            return macro(*args)
        if hit is None:
            if len(cache) >= _REUSED_MAX:
                cache.clear()
            hit = cache[key] = macro(*args)
        return hit

    return reuse


def _page_dir(ctx) -> str:
    if "page_lang" not in ctx.vars and "site" not in ctx.vars:  # neither set by the template itself
        known = ctx.parent.get("_page_dir")  # given by _render_template
        if known is not None:
            return known
    return language.direction(ctx.get("page_lang") or getattr(ctx.get("site"), "language", "") or "")


@jinja2.pass_context
def _lang_attr(ctx, tag: str) -> Markup:
    """`` lang="…"`` (and ``dir``) for text in language ``tag`` ("" = the site's) when the page's differs."""
    return _lang_attrs(tag or ctx["site"].language, ctx["page_lang"])


@functools.lru_cache(maxsize=1024)
def _lang_attrs(tag: str, page: str) -> Markup:
    if language.same_language(tag, page):
        return Markup("")
    out = f' lang="{Markup.escape(tag)}"'
    if language.direction(tag) != language.direction(page):
        out += f' dir="{language.direction(tag)}"'
    return Markup(out)


@functools.lru_cache(maxsize=64)
def _page_helpers(site_lang: str, page_lang: str) -> dict:
    """``lang_attr``, ``hreflang`` and ``link_lang`` for pages in ``page_lang``, as plain functions.

    The same answers as the context functions (given ``site.language`` and
    ``page_lang``), but cheaper to call: Jinja copies the whole context for
    each call of a context function inside a loop.
    """
    def lang_attr(tag: str) -> Markup:
        return _lang_attrs(tag or site_lang, page_lang)

    def hreflang(tag: str) -> Markup:
        if not lang_attr(tag):
            return Markup("")
        return Markup(f' hreflang="{Markup.escape(tag or site_lang)}"')

    def link_lang(tag: str) -> Markup:
        attrs = lang_attr(tag)
        if not attrs:
            return attrs
        return Markup(f' hreflang="{Markup.escape(tag or site_lang)}"') + attrs

    return {"lang_attr": lang_attr, "hreflang": hreflang, "link_lang": link_lang}


@jinja2.pass_context
def _hreflang(ctx, tag: str) -> Markup:
    """`` hreflang="…"`` alone, for a link whose text mixes the page's language and the target's."""
    if not _lang_attr(ctx, tag):
        return Markup("")
    return Markup(f' hreflang="{Markup.escape(tag or ctx["site"].language)}"')


@jinja2.pass_context
def _link_lang(ctx, tag: str) -> Markup:
    """``hreflang`` and ``lang`` for a link to a page in language ``tag`` ("" = the site's) when the page's differs."""
    attrs = _lang_attr(ctx, tag)
    if not attrs:
        return attrs
    return Markup(f' hreflang="{Markup.escape(tag or ctx["site"].language)}"') + attrs


@jinja2.pass_context
def _bdi_filter(ctx, value) -> Markup:
    """An author string in HTML content, bidi-isolated (see :mod:`bidi`)."""
    return bidi.bdi(value, _page_dir(ctx))


@jinja2.pass_context
def _isolate_filter(ctx, value) -> str:
    """An author string in <title> or an attribute, between isolate marks when it needs them."""
    return bidi.isolate(value, _page_dir(ctx))


def template_sources(env: jinja2.Environment) -> dict[str, str]:
    """Name -> digest of every template (so template edits invalidate cached pages)."""
    out = {}
    for name in sorted(env.list_templates()):
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        out[name] = hashlib.sha256(source.encode()).hexdigest()
    return out


def template_digests(env: jinja2.Environment, sources: dict[str, str] | None = None) -> dict[str, str]:
    """Name -> digest of the template *and every template it extends, imports or includes*.

    A page is keyed by the digest of its own template, so editing ``entity.html``
    re-renders the entity pages only, while ``base.html`` reaches every page.
    A template whose references cannot be read statically (a name computed at
    render time, or a syntax error) depends on every template.
    """
    sources = sources if sources is not None else template_sources(env)
    deps: dict[str, set[str] | None] = {}
    for name in sources:
        if not name.endswith((".html", ".htm", ".xml", ".txt", ".j2", ".jinja")):
            deps[name] = set()
            continue
        try:
            source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            found = list(jinja2.meta.find_referenced_templates(env.parse(source)))
        except (jinja2.TemplateError, OSError):
            found = [None]
        deps[name] = None if None in found else set(found)
    out = {}
    everything = digest(sorted(sources.items()))
    for name in sources:
        seen: set[str] = set()
        stack = [name]
        dynamic = False
        while stack and not dynamic:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            d = deps.get(n, set())
            if d is None:
                dynamic = True
            else:
                stack.extend(d)
        out[name] = everything if dynamic else digest(sorted((n, sources.get(n, "")) for n in seen))
    return out



class TemplateProblem(Exception):
    """A template failed to compile or render; carries a position for the diagnostic."""

    def __init__(self, pos: Pos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message

    def __reduce__(self):  # raised in a rendering worker, re-raised in the parent
        return (TemplateProblem, (self.pos, self.message))


def _template_pos(env: jinja2.Environment, name: str | None, lineno: int | None) -> Pos:
    filename = None
    if name:
        try:
            _, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            filename = None
    if filename and Path(filename).is_relative_to(PACKAGE_TEMPLATES):
        shown = f"<site_builder>/templates/{name}"
    else:
        shown = f"templates/{name}" if name else "templates"
    return Pos(shown, lineno or 0, 1)


def render_one(page: Page, env: jinja2.Environment, site: SiteView) -> str:
    try:
        return _render_template(page, env, site)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(_template_pos(env, exc.name, exc.lineno), f"template syntax error: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateProblem(Pos(f"templates/{page.template}", 1, 1), f"template not found: {exc.name}") from exc
    except jinja2.UndefinedError as exc:
        lineno, name = _traceback_line(exc, env)
        raise TemplateProblem(_template_pos(env, name or page.template, lineno),
                              f"while rendering {page.path}: {exc.message}") from exc
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        # Any other failure inside a (project's) template: report it, never a traceback.
        lineno, name = _traceback_line(exc, env)
        raise TemplateProblem(_template_pos(env, name or page.template, lineno),
                              f"while rendering {page.path}: {type(exc).__name__}: {exc}") from exc


def _traceback_line(exc: BaseException, env: jinja2.Environment) -> tuple[int | None, str | None]:
    """Line and template name of the innermost template frame of a rendering error."""
    tb = exc.__traceback__
    found: tuple[int | None, str | None] = (None, None)
    folders = [Path(p).resolve() for p in getattr(env.loader, "searchpath", ())]
    while tb is not None:
        frame_globals = tb.tb_frame.f_globals
        template = env.loader and frame_globals.get("__jinja_template__")
        if template is not None:
            found = (template.get_corresponding_lineno(tb.tb_lineno), template.name)
        elif "__jinja_exception__" in frame_globals:
            # A frame Jinja rewrote to stand at the template's own file and line.
            filename = Path(tb.tb_frame.f_code.co_filename).resolve()
            for folder in folders:
                if filename.is_relative_to(folder):
                    found = (tb.tb_lineno, filename.relative_to(folder).as_posix())
                    break
        tb = tb.tb_next
    return found


def with_meta(page: Page, metas: "publish.MetaBuilder") -> Page:
    """The page with its head metadata (canonical URL, OpenGraph, JSON-LD) in ``extra.meta``."""
    if any(k == "meta" for k, _ in page.extra):
        return page
    return page._replace(extra=page.extra + (("meta", metas.for_page(page.path, page.title)),))


def _render_template(page: Page, env: jinja2.Environment, site: SiteView) -> str:
    # The 404 page is served at any depth (GitHub Pages answers /repo/a/b/c with
    # it), so its links are absolute when the site's address is known.
    base = (dict(page.extra).get("meta") or {}).get("base_url", "") if page.path == urls.NOT_FOUND else ""

    def url(target: OutPath | Link, fragment: str = "") -> str:
        if isinstance(target, Link):
            target, fragment = target.path, target.fragment
        if base:
            return urls.absolute_url(base, target) + (f"#{fragment}" if fragment else "")
        return relative_url(page.path, target, fragment)

    template = env.get_template(page.template)
    page_lang = page.lang or site.language
    return template.render(
        page=page, view=page.view, site=site, url=url, urls=urls, extra=dict(page.extra),
        page_lang=page_lang,
        kind_labels=KIND_LABELS, verdict_labels=VERDICT_LABELS,
        _page_dir=language.direction(page_lang or ""),
        # The 404 page's links are absolute when the site's address is known: a key of its own.
        reuse=_reuse_for(env, page.path if base else page.path.rpartition("/")[0], page_lang, site.language),
        **_page_helpers(site.language, page_lang),
    )



def static_assets(env: jinja2.Environment, cache: RenderCache | None = None) -> dict[OutPath, bytes]:
    """The stylesheet (overridable like a template: templates/assets/style.css) and Pygments CSS, light and dark."""
    source, _, _ = env.loader.get_source(env, "assets/style.css")  # type: ignore[union-attr]
    if cache is not None and cache.assets is not None and cache.assets[0] == source:
        return dict(cache.assets[1])
    css = source.encode("utf-8")
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark_style = HtmlFormatter(style="monokai")
    # Dark code colours follow the theme toggle (data-theme on <html>) and,
    # when the reader has not chosen, the system preference.
    chosen = dark_style.get_style_defs(':root[data-theme="dark"] .highlight')
    system = dark_style.get_style_defs(':root:not([data-theme="light"]) .highlight')
    system_block = "\n".join("  " + line for line in system.splitlines())
    pyg = (f"/* Pygments: light, dark by choice, dark by system preference */\n{light}\n{chosen}\n"
           f"@media (prefers-color-scheme: dark) {{\n{system_block}\n}}\n")
    files = {urls.STYLESHEET: css, urls.PYGMENTS_CSS: pyg.encode("utf-8")}
    if cache is not None:
        cache.assets = (source, files)
    return dict(files)



def has_template(env: jinja2.Environment, name: str) -> bool:
    try:
        env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        return False
    return True


