// The reply box's Markdown tools: bold, italic, a link, a list, and images. An image (the Image button, or pasted
// or dropped into the text) is added to the reply's files under a plain name and written into the text where the
// cursor is, as ![name](cid:name): the email shows it there, the plain text reads [name]. The preview shows the
// chosen files themselves. Ctrl/Cmd+B, +I and +K are bold, italic and link. Without JavaScript the box is a
// plain Markdown textarea and files are attached with the file field.
(function () {
  "use strict";

  function box() { return document.getElementById("reply-body"); }
  function files() { return document.getElementById("reply-attachments"); }

  function replaceSelection(area, before, after, placeholder) {
    var start = area.selectionStart, end = area.selectionEnd;
    var chosen = area.value.slice(start, end);
    area.setRangeText(before + (chosen || placeholder) + after, start, end, "end");
    if (!chosen) {  // nothing was selected: the placeholder is, so typing replaces it
      area.setSelectionRange(start + before.length, start + before.length + placeholder.length);
    }
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function listify(area) {
    var start = area.value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    var end = area.selectionEnd;
    var lines = area.value.slice(start, end).split("\n");
    var text = lines.map(function (line) { return /^\s*[-*] /.test(line) ? line : "- " + line; }).join("\n");
    area.setRangeText(text, start, end, "end");
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function plainName(name, taken) {
    var dot = name.lastIndexOf(".");
    var ext = dot > 0 ? name.slice(dot).toLowerCase().replace(/[^a-z0-9.]/g, "") : ".png";
    var stem = (dot > 0 ? name.slice(0, dot) : name).normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    stem = stem.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "image";
    var candidate = stem + ext, n = 1;
    while (taken.indexOf(candidate) !== -1) { n += 1; candidate = stem + "-" + n + ext; }
    return candidate;
  }

  function addImages(list) {
    var input = files(), area = box();
    if (!input || !area || typeof DataTransfer === "undefined") { return false; }
    var images = Array.prototype.filter.call(list, function (f) { return /^image\/(png|jpeg|gif|webp)$/.test(f.type); });
    if (!images.length) { return false; }
    var transfer = new DataTransfer(), taken = [];
    Array.prototype.forEach.call(input.files, function (f) { transfer.items.add(f); taken.push(f.name); });
    var refs = images.map(function (f) {
      var name = plainName(f.name || "image.png", taken);
      taken.push(name);
      transfer.items.add(new File([f], name, { type: f.type, lastModified: f.lastModified }));
      return "![" + name + "](cid:" + name + ")";
    });
    input.files = transfer.files;
    var start = area.selectionStart;
    var lead = start > 0 && area.value.charAt(start - 1) !== "\n" ? "\n" : "";
    area.setRangeText(lead + refs.join("\n") + "\n", start, area.selectionEnd, "end");
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  var ACTIONS = {
    bold: function (area) { replaceSelection(area, "**", "**", area.dataset.placeholderBold || "bold"); },
    italic: function (area) { replaceSelection(area, "*", "*", area.dataset.placeholderItalic || "italic"); },
    link: function (area) {
      var start = area.selectionStart, end = area.selectionEnd;
      var label = area.value.slice(start, end) || area.dataset.placeholderLink || "text";
      area.setRangeText("[" + label + "](https://)", start, end, "end");
      var at = start + label.length + 3 + "https://".length;
      area.setSelectionRange(at, at);
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
    },
    list: listify,
    image: function () { var pick = document.getElementById("reply-image-pick"); if (pick) { pick.click(); } }
  };

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-md]");
    var area = box();
    if (!button || !area) { return; }
    ev.preventDefault();
    ACTIONS[button.dataset.md](area);
  });

  document.addEventListener("change", function (ev) {
    if (ev.target.id !== "reply-image-pick") { return; }
    addImages(ev.target.files);
    ev.target.value = "";
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.target.id !== "reply-body" || !(ev.ctrlKey || ev.metaKey) || ev.altKey || ev.shiftKey) { return; }
    var action = { b: "bold", i: "italic", k: "link" }[ev.key.toLowerCase()];
    if (!action) { return; }
    ev.preventDefault();
    ev.stopPropagation();
    ACTIONS[action](ev.target);
  });

  document.addEventListener("paste", function (ev) {
    if (ev.target.id !== "reply-body" || !ev.clipboardData || !ev.clipboardData.files.length) { return; }
    if (addImages(ev.clipboardData.files)) { ev.preventDefault(); }
  });

  document.addEventListener("dragover", function (ev) {
    if (ev.target.id === "reply-body" && ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types, "Files") !== -1) {
      ev.preventDefault();
    }
  });
  document.addEventListener("drop", function (ev) {
    if (ev.target.id !== "reply-body" || !ev.dataTransfer || !ev.dataTransfer.files.length) { return; }
    if (addImages(ev.dataTransfer.files)) { ev.preventDefault(); }
  });

  // The preview shows the chosen files where the text names them.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var preview = ev.detail.target;
    var input = files();
    if (!preview || preview.id !== "reply-preview" || !input) { return; }
    preview.querySelectorAll('img[src^="cid:"]').forEach(function (img) {
      var name = decodeURIComponent(img.getAttribute("src").slice(4));
      var file = Array.prototype.find.call(input.files, function (f) { return f.name === name; });
      if (file) { img.src = URL.createObjectURL(file); } else { img.classList.add("missing-image"); }
    });
  });
})();

// @mentions in the note box: after "@" and a letter or two, the colleagues who may see the case (and their teams)
// whose names begin so; arrow keys choose, Enter or Tab writes the handle, Escape closes the list.
(function () {
  "use strict";
  var timer = null, request = 0;

  function list() { return document.getElementById("mention-list"); }

  function typed(area) {
    var before = area.value.slice(0, area.selectionStart);
    var match = /(?:^|[^\w@.])@([\w.\-]{0,30})$/.exec(before);
    return match ? match[1] : null;
  }

  function close(area) {
    var ul = list();
    if (ul) { ul.hidden = true; ul.innerHTML = ""; }
    if (area) { area.setAttribute("aria-expanded", "false"); area.removeAttribute("aria-activedescendant"); }
  }

  function choose(area, li) {
    var query = typed(area);
    if (query === null) { close(area); return; }
    var start = area.selectionStart - query.length - 1;  // the "@" too
    area.setRangeText(li.dataset.handle + " ", start, area.selectionStart, "end");
    close(area);
    area.focus();
  }

  function move(area, step) {
    var items = Array.prototype.slice.call(list().querySelectorAll("li"));
    var at = items.findIndex(function (li) { return li.getAttribute("aria-selected") === "true"; });
    var next = (at + step + items.length) % items.length;
    items.forEach(function (li, i) { li.setAttribute("aria-selected", i === next ? "true" : "false"); });
    area.setAttribute("aria-activedescendant", items[next].id);
  }

  function show(area, candidates) {
    var ul = list();
    if (!ul) { return; }
    ul.innerHTML = "";
    if (!candidates.length) { close(area); return; }
    candidates.forEach(function (c, i) {
      var li = document.createElement("li");
      li.id = "mention-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === 0 ? "true" : "false");
      li.dataset.handle = "@" + c.handle;
      var label = document.createElement("span");
      label.textContent = c.label;
      var handle = document.createElement("span");
      handle.className = "muted small";
      handle.textContent = " @" + c.handle;
      li.appendChild(label);
      li.appendChild(handle);
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(area, li); });
      ul.appendChild(li);
    });
    ul.hidden = false;
    area.setAttribute("aria-expanded", "true");
    area.setAttribute("aria-activedescendant", "mention-0");
  }

  document.addEventListener("input", function (ev) {
    var area = ev.target;
    if (!area.dataset || !area.dataset.mentions) { return; }
    var query = typed(area);
    clearTimeout(timer);
    if (query === null) { close(area); return; }
    timer = setTimeout(function () {
      var mine = ++request;
      fetch(area.dataset.mentions + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { candidates: [] }; })
        .then(function (data) { if (mine === request && typed(area) !== null) { show(area, data.candidates || []); } })
        .catch(function () { close(area); });
    }, 150);
  });

  document.addEventListener("keydown", function (ev) {
    var area = ev.target, ul = list();
    if (!area.dataset || !area.dataset.mentions || !ul || ul.hidden) { return; }
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      move(area, ev.key === "ArrowDown" ? 1 : -1);
    } else if (ev.key === "Enter" || ev.key === "Tab") {
      var picked = ul.querySelector('li[aria-selected="true"]');
      if (picked) { ev.preventDefault(); ev.stopPropagation(); choose(area, picked); }
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      ev.stopPropagation();
      close(area);
    }
  }, true);

  document.addEventListener("focusout", function (ev) {
    if (ev.target.dataset && ev.target.dataset.mentions) { setTimeout(function () { close(ev.target); }, 150); }
  });
})();

// The knowledge base in the reply box: the picker (an HTMX search above the reply) lists answers in the customer's
// language; "Insert link" writes [title](address) and "Insert text" the article's Markdown where the cursor is.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-kb-insert]") : null;
    var area = document.getElementById("reply-body");
    if (!button || !area) { return; }
    ev.preventDefault();
    var item = button.closest("[data-kb-hit]");
    var text = button.dataset.kbInsert === "link" ? item.dataset.kbLink
      : (item.querySelector("template[data-kb-text]") || { innerHTML: "" }).content.textContent;
    var start = area.selectionStart, end = area.selectionEnd;
    var lead = start > 0 && area.value.charAt(start - 1) !== "\n" && button.dataset.kbInsert === "text" ? "\n\n" : "";
    area.setRangeText(lead + text, start, end, "end");
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
