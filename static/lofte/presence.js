// Presence on a case (L09): who else has the case open, and who is writing a reply. The case page's
// [data-presence] element (inside #case[data-case]) names its websocket and carries the translated
// sentences ("%(name)s is viewing", "%(name)s is typing…"); the server sends {"present": [{id, name,
// typing}]}, the other agents on the case, whenever that changes. While the reply box (#reply-body) is
// written in, the socket is told {"typing": true} at most every 3 s (the server lets it run out after 6).
// When HTMX puts another case in #case, the old socket is closed and one for the new case opened; a
// socket that drops reconnects with backoff. Loaded once however many times the script tag appears.
(function () {
  "use strict";
  if (window.loftePresence) return;
  window.loftePresence = true;
  var FIRST_DELAY = 1000, MAX_DELAY = 60000, TYPING_EVERY = 3000;
  var socket = null, url = null, delay = FIRST_DELAY, retry = null, present = [], typingSent = 0;

  function element() {
    var casePage = document.getElementById("case");
    if (!casePage || !casePage.dataset.case) return null;
    return casePage.querySelector("[data-presence]");
  }

  function render() {
    var el = element();
    var shown = JSON.stringify(present);
    // unchanged: left alone, so that a screen reader does not hear it again after every swap on the page
    if (!el || el.dataset.shown === shown) return;
    el.dataset.shown = shown;
    el.replaceChildren();
    present.forEach(function (person) {
      var template = (person.typing ? el.dataset.typing : el.dataset.viewing) || "%(name)s";
      var span = document.createElement("span");
      span.className = person.typing ? "presence-person typing" : "presence-person";
      span.dataset.agent = String(person.id);
      span.textContent = template.split("%(name)s").join(person.name);
      el.appendChild(span);
    });
  }

  function stop() {
    if (retry) clearTimeout(retry);
    retry = null;
    if (socket) {
      var old = socket;
      socket = null; // its onclose must not reconnect
      old.close();
    }
    present = [];
    typingSent = 0;
    delay = FIRST_DELAY;
  }

  function connect() {
    retry = null;
    var current = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + url);
    socket = current;
    current.onopen = function () { delay = FIRST_DELAY; };
    current.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data && Array.isArray(data.present)) {
        present = data.present;
        render();
      }
    };
    current.onclose = function () {
      if (socket !== current) return; // closed on purpose: another case, or none
      socket = null;
      present = [];
      typingSent = 0;
      render();
      retry = setTimeout(connect, delay + Math.random() * delay / 2);
      delay = Math.min(delay * 2, MAX_DELAY);
    };
  }

  // On load and after every HTMX swap: is the case shown still the one the socket is for?
  function check() {
    var el = element();
    var wanted = el && el.dataset.socket ? el.dataset.socket : null;
    if (wanted === url) {
      render(); // the same case, perhaps a new element (the header was swapped): show what is known
      return;
    }
    stop();
    url = wanted;
    if (url && window.WebSocket) connect();
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  // The reply box is swapped with the composer, so listen on the document rather than on the box.
  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "reply-body") return;
    var now = Date.now();
    if (event.target.value.trim() === "") {
      if (typingSent) send({ typing: false });
      typingSent = 0;
    } else if (now - typingSent >= TYPING_EVERY) {
      typingSent = now;
      send({ typing: true });
    }
  });

  document.addEventListener("htmx:afterSettle", check);
  // Leaving the page says goodbye at once; coming back to it from the back/forward cache says hello again.
  window.addEventListener("pagehide", function () { stop(); url = null; render(); });
  window.addEventListener("pageshow", function (event) { if (event.persisted) check(); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", check);
  else check();
})();
