/* Acting on work, with JavaScript: the preview opens in a dialog (htmx swaps it in), closes with
 * its Close/Back controls or Escape. Without JavaScript every form posts and the preview is a
 * page of its own. The Content-Security-Policy forbids inline script: everything lives here.
 */
(function () {
  "use strict";

  function dialog() {
    return document.getElementById("action-dialog");
  }

  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.detail && evt.detail.target;
    var box = dialog();
    if (!box || !target || target.id !== "action-dialog-body") return;
    Array.prototype.forEach.call(target.querySelectorAll("[data-dialog-close][hidden]"), function (el) {
      el.hidden = false;
    });
    if (!box.open) box.showModal();
    var first = target.querySelector("[data-confirm-button], input, textarea, button");
    if (first) first.focus();
  });

  document.addEventListener("click", function (evt) {
    var close = evt.target.closest && evt.target.closest("[data-dialog-close]");
    var box = dialog();
    if (!close || !box || !box.contains(close)) return;
    evt.preventDefault();
    box.close();
  });

  // A second click on the confirm button while the first is on its way does nothing (the
  // server also acts once per confirmation).
  document.addEventListener("submit", function (evt) {
    var button = evt.submitter;
    if (button && button.hasAttribute("data-confirm-button")) {
      if (button.dataset.sent) {
        evt.preventDefault();
        return;
      }
      button.dataset.sent = "1";
    }
  });
})();
