// The signature pad on a loan's page: touch, pen and mouse (pointer events) on a canvas, kept sharp on high-density
// screens. On submit the drawing goes into the form as a PNG data URL; an empty pad is refused here, because the
// desk records a drawn signature whenever the pad is there (the typed-name-only acceptance is for no JavaScript).
(function () {
  "use strict";

  function start() {
    var form = document.querySelector("form[data-signature-form]");
    if (!form || typeof window.SignaturePad !== "function") return;
    var canvas = form.querySelector("#signature");
    var clear = form.querySelector("#signature-clear");
    var png = form.querySelector("#signature-png");
    var empty = form.querySelector("#signature-empty");
    canvas.hidden = false;
    clear.hidden = false;
    var pad = new window.SignaturePad(canvas, { penColor: "#000", minWidth: 0.8, maxWidth: 2.6 });

    function fit() {
      // The canvas's drawing size follows its shown size × the screen's density; what was drawn is kept.
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var strokes = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(strokes);
    }
    fit();
    window.addEventListener("resize", fit);

    pad.addEventListener("beginStroke", function () { empty.hidden = true; });
    clear.addEventListener("click", function () {
      pad.clear();
      png.value = "";
    });
    form.addEventListener("submit", function (e) {
      if (pad.isEmpty()) {
        e.preventDefault();
        empty.hidden = false;
        canvas.scrollIntoView({ block: "center" });
        return;
      }
      png.value = pad.toDataURL("image/png");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
