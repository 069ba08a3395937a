// Service-PIN step: copy to the clipboard with a visible confirmation, and the print button.
(function () {
  "use strict";
  var copy = document.getElementById("copy-pin");
  var status = document.getElementById("copy-status");
  if (copy && status) {
    copy.addEventListener("click", function () {
      var pin = document.getElementById("pin-value").getAttribute("data-pin");
      var done = function () { status.hidden = false; };
      var fallback = function () {
        var area = document.createElement("textarea");
        area.value = pin;
        document.body.appendChild(area);
        area.select();
        try { if (document.execCommand("copy")) done(); } finally { area.remove(); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(pin).then(done, fallback);
      } else {
        fallback();
      }
    });
  }
  // The print page opens the print dialog by itself; the button is there for a second copy.
  var printNow = document.getElementById("print-now");
  if (printNow) {
    printNow.addEventListener("click", function () { window.print(); });
    window.addEventListener("load", function () { setTimeout(function () { window.print(); }, 300); });
  }
})();
