// The issue page: after htmx swapped the basket, the scan box is ready for the next item (a USB scanner types
// the tag and Enter straight after). A tag that was taken is cleared; one that was refused stays selected, so the
// volunteer sees what was scanned and the next scan replaces it.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function (e) {
    var basket = document.getElementById("basket");
    var scan = document.getElementById("f-scan");
    if (!basket || !scan || !basket.contains(e.detail.elt) && e.detail.elt !== basket) return;
    if (basket.querySelector("[data-scan-ok]")) scan.value = "";
    scan.focus();
    scan.select();
  });
})();
