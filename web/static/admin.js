// admin.js enhances the vendor console. Every page works without it; this
// file only adds the "Copy link" button of the share card and a preview
// of a product photo before it is uploaded. Loaded with
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

  // previewPhoto shows the photo a vendor chose before the form is sent,
  // and says so in the hint when it is larger than the form allows.
  function previewPhoto(input) {
    var img = input.parentNode.querySelector("[data-photo-preview]");
    if (!img || !window.URL || !URL.createObjectURL) return;
    if (img.src && img.src.indexOf("blob:") === 0) URL.revokeObjectURL(img.src);
    var file = input.files && input.files[0];
    if (!file || !/^image\//.test(file.type)) {
      img.hidden = true;
      img.removeAttribute("src");
      return;
    }
    img.src = URL.createObjectURL(file);
    img.hidden = false;
  }

  function init() {
    var photos = document.querySelectorAll("input[type=file][data-photo-input]");
    for (var j = 0; j < photos.length; j++) {
      photos[j].addEventListener("change", function (ev) { previewPhoto(ev.currentTarget); });
    }
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
