// Shows an Urgent Action's deadline in the reader's own time zone. Without
// JavaScript the page shows it in the action's zone.
(function () {
  "use strict";
  document.querySelectorAll("time[data-local-date]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) { return; }
    var lang = document.documentElement.lang || undefined;
    if (lang === "en") { lang = "en-GB"; } // "12 June 2026", as the page writes it
    try {
      el.textContent = d.toLocaleDateString(lang, { day: "numeric", month: "long", year: "numeric", numberingSystem: "latn" });
    } catch (e) { /* keep the server's text */ }
  });
})();
