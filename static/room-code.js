// The "Sicherheitscode": both sides hash the two DTLS certificate fingerprints from the SDP (sorted, so
// the order does not matter) and show six digits. They match only if the media is encrypted end to end
// between these two browsers: anyone re-encrypting in between would bring a certificate of their own.
import { peers, text, nameOf } from "./room-shared.js";

function fingerprints(sdp) {
  var found = {};
  (sdp || "").split(/\r?\n/).forEach(function (line) {
    var match = /^a=fingerprint:sha-256 (.+)$/i.exec(line.trim());
    if (match) found[match[1].toUpperCase()] = true;
  });
  return Object.keys(found);
}

export function showCode(id, pc) {
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
