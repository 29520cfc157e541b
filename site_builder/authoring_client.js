/* Annotating from the live preview (site-builder serve only; never in a built site).
   Select text in the document -> "Annotate" (or the key a) -> the form -> Save.
   The server maps the selection to the source, writes content/annotations/<slug>.yml,
   and the live reload shows the new note. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("site-builder-authoring");
  var text = document.getElementById("text");
  if (!cfgEl || !text || window.__siteBuilderAuthoring) return;
  window.__siteBuilderAuthoring = true;
  var cfg = JSON.parse(cfgEl.textContent);
  var GOTO = "site-builder:authoring:goto";
  var SKIP = "sup.ann-ref, aside, .note, script, style, [data-sb-authoring]";

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function post(action, data) {
    return fetch(cfg.endpoint + action, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Site-Builder-Token": cfg.token},
      body: JSON.stringify(data)
    }).then(function (r) {
      return r.json().catch(function () { return {error: "The preview answered " + r.status + "."}; })
        .then(function (d) { if (!r.ok && !d.error) d.error = "The preview answered " + r.status + "."; return d; });
    }, function () { return {error: "The preview is not running (no answer)."}; });
  }

  // ---- the selection, as text of the document (the note markers left out)

  function textNodes() {
    var out = [];
    var w = document.createTreeWalker(text, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        return n.parentElement && n.parentElement.closest(SKIP) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    while (w.nextNode()) out.push(w.currentNode);
    return out;
  }

  function currentRange() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var r = sel.getRangeAt(0);
    if (!text.contains(r.commonAncestorContainer)) return null;
    if (!sel.toString().trim()) return null;
    return r;
  }

  function describe(range) {
    var full = "", start = -1, end = -1;
    textNodes().forEach(function (t) {
      if (range.intersectsNode(t)) {
        var s = t === range.startContainer ? range.startOffset : 0;
        var e = t === range.endContainer ? range.endOffset : t.length;
        if (start < 0) start = full.length + s;
        end = full.length + e;
      }
      full += t.data;
    });
    if (start < 0 || end <= start) return null;
    return {exact: full.slice(start, end), before: full.slice(Math.max(0, start - 300), start),
            after: full.slice(end, end + 300)};
  }

  // ---- the Annotate control

  var button = el("button", {type: "button", "class": "sb-annotate", "data-sb-authoring": "",
                             "aria-keyshortcuts": "a", text: "Annotate"});
  button.hidden = true;
  document.body.appendChild(button);
  var pending = null;

  function place(node, rect) {
    var h = node.offsetHeight || 0;
    var above = rect.bottom + 6 + h > window.innerHeight && rect.top - 6 - h >= 0;
    node.style.top = (window.scrollY + (above ? rect.top - 6 - h : rect.bottom + 6)) + "px";
    node.style.left = Math.max(8, Math.min(window.scrollX + rect.left, window.scrollX + document.documentElement.clientWidth - 340)) + "px";
  }

  function update() {
    if (form) return;
    var r = currentRange();
    if (!r) { button.hidden = true; pending = null; return; }
    pending = r.cloneRange();
    var rects = r.getClientRects();
    place(button, rects.length ? rects[rects.length - 1] : r.getBoundingClientRect());
    button.hidden = false;
  }
  document.addEventListener("selectionchange", function () { window.clearTimeout(update.t); update.t = window.setTimeout(update, 120); });
  button.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the selection
  button.addEventListener("click", function () { if (pending) openForm(null, pending); });
  document.addEventListener("keydown", function (e) {
    if (form || e.key !== "a" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var r = currentRange();
    if (r) { e.preventDefault(); openForm(null, r.cloneRange()); }
  });

  // ---- the form

  var form = null, returnFocus = null, seq = 0;

  function field(labelText, control, id) {
    control.id = id;
    return el("div", {"class": "sb-field"}, [el("label", {"for": id, text: labelText}), control]);
  }

  function openForm(existingId, range) {
    var ex = existingId ? cfg.annotations[existingId] : null;
    var sel = range ? describe(range) : null;
    if (!ex && !sel) return;
    returnFocus = document.activeElement;
    button.hidden = true;
    var n = ++seq, p = "sb-f" + n + "-";
    var kind = el("select", {name: "kind"});
    cfg.kinds.forEach(function (k) { kind.appendChild(el("option", {value: k, text: k})); });
    var verdict = el("select", {name: "verdict"});
    verdict.appendChild(el("option", {value: "", text: "(choose)"}));
    cfg.verdicts.forEach(function (v) { verdict.appendChild(el("option", {value: v, text: v})); });
    var body = el("textarea", {name: "body", rows: "4"});
    var preview = el("div", {"class": "sb-preview", "aria-live": "polite", "aria-label": "Preview of the note"});
    var list = el("datalist", {id: p + "glossary"});
    cfg.glossary.forEach(function (g) { list.appendChild(el("option", {value: g.id, label: g.name})); });
    var entityInput = el("input", {type: "text", list: p + "glossary", autocomplete: "off",
                                   placeholder: "type a name or id, then Enter"});
    var chips = el("ul", {"class": "sb-chips", "aria-label": "Entities"});
    var entities = [];
    var sources = el("textarea", {name: "sources", rows: "2", placeholder: "Title | https://address | publisher | YYYY-MM-DD"});
    var error = el("p", {"class": "sb-error", role: "alert"});
    var save = el("button", {type: "submit", text: "Save"});
    var cancel = el("button", {type: "button", text: "Cancel"});
    var heading = el("p", {"class": "sb-form-title", id: p + "title",
                           text: ex ? "Edit annotation " + existingId : "Annotate: \u201c" + sel.exact.replace(/\s+/g, " ").slice(0, 80) + "\u201d"});
    var verdictField = field("Verdict", verdict, p + "verdict");
    form = el("form", {"class": "sb-form", "data-sb-authoring": "", role: "dialog", "aria-labelledby": p + "title"}, [
      heading, field("Kind", kind, p + "kind"), verdictField,
      field("Note (Markdown)", body, p + "body"), preview,
      field("Entities", entityInput, p + "entities"), chips, list,
      field("Sources (one a line: title | address | publisher | date)", sources, p + "sources"),
      error, el("div", {"class": "sb-actions"}, [save, cancel])
    ]);

    function addEntity(id) {
      var g = cfg.glossary.filter(function (x) { return x.id === id || x.name.toLowerCase() === id.toLowerCase(); })[0];
      if (!g) { error.textContent = "Not in the glossary: " + id; return; }
      if (entities.indexOf(g.id) >= 0) return;
      entities.push(g.id);
      var rm = el("button", {type: "button", "aria-label": "Remove " + g.name, text: "\u00d7"});
      var li = el("li", {}, [document.createTextNode(g.name + " "), rm]);
      rm.addEventListener("click", function () { entities.splice(entities.indexOf(g.id), 1); li.remove(); entityInput.focus(); });
      chips.appendChild(li);
    }
    function showVerdict() { verdictField.hidden = kind.value !== "fact-check"; }
    var previewTimer = null;
    function refreshPreview() {
      window.clearTimeout(previewTimer);
      previewTimer = window.setTimeout(function () {
        post("preview", {body: body.value}).then(function (d) {
          if (d.html !== undefined) preview.innerHTML = d.html;  // rendered by the builder's own Markdown
        });
      }, 250);
    }
    function close() {
      if (!form) return;
      document.removeEventListener("keydown", onKey);
      form.remove(); form = null;
      if (returnFocus && returnFocus.focus) returnFocus.focus();
    }

    if (ex) {
      kind.value = ex.kind; verdict.value = ex.verdict || ""; body.value = ex.body.replace(/\n$/, "");
      ex.entities.forEach(addEntity);
      sources.value = ex.sources.map(function (s) {
        return [s.title || "", s.url || "", s.publisher || "", s.date || ""].join(" | ").replace(/( \| )+$/, "");
      }).join("\n");
      refreshPreview();
    }
    showVerdict();
    kind.addEventListener("change", showVerdict);
    body.addEventListener("input", refreshPreview);
    entityInput.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); if (entityInput.value.trim()) addEntity(entityInput.value.trim()); entityInput.value = ""; }
    });
    entityInput.addEventListener("change", function () {
      var v = entityInput.value.trim();
      if (cfg.glossary.some(function (g) { return g.id === v; })) { addEntity(v); entityInput.value = ""; }
    });
    cancel.addEventListener("click", close);
    function onKey(e) { if (e.key === "Escape" && form) { e.preventDefault(); close(); } }
    document.addEventListener("keydown", onKey);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      error.textContent = "";
      var data = {slug: cfg.slug, hash: cfg.hash, kind: kind.value, verdict: verdict.value, body: body.value,
                  entities: entities.slice(),
                  sources: sources.value.split("\n").filter(function (l) { return l.trim(); }).map(function (l) {
                    var f = l.split("|").map(function (x) { return x.trim(); });
                    return {title: f[0] || "", url: f[1] || "", publisher: f[2] || "", date: f[3] || ""};
                  })};
      if (ex) data.id = existingId; else { data.exact = sel.exact; data.before = sel.before; data.after = sel.after; }
      save.disabled = true;
      post("save", data).then(function (d) {
        save.disabled = false;
        if (d.error) { error.textContent = d.error; save.focus(); return; }
        saved(d.id, form);
      });
    });

    var at = range ? range.getBoundingClientRect() : document.getElementById("ann-" + existingId).getBoundingClientRect();
    document.body.appendChild(form);
    place(form, at);
    kind.focus();
  }

  function saved(id, node) {
    try { window.sessionStorage.setItem(GOTO, id || ""); } catch (e) { /* private mode: no scrolling */ }
    if (id) history.replaceState(null, "", "#ann-" + id);
    if (node) {
      node.replaceChildren(el("p", {"class": "sb-form-title", role: "status", text: "Saved; rebuilding\u2026"}));
    }
    if (!window.__siteBuilderLive) window.setTimeout(function () { location.reload(); }, 1500);
  }

  // ---- Edit and Delete on every note card

  Array.prototype.forEach.call(document.querySelectorAll("aside.note[data-ann]"), function (card) {
    var id = card.getAttribute("data-ann");
    if (!cfg.annotations[id]) return;
    var edit = el("button", {type: "button", text: "Edit"});
    var del = el("button", {type: "button", text: "Delete"});
    var msg = el("span", {"class": "sb-error", role: "alert"});
    edit.addEventListener("click", function () { if (!form) openForm(id, null); });
    del.addEventListener("click", function () {
      if (!window.confirm("Delete annotation " + id + "?")) return;
      post("delete", {slug: cfg.slug, hash: cfg.hash, id: id}).then(function (d) {
        if (d.error) { msg.textContent = d.error; return; }
        try { window.sessionStorage.removeItem(GOTO); } catch (e) { /* ignore */ }
        msg.textContent = "Deleted; rebuilding\u2026";
        if (!window.__siteBuilderLive) window.setTimeout(function () { location.reload(); }, 1500);
      });
    });
    card.appendChild(el("p", {"class": "sb-card-actions", "data-sb-authoring": ""}, [edit, document.createTextNode(" "), del, msg]));
  });

  // ---- after the reload: go to the note just saved

  var goto = null;
  try { goto = window.sessionStorage.getItem(GOTO); window.sessionStorage.removeItem(GOTO); } catch (e) { /* ignore */ }
  if (goto) {
    window.addEventListener("load", function () {
      window.setTimeout(function () {
        var card = document.getElementById("ann-" + goto);
        if (card) { card.scrollIntoView({block: "center"}); card.classList.add("sb-just-saved"); }
      }, 50);
    });
  }
})();
