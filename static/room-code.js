// The "Sicherheitscode": six digits that match on both screens only if the media is encrypted end to end
// between these two browsers, since anyone re-encrypting in between would bring a DTLS certificate of
// their own. Computed over both certificates' fingerprints (from the SDP) and a nonce from each side.
//
// The nonces are committed before they are revealed (as in ZRTP): each page first sends a hash of its
// fingerprint and its nonce, and reveals the nonce only after it holds the other side's commitment. So
// whoever sits in the signalling path has fixed their values before they learn ours and cannot try
// certificates until the digits match: one attempt, one chance in a million. The state is kept per pair
// of certificates (one per page load), so a connection started afresh shows the same code again.
import { peers, text, nameOf, send, trace } from "./room-shared.js";

var pairs = {}; // "<our fingerprints>|<theirs>" → what we sent and received for that pair
var RESEND_MS = 4000;

function fingerprints(sdp) {
  var found = {};
  (sdp || "").split(/\r?\n/).forEach(function (line) {
    var match = /^a=fingerprint:sha-256 (.+)$/i.exec(line.trim());
    if (match) found[match[1].toUpperCase()] = true;
  });
  return Object.keys(found).sort().join(",");
}

function sha256(parts) {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
}

function hex(buffer) {
  return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
}

function commitment(fingerprint, nonce) {
  return sha256(["sicherheitscode-commit", fingerprint, nonce]).then(hex);
}

function pairOf(ours, theirs) {
  var key = ours + "|" + theirs;
  if (!pairs[key]) pairs[key] = { ours: ours, theirs: theirs };
  return pairs[key];
}

// The pair of the connection to `id` as it stands, if both descriptions are there.
function current(id) {
  var p = peers[id];
  if (!p || !p.pc.localDescription || !p.pc.remoteDescription) return null;
  var ours = fingerprints(p.pc.localDescription.sdp);
  var theirs = fingerprints(p.pc.remoteDescription.sdp);
  return ours && theirs ? pairOf(ours, theirs) : null;
}

// One kind of message: our commitment, our nonce only once we hold theirs, and how much of theirs we hold
// (`got`: 1 their commitment, 2 their nonce too), so each side answers only what the other still lacks.
function sendState(pair) {
  var code = { from: pair.ours, to: pair.theirs, hash: pair.commit, got: pair.theirNonce ? 2 : pair.theirCommit ? 1 : 0 };
  if (pair.theirCommit) code.nonce = pair.nonce;
  trace(pair.peer, "code>" + (code.nonce ? " nonce" : "") + " got " + code.got);
  send(pair.peer, { code: code });
}

// Called when the connection to `id` is up: a nonce and its commitment once per pair, then the exchange,
// asked again now and then until it is complete (a message may be lost with a socket).
export function showCode(id, pc) {
  if (!window.crypto || !crypto.subtle || !crypto.getRandomValues) return;
  var pair = current(id);
  if (!pair || peers[id].pc !== pc) return;
  pair.peer = id;
  if (!pair.committing) {
    pair.nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
    pair.committing = commitment(pair.ours, pair.nonce).then(function (hash) { pair.commit = hash; });
  }
  pair.committing.then(function () {
    if (pair.theirNonce) return show(pair);
    var ask = function () {
      if (current(pair.peer) !== pair || pair.theirNonce) return;
      sendState(pair);
      clearTimeout(pair.timer);
      pair.timer = setTimeout(ask, RESEND_MS);
    };
    ask();
  });
}

function valid(code) {
  var hexOf = /^[0-9a-f]{32,64}$/;
  return code && typeof code.from === "string" && typeof code.to === "string" && code.from.length < 400 &&
    code.to.length < 400 && hexOf.test(code.hash) && [0, 1, 2].indexOf(code.got) >= 0 &&
    (code.nonce === undefined || hexOf.test(code.nonce));
}

// The other side's state for the pair of their certificate and ours.
export function onCode(from, code) {
  if (!valid(code) || !window.crypto || !crypto.subtle) return;
  var pair = pairOf(code.to, code.from);
  pair.peer = pair.peer || from;
  // The first commitment holds; another one for the same pair is someone trying again.
  if (pair.theirCommit && pair.theirCommit !== code.hash) return trace(from, "code< refused: another commitment");
  pair.theirCommit = code.hash;
  trace(from, "code<" + (code.nonce ? " nonce" : "") + " got " + code.got);
  var checked = code.nonce && !pair.theirNonce
    ? commitment(pair.theirs, code.nonce).then(function (hash) {
      if (hash === pair.theirCommit) pair.theirNonce = code.nonce;
      else trace(from, "code< refused: nonce does not match its commitment");
    })
    : Promise.resolve();
  checked.then(function () {
    // Until our connection is up, ours waits (showCode sends it).
    if (!pair.commit) return;
    if (code.got < 2) sendState(pair);
    if (pair.theirNonce) show(pair);
  });
}

function show(pair) {
  clearTimeout(pair.timer);
  var id = pair.peer;
  if (current(id) !== pair) return;
  // Both sides order the two (fingerprint, nonce) pairs the same way, so both compute the same digits.
  var sides = [[pair.ours, pair.nonce], [pair.theirs, pair.theirNonce]].sort(function (a, b) { return a[0] < b[0] ? -1 : 1; });
  sha256(["sicherheitscode", sides[0][0], sides[0][1], sides[1][0], sides[1][1]]).then(function (hash) {
    if (current(id) !== pair) return;
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
