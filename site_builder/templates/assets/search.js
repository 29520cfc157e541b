/* site_builder search: a compact inverted index in shards (assets/search-index.js, the
   manifest, loaded by a <script> element on first use; the shards under assets/search/,
   loaded the same way as a query needs them; never fetched, so it works from file://) and
   the search box (see site_builder/searchshards.py for the layout).  fold() and tokenize() must agree with site_builder/search.py.
   Latin words match as prefixes of indexed words, and words of five letters or more
   also with one typo; CJK text is matched through character bigrams and then verified
   as a substring.  Results are ranked with BM25; a query that is exactly an entity's
   name or alias ranks that entry first.  The box shows the best results as you type;
   the results page (search.html?q=...) shows all of them at a shareable address. */
(function () {
  "use strict";

  var CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff";
  var TOKEN_RE = new RegExp("([" + CJK + "]+)|((?:(?![" + CJK + "])[\\p{L}\\p{N}])+)", "gu");
  var FOLD_RE = /[\u00c0-\u024f\u1e00-\u1eff]/;
  var WORD_CHAR = new RegExp("[\\p{L}\\p{N}]", "u");
  var NON_NAME_RE = new RegExp("[^\\p{L}\\p{N}]+", "gu");
  var K1 = 1.2, B = 0.75, MAX_EXPANSIONS = 80, SHOWN = 20, PAGE_SHOWN = 50, RESCORED = 60;
  var FUZZY_MIN = 5, MAX_FUZZY = 40, FUZZY_FACTOR = 0.35;

  /* ------------------------------------------------------------ text */

  // Latin letters with a stroke have no Unicode decomposition (as in search.py).
  var NO_DECOMPOSITION = { "\u0142": "l", "\u00f8": "o", "\u0111": "d", "\u0127": "h", "\u0131": "i",
                           "\u0167": "t", "\u0180": "b" };

  function foldChar(c) {
    if (FOLD_RE.test(c)) c = c.normalize("NFD").charAt(0);
    var low = c.toLowerCase();
    if (low.length !== 1) low = c;
    if (low === "\u03c2") return "\u03c3";
    return NO_DECOMPOSITION.hasOwnProperty(low) ? NO_DECOMPOSITION[low] : low;
  }

  /* Lower case and strip Latin diacritics, one UTF-16 unit for one, so offsets are kept. */
  function fold(s) {
    var low = s.toLowerCase();
    if (low.length === s.length && !FOLD_RE.test(low) && low.indexOf("\u03c2") < 0) return low;
    var out = "";
    for (var i = 0; i < s.length; i++) out += foldChar(s.charAt(i));
    return out;
  }

  /* A name as an exact query must spell it: folded, without spaces or punctuation (name_key in search.py). */
  function nameKey(s) { return fold(s).replace(NON_NAME_RE, ""); }

  /* w[i..] is a prefix of t[j..] */
  function restIsPrefix(w, i, t, j) {
    if (w.length - i > t.length - j) return false;
    for (; i < w.length; i++, j++) if (w.charCodeAt(i) !== t.charCodeAt(j)) return false;
    return true;
  }

  /* Whether some prefix of t is one edit (substitution, insertion, deletion or a swap of
     two neighbours) away from w, when w itself is not a prefix of t. */
  function oneTypoPrefix(w, t) {
    var k = 0, n = w.length;
    while (k < n && k < t.length && w.charCodeAt(k) === t.charCodeAt(k)) k++;
    if (k === n) return false;  // a plain prefix match
    return restIsPrefix(w, k + 1, t, k + 1) || restIsPrefix(w, k + 1, t, k) || restIsPrefix(w, k, t, k + 1) ||
      (k + 1 < n && k + 1 < t.length && w.charCodeAt(k) === t.charCodeAt(k + 1) &&
       w.charCodeAt(k + 1) === t.charCodeAt(k) && restIsPrefix(w, k + 2, t, k + 2));
  }

  /* Query terms: {word} for Latin words, {cjk} for runs of CJK characters. */
  function analyse(folded) {
    var out = [], seen = {}, m;
    TOKEN_RE.lastIndex = 0;
    while ((m = TOKEN_RE.exec(folded))) {
      var key = m[1] ? "c:" + m[1] : "w:" + m[2];
      if (seen[key]) continue;
      seen[key] = true;
      if (m[1]) out.push({ cjk: m[1] });
      else if (m[2].length > 1 || /^\d$/.test(m[2])) out.push({ word: m[2] });
    }
    return out;
  }

  /* ------------------------------------------------------------ index */

  /* The shard key of a term at depth letters (term_key in searchshards.py): a-z and 0-9
     stand for themselves, any other UTF-16 unit for "~" and its value modulo 32 in base 32. */
  var PLAIN = /^[a-z0-9]$/, B32 = "0123456789abcdefghijklmnopqrstuv";
  function keyOf(term, depth) {
    var out = "";
    for (var i = 0; i < term.length && i < depth; i++) {
      var c = term.charAt(i);
      out += PLAIN.test(c) ? c : "~" + B32.charAt(term.charCodeAt(i) % 32);
    }
    return out;
  }

  /* The index over the manifest (window.SB_SEARCH) and whatever shards are loaded
     (window.SB_SEARCH_SHARDS: name -> data).  search() answers { missing: [[name, digest], ...] }
     when a query needs shards that are not loaded yet; once they are, it answers the results. */
  function Index(data, shards) {
    this.m = data;
    this.shards = shards || {};
    this.n = data.n;
    this.avg = data.n ? data.L / data.n : 1;
    this.groups = data.g;
    this.bases = [];
    for (var g = 0, base = 0; g < this.groups.length; g++) { this.bases.push(base); base += this.groups[g][0]; }
    this.units = [];  // by group: [[unit name, digest, first record], ...] once its meta shard is read
    this.merged = {};  // postings shards merged into the vocabulary
    this.terms = [];
    this.postings = [];  // by term: [base, row, base, row, ...] (rows delta-encoded: record, weight, ...)
    this.dfs = [];
    this.lengths = new Float64Array(this.n);
    this.folded = new Map();
    this.titles = new Map();
    this.cache = new Map();
    this.names = new Map();  // nameKey(name or alias) -> record
    var names = data.a || [];
    for (var a = 0; a < names.length; a++) {
      for (var b = 2; b < names[a].length; b++) {
        var key = nameKey(names[a][b]);
        if (key && !this.names.has(key)) this.names.set(key, this.bases[names[a][0]] + names[a][1]);
      }
    }
    this.multilingual = !!data.m;
    this.fuzzyChecks = 0;  // vocabulary words compared for typos (for tests and the benchmark)
    this.need = [];
    this.sync();
  }

  /* Read the group metas and merge the postings shards loaded since the last call. */
  Index.prototype.sync = function () {
    var added = false;
    for (var g = 0; g < this.groups.length; g++) {
      var meta = this.shards["g" + g];
      if (meta && !this.units[g]) {
        var list = [], first = this.bases[g];
        for (var u = 0; u < meta.u.length; u++) { list.push([meta.u[u][0], meta.u[u][1], first]); first += meta.u[u][2]; }
        this.units[g] = list;
        for (var r = 0; r < meta.n.length; r++) this.lengths[this.bases[g] + r] = meta.n[r];
      }
      var keys = this.groups[g][2];
      for (var k in keys) {
        var name = "g" + g + "-" + k, shard = this.shards[name];
        if (!shard || this.merged[name]) continue;
        this.merged[name] = true;
        added = true;
        this.mergeShard(this.bases[g], shard);
      }
    }
    if (added) this.sortTerms();
  };

  Index.prototype.mergeShard = function (base, shard) {
    var at = this.termAt || (this.termAt = new Map());
    for (var i = 0; i < shard.t.length; i++) {
      var t = shard.t[i], j = at.get(t);
      if (j === undefined) { j = this.terms.length; at.set(t, j); this.terms.push(t); this.postings.push([]); this.dfs.push(0); }
      this.postings[j].push(base, shard.p[i]);
      this.dfs[j] += shard.p[i].length / 2;
    }
  };

  Index.prototype.sortTerms = function () {
    var order = this.terms.map(function (t, i) { return i; }), terms = this.terms;
    order.sort(function (a, b) { return terms[a] < terms[b] ? -1 : terms[a] > terms[b] ? 1 : 0; });
    var self = this;
    this.terms = order.map(function (i) { return terms[i]; });
    this.postings = order.map(function (i) { return self.postings[i]; });
    this.dfs = order.map(function (i) { return self.dfs[i]; });
    this.termAt = new Map();
    for (var j = 0; j < this.terms.length; j++) this.termAt.set(this.terms[j], j);
  };

  /* The shards a query's terms need that are not loaded: every group's meta, and the
     postings shards whose key a term can reach (its prefix; for typos, its first letter). */
  Index.prototype.missingPostings = function (terms) {
    var wanted = [];
    terms.forEach(function (q) {
      if (q.word) {
        wanted.push(q.word);
        if (q.word.length >= FUZZY_MIN) wanted.push(q.word.charAt(0), q.word.charAt(1) + q.word.charAt(0), q.word.slice(1));
      } else if (q.cjk.length === 1) {
        wanted.push(q.cjk);
      } else {
        for (var b = 0; b + 1 < q.cjk.length; b++) wanted.push(q.cjk.substr(b, 2));
      }
    });
    var out = [];
    for (var g = 0; g < this.groups.length; g++) {
      if (!this.shards["g" + g]) out.push(["g" + g, this.groups[g][1]]);
      var keys = this.groups[g][2];
      for (var k in keys) {
        var name = "g" + g + "-" + k;
        if (this.shards[name]) continue;
        for (var w = 0; w < wanted.length; w++) {
          var want = keyOf(wanted[w], wanted[w].length);  // one is a prefix of the other
          if (want.lastIndexOf(k, 0) === 0 || k.lastIndexOf(want, 0) === 0) { out.push([name, keys[k]]); break; }
        }
      }
    }
    return out;
  };

  /* The unit (text shard) of a record: [name, digest, first record]. */
  Index.prototype.unitOf = function (id) {
    var lo = 0, hi = this.bases.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >>> 1; if (this.bases[mid] <= id) lo = mid; else hi = mid - 1; }
    var list = this.units[lo] || [];
    var a = 0, b = list.length - 1;
    while (a < b) { var m = (a + b + 1) >>> 1; if (list[m][2] <= id) a = m; else b = m - 1; }
    return list[a];
  };

  /* A record: [kind, label, title, url, text, title language, text language], or undefined
     while its text shard is not loaded. */
  Index.prototype.record = function (id) {
    var unit = this.unitOf(id), shard = unit && this.shards[unit[0]];
    return shard ? shard.r[id - unit[2]] : undefined;
  };

  Index.prototype.foldedTitle = function (id) {
    var f = this.titles.get(id);
    if (f === undefined) { var rec = this.record(id); f = rec ? fold(rec[2]) : ""; if (rec) this.titles.set(id, f); }
    return f;
  };

  /* The text shards that the records ids need and that are not loaded. */
  Index.prototype.missingTexts = function (ids) {
    var out = [], seen = {};
    for (var i = 0; i < ids.length; i++) {
      var unit = this.unitOf(ids[i]);
      if (unit && !this.shards[unit[0]] && !seen[unit[0]]) { seen[unit[0]] = true; out.push([unit[0], unit[1]]); }
    }
    return out;
  };

  Index.prototype.lowerBound = function (term) {
    var lo = 0, hi = this.terms.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (this.terms[mid] < term) lo = mid + 1; else hi = mid;
    }
    return lo;
  };

  Index.prototype.find = function (term) {
    var i = this.lowerBound(term);
    return this.terms[i] === term ? i : -1;
  };

  Index.prototype.df = function (t) { return this.dfs[t]; };

  Index.prototype.idf = function (t) {
    var df = this.df(t);
    return Math.log(1 + (this.n - df + 0.5) / (df + 0.5));
  };

  /* Add the BM25 score of term index t, times factor, into acc (max per record). */
  Index.prototype.accumulate = function (t, factor, acc) {
    var parts = this.postings[t], idf = this.idf(t) * factor, lengths = this.lengths, avg = this.avg;
    for (var q = 0; q < parts.length; q += 2) {
      var rec = parts[q], p = parts[q + 1];
      for (var j = 0; j < p.length; j += 2) {
        rec += p[j];
        var w = p[j + 1];
        var s = idf * (w * (K1 + 1)) / (w + K1 * (1 - B + B * lengths[rec] / avg));
        if (s > acc[rec]) acc[rec] = s;
      }
    }
  };

  Index.prototype.foldedText = function (i) {
    var f = this.folded.get(i);
    if (f === undefined) { var rec = this.record(i); f = rec ? fold(rec[4]) : ""; if (rec) this.folded.set(i, f); }
    return f;
  };

  /* Scores of one query term per record (0 = no match), and the indexed words it matched
     with a typo; earlier words of a query are cached while typing. */
  Index.prototype.termScores = function (q) {
    var key = q.word ? "w:" + q.word : "c:" + q.cjk, hit = this.cache.get(key);
    if (hit) return hit;
    var variants = [], waiting = this.need.length;
    hit = { acc: this.scoreTerm(q, variants), variants: variants };
    if (this.need.length > waiting) return hit;  // not final: texts to verify it are missing
    if (this.cache.size >= 64) this.cache.delete(this.cache.keys().next().value);
    this.cache.set(key, hit);
    return hit;
  };

  /* Indexed words that a query word of FUZZY_MIN letters or more reaches with one typo,
     the most frequent first (at most MAX_FUZZY).  The first letter must be right, except
     when the first two are swapped or an extra letter was typed before them: so only the
     words under the query's first letter are compared (a slice of the sorted vocabulary),
     and most of those are rejected at their second or third letter, without allocating.
     The two exceptions are prefixes, found by binary search. */
  Index.prototype.prefixRange = function (prefix) {
    var lo = this.lowerBound(prefix), hi = lo, terms = this.terms;
    while (hi < terms.length && terms[hi].lastIndexOf(prefix, 0) === 0) hi++;
    return [lo, hi];
  };

  Index.prototype.typoTerms = function (w) {
    var out = [], terms = this.terms;
    if (w.length < FUZZY_MIN) return out;
    var first = this.prefixRange(w.charAt(0));
    this.fuzzyChecks += first[1] - first[0];
    for (var i = first[0]; i < first[1]; i++) if (oneTypoPrefix(w, terms[i])) out.push(i);
    var others = [w.charAt(1) + w.charAt(0) + w.slice(2), w.slice(1)];  // swapped, one letter too many
    for (var k = 0; k < others.length; k++) {
      if (others[k].charAt(0) === w.charAt(0)) continue;  // already compared above
      var r = this.prefixRange(others[k]);
      for (var j = r[0]; j < r[1]; j++) if (terms[j].lastIndexOf(w, 0) !== 0) out.push(j);
    }
    if (out.length > MAX_FUZZY) {
      var self = this;
      out.sort(function (a, b) { return self.dfs[b] - self.dfs[a] || a - b; });
      out.length = MAX_FUZZY;
    }
    return out;
  };

  Index.prototype.scoreTerm = function (q, variants) {
    var acc = new Float64Array(this.n);
    if (q.word) {
      var bounds = this.prefixRange(q.word), lo = bounds[0], hi = bounds[1], terms = this.terms;
      var range = [];
      for (var i = lo; i < hi; i++) range.push(i);
      if (range.length > MAX_EXPANSIONS) {
        var self = this;
        range.sort(function (a, b) { return self.dfs[b] - self.dfs[a]; });
        range.length = MAX_EXPANSIONS;
      }
      for (var k = 0; k < range.length; k++) {
        var t = range[k];
        var exact = terms[t] === q.word;
        this.accumulate(t, exact ? 1 : 0.5 + 0.4 * q.word.length / terms[t].length, acc);
      }
      var typos = this.typoTerms(q.word);
      for (var f = 0; f < typos.length; f++) {
        this.accumulate(typos[f], FUZZY_FACTOR * Math.min(1, q.word.length / terms[typos[f]].length), acc);
        if (variants.length < 6) variants.push(terms[typos[f]].slice(0, q.word.length + 1));
      }
      return acc;
    }
    var run = q.cjk;
    if (run.length === 1) {
      var u = this.find(run);
      if (u >= 0) this.accumulate(u, 1, acc);
      return acc;
    }
    // Every bigram must be present; then the run itself must occur.
    var first = true;
    for (var b = 0; b + 1 < run.length; b++) {
      var bi = this.find(run.substr(b, 2));
      if (bi < 0) return new Float64Array(this.n);
      var one = new Float64Array(this.n);
      this.accumulate(bi, 1, one);
      for (var r = 0; r < this.n; r++) {
        if (first) acc[r] = one[r];
        else acc[r] = acc[r] > 0 && one[r] > 0 ? acc[r] + one[r] : 0;
      }
      first = false;
    }
    var candidates = [];
    for (var c = 0; c < this.n; c++) if (acc[c] > 0) candidates.push(c);
    var texts = this.missingTexts(candidates);
    if (texts.length) { this.need = this.need.concat(texts); return acc; }  // verified once they are loaded
    for (var v = 0; v < candidates.length; v++) {
      var id = candidates[v];
      if (this.foldedTitle(id).indexOf(run) < 0 && this.foldedText(id).indexOf(run) < 0) acc[id] = 0;
    }
    return acc;
  };

  /* Ranked record ids for a query string: all terms must match; if none do, any term.
     A query that is exactly an entity's name or alias puts that entity first. */
  Index.prototype.search = function (query) {
    var folded = fold(query).replace(/\s+/g, " ").trim();
    var terms = analyse(folded);
    if (!terms.length) return { terms: terms, marks: terms, hits: [], partial: false };
    var missing = this.missingPostings(terms);
    if (missing.length) return { missing: missing };
    this.sync();
    this.need = [];
    var scored = terms.map(function (t) { return this.termScores(t); }, this);
    if (this.need.length) return { missing: this.need };
    var scores = scored.map(function (s) { return s.acc; });
    // Highlighting: the query terms, and the words they reached with a typo (same group).
    var marks = terms.map(function (t, k) { return { word: t.word, cjk: t.cjk, group: k }; });
    scored.forEach(function (s, k) {
      s.variants.forEach(function (v) { marks.push({ word: v, group: k }); });
    });
    var hits = collect(this.n, scores, true), partial = false;
    if (!hits.length && terms.length > 1) { hits = collect(this.n, scores, false); partial = true; }
    // Phrase and title bonuses on the best candidates.
    hits.sort(byScore);
    var top = hits.slice(0, RESCORED);
    var named = this.names.get(nameKey(folded));
    // The texts of the records ranked here and of the first page of results.
    var wanted = top.map(function (h) { return h.id; });
    if (named !== undefined) wanted.push(named);
    missing = this.missingTexts(wanted);
    if (missing.length) return { missing: missing };
    for (var i = 0; i < top.length; i++) {
      var h = top[i], title = this.foldedTitle(h.id);
      if (title === folded) h.score *= 3;
      else if (title.indexOf(folded) >= 0) h.score *= 2;
      if (terms.length > 1 && this.foldedText(h.id).indexOf(folded) >= 0) h.score *= 1.8;
      if (this.record(h.id)[0] === "e") h.score *= 1.15;
    }
    if (named !== undefined) {
      var best = hits.length ? Math.max(hits[0].score, top.length ? top[0].score : 0) : 1, own = null;
      for (var j = 0; j < hits.length && !own; j++) if (hits[j].id === named) own = hits[j];
      if (!own) { own = { id: named, score: 0 }; hits.push(own); }
      for (var m = 0; m < top.length; m++) best = Math.max(best, top[m].score);
      own.score = best * 2 + 1;
      own.named = true;
    }
    hits.sort(byScore);
    return { terms: terms, marks: marks, hits: hits, partial: partial, folded: folded };
  };

  function collect(n, scores, all) {
    var hits = [];
    for (var r = 0; r < n; r++) {
      var s = 0, matched = 0;
      for (var k = 0; k < scores.length; k++) {
        if (scores[k][r] > 0) { s += scores[k][r]; matched++; }
      }
      if (matched && (!all || matched === scores.length)) hits.push({ id: r, score: s * (matched / scores.length) });
    }
    return hits;
  }

  function byScore(a, b) { return b.score - a.score || a.id - b.id; }

  /* ------------------------------------------------------------ snippets */

  function isWordChar(c) { return c !== "" && WORD_CHAR.test(c); }

  /* [start, end) of every match of the query terms in folded text; Latin matches
     start a word and extend to its end (prefix search), CJK runs are exact. */
  function matches(folded, terms, limit) {
    var out = [];
    for (var k = 0; k < terms.length; k++) {
      var t = terms[k], needle = t.word || t.cjk, from = 0, i, group = t.group === undefined ? k : t.group;
      while ((i = folded.indexOf(needle, from)) >= 0 && out.length < limit) {
        from = i + needle.length;
        if (t.word) {
          if (i > 0 && isWordChar(folded.charAt(i - 1))) continue;
          var end = from;
          while (end < folded.length && isWordChar(folded.charAt(end))) end++;
          out.push([i, end, group]);
          from = end;
        } else {
          out.push([i, from, group]);
        }
      }
    }
    out.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var merged = [];
    for (var j = 0; j < out.length; j++) {
      var last = merged[merged.length - 1];
      if (last && out[j][0] <= last[1]) last[1] = Math.max(last[1], out[j][1]);
      else merged.push(out[j].slice());
    }
    return merged;
  }

  /* A window of text around the best match, as [text, [[start, end], ...]] relative to it. */
  function snippet(text, folded, terms, phrase, width) {
    var found = matches(folded, terms, 400);
    var centre = -1, focus = "";
    if (phrase && terms.length > 1) {
      centre = folded.indexOf(phrase);
      if (centre >= 0) focus = text.substr(centre, phrase.length);
    }
    if (centre < 0 && found.length) {
      // The first place where the most distinct terms occur close together.
      var best = -1, bestAt = 0;
      for (var i = 0; i < found.length; i++) {
        var seen = {}, count = 0;
        for (var j = i; j < found.length && found[j][0] - found[i][0] < width / 2; j++) {
          if (!seen[found[j][2]]) { seen[found[j][2]] = true; count++; }
        }
        if (count > best) { best = count; bestAt = i; }
      }
      centre = found[bestAt][0];
      focus = text.slice(found[bestAt][0], found[bestAt][1]);
    }
    if (centre < 0) centre = 0;
    var start = Math.max(0, centre - Math.round(width * 0.3)), end = Math.min(text.length, start + width);
    if (start > 0) {
      var cut = text.indexOf(" ", start);  // start at a word; CJK text has no spaces: cut anywhere
      if (cut >= 0 && cut < centre) start = cut + 1;
    }
    if (end < text.length) {
      var back = text.lastIndexOf(" ", end);
      if (back > centre + 20) end = back;
    }
    var para = text.lastIndexOf("\n\n", centre);
    if (para >= start) start = para + 2;
    var paraEnd = text.indexOf("\n\n", centre);
    if (paraEnd >= 0 && paraEnd < end) end = paraEnd;
    var marks = [];
    for (var k = 0; k < found.length; k++) {
      var a = Math.max(found[k][0], start), b = Math.min(found[k][1], end);
      if (a < b) marks.push([a - start, b - start]);
    }
    var body = text.slice(start, end).replace(/\s/g, " ");
    return { text: (start > 0 ? "…" : "") + body + (end < text.length ? "…" : ""), offset: start > 0 ? 1 : 0,
             marks: marks, focus: focus };
  }

  /* Append text to el with the [start, end) ranges wrapped in <mark>. */
  function highlighted(el, text, marks, offset) {
    var pos = 0;
    offset = offset || 0;
    for (var i = 0; i < marks.length; i++) {
      var a = marks[i][0] + offset, b = marks[i][1] + offset;
      if (a > pos) el.appendChild(document.createTextNode(text.slice(pos, a)));
      var m = document.createElement("mark");
      m.textContent = text.slice(a, b);
      el.appendChild(m);
      pos = b;
    }
    if (pos < text.length) el.appendChild(document.createTextNode(text.slice(pos)));
    return el;
  }

  /* ------------------------------------------------------------ UI */

  var KIND_NAMES = { d: "Document", a: "Annotation", e: "Glossary", p: "Page" };

  /* The manifest, loaded once by a <script> element (data-index), never fetched; the shards
     next to it (search/<name>.js) as queries need them, also by <script> elements.  In the
     single-file export every shard is already there (window.SB_SEARCH_SHARDS). */
  var shared = { index: null, loading: false, waiting: [], src: null, pending: {} };
  function registry() { return window.SB_SEARCH_SHARDS || (window.SB_SEARCH_SHARDS = {}); }
  function withIndex(src, onError, done) {
    if (src && !shared.src) shared.src = new URL(src, location.href).href;
    if (shared.index) { done(shared.index); return; }
    if (window.SB_SEARCH) { shared.index = new Index(window.SB_SEARCH, registry()); done(shared.index); return; }
    shared.waiting.push([done, onError]);
    if (shared.loading || !src) { if (!src) onError(); return; }
    shared.loading = true;
    var s = document.createElement("script");
    s.src = src;
    s.async = true;
    s.onload = function () {
      shared.loading = false;
      if (window.SB_SEARCH) shared.index = new Index(window.SB_SEARCH, registry());
      var w = shared.waiting; shared.waiting = [];
      w.forEach(function (x) { if (shared.index) x[0](shared.index); else x[1](); });
    };
    s.onerror = function () {
      shared.loading = false;
      var w = shared.waiting; shared.waiting = [];
      w.forEach(function (x) { x[1](); });
    };
    document.head.appendChild(s);
  }

  /* Load the shards [[name, digest], ...] that are not loaded yet; then done(every one arrived). */
  function loadShards(list, done) {
    var left = 1, ok = true;
    function one(good) { if (!good) ok = false; if (--left === 0) done(ok); }
    list.forEach(function (shard) {
      var name = shard[0];
      if (registry()[name]) return;
      left++;
      if (shared.pending[name]) { shared.pending[name].push(one); return; }
      if (!shared.src) { one(false); return; }
      shared.pending[name] = [one];
      var el = document.createElement("script");
      el.src = new URL("search/" + name + ".js?v=" + shard[1], shared.src).href;
      el.async = true;
      el.setAttribute("data-search-shard", name);
      el.onload = el.onerror = function () {
        var w = shared.pending[name] || [];
        delete shared.pending[name];
        var good = !!registry()[name];
        w.forEach(function (f) { f(good); });
      };
      document.head.appendChild(el);
    });
    one(true);
  }

  /* index.search(q) once the shards it needs are loaded: done(result, ms of the last search) or fail(). */
  function searchWith(index, q, done, fail) {
    var t0 = performance.now(), res = index.search(q), took = performance.now() - t0;
    if (!res.missing) { done(res, took); return; }
    loadShards(res.missing, function (ok) { if (ok) searchWith(index, q, done, fail); else fail(); });
  }

  /* done() once the text shards of res.hits[from..to) are loaded. */
  function withTexts(index, res, from, to, done, fail) {
    var missing = index.missingTexts(res.hits.slice(from, to).map(function (h) { return h.id; }));
    if (!missing.length) { done(); return; }
    loadShards(missing, function (ok) { if (ok) done(); else fail(); });
  }

  function resultUrl(rec, snip, root) {
    var url = new URL(rec[3], root);
    // Documents: a text fragment scrolls to and highlights the match where browsers support it.
    if (rec[0] === "d" && snip.focus && !url.hash) {
      url.hash = ":~:text=" + encodeURIComponent(snip.focus.replace(/\s+/g, " ")).replace(/-/g, "%2D");
    }
    return url.href;
  }

  /* The name of a language tag in the page's language (Intl.DisplayNames), else the tag itself. */
  function languageName(tag, inLang) {
    try {
      return new Intl.DisplayNames([inLang || "en"], { type: "language" }).of(tag) || tag;
    } catch (e) {
      return tag;
    }
  }

  /* Append results from..to of res to the list element. */
  function renderHits(list, index, res, from, to, root) {
    var frag = document.createDocumentFragment();
    for (var i = from; i < to; i++) {
      var hit = res.hits[i], rec = index.record(hit.id);
      if (!rec) continue;
      var snip = snippet(rec[4], index.foldedText(hit.id), res.marks, res.folded, 180);
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "search-hit search-hit-" + rec[0];
      a.href = resultUrl(rec, snip, root);
      var kind = document.createElement("span");
      kind.className = "search-kind";
      // Author text is isolated (U+2068 ... U+2069, or dir="auto" on its own element) so an
      // Arabic title or a stray U+202E cannot reorder the labels around it.
      kind.textContent = rec[0] === "d" || rec[0] === "p" ? "\u2068" + rec[1] + "\u2069"
        : KIND_NAMES[rec[0]] + " · \u2068" + rec[1] + "\u2069";
      var title = document.createElement("span");
      title.className = "search-title";
      title.dir = "auto";
      highlighted(title, rec[2], matches(index.foldedTitle(hit.id), res.marks, 50));
      var text = document.createElement("span");
      text.className = "search-snippet";
      text.dir = "auto";
      highlighted(text, snip.text, snip.marks, snip.offset);
      var langs = [rec[5], rec[6]], pageLang = (list.closest("[lang]") || document.documentElement).lang;
      if (langs[0] && langs[0] !== pageLang) title.lang = langs[0];
      if (langs[1] && langs[1] !== pageLang) text.lang = langs[1];
      if (index.multilingual && langs[0]) {
        // In a briefing of more than one language, each result names the language of its text.
        var tag = document.createElement("span");
        tag.className = "search-lang";
        tag.textContent = " · " + languageName(langs[0], pageLang);
        kind.appendChild(tag);
      }
      a.appendChild(kind); a.appendChild(title); a.appendChild(text);
      li.appendChild(a);
      frag.appendChild(li);
    }
    list.appendChild(frag);
  }

  function summary(res, q) {
    var n = res.hits.length;
    return n ? (n === 1 ? "1 result" : n + " results") + (res.partial ? " matching some of the words" : "")
             : "No results for “" + q.trim() + "”";
  }

  /* The address of the results page for a query (data-page: the page, relative to this one). */
  function pageUrl(page, q) {
    var url = new URL(page, location.href);
    url.searchParams.set("q", q.trim());
    return url.href;
  }

  /* The box's form and live region, and the results panel after the header tools, unless the
     template wrote them (the default one leaves them to this script: they are hidden without it). */
  function fill(box) {
    if (box.querySelector("input[type=search]")) return;
    var page = box.getAttribute("data-page"), panelId = box.getAttribute("data-panel");
    var form = document.createElement("form");
    form.className = "search-form";
    form.setAttribute("role", "search");
    form.setAttribute("aria-label", "Search the briefing");
    form.setAttribute("action", page);
    form.innerHTML = '<label class="visually-hidden" for="search-input">Search documents, annotations and the glossary</label>' +
      '<svg class="search-icon" aria-hidden="true" viewBox="0 0 24 24" width="18" height="18"><circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M15.5 15.5 21 21" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>' +
      '<input id="search-input" class="search-input" type="search" name="q" placeholder="Search" autocomplete="off" spellcheck="false" aria-keyshortcuts="/">' +
      '<kbd class="search-key" aria-hidden="true">/</kbd>';
    form.querySelector("input").setAttribute("aria-controls", panelId);
    box.appendChild(form);
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    live.setAttribute("data-search-live", "");
    box.appendChild(live);
    if (document.getElementById(panelId)) return;
    var panel = document.createElement("div");
    panel.className = "search-panel";
    panel.id = panelId;
    panel.hidden = true;
    panel.innerHTML = '<p class="search-status" aria-hidden="true"></p><ol class="search-results" aria-label="Search results"></ol>' +
      '<button type="button" class="search-more" hidden>Show more results</button><a class="search-all" hidden>All results</a>';
    panel.querySelector(".search-all").setAttribute("href", page);
    var tools = box.closest(".header-tools") || box;
    tools.parentNode.insertBefore(panel, tools.nextSibling);
  }

  function ui(box) {
    fill(box);
    var input = box.querySelector("input[type=search]");
    var panel = document.getElementById(box.getAttribute("data-panel"));
    var status = panel.querySelector(".search-status");
    var list = panel.querySelector(".search-results");
    var more = panel.querySelector(".search-more");
    var all = panel.querySelector(".search-all");
    var page = box.getAttribute("data-page");
    var root = new URL(box.getAttribute("data-root"), location.href);
    var index = null, lastQuery = null, lastResult = null, shown = 0, timer = 0;

    box.hidden = false;
    document.documentElement.classList.add("has-search");

    function load() {
      if (index) return;
      if (!shared.index && !window.SB_SEARCH) say("Loading the search index…");
      withIndex(box.getAttribute("data-index"), function () { say("The search index could not be loaded."); },
                function (ix) { index = ix; lastQuery = null; if (input.value.trim()) run(); });
    }

    var live = box.querySelector("[data-search-live]"), liveTimer = 0;
    function open() { panel.hidden = false; }
    function close() { panel.hidden = true; }
    function say(text) {
      status.textContent = text;
      clearTimeout(liveTimer);  // announce once typing pauses, not on every keystroke
      liveTimer = setTimeout(function () { live.textContent = text; }, 600);
    }

    function run() {
      var q = input.value;
      if (!q.trim()) { lastQuery = q; list.textContent = ""; say(""); more.hidden = true; close(); return; }
      open();
      if (all && page) { all.href = pageUrl(page, q); all.hidden = false; }
      if (!index) { load(); return; }
      if (q === lastQuery) return;
      lastQuery = q;
      searchWith(index, q, function (res, took) {
        if (input.value !== q) return;  // typed on while shards loaded: the newer query shows
        var t1 = performance.now();
        lastResult = res;
        list.textContent = "";
        shown = Math.min(SHOWN, res.hits.length);
        renderHits(list, index, res, 0, shown, root);
        api.timing = { search: took, render: performance.now() - t1 };  // for benchmarks/search.py
        say(summary(res, q));
        more.hidden = shown >= res.hits.length;
      }, function () { lastQuery = null; say("The search index could not be loaded."); });
    }

    function schedule() { clearTimeout(timer); timer = setTimeout(run, 0); }

    function focusables() { return Array.prototype.slice.call(panel.querySelectorAll("a.search-hit, a.search-all")); }

    var dismissed = false;  // closed with Esc: stays closed until the query changes
    input.addEventListener("input", function () { dismissed = false; schedule(); });
    input.addEventListener("focus", function () { load(); if (input.value.trim() && !dismissed) run(); });
    box.querySelector("form").addEventListener("submit", function (e) {
      // Enter: every result, on the results page (a shareable address).
      e.preventDefault();
      if (!input.value.trim()) return;
      if (page) location.href = pageUrl(page, input.value);
    });
    more.addEventListener("click", function () {
      if (!lastResult) return;
      var res = lastResult, next = Math.min(res.hits.length, shown + SHOWN * 2), firstNew = shown;
      withTexts(index, res, firstNew, next, function () {
        if (res !== lastResult || shown !== firstNew) return;
        renderHits(list, index, res, firstNew, next, root);
        shown = next;
        more.hidden = shown >= res.hits.length;
        var links = list.querySelectorAll("a.search-hit");
        if (links[firstNew]) links[firstNew].focus();
      }, function () { say("The search index could not be loaded."); });
    });
    function onKey(e) {
      var links = focusables(), i = links.indexOf(document.activeElement);
      if (e.key === "Escape") {
        if (!panel.hidden) { dismissed = true; close(); input.focus(); e.preventDefault(); }
        else if (document.activeElement === input && input.value) { input.value = ""; run(); }
      } else if (e.key === "ArrowDown" && !panel.hidden && links.length) {
        e.preventDefault();
        links[Math.min(links.length - 1, i + 1)].focus();
      } else if (e.key === "ArrowUp" && !panel.hidden && i >= 0) {
        e.preventDefault();
        if (i === 0) input.focus(); else links[i - 1].focus();
      }
    }
    box.addEventListener("keydown", onKey);
    panel.addEventListener("keydown", onKey);
    document.addEventListener("keydown", function (e) {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      var t = e.target, tag = t && t.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
      e.preventDefault();
      var target = document.querySelector("[data-search-page] input[type=search]") || input;
      target.focus({ preventScroll: true });
      target.select();
    });
    document.addEventListener("pointerdown", function (e) {
      if (!panel.hidden && !box.contains(e.target) && !panel.contains(e.target)) close();
    });
    document.addEventListener("focusin", function (e) {
      if (!panel.hidden && !box.contains(e.target) && !panel.contains(e.target)) close();
    });
  }

  /* The results page: every result for ?q=, updated as the query is edited (the address too). */
  function resultsPage(el) {
    var form = el.querySelector("form");
    var input = el.querySelector("input[type=search]");
    var status = el.querySelector(".search-status");
    var list = el.querySelector(".search-results");
    var more = el.querySelector(".search-more");
    var root = new URL(el.getAttribute("data-root"), location.href);
    var index = null, res = null, shown = 0, timer = 0, lastQuery = null;

    form.hidden = false;
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";

    function remember(q) {
      var url = new URL(location.href);
      if (q.trim()) url.searchParams.set("q", q.trim()); else url.searchParams.delete("q");
      if (url.href === location.href) return;
      try { history.replaceState(null, "", url.href); } catch (e) { /* the address stays as it was */ }
    }

    function run(then) {
      var q = input.value;
      if (q === lastQuery) { if (then && res) then(); return; }
      lastQuery = q;
      if (!q.trim()) {
        list.textContent = ""; more.hidden = true; res = null;
        status.textContent = "Type a word or a name to search the briefing."; return;
      }
      if (!index) { status.textContent = "Loading the search index…"; return; }
      searchWith(index, q, function (found) {
        if (input.value !== q) return;  // edited while shards loaded: the newer query shows
        res = found;
        list.textContent = "";
        shown = Math.min(PAGE_SHOWN, res.hits.length);
        renderHits(list, index, res, 0, shown, root);
        status.textContent = summary(res, q);
        more.hidden = shown >= res.hits.length;
        document.title = document.title.replace(/^(Search)(?:: .*?)?( · |$)/, "$1: " + q.trim() + "$2");
        if (then) then();
      }, function () { lastQuery = null; status.textContent = "The search index could not be loaded."; });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { remember(input.value); run(); }, 0);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      remember(input.value);
      run(function () {
        var first = list.querySelector("a.search-hit");
        if (first) first.focus();
      });
    });
    more.addEventListener("click", function () {
      if (!res) return;
      var shownRes = res, next = Math.min(res.hits.length, shown + PAGE_SHOWN), firstNew = shown;
      withTexts(index, shownRes, firstNew, next, function () {
        if (shownRes !== res || shown !== firstNew) return;
        renderHits(list, index, res, firstNew, next, root);
        shown = next;
        more.hidden = shown >= res.hits.length;
        var links = list.querySelectorAll("a.search-hit");
        if (links[firstNew]) links[firstNew].focus();
      }, function () { status.textContent = "The search index could not be loaded."; });
    });
    lastQuery = null;
    run();
    withIndex(el.getAttribute("data-index"),
              function () { status.textContent = "The search index could not be loaded."; },
              function (ix) { index = ix; lastQuery = null; run(); });
  }

  // Exposed for the benchmark and tests.
  var api = window.SBSearch = { fold: fold, analyse: analyse, nameKey: nameKey, oneTypoPrefix: oneTypoPrefix,
                                keyOf: keyOf, Index: Index, snippet: snippet, timing: null };

  function init() {
    var box = document.querySelector("[data-search]");
    if (box) ui(box);
    var page = document.querySelector("[data-search-page]");
    if (page) resultsPage(page);
  }
  if (typeof document === "undefined") return;  // loaded outside a browser (the unit tests)
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
