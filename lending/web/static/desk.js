// The desk's scan boxes, on top of pages that work without this file:
// (The desk's scan box itself is app.js's: cleared after a card arrives, selected after a refusal.)
// - the returns basket (form[data-returns]): each scan posts the whole form and the answer replaces #returns.
//   A scan that cannot reach the server waits in a list ("Waiting to send", kept in sessionStorage) and is sent,
//   in order, when the connection is back (app.js fires `lending:online`). Nothing scanned is lost.
(function () {
  "use strict";

  // --- returns ------------------------------------------------------------------------------------------------

  var KEY = "lending:returns:waiting";
  var sending = false;

  function waiting() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }

  function keep(list) {
    try { sessionStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* storage off: kept in memory below */ }
    memory = list;
  }

  var memory = null;
  function queue() { return memory || (memory = waiting()); }

  function returnsForm() { return document.querySelector("form[data-returns]"); }

  function showWaiting() {
    var form = returnsForm();
    if (!form) return;
    var box = form.querySelector("[data-pending]");
    var list = form.querySelector("[data-pending-list]");
    if (!box || !list) return;
    list.textContent = "";
    queue().forEach(function (tag) {
      var li = document.createElement("li");
      li.textContent = tag + ": waiting to send";
      list.appendChild(li);
    });
    box.hidden = queue().length === 0;
  }

  function say(form, text) {
    var slot = form.querySelector(".scan-message");
    if (!slot) {
      slot = document.createElement("p");
      slot.className = "scan-message";
      slot.setAttribute("role", "status");
      form.querySelector(".scan-row").insertAdjacentElement("afterend", slot);
    }
    slot.textContent = text;
  }

  function body(form, extra) {
    var data = new URLSearchParams(new FormData(form));
    Object.keys(extra).forEach(function (k) { data.set(k, extra[k]); });
    return data;
  }

  function post(form, data) {
    var token = form.querySelector("input[name=_csrf_token]");
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "x-csrftoken": token ? token.value : "" },
    }).then(function (response) {
      if (response.status === 401 && response.headers.get("HX-Redirect")) {
        location.href = response.headers.get("HX-Redirect");
        throw new Error("signed out");
      }
      return response.text();
    });
  }

  function swap(html) {
    var old = document.getElementById("returns");
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#returns") || holder.firstElementChild;
    if (!old || !fresh) return;
    old.replaceWith(fresh);
    fresh.dispatchEvent(new CustomEvent("lending:content", { bubbles: true }));
    if (window.htmx) window.htmx.process(fresh);
    showWaiting();
    var input = fresh.querySelector("[data-scan-input]");
    if (input) {
      input.focus();
      if (input.value) input.select();
    }
  }

  // Sends the waiting scans one by one, each with the basket as it is after the one before.
  function flush() {
    var form = returnsForm();
    if (sending || !form || !queue().length) return;
    sending = true;
    var tag = queue()[0];
    post(form, body(form, { tag: tag })).then(function (html) {
      keep(queue().slice(1));
      sending = false;
      if (window.Lending) window.Lending.showOnline();
      swap(html);
      flush();
    }, function () {
      sending = false;
      if (window.Lending) window.Lending.showOffline();
      showWaiting();
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-returns]")) return;
    e.preventDefault();
    var submitter = e.submitter;
    var input = form.querySelector("[data-scan-input]");
    if (submitter && (submitter.name === "confirm" || submitter.name === "remove")) {
      var extra = {};
      extra[submitter.name] = submitter.value;
      if (queue().length) {
        say(form, "Some scans are still waiting to send: confirm once they are in the basket.");
        return;
      }
      post(form, body(form, extra)).then(swap, function () {
        if (window.Lending) window.Lending.showOffline();
        say(form, "Not sent: the server can't be reached. The basket is kept here; try again when the connection is back.");
      });
      return;
    }
    var tag = input ? input.value.trim() : "";
    if (!tag) return;
    input.value = "";
    input.focus();
    keep(queue().concat([tag]));
    showWaiting();
    flush();
  });

  document.addEventListener("lending:online", flush);
  window.addEventListener("online", flush);
  document.addEventListener("DOMContentLoaded", function () {
    showWaiting();
    flush();
  });
})();
