// The promise board, live: a websocket says which teams' promises changed, and the board
// (#board, an HTMX partial listening for "board-changed") fetches itself again with its filters.
// While the socket is down (or the browser has none) the board refreshes every 30 s instead, and
// the socket reconnects with backoff. A timer here rather than an hx-trigger filter: filters are
// evaluated JavaScript, which the Content-Security-Policy (no eval) does not allow.
(function () {
  "use strict";
  var status = document.getElementById("board-status");
  if (!status || !document.getElementById("board")) return;
  var POLL = 30000, FIRST_DELAY = 1000, MAX_DELAY = 60000;
  var delay = FIRST_DELAY, attempts = 0, pending = null, live = false;

  function setLive(value) {
    live = value;
    status.textContent = live ? status.dataset.live : status.dataset.polling;
    status.classList.toggle("live", live);
  }

  // Many changes arrive together (a tick breaks a batch of promises): one refresh for a burst.
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      if (window.htmx) window.htmx.trigger(document.body, "board-changed");
    }, 300);
  }

  setInterval(function () {
    if (!live) refresh();
  }, POLL);

  // A board filtered to one team need not refresh for another team's promises.
  function shown(teams) {
    var board = document.getElementById("board");
    var team = board ? board.dataset.team : "";
    return !team || !Array.isArray(teams) || teams.indexOf(Number(team)) !== -1;
  }

  function connect(url) {
    attempts += 1;
    var socket = new WebSocket(url);
    socket.onopen = function () {
      if (attempts > 1) refresh(); // what changed while the socket was down
      delay = FIRST_DELAY;
      setLive(true);
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data && data.changed && shown(data.teams)) refresh();
    };
    socket.onclose = function () {
      setLive(false);
      setTimeout(function () { connect(url); }, delay + Math.random() * delay / 2);
      delay = Math.min(delay * 2, MAX_DELAY);
    };
  }

  setLive(false);
  if (window.WebSocket) {
    connect((location.protocol === "https:" ? "wss://" : "ws://") + location.host + status.dataset.socket);
  }
})();
