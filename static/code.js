// Countdown until "Neuen Code anfordern" is possible again (the server enforces the same 60 s). The
// seconds are not a live region (a screen reader would read every one); the moment the button works is.
(function () {
  "use strict";
  var button = document.getElementById("new-code");
  var note = document.getElementById("wait-note");
  var seconds = document.getElementById("wait-seconds");
  if (!button || !note || !seconds) return;
  var wait = parseInt(button.getAttribute("data-wait"), 10) || 0;
  function tick() {
    if (wait > 0) {
      button.disabled = true;
      note.hidden = false;
      seconds.textContent = String(wait);
      wait -= 1;
      setTimeout(tick, 1000);
    } else {
      var wasWaiting = button.disabled;
      button.disabled = false;
      note.hidden = true;
      var ready = document.getElementById("code-ready");
      if (wasWaiting && ready) ready.textContent = ready.getAttribute("data-text");
    }
  }
  tick();
})();
