// The agent workspace's behaviour, as a static file (the Content-Security-Policy allows no inline script):
// keyboard shortcuts (j/k, Enter, /, r, n, e, a, ?) and forms that send themselves.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-list] tr[data-row]")); }
  function move(step) {
    var list = rows();
    if (!list.length) return;
    var current = list.findIndex(function (r) { return r.classList.contains("selected"); });
    var next = Math.max(0, Math.min(list.length - 1, current + step));
    if (current >= 0) list[current].classList.remove("selected");
    list[next].classList.add("selected");
    var link = list[next].querySelector("a");
    if (link) link.focus();
  }
  function focus(selector) {
    var el = document.querySelector(selector);
    if (el) { el.focus(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (typing(ev.target)) {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    var handled = true;
    switch (ev.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": {
        var sel = document.querySelector("[data-list] tr.selected");
        if (sel && sel.dataset.href) window.location = sel.dataset.href; else handled = false;
        break;
      }
      case "/": handled = focus("[data-search]"); break;
      case "r": handled = focus("[data-reply]"); break;
      case "n": handled = focus("[data-note]"); break;
      case "a": handled = focus("[data-assign]"); break;
      case "e": {
        var solve = document.querySelector("[data-solve]");
        if (solve) solve.click(); else handled = false;
        break;
      }
      case "?": {
        var dialog = document.getElementById("shortcuts");
        if (dialog && dialog.showModal) dialog.showModal(); else handled = false;
        break;
      }
      default: handled = false;
    }
    if (handled) ev.preventDefault();
  });
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("[data-shortcuts]");
    if (button) document.getElementById("shortcuts").showModal();
  });

  // A select marked data-autosubmit sends its form when changed (the language on the login page).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.requestSubmit();
  });
})();
