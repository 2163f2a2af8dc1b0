// dossier profile panel: contact from the Chatwoot host (appContext) or ?contact=, live updates
// over server-sent events, and the draft's buttons. No dependencies; the page's CSP allows this
// file only. Everything the server sends is already escaped HTML.
(function () {
  "use strict";
  var root = document.getElementById("dossier");
  if (!root) return;
  var params = new URLSearchParams(window.location.search);
  var key = params.get("key") || "";
  var base = "/panel/" + encodeURIComponent(root.dataset.company);
  var origins = [];
  try { origins = JSON.parse(root.dataset.origins || "[]"); } catch (e) { origins = []; }
  var view = document.getElementById("view");
  var contact = null;
  var hint = params.get("contact");
  var agent = null;
  var source = null;
  var loading = false;
  var again = false;
  var gotContext = false;

  function qs(extra) {
    var p = new URLSearchParams();
    p.set("key", key);
    Object.keys(extra || {}).forEach(function (k) { if (extra[k] != null) p.set(k, extra[k]); });
    return p.toString();
  }

  function current() {
    var el = view.querySelector("[data-contact]");
    return el ? el.getAttribute("data-contact") : null;
  }

  function swap(html) {
    var editing = view.querySelector("[data-draft].editing");
    var keep = editing ? { seq: editing.dataset.seq, text: editing.querySelector("textarea").value } : null;
    view.innerHTML = html;
    if (keep) {
      var d = view.querySelector("[data-draft]");
      if (d && d.dataset.seq === keep.seq && d.querySelector("textarea")) {
        d.classList.add("editing");
        d.querySelector("textarea").value = keep.text;
      }
    }
    root.dataset.state = current() ? "ready" : "empty";
    var id = current();
    if (id !== contact) { contact = id; listen(); }
    root.dispatchEvent(new CustomEvent("dossier:rendered"));
  }

  // The view shows `wanted` (the contact reference last asked for). One fetch at a time; a
  // change or a new contact during a fetch fetches again after it, for whatever is wanted then.
  var wanted = null;
  function show(what) { wanted = what; refresh(); }
  function refresh() {
    if (!wanted) return;
    if (loading) { again = true; return; }
    loading = true;
    fetch(base + "/view?" + qs({ contact: wanted }), { cache: "no-store", headers: { accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) { if (!again) swap(html); })
      .catch(function () { root.dataset.state = "offline"; })
      .then(function () {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }

  function listen() {
    if (source) { source.close(); source = null; }
    root.dataset.live = "off";
    if (!contact || !window.EventSource) return;
    source = new EventSource(base + "/events?" + qs({ contact: contact }));
    source.addEventListener("ready", function () { root.dataset.live = "on"; });
    source.addEventListener("change", refresh);
    source.onerror = function () { root.dataset.live = "retrying"; };
  }

  // Chatwoot Dashboard App: the host posts a JSON *string* {event: "appContext", data: {...}}.
  window.addEventListener("message", function (ev) {
    if (origins.indexOf(ev.origin) < 0) return;
    if (typeof ev.data !== "string") return;
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (!msg || msg.event !== "appContext" || !msg.data) return;
    gotContext = true;
    var d = msg.data;
    var conv = d.conversation || {};
    var sender = (conv.meta && conv.meta.sender) || {};
    var c = d.contact || sender;
    var h = c.phone_number || sender.phone_number || c.identifier ||
      (conv.contact_inbox && conv.contact_inbox.source_id) || null;
    if (d.currentAgent && d.currentAgent.name) agent = String(d.currentAgent.name);
    if (h && h !== hint) { hint = h; show(h); }
  });

  function askHost() {
    if (window.parent !== window) window.parent.postMessage("chatwoot-dashboard-app:fetch-info", "*");
  }

  // Some Chatwoot builds drop a request sent before they listen: ask a few times.
  if (window.parent !== window && !params.get("contact")) {
    var tries = 0;
    (function ask() {
      if (gotContext || tries++ >= 6) return;
      askHost();
      setTimeout(ask, 700);
    })();
  }
  // Chatwoot pushes nothing when the agent switches conversation: ask again on focus, and every
  // few seconds while the tab is visible (the answer only reloads when the contact changed).
  document.addEventListener("visibilitychange", function () { if (!document.hidden) askHost(); });
  if (window.parent !== window) {
    setInterval(function () { if (!document.hidden && gotContext) askHost(); }, 4000);
  }

  view.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-action]");
    if (!b) return;
    var draft = b.closest("[data-draft]");
    if (!draft) return;
    var action = b.getAttribute("data-action");
    if (action === "edit") {
      draft.classList.toggle("editing");
      var t = draft.querySelector("textarea");
      if (t && draft.classList.contains("editing")) t.focus();
      return;
    }
    var text = null;
    if ((action === "approve" || action === "takeover") && draft.classList.contains("editing")) {
      text = draft.querySelector("textarea").value;
    }
    Array.prototype.forEach.call(draft.querySelectorAll("button"), function (x) { x.disabled = true; });
    draft.classList.remove("editing");
    draft.classList.add("busy");
    fetch(base + "/drafts/" + action + "?" + qs({}), {
      method: "POST",
      cache: "no-store",
      headers: { "content-type": "application/json", "x-dossier-panel-key": key },
      body: JSON.stringify({ contact: contact, seq: Number(draft.dataset.seq), text: text, agent: agent })
    })
      .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, t: t }; }); })
      .then(function (r) { if (r.ok) swap(r.t); else refresh(); })
      .catch(refresh);
  });

  contact = current();
  wanted = contact || hint;
  listen();
})();
