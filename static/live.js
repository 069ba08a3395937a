// Live updates for the appointment page (host) and the waiting room (guest): one WebSocket per page,
// a ping every 25 s, reconnect with growing pauses (1 s, 2 s, 4 s … at most 30 s). The server sends
// the current state on every connect, so nothing is missed while offline. Without JavaScript the
// pages still work: the host uses the forms, the guest's page reloads itself.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.WebSocket) return;
  var status = document.getElementById("live-status");
  var pause = 1000;
  var socket = null;
  var pinger = null;
  var waiting = null; // ids waiting at the last update (host page)
  var audio = null;
  var alerts = false;

  function beep() {
    if (!audio) return;
    if (audio.state === "suspended") audio.resume();
    live.setAttribute("data-sounded", String(Number(live.getAttribute("data-sounded") || 0) + 1));
    [0, 0.3].forEach(function (at) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.25);
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + at);
      tone.stop(audio.currentTime + at + 0.25);
    });
  }

  // `keys`: participant ids, or `<id>:device` for another device of someone.
  function announce(keys) {
    var list = document.getElementById("participants");
    keys.forEach(function (key) {
      var row = list && list.querySelector('[data-participant="' + key.split(":")[0] + '"]');
      var name = row ? row.getAttribute("data-name") : "";
      if (alerts) beep();
      if (alerts && window.Notification && Notification.permission === "granted") {
        new Notification((live.getAttribute("data-notify-title") || "").replace("{name}", name));
      }
    });
  }

  function replace(id, html) {
    var old = document.getElementById(id);
    if (!old) return;
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    if (fresh) old.replaceWith(fresh);
  }

  // The video room (room.js) listens to every message and sends its own through `window.liveSend`. Its
  // modules may run after the first messages came (on a slow line they arrive later than the socket's
  // first answer): they take what came before them with `window.liveTake` once, then listen.
  window.liveSend = function (message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  var backlog = document.getElementById("room") ? [] : null; // only a page with the video room takes it
  window.liveTake = function () {
    var taken = backlog || [];
    backlog = null;
    return taken;
  };

  function onMessage(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (backlog) backlog.push(message);
    if (backlog && backlog.length > 200) backlog.shift();
    document.dispatchEvent(new CustomEvent("live-message", { detail: message }));
    if (message.type === "participants") {
      replace("participants", message.html);
      if (message.banner) replace("waiting-banner", message.banner);
      if (waiting !== null) {
        announce(message.waiting.filter(function (id) { return waiting.indexOf(id) < 0; }));
      }
      waiting = message.waiting;
    } else if (message.type === "status") {
      replace("guest-status", message.html);
    }
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + live.getAttribute("data-ws");
    socket = new WebSocket(url);
    socket.onopen = function () {
      pause = 1000;
      if (status) status.textContent = "";
      pinger = setInterval(function () { socket.send('{"type":"ping"}'); }, 25000);
    };
    socket.onmessage = onMessage;
    socket.onclose = function (event) {
      clearInterval(pinger);
      // "ended": the guest's invitation is over; nothing to reconnect to.
      if (event.reason === "ended") return;
      if (status) status.textContent = live.getAttribute("data-offline") || "";
      var wait = pause + Math.random() * 500;
      pause = Math.min(pause * 2, 30000);
      setTimeout(connect, wait);
    };
  }

  // Sound and notification for arrivals: switched on once per browser (a click is what lets a page play
  // sound), then remembered for every appointment page and room.
  var ALERTS_KEY = "sprechstunde-alerts";
  function remembered() {
    try { return window.localStorage.getItem(ALERTS_KEY) === "on"; } catch (e) { return false; }
  }
  function switchOn(enable) {
    alerts = true;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (Context && !audio) audio = new Context();
    if (enable) enable.hidden = true;
  }
  var enable = document.getElementById("enable-alerts");
  if (enable && remembered()) {
    switchOn(enable);
    // Until the person touches the page, a browser may keep its sound suspended.
    ["pointerdown", "keydown"].forEach(function (type) {
      document.addEventListener(type, function () { if (audio && audio.state === "suspended") audio.resume(); });
    });
  } else if (enable) {
    enable.hidden = false;
    enable.addEventListener("click", function () {
      switchOn(enable);
      try { window.localStorage.setItem(ALERTS_KEY, "on"); } catch (e) { /* private mode: this page only */ }
      if (window.Notification && Notification.permission === "default") Notification.requestPermission();
      if (status) status.textContent = enable.getAttribute("data-on") || "";
    });
  }

  connect();
})();
