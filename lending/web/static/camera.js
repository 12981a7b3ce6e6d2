// "Scan with camera" for every scan box: the phone or tablet camera reads a label's Code128 barcode or QR code
// and submits it as if a USB scanner had typed it.
//
// Markup contract (any page, any number of boxes):
//
//   <script src="/static/camera.js" defer></script>           (in the page's head block)
//   <form data-scan-form ...>                                  a form that takes one scanned tag
//     <input name="tag" data-scan-input ...>                   the box the tag is typed into
//     [<div data-camera></div>]                                optional: where the camera controls go
//   </form>                                                    (default: just after the input's parent element)
//
// camera.js adds, once per form: a "Scan with camera" button, a "Stop camera" button, a status line
// (role="status") and a <video> preview. On a read it fills the input with the tag (a QR label holds
// `{public_url}/a/{tag}`: the tag is taken from the address) and calls form.requestSubmit(), so htmx or the page's
// own submit handler sees an ordinary submit. The camera stops after each read (and when its form leaves the page).
// Forms swapped in later are picked up on `htmx:load`, or on a `lending:content` event dispatched on the new element.
//
// Decoding: the browser's BarcodeDetector where it exists (Chrome on Android, macOS); otherwise the vendored
// zxing-js (/static/vendor/zxing/zxing.min.js, loaded on first use), which decodes canvas frames without eval, so
// it runs under the pages' CSP (script-src 'self').
(function () {
  "use strict";

  var here = document.currentScript ? document.currentScript.src : "/static/camera.js";
  var ZXING_SRC = here.replace(/camera\.js(\?.*)?$/, "vendor/zxing/zxing.min.js$1");
  var zxingLoading = null;

  function loadZxing() {
    if (window.ZXing) return Promise.resolve(window.ZXing);
    if (!zxingLoading) {
      zxingLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = ZXING_SRC;
        script.onload = function () { window.ZXing ? resolve(window.ZXing) : reject(new Error("decoder missing")); };
        script.onerror = function () { zxingLoading = null; reject(new Error("decoder could not be loaded")); };
        document.head.appendChild(script);
      });
    }
    return zxingLoading;
  }

  // A QR label's address ends in /a/{tag}; a Code128 label is the tag itself.
  function tagOf(text) {
    var value = String(text || "").trim();
    var m = value.match(/\/a\/([^/?#\s]+)\/?(?:[?#].*)?$/);
    if (m) {
      try { return decodeURIComponent(m[1]); } catch (e) { return m[1]; }
    }
    return value;
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      var wanted = ["code_128", "qr_code"].filter(function (f) { return formats.indexOf(f) >= 0; });
      if (!wanted.length) return null;
      var detector = new window.BarcodeDetector({ formats: wanted });
      return function (video) {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }, function () { return null; });
  }

  function zxingDetector() {
    return loadZxing().then(function (ZXing) {
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, [ZXing.BarcodeFormat.CODE_128, ZXing.BarcodeFormat.QR_CODE]);
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      var reader = new ZXing.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (video) {
        if (!video.videoWidth) return Promise.resolve(null);
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        try {
          var source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
          var result = reader.decode(new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source)));
          return Promise.resolve(result.getText());
        } catch (e) {
          return Promise.resolve(null); // nothing readable in this frame
        } finally {
          reader.reset();
        }
      };
    });
  }

  function detector() {
    return nativeDetector().then(function (d) { return d || zxingDetector(); });
  }

  function element(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text) el.textContent = text;
    return el;
  }

  function enhance(form) {
    if (form.dataset.camera === "ready") return;
    var input = form.querySelector("[data-scan-input]");
    if (!input) return;
    form.dataset.camera = "ready";
    var place = form.querySelector("[data-camera]");
    var box = element("div", { class: "camera" });
    var start = element("button", { type: "button", class: "camera-start" }, "Scan with camera");
    var stop = element("button", { type: "button", class: "camera-stop" }, "Stop camera");
    var status = element("p", { class: "camera-status", role: "status", "aria-live": "polite" });
    var video = element("video", { class: "camera-preview", muted: "", playsinline: "", "aria-label": "Camera preview" });
    video.muted = true;
    stop.hidden = true;
    video.hidden = true;
    box.appendChild(start);
    box.appendChild(stop);
    box.appendChild(status);
    box.appendChild(video);
    if (place) place.appendChild(box);
    else input.parentElement.insertAdjacentElement("afterend", box);

    var stream = null;
    var running = false;

    function say(text) { status.textContent = text; }

    function halt(text) {
      running = false;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.srcObject = null;
      video.hidden = true;
      stop.hidden = true;
      start.hidden = false;
      if (text !== undefined) say(text);
    }

    function found(text) {
      var tag = tagOf(text);
      halt("Read " + tag + ".");
      input.value = tag;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }

    function loop(detect) {
      if (!running) return;
      if (!document.contains(video)) { halt(); return; }
      detect(video).then(function (text) {
        if (!running) return;
        if (text) found(text);
        else setTimeout(function () { loop(detect); }, 150);
      }, function () {
        if (running) setTimeout(function () { loop(detect); }, 300);
      });
    }

    start.addEventListener("click", function () {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        say("This browser cannot use a camera here. Type the tag instead.");
        return;
      }
      say("Starting the camera…");
      start.hidden = true;
      stop.hidden = false;
      running = true;
      Promise.all([
        navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false }),
        detector(),
      ]).then(function (got) {
        if (!running) { got[0].getTracks().forEach(function (t) { t.stop(); }); return; }
        stream = got[0];
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          say("Point the camera at the label's barcode or QR code.");
          loop(got[1]);
        });
      }).catch(function (err) {
        var denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
        halt(denied ? "The camera was not allowed. Type the tag instead." : "The camera could not start: " + (err && err.message || err));
      });
    });
    stop.addEventListener("click", function () { halt("Camera stopped."); input.focus(); });
  }

  function enhanceAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches("form[data-scan-form]")) enhance(root);
    root.querySelectorAll("form[data-scan-form]").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  document.addEventListener("htmx:load", function (e) { enhanceAll(e.target); });
  document.addEventListener("lending:content", function (e) { enhanceAll(e.target); });

  window.LendingCamera = { tagOf: tagOf, enhance: enhanceAll };
})();
