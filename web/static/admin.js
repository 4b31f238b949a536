// admin.js enhances the vendor console. Every page works without it; this
// file only adds the "Copy link" button of the share card. Loaded with
// defer under a strict CSP: no inline handlers, no eval, no network.
(function () {
  "use strict";

  var statusTimers = {};

  function announce(el, msg) {
    if (!el) return;
    // Clear first so that a second "Copied" is announced again.
    el.textContent = "";
    window.setTimeout(function () { el.textContent = msg; }, 50);
    window.clearTimeout(statusTimers[el.id]);
    statusTimers[el.id] = window.setTimeout(function () { el.textContent = ""; }, 4000);
  }

  // selectText selects the link's text, so that a browser without the
  // clipboard API can still copy it (the old execCommand, or the keyboard).
  function selectText(el) {
    if (!el || !window.getSelection || !document.createRange) return false;
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    return true;
  }

  function fallback(button, from, status) {
    var selected = selectText(from);
    var copied = false;
    if (selected) {
      try {
        copied = document.execCommand("copy");
      } catch (e) {
        copied = false;
      }
    }
    if (copied) {
      announce(status, "Copied");
    } else if (selected) {
      announce(status, "Link selected: press Ctrl+C (or ⌘C) to copy");
    } else {
      announce(status, "Copy the link above by hand");
    }
  }

  function copy(button) {
    var text = button.getAttribute("data-copy");
    var from = document.getElementById(button.getAttribute("data-copy-from"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (navigator.clipboard && typeof navigator.clipboard.writeText === "function" && window.isSecureContext !== false) {
      navigator.clipboard.writeText(text).then(function () {
        announce(status, "Copied");
      }, function () {
        fallback(button, from, status);
      });
      return;
    }
    fallback(button, from, status);
  }

  function init() {
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      b.hidden = false;
      b.addEventListener("click", function (ev) { copy(ev.currentTarget); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
