// What a description says before it goes out or is taken in: on a slow line, Opus and the video bandwidth
// estimate are capped, and a description too big for one message leaves out its candidates.
import { lean } from "./room-shared.js";

// A description as sent. The candidates it carries help when trickled ones were lost (an answer after a
// rollback repeats no candidate events); only when they would make it outgrow the 7 KiB a message may
// have, they are left out (they were trickled already).
export function bare(description) {
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
export function capForSlowLine(sdp) {
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
