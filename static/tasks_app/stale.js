// The stale-data banner (StaleDataMiddleware). Several fragments poll on one page; the banner
// belongs to the poll that last reported stale data ("*" when the page itself was rendered
// stale). Only that poll's requests say the banner shows (so a fresh answer comes back with
// an empty banner), and only its 204 ("unchanged", sent for fresh data only) clears it.
(function () {
  "use strict";
  var source = null;

  function banner() {
    return document.getElementById("stale-banner");
  }

  function owns(elt) {
    return source === "*" || Boolean(elt && elt.id && elt.id === source);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var shown = banner();
    if (shown && shown.textContent.trim() !== "") source = "*";
  });

  document.addEventListener("htmx:configRequest", function (event) {
    if (source !== null && owns(event.detail.elt)) {
      event.detail.headers["X-Dashboard-Stale-Shown"] = "1";
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    var xhr = detail.xhr;
    if (!xhr) return;
    if (xhr.getResponseHeader("X-Dashboard-Stale") === "1") {
      source = (detail.elt && detail.elt.id) || "*";
    } else if (source !== null && owns(detail.elt)) {
      if (xhr.status === 204) {
        var shown = banner();
        if (shown) shown.textContent = "";
      }
      source = null; // a fresh answer from the banner's owner (200s carried an empty banner)
    }
  });
})();
