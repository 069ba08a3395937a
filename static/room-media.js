// This page's camera and microphone: asking for them (and saying which device is missing or refused, with
// help for this browser), stopping them, telling the others their state, and the picture every connection
// sends (the camera's, the shared screen's, or none).
import { state, peers, lean, send, picture } from "./room-shared.js";

export const preview = document.getElementById("local-video");
const streamListeners = [];

// `listener(stream)` runs each time the camera and microphone become available (also after "Nur mit Ton").
export function onStream(listener) {
  streamListeners.push(listener);
}

// Camera and microphone; `audioOnly`: the person chose "Nur mit Ton teilnehmen". What the browser refused
// or did not find is said in the room, with help for this browser, and the choice to go on with sound only.
export function media(audioOnly) {
  if (!state.local) {
    var video = audioOnly ? false : { width: { ideal: 640 }, height: { ideal: 480 } };
    state.mine = { audio: "on", video: audioOnly ? "none" : "on" };
    ["toggle-mic", "toggle-cam"].forEach(function (id) {
      var button = document.getElementById(id);
      button.setAttribute("aria-pressed", "false");
      button.textContent = button.getAttribute("data-off");
    });
    state.local = navigator.mediaDevices.getUserMedia({ audio: true, video: video })
      .then(function (stream) {
        preview.srcObject = stream;
        document.getElementById("room-error").hidden = true;
        offerCameraSwitch();
        streamListeners.forEach(function (listener) { listener(stream); });
        tellMedia();
        return stream;
      }, function (error) {
        showMediaError(error);
        state.mine = { audio: "none", video: "none" };
        tellMedia();
        state.local = null;
        throw error;
      });
  }
  return state.local;
}

// Which device is missing or refused, and what to do: this browser's help, "Nur mit Ton teilnehmen",
// "Erneut versuchen".
export function showMediaError(error) {
  var name = error && error.name;
  var box = document.getElementById("room-error");
  var kind = "other";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") kind = "denied";
  else if (name === "NotFoundError" || name === "OverconstrainedError") kind = "missing";
  else if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") kind = "busy";
  var show = function (reason) {
    box.querySelectorAll("[data-reason], [data-browser]").forEach(function (line) { line.hidden = true; });
    box.querySelector('[data-reason="' + reason + '"]').hidden = false;
    if (reason === "denied") box.querySelector('[data-browser="' + (window.browserKind ? window.browserKind() : "other") + '"]').hidden = false;
    // Sound only helps when there is a microphone to send it.
    document.getElementById("audio-only").hidden = reason === "no-microphone";
    box.hidden = false;
  };
  if (kind !== "missing" || !navigator.mediaDevices.enumerateDevices) return show(kind);
  navigator.mediaDevices.enumerateDevices().then(function (devices) {
    var has = function (kind) { return devices.some(function (d) { return d.kind === kind; }); };
    show(has("audioinput") || !has("videoinput") ? "missing" : "no-microphone");
  }, function () { show(kind); });
}

// Back in the waiting room (or the consultation ended): the camera light goes off.
export function stopMedia() {
  if (!state.local) return;
  state.local.then(function (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }, function () {});
  if (state.screenTrack) state.screenTrack.stop();
  state.local = null;
  state.screenTrack = null;
  preview.srcObject = null;
}

// This page's microphone and camera state, to one other page (`id`) or to all.
export function tellMedia(id) {
  var targets = id ? [id] : Object.keys(peers);
  targets.forEach(function (to) {
    // "paused": no picture goes to that side now ("Nur Ton", or the step-down on a poor line).
    var told = { audio: state.mine.audio, video: state.mine.video, paused: !picture(peers[to]), lean: lean };
    send(to, { media: told });
  });
}

// The senders of a connection's video, also while they send nothing ("Nur Ton").
export function videoSenders(pc) {
  return pc.getTransceivers().filter(function (t) {
    return t.sender && t.receiver && t.receiver.track && t.receiver.track.kind === "video";
  }).map(function (t) { return t.sender; });
}

// The video track every connection sends: the camera's, or the shared screen's; none at all with "Nur Ton".
export function sendVideo(track) {
  var replaced = [];
  Object.keys(peers).forEach(function (id) {
    videoSenders(peers[id].pc).forEach(function (sender) {
      replaced.push(sender.replaceTrack(picture(peers[id]) ? track : null));
    });
  });
  return Promise.all(replaced);
}

// "Kamera wechseln" (phones: front and back) appears with a second camera.
const switcher = document.getElementById("switch-camera");
export function offerCameraSwitch() {
  if (!navigator.mediaDevices.enumerateDevices) return;
  navigator.mediaDevices.enumerateDevices().then(function (devices) {
    var cameras = devices.filter(function (d) { return d.kind === "videoinput"; });
    switcher.hidden = cameras.length < 2;
  });
}
