// What the page shows of the room: a tile per other page (its video, name and state), the line about
// connections being made, the list of who is in the room, and a video box that fits the screen.
import { room, text, peers, nameOf } from "./room-shared.js";

const remotes = document.getElementById("remote-videos");
const stateLine = document.getElementById("room-state");

// The video box ends above the pinned controls: the names and states at the bottom of each tile stayed
// hidden under them (the stylesheet's height only guesses what lies above the box and how many rows the
// buttons take). At a desk the box fits below what is above it; on a phone it fills the screen above the
// controls, and a patient let in is scrolled to it.
export const videos = room.querySelector(".videos");
const controls = room.querySelector(".room-controls");
export const phone = window.matchMedia("(max-width: 47.99rem)");
export function fitVideos() {
  if (room.hidden) return;
  videos.style.height = "";
  var top = phone.matches ? 0 : videos.getBoundingClientRect().top + window.scrollY;
  var free = window.innerHeight - top - controls.offsetHeight - 8;
  if (free >= 256 && free < videos.offsetHeight) videos.style.height = free + "px";
}

export function describeStates() {
  var lines = [];
  Object.keys(peers).forEach(function (id) {
    var state = peers[id].pc.connectionState;
    if (state === "connected") return;
    var template = state === "disconnected" || state === "failed" ? text("reconnecting") : text("connecting");
    lines.push(template.replace("{name}", nameOf(id)));
  });
  stateLine.textContent = lines.join(" ");
}

export function tile(id) {
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

export function showMedia(id, state) {
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

export function replaceRoster(html) {
  var old = document.getElementById("roster");
  var holder = document.createElement("div");
  holder.innerHTML = html;
  if (old && holder.firstElementChild) old.replaceWith(holder.firstElementChild);
}
