// "Kopieren" buttons, one way everywhere: `<button class="copy" data-copy="ID" hidden>` copies the field ID's
// `data-value` (or its value), then says so: the element named by `data-status` appears, or the button
// reads `data-done`. Without a script the buttons stay hidden (there is nothing they could do).
(function () {
  "use strict";
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };
  // Also for parts inserted later (fresh access details in the room).
  window.copyButtons = function (root) {
    each(root.querySelectorAll("button.copy"), function (button) { button.hidden = false; });
  };
  function copied(button) {
    var status = document.getElementById(button.getAttribute("data-status") || "");
    if (status) status.hidden = false;
    else if (button.getAttribute("data-done")) button.textContent = button.getAttribute("data-done");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy");
    var field = button && document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    var value = field.getAttribute("data-value") || field.value || "";
    var fallback = function () {
      var area = document.createElement("textarea");
      area.value = value;
      document.body.appendChild(area);
      area.select();
      try { if (document.execCommand("copy")) copied(button); } finally { document.body.removeChild(area); }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(function () { copied(button); }, fallback);
    } else {
      fallback();
    }
  });
  window.copyButtons(document);
})();
