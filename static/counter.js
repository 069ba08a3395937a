// The note's character counter: "42 von 160 Zeichen" under the field. Announced only on request (not on
// every key), so screen readers are not interrupted while typing; the field itself stops at the limit.
(function () {
  "use strict";
  var field = document.getElementById("note");
  var counter = document.getElementById("note-count");
  if (!field || !counter) return;
  var max = counter.getAttribute("data-max");
  function update() {
    var used = Array.from(field.value).length;
    counter.textContent = counter.getAttribute("data-template").replace("{used}", used).replace("{max}", max);
  }
  field.addEventListener("input", update);
  update();
})();
