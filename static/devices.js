// The device check before entering the room: camera preview, a microphone level meter and a speaker test
// tone, with help in plain words when the browser refuses (per browser), finds no device, runs inside an
// app that cannot do WebRTC, or the page is not a secure context (browsers allow the camera only on https).
(function () {
  "use strict";
  // Whose help to show when camera or microphone are refused, here and in the room (room.js).
  window.browserKind = function () {
    var ua = navigator.userAgent;
    if (/SamsungBrowser/.test(ua)) return "samsung";
    if (/Firefox|FxiOS/.test(ua)) return "firefox";
    if (/Edg\/|Chrome|Chromium|CriOS/.test(ua)) return "chrome";
    if (/Safari/.test(ua)) return "safari";
    return "other";
  };
  var box = document.getElementById("device-check");
  if (!box) return;
  var CHECKED = "sprechstunde-devices";
  function checked() {
    try { return window.sessionStorage.getItem(CHECKED) === "ok"; } catch (e) { return false; }
  }
  // In the waiting room the check is open unless it already passed in this browser (on the check-in page).
  var wrapper = box.closest("details[data-close-when-checked]");
  if (wrapper && checked()) wrapper.open = false;
  var stream = null;
  // The room takes over camera and microphone: the check lets go of them.
  window.deviceCheckStop = function () {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
  };
  function show(id) { document.getElementById(id).hidden = false; }
  // A warning never stays folded away.
  function warn(id) {
    show(id);
    var fold = box.closest("details");
    if (fold) fold.open = true;
  }
  var start = document.getElementById("dc-start");
  var speaker = document.getElementById("dc-speaker");
  var ua = navigator.userAgent;

  // A guest whose browser will not do gets a personal link for another one (the invitation's link left the
  // address bar at check-in), to copy; the address bar shows it too, so that an app's "Im Browser öffnen"
  // carries them on. Plain XMLHttpRequest: such browsers are often old.
  // The warning then comes before the check-in form, not below it.
  var handedOver = false;
  function handOver() {
    if (handedOver) return;
    handedOver = true;
    var form = document.getElementById("checkin-form");
    var fold = box.closest("details") || box;
    if (form && form.parentNode === fold.parentNode) form.parentNode.insertBefore(fold, form);
    var handover = document.getElementById("handover");
    if (!handover || !window.XMLHttpRequest) return;
    var request = new XMLHttpRequest();
    request.open("POST", handover.getAttribute("data-make"));
    request.onload = function () {
      var url = null;
      try { url = request.status === 200 && JSON.parse(request.responseText).url; } catch (e) { /* no link */ }
      if (!url) return;
      document.getElementById("handover-url").value = url;
      handover.hidden = false;
      if (window.copyButtons) window.copyButtons(handover);
      try { history.replaceState(null, "", url); } catch (e) { /* another origin configured: copy only */ }
    };
    request.send();
  }

  // In-app browsers (the link opened from a messenger or social app) often lack camera access or WebRTC.
  if (/FBAN|FBAV|Instagram|WhatsApp|Line\/|MicroMessenger|Snapchat|TikTok|musical_ly|Twitter|GSA\//.test(ua)) {
    warn("dc-in-app");
    handOver();
  }
  speaker.hidden = false;
  if (!window.isSecureContext) {
    warn("dc-insecure");
    return;
  }
  // The room's script is a set of ES modules: a browser without them (2017 and older) has no room.
  var modules = "noModule" in document.createElement("script");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.RTCPeerConnection || !modules) {
    warn("dc-unsupported");
    handOver();
    return;
  }
  start.hidden = false;

  var audio = null;
  function context() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    return audio;
  }

  // The level meter follows the microphone's loudness (RMS of the waveform), about 30 times a second.
  function meter(stream) {
    var ctx = context();
    if (!ctx || !stream.getAudioTracks().length) return;
    var analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(stream).connect(analyser);
    var samples = new Float32Array(analyser.fftSize);
    var level = document.getElementById("dc-level");
    setInterval(function () {
      analyser.getFloatTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
      level.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    }, 33);
  }

  start.addEventListener("click", function () {
    ["dc-denied", "dc-missing", "dc-busy"].forEach(function (id) { document.getElementById(id).hidden = true; });
    navigator.mediaDevices.getUserMedia({ audio: true, video: true }).then(function (found) {
      stream = found;
      show("dc-live");
      var preview = document.getElementById("dc-preview");
      preview.srcObject = stream;
      meter(stream);
      preview.onloadeddata = function () {
        show("dc-ok");
        try { window.sessionStorage.setItem(CHECKED, "ok"); } catch (e) { /* private mode: not remembered */ }
      };
      start.hidden = true;
    }, function (error) {
      var name = error && error.name;
      if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
        show("dc-denied");
        box.querySelector('#dc-denied [data-browser="' + window.browserKind() + '"]').hidden = false;
      } else if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
        show("dc-busy");
      } else {
        show("dc-missing");
      }
    });
  });

  // Two short tones, like the waiting room's bell: can the visitor hear the other side?
  speaker.addEventListener("click", function () {
    var ctx = context();
    if (!ctx) return;
    if (ctx.resume) ctx.resume();
    [0, 0.5].forEach(function (at, i) {
      var tone = ctx.createOscillator();
      var gain = ctx.createGain();
      tone.frequency.value = i ? 660 : 880;
      gain.gain.setValueAtTime(0.3, ctx.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.4);
      tone.connect(gain).connect(ctx.destination);
      tone.start(ctx.currentTime + at);
      tone.stop(ctx.currentTime + at + 0.4);
    });
    show("dc-speaker-hint");
  });
})();
