// Live checkmarks for step 1. The rules come from the page (rendered by the server from the same data it
// checks with), so this script only evaluates them; the server decides.
(function () {
  "use strict";
  // Step 1 and "Passwort ändern" in the profile: any form that carries the context words.
  var form = document.querySelector("form[data-context]");
  if (!form) return;
  // Without a username field (profile), the username comes with the form.
  var user = document.getElementById("username") || { value: form.getAttribute("data-username") || "", addEventListener: function () {} };
  var pw = document.getElementById("password");
  var repeat = document.getElementById("password_repeat");
  var contextWords = (form.getAttribute("data-context") || "").split(" ").filter(Boolean);
  var common = null;
  var loading = false;
  var availability = { name: null, available: false };
  var timer = null;

  function chars(s) { return Array.from(s).length; }

  function loadCommon() {
    if (common || loading) return;
    loading = true;
    fetch("/static/common-passwords.txt")
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (text) { common = new Set(text.split("\n")); update(); })
      .catch(function () { loading = false; });
  }

  var passwordChecks = {
    min_length: function (p, v) { return chars(p) >= v; },
    max_length: function (p, v) { return chars(p) <= v; },
    not_common: function (p) { return p.length > 0 && common !== null && !common.has(p.toLowerCase()); },
    not_context: function (p) {
      if (!p) return false;
      var lower = p.toLowerCase();
      var words = contextWords.slice();
      var name = user.value.trim().toLowerCase();
      if (chars(name) >= 3) words.push(name);
      return !words.some(function (w) { return lower.indexOf(w) !== -1; });
    },
    lowercase: function (p) { return /\p{Lowercase}/u.test(p); },
    uppercase: function (p) { return /\p{Uppercase}/u.test(p); },
    digit: function (p) { return /\p{N}/u.test(p); },
    symbol: function (p) { return /[^\p{Alphabetic}\p{N}]/u.test(p); },
    matches: function (p) { return p.length > 0 && p === repeat.value; }
  };

  function mark(li, met) {
    li.classList.toggle("met", met);
    li.setAttribute("data-met", met ? "true" : "false");
  }

  function update() {
    var name = user.value.trim();
    document.querySelectorAll("#username-rules li").forEach(function (li) {
      var pattern = li.getAttribute("data-pattern");
      if (li.getAttribute("data-rule") === "available") {
        mark(li, availability.name === name && availability.available);
      } else if (pattern) {
        mark(li, new RegExp(pattern).test(name));
      }
    });
    var p = pw.value;
    document.querySelectorAll("#password-rules li").forEach(function (li) {
      var check = passwordChecks[li.getAttribute("data-rule")];
      if (check) mark(li, check(p, parseInt(li.getAttribute("data-value"), 10)));
    });
  }

  function checkAvailability() {
    var name = user.value.trim();
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!name) return;
      fetch("/registrierung/benutzername?name=" + encodeURIComponent(name), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (answer && user.value.trim() === name) {
            availability = { name: name, available: !!answer.available };
            update();
          }
        })
        .catch(function () {});
    }, 300);
  }

  user.addEventListener("input", function () { update(); checkAvailability(); });
  pw.addEventListener("input", function () { loadCommon(); update(); });
  repeat.addEventListener("input", update);
  if (document.getElementById("username") && user.value) checkAvailability();
  update();
})();
