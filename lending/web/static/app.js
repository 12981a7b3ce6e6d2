// Lending's pages work without this file; it adds what a desk needs on top of htmx:
// - a clear notice when the server cannot be reached, cleared when it answers again;
// - forms marked data-keep keep what was typed (sessionStorage) until the server has taken it;
// - the field marked data-autofocus has the focus after every load and swap (the scan box);
// - a scan form (form[data-scan-form]) empties its box ([data-scan-input]) once the server has taken the scan, ready
//   for the next one; a refused scan stays, selected, so the next scan replaces it; one the server never got stays
//   as it is. Forms whose basket decides (data-scan-own: issue, returns) manage their box themselves.
(function () {
  "use strict";

  var banner = null;
  var polling = null;

  function showOffline() {
    banner = banner || document.getElementById("connection");
    if (banner) banner.hidden = false;
    document.documentElement.classList.add("offline");
    if (!polling) polling = setInterval(ping, 3000);
  }

  function showOnline() {
    banner = banner || document.getElementById("connection");
    var was = banner && !banner.hidden;
    if (banner) banner.hidden = true;
    document.documentElement.classList.remove("offline");
    if (polling) { clearInterval(polling); polling = null; }
    if (was) document.dispatchEvent(new CustomEvent("lending:online"));
  }

  function ping() {
    fetch("/health", { cache: "no-store" }).then(function (r) { if (r.ok) showOnline(); }, function () {});
  }

  function keyOf(form) { return "lending:form:" + location.pathname + ":" + (form.id || form.getAttribute("action") || ""); }

  function saveForm(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "password" || el.type === "file") return;
      if (el.type === "checkbox" || el.type === "radio") { if (el.checked) values[el.name + "=" + el.value] = true; }
      else values[el.name] = el.value;
    });
    try { sessionStorage.setItem(keyOf(form), JSON.stringify(values)); } catch (e) { /* storage full or off */ }
  }

  function restoreForm(form) {
    var raw = null;
    try { raw = sessionStorage.getItem(keyOf(form)); } catch (e) { return; }
    if (!raw) return;
    var values = JSON.parse(raw);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "password" || el.type === "file") return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = !!values[el.name + "=" + el.value];
      else if (Object.prototype.hasOwnProperty.call(values, el.name) && !el.value) el.value = values[el.name];
    });
  }

  function forgetForm(form) { try { sessionStorage.removeItem(keyOf(form)); } catch (e) { /* nothing kept */ } }

  function enhance(root) {
    root.querySelectorAll("form[data-keep]").forEach(function (form) {
      if (form.dataset.kept) return;
      form.dataset.kept = "1";
      restoreForm(form);
      form.addEventListener("input", function () { saveForm(form); });
    });
    var focus = root.querySelector("[data-autofocus]");
    if (focus) focus.focus();
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (e) { enhance(e.target); });

  document.addEventListener("htmx:sendError", showOffline);
  document.addEventListener("htmx:timeout", showOffline);
  document.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr || xhr.status === 0) return;
    showOnline();
    var form = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form[data-keep]");
    if (form && e.detail.successful) forgetForm(form);
    var scan = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form[data-scan-form]:not([data-scan-own])");
    var box = scan && scan.querySelector("[data-scan-input]");
    if (box) {
      if (e.detail.successful) box.value = "";
      else box.select();
      box.focus();
    }
  });
  // A plain (non-htmx) submit leaves the page: what was typed is kept until the next page says it was taken.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.matches && form.matches("form[data-keep]")) saveForm(form);
  });
  window.addEventListener("offline", showOffline);
  window.addEventListener("online", ping);

  window.Lending = { showOffline: showOffline, showOnline: showOnline, forgetForm: forgetForm };
})();
