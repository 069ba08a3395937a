// Service-PIN print page: it opens the print dialog by itself; the button is there for a second copy.
(function () {
  "use strict";
  var printNow = document.getElementById("print-now");
  if (!printNow) return;
  printNow.addEventListener("click", function () { window.print(); });
  window.addEventListener("load", function () { setTimeout(function () { window.print(); }, 300); });
})();
