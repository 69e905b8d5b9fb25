// Folio's theme script: copy buttons, the lightbox, and the search box. Everything works without it.
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";

  // Copy the exact prompt text.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var text = source.textContent;
      var done = function () { button.setAttribute("data-done", ""); button.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
      } else { fallbackCopy(text); done(); }
    });
  });
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }

  // Lightbox over the grid: arrows move, Escape closes, focus returns to the card.
  var opener = null, box = null, index = 0, links = [];
  function show(i) {
    index = (i + links.length) % links.length;
    var link = links[index];
    var img = box.querySelector("img");
    img.src = link.getAttribute("data-large");
    img.alt = (link.querySelector("img") || {}).alt || "";
    box.querySelector(".lightbox__title").textContent = (link.closest("figure").querySelector("figcaption a") || {}).textContent || "";
    box.querySelector(".lightbox__open").href = link.getAttribute("href");
  }
  function close() {
    if (!box) return;
    document.body.removeChild(box); box = null;
    document.removeEventListener("keydown", keys);
    if (opener) opener.focus();
  }
  function keys(event) {
    if (event.key === "Tab") {
      // Keep focus inside the dialog while it is open.
      var stops = box.querySelectorAll("button, a[href]");
      var first = stops[0], last = stops[stops.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
      else if (!box.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
      return;
    }
    if (event.key === "Escape") { event.preventDefault(); close(); }
    else if (event.key === "ArrowRight") { event.preventDefault(); show(index + 1); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); show(index - 1); }
  }
  function open(link) {
    links = Array.prototype.slice.call(document.querySelectorAll(".grid:not([hidden]) .card__link[data-large]"));
    opener = link;
    box = document.createElement("div");
    box.className = "lightbox"; box.setAttribute("role", "dialog"); box.setAttribute("aria-modal", "true"); box.setAttribute("aria-label", "Image viewer");
    box.innerHTML = '<img alt=""><div class="lightbox__bar"><span class="badge badge--inline">AI-generated</span>' +
      '<button type="button" data-step="-1" aria-label="Previous image">←</button>' +
      '<span class="lightbox__title"></span><a class="lightbox__open" href="#">Details</a>' +
      '<button type="button" data-step="1" aria-label="Next image">→</button><button type="button" data-close aria-label="Close">✕</button></div>';
    box.addEventListener("click", function (event) {
      var step = event.target.getAttribute("data-step");
      if (step) { show(index + Number(step)); return; }
      if (event.target.hasAttribute("data-close") || event.target === box) close();
    });
    document.body.appendChild(box);
    document.addEventListener("keydown", keys);
    show(links.indexOf(link));
    box.querySelector("[data-close]").focus();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".grid .card__link[data-large]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    open(link);
  });

  // Search: filters the whole gallery from the static index as the user types.
  var input = document.getElementById("q");
  var grid = document.getElementById("grid");
  var results = document.getElementById("results");
  var pages = document.querySelector(".pagination");
  var index_ = window.FOLIO_SEARCH || [];
  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }
  function search(query) {
    if (!grid || !results) return;
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) { results.hidden = true; grid.hidden = false; if (pages) pages.hidden = false; return; }
    var hits = index_.filter(function (item) { return words.every(function (w) { return item.text.indexOf(w) !== -1; }); });
    results.innerHTML = hits.length ? hits.map(function (item) {
      var media = item.thumb
        ? '<a class="card__link" href="' + escape(root + item.url) + '" data-large="' + escape(root + (item.large || item.thumb)) + '">' +
          '<img src="' + escape(root + item.thumb) + '" width="' + item.w + '" height="' + item.h + '" alt="' + escape(item.alt) + '" loading="lazy">' +
          '<span class="badge">AI-generated</span></a>'
        : '<a class="card__link placeholder" href="' + escape(root + item.url) + '"><span class="placeholder__state">' + escape(item.state) + '</span>' +
          (item.reason ? '<span class="placeholder__reason">' + escape(item.reason) + '</span>' : '') + '</a>';
      return '<figure class="card' + (item.thumb ? '' : ' card--placeholder') + '" style="--r:' + item.r + (item.c ? ';--c:' + escape(item.c) : '') + '">' + media +
        '<figcaption><a href="' + escape(root + item.url) + '">' + escape(item.title) + '</a>' + (item.route ? '<span class="route">' + escape(item.route) + '</span>' : '') + '</figcaption></figure>';
    }).join("") : '<p class="empty">No image matches “' + escape(query) + '”.</p>';
    results.hidden = false; grid.hidden = true; if (pages) pages.hidden = true;
  }
  if (input) {
    input.addEventListener("input", function () { search(input.value); });
    var initial = new URLSearchParams(location.search).get("q");
    if (initial && grid) { input.value = initial; search(initial); }
    else if (initial) { input.value = initial; }
  }
})();
