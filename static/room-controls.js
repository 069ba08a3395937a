// The buttons of the room: microphone, camera, "Nur Ton senden", "Kamera wechseln", "Bildschirm teilen",
// "Nur mit Ton teilnehmen" and "Erneut versuchen"; and the doctor's controls, which work in any browser.
import { state, peers, role, text } from "./room-shared.js";
import { media, stopMedia, tellMedia, sendVideo, preview } from "./room-media.js";
import { applyStep } from "./room-quality.js";

// The controls for this page's camera, microphone and picture (only where video can work at all).
export function deviceControls() {
  // "Mikrofon stummschalten" / "Stummschaltung aufheben", "Kamera ausschalten" / "Kamera einschalten": the
  // buttons say what they do, `aria-pressed` says the state; the tracks stay in the connection, only muted
  // (no renegotiation), and the others are told.
  [["toggle-mic", "getAudioTracks", "audio"], ["toggle-cam", "getVideoTracks", "video"]].forEach(function (control) {
    var button = document.getElementById(control[0]);
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      media().then(function (stream) {
        var off = button.getAttribute("aria-pressed") !== "true";
        stream[control[1]]().forEach(function (track) { track.enabled = !off; });
        button.setAttribute("aria-pressed", off ? "true" : "false");
        button.textContent = button.getAttribute(off ? "data-on" : "data-off");
        if (state.mine[control[2]] !== "none") state.mine[control[2]] = off ? "off" : "on";
        tellMedia();
      });
    });
  });

  // "Nur Ton senden": no picture goes out (not even a black one: nothing is encoded or sent), which leaves a
  // poor line to the sound; the others' tiles say "nur Ton". "Bild wieder senden" brings it back.
  var soundButton = document.getElementById("sound-only");
  soundButton.hidden = false;
  soundButton.addEventListener("click", function () {
    state.soundOnly = !state.soundOnly;
    soundButton.setAttribute("aria-pressed", state.soundOnly ? "true" : "false");
    soundButton.textContent = soundButton.getAttribute(state.soundOnly ? "data-on" : "data-off");
    Object.keys(peers).forEach(function (id) { applyStep(peers[id]); });
  });

  // "Kamera wechseln" (phones: front and back): the next camera replaces the track in every connection.
  document.getElementById("switch-camera").addEventListener("click", function () {
    Promise.all([media(), navigator.mediaDevices.enumerateDevices()]).then(function (found) {
      var stream = found[0];
      var cameras = found[1].filter(function (d) { return d.kind === "videoinput"; });
      var old = stream.getVideoTracks()[0];
      var current = old ? old.getSettings().deviceId : "";
      var index = cameras.map(function (d) { return d.deviceId; }).indexOf(current);
      var next = cameras[(index + 1) % cameras.length];
      var constraints = { deviceId: { exact: next.deviceId }, width: { ideal: 640 }, height: { ideal: 480 } };
      return navigator.mediaDevices.getUserMedia({ video: constraints }).then(function (fresh) {
        var track = fresh.getVideoTracks()[0];
        if (old) {
          track.enabled = old.enabled;
          stream.removeTrack(old);
        }
        stream.addTrack(track);
        preview.srcObject = stream;
        // The old camera stops only once every connection sends the new one.
        return (state.screenTrack ? Promise.resolve() : sendVideo(track)).then(function () { if (old) old.stop(); });
      });
    }).catch(function (error) { console.error(error); });
  });

  // "Bildschirm teilen" (host): the screen replaces the camera in every connection until sharing ends.
  const share = document.getElementById("share-screen");
  function stopSharing() {
    if (!state.screenTrack) return;
    state.screenTrack.stop();
    state.screenTrack = null;
    media().then(function (stream) {
      sendVideo(stream.getVideoTracks()[0] || null);
      preview.srcObject = stream;
    });
    share.setAttribute("aria-pressed", "false");
    share.textContent = share.getAttribute("data-off");
  }
  if (share && navigator.mediaDevices.getDisplayMedia) {
    share.hidden = false;
    share.addEventListener("click", function () {
      if (state.screenTrack) return stopSharing();
      navigator.mediaDevices.getDisplayMedia({ video: true }).then(function (display) {
        state.screenTrack = display.getVideoTracks()[0];
        state.screenTrack.onended = stopSharing;
        sendVideo(state.screenTrack);
        preview.srcObject = display;
        share.setAttribute("aria-pressed", "true");
        share.textContent = share.getAttribute("data-on");
      }).catch(function (error) { console.error(error); });
    });
  }

  // "Nur mit Ton teilnehmen" (no camera, or it was refused) and "Erneut versuchen".
  var audioOnly = document.getElementById("audio-only");
  audioOnly.hidden = false;
  audioOnly.addEventListener("click", function () {
    if (state.local) stopMedia();
    media(true).catch(function () {});
  });
  var retry = document.getElementById("media-retry");
  retry.hidden = false;
  retry.addEventListener("click", function () {
    if (state.local) stopMedia();
    media().catch(function () {});
  });
}

// The doctor's controls work in any browser: neither sending actions in place nor the question before
// "Sprechstunde beenden" depends on WebRTC being there.
export function hostControls() {
  // Everything the host does during the call happens in place (the page, its camera and its connections
  // stay): the forms of the host's panel and of the waiting banner are sent in the background. The change
  // itself comes back over the WebSocket like any other; the answer says what went wrong, or carries fresh
  // access details to show.
  var feedback = document.getElementById("room-feedback");
  function tell(lines, ok) {
    if (!feedback) return;
    feedback.textContent = "";
    feedback.className = lines.length ? (ok ? "notice" : "errors") : "";
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      feedback.appendChild(p);
    });
    if (lines.length && !ok) feedback.focus();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (role !== "host" || form.id === "end-form" || !form.closest("#host-panel, #waiting-banner")) return;
    event.preventDefault();
    var data = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled || field.type === "submit") return;
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) return;
      data.append(field.name, field.value);
    });
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: data
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      tell(answer.ok ? (answer.message ? [answer.message] : []) : answer.errors, answer.ok);
      var fresh = document.getElementById("room-fresh");
      if (answer.html && fresh) {
        fresh.innerHTML = answer.html;
        if (window.copyButtons) window.copyButtons(fresh);
        fresh.scrollIntoView({ block: "nearest" });
      }
      // What was added is done; a refused form keeps everything typed.
      if (answer.ok && form.id === "add-participant") form.reset();
    }).catch(function () {
      tell([text("action-failed")], false);
    }).then(function () {
      buttons.forEach(function (b) { if (b.isConnected) b.disabled = false; });
    });
  });

  // "Sprechstunde beenden" asks once, naming who is still waiting (they will not be let in any more).
  var endForm = document.getElementById("end-form");
  if (endForm) {
    endForm.addEventListener("submit", function (event) {
      var names = Array.prototype.map.call(
        document.querySelectorAll("#participants li[data-state='waiting']"),
        function (row) { return row.getAttribute("data-name"); }
      );
      var question = endForm.getAttribute("data-confirm");
      if (names.length) {
        question = endForm.getAttribute("data-confirm-waiting").replace("{names}", names.join(", ")) + "\n\n" + question;
      }
      if (!window.confirm(question)) event.preventDefault();
    });
  }
}

// A browser that cannot do video at all (no WebRTC) tells the others once it is in the room, so the
// doctor sees why nothing comes instead of waiting for a connection.
export function tellNoVideo() {
  document.addEventListener("live-message", function (event) {
    var message = event.detail;
    if (message.type !== "status" || message.state !== "admitted") return;
    message.room.members.forEach(function (m) {
      if (m.id === text("me")) return;
      window.liveSend({ type: "signal", to: m.id, payload: { media: { audio: "none", video: "none", webrtc: false } } });
    });
  });
}
