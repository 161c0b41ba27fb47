/* Task page triage: the log panel's time zone toggle and follow mode. Progressive
 * enhancement only: without it the log shows UTC times and never follows.
 *
 * - UTC/local toggle for log timestamps (remembered in localStorage);
 * - the attempts section re-reads when the task panel changes;
 * - follow mode: keeps the newest lines in view while the attempt runs; scrolling up stops
 *   following (and its htmx poll), scrolling back to the bottom or ticking "Follow" resumes.
 *
 * No inline script or eval anywhere (Content-Security-Policy).
 */
(function () {
  "use strict";

  var TZ_KEY = "dtd.logTimezone";
  var NEAR_BOTTOM_PX = 8;

  function each(root, selector, fn) {
    if (!root || !root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  function pad(n, width) {
    var text = String(n);
    while (text.length < (width || 2)) text = "0" + text;
    return text;
  }

  // --- Time zone ---------------------------------------------------------------------------

  function useLocal() {
    try {
      return window.localStorage.getItem(TZ_KEY) === "local";
    } catch (err) {
      return false;
    }
  }

  function format(ms, local) {
    var d = new Date(ms);
    if (local) {
      return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
        pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
        pad(d.getMilliseconds(), 3);
    }
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "." +
      pad(d.getUTCMilliseconds(), 3);
  }

  function offsetLabel() {
    var minutes = -new Date().getTimezoneOffset();
    var sign = minutes >= 0 ? "+" : "-";
    minutes = Math.abs(minutes);
    return "local time (UTC" + sign + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60) + ")";
  }

  function applyTimezone(root) {
    var local = useLocal();
    each(root, "time[data-log-ms]", function (el) {
      el.textContent = format(Number(el.getAttribute("data-log-ms")), local);
    });
    each(document, "[data-log-tz-label]", function (el) {
      el.textContent = local ? offsetLabel() : "UTC";
    });
    each(document, "[data-log-tz-toggle]", function (button) {
      button.textContent = local ? "Show UTC" : "Show local time";
      button.setAttribute("aria-pressed", local ? "true" : "false");
    });
  }

  // --- Follow mode ---------------------------------------------------------------------------

  function linesOf(el) {
    return el && el.closest ? el.closest("[data-log-lines]") : null;
  }

  function isFollowing(lines) {
    return !lines || lines.getAttribute("data-following") !== "false";
  }

  function atBottom(lines) {
    return lines.scrollHeight - lines.scrollTop - lines.clientHeight <= NEAR_BOTTOM_PX;
  }

  function setFollowing(lines, following) {
    lines.setAttribute("data-following", following ? "true" : "false");
    var panel = lines.closest("#log-panel") || document;
    each(panel, "[data-log-follow-toggle]", function (box) {
      box.checked = following;
    });
    var active = panel.querySelector("[data-log-follow]");
    each(panel, "[data-log-status]", function (status) {
      status.textContent = following || !active
        ? ""
        : "Following paused: scroll to the bottom or tick \u201cFollow new lines\u201d to resume.";
    });
  }

  function scrollToEnd(lines) {
    lines.scrollTop = lines.scrollHeight;
  }

  // An attempt that ended in failure: the first line of its last run of error lines (the
  // failure itself, usually a few lines above the end), to open the log there.
  function failureLine(lines) {
    if (!lines.querySelector("[data-log-ended]")) return null;
    var errors = lines.querySelectorAll(".log-line--error");
    if (!errors.length) return null;
    var line = errors[errors.length - 1];
    while (line.previousElementSibling && line.previousElementSibling.classList.contains("log-line--error")) {
      line = line.previousElementSibling;
    }
    return line;
  }

  function init(root) {
    each(root, "[data-log-tools]", function (tools) {
      tools.hidden = false;
    });
    applyTimezone(root);
    var containers = [];
    if (root.matches && root.matches("[data-log-lines]")) containers.push(root);
    each(root, "[data-log-lines]", function (lines) {
      containers.push(lines);
    });
    containers.forEach(function (lines) {
      if (lines.hasAttribute("data-following")) return;
      var target = lines.querySelector("[data-log-target]");
      if (target) {
        // A link to one line (a failures view's example): show it, do not follow the end.
        lines.setAttribute("data-following", "false");
        lines.scrollTop = Math.max(0, target.offsetTop - lines.offsetTop - lines.clientHeight / 3);
        return;
      }
      var failure = failureLine(lines);
      if (failure) {
        // Ended in failure: the failing lines first, the line that led to them above.
        var above = failure.previousElementSibling;
        lines.setAttribute("data-following", "false");
        lines.scrollTop = Math.max(0, failure.offsetTop - lines.offsetTop - (above ? above.offsetHeight : 0));
        return;
      }
      lines.setAttribute("data-following", "true");
      scrollToEnd(lines);
    });
    // New lines appended while following: keep the end in view.
    var lines = linesOf(root);
    if (lines && isFollowing(lines) && root.id !== "log-earlier") scrollToEnd(lines);
  }

  document.addEventListener("scroll", function (evt) {
    var lines = evt.target;
    if (!lines || !lines.matches || !lines.matches("[data-log-lines]")) return;
    var bottom = atBottom(lines);
    if (bottom !== isFollowing(lines)) setFollowing(lines, bottom);
  }, true);

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-log-follow") && !isFollowing(linesOf(elt))) {
      evt.preventDefault(); // the user scrolled up to read: stop fetching until they return
    }
  });

  document.addEventListener("change", function (evt) {
    var box = evt.target;
    if (!box.matches || !box.matches("[data-log-follow-toggle]")) return;
    var panel = box.closest("#log-panel") || document;
    var lines = panel.querySelector("[data-log-lines]");
    if (!lines) return;
    setFollowing(lines, box.checked);
    if (box.checked) {
      scrollToEnd(lines);
      var poll = panel.querySelector("[data-log-follow]");
      if (poll && window.htmx) window.htmx.trigger(poll, "refresh");
    }
  });

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-log-tz-toggle]");
    if (!button) return;
    try {
      window.localStorage.setItem(TZ_KEY, useLocal() ? "utc" : "local");
    } catch (err) {
      return;
    }
    applyTimezone(document);
  });

  // --- Attempts follow the task panel ---------------------------------------------------------

  // The attempts section re-reads only when the task itself changed (new attempt, status...):
  // the panel's polls stay the only frequent ones.
  var panelVersion = null;

  function noticePanel(root) {
    var panel = root.id === "task-panel" ? root : null;
    if (!panel && root.querySelector) panel = root.querySelector("#task-panel");
    if (!panel) return;
    var version = panel.getAttribute("data-version");
    if (panelVersion !== null && version !== panelVersion && window.htmx) {
      window.htmx.trigger(document.body, "task-changed");
    }
    panelVersion = version;
  }

  document.addEventListener("htmx:load", function (evt) {
    init(evt.target || document);
    noticePanel(evt.target || document);
  });

  init(document);
  noticePanel(document);
})();
