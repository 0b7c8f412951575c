/* The offline site's script (tools/build_site.py): living panels, search, math.
 * Plain JavaScript, no framework, no network: every file it loads is in the site.
 *
 * Living panels: each .lp-panel holds a JSON block (script.lp-data) with its grid
 * (the gridded controls, in order, each with n values), the frames (row-major
 * over the grid; each frame is a list of indices into `pool`, one per leaf) and
 * the leaves (images, HTML readouts, then the shown controls). Moving a gridded
 * control computes the frame's index and swaps every leaf to that frame.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var ROOT = script ? script.getAttribute("src").replace(/static\/site\.js$/, "") : "";

  // ---------------------------------------------------------------- panels
  function gridIndex(panel, entry) {
    var input = panel.querySelector('[data-control="' + entry.name + '"][data-grid]');
    if (!input) return 0;
    if (input.type === "checkbox") {
      var i = entry.labels.indexOf(input.checked ? "\u2713" : "\u2717");
      return i < 0 ? 0 : i;
    }
    if (input.tagName === "SELECT") return input.selectedIndex;
    var v = parseInt(input.value, 10);
    return isNaN(v) ? 0 : Math.max(0, Math.min(entry.n - 1, v));
  }

  function showControl(panel, name, value) {
    var input = panel.querySelector('[data-control="' + name + '"]');
    if (!input) return;
    var label = input.closest("label");
    var output = label ? label.querySelector("output") : null;
    if (output) output.textContent = value[0];
    if (input.hasAttribute("data-grid")) return; // the learner moves it
    if (input.type === "checkbox") input.checked = !!value[1];
    else if (input.tagName === "SELECT") input.selectedIndex = value[1];
    else if (input.type === "range") input.value = value[1];
    else if ("value" in input) input.value = value[0];
  }

  function showFrame(panel, data) {
    var flat = 0;
    data.grid.forEach(function (entry) {
      flat = flat * entry.n + gridIndex(panel, entry);
    });
    var record = data.frames[flat];
    if (!record) return;
    var nShown = data.shown.length;
    var firstControl = data.leaves.length - nShown;
    record.forEach(function (poolIndex, leaf) {
      var kind = data.leaves[leaf];
      var value = data.pool[poolIndex];
      if (kind === "img") {
        var img = panel.querySelector('img[data-leaf="' + leaf + '"]');
        if (img && img.getAttribute("src") !== value) img.setAttribute("src", value);
      } else if (kind === "html" || kind === "label") {
        var box = panel.querySelector('div[data-leaf="' + leaf + '"]');
        if (box && box.innerHTML !== value) box.innerHTML = value;
      } else {
        showControl(panel, data.shown[leaf - firstControl], value);
      }
    });
    panel.setAttribute("data-frame", String(flat));
  }

  function initPanel(panel) {
    var block = panel.querySelector("script.lp-data");
    if (!block) return;
    var data = JSON.parse(block.textContent);
    var update = function () { showFrame(panel, data); };
    panel.querySelectorAll("[data-grid]").forEach(function (input) {
      input.addEventListener("input", update);
      input.addEventListener("change", update);
    });
    update();
    panel.setAttribute("data-ready", "true");
  }

  // ---------------------------------------------------------------- search
  var searchBox = document.getElementById("site-search");
  var resultList = document.getElementById("site-search-results");
  var loading = false;

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function highlight(text, terms) {
    var out = escapeHtml(text);
    terms.forEach(function (term) {
      var safe = escapeHtml(term).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      if (safe) out = out.replace(new RegExp(safe, "gi"), function (m) { return "<mark>" + m + "</mark>"; });
    });
    return out;
  }

  function snippet(text, term) {
    var at = text.toLowerCase().indexOf(term);
    if (at < 0) return text.slice(0, 90);
    var start = Math.max(0, at - 40);
    return (start > 0 ? "…" : "") + text.slice(start, at + term.length + 60) + "…";
  }

  function search(query) {
    var index = window.COURSE_SEARCH_INDEX || [];
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return [];
    var hits = [];
    index.forEach(function (entry) {
      var title = entry.t.toLowerCase();
      var text = entry.x.toLowerCase();
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var inTitle = title.indexOf(terms[i]) >= 0;
        var inText = text.indexOf(terms[i]) >= 0;
        if (!inTitle && !inText) return;
        score += (inTitle ? 10 : 0) + (inText ? 1 + text.split(terms[i]).length / 50 : 0);
      }
      hits.push({ entry: entry, score: score });
    });
    hits.sort(function (a, b) { return b.score - a.score; });
    return hits.slice(0, 30).map(function (hit) {
      return { entry: hit.entry, terms: terms };
    });
  }

  function showResults() {
    var query = searchBox.value.trim();
    resultList.innerHTML = "";
    if (!query) { resultList.hidden = true; return; }
    var hits = search(query);
    if (!hits.length) {
      resultList.innerHTML = "<li>没有找到“" + escapeHtml(query) + "”</li>";
    }
    hits.forEach(function (hit) {
      var e = hit.entry;
      var li = document.createElement("li");
      li.innerHTML =
        '<a href="' + escapeHtml(ROOT + e.u) + '">' + highlight(e.t, hit.terms) + "</a>" +
        '<span class="hit-page">' + escapeHtml(e.p) + "</span>" +
        '<span class="hit-text">' + highlight(snippet(e.x, hit.terms[0]), hit.terms) + "</span>";
      resultList.appendChild(li);
    });
    resultList.hidden = false;
  }

  var waiting = null; // what to run once the index has loaded (the latest wins)

  function withIndex(then) {
    if (window.COURSE_SEARCH_INDEX) { then(); return; }
    waiting = then;
    if (loading) return;
    loading = true;
    var tag = document.createElement("script");
    tag.src = ROOT + "search_index.js";
    tag.onload = function () {
      loading = false;
      var run = waiting;
      waiting = null;
      if (run) run();
    };
    tag.onerror = function () { loading = false; };
    document.head.appendChild(tag);
  }

  if (searchBox && resultList) {
    searchBox.addEventListener("focus", function () {
      withIndex(function () { if (searchBox.value.trim()) showResults(); });
    });
    searchBox.addEventListener("input", function () { withIndex(showResults); });
    searchBox.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { resultList.hidden = true; searchBox.blur(); }
      if (event.key === "Enter") {
        var first = resultList.querySelector("a");
        if (first) window.location.href = first.getAttribute("href");
      }
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".site-search")) resultList.hidden = true;
    });
  }

  // ------------------------------------------------------------------ math
  function renderMath() {
    var main = document.querySelector("main");
    if (!main || typeof window.renderMathInElement !== "function") return;
    window.renderMathInElement(main, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false }
      ],
      ignoredClasses: ["lp-panel", "guide-settings"],
      throwOnError: false,
      strict: "ignore"
    });
    document.body.setAttribute("data-math", "rendered");
  }

  function start() {
    document.querySelectorAll(".lp-panel").forEach(initPanel);
    renderMath();
    document.body.setAttribute("data-site-ready", "true");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
