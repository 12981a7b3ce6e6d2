// The stock pages' keyboard work, on top of plain forms that do the same on the server without JavaScript:
// - in the intake grid, Enter goes to the same field in the next row, adding a row when there is none: a barcode
//   scanner ends each scan with Enter, so scanning serials (IMEIs, ICCIDs) fills one row per scan;
// - Alt+D, or a row's "Copy above" button, copies the row above into the row, but not what each device has its own of;
// - "Add 10 more rows" adds them here instead of asking the server.
(function () {
  "use strict";

  function keyFor(path, id) { return "lending:form:" + path + ":" + id; }

  function forget(key) { try { sessionStorage.removeItem(key); } catch (e) { /* nothing kept */ } }

  // Runs before app.js restores kept forms (it waits for DOMContentLoaded): a form the server has just answered
  // with holds everything that was typed, and a saved donation's form is done with, so what was kept is stale.
  document.querySelectorAll("form[data-echo]").forEach(function (form) {
    forget(keyFor(location.pathname, form.id || form.getAttribute("action") || ""));
  });
  document.querySelectorAll("[data-forget]").forEach(function (el) {
    forget(keyFor("/staff/intake", el.getAttribute("data-forget")));
  });

  // The refurbishment queue: one box chooses every asset on the page.
  var all = document.getElementById("choose-all");
  if (all) {
    all.closest(".check").hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="tags"]').forEach(function (box) { box.checked = all.checked; });
    });
  }

  var grid = document.getElementById("rows");
  if (!grid) return;
  var form = grid.closest("form");

  function rows() { return grid.querySelectorAll("tr[data-row]"); }

  function field(tr, col) { return tr.querySelector('[data-col="' + col + '"]'); }

  function changed() { form.dispatchEvent(new Event("input", { bubbles: true })); }

  function copyButton(n) {
    var button = document.createElement("button");
    button.type = "submit";
    button.name = "action";
    button.value = "copy:" + n;
    button.className = "copy";
    button.appendChild(document.createTextNode("Copy above"));
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " into row " + (n + 1);
    button.appendChild(hidden);
    return button;
  }

  function addRow() {
    var all = rows();
    var last = all[all.length - 1];
    var n = all.length;
    var tr = last.cloneNode(true);
    tr.setAttribute("data-row", String(n));
    var head = tr.querySelector("th[scope=row]");
    head.id = "row-" + n;
    head.textContent = String(n + 1);
    tr.querySelectorAll(".error").forEach(function (p) { p.remove(); });
    tr.querySelectorAll(".has-error").forEach(function (td) { td.classList.remove("has-error"); });
    tr.querySelectorAll("[data-col]").forEach(function (el) {
      var col = el.getAttribute("data-col");
      el.name = "r" + n + "." + col;
      el.id = "r" + n + "-" + col;
      el.setAttribute("aria-labelledby", "col-" + col + " row-" + n);
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
      el.value = "";
    });
    var cell = tr.lastElementChild;
    while (cell.firstChild) cell.removeChild(cell.firstChild);
    cell.appendChild(copyButton(n));
    grid.appendChild(tr);
    return tr;
  }

  function copyAbove(tr) {
    var prev = tr.previousElementSibling;
    if (!prev) return;
    prev.querySelectorAll("[data-col]").forEach(function (from) {
      var to = field(tr, from.getAttribute("data-col"));
      if (to && !to.hasAttribute("data-unique")) to.value = from.value;
    });
    var serial = field(tr, "serial_number");
    if (serial) serial.focus();
    changed();
  }

  // Rows added here and kept while typing (the server unreachable, the page reloaded) come back with their rows.
  (function makeRoomForKept() {
    if (form.hasAttribute("data-echo")) return;
    var raw = null;
    try { raw = sessionStorage.getItem(keyFor(location.pathname, form.id)); } catch (e) { return; }
    if (!raw) return;
    var highest = -1;
    Object.keys(JSON.parse(raw)).forEach(function (name) {
      var m = /^r(\d+)\./.exec(name);
      if (m) highest = Math.max(highest, Number(m[1]));
    });
    while (rows().length <= highest && rows().length < 1000) addRow();
  })();

  grid.addEventListener("keydown", function (e) {
    var el = e.target;
    var tr = el.closest && el.closest("tr[data-row]");
    if (!tr) return;
    // Enter never saves from the grid: like a spreadsheet it goes down a row, which is what a scanner needs.
    if (e.key === "Enter" && el.tagName === "INPUT") {
      e.preventDefault();
      var next = tr.nextElementSibling || addRow();
      field(next, el.getAttribute("data-col")).focus();
      changed();
    } else if (e.altKey && !e.ctrlKey && !e.metaKey && e.code === "KeyD") {
      e.preventDefault();
      copyAbove(tr);
    }
  });

  grid.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button.copy");
    if (!button) return;
    e.preventDefault();
    copyAbove(button.closest("tr[data-row]"));
  });

  var more = document.getElementById("more-rows");
  if (more) {
    more.addEventListener("click", function (e) {
      e.preventDefault();
      var first = null;
      for (var i = 0; i < 10; i++) {
        var tr = addRow();
        first = first || tr;
      }
      field(first, "kind").focus();
      changed();
    });
  }
})();
