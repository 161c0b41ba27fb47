/* Deadline Task Dashboard: progressive enhancement only, every page works without it.
 *
 * - keeps relative times, running durations and "updated N s ago" current between polls;
 * - pauses htmx polls while the tab is hidden and refreshes as soon as it is visible again;
 * - copy buttons (IDs, the AWS CLI command);
 * - after an unchanged poll (204) marks the data fresh and clears the poll warning.
 *
 * The Content-Security-Policy forbids inline script and eval: everything lives here and htmx
 * runs with allowEval=false, so no hx-trigger filters.
 */
(function () {
  "use strict";

  // Backend clock minus browser clock (the demo world's clock may be pinned or advanced).
  var offsetMs = 0;

  function backendNow() {
    return Date.now() + offsetMs;
  }

  function readOffset(root) {
    var panel = root.matches && root.matches("[data-server-now]")
      ? root
      : root.querySelector && root.querySelector("[data-server-now]");
    if (panel) {
      offsetMs = Number(panel.getAttribute("data-server-now")) - Date.now();
    }
  }

  // Same wording as tasks_app/templatetags/dashboard.py.
  function humanize(seconds) {
    seconds = Math.abs(Math.trunc(seconds));
    if (seconds < 90) return seconds + " s";
    if (seconds < 90 * 60) return Math.round(seconds / 60) + " min";
    if (seconds < 48 * 3600) return Math.round(seconds / 3600) + " h";
    return Math.round(seconds / 86400) + " d";
  }

  function relative(deltaMs) {
    var seconds = deltaMs / 1000;
    if (Math.abs(seconds) < 1) return "just now";
    return seconds > 0 ? humanize(seconds) + " ago" : "in " + humanize(seconds);
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function duration(ms) {
    var seconds = Math.max(0, Math.floor(ms / 1000));
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var secs = seconds % 60;
    if (days) return days + " d " + hours + " h";
    if (hours) return hours + " h " + pad(minutes) + " min";
    if (minutes) return minutes + " min " + pad(secs) + " s";
    return secs + " s";
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function tick() {
    var now = backendNow();
    each("[data-relative]", function (el) {
      el.textContent = relative(now - Number(el.getAttribute("data-relative")));
    });
    each("[data-elapsed-since]", function (el) {
      el.textContent = duration(now - Number(el.getAttribute("data-elapsed-since")));
    });
    each("[data-updated]", function (el) {
      el.textContent = relative(now - Number(el.getAttribute("data-updated")));
    });
  }

  function isPoll(elt) {
    return Boolean(elt && elt.hasAttribute && elt.hasAttribute("data-poll"));
  }

  function setWarning(text) {
    var slot = document.getElementById("poll-warning");
    if (slot) slot.textContent = text;
  }

  // --- htmx polling --------------------------------------------------------------------------

  document.addEventListener("htmx:beforeRequest", function (evt) {
    // A hidden tab costs no API calls: skip the poll; "refresh" fires when it is visible.
    if (document.visibilityState === "hidden" && isPoll(evt.detail && evt.detail.elt)) {
      evt.preventDefault();
      // Counted so that tests (and curious operators) can see a poll was skipped.
      document.body.dataset.pollsSkipped = String(Number(document.body.dataset.pollsSkipped || 0) + 1);
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && window.htmx) {
      each("[data-poll]", function (el) {
        window.htmx.trigger(el, "refresh");
      });
    }
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var detail = evt.detail || {};
    if (!isPoll(detail.elt) || !detail.xhr || detail.xhr.status !== 204) return;
    // Unchanged: the data the page shows is current as of now.
    var now = String(backendNow());
    Array.prototype.forEach.call(detail.elt.querySelectorAll("[data-updated]"), function (el) {
      el.setAttribute("data-updated", now);
    });
    setWarning("");
    tick();
  });

  document.addEventListener("htmx:sendError", function (evt) {
    if (isPoll(evt.detail && evt.detail.elt)) {
      setWarning("The dashboard server did not answer. Showing the last data received; retrying.");
    }
  });

  document.addEventListener("htmx:responseError", function (evt) {
    if (isPoll(evt.detail && evt.detail.elt)) {
      setWarning("Refreshing failed (HTTP " + evt.detail.xhr.status + "). Showing the last data received; retrying.");
    }
  });

  document.addEventListener("htmx:load", function (evt) {
    readOffset(evt.target || document);
    showCopyButtons(evt.target || document);
    tick();
  });

  // --- Copy buttons --------------------------------------------------------------------------

  function showCopyButtons(root) {
    if (!root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll("[data-copy], [data-copy-text]"), function (button) {
      button.hidden = false;
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP internal hosts have no Clipboard API: fall back on a selected textarea.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (err) {
        copied = false;
      }
      document.body.removeChild(area);
      if (copied) {
        resolve();
      } else {
        reject(new Error("copy refused"));
      }
    });
  }

  function flash(button, text) {
    // Icon buttons keep their icon (CSS swaps in a tick); text buttons say what happened.
    var icon = button.classList.contains("copy-button--icon");
    var attribute = icon ? "aria-label" : null;
    var original = button.getAttribute("data-label") ||
      (icon ? button.getAttribute("aria-label") : button.textContent);
    button.setAttribute("data-label", original);
    if (icon) {
      button.setAttribute(attribute, text);
    } else {
      button.textContent = text;
    }
    button.setAttribute("data-copied", "");
    window.setTimeout(function () {
      if (icon) {
        button.setAttribute(attribute, original);
      } else {
        button.textContent = original;
      }
      button.removeAttribute("data-copied");
    }, 1500);
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-copy], [data-copy-text]");
    if (!button) return;
    // data-copy-text carries the value (an ID); data-copy names the element holding it.
    var source = button.hasAttribute("data-copy-text")
      ? button.parentNode.querySelector(".id__text")
      : document.querySelector(button.getAttribute("data-copy"));
    var text = button.hasAttribute("data-copy-text")
      ? button.getAttribute("data-copy-text")
      : source && source.textContent.trim();
    if (!text) return;
    copyText(text).then(
      function () { flash(button, "Copied"); },
      function () {
        if (!source) return;
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        flash(button, "Selected: press Ctrl+C");
      }
    );
  });

  readOffset(document);
  showCopyButtons(document);
  tick();
  window.setInterval(tick, 1000);
})();
