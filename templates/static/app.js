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

  // Live character counts: an element with data-count-for="<input id>" and
  // data-max shows how long the field is, and says so when it is too long
  // (the server refuses it with the same limit; nothing is cut off).
  document.querySelectorAll("[data-count-for]").forEach(function (out) {
    var input = document.getElementById(out.getAttribute("data-count-for"));
    var max = parseInt(out.getAttribute("data-max"), 10);
    if (!input || !max) { return; }
    function update() {
      var n = Array.from(input.value).length;
      out.textContent = n > max ? n + " of " + max + " characters: " + (n - max) + " too many" : n + " of " + max + " characters";
      out.classList.toggle("char-count-over", n > max);
    }
    input.addEventListener("input", update);
    update();
  });

  // htmx requests carry the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (ev) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      ev.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });

  // Autosave: forms marked data-autosave keep their fields in this browser's
  // storage while being edited, so closing the tab loses nothing. The server's
  // revision number is never restored, so a stale draft meets the lost-update
  // guard instead of overwriting newer work.
  var skip = { csrf_token: true, base_revision: true, kind: true, original_id: true, then: true };
  function fields(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name] || el.type === "submit" || el.type === "hidden") { return; }
      // A ticked box keeps its value, so a list of boxes that changed
      // order since (a new upload) restores the same choices.
      var v = el.type === "checkbox" ? (el.checked ? el.value : "") : el.value;
      (out[el.name] = out[el.name] || []).push(v);
    });
    return out;
  }
  function restore(form, saved) {
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !saved[el.name] || skip[el.name] || el.type === "hidden") { return; }
      if (el.type === "checkbox") { el.checked = saved[el.name].indexOf(el.value) >= 0; return; }
      var i = seen[el.name] || 0;
      seen[el.name] = i + 1;
      if (i >= saved[el.name].length) { return; }
      el.value = saved[el.name][i];
    });
  }
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var key = "pressroom:autosave:" + form.getAttribute("data-autosave");
    var status = form.querySelector(".autosave-status");
    var stored = null;
    try { stored = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
    if (stored && stored.fields && JSON.stringify(stored.fields) !== JSON.stringify(fields(form))) {
      restore(form, stored.fields);
      if (status) { status.textContent = "Restored unsaved changes from " + new Date(stored.at).toLocaleTimeString() + "."; }
      var body = form.querySelector("[hx-post]");
      if (body && window.htmx) { window.htmx.trigger(body, "input"); }
    }
    var timer = null;
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        try {
          window.localStorage.setItem(key, JSON.stringify({ at: Date.now(), fields: fields(form) }));
          if (status) { status.textContent = "Draft kept in this browser at " + new Date().toLocaleTimeString() + "."; }
        } catch (e) { /* storage full or disabled: the form still posts normally */ }
      }, 800);
    });
    form.addEventListener("submit", function () {
      try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    });
  });
})();
