// Pressroom petitions: keeps the counter live from /p/{slug}/count.json.
// Progressive enhancement only; the page shows the count without it.
(function () {
  "use strict";
  var box = document.querySelector("[data-count-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-count-url");
  var every = Math.max(1, parseInt(box.getAttribute("data-interval"), 10) || 2) * 1000;
  var value = box.querySelector(".count-value");
  var noun = box.querySelector(".count-noun");
  var bar = box.querySelector(".count-progress");
  function tick() {
    fetch(url, { credentials: "omit" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (d) {
      if (!d) { return; }
      if (value) { value.textContent = d.confirmed.toLocaleString("en"); } // as the page writes it: 10,000
      if (noun) { noun.textContent = d.confirmed === 1 ? "signature" : "signatures"; }
      if (bar) { bar.value = d.confirmed; }
      if (d.status === "open") { setTimeout(tick, every); }
    }).catch(function () { setTimeout(tick, every * 5); });
  }
  setTimeout(tick, every);
})();
