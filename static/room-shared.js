// What the parts of the video room share: this page's place in the room, its connections to the others,
// and how it talks to them. Every page load has its own session id, sent with each signal: a reloaded
// page's first message makes the other side drop its old connection at once, so a reload rejoins within
// seconds without a new admission.
export const room = document.getElementById("room");
export function text(name) { return (room && room.getAttribute("data-" + name)) || ""; }
export const role = text("role");
export const me = text("me");
export const session = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(8)), function (b) {
  return ("0" + b.toString(16)).slice(-2);
}).join("");

// What changes while the page is open.
export const state = {
  config: null, // STUN/TURN servers, sent by the server once we may connect
  members: [], // who is in the room, by the last update: [{id, name}]
  inRoom: role === "host",
  local: null, // a promise of the camera and microphone stream
  screenTrack: null, // the shared screen, sent instead of the camera (host)
  soundOnly: false, // "Nur Ton senden" is pressed
  // What the others see of this page's microphone and camera ("on", "off": switched off here, "none": no
  // such device or no permission), told to each of them over the signalling rather than guessed from
  // silence or black frames.
  mine: { audio: "on", video: "on" }
};

// This page's connections, by the other page's id (the host is "host").
export const peers = {};
window.roomPeers = peers; // for the browser tests (getStats)

// A slow line, read from how this page itself arrived: every file of 4 KB or more took, from request to
// its last byte, long enough for under 150 kbit/s (on 50 kbit/s and 300 ms they come at about 40; the
// round trip alone keeps 4 KB under 110). From the request, not the first byte: a busy browser read a
// body that had long arrived "at once". Such a page starts every connection with sound only and Opus at
// 16 kbit/s, and asks the others to send it no picture either: stepping down later left the first 20 s
// unintelligible on 50 kbit/s. A wrong guess (a busy computer) costs the picture one good reading.
export const lean = (function () {
  if (!window.performance || !performance.getEntriesByType) return false;
  var entries = performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
    .filter(function (e) { return e.transferSize >= 4000 && e.responseEnd > e.requestStart && e.requestStart > 0; });
  return entries.length > 0 && entries.every(function (e) {
    return e.transferSize * 8 / ((e.responseEnd - e.requestStart) / 1000) < 150000;
  });
})();
if (room) room.setAttribute("data-lean", lean ? "true" : "false");

// How often a connection was mended, and why (the ICE state then), for the tests.
// `log`: the last signalling steps, "seconds id what state", to find why a connection stays silent.
export const counts = window.roomCounts = { restarts: 0, afresh: 0, why: [], log: [] };
export function trace(id, what) {
  var p = peers[id];
  counts.log.push((performance.now() / 1000).toFixed(1) + " " + id + " " + what + (p ? " " + p.pc.signalingState : ""));
  if (counts.log.length > 120) counts.log.shift();
}

export function nameOf(id) {
  for (var i = 0; i < state.members.length; i++) if (state.members[i].id === id) return state.members[i].name;
  return "";
}

// Each message names the page (`session`) and this page's connection to the recipient (`conn`).
export function send(to, payload) {
  payload.session = session;
  if (peers[to]) payload.conn = peers[to].conn;
  window.liveSend({ type: "signal", to: to, payload: payload });
}

// Whether connection `p` carries this page's picture: not with "Nur Ton", nor at the last step down.
export function picture(p) {
  return !state.soundOnly && p.step !== 2;
}
