/* Keyboard shortcuts. Progressive enhancement: every action is also a link, a field or a button.
 *
 *   /      focus the go-to box (the page's own, else the header's)
 *   j / k  next / previous row of the page's table (table[data-rows])
 *   Enter  open the current row (its [data-row-link])
 *   f      failed only, on and off (the step's quick filter, or the queue's status filter)
 *   r      refresh the page's live data now
 *   ?      list these shortcuts
 *
 * None of them fires while typing in a field or with Ctrl, Alt or Meta held. No inline script,
 * no eval (Content-Security-Policy).
 */
(function () {
  "use strict";

  var SHORTCUTS = [
    ["/", "Go to: paste a URL, ARN, IDs or a job name"],
    ["j", "Next row"],
    ["k", "Previous row"],
    ["Enter", "Open the selected row"],
    ["f", "Failed only, on or off"],
    ["r", "Refresh now"],
    ["?", "Show these shortcuts"],
  ];

  // The current row survives live refreshes (htmx swaps the table): remembered by its link.
  var currentKey = null;

  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    return Boolean(target.closest("input, textarea, select, [contenteditable='true']"));
  }

  function table() {
    return document.querySelector("main table[data-rows]");
  }

  function rows() {
    var t = table();
    return t ? Array.prototype.slice.call(t.querySelectorAll("tbody > tr")) : [];
  }

  function rowKey(row) {
    var link = row.querySelector("[data-row-link]");
    return link ? link.getAttribute("href") : null;
  }

  function select(row, focus) {
    rows().forEach(function (other) {
      other.classList.remove("is-current");
      other.removeAttribute("aria-current");
    });
    if (!row) return;
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    row.setAttribute("tabindex", "-1");
    currentKey = rowKey(row);
    if (focus) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function currentRow() {
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      if (all[i].classList.contains("is-current")) return all[i];
    }
    return null;
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(currentRow());
    if (index < 0) {
      index = step > 0 ? 0 : all.length - 1;
    } else {
      index = Math.min(all.length - 1, Math.max(0, index + step));
    }
    select(all[index], true);
  }

  function open(row) {
    var link = row && row.querySelector("[data-row-link]");
    if (link) window.location.assign(link.href);
  }

  function focusGoto() {
    var box = document.querySelector("main [data-goto-input]") ||
      document.querySelector("[data-goto-input]");
    if (!box) return;
    box.focus();
    box.select();
  }

  function toggleFailed() {
    var toggle = document.querySelector("[data-failed-toggle]");
    if (toggle) {
      var all = document.querySelector("[data-all-tasks]");
      var on = toggle.getAttribute("aria-current") === "true";
      window.location.assign(on && all ? all.href : toggle.href);
      return;
    }
    var status = document.querySelector("main form.filters select[name='status']");
    if (!status) return;
    status.value = status.value === "FAILED" ? "" : "FAILED";
    var form = status.form;
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function refresh() {
    var live = document.querySelectorAll("[data-poll]");
    if (live.length && window.htmx) {
      Array.prototype.forEach.call(live, function (el) {
        window.htmx.trigger(el, "refresh");
      });
    } else {
      window.location.reload();
    }
  }

  var dialog = null;

  function helpDialog() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "keys-dialog";
    dialog.id = "keys-dialog";
    dialog.setAttribute("aria-labelledby", "keys-dialog-title");
    var title = document.createElement("h2");
    title.id = "keys-dialog-title";
    title.textContent = "Keyboard shortcuts";
    var list = document.createElement("dl");
    SHORTCUTS.forEach(function (pair) {
      var dt = document.createElement("dt");
      var key = document.createElement("kbd");
      key.textContent = pair[0];
      dt.appendChild(key);
      var dd = document.createElement("dd");
      dd.textContent = pair[1];
      list.appendChild(dt);
      list.appendChild(dd);
    });
    var note = document.createElement("p");
    note.className = "hint";
    note.textContent = "Shortcuts never fire while you type in a field.";
    var form = document.createElement("form");
    form.method = "dialog";
    var close = document.createElement("button");
    close.type = "submit";
    close.className = "button";
    close.textContent = "Close";
    form.appendChild(close);
    dialog.appendChild(title);
    dialog.appendChild(list);
    dialog.appendChild(note);
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    return dialog;
  }

  function showHelp() {
    var d = helpDialog();
    if (!d.open) d.showModal();
  }

  document.addEventListener("keydown", function (evt) {
    if (evt.defaultPrevented || evt.ctrlKey || evt.metaKey || evt.altKey || evt.isComposing) return;
    if (typing(evt.target)) return;
    if (dialog && dialog.open) return; // the dialog handles its own keys (Escape closes it)
    var key = evt.key;
    if (key === "Enter") {
      // Only a selected row itself: Enter on a link or button keeps its own meaning.
      var row = currentRow();
      if (row && evt.target === row) {
        evt.preventDefault();
        open(row);
      }
      return;
    }
    if (evt.shiftKey && key !== "?") return;
    var action = {
      "/": focusGoto,
      j: function () { move(1); },
      k: function () { move(-1); },
      f: toggleFailed,
      r: refresh,
      "?": showHelp,
    }[key];
    if (!action) return;
    evt.preventDefault();
    action();
  });

  // After a live refresh replaced the table, select the same row again (without stealing focus
  // unless the row had it).
  document.addEventListener("htmx:load", function () {
    if (currentKey === null) return;
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      if (rowKey(all[i]) === currentKey) {
        var hadFocus = document.activeElement === document.body;
        select(all[i], hadFocus);
        return;
      }
    }
  });
})();
