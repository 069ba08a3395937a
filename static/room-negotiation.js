// The connections: a full mesh of RTCPeerConnections between everyone in the room (the host and up to
// three admitted guests), signalled over the page's WebSocket (live.js) with "perfect negotiation" as in
// the W3C WebRTC specification: the host is never polite, and of two guests the one with the greater id
// is. Media goes browser to browser (or through the TURN server); the service only relays the signalling.
import { state, peers, lean, me, role, counts, trace, send, picture } from "./room-shared.js";
import { tile, showMedia, describeStates } from "./room-view.js";
import { media, onStream, tellMedia } from "./room-media.js";
import { applyStep, leanTowards } from "./room-quality.js";
import { showCode, onCode } from "./room-code.js";
import { bare, capForSlowLine } from "./room-sdp.js";

const early = {}; // media states that arrived before the connection they belong to

// One DTLS certificate for all of this page's connections: a connection started afresh keeps the
// Sicherheitscode that the two people may have compared already. No connection starts before it is made
// (or could not be): a first one with a certificate of its own would change the code later.
var certificate = null;
var certificateSettled = true;
var certificateReady = Promise.resolve();

// Before the first connection: the certificate, and the camera sent on every connection once it comes.
export function startNegotiation() {
  if (RTCPeerConnection.generateCertificate) {
    certificateSettled = false;
    var settle = function () { certificateSettled = true; };
    certificateReady = RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" })
      .then(function (made) { certificate = made; settle(); }, settle);
  }
  onStream(function (stream) {
    Object.keys(peers).forEach(function (id) { attach(peers[id], stream); });
  });
}

// Sends this page's tracks on a connection that does not send them yet (a later "Nur mit Ton").
function attach(p, stream) {
  if (p.pc.signalingState === "closed") return;
  var sent = p.pc.getSenders().map(function (s) { return s.track; });
  stream.getTracks().forEach(function (track) {
    var outgoing = track.kind === "video" && state.screenTrack ? state.screenTrack : track;
    if (sent.indexOf(outgoing) >= 0) return;
    p.pc.addTrack(outgoing, stream);
    trace(p.id, "track+" + track.kind);
    if (track.kind === "video" && !picture(p)) applyStep(p);
  });
}

// ICE restarts come from one side of each pair only, the impolite one: when both restarted at once, the
// offers crossed, and an answer from a rolled-back Firefox could flip the DTLS roles, which Chromium
// refuses ("Failed to set SSL role"). The polite side asks the other to restart.
export function restart(id, p) {
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
export function afresh(id) {
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

function sendOffer(id, p) {
  send(id, { description: p.offer, lean: lean });
  p.candidates.forEach(function (candidate) { send(id, { candidate: candidate }); });
}
// An offer nobody answered (the other page was not connected yet, or its own offer crossed ours and it
// is the impolite side) goes out again every 3 s until an answer arrives: a lost offer must never leave
// both sides waiting for each other. It goes out again with the candidates found since.
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

function peer(id) {
  if (peers[id]) return peers[id];
  var options = { iceServers: state.config.ice_servers, iceTransportPolicy: state.config.relay_only ? "relay" : "all" };
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
    var ice = pc.iceConnectionState;
    if (ice === "connected" || ice === "completed") {
      p.wasConnected = true;
      p.downSince = p.quietSince = 0;
    }
    if (ice === "failed") restart(id, p);
    var stuck = ice === "checking" && p.wasConnected;
    // On a slow line a queue of seconds reads as "disconnected" for a moment, and a restart's offer only
    // queues up in front of the sound (once 22 % concealed for 20 s): there it waits 6 s.
    var slow = lean || p.leanStart;
    var wait = ice === "disconnected" ? (slow ? 6000 : 3000) : stuck ? (slow ? 8000 : 5000) : 0;
    if (!wait) return;
    var check = function () {
      if (peers[id] !== p || pc.iceConnectionState !== ice) return;
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

export function onSignal(from, payload) {
  // In the order they came, once the certificate is there.
  if (!certificateSettled) return certificateReady.then(function () { onSignal(from, payload); });
  if (!payload || typeof payload !== "object" || !state.members.some(function (m) { return m.id === from; })) return;
  var p = peers[from];
  // The other side reloaded its page: its old connection is gone, and so goes ours.
  if (p && p.remoteSession && payload.session && payload.session !== p.remoteSession) {
    close(from);
    p = null;
  }
  // The Sicherheitscode's exchange belongs to the certificates, not to one connection.
  if (payload.code) return onCode(from, payload.code);
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
export function sync() {
  if (!certificateSettled) return certificateReady.then(sync);
  var ids = state.members.map(function (m) { return m.id; });
  Object.keys(peers).forEach(function (id) { if (!state.inRoom || ids.indexOf(id) < 0) close(id); });
  if (!state.inRoom || !state.config) return;
  ids.forEach(function (id) { if (id !== me) peer(id); });
}
