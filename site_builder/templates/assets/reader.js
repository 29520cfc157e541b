/* site_builder reader: entity and annotation popovers, and the theme toggle.
   Entity data comes from assets/entities.js (a <script>, never fetched), annotations
   from the notes already in the page, so everything works from file://.
   Without JavaScript, entity links are plain links and the notes are a numbered list after the text. */
(function () {
  "use strict";

  var doc = document, html = doc.documentElement;
  var script = doc.currentScript;
  var siteRoot = script && script.src ? new URL("../", script.src).href : new URL("./", location.href).href;  // inlined (single-file export): no src
  var glossaryRoot = siteRoot + "glossary/";
  var SHOW_DELAY = 150, HIDE_DELAY = 300;
  var wideLayout = window.matchMedia ? window.matchMedia("(min-width: 62rem)") : { matches: false };  // as in style.css

  /* ------------------------------------------------------------ theme */

  function initTheme() {
    var btn = doc.querySelector("[data-theme-toggle]");
    if (!btn) return;
    if (!btn.children.length) {  // the default template leaves the icons to this script (hidden without it)
      btn.innerHTML = '<svg class="icon-moon" aria-hidden="true" viewBox="0 0 24 24" width="20" height="20"><path d="M20 14.5A8.5 8.5 0 0 1 9.5 4a8.5 8.5 0 1 0 10.5 10.5Z" fill="currentColor"/></svg>' +
        '<svg class="icon-sun" aria-hidden="true" viewBox="0 0 24 24" width="20" height="20"><circle cx="12" cy="12" r="4.5" fill="currentColor"/><path d="M12 1.5v3M12 19.5v3M1.5 12h3M19.5 12h3M4.6 4.6l2.1 2.1M17.3 17.3l2.1 2.1M4.6 19.4l2.1-2.1M17.3 6.7l2.1-2.1" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>' +
        '<span class="visually-hidden">Dark theme</span>';
    }
    var mq = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    function effective() {
      var t = html.getAttribute("data-theme");
      return t === "light" || t === "dark" ? t : (mq && mq.matches ? "dark" : "light");
    }
    function sync() {
      var dark = effective() === "dark";
      btn.setAttribute("aria-pressed", dark ? "true" : "false");
      btn.title = dark ? "Dark theme is on: switch to light" : "Light theme is on: switch to dark";
    }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var next = effective() === "dark" ? "light" : "dark";
      html.setAttribute("data-theme", next);
      try { localStorage.setItem("sb-theme", next); } catch (e) { /* not remembered */ }
      sync();
    });
    if (mq && mq.addEventListener) mq.addEventListener("change", sync);
    window.addEventListener("storage", function (e) {
      if (e.key !== "sb-theme") return;
      if (e.newValue === "light" || e.newValue === "dark") html.setAttribute("data-theme", e.newValue);
      else html.removeAttribute("data-theme");
      sync();
    });
    sync();
  }

  /* ------------------------------------------------------------ popovers */

  var entities = window.SB_ENTITIES || {};
  var pop = null, body = null;
  var current = null, mode = "", showTimer = 0, hideTimer = 0, lastPointer = "mouse", savedDescribedBy = null;

  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function ensurePopover() {
    if (pop) return;
    pop = el("div", "popover");
    pop.id = "sb-popover";
    pop.hidden = true;
    body = el("div", "popover-body");
    pop.appendChild(body);
    doc.body.appendChild(pop);
    pop.addEventListener("pointerenter", function () { clearTimeout(hideTimer); });
    pop.addEventListener("pointerleave", function (e) { if (e.pointerType !== "touch" && mode === "hover") scheduleHide(); });
    pop.addEventListener("focusout", function (e) {
      if (mode !== "pinned") return;
      var to = e.relatedTarget;
      if (to && (pop.contains(to) || to === current)) return;
      hide(false);
    });
  }

  function entityIdOf(a) {
    if (a.hasAttribute("data-entity")) return a.getAttribute("data-entity");
    if (!(a instanceof HTMLAnchorElement) || !a.href) return null;
    var href = a.href.split("#")[0];
    if (href.indexOf(glossaryRoot) !== 0 || href === location.href.split("#")[0]) return null;
    var m = /^([^/?]+)\.html$/.exec(href.slice(glossaryRoot.length));
    if (!m) return null;
    var id = decodeURIComponent(m[1]);
    return Object.prototype.hasOwnProperty.call(entities, id) ? id : null;
  }

  /* The trigger an element belongs to, or null: an entity link, an annotation highlight or reference. */
  function triggerOf(node) {
    if (!node || node.nodeType !== 1 || !node.closest) return null;
    if (pop && pop.contains(node)) return null;
    var ref = node.closest(".ann-ref a[href^='#ann-']");
    if (ref) return ref;
    var a = node.closest("a[href]");
    if (a && a.closest("main") && entityIdOf(a)) return a;
    if (a) return null;
    var mark = node.closest("mark.hl[data-ann]");
    return mark || null;
  }

  function annotationIds(t) {
    if (t.matches("mark")) return t.getAttribute("data-ann").split(/\s+/).filter(Boolean);
    return [t.getAttribute("href").slice(5)];
  }

  function stripIds(node) {
    if (node.removeAttribute) node.removeAttribute("id");
    var all = node.querySelectorAll ? node.querySelectorAll("[id]") : [];
    for (var i = 0; i < all.length; i++) all[i].removeAttribute("id");
    return node;
  }

  function fillEntity(t) {
    var data = entities[entityIdOf(t)];
    var card = el("div", "popover-entity");
    card.appendChild(el("p", "popover-type", data[1]));
    // Author text lays out by its own direction (Arabic, Hebrew), isolated from the labels around it.
    var title = el("p", "popover-title", data[0]);
    title.dir = "auto";
    card.appendChild(title);
    var summary = el("p", "popover-summary", data[2]);
    summary.dir = "auto";
    card.appendChild(summary);
    var more = el("a", "popover-more", "Open the glossary entry");
    more.href = t.href;
    card.appendChild(more);
    body.appendChild(card);
    pop.setAttribute("aria-label", data[0]);
  }

  function fillAnnotations(t) {
    var ids = annotationIds(t), labels = [];
    for (var i = 0; i < ids.length; i++) {
      var note = doc.getElementById("ann-" + ids[i]);
      if (!note) continue;
      var card = stripIds(note.cloneNode(true));
      card.className = card.className.replace(/\bnote\b/, "popover-note");
      card.removeAttribute("aria-label");
      var num = card.querySelector(".note-number");
      if (num) {
        var span = el("span", "note-number", num.textContent);
        num.parentNode.replaceChild(span, num);
      }
      var out = doc.createElement("div");
      out.className = card.className;
      out.dir = "auto";
      while (card.firstChild) out.appendChild(card.firstChild);
      body.appendChild(out);
      labels.push(note.getAttribute("aria-label") || "Annotation");
    }
    pop.setAttribute("aria-label", labels.join(", "));
    return ids;
  }

  function setCurrentMarks(ids, on) {
    for (var i = 0; i < ids.length; i++) {
      var marks = doc.querySelectorAll("mark.hl[data-ann~='" + ids[i].replace(/'/g, "") + "']");
      for (var j = 0; j < marks.length; j++) marks[j].classList.toggle("is-current", on);
      var note = doc.getElementById("ann-" + ids[i]);
      if (note) note.classList.toggle("is-current", on);
    }
  }

  var currentIds = [];

  function show(t, how, point) {
    ensurePopover();
    clearTimeout(showTimer); clearTimeout(hideTimer);
    if (current === t && !pop.hidden) {
      if (how === "pinned" && mode !== "pinned") setMode("pinned");
      else if (how === "focus" && mode === "hover") mode = "focus";
      return;
    }
    hide(false);
    body.textContent = "";
    var isEntity = t.matches("a") && !t.closest(".ann-ref");
    if (isEntity) fillEntity(t);
    else currentIds = fillAnnotations(t);
    if (!body.firstChild) return;
    current = t;
    pop.className = "popover " + (isEntity ? "popover-is-entity" : "popover-is-annotation");
    setMode(how);
    pop.hidden = false;
    place(t, point);
    setCurrentMarks(currentIds, true);
  }

  function setMode(how) {
    mode = how;
    var interactive = how === "pinned";
    pop.setAttribute("role", interactive ? "dialog" : "tooltip");
    var links = pop.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      if (interactive) links[i].removeAttribute("tabindex"); else links[i].setAttribute("tabindex", "-1");
    }
    if (interactive) {
      restoreDescribedBy();
      if (current.matches("a")) current.setAttribute("aria-expanded", "true");
    } else if (current.getAttribute("aria-describedby") !== "sb-popover") {
      savedDescribedBy = current.getAttribute("aria-describedby");
      current.setAttribute("aria-describedby", "sb-popover");
    }
  }

  function restoreDescribedBy() {
    if (!current) return;
    if (current.getAttribute("aria-describedby") === "sb-popover") {
      if (savedDescribedBy) current.setAttribute("aria-describedby", savedDescribedBy);
      else current.removeAttribute("aria-describedby");
    }
    savedDescribedBy = null;
  }

  var refocused = null;  // a trigger given focus back by hide(): its focus must not reopen the popover

  function hide(returnFocus) {
    clearTimeout(showTimer); clearTimeout(hideTimer);
    if (!pop || pop.hidden) { current = null; return; }
    var t = current, hadFocus = pop.contains(doc.activeElement);
    restoreDescribedBy();
    if (t) t.removeAttribute("aria-expanded");
    setCurrentMarks(currentIds, false);
    currentIds = [];
    pop.hidden = true;
    current = null;
    mode = "";
    if (t && (returnFocus || hadFocus)) { refocused = t; t.focus(); refocused = null; }
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(function () { hide(false); }, HIDE_DELAY);
  }

  /* Below the trigger if it fits, else above; always inside the viewport. */
  function place(t, point) {
    var rects = t.getClientRects(), r = rects[0] || t.getBoundingClientRect();
    if (point) {
      for (var i = 0; i < rects.length; i++) {
        if (point.y >= rects[i].top - 2 && point.y <= rects[i].bottom + 2) { r = rects[i]; break; }
      }
    }
    var vw = doc.documentElement.clientWidth, vh = window.innerHeight, margin = 8, gap = 6;
    pop.style.maxWidth = Math.min(416, vw - 2 * margin) + "px";
    pop.style.left = "0px"; pop.style.top = "0px";
    pop.style.maxHeight = "";
    var w = pop.offsetWidth, h = pop.offsetHeight;
    var below = vh - r.bottom - gap - margin, above = r.top - gap - margin, top;
    if (h <= below || below >= above) {
      top = r.bottom + gap;
      if (h > below) pop.style.maxHeight = Math.max(120, below) + "px";
    } else {
      if (h > above) { pop.style.maxHeight = above + "px"; h = above; }
      top = r.top - gap - h;
    }
    // With notes in the margin, keep the popover over the text column, clear of the notes.
    var right = vw - margin, column = t.closest(".doc-text");
    if (column && inMargin()) {
      right = Math.min(right, column.getBoundingClientRect().right + 12);
    }
    var anchorX = point ? point.x - 24 : r.left;
    var left = Math.max(margin, Math.min(anchorX, right - w));
    pop.style.left = left + window.scrollX + "px";
    pop.style.top = top + window.scrollY + "px";
  }

  function initPopovers() {
    doc.addEventListener("pointerdown", function (e) {
      lastPointer = e.pointerType || "mouse";
      if (pop && !pop.hidden && mode === "pinned" && !pop.contains(e.target) && triggerOf(e.target) !== current) hide(false);
    }, true);

    doc.addEventListener("pointerover", function (e) {
      if (e.pointerType === "touch") return;
      var t = triggerOf(e.target);
      if (!t) return;
      clearTimeout(hideTimer);
      if (t === current) return;
      if (mode === "pinned" || mode === "focus") return;
      var point = { x: e.clientX, y: e.clientY };
      clearTimeout(showTimer);
      showTimer = setTimeout(function () { show(t, "hover", point); }, SHOW_DELAY);
    });

    doc.addEventListener("pointerout", function (e) {
      if (e.pointerType === "touch") return;
      var t = triggerOf(e.target);
      if (!t) return;
      if (e.relatedTarget && (t.contains(e.relatedTarget) || (pop && pop.contains(e.relatedTarget)))) return;
      clearTimeout(showTimer);
      if (t === current && mode === "hover") scheduleHide();
    });

    doc.addEventListener("focusin", function (e) {
      var t = triggerOf(e.target);
      if (t && t === refocused) return;
      if (t && t === e.target) {
        if (!(t === current && mode === "pinned")) show(t, "focus");
      } else if (pop && !pop.hidden && !pop.contains(e.target) && mode !== "hover") {
        hide(false);
      }
    });

    doc.addEventListener("focusout", function (e) {
      if (!pop || pop.hidden || e.target !== current || mode !== "focus") return;
      if (e.relatedTarget && pop.contains(e.relatedTarget)) return;
      hide(false);
    });

    // Touch: the first tap shows the preview, a second tap on a link follows it.
    doc.addEventListener("click", function (e) {
      var t = triggerOf(e.target);
      if (!t || lastPointer !== "touch") return;
      if (t === current && pop && !pop.hidden && mode === "pinned") {
        if (!t.matches("a")) { e.preventDefault(); hide(false); }
        return;
      }
      e.preventDefault();
      show(t, "pinned");
    });

    doc.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && pop && !pop.hidden) {
        var inPop = pop.contains(doc.activeElement);
        hide(inPop);
        e.stopPropagation();
      } else if ((e.key === "Enter" || e.key === " ") && e.target.matches && e.target.matches("mark.hl[tabindex]")) {
        // Enter on a highlight pins its annotation so the links in it can be reached.
        e.preventDefault();
        show(e.target, "pinned");
        var first = pop && pop.querySelector("a[href]");
        if (first) first.focus();
      }
    });

    window.addEventListener("resize", function () { if (pop && !pop.hidden) hide(false); });
  }

  /* ------------------------------------------------------------ note cards */

  /* The notes are a numbered list after the text.  On wide screens (and unless the reader
     chose the list) they become compact cards in the margin: each card as close to the top
     of its highlight as the cards around it allow.  Placement is an ordered, non-overlapping
     least-squares fit (pool-adjacent-violators): a run of cards that would collide is set as
     one stack centred on its highlights, never above the top of the text and never out of
     reading order.  The text itself never moves. */
  var NOTES_KEY = "sb-notes", GAP = 6;
  var notesBox = null, notesPrefs = { list: false, expanded: false };

  function readPrefs() {
    try {
      var v = localStorage.getItem(NOTES_KEY) || "";
      notesPrefs.list = /\blist\b/.test(v);
      notesPrefs.expanded = /\bexpanded\b/.test(v);
    } catch (e) { /* storage unavailable: defaults */ }
  }

  function savePrefs() {
    var v = (notesPrefs.list ? "list " : "") + (notesPrefs.expanded ? "expanded" : "");
    try { if (v.trim()) localStorage.setItem(NOTES_KEY, v.trim()); else localStorage.removeItem(NOTES_KEY); } catch (e) { /* not remembered */ }
  }

  function noteCards() { return notesBox ? Array.prototype.slice.call(notesBox.querySelectorAll(".note-list .note")) : []; }

  function inMargin() { return !!notesBox && notesBox.classList.contains("notes-margin"); }

  /* Where a note's words start: its highlight, or its number when it has no highlight. */
  function anchorOf(id) { return doc.getElementById("hl-" + id) || doc.getElementById("ref-" + id); }

  function anchorTop(id, base) {
    var a = anchorOf(id);
    if (!a) return 0;
    var r = a.getBoundingClientRect();
    if (!r.height) {  // the empty start marker: use the first highlighted piece after it
      var m = a.nextElementSibling;
      if (m) r = m.getBoundingClientRect();
    }
    return r.top - base;
  }

  /* Tops for boxes of the given heights, each wanted at want[i], in order, GAP apart, none
     above 0, minimising the summed squared distance to the wanted tops. */
  function stack(want, heights) {
    var n = want.length, offset = [], acc = 0, blocks = [], i;
    for (i = 0; i < n; i++) { offset.push(acc); acc += heights[i] + GAP; }
    for (i = 0; i < n; i++) {
      var b = { sum: want[i] - offset[i], count: 1, start: i };
      b.value = b.sum;
      while (blocks.length && blocks[blocks.length - 1].value > b.value) {
        var p = blocks.pop();
        b = { sum: p.sum + b.sum, count: p.count + b.count, start: p.start };
        b.value = b.sum / b.count;
      }
      blocks.push(b);
    }
    var tops = new Array(n), floor = 0;
    for (var k = 0; k < blocks.length; k++) {
      var end = k + 1 < blocks.length ? blocks[k + 1].start : n;
      for (i = blocks[k].start; i < end; i++) {
        tops[i] = Math.max(blocks[k].value + offset[i], floor);
        floor = tops[i] + heights[i] + GAP;
      }
    }
    return tops;
  }

  function layoutNotes() {
    if (!notesBox) return;
    var cards = noteCards();
    var margin = wideLayout.matches && !notesPrefs.list && cards.length > 0;
    notesBox.classList.toggle("notes-margin", margin);
    notesBox.classList.toggle("notes-expanded", notesPrefs.expanded);
    notesBox.style.minHeight = "";
    if (!margin) {
      cards.forEach(function (c) { c.style.top = ""; });
      return;
    }
    // Read every position first, then write once.
    var base = notesBox.getBoundingClientRect().top;
    var want = cards.map(function (c) { return anchorTop(c.getAttribute("data-ann"), base); });
    var heights = cards.map(function (c) { return c.offsetHeight; });
    var tops = stack(want, heights);
    var bottom = 0;
    cards.forEach(function (c, i) {
      c.style.top = Math.round(tops[i]) + "px";
      bottom = Math.max(bottom, tops[i] + heights[i]);
    });
    notesBox.style.minHeight = Math.ceil(bottom) + "px";
  }

  function setOpen(card, open) {
    card.classList.toggle("is-open", open);
    var t = card.querySelector(".note-toggle");
    if (t) {
      t.setAttribute("aria-expanded", open ? "true" : "false");
      t.querySelector(".visually-hidden").textContent = (open ? "Collapse note " : "Expand note ") + card.querySelector(".note-number").textContent;
    }
  }

  function syncControls() {
    var ex = doc.querySelector("[data-notes-expand]"), li = doc.querySelector("[data-notes-list]");
    if (ex) ex.setAttribute("aria-pressed", notesPrefs.expanded ? "true" : "false");
    if (li) li.setAttribute("aria-pressed", notesPrefs.list ? "true" : "false");
    if (ex) ex.hidden = !wideLayout.matches || notesPrefs.list;
    if (li) li.hidden = !wideLayout.matches;
  }

  /* Show the element a fragment names, with its top in the upper part of the window: a note
     is opened first, and the page is scrolled after the cards are placed. */
  function landOn(hash, smooth) {
    if (!hash || hash.length < 2) return;
    var id;
    try { id = decodeURIComponent(hash.slice(1)); } catch (e) { return; }
    var target = doc.getElementById(id);
    if (!target) return;
    if (target.classList.contains("note") && inMargin() && !target.classList.contains("is-open")) {
      setOpen(target, true);
      layoutNotes();
    }
    var r = target.getBoundingClientRect();
    if (!r.height && target.nextElementSibling) r = target.nextElementSibling.getBoundingClientRect();
    var margin = parseFloat(getComputedStyle(target).scrollMarginTop) || 0;
    window.scrollTo({ top: Math.max(0, window.scrollY + r.top - margin), behavior: smooth ? "smooth" : "auto" });
    landedAt = window.scrollY;
  }

  var landedAt = -1;  // where landOn left the page; a later re-layout re-lands only if the reader has not scrolled since

  function relandIfStill() {
    if (location.hash.length > 1 && window.scrollY === landedAt) landOn(location.hash, false);
  }

  function selectNote(id, on) {
    var card = doc.getElementById("ann-" + id);
    if (card) card.classList.toggle("is-current", on);
    var marks = doc.querySelectorAll("mark.hl[data-ann~='" + id.replace(/'/g, "") + "']");
    for (var j = 0; j < marks.length; j++) marks[j].classList.toggle("is-current", on);
    var ref = doc.querySelector("#ref-" + cssId(id) + " a");
    if (ref) ref.classList.toggle("is-current", on);
    // A translation's annotation marks its counterpart in the original beside it too.
    var twins = doc.querySelectorAll("mark.counterpart[data-counterpart='" + id.replace(/'/g, "") + "']");
    for (var k = 0; k < twins.length; k++) twins[k].classList.toggle("is-current", on);
  }

  function cssId(id) { return window.CSS && CSS.escape ? CSS.escape(id) : id.replace(/[^\w-]/g, "\\$&"); }

  function initNotes() {
    notesBox = doc.querySelector(".annotated-text");
    if (!notesBox || !notesBox.querySelector(".note-list .note")) { notesBox = null; return; }
    readPrefs();
    var cards = noteCards();
    cards.forEach(function (card) {
      var b = el("button", "note-toggle");
      b.type = "button";
      b.setAttribute("aria-controls", card.id + "-full");
      b.innerHTML = '<svg aria-hidden="true" viewBox="0 0 16 16" width="14" height="14"><path d="M3.5 6 8 10.5 12.5 6" fill="none" stroke="currentColor" stroke-width="2"/></svg><span class="visually-hidden"></span>';
      card.insertBefore(b, card.firstChild);
      setOpen(card, false);
    });
    // One tab stop per annotation: its first highlight piece outside a link (which opens the
    // popover); its number takes focus only when no highlight piece can.
    var seen = {};
    var marks = doc.querySelectorAll(".doc-text mark.hl[data-ann]");
    for (var i = 0; i < marks.length; i++) {
      var m = marks[i];
      if (m.closest("a")) continue;
      var ids = m.getAttribute("data-ann").split(/\s+/), fresh = false;
      for (var k = 0; k < ids.length; k++) if (!seen[ids[k]]) { seen[ids[k]] = true; fresh = true; }
      if (fresh) m.tabIndex = 0;
    }
    var refs = doc.querySelectorAll(".doc-text .ann-ref a");
    for (var r = 0; r < refs.length; r++) if (seen[refs[r].getAttribute("href").slice(5)]) refs[r].tabIndex = -1;

    var controls = doc.querySelector("[data-notes-controls]");
    if (controls) controls.hidden = false;
    var ex = doc.querySelector("[data-notes-expand]"), li = doc.querySelector("[data-notes-list]");
    if (ex) ex.addEventListener("click", function () {
      notesPrefs.expanded = !notesPrefs.expanded; savePrefs();
      cards.forEach(function (c) { setOpen(c, notesPrefs.expanded); });
      syncControls(); layoutNotes();
    });
    if (li) li.addEventListener("click", function () {
      notesPrefs.list = !notesPrefs.list; savePrefs();
      syncControls(); layoutNotes();
    });
    if (notesPrefs.expanded) cards.forEach(function (c) { setOpen(c, true); });

    // A card opens in place on a click (not on its links) or Enter on its toggle.
    notesBox.addEventListener("click", function (e) {
      if (!inMargin()) return;
      var card = e.target.closest && e.target.closest(".note-list .note");
      if (!card) return;
      var toggle = e.target.closest(".note-toggle");
      if (!toggle && (e.target.closest("a[href], button") || (card.classList.contains("is-open") && e.target.closest(".note-full")))) return;
      setOpen(card, !card.classList.contains("is-open"));
      layoutNotes();
    });
    // Selection both ways: a highlight marks its card, a card marks its highlight.
    function over(e, on) {
      var t = e.target;
      if (!t.closest) return;
      var card = t.closest(".note-list .note");
      if (card) {
        if (e.relatedTarget && card.contains(e.relatedTarget)) return;
        selectNote(card.getAttribute("data-ann"), on);
        return;
      }
      var mark = t.closest(".doc-text mark.hl[data-ann], .doc-text .ann-ref a");
      if (!mark) return;
      if (e.relatedTarget && mark.contains(e.relatedTarget)) return;
      var ids = mark.matches("a") ? [mark.getAttribute("href").slice(5)] : mark.getAttribute("data-ann").split(/\s+/);
      ids.forEach(function (id) { selectNote(id, on); });
    }
    doc.addEventListener("pointerover", function (e) { over(e, true); });
    doc.addEventListener("pointerout", function (e) { over(e, false); });
    doc.addEventListener("focusin", function (e) { over(e, true); });
    doc.addEventListener("focusout", function (e) { over(e, false); });

    syncControls();
    layoutNotes();
    landOn(location.hash, false);
    var back = doc.querySelector(".back-to-top");
    if (back) {
      // Wide screens: shown once the reader is a screen down (it sits outside the columns).
      // Phones: it floats over the text, so it shows only while the reader scrolls back up,
      // or at the end of the page, and keeps out of the way while they read on.
      var narrow = window.matchMedia("(max-width: 47.99rem)"), lastY = window.scrollY;
      var away = function () {
        var y = window.scrollY, hide = y < window.innerHeight;
        if (!hide && narrow.matches) {
          var atEnd = y + window.innerHeight >= doc.documentElement.scrollHeight - 4;
          if (atEnd) hide = false;
          else if (y > lastY + 8) hide = true;
          else if (y < lastY - 8) hide = false;
          else { hide = back.classList.contains("is-away"); y = lastY; }  // small moves: keep the state
        }
        lastY = y;
        back.classList.toggle("is-away", hide);
      };
      away();
      window.addEventListener("scroll", away, { passive: true });
    }
    var timer = 0;
    function relayout() { layoutNotes(); }
    window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(function () { syncControls(); relayout(); }, 60); });
    window.addEventListener("load", function () { relayout(); landOn(location.hash, false); });
    if (doc.fonts && doc.fonts.ready) doc.fonts.ready.then(function () { relayout(); relandIfStill(); });
    if (wideLayout.addEventListener) wideLayout.addEventListener("change", function () { syncControls(); relayout(); });
    window.addEventListener("hashchange", function () { landOn(location.hash, false); });
    // Same-page links to a fragment: place and open first, then scroll (the browser would
    // scroll to where the target was before its card opened).
    doc.addEventListener("click", function (e) {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      var a = e.target.closest && e.target.closest("a[href^='#']");
      if (!a || a.getAttribute("href").length < 2) return;
      var hash = a.getAttribute("href");
      if (!doc.getElementById(decodeURIComponent(hash.slice(1)))) return;
      e.preventDefault();
      if (location.hash !== hash) history.pushState(null, "", hash);
      landOn(hash, false);
      var t = doc.getElementById(decodeURIComponent(hash.slice(1)));
      if (t && (t.tabIndex >= 0 || t.matches("a, button, [tabindex]"))) t.focus({ preventScroll: true });
      else if (t && t.classList.contains("note")) { var n = t.querySelector(".note-number"); if (n) n.focus({ preventScroll: true }); }
    });
  }

  /* ------------------------------------------------------------ header */

  /* The header scrolls away with the page (the back-to-top link brings it back).  When "/"
     is pressed, or Shift+Tab reaches it, it sticks to the top of the window until focus
     leaves it, so the search box opens where the reader is, without a jump. */
  function initHeader() {
    var header = doc.querySelector(".site-header");
    if (!header) return;
    function reveal() {
      if (header.getBoundingClientRect().bottom <= 0 || header.classList.contains("is-revealed")) header.classList.add("is-revealed");
    }
    doc.addEventListener("keydown", function (e) {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target, tag = t && t.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
      reveal();
    }, true);  // before the search script focuses its box
    header.addEventListener("focusin", reveal);
    header.addEventListener("focusout", function (e) {
      if (!e.relatedTarget || !header.contains(e.relatedTarget)) header.classList.remove("is-revealed");
    });
  }

  /* Translation pages: on narrow screens the original paragraphs are hidden behind a toggle
     (side by side on wide screens, where the button is not shown). */
  function initOriginals() {
    var button = doc.querySelector("[data-original-toggle]"), text = doc.querySelector(".doc-text.parallel");
    if (!button || !text) return;
    text.classList.add("originals-collapsible");
    button.hidden = false;
    button.addEventListener("click", function () {
      var shown = !text.classList.contains("originals-shown");
      text.classList.toggle("originals-shown", shown);
      button.setAttribute("aria-pressed", shown ? "true" : "false");
      button.textContent = shown ? "Hide the original" : "Show the original";
      if (notesBox) window.dispatchEvent(new Event("resize"));  // the notes follow the text's new height
    });
  }

  function init() {
    initTheme();
    initHeader();
    initNotes();
    initPopovers();
    initOriginals();
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
