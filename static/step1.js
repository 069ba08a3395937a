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

  // Nothing typed yet: neither met nor missing (an empty field is not "at most 128 characters" long).
  // Once typed: a green check or a red cross.
  function mark(li, met, typed) {
    li.classList.toggle("met", typed && met);
    li.classList.toggle("missing", typed && !met);
    li.setAttribute("data-met", typed ? (met ? "true" : "false") : "");
  }

  var hint = document.getElementById("username-hint");

  function update() {
    var name = user.value.trim();
    document.querySelectorAll("#username-rules li").forEach(function (li) {
      var pattern = li.getAttribute("data-pattern");
      if (li.getAttribute("data-rule") === "available") {
        var known = availability.name === name;
        mark(li, known && availability.available, name.length > 0 && known);
      } else if (pattern) {
        mark(li, new RegExp(pattern).test(name), name.length > 0);
      }
    });
    if (hint) {
      var taken = name && availability.name === name && availability.valid && !availability.available;
      var text = taken && availability.suggestion
        ? (hint.getAttribute("data-taken") || "").replace("{name}", name).replace("{suggestion}", availability.suggestion)
        : "";
      if (hint.textContent !== text) hint.textContent = text;
    }
    var p = pw.value;
    document.querySelectorAll("#password-rules li").forEach(function (li) {
      var rule = li.getAttribute("data-rule");
      var check = passwordChecks[rule];
      var typed = rule === "matches" ? repeat.value.length > 0 : p.length > 0;
      if (check) mark(li, check(p, parseInt(li.getAttribute("data-value"), 10)), typed);
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
            availability = { name: name, available: !!answer.available, valid: !!answer.valid, suggestion: answer.suggestion || "" };
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
// "Passwort anzeigen": a button after every password field that carries its two labels (data-show,
// data-hide). Without JavaScript the field simply stays hidden.
(function () {
  "use strict";
  document.querySelectorAll("input[type=password][data-show]").forEach(function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "show-password";
    button.id = input.id + "-toggle";
    button.setAttribute("aria-controls", input.id);
    button.setAttribute("aria-pressed", "false");
    button.textContent = input.getAttribute("data-show");
    button.addEventListener("click", function () {
      var shown = input.type === "password";
      input.type = shown ? "text" : "password";
      button.setAttribute("aria-pressed", shown ? "true" : "false");
      button.textContent = input.getAttribute(shown ? "data-hide" : "data-show");
      // Both entries follow, so the repetition can be compared by eye.
      var repeat = document.getElementById(input.id + "_repeat");
      if (repeat) repeat.type = input.type;
    });
    input.insertAdjacentElement("afterend", button);
  });
})();
