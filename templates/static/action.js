// Shows an Urgent Action's deadline in the reader's own time zone. Without
// JavaScript the page shows it in the action's zone.
(function () {
  "use strict";
  document.querySelectorAll("time[data-local-date]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) { return; }
    try {
      el.textContent = d.toLocaleDateString(document.documentElement.lang || undefined, { day: "numeric", month: "long", year: "numeric" });
    } catch (e) { /* keep the server's text */ }
  });
})();
