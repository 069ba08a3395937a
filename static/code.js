// Countdown until "Neuen Code anfordern" is possible again (the server enforces the same 60 s).
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
      button.disabled = false;
      note.hidden = true;
    }
  }
  tick();
})();
