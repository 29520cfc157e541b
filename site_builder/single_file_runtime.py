"""The script that turns the single-file export into the full reader, one page at a time.

The single file (:func:`site_builder.exports.single_file`) stacks every page of
the site as a ``<section>`` whose ids carry the page's key
(``doc-<slug>__ann-<id>``), so that without JavaScript it reads top to bottom
and every link jumps within the file.

With JavaScript, this script runs once the sections are parsed and before the
reader scripts start.  It shows one page, as the site would:

* the page comes from the address: ``briefing.html?p=doc-<slug>#ann-<id>`` (no
  ``p``: the overview; an old-style ``#doc-<slug>__ann-<id>`` is redirected);
* the other sections are removed, and the shown page's ids and references lose
  their prefix (``doc-x__ann-y`` -> ``ann-y``), so the reader scripts see exactly
  the ids and in-page links of the site's page, whatever they look for;
* links to other pages become ``?p=<key>#<fragment>``, and the page's title,
  body class and current navigation item are restored;
* links that scripts create later (search results, popovers) are resolved the
  way the site resolves them, relative to the site root, which here is the
  file's folder: a link to ``documents/x.html#m-cpc-1`` there becomes
  ``?p=doc-x#m-cpc-1``.  A ``MutationObserver`` rewrites them as they are added,
  so the address a reader sees, copies or opens in a new tab is the in-file one.

Nothing here knows what the reader scripts do: they get a page with the site's
ids, and links to site pages are mapped wherever they come from.
"""

from __future__ import annotations

import json

_RUNTIME = r"""
(function () {
  "use strict";
  var PAGES = __PAGES__;  // site path -> page key
  var SEP = "__", ID_LISTS = __ID_LISTS__;
  var doc = document, main = doc.getElementById("main");
  var keys = {};
  Object.keys(PAGES).forEach(function (p) { keys[PAGES[p]] = p; });
  var params = new URLSearchParams(location.search);
  var key = params.get("p");
  var hash = location.hash ? decodeURIComponent(location.hash.slice(1)) : "";
  if (!key || !keys.hasOwnProperty(key)) {
    var at = hash.indexOf(SEP), first = at >= 0 ? hash.slice(0, at) : hash;
    if (keys.hasOwnProperty(first) && !params.get("p")) {  // an in-file anchor of the version without scripts
      params.set("p", first);
      location.replace("?" + params.toString() + (at >= 0 ? "#" + encodeURIComponent(hash.slice(at + SEP.length)) : ""));
      return;
    }
    key = "overview";
  }
  var section = doc.getElementById(key);
  if (!section || !main) return;
  var prefix = key + SEP;

  /* "#K__F" / "#K" (in-file anchors) -> "#F" on this page, "?p=K#F" on another. */
  function mapRef(value) {
    if (!value || value.charAt(0) !== "#") return null;
    var id = decodeURIComponent(value.slice(1)), at = id.indexOf(SEP);
    var k = at >= 0 ? id.slice(0, at) : id, frag = at >= 0 ? id.slice(at + SEP.length) : "";
    if (!keys.hasOwnProperty(k)) return null;
    if (k === key && frag) return "#" + encodeURIComponent(frag);
    return "?p=" + encodeURIComponent(k) + (frag ? "#" + encodeURIComponent(frag) : "");
  }

  var others = main.querySelectorAll(":scope > section.sf-page");
  for (var i = 0; i < others.length; i++) if (others[i] !== section) others[i].remove();
  var nav = doc.querySelector(".sf-nav");
  if (nav) nav.remove();
  var all = doc.body.querySelectorAll("*");
  for (var j = 0; j < all.length; j++) {
    var el = all[j], attrs = el.attributes;
    for (var k = attrs.length - 1; k >= 0; k--) {
      var name = attrs[k].name, value = attrs[k].value, mapped;
      if (name === "id") {
        if (value.indexOf(prefix) === 0) el.id = value.slice(prefix.length);
      } else if (ID_LISTS.indexOf(name) >= 0) {
        el.setAttribute(name, value.split(/\s+/).map(function (t) {
          return t.indexOf(prefix) === 0 ? t.slice(prefix.length) : t;
        }).join(" "));
      } else if ((name === "href" || name === "action" || name.indexOf("data-") === 0) && (mapped = mapRef(value))) {
        el.setAttribute(name, mapped);
      }
    }
  }
  // The page as the site shows it: its own title, body class and <main> content.
  doc.title = section.getAttribute("data-title") || doc.title;
  doc.body.className = (section.getAttribute("data-body-class") || "") + " single-file";
  while (section.firstChild) main.insertBefore(section.firstChild, section);
  section.remove();
  var here = "?p=" + encodeURIComponent(key);
  var navLinks = doc.querySelectorAll(".site-header nav a[href]");
  for (var n = 0; n < navLinks.length; n++) {
    if (navLinks[n].getAttribute("href") === here) navLinks[n].setAttribute("aria-current", "page");
    else navLinks[n].removeAttribute("aria-current");
  }

  /* Links made by scripts, relative to the site root (this file's folder): to in-file pages. */
  var root = new URL("./", location.href).href;
  function fix(a) {
    var href = a.getAttribute("href");
    if (!href || href.charAt(0) === "#" || href.charAt(0) === "?") return;
    var url;
    try { url = new URL(href, location.href); } catch (e) { return; }
    if (url.href.indexOf(root) !== 0 || url.pathname === location.pathname) return;
    var path = decodeURIComponent(url.href.slice(root.length).split(/[?#]/)[0]);
    if (!PAGES.hasOwnProperty(path)) return;
    a.setAttribute("href", "?p=" + encodeURIComponent(PAGES[path]) + url.hash);
  }
  function fixAll(node) {
    if (node.nodeType !== 1) return;
    if (node.matches("a[href], area[href]")) fix(node);
    var links = node.querySelectorAll("a[href], area[href]");
    for (var i = 0; i < links.length; i++) fix(links[i]);
  }
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === "attributes") fix(r.target);
      else for (var i = 0; i < r.addedNodes.length; i++) fixAll(r.addedNodes[i]);
    });
  }).observe(doc.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["href"] });
})();
"""


def runtime_script(pages: dict[str, str], id_list_attrs: tuple[str, ...]) -> str:
    """The script for a single file holding ``pages`` (site path -> page key)."""
    data = json.dumps(pages, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    return _RUNTIME.replace("__PAGES__", data).replace("__ID_LISTS__", json.dumps(list(id_list_attrs)))
