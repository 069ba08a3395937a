// The video room: one RTCPeerConnection per other participant (the host: one per admitted guest; a guest:
// one to the host), signalled over the page's WebSocket (live.js) with "perfect negotiation" as in the
// W3C WebRTC specification: guests are polite (they yield when both sides offer at once), the host is not.
// Media goes browser to browser (or through the TURN server); the service only relays the signalling.
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room || !window.RTCPeerConnection) return;
  var role = room.getAttribute("data-role");
  var config = null;
  var local = null;
  var peers = {};
  window.roomPeers = peers; // for the browser tests (getStats)
  var remotes = document.getElementById("remote-videos");

  function media() {
    if (!local) {
      local = navigator.mediaDevices.getUserMedia({ audio: true, video: true }).then(function (stream) {
        document.getElementById("local-video").srcObject = stream;
        return stream;
      });
    }
    return local;
  }

  function send(to, payload) {
    window.liveSend({ type: "signal", to: to, payload: payload });
  }

  function peer(id) {
    if (peers[id]) return peers[id];
    var pc = new RTCPeerConnection({
      iceServers: config.ice_servers,
      iceTransportPolicy: config.relay_only ? "relay" : "all"
    });
    var p = { pc: pc, makingOffer: false, ignoreOffer: false, polite: role === "guest" };
    peers[id] = p;
    pc.onicecandidate = function (event) { if (event.candidate) send(id, { candidate: event.candidate }); };
    pc.onnegotiationneeded = function () {
      p.makingOffer = true;
      pc.setLocalDescription()
        .then(function () { send(id, { description: pc.localDescription }); })
        .catch(function (error) { console.error(error); })
        .then(function () { p.makingOffer = false; });
    };
    pc.ontrack = function (event) {
      var video = document.getElementById("remote-" + id);
      if (!video) {
        video = document.createElement("video");
        video.id = "remote-" + id;
        video.autoplay = true;
        video.playsInline = true;
        remotes.appendChild(video);
      }
      video.srcObject = event.streams[0];
    };
    pc.oniceconnectionstatechange = function () {
      if (pc.iceConnectionState === "failed") pc.restartIce();
    };
    pc.onconnectionstatechange = function () {
      if (pc.connectionState === "connected") showCode(id, pc);
    };
    media().then(function (stream) {
      stream.getTracks().forEach(function (track) { pc.addTrack(track, stream); });
    });
    return p;
  }

  // The "Sicherheitscode": both sides hash the two DTLS certificate fingerprints from the SDP (sorted, so
  // the order does not matter) and show six digits. They match only if the media is encrypted end to end
  // between these two browsers: anyone re-encrypting in between would bring a certificate of their own.
  function fingerprints(sdp) {
    var found = {};
    (sdp || "").split(/\r?\n/).forEach(function (line) {
      var match = /^a=fingerprint:sha-256 (.+)$/i.exec(line.trim());
      if (match) found[match[1].toUpperCase()] = true;
    });
    return Object.keys(found);
  }

  function showCode(id, pc) {
    if (!window.crypto || !crypto.subtle || !pc.localDescription || !pc.remoteDescription) return;
    var both = fingerprints(pc.localDescription.sdp).concat(fingerprints(pc.remoteDescription.sdp)).sort();
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(both.join("\n"))).then(function (hash) {
      var number = new DataView(hash).getUint32(0) % 1000000;
      var digits = ("00000" + number).slice(-6);
      var codes = document.getElementById("security-codes");
      var line = document.getElementById("code-" + id);
      if (!line) {
        line = document.createElement("li");
        line.id = "code-" + id;
        line.setAttribute("data-peer", id);
        codes.appendChild(line);
      }
      line.textContent = room.getAttribute("data-code-label") + " " + digits.slice(0, 3) + " " + digits.slice(3);
      codes.hidden = false;
    });
  }

  function onSignal(from, payload) {
    var p = peer(from);
    var pc = p.pc;
    if (payload.description) {
      var description = payload.description;
      var collision = description.type === "offer" && (p.makingOffer || pc.signalingState !== "stable");
      p.ignoreOffer = !p.polite && collision;
      if (p.ignoreOffer) return;
      pc.setRemoteDescription(description)
        .then(function () {
          if (description.type !== "offer") return;
          return pc.setLocalDescription().then(function () { send(from, { description: pc.localDescription }); });
        })
        .catch(function (error) { console.error(error); });
    } else if (payload.candidate) {
      pc.addIceCandidate(payload.candidate).catch(function (error) { if (!p.ignoreOffer) console.error(error); });
    }
  }

  function close(id) {
    var p = peers[id];
    if (!p) return;
    p.pc.close();
    delete peers[id];
    ["remote-", "code-"].forEach(function (prefix) {
      var element = document.getElementById(prefix + id);
      if (element) element.remove();
    });
  }

  // "Mikrofon aus/an", "Kamera aus/an": the tracks stay in the connection, only muted (no renegotiation).
  [["toggle-mic", "getAudioTracks"], ["toggle-cam", "getVideoTracks"]].forEach(function (control) {
    var button = document.getElementById(control[0]);
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      media().then(function (stream) {
        var off = button.getAttribute("aria-pressed") !== "true";
        stream[control[1]]().forEach(function (track) { track.enabled = !off; });
        button.setAttribute("aria-pressed", off ? "true" : "false");
        button.textContent = button.getAttribute(off ? "data-on" : "data-off");
      });
    });
  });

  document.addEventListener("live-message", function (event) {
    var message = event.detail;
    if (message.type === "ice") {
      config = message;
      if (role === "guest") peer("host");
    } else if (message.type === "signal" && config) {
      onSignal(message.from, message.payload);
    } else if (message.type === "participants" && role === "host") {
      Object.keys(peers).forEach(function (id) { if (message.admitted.indexOf(id) < 0) close(id); });
    } else if (message.type === "status" && role === "guest") {
      room.hidden = message.state !== "admitted";
      if (message.state !== "admitted") {
        close("host");
      } else {
        media();
      }
    }
  });
})();
