// The video room (issue 17: ES modules, no bundler): room-shared.js (what the parts share), room-view.js
// (tiles and layout), room-media.js (camera and microphone), room-negotiation.js (the connections),
// room-sdp.js (descriptions on a slow line), room-code.js (the Sicherheitscode), room-quality.js (stepping
// the picture down and up), room-controls.js (the buttons). This file starts them and follows the live
// messages (live.js) about who is in the room.
import { room, text, role, me, state, peers, send } from "./room-shared.js";
import { fitVideos, phone, videos, tile, replaceRoster } from "./room-view.js";
import { media, stopMedia, tellMedia } from "./room-media.js";
import { startNegotiation, onSignal, sync, restart, afresh } from "./room-negotiation.js";
import { watch } from "./room-quality.js";
import { deviceControls, hostControls, tellNoVideo } from "./room-controls.js";

if (room) {
  hostControls();
  if (window.RTCPeerConnection) start(); else tellNoVideo();
}

function start() {
  window.addEventListener("resize", fitVideos);
  fitVideos();
  startNegotiation();
  deviceControls();
  watch(afresh);
  // The doctor sees their own camera while nobody is in the room yet.
  if (role === "host") media().catch(function () {});
  // A network that comes back: restart ICE everywhere instead of waiting for the connections to fail.
  window.addEventListener("online", function () {
    Object.keys(peers).forEach(function (id) { restart(id, peers[id]); });
  });
  // What live.js received before this module ran (it may load after the socket opened), then the rest.
  (window.liveTake ? window.liveTake() : []).forEach(onLive);
  document.addEventListener("live-message", function (event) { onLive(event.detail); });
}

function onLive(message) {
  if (message.type === "ice") {
    state.config = message;
    sync();
    // Whatever the others sent before this page could receive it is lost: they send it again. What this
    // page sent while its socket was down is lost too: its media state goes out again.
    state.members.forEach(function (m) { if (m.id !== me) send(m.id, { hello: true }); });
    tellMedia();
  } else if (message.type === "signal" && state.config && state.inRoom) {
    onSignal(message.from, message.payload);
  } else if (message.type === "participants" || message.type === "status") {
    state.members = message.room.members;
    if (message.room.html) replaceRoster(message.room.html);
    if (message.type === "status") {
      var entered = !state.inRoom && message.state === "admitted";
      state.inRoom = message.state === "admitted";
      room.hidden = !state.inRoom;
      var heading = document.querySelector("h1");
      if (heading) heading.textContent = text(message.state === "waiting" ? "waiting-title" : "room-title");
      var check = document.getElementById("waiting-devices");
      if (check) check.hidden = message.state !== "waiting";
      if (state.inRoom && window.deviceCheckStop) window.deviceCheckStop();
      if (state.inRoom) media(); else stopMedia();
      fitVideos();
      if (entered && phone.matches) videos.scrollIntoView({ block: "start" });
    }
    Object.keys(peers).forEach(function (id) { tile(id); });
    sync();
  }
}
