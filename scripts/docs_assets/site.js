// The documentation site's page script: renders the math with the site's copy of KaTeX and runs the search box over
// the index written at build time (_assets/search_index.js sets window.BF_INDEX). Nothing is fetched from anywhere.
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";

  function renderMath() {
    var main = document.querySelector("main") || document.body;
    if (!window.renderMathInElement) { document.body.setAttribute("data-math", "missing"); return; }
    window.renderMathInElement(main, {
      delimiters: [
        {left: "$$", right: "$$", display: true}, {left: "\\[", right: "\\]", display: true},
        {left: "$", right: "$", display: false}, {left: "\\(", right: "\\)", display: false}],
      ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"],
      ignoredClasses: ["bf-api-sig", "bf-side"],
      throwOnError: false
    });
    document.body.setAttribute("data-math", String(main.querySelectorAll(".katex").length));
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]; });
  }

  var prepared = null;
  function prepare() {
    if (prepared) return prepared;
    prepared = (window.BF_INDEX || []).map(function (d) {
      return {d: d, name: (d.k === "api" ? d.t : "").toLowerCase(), short: (d.k === "api" ? d.t.split(".").pop() : "").toLowerCase(),
              head: ((d.t || "") + " " + (d.h || "")).toLowerCase(), text: (d.x || "").toLowerCase()};
    });
    return prepared;
  }

  // Every word must occur; names that equal or start with a word rank first, then titles and headings, then text.
  function search(query) {
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return [];
    var hits = [];
    prepare().forEach(function (p) {
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var t = terms[i], s = 0;
        if (p.name === t || p.short === t) s = 100;
        else if (p.name.indexOf(t) === 0 || p.short.indexOf(t) === 0) s = 60;
        else if (p.name.indexOf(t) >= 0) s = 40;
        else if (p.head.indexOf(t) >= 0) s = 12;
        else if (p.text.indexOf(t) >= 0) s = 2 + Math.min(3, p.text.split(t).length - 1);
        if (!s) return;
        score += s;
      }
      hits.push({p: p, score: score});
    });
    hits.sort(function (a, b) { return b.score - a.score || a.p.d.t.length - b.p.d.t.length; });
    return hits.slice(0, 20).map(function (h) { return h.p; });
  }

  function snippet(p, query) {
    var text = p.d.x || "", low = p.text, t = query.toLowerCase().split(/\s+/).filter(Boolean)[0] || "";
    var at = Math.max(0, low.indexOf(t));
    var from = Math.max(0, at - 50), to = Math.min(text.length, at + 110);
    return (from ? "\u2026" : "") + text.slice(from, to) + (to < text.length ? "\u2026" : "");
  }

  function setupSearch() {
    var input = document.getElementById("bf-q"), box = document.getElementById("bf-results");
    if (!input || !box) return;
    var active = -1;
    function show() {
      var q = input.value.trim();
      active = -1;
      if (!q) { box.hidden = true; box.innerHTML = ""; return; }
      var found = search(q);
      box.innerHTML = found.length ? found.map(function (p) {
        var api = p.d.k === "api";
        return '<a class="bf-hit ' + (api ? "bf-hit-api" : "bf-hit-page") + '" href="' + esc(root + p.d.u) + '">' +
          '<span class="bf-hit-kind">' + (api ? "API" : "page") + "</span><b>" + esc(p.d.t) + "</b> " +
          '<span class="bf-hit-where">' + esc(p.d.h || "") + "</span>" +
          '<div class="bf-hit-snip">' + esc(snippet(p, q)) + "</div></a>";
      }).join("") : '<div class="bf-noresult">Nothing found for \u201c' + esc(q) + "\u201d.</div>";
      var r = input.getBoundingClientRect();           // the list floats over the page, below the box
      box.style.top = (r.bottom + 4) + "px";
      box.style.left = r.left + "px";
      box.hidden = false;
    }
    function move(step) {
      var links = box.querySelectorAll("a.bf-hit");
      if (!links.length) return;
      if (active >= 0) links[active].classList.remove("bf-active");
      active = (active + step + links.length) % links.length;
      links[active].classList.add("bf-active");
      links[active].scrollIntoView({block: "nearest"});
    }
    input.addEventListener("input", show);
    input.addEventListener("focus", show);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if (e.key === "Escape") { box.hidden = true; input.blur(); }
      else if (e.key === "Enter") {
        var links = box.querySelectorAll("a.bf-hit");
        if (links.length) { e.preventDefault(); window.location.href = links[Math.max(active, 0)].href; }
      }
    });
    document.addEventListener("click", function (e) { if (!e.target.closest(".bf-search")) box.hidden = true; });
    document.addEventListener("keydown", function (e) {
      if (e.key === "/" && document.activeElement !== input && !/INPUT|TEXTAREA/.test((document.activeElement || {}).tagName)) {
        e.preventDefault(); input.focus();
      }
    });
  }

  function openTarget() {                 // the math changed the page's layout: scroll to the anchor again
    var id = decodeURIComponent(window.location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el) el.scrollIntoView({block: /^L-\d+$/.test(id) ? "center" : "start"});
  }

  renderMath();
  setupSearch();
  openTarget();
  document.body.setAttribute("data-ready", "1");
})();
