// Pressroom: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions: forms marked data-confirm.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  }, true);
  // htmx requests carry the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (ev) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      ev.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });
})();
