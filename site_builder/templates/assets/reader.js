/* site_builder reader: entity and annotation popovers, and the theme toggle.
   Entity data comes from assets/entities.js (a <script>, never fetched), annotations
   from the notes already in the page, so everything works from file://.
   Without JavaScript, entity links are plain links and notes sit beside the text. */
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
    if (t && (returnFocus || hadFocus)) t.focus();
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
    var right = vw - margin, column = t.closest(".block-text");
    if (column && column.parentNode.classList.contains("has-notes") && wideLayout.matches) {
      right = Math.min(right, column.getBoundingClientRect().right + 12);
    }
    var anchorX = point ? point.x - 24 : r.left;
    var left = Math.max(margin, Math.min(anchorX, right - w));
    pop.style.left = left + window.scrollX + "px";
    pop.style.top = top + window.scrollY + "px";
  }

  function initPopovers() {
    // Keyboard access to highlights: the first piece of each highlight outside a link takes focus.
    var seen = {};
    var marks = doc.querySelectorAll("mark.hl[data-ann]");
    for (var i = 0; i < marks.length; i++) {
      var m = marks[i];
      if (m.closest("a")) continue;
      var ids = m.getAttribute("data-ann").split(/\s+/), fresh = false;
      for (var k = 0; k < ids.length; k++) if (!seen[ids[k]]) { seen[ids[k]] = true; fresh = true; }
      if (fresh) m.tabIndex = 0;
    }

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

  /* ------------------------------------------------------------ sidenotes */

  /* Wide screens: each note sits in the margin level with its highlight, pushed down as far
     as the notes above it need; the text runs on, and a paragraph moves down only when its
     first note would otherwise drift more than DRIFT below its highlight (Tufte style, for
     dense annotation).  Without JavaScript each paragraph's notes sit beside it. */
  function layoutNotes() {
    var box = doc.querySelector(".annotated-text");
    if (!box) return;
    var blocks = Array.prototype.slice.call(box.querySelectorAll(".block"));
    var notes = box.querySelectorAll(".block-notes > .note");
    var on = wideLayout.matches && notes.length > 0;
    box.classList.toggle("notes-positioned", on);
    box.style.minHeight = "";
    blocks.forEach(function (b) { b.style.marginTop = ""; });
    if (!on) {
      for (var k = 0; k < notes.length; k++) notes[k].style.top = "";
      return;
    }
    var base = box.getBoundingClientRect().top, gap = 12, bottom = 0, shift = 0;
    var drift = Math.max(160, window.innerHeight * 0.4);
    // Read everything first (positions without any push), then write.
    var plan = blocks.map(function (b) {
      var own = Array.prototype.slice.call(b.querySelectorAll(".block-notes > .note")).map(function (n, i) {
        var id = n.id.slice(4);
        var anchor = doc.getElementById("hl-" + id) || doc.getElementById("ref-" + id) || b;
        return { note: n, want: anchor.getBoundingClientRect().top - base, height: n.offsetHeight, order: i };
      });
      own.sort(function (x, y) { return x.want - y.want || x.order - y.order; });
      return { block: b, notes: own, push: 0 };
    });
    plan.forEach(function (p) {
      if (!p.notes.length) return;
      var late = bottom - (p.notes[0].want + shift);
      if (late > drift) { p.push = late; shift += late; }
      p.notes.forEach(function (n) {
        n.top = Math.max(n.want + shift, bottom);
        bottom = n.top + n.height + gap;
      });
    });
    plan.forEach(function (p) {
      if (p.push) p.block.style.marginTop = p.push + "px";
      p.notes.forEach(function (n) { n.note.style.top = n.top + "px"; });
    });
    box.style.minHeight = bottom + "px";
  }

  function initNotes() {
    if (!doc.querySelector(".annotated-text .note")) return;
    var timer = 0;
    function later() { clearTimeout(timer); timer = setTimeout(layoutNotes, 60); }
    layoutNotes();
    window.addEventListener("resize", later);
    window.addEventListener("load", layoutNotes);
    if (doc.fonts && doc.fonts.ready) doc.fonts.ready.then(layoutNotes);
    if (wideLayout.addEventListener) wideLayout.addEventListener("change", layoutNotes);
  }

  function init() {
    initTheme();
    initNotes();
    initPopovers();
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
