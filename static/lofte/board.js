// The promise board, live: a websocket says which teams' promises changed, and the board
// (#board, an HTMX partial) fetches itself again with its filters. While the socket is down the
// board polls every 30 s instead (the hx-trigger on #board), and the socket reconnects with backoff.
(function () {
  "use strict";
  var status = document.getElementById("board-status");
  if (!status || !document.getElementById("board") || !window.WebSocket) return;
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + status.dataset.socket;
  var FIRST_DELAY = 1000, MAX_DELAY = 60000;
  var delay = FIRST_DELAY, attempts = 0, pending = null;

  function setLive(live) {
    window.lofteBoardLive = live; // read by the polling trigger's filter
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

  // A board filtered to one team need not refresh for another team's promises.
  function shown(teams) {
    var board = document.getElementById("board");
    var team = board ? board.dataset.team : "";
    return !team || !Array.isArray(teams) || teams.indexOf(Number(team)) !== -1;
  }

  function connect() {
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
      setTimeout(connect, delay + Math.random() * delay / 2);
      delay = Math.min(delay * 2, MAX_DELAY);
    };
  }

  setLive(false);
  connect();
})();
