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
    media().then(function (stream) {
      stream.getTracks().forEach(function (track) { pc.addTrack(track, stream); });
    });
    return p;
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
    var video = document.getElementById("remote-" + id);
    if (video) video.remove();
  }

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
