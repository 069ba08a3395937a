// Connection quality from getStats every 2 s: round-trip time of the selected candidate pair and the
// share of packets lost since the last reading. On a poor link the video sent on that connection steps
// down (lower resolution, then sound only) and comes back step by step once the link is good again.
import { state, peers, text, picture } from "./room-shared.js";
import { media, tellMedia, videoSenders } from "./room-media.js";
import { tile } from "./room-view.js";

function level(rttMs, loss) {
  if (rttMs < 300 && loss < 0.03) return "good";
  if (rttMs < 800 && loss < 0.1) return "fair";
  return "poor";
}

// Sound only sends no track at all (Firefox went on sending video for half a minute with `active: false`)
// and marks the video inactive (else Chromium probes the line with padding at several hundred kbit/s,
// which drowned the first seconds of sound on 50 kbit/s).
export function applyStep(p) {
  tellMedia(p.id);
  var sender = videoSenders(p.pc)[0];
  if (!sender) return Promise.resolve();
  return media().then(function (stream) {
    var track = picture(p) ? state.screenTrack || stream.getVideoTracks()[0] || null : null;
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

// The other side is on a slow line: no picture goes to it until readings say the line is good.
export function leanTowards(p) {
  p.leanStart = true;
  if (p.step === 2) return;
  p.step = 2;
  p.good = 0;
  applyStep(p);
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

const quality = document.getElementById("quality");
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

function measure(p, onQuiet) {
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
    if (quiet(p, newReceived)) return onQuiet(p.id);
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

const order = { good: 0, fair: 1, poor: 2 };
// Reads every connected connection every 2 s; `onQuiet(id)` for one that has been silent too long.
export function watch(onQuiet) {
  setInterval(function () {
    var connected = Object.keys(peers).map(function (id) { return peers[id]; })
      .filter(function (p) { return p.pc.connectionState === "connected"; });
    Promise.all(connected.map(function (p) { return measure(p, onQuiet); })).then(function (readings) {
      var worst = null;
      readings.forEach(function (r) { if (r && (!worst || order[r.reading] > order[worst.reading])) worst = r; });
      showQuality(worst);
    }, function () {});
  }, 2000);
}
window.roomQuality = { level: level, assess: assess };
