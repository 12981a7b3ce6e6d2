// The nomination form keeps what was typed (app.js, form[data-keep]) in case the server cannot be reached. Once the
// server has taken a nomination, its page says so (data-taken), and the family's details are forgotten here, so that
// the next nomination form starts empty instead of showing the last family's details.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var taken = document.querySelector("[data-taken]");
    if (!taken) return;
    var prefix = taken.getAttribute("data-taken");
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var key = sessionStorage.key(i);
        if (key && key.indexOf(prefix) === 0) sessionStorage.removeItem(key);
      }
    } catch (e) { /* storage off: nothing was kept */ }
  });
})();
