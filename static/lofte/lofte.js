// The agent workspace's behaviour, as a static file (the Content-Security-Policy allows no inline script):
// keyboard shortcuts (j/k, x, Enter, /, r, n, m, e, z, a, ?), undo for solving, and forms that send themselves.
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
    var pane = paneEl();
    if (pane && wide() && pane.closest("[data-panes]").classList.contains("has-case")) openCase(list[next].dataset.ref, true);
  }
  function focus(selector) {
    var el = document.querySelector(selector);
    if (el) { el.focus(); return true; }
    return false;
  }

  // --- Undo: a form marked data-undoable (Solve) waits a few seconds before it is sent. ---------------
  // The page says "Solving… Undo" meanwhile; Undo (the button, or z) forgets it. Leaving the page sends it
  // at once (a beacon, which carries the session cookie and the form's CSRF token). Without JavaScript the
  // form is an ordinary form and acts at once.
  var pending = null;

  function undoBar() { return document.getElementById("undo-bar"); }

  function showUndo(text) {
    var bar = undoBar();
    if (!bar) return null;
    var label = document.createElement("span");
    label.textContent = text;
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("data-undo", "");
    button.textContent = (bar.dataset.undoLabel || "Undo") + " ";
    var key = document.createElement("kbd");
    key.textContent = "z";
    button.appendChild(key);
    bar.replaceChildren(label, " ", button);
    return button;
  }

  function finish() {
    var p = pending;
    pending = null;
    if (p) clearTimeout(p.timer);
    var bar = undoBar();
    if (bar) bar.replaceChildren();
    return p;
  }

  function wait(form, submitter) {
    if (pending) return;
    var seconds = Number(form.dataset.undoSeconds) || 5;
    var where = form.closest("#case");
    var data = new FormData(form, submitter || undefined);  // with the button's own name (Merge, in the bulk bar)
    if (form.getAttribute("hx-include")) {  // what htmx would have sent along (the inbox's filters)
      document.querySelectorAll(form.getAttribute("hx-include")).forEach(function (el) {
        if (el instanceof HTMLFormElement) new FormData(el).forEach(function (v, k) { if (!data.has(k)) data.append(k, v); });
      });
    }
    pending = {
      form: form,
      submitter: submitter || null,
      caseRef: where ? where.dataset.case : "",
      action: form.action,
      target: form.getAttribute("hx-target"),
      swap: form.getAttribute("hx-swap") || "innerHTML",
      data: data,
      returnFocus: document.activeElement,
      timer: setTimeout(send, seconds * 1000),
    };
    var button = showUndo(form.dataset.undoText || "");
    if (button) button.focus();
  }

  function undo() {
    var p = finish();
    if (!p) return false;
    // Back where the agent was, or (after a shortcut, from the page itself) on the button that starts it again.
    var from = p.returnFocus;
    var back = from && from !== document.body && from.isConnected ? from : p.form.querySelector("[type=submit]");
    if (back && back.isConnected) back.focus();
    return true;
  }

  function beacon(p) {
    if (navigator.sendBeacon && navigator.sendBeacon(p.action, p.data)) return;
    fetch(p.action, { method: "POST", body: p.data, credentials: "same-origin", keepalive: true });
  }

  function send() {
    var p = finish();
    if (!p) return;
    var here = document.getElementById("case");
    if (p.form.isConnected) {
      // The form as it is, through htmx's own handler (or natively without htmx).
      p.form.dataset.undoSending = "1";
      var by = p.submitter && p.submitter.isConnected ? p.submitter : undefined;
      try { p.form.requestSubmit(by); } finally { delete p.form.dataset.undoSending; }
    } else if (window.htmx && p.target && (!p.caseRef || (here && here.dataset.case === p.caseRef))) {
      // The page around it was swapped meanwhile (a note was added ...): the same request, by hand.
      var values = {};
      p.data.forEach(function (value, name) { values[name] = value; });
      window.htmx.ajax("POST", p.action, { target: p.target, swap: p.swap, values: values });
    } else {
      beacon(p);
    }
  }

  // A form (or the button that sends it) marked data-confirm asks first (deleting a macro, merging).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var ask = form instanceof HTMLFormElement && ((ev.submitter && ev.submitter.dataset.confirm) || form.dataset.confirm);
    if (ask && !window.confirm(ask)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();  // not waiting to be sent either (data-undoable)
    }
  }, true);

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-undoable") || form.dataset.undoSending) return;
    ev.preventDefault();
    ev.stopPropagation(); // before htmx's own listener on the form
    wait(form, ev.submitter);
  }, true);

  window.addEventListener("pagehide", function () {
    var p = finish();
    if (p) beacon(p);
  });

  document.addEventListener("click", function (ev) {
    var target = ev.target.closest ? ev.target : null;
    if (!target) return;
    if (target.closest("[data-undo]")) { undo(); return; }
    if (target.closest("[data-shortcuts]")) document.getElementById("shortcuts").showModal();
  });

  // --- Keyboard shortcuts ----------------------------------------------------------------------------
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
        if (sel && openRow(sel)) break;
        if (sel && sel.dataset.href) window.location = sel.dataset.href; else handled = false;
        break;
      }
      case "/": handled = focus("[data-search]"); break;
      case "r": handled = focus("[data-reply]"); break;
      case "n": handled = focus("[data-note]"); break;
      case "m": handled = focus("[data-macro-pick]"); break;
      case "x": {
        var box = document.querySelector("[data-list] tr.selected input[name=cases]");
        if (box) { box.checked = !box.checked; countPicks(); } else handled = false;
        break;
      }
      case "a": handled = focus("[data-assign]"); break;
      case "e": {
        var solve = document.querySelector("[data-solve]");
        if (solve) solve.click(); else handled = false;
        break;
      }
      case "z": handled = undo(); break;
      case "?": {
        var dialog = document.getElementById("shortcuts");
        if (dialog && dialog.showModal) dialog.showModal(); else handled = false;
        break;
      }
      default: handled = false;
    }
    if (handled) ev.preventDefault();
  });

  // --- The inbox's third pane: on a wide screen a case opens beside the list (?open= in the address, so the
  // back button and a reload find it again); j/k move through the list and open each case; Enter opens it.
  // On a narrow screen, or with a modifier key, a link is a link.
  function paneEl() { return document.getElementById("pane"); }
  function wide() { return window.matchMedia("(min-width: 75rem)").matches; }
  function markRow(ref) {
    rows().forEach(function (r) { r.classList.toggle("selected", r.dataset.ref === ref); });
  }
  function openCase(ref, push) {
    var pane = paneEl();
    if (!pane || !window.htmx) return false;
    var url = new URL(window.location.href);
    if (ref) url.searchParams.set("open", ref); else url.searchParams.delete("open");
    if (push) window.history.pushState({ lofteOpen: ref || "" }, "", url.toString());
    var inbox = pane.closest("[data-panes]");
    if (!ref) { pane.innerHTML = ""; inbox.classList.remove("has-case"); markRow(""); return true; }
    inbox.classList.add("has-case");
    markRow(ref);
    pane.dataset.open = ref;
    window.htmx.ajax("GET", "/cases/" + encodeURIComponent(ref) + "/", { target: "#pane", swap: "innerHTML" });
    return true;
  }
  function openRow(row) {
    if (!row || !paneEl() || !wide()) return false;
    return openCase(row.dataset.ref, true);
  }
  document.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    var link = ev.target.closest && ev.target.closest("[data-list] tr[data-row] a");
    if (link && openRow(link.closest("tr[data-row]"))) ev.preventDefault();
  });
  window.addEventListener("popstate", function (ev) {
    if (!paneEl() || (ev.state && ev.state.htmx)) return;
    openCase(new URL(window.location.href).searchParams.get("open") || "", false);
  });
  // Send and next: after a reply in the pane, the next case of the list opens (a setting of the agent's).
  document.addEventListener("htmx:afterRequest", function (ev) {
    var pane = paneEl(), form = ev.detail && ev.detail.elt;
    if (!pane || !ev.detail.successful || !form || !form.matches || !form.matches("form[data-reply-form]")) return;
    if (!pane.contains(form) || pane.querySelector("[data-error]")) return;
    if (document.body.dataset.sendNext !== "1") return;
    var list = rows(), at = list.findIndex(function (r) { return r.dataset.ref === pane.dataset.open; });
    if (at >= 0 && at + 1 < list.length) openCase(list[at + 1].dataset.ref, true);
  });

  // --- Bulk work in the inbox: the boxes of the rows belong to the bulk form (form="bulk"). -------------
  function picks() { return Array.prototype.slice.call(document.querySelectorAll("input[form=bulk][name=cases]")); }
  function countPicks() {
    var out = document.querySelector("[data-bulk-count]");
    if (out) out.textContent = String(picks().filter(function (b) { return b.checked; }).length);
  }
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (!el || !el.matches) return;
    if (el.matches("[data-pick-all]")) picks().forEach(function (b) { b.checked = el.checked; });
    if (el.matches("[data-pick-all], input[form=bulk][name=cases]")) countPicks();
  });
  document.addEventListener("htmx:afterSwap", countPicks);
  document.addEventListener("htmx:afterRequest", function (ev) {  // done: the bar starts empty again
    var form = ev.detail && ev.detail.elt;
    if (form && form.id === "bulk" && ev.detail.successful) form.reset();
  });

  // --- A select marked data-autosubmit sends its form when changed (the language on the login page). ---
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.requestSubmit();
  });
})();
