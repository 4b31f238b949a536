// shop.js enhances the shop's order form. The form works without it; this
// file only adds an idempotency key (kept across Back), −/+ steppers, a running total and a
// guard against double submits. Loaded with defer under a strict CSP: no
// inline handlers, no eval, no network.
(function () {
  "use strict";

  var MAX_QTY = 100;

  function uuid() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") {
      return c.randomUUID();
    }
    var b = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") {
      c.getRandomValues(b);
    } else {
      // Very old browsers only: the server still de-duplicates per key, a
      // weak key just makes that a little less certain.
      for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    }
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    var h = [];
    for (var j = 0; j < 16; j++) h.push((b[j] + 0x100).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" +
      h.slice(6, 8).join("") + "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  var rupees = (function () {
    try {
      var f = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR", minimumFractionDigits: 0, maximumFractionDigits: 2 });
      return function (paise) { return f.format(paise / 100); };
    } catch (e) {
      return function (paise) { return "₹" + (paise / 100).toFixed(2).replace(/\.00$/, ""); };
    }
  })();

  function qtyOf(input) {
    var n = parseInt(input.value, 10);
    if (isNaN(n) || n < 0) return 0;
    return Math.min(n, MAX_QTY);
  }

  function closest(el, cls) {
    while (el && el.classList && !el.classList.contains(cls)) el = el.parentNode;
    return el && el.classList ? el : null;
  }

  function addStepper(input, onChange) {
    var min = parseInt(input.min, 10) || 0;
    var max = parseInt(input.max, 10) || MAX_QTY;
    var name = input.getAttribute("data-name") || "this item";

    var wrap = document.createElement("div");
    wrap.className = "stepper";
    var dec = document.createElement("button");
    dec.type = "button";
    dec.className = "stepper-btn";
    dec.textContent = "−";
    dec.setAttribute("aria-label", "One less " + name);
    var inc = document.createElement("button");
    inc.type = "button";
    inc.className = "stepper-btn";
    inc.textContent = "+";
    inc.setAttribute("aria-label", "One more " + name);

    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(dec);
    wrap.appendChild(input);
    wrap.appendChild(inc);

    function sync() {
      var n = qtyOf(input);
      dec.disabled = n <= min;
      inc.disabled = n >= max;
    }
    function step(d) {
      var n = Math.max(min, Math.min(max, qtyOf(input) + d));
      input.value = n === 0 ? "" : String(n);
      sync();
      onChange();
    }
    dec.addEventListener("click", function () { step(-1); });
    inc.addEventListener("click", function () { step(1); });
    input.addEventListener("input", sync);
    sync();
  }

  function enhance(form) {
    var keyInput = form.querySelector("[data-order-key]");
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-price]"));
    var summary = form.querySelector("[data-order-summary]");
    var countEl = form.querySelector("[data-order-count]");
    var totalEl = form.querySelector("[data-order-total]");
    var bar = form.querySelector("[data-cart-bar]");
    var barCount = form.querySelector("[data-cart-count]");
    var barTotal = form.querySelector("[data-cart-total]");
    var note = form.querySelector("[data-order-note]");
    var submit = form.querySelector("[data-order-submit]");
    var submitText = submit ? submit.textContent : "";

    // The order key. A fresh one for every new order, but the same one
    // when the customer comes back (Back, or a restored tab) to the form
    // they already sent with the same quantities: "Place order" again then
    // shows the order already placed instead of placing a second one. The
    // key sent is kept in sessionStorage (this tab only) with the
    // quantities it was sent with; the confirmation page records the
    // order's number under its key.
    var store = null;
    try { store = window.sessionStorage; } catch (e) { store = null; }
    var sentSlot = "dukaan-sent:" + location.pathname + location.search;
    function lines() {
      return inputs.map(function (input) { return input.name + "=" + qtyOf(input); }).join("&");
    }
    function sent() {
      try { return store ? JSON.parse(store.getItem(sentSlot) || "null") : null; } catch (e) { return null; }
    }
    function placedNumber(key) {
      try { return store ? store.getItem("dukaan-placed:" + key) : null; } catch (e) { return null; }
    }
    function chooseKey() {
      var s = sent();
      if (s && s.key && s.lines === lines()) {
        if (keyInput) keyInput.value = s.key;
        var n = placedNumber(s.key);
        if (n && note) {
          note.textContent = "You placed order #" + n + " with these items. Placing it again shows that order; change the quantities to order again.";
          note.hidden = false;
        }
        return;
      }
      if (keyInput && (!keyInput.value || (s && keyInput.value === s.key))) keyInput.value = uuid();
    }
    if (keyInput) keyInput.value = uuid();
    window.addEventListener("pageshow", function (e) {
      chooseKey();
      if (e.persisted && submit) {
        submit.disabled = false;
        submit.removeAttribute("aria-busy");
        submit.textContent = submitText;
      }
    });

    function update() {
      var items = 0, total = 0;
      inputs.forEach(function (input) {
        var n = qtyOf(input);
        var price = parseInt(input.getAttribute("data-price"), 10) || 0;
        items += n;
        total += n * price;
        var box = closest(input, "qty");
        if (box) box.classList.toggle("has-qty", n > 0);
        var card = closest(input, "product-card");
        if (card) card.classList.toggle("has-qty", n > 0);
      });
      var words = items === 1 ? "1 item" : items + " items";
      if (summary) {
        summary.hidden = false;
        countEl.textContent = items ? words : "No items yet";
        totalEl.textContent = rupees(total);
      }
      if (bar) {
        bar.hidden = items === 0;
        barCount.textContent = words;
        barTotal.textContent = rupees(total);
      }
      if (note && items > 0 && !(sent() && sent().lines === lines() && placedNumber(sent().key))) note.hidden = true;
      return items;
    }

    // Other quantities than those sent are another order: a new key.
    function changed() {
      var s = sent();
      if (keyInput && s && keyInput.value === s.key && s.lines !== lines()) keyInput.value = uuid();
      update();
    }
    inputs.forEach(function (input) {
      addStepper(input, changed);
      input.addEventListener("input", changed);
      input.addEventListener("change", changed);
    });
    update();

    form.addEventListener("submit", function (e) {
      if (inputs.length && update() === 0) {
        e.preventDefault();
        if (note) {
          note.textContent = "Choose how many you want of at least one product.";
          note.hidden = false;
        }
        var first = inputs[0];
        if (first && first.focus) first.focus();
        return;
      }
      try {
        if (store && keyInput) store.setItem(sentSlot, JSON.stringify({ key: keyInput.value, lines: lines() }));
      } catch (err) { /* storage full or off: Back then makes a new key */ }
      if (submit) {
        if (submit.getAttribute("aria-busy") === "true") { e.preventDefault(); return; }
        submit.setAttribute("aria-busy", "true");
        // Disable after the browser has collected the form data.
        setTimeout(function () {
          submit.disabled = true;
          submit.textContent = "Placing order…";
        }, 0);
      }
    });
  }

  // The confirmation page: remember which order this tab's key placed.
  function notePlaced() {
    var el = document.querySelector("[data-placed-key]");
    if (!el) return;
    try {
      window.sessionStorage.setItem("dukaan-placed:" + el.getAttribute("data-placed-key"), el.getAttribute("data-placed-number"));
    } catch (e) { /* no storage: the form just shows no note */ }
  }

  function init() {
    notePlaced();
    var forms = document.querySelectorAll("form[data-order-form]");
    for (var i = 0; i < forms.length; i++) enhance(forms[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
