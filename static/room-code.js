// The "Sicherheitscode": six digits that match on both screens only if the media is encrypted end to end
// between these two browsers, since anyone re-encrypting in between would bring a DTLS certificate of
// their own. Computed over both sides' certificate fingerprints (from the SDP) and a nonce from each side.
//
// The nonces are committed before they are revealed (as in ZRTP): each page first sends a hash of its
// fingerprints and its nonce, and reveals the nonce only once it holds the other side's commitment. So
// whoever sits in the signalling path has fixed their values before they learn ours and cannot try
// certificates until the digits match. Each page keeps one exchange per other participant, for the
// certificates of their present connection only: a connection started afresh with the same certificates
// shows the same code again, other certificates start a new exchange with a new nonce (and, while the
// other page was not reloaded, the words "geändert – bitte neu vergleichen"), and nothing of an earlier
// exchange is ever shown again. So every attempt costs a new connection, watched by both people.
import { peers, text, nameOf, send, trace } from "./room-shared.js";

var exchanges = {}; // participant id → the exchange for the certificates of the present connection
var waiting = {}; // participant id → their latest message that came before our connection was up
var RESEND_MS = 4000;

// Every fingerprint the description names, with its algorithm: all of them go into the code, so a line
// added next to the one the browser checks changes the digits instead of hiding the certificate.
function fingerprints(sdp) {
  var found = {};
  (sdp || "").split(/\r?\n/).forEach(function (line) {
    var match = /^a=fingerprint:\s*(\S+)\s+(.+)$/i.exec(line.trim());
    if (match) found[match[1].toLowerCase() + " " + match[2].trim().toUpperCase()] = true;
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

// The certificates of the present connection to `id`, if both descriptions are there.
function certificates(id) {
  var p = peers[id];
  if (!p || !p.pc.localDescription || !p.pc.remoteDescription) return null;
  var ours = fingerprints(p.pc.localDescription.sdp);
  var theirs = fingerprints(p.pc.remoteDescription.sdp);
  return ours && theirs ? { ours: ours, theirs: theirs, session: p.remoteSession } : null;
}

function current(id) {
  var x = exchanges[id];
  var now = certificates(id);
  return x && now && x.ours === now.ours && x.theirs === now.theirs ? x : null;
}

// One kind of message: our commitment, our nonce only once we hold theirs, and how much of theirs we hold
// (`got`: 1 their commitment, 2 their nonce too), so each side answers only what the other still lacks.
function sendState(id, x) {
  var code = { from: x.ours, to: x.theirs, hash: x.commit, got: x.theirNonce ? 2 : x.theirCommit ? 1 : 0 };
  if (x.theirCommit) code.nonce = x.nonce;
  trace(id, "code>" + (code.nonce ? " nonce" : "") + " got " + code.got);
  send(id, { code: code });
}

// Called when the connection to `id` is up: the exchange for its certificates (kept if they are the same
// as before, else a new one), then the messages, asked again now and then until it is complete.
export function showCode(id, pc) {
  if (!window.crypto || !crypto.subtle || !crypto.getRandomValues) return;
  var now = certificates(id);
  if (!now || peers[id].pc !== pc) return;
  var x = current(id);
  if (!x) {
    var before = exchanges[id];
    x = exchanges[id] = { ours: now.ours, theirs: now.theirs, session: now.session };
    // Other certificates on the same page of theirs: people who compared must compare again.
    x.changed = !!before && before.shown && before.session === now.session;
    if (before) clearTimeout(before.timer);
    removeLine(id);
    x.nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
    x.committing = commitment(x.ours, x.nonce).then(function (hash) { x.commit = hash; });
  }
  x.committing.then(function () {
    if (exchanges[id] !== x) return;
    var early = waiting[id];
    delete waiting[id];
    if (early) receive(id, x, early);
    if (x.theirNonce) return show(id, x);
    var ask = function () {
      if (current(id) !== x || x.theirNonce) return;
      sendState(id, x);
      clearTimeout(x.timer);
      x.timer = setTimeout(ask, RESEND_MS);
    };
    ask();
  });
}

function valid(code) {
  var hexOf = /^[0-9a-f]{32,64}$/;
  return code && typeof code.from === "string" && typeof code.to === "string" && code.from.length < 800 &&
    code.to.length < 800 && typeof code.hash === "string" && hexOf.test(code.hash) && [0, 1, 2].indexOf(code.got) >= 0 &&
    (code.nonce === undefined || (typeof code.nonce === "string" && hexOf.test(code.nonce)));
}

// A message from participant `from`. It counts only for the exchange of our present connection to them
// and only if it names exactly its certificates; one that comes before that connection is up waits (the
// latest one per participant).
export function onCode(from, code) {
  if (!valid(code) || !window.crypto || !crypto.subtle) return;
  var x = exchanges[from];
  if (!x || !x.commit || current(from) !== x) {
    waiting[from] = code;
    return trace(from, "code< early");
  }
  receive(from, x, code);
}

function receive(id, x, code) {
  if (code.from !== x.theirs || code.to !== x.ours) return trace(id, "code< refused: other certificates");
  // The first commitment holds; another one for the same certificates is someone trying again.
  if (x.theirCommit && x.theirCommit !== code.hash) return trace(id, "code< refused: another commitment");
  x.theirCommit = code.hash;
  trace(id, "code<" + (code.nonce ? " nonce" : "") + " got " + code.got);
  var checked = code.nonce && !x.theirNonce
    ? commitment(x.theirs, code.nonce).then(function (hash) {
      if (hash === x.theirCommit) x.theirNonce = code.nonce;
      else trace(id, "code< refused: nonce does not match its commitment");
    })
    : Promise.resolve();
  checked.then(function () {
    if (exchanges[id] !== x) return;
    if (code.got < 2) sendState(id, x);
    if (x.theirNonce) show(id, x);
  });
}

function removeLine(id) {
  var line = document.getElementById("code-" + id);
  if (line) line.remove();
}

function show(id, x) {
  clearTimeout(x.timer);
  if (current(id) !== x) return;
  // Both sides order the two (fingerprints, nonce) pairs the same way, so both compute the same digits.
  var sides = [[x.ours, x.nonce], [x.theirs, x.theirNonce]].sort(function (a, b) { return a[0] < b[0] ? -1 : 1; });
  sha256(["sicherheitscode", sides[0][0], sides[0][1], sides[1][0], sides[1][1]]).then(function (hash) {
    if (current(id) !== x) return;
    x.shown = true;
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
    line.setAttribute("data-changed", x.changed ? "true" : "false");
    var words = text("code-label") + " " + digits.slice(0, 3) + " " + digits.slice(3) + " (" + nameOf(id) + ")";
    line.textContent = x.changed ? words + " – " + text("code-changed") : words;
    codes.hidden = false;
  });
}
