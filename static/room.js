// The video room: a full mesh of RTCPeerConnections between everyone in the room (the host and up to three
// admitted guests), signalled over the page's WebSocket (live.js) with "perfect negotiation" as in the W3C
// WebRTC specification: the host is never polite, and of two guests the one with the greater id is. Media
// goes browser to browser (or through the TURN server); the service only relays the signalling.
// Every page load has its own session id, sent with each signal: a reloaded page's first message makes the
// other side drop its old connection at once, so a reload rejoins within seconds without a new admission.
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room) return;
  function text(name) { return room.getAttribute("data-" + name) || ""; }
  var role = text("role");
  hostControls();
  if (!window.RTCPeerConnection) return tellNoVideo();
  var me = text("me");
  var session = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(8)), function (b) {
    return ("0" + b.toString(16)).slice(-2);
  }).join("");
  var config = null; // STUN/TURN servers, sent by the server once we may connect
  var members = []; // who is in the room, by the last update: [{id, name}]
  var inRoom = role === "host";
  var local = null; // a promise of the camera and microphone stream
  var screenTrack = null; // the shared screen, sent instead of the camera (host)
  var peers = {};
  var early = {}; // media states that arrived before the connection they belong to
  // A slow line, read from how this page itself arrived: every file of 4 KB or more took, from request to
  // its last byte, long enough for under 150 kbit/s (on 50 kbit/s and 300 ms they come at about 40; the
  // round trip alone keeps 4 KB under 110). From the request, not the first byte: a busy browser read a
  // body that had long arrived "at once". Such a page starts every connection with sound only and Opus at
  // 16 kbit/s, and asks the others to send it no picture either: stepping down later left the first 20 s
  // unintelligible on 50 kbit/s. A wrong guess (a busy computer) costs the picture one good reading.
  var lean = (function () {
    if (!window.performance || !performance.getEntriesByType) return false;
    var entries = performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
      .filter(function (e) { return e.transferSize >= 4000 && e.responseEnd > e.requestStart && e.requestStart > 0; });
    return entries.length > 0 && entries.every(function (e) {
      return e.transferSize * 8 / ((e.responseEnd - e.requestStart) / 1000) < 150000;
    });
  })();
  room.setAttribute("data-lean", lean ? "true" : "false");
  window.roomPeers = peers; // for the browser tests (getStats)
  // How often a connection was mended, and why (the ICE state then), for the tests.
  // `log`: the last signalling steps, "seconds id what state", to find why a connection stays silent.
  var counts = window.roomCounts = { restarts: 0, afresh: 0, why: [], log: [] };
  function trace(id, what) {
    var p = peers[id];
    counts.log.push((performance.now() / 1000).toFixed(1) + " " + id + " " + what + (p ? " " + p.pc.signalingState : ""));
    if (counts.log.length > 120) counts.log.shift();
  }
  var remotes = document.getElementById("remote-videos");
  var preview = document.getElementById("local-video");
  var stateLine = document.getElementById("room-state");

  // The video box ends above the pinned controls: the names and states at the bottom of each tile stayed
  // hidden under them (the stylesheet's height only guesses what lies above the box and how many rows the
  // buttons take). At a desk the box fits below what is above it; on a phone it fills the screen above the
  // controls, and a patient let in is scrolled to it.
  var videos = room.querySelector(".videos");
  var controls = room.querySelector(".room-controls");
  var phone = window.matchMedia("(max-width: 47.99rem)");
  function fitVideos() {
    if (room.hidden) return;
    videos.style.height = "";
    var top = phone.matches ? 0 : videos.getBoundingClientRect().top + window.scrollY;
    var free = window.innerHeight - top - controls.offsetHeight - 8;
    if (free >= 256 && free < videos.offsetHeight) videos.style.height = free + "px";
  }
  window.addEventListener("resize", fitVideos);
  fitVideos();

  function nameOf(id) {
    for (var i = 0; i < members.length; i++) if (members[i].id === id) return members[i].name;
    return "";
  }

  // Camera and microphone; `audioOnly`: the person chose "Nur mit Ton teilnehmen". What the browser refused
  // or did not find is said in the room, with help for this browser, and the choice to go on with sound only.
  function media(audioOnly) {
    if (!local) {
      var video = audioOnly ? false : { width: { ideal: 640 }, height: { ideal: 480 } };
      mine = { audio: "on", video: audioOnly ? "none" : "on" };
      ["toggle-mic", "toggle-cam"].forEach(function (id) {
        var button = document.getElementById(id);
        button.setAttribute("aria-pressed", "false");
        button.textContent = button.getAttribute("data-off");
      });
      local = navigator.mediaDevices.getUserMedia({ audio: true, video: video })
        .then(function (stream) {
          preview.srcObject = stream;
          document.getElementById("room-error").hidden = true;
          offerCameraSwitch();
          Object.keys(peers).forEach(function (id) { attach(peers[id], stream); });
          tellMedia();
          return stream;
        }, function (error) {
          showMediaError(error);
          mine = { audio: "none", video: "none" };
          tellMedia();
          local = null;
          throw error;
        });
    }
    return local;
  }

  // Sends this page's tracks on a connection that does not send them yet (a later "Nur mit Ton").
  function attach(p, stream) {
    if (p.pc.signalingState === "closed") return;
    var sent = p.pc.getSenders().map(function (s) { return s.track; });
    stream.getTracks().forEach(function (track) {
      var outgoing = track.kind === "video" && screenTrack ? screenTrack : track;
      if (sent.indexOf(outgoing) >= 0) return;
      p.pc.addTrack(outgoing, stream);
      trace(p.id, "track+" + track.kind);
      if (track.kind === "video" && !picture(p)) applyStep(p);
    });
  }

  // Which device is missing or refused, and what to do: this browser's help, "Nur mit Ton teilnehmen",
  // "Erneut versuchen".
  function showMediaError(error) {
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
  function stopMedia() {
    if (!local) return;
    local.then(function (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }, function () {});
    if (screenTrack) screenTrack.stop();
    local = null;
    screenTrack = null;
    preview.srcObject = null;
  }

  // Each message names the page (`session`) and this page's connection to the recipient (`conn`).
  function send(to, payload) {
    payload.session = session;
    if (peers[to]) payload.conn = peers[to].conn;
    window.liveSend({ type: "signal", to: to, payload: payload });
  }

  function describeStates() {
    var lines = [];
    Object.keys(peers).forEach(function (id) {
      var state = peers[id].pc.connectionState;
      if (state === "connected") return;
      var template = state === "disconnected" || state === "failed" ? text("reconnecting") : text("connecting");
      lines.push(template.replace("{name}", nameOf(id)));
    });
    stateLine.textContent = lines.join(" ");
  }

  function tile(id) {
    var figure = document.getElementById("remote-" + id);
    if (!figure) {
      figure = document.createElement("figure");
      figure.id = "remote-" + id;
      var video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      var caption = document.createElement("figcaption");
      caption.appendChild(document.createElement("span")).className = "tile-name";
      caption.appendChild(document.createElement("span")).className = "tile-state";
      figure.appendChild(video);
      figure.appendChild(caption);
      remotes.appendChild(figure);
    }
    figure.querySelector(".tile-name").textContent = nameOf(id);
    return figure;
  }

  // What the others see of this page's microphone and camera ("on", "off": switched off here, "none": no
  // such device or no permission), told to each of them over the signalling rather than guessed from
  // silence or black frames.
  var mine = { audio: "on", video: "on" };
  function tellMedia(id) {
    var targets = id ? [id] : Object.keys(peers);
    targets.forEach(function (to) {
      // "paused": no picture goes to that side now ("Nur Ton", or the step-down on a poor line).
      var state = { audio: mine.audio, video: mine.video, paused: !picture(peers[to]), lean: lean };
      send(to, { media: state });
    });
  }
  function showMedia(id, state) {
    if (!state || typeof state !== "object") return;
    var figure = tile(id);
    var words = [];
    if (state.audio === "none") words.push(text("tile-no-mic"));
    if (state.audio === "off") words.push(text("tile-muted"));
    if (state.video === "none") words.push(text("tile-no-camera"));
    if (state.video === "off") words.push(text("tile-camera-off"));
    if (state.paused === true && state.video === "on") words.push(text("tile-paused"));
    if (state.webrtc === false) words = [text("tile-no-webrtc")];
    figure.setAttribute("data-audio", String(state.audio));
    figure.setAttribute("data-video", String(state.video));
    figure.querySelector(".tile-state").textContent = words.join(" · ");
  }

  // ICE restarts come from one side of each pair only, the impolite one: when both restarted at once, the
  // offers crossed, and an answer from a rolled-back Firefox could flip the DTLS roles, which Chromium
  // refuses ("Failed to set SSL role"). The polite side asks the other to restart.
  function restart(id, p) {
    if (p.pc.signalingState === "closed") return;
    p.downSince = p.downSince || Date.now();
    // Restarts that bring nothing back for 12 s: both sides start the connection afresh. (After an outage
    // a Firefox answering restarts often stayed "checking" for good, pairs succeeded but never nominated.)
    if (Date.now() - p.downSince > 12000) return afresh(id);
    counts.restarts += 1;
    counts.why.push(p.pc.iceConnectionState + "@" + Math.round(performance.now() / 1000));
    if (p.polite) send(id, { restart: true, down: true });
    else if (p.pc.restartIce) p.pc.restartIce();
  }

  // A new connection to `id` in place of the old one; the other side drops its old one too. The impolite
  // side makes the new offer, which follows the request on the same socket.
  function afresh(id) {
    counts.afresh += 1;
    trace(id, "afresh>");
    send(id, { afresh: true });
    close(id);
    if (!isPolite(id)) peer(id);
  }

  // Of two pages the host is never polite, and of two guests the one with the greater id is.
  function isPolite(id) {
    return role === "guest" && (id === "host" || me > id);
  }

  // An offer nobody answered (the other page was not connected yet, or its own offer crossed ours and it
  // is the impolite side) goes out again every 3 s until an answer arrives: a lost offer must never leave
  // both sides waiting for each other. It goes out again with the candidates found since.
  // A description as sent. The candidates it carries help when trickled ones were lost (an answer after a
  // rollback repeats no candidate events); only when they would make it outgrow the 7 KiB a message may
  // have, they are left out (they were trickled already).
  function bare(description) {
    var plain = { type: description.type, sdp: lean ? capForSlowLine(description.sdp) : description.sdp };
    if (plain.sdp.length < 6000) return plain;
    plain.sdp = plain.sdp.split("\r\n").filter(function (line) {
      return line.indexOf("a=candidate:") !== 0 && line !== "a=end-of-candidates";
    }).join("\r\n");
    return plain;
  }

  // Put into the descriptions a slow page sends (the other side's sender keeps to them) and receives (its
  // own does). Opus at 16 kbit/s in 40 ms packets: speech stays clear, and with the packets' overhead it
  // fits a 50 kbit/s line. Video codecs get a low start and ceiling for the bandwidth estimate: Chromium
  // otherwise probes the line with bursts of padding (16 KB 3 s into a call, 2.5 s of queue on 50 kbit/s:
  // a quarter of the sound lost), also while no video is sent.
  function capForSlowLine(sdp) {
    var opus = /a=rtpmap:(\d+) opus\/48000/i.exec(sdp);
    if (opus) {
      sdp = sdp.replace(new RegExp("a=fmtp:" + opus[1] + " [^\r\n]*"), function (line) {
        if (/maxaveragebitrate/.test(line)) return line;
        return line + ";maxaveragebitrate=16000" + (/a=ptime:/.test(sdp) ? "" : "\r\na=ptime:40");
      });
    }
    var estimate = "x-google-start-bitrate=32;x-google-max-bitrate=300";
    var video = /a=rtpmap:(\d+) (VP8|VP9|H264|AV1)\/90000/gi;
    var codec;
    while ((codec = video.exec(sdp))) {
      var type = codec[1];
      var fmtp = new RegExp("a=fmtp:" + type + " ([^\r\n]*)");
      var found = fmtp.exec(sdp);
      if (found && /x-google-max-bitrate/.test(found[1])) continue;
      sdp = found
        ? sdp.replace(fmtp, "a=fmtp:" + type + " " + found[1] + ";" + estimate)
        : sdp.replace(codec[0], codec[0] + "\r\na=fmtp:" + type + " " + estimate);
      video.lastIndex = 0;
    }
    return sdp;
  }

  // The other side is on a slow line: no picture goes to it until readings say the line is good.
  function leanTowards(p) {
    p.leanStart = true;
    if (p.step === 2) return;
    p.step = 2;
    p.good = 0;
    applyStep(p);
  }

  function sendOffer(id, p) {
    send(id, { description: p.offer, lean: lean });
    p.candidates.forEach(function (candidate) { send(id, { candidate: candidate }); });
  }
  // On a slow line the wait doubles each time up to 12 s: an offer and its answer take seconds to cross
  // there, and repeats sent sooner only queue up in front of the answer.
  function awaitAnswer(id, p, wait) {
    clearTimeout(p.offerTimer);
    wait = wait || 3000;
    p.offerTimer = setTimeout(function () {
      if (peers[id] !== p || p.pc.signalingState !== "have-local-offer") return;
      trace(id, "offer>again");
      sendOffer(id, p);
      awaitAnswer(id, p, lean ? Math.min(wait * 2, 12000) : wait);
    }, wait);
  }

  // One DTLS certificate for all of this page's connections: a connection started afresh keeps the
  // Sicherheitscode that the two people may have compared already.
  var certificate = null;
  if (RTCPeerConnection.generateCertificate) {
    RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" })
      .then(function (made) { certificate = made; }, function () {});
  }

  function peer(id) {
    if (peers[id]) return peers[id];
    var options = { iceServers: config.ice_servers, iceTransportPolicy: config.relay_only ? "relay" : "all" };
    if (certificate) options.certificates = [certificate];
    var pc = new RTCPeerConnection(options);
    var p = {
      id: id, conn: Date.now() * 1000 + (connections++ % 1000),
      pc: pc, makingOffer: false, ignoreOffer: false, remoteSession: null, timer: null, offerTimer: null, offer: null, candidates: [], held: [], offerSeen: null, answerPending: false,
      polite: isPolite(id),
      step: lean ? 2 : 0, leanStart: lean, poor: 0, good: 0, last: null
    };
    peers[id] = p;
    tile(id);
    if (early[id]) showMedia(id, early[id]);
    delete early[id];
    pc.onicecandidate = function (event) {
      if (!event.candidate) return;
      p.candidates.push(event.candidate);
      send(id, { candidate: event.candidate });
    };
    pc.onnegotiationneeded = function () {
      // On a slow line the polite side lets the other offer first (for up to 3 s): two crossing offers
      // cost the line a second description and its repeats, and held up the call by seconds.
      if (lean && p.polite && !pc.remoteDescription && !p.heldOffer) {
        p.heldOffer = true;
        setTimeout(function () {
          if (peers[id] === p && pc.signalingState === "stable" && !pc.remoteDescription) pc.onnegotiationneeded();
        }, 3000);
        return;
      }
      p.makingOffer = true;
      p.candidates = [];
      pc.setLocalDescription()
        .then(function () {
          p.offer = bare(pc.localDescription);
          trace(id, "offer>");
          send(id, { description: p.offer, lean: lean });
          awaitAnswer(id, p);
        })
        .catch(function (error) { console.error(error); })
        .then(function () { p.makingOffer = false; });
    };
    pc.ontrack = function (event) {
      var video = tile(id).querySelector("video");
      if (video.srcObject !== event.streams[0]) video.srcObject = event.streams[0];
    };
    // A failed connection restarts ICE at once; a "disconnected" one after 3 s (it often recovers alone).
    // "Checking" for seconds after having been connected is stuck: after an outage Chromium, connected
    // again on the old path, answered Firefox's restart by nominating no new pair, and Firefox waited for
    // good (its pairs succeeded, none nominated) while receiving nothing. Only a new connection helps.
    pc.oniceconnectionstatechange = function () {
      clearTimeout(p.timer);
      var state = pc.iceConnectionState;
      if (state === "connected" || state === "completed") {
        p.wasConnected = true;
        p.downSince = p.quietSince = 0;
      }
      if (state === "failed") restart(id, p);
      var stuck = state === "checking" && p.wasConnected;
      // On a slow line a queue of seconds reads as "disconnected" for a moment, and a restart's offer only
      // queues up in front of the sound (once 22 % concealed for 20 s): there it waits 6 s.
      var slow = lean || p.leanStart;
      var wait = state === "disconnected" ? (slow ? 6000 : 3000) : stuck ? (slow ? 8000 : 5000) : 0;
      if (!wait) return;
      var check = function () {
        if (peers[id] !== p || pc.iceConnectionState !== state) return;
        if (stuck) return afresh(id);
        restart(id, p);
        p.timer = setTimeout(check, 8000); // asked again while still down: the request may have been lost
      };
      p.timer = setTimeout(check, wait);
    };
    pc.onconnectionstatechange = function () {
      if (pc.connectionState === "connected") {
        showCode(id, pc);
        tellMedia(id);
      }
      tile(id).setAttribute("data-state", pc.connectionState);
      describeStates();
    };
    media().then(function (stream) { attach(p, stream); }, function () {});
    describeStates();
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
      if (peers[id] === undefined || peers[id].pc !== pc) return;
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
      line.setAttribute("data-code", digits);
      line.textContent = text("code-label") + " " + digits.slice(0, 3) + " " + digits.slice(3) + " (" + nameOf(id) + ")";
      codes.hidden = false;
    });
  }

  // The other side's connections that ours were paired with and that are gone: whatever of theirs still
  // arrives (a restart offer, candidates, queued while a line was down) is dropped, not taken for new.
  // Connection ids grow with time on each page, so anything from a connection older than the newest seen
  // of that page is dropped too (a second device once took an offer meant for the first one's connection).
  var gone = {};
  var newest = {}; // per participant: { session, conn } of the newest connection seen
  var connections = 0;
  function stale(from, payload) {
    if (typeof payload.conn !== "number") return false;
    if ((gone[from] || []).indexOf(payload.conn) >= 0) return true;
    var seen = newest[from];
    if (seen && seen.session === payload.session && payload.conn < seen.conn) return true;
    newest[from] = { session: payload.session, conn: payload.conn };
    return false;
  }

  function close(id) {
    var p = peers[id];
    if (!p) return;
    trace(id, "closed");
    if (p.remoteConn) (gone[id] = gone[id] || []).push(p.remoteConn);
    clearTimeout(p.timer);
    clearTimeout(p.offerTimer);
    p.pc.close();
    delete peers[id];
    ["remote-", "code-"].forEach(function (prefix) {
      var element = document.getElementById(prefix + id);
      if (element) element.remove();
    });
    describeStates();
  }

  function onSignal(from, payload) {
    if (!payload || typeof payload !== "object" || !members.some(function (m) { return m.id === from; })) return;
    var p = peers[from];
    // The other side reloaded its page: its old connection is gone, and so goes ours.
    if (p && p.remoteSession && payload.session && payload.session !== p.remoteSession) {
      close(from);
      p = null;
    }
    if (payload.hello) {
      trace(from, "hello<");
      // The other page (re)connected: what we sent while it was away never reached it. A new page makes
      // its own offer; starting one here too would only make the two cross.
      if (!p) return;
      tellMedia(from);
      if (p.pc.signalingState === "have-local-offer" && p.offer) sendOffer(from, p);
      else if (!p.polite && /^(disconnected|failed)$/.test(p.pc.iceConnectionState)) restart(from, p);
      return;
    }
    if (stale(from, payload)) return trace(from, "stale<" + kind(payload));
    var offer = !!payload.description && payload.description.type === "offer";
    if (p && p.remoteConn && payload.conn && payload.conn !== p.remoteConn) {
      // From another connection of theirs than the one ours is paired with: a new one's offer replaces
      // ours; anything else of it waits for that offer.
      if (!offer) {
        if (payload.media) showMedia(from, payload.media);
        return trace(from, "other-conn<" + kind(payload));
      }
      close(from);
      p = null;
    }
    if (payload.afresh) {
      trace(from, "afresh<");
      if (!p) return;
      close(from);
      if (!isPolite(from)) peer(from);
      return;
    }
    // Only an offer starts a connection to a page we have none with (a new one, or one that reloaded):
    // anything else arriving first (its media state, a restart request) made this side offer too, the two
    // offers crossed, and Chromium's polite side, rolled back, then gathered no candidate at all.
    if (!p && !offer) {
      if (payload.media) early[from] = payload.media;
      return trace(from, "early<" + kind(payload));
    }
    p = p || peer(from);
    if (payload.session) p.remoteSession = payload.session;
    if (payload.conn && payload.description) p.remoteConn = payload.conn;
    var pc = p.pc;
    if (payload.lean === true || (payload.media && payload.media.lean === true)) leanTowards(p);
    if (payload.media) {
      showMedia(from, payload.media);
    } else if (payload.restart) {
      // Only a connection that is down (here, or on the asking side, which says so) is restarted on
      // request: the old page of someone who reloaded still asks for its dead connection, and a restart
      // in the middle of the new one's first negotiation left it without candidates.
      var down = payload.down === true && pc.connectionState !== "new";
      if (!p.polite && pc.signalingState === "have-local-offer" && p.offer) sendOffer(from, p);
      else if (!p.polite && (down || /^(disconnected|failed)$/.test(pc.iceConnectionState))) restart(from, p);
    } else if (payload.description) {
      var description = payload.description;
      // The same offer again (sent again on the other page's "hello", or repeated because our answer was
      // lost): answered already or being answered. Applied twice, the second `setLocalDescription()` ran
      // after the first answer and made an offer the other side ignored, leaving this page's connection
      // in "have-local-offer" without a picture for good.
      if (offer && description.sdp === p.offerSeen) {
        var answer = pc.localDescription;
        trace(from, "offer< again");
        if (pc.signalingState === "stable" && answer && answer.type === "answer") {
          send(from, { description: bare(answer), lean: lean });
        }
        return;
      }
      if (offer) p.offerSeen = description.sdp;
      if (lean && description.sdp) description = { type: description.type, sdp: capForSlowLine(description.sdp) };
      // As in the specification's perfect negotiation: an offer that comes while our own offer's answer is
      // being applied is no collision (the host once ignored such an offer, and the other page waited).
      var ready = !p.makingOffer && (pc.signalingState === "stable" || p.answerPending);
      p.ignoreOffer = !p.polite && offer && !ready;
      trace(from, description.type + "<" + (p.ignoreOffer ? " ignored" : ""));
      if (p.ignoreOffer) return;
      p.answerPending = description.type === "answer";
      pc.setRemoteDescription(description)
        .then(function () {
          p.answerPending = false;
          // Candidates that came with the ignored offer: a polite side that rolled back keeps its ICE
          // credentials for the answer and does not announce these candidates again.
          var held = p.held;
          p.held = [];
          held.forEach(function (candidate) { pc.addIceCandidate(candidate).catch(function () {}); });
          if (description.type !== "offer") return;
          return pc.setLocalDescription().then(function () {
            var made = bare(pc.localDescription);
            trace(from, made.type + ">");
            send(from, { description: made, lean: lean });
            // Should the other side's offer have been answered already (a state this page did not expect),
            // what went out is an offer of ours: it is repeated until answered, like any other.
            if (made.type === "offer") {
              p.offer = made;
              awaitAnswer(from, p);
            }
          });
        })
        .catch(function (error) {
          p.answerPending = false;
          trace(from, "refused " + description.type + ": " + error.message);
          console.error(error);
        });
    } else if (payload.candidate) {
      if (p.ignoreOffer) p.held.push(payload.candidate);
      else pc.addIceCandidate(payload.candidate).catch(function (error) { console.error(error); });
    }
  }

  function kind(payload) {
    return payload.description ? payload.description.type : Object.keys(payload).filter(function (key) {
      return key !== "session" && key !== "conn";
    }).join(",");
  }

  // Connects to everyone in the room and lets go of those who left it.
  function sync() {
    var ids = members.map(function (m) { return m.id; });
    Object.keys(peers).forEach(function (id) { if (!inRoom || ids.indexOf(id) < 0) close(id); });
    if (!inRoom || !config) return;
    ids.forEach(function (id) { if (id !== me) peer(id); });
  }

  // Connection quality from getStats every 2 s: round-trip time of the selected candidate pair and the
  // share of packets lost since the last reading. On a poor link the video sent on that connection steps
  // down (lower resolution, then sound only) and comes back step by step once the link is good again.
  function level(rttMs, loss) {
    if (rttMs < 300 && loss < 0.03) return "good";
    if (rttMs < 800 && loss < 0.1) return "fair";
    return "poor";
  }

  // Whether connection `p` carries this page's picture: not with "Nur Ton", nor at the last step down.
  function picture(p) {
    return !soundOnly && p.step !== 2;
  }

  // Sound only sends no track at all (Firefox went on sending video for half a minute with `active: false`)
  // and marks the video inactive (else Chromium probes the line with padding at several hundred kbit/s,
  // which drowned the first seconds of sound on 50 kbit/s).
  function applyStep(p) {
    tellMedia(p.id);
    var sender = videoSenders(p.pc)[0];
    if (!sender) return Promise.resolve();
    return media().then(function (stream) {
      var track = picture(p) ? screenTrack || stream.getVideoTracks()[0] || null : null;
      return sender.replaceTrack(track);
    }).then(function () {
      var parameters = sender.getParameters();
      if (!parameters.encodings || !parameters.encodings.length) return;
      var encoding = parameters.encodings[0];
      encoding.active = picture(p);
      if (p.step === 1) {
        encoding.scaleResolutionDownBy = 4;
        encoding.maxBitrate = 150000;
      } else {
        encoding.scaleResolutionDownBy = 1;
        delete encoding.maxBitrate;
      }
      return sender.setParameters(parameters);
    }).catch(function (error) { console.error(error); });
  }

  // One reading for connection `p`: two poor ones in a row lower the video, three more (or heavy loss) send
  // sound only; three good ones in a row go one step back up.
  function assess(p, reading, loss, rtt) {
    // A connection that started lean steps up only on a clearly good line (a 300 ms line can read just
    // under 300 ms, and its first picture would flood it).
    if (p.leanStart && reading === "good" && !(rtt < 150 && loss < 0.02)) reading = "fair";
    if (reading === "poor") {
      p.poor += 1;
      p.good = 0;
      var next = p.step;
      if (p.step === 0 && p.poor >= 2) next = 1;
      if (p.step === 1 && (p.poor >= 5 || loss >= 0.2)) next = 2;
      if (next !== p.step) {
        p.step = next;
        return applyStep(p);
      }
    } else {
      p.poor = 0;
      p.good = reading === "good" ? p.good + 1 : 0;
      // A line guessed slow at the start that reads good was guessed wrong: the picture at once.
      if (p.step > 0 && p.leanStart && reading === "good") {
        p.step = 0;
        p.leanStart = false;
        return applyStep(p);
      }
      if (p.step > 0 && p.good >= 3) {
        p.step -= 1;
        p.good = 0;
        return applyStep(p);
      }
    }
    return Promise.resolve();
  }

  var quality = document.getElementById("quality");
  function showQuality(worst) {
    if (!worst) {
      quality.hidden = true;
      return;
    }
    var steps = Object.keys(peers).map(function (id) { return peers[id].step; });
    var step = Math.max.apply(null, steps.concat([0]));
    var line = text("quality") + ": " + text(worst.reading) + " (" + Math.round(worst.rtt) + " ms, " +
      Math.round(worst.loss * 100) + " %)";
    if (step === 1) line += " – " + text("reduced");
    if (step === 2) line += " – " + text("audio-only");
    quality.textContent = line;
    quality.setAttribute("data-level", worst.reading);
    quality.setAttribute("data-step", String(step));
    quality.hidden = false;
  }

  function measure(p) {
    return p.pc.getStats().then(function (report) {
      var rtt = null, lost = 0, received = 0, pairId = null;
      report.forEach(function (s) {
        if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      report.forEach(function (s) {
        if (s.type === "candidate-pair" && (s.id === pairId || (!pairId && s.nominated && s.state === "succeeded"))) {
          if (typeof s.currentRoundTripTime === "number") rtt = s.currentRoundTripTime * 1000;
        }
        if (s.type === "inbound-rtp") {
          lost += s.packetsLost || 0;
          received += s.packetsReceived || 0;
        }
      });
      var last = p.last || { lost: lost, received: received };
      p.last = { lost: lost, received: received };
      var newLost = Math.max(0, lost - last.lost), newReceived = Math.max(0, received - last.received);
      if (quiet(p, newReceived)) return afresh(p.id);
      if (rtt === null) return null;
      var loss = newLost + newReceived > 0 ? newLost / (newLost + newReceived) : 0;
      var reading = level(rtt, loss);
      return assess(p, reading, loss, rtt).then(function () { return { reading: reading, rtt: rtt, loss: loss }; });
    });
  }

  // Connected, yet nothing arrives for 6 s from a page that has a microphone (which sends packets even
  // when muted): the connection is dead in a way ICE does not see (once after an outage, Firefox said
  // "connected" without a nominated pair and received nothing). A new connection helps.
  function quiet(p, newReceived) {
    if (newReceived > 0 || tile(p.id).getAttribute("data-audio") === "none") {
      p.quietSince = 0;
      return false;
    }
    p.quietSince = p.quietSince || Date.now();
    return Date.now() - p.quietSince > 6000;
  }

  var order = { good: 0, fair: 1, poor: 2 };
  setInterval(function () {
    var connected = Object.keys(peers).map(function (id) { return peers[id]; })
      .filter(function (p) { return p.pc.connectionState === "connected"; });
    Promise.all(connected.map(measure)).then(function (readings) {
      var worst = null;
      readings.forEach(function (r) { if (r && (!worst || order[r.reading] > order[worst.reading])) worst = r; });
      showQuality(worst);
    }, function () {});
  }, 2000);
  window.roomQuality = { level: level, assess: assess };

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
        if (mine[control[2]] !== "none") mine[control[2]] = off ? "off" : "on";
        tellMedia();
      });
    });
  });

  // The senders of a connection's video, also while they send nothing ("Nur Ton").
  function videoSenders(pc) {
    return pc.getTransceivers().filter(function (t) {
      return t.sender && t.receiver && t.receiver.track && t.receiver.track.kind === "video";
    }).map(function (t) { return t.sender; });
  }

  // The video track every connection sends: the camera's, or the shared screen's; none at all with "Nur Ton".
  function sendVideo(track) {
    var replaced = [];
    Object.keys(peers).forEach(function (id) {
      videoSenders(peers[id].pc).forEach(function (sender) {
        replaced.push(sender.replaceTrack(picture(peers[id]) ? track : null));
      });
    });
    return Promise.all(replaced);
  }

  // "Nur Ton senden": no picture goes out (not even a black one: nothing is encoded or sent), which leaves a
  // poor line to the sound; the others' tiles say "nur Ton". "Bild wieder senden" brings it back.
  var soundOnly = false;
  var soundButton = document.getElementById("sound-only");
  soundButton.hidden = false;
  soundButton.addEventListener("click", function () {
    soundOnly = !soundOnly;
    soundButton.setAttribute("aria-pressed", soundOnly ? "true" : "false");
    soundButton.textContent = soundButton.getAttribute(soundOnly ? "data-on" : "data-off");
    Object.keys(peers).forEach(function (id) { applyStep(peers[id]); });
  });

  // "Kamera wechseln" (phones: front and back): the next camera replaces the track in every connection.
  var switcher = document.getElementById("switch-camera");
  function offerCameraSwitch() {
    if (!navigator.mediaDevices.enumerateDevices) return;
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var cameras = devices.filter(function (d) { return d.kind === "videoinput"; });
      switcher.hidden = cameras.length < 2;
    });
  }
  switcher.addEventListener("click", function () {
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
        return (screenTrack ? Promise.resolve() : sendVideo(track)).then(function () { if (old) old.stop(); });
      });
    }).catch(function (error) { console.error(error); });
  });

  // "Bildschirm teilen" (host): the screen replaces the camera in every connection until sharing ends.
  var share = document.getElementById("share-screen");
  function stopSharing() {
    if (!screenTrack) return;
    screenTrack.stop();
    screenTrack = null;
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
      if (screenTrack) return stopSharing();
      navigator.mediaDevices.getDisplayMedia({ video: true }).then(function (display) {
        screenTrack = display.getVideoTracks()[0];
        screenTrack.onended = stopSharing;
        sendVideo(screenTrack);
        preview.srcObject = display;
        share.setAttribute("aria-pressed", "true");
        share.textContent = share.getAttribute("data-on");
      }).catch(function (error) { console.error(error); });
    });
  }

  // A network that comes back: restart ICE everywhere instead of waiting for the connections to fail.
  var audioOnly = document.getElementById("audio-only");
  audioOnly.hidden = false;
  audioOnly.addEventListener("click", function () {
    if (local) stopMedia();
    media(true).catch(function () {});
  });
  var retry = document.getElementById("media-retry");
  retry.hidden = false;
  retry.addEventListener("click", function () {
    if (local) stopMedia();
    media().catch(function () {});
  });

  // The doctor sees their own camera while nobody is in the room yet.
  if (role === "host") media().catch(function () {});

  window.addEventListener("online", function () {
    Object.keys(peers).forEach(function (id) { restart(id, peers[id]); });
  });

  function replaceRoster(html) {
    var old = document.getElementById("roster");
    var holder = document.createElement("div");
    holder.innerHTML = html;
    if (old && holder.firstElementChild) old.replaceWith(holder.firstElementChild);
  }

  document.addEventListener("live-message", function (event) {
    var message = event.detail;
    if (message.type === "ice") {
      config = message;
      sync();
      // Whatever the others sent before this page could receive it is lost: they send it again. What this
      // page sent while its socket was down is lost too: its media state goes out again.
      members.forEach(function (m) { if (m.id !== me) send(m.id, { hello: true }); });
      tellMedia();
    } else if (message.type === "signal" && config && inRoom) {
      onSignal(message.from, message.payload);
    } else if (message.type === "participants" || message.type === "status") {
      members = message.room.members;
      if (message.room.html) replaceRoster(message.room.html);
      if (message.type === "status") {
        var entered = !inRoom && message.state === "admitted";
        inRoom = message.state === "admitted";
        room.hidden = !inRoom;
        var heading = document.querySelector("h1");
        if (heading) heading.textContent = text(message.state === "waiting" ? "waiting-title" : "room-title");
        var check = document.getElementById("waiting-devices");
        if (check) check.hidden = message.state !== "waiting";
        if (inRoom && window.deviceCheckStop) window.deviceCheckStop();
        if (inRoom) media(); else stopMedia();
        fitVideos();
        if (entered && phone.matches) videos.scrollIntoView({ block: "start" });
      }
      Object.keys(peers).forEach(function (id) { tile(id); });
      sync();
    }
  });

  // The doctor's controls work in any browser: neither sending actions in place nor the question before
  // "Sprechstunde beenden" depends on WebRTC being there.
  function hostControls() {
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
  function tellNoVideo() {
    document.addEventListener("live-message", function (event) {
      var message = event.detail;
      if (message.type !== "status" || message.state !== "admitted") return;
      message.room.members.forEach(function (m) {
        if (m.id === text("me")) return;
        window.liveSend({ type: "signal", to: m.id, payload: { media: { audio: "none", video: "none", webrtc: false } } });
      });
    });
  }
})();
