// hitl approvals: live inbox, deadline countdowns, and the modify form's validation and diff.
// Everything agent-written is put into the page with textContent, never as HTML.
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // ---- deadlines -------------------------------------------------------------------------
  function remaining(iso) {
    var left = Math.floor((Date.parse(iso) - Date.now()) / 1000);
    if (isNaN(left)) { return { text: "", soon: false }; }
    if (left <= 0) { return { text: "overdue", soon: true }; }
    var text;
    if (left >= 3600) {
      var m = Math.floor((left % 3600) / 60);
      text = Math.floor(left / 3600) + "h " + (m < 10 ? "0" : "") + m + "m left";
    } else {
      var s = left % 60;
      text = Math.floor(left / 60) + ":" + (s < 10 ? "0" : "") + s + " left";
    }
    return { text: text, soon: left < 300 };
  }

  function tick() {
    var clocks = document.querySelectorAll(".deadline[data-deadline]");
    for (var i = 0; i < clocks.length; i++) {
      var r = remaining(clocks[i].getAttribute("data-deadline"));
      clocks[i].textContent = r.text;
      clocks[i].classList.toggle("soon", r.soon);
    }
  }

  // ---- riskclasses (same as Views.riskCss / riskLabel) -----------------------------------
  var RISK = {
    READ_ONLY: ["risk-low", "read-only"],
    REVERSIBLE_WRITE: ["risk-medium", "reversible write"],
    IRREVERSIBLE: ["risk-high", "irreversible"]
  };

  // ---- live inbox ------------------------------------------------------------------------
  function itemNode(s) {
    var li = el("li", "item arrived");
    li.setAttribute("data-action-id", s.actionId);
    li.setAttribute("data-deadline", s.deadline);
    li.setAttribute("data-rank", s.priorityAt || s.deadline);
    li.setAttribute("data-version", String(s.actionVersion || 0));
    li.setAttribute("data-live", "1");
    var a = el("a", "item-link");
    a.setAttribute("href", "/ui/requests/" + encodeURIComponent(s.actionId));
    var risk = RISK[s.riskClass] || ["risk-high", String(s.riskClass || "unknown").toLowerCase()];
    a.appendChild(el("span", "risk " + risk[0], risk[1]));
    var main = el("span", "item-main");
    main.appendChild(el("span", "action-type", s.actionType));
    var meta = el("span", "item-meta");
    meta.appendChild(document.createTextNode("agent "));
    meta.appendChild(el("b", null, s.agentId));
    meta.appendChild(document.createTextNode(" for " + s.onBehalfOf));
    if (s.target) {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "target", s.target));
    }
    main.appendChild(meta);
    if (s.rankedBecause) { main.appendChild(el("span", "item-why muted small", s.rankedBecause)); }
    a.appendChild(main);
    var tags = el("span", "tags");
    if (s.batchId) { tags.appendChild(el("span", "tag", "batch " + s.batchId)); }
    if (s.actionVersion > 0) {
      // Same as Views.modifiedTag: a reviewer's modification, asked again.
      tags.appendChild(el("span", "tag warn modified", "modified by " + s.modifiedBy + " · version " + s.actionVersion));
    }
    if (!s.canVote) { tags.appendChild(el("span", "tag warn", s.cannotVoteBecause)); }
    a.appendChild(tags);
    var deadline = el("span", "deadline", remaining(s.deadline).text);
    deadline.setAttribute("data-deadline", s.deadline);
    a.appendChild(deadline);
    li.appendChild(a);
    return li;
  }

  function findItem(list, actionId) {
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      if (items[i].getAttribute("data-action-id") === actionId) { return items[i]; }
    }
    return null;
  }

  function refreshCount(list) {
    var n = list.children.length;
    var count = document.getElementById("count");
    if (count) { count.textContent = String(n); }
    var empty = document.getElementById("empty");
    if (empty) { empty.hidden = n > 0; }
    document.title = "Inbox (" + n + ") · hitl approvals";
  }

  // Requests sharing a batchId are one line (same markup as Views.batchItem); members by batch.
  var batches = {};

  function batchNode(batchId) {
    var members = batches[batchId];
    var ids = Object.keys(members);
    var first = null;
    for (var i = 0; i < ids.length; i++) {
      var m = members[ids[i]];
      if (!first || Date.parse(rankOf(m)) < Date.parse(rankOf(first))) { first = m; }
    }
    var li = el("li", "item batch arrived");
    li.setAttribute("data-action-id", "batch:" + batchId);
    li.setAttribute("data-batch-id", batchId);
    li.setAttribute("data-deadline", first.deadline);
    li.setAttribute("data-rank", rankOf(first));
    li.setAttribute("data-live", "1");
    var a = el("a", "item-link");
    a.setAttribute("href", "/ui/batches/" + encodeURIComponent(batchId));
    var risk = RISK[first.riskClass] || ["risk-high", String(first.riskClass || "unknown").toLowerCase()];
    a.appendChild(el("span", "risk " + risk[0], risk[1]));
    var main = el("span", "item-main");
    main.appendChild(el("span", "action-type", first.actionType));
    var meta = el("span", "item-meta");
    meta.appendChild(document.createTextNode("batch of "));
    meta.appendChild(el("b", "batch-count", ids.length));
    meta.appendChild(document.createTextNode(" · agent "));
    meta.appendChild(el("b", null, first.agentId));
    main.appendChild(meta);
    a.appendChild(main);
    var tags = el("span", "tags");
    tags.appendChild(el("span", "tag", "batch " + batchId));
    a.appendChild(tags);
    var deadline = el("span", "deadline", remaining(first.deadline).text);
    deadline.setAttribute("data-deadline", first.deadline);
    a.appendChild(deadline);
    li.appendChild(a);
    return li;
  }

  // The inbox is ranked by priority (risk and deadline together: Summary.priorityAt), earliest first.
  function rankOf(s) { return s.priorityAt || s.deadline; }

  function rankAttr(node) { return node.getAttribute("data-rank") || node.getAttribute("data-deadline"); }

  function place(list, key, fresh) {
    var old = findItem(list, key);
    if (old) { list.removeChild(old); }
    var before = null;
    for (var i = 0; i < list.children.length; i++) {
      if (Date.parse(rankAttr(list.children[i])) > Date.parse(rankAttr(fresh))) {
        before = list.children[i];
        break;
      }
    }
    list.insertBefore(fresh, before);
  }

  function upsert(list, s) {
    if (s.batchId) {
      if (!batches[s.batchId]) { batches[s.batchId] = {}; }
      batches[s.batchId][s.actionId] = s;
      place(list, "batch:" + s.batchId, batchNode(s.batchId));
      return;
    }
    var old = findItem(list, s.actionId);
    var fresh = itemNode(s);
    if (old) {
      if (old.getAttribute("data-deadline") === s.deadline
          && old.getAttribute("data-version") === String(s.actionVersion || 0)
          && old.querySelector(".tag.ok")) {
        return; // unchanged, and keep the "you voted" mark (a new version drops it: asked again)
      }
      list.replaceChild(fresh, old);
    } else {
      var before = null;
      for (var i = 0; i < list.children.length; i++) {
        if (Date.parse(rankAttr(list.children[i])) > Date.parse(rankOf(s))) {
          before = list.children[i];
          break;
        }
      }
      list.insertBefore(fresh, before);
    }
  }

  function remove(list, actionId) {
    for (var batchId in batches) {
      if (Object.prototype.hasOwnProperty.call(batches, batchId) && batches[batchId][actionId]) {
        delete batches[batchId][actionId];
        if (Object.keys(batches[batchId]).length === 0) {
          delete batches[batchId];
          var line = findItem(list, "batch:" + batchId);
          if (line) { list.removeChild(line); }
        } else {
          place(list, "batch:" + batchId, batchNode(batchId));
        }
        return;
      }
    }
    var old = findItem(list, actionId);
    if (old) { list.removeChild(old); }
  }

  function setLive(state, text) {
    var live = document.getElementById("live");
    if (!live) { return; }
    live.setAttribute("data-state", state);
    live.textContent = "";
    if (state === "ended") {
      live.appendChild(document.createTextNode("Session ended. "));
      var link = el("a", null, "Sign in again");
      link.setAttribute("href", "/ui/login");
      live.appendChild(link);
    } else {
      live.textContent = text;
    }
  }

  function liveInbox(list) {
    if (!window.EventSource) { setLive("lost", "no live updates in this browser: reload to refresh"); return; }
    var source = new EventSource(list.getAttribute("data-events"));
    source.addEventListener("open", function () { setLive("live", "live"); });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) { setLive("ended"); } else { setLive("lost", "reconnecting…"); }
    });
    source.addEventListener("snapshot", function (e) {
      var items = JSON.parse(e.data).items;
      var keep = {};
      batches = {};
      for (var i = 0; i < items.length; i++) {
        keep[items[i].batchId ? "batch:" + items[i].batchId : items[i].actionId] = true;
      }
      var current = Array.prototype.slice.call(list.children);
      for (var j = 0; j < current.length; j++) {
        if (!keep[current[j].getAttribute("data-action-id")]) { list.removeChild(current[j]); }
      }
      for (var k = 0; k < items.length; k++) {
        var shown = items[k].batchId ? null : findItem(list, items[k].actionId);
        // New, or a newer version than the page shows (modified while the page loaded): asked again.
        if (!shown || shown.getAttribute("data-version") !== String(items[k].actionVersion || 0)) {
          upsert(list, items[k]);
        }
      }
      refreshCount(list);
    });
    source.addEventListener("opened", function (e) { upsert(list, JSON.parse(e.data)); refreshCount(list); });
    source.addEventListener("closed", function (e) { remove(list, JSON.parse(e.data).actionId); refreshCount(list); });
  }

  // ---- modify: validate the JSON, show the diff, then allow sending -------------------------
  function parseObject(text) {
    var value;
    try { value = JSON.parse(text); } catch (e) { return { error: "Not valid JSON: " + e.message }; }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: "The arguments must be a JSON object ({ ... })." };
    }
    return { value: value };
  }

  function diffLines(a, b) {
    var n = a.length, m = b.length, i, j;
    var lcs = [];
    for (i = 0; i <= n; i++) { lcs.push(new Array(m + 1).fill(0)); }
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    var out = [];
    i = 0; j = 0;
    while (i < n && j < m) {
      if (a[i] === b[j]) { out.push(["same", "  " + a[i]]); i++; j++; }
      else if (lcs[i + 1][j] >= lcs[i][j + 1]) { out.push(["del", "- " + a[i]]); i++; }
      else { out.push(["add", "+ " + b[j]]); j++; }
    }
    for (; i < n; i++) { out.push(["del", "- " + a[i]]); }
    for (; j < m; j++) { out.push(["add", "+ " + b[j]]); }
    return out;
  }

  function modifyForm(form) {
    var args = document.getElementById("modified-args");
    var error = document.getElementById("args-error");
    var show = document.getElementById("show-diff");
    var box = document.getElementById("diff-box");
    var diff = document.getElementById("diff");
    var send = document.getElementById("send-modify");
    var original = document.getElementById("original-args").textContent;
    var originalPretty;
    try { originalPretty = JSON.stringify(JSON.parse(original), null, 2); } catch (e) { originalPretty = original; }

    function reset() { send.disabled = true; box.hidden = true; error.hidden = true; }
    function fail(message) { error.textContent = message; error.hidden = false; send.disabled = true; box.hidden = true; }

    function check() {
      var parsed = parseObject(args.value);
      if (parsed.error) { fail(parsed.error); return false; }
      var edited = JSON.stringify(parsed.value, null, 2);
      if (edited === originalPretty) { fail("The arguments are unchanged: use Approve instead."); return false; }
      error.hidden = true;
      diff.textContent = "";
      var lines = diffLines(originalPretty.split("\n"), edited.split("\n"));
      for (var i = 0; i < lines.length; i++) { diff.appendChild(el("span", lines[i][0], lines[i][1])); }
      box.hidden = false;
      send.disabled = false;
      return true;
    }

    args.addEventListener("input", reset);
    show.addEventListener("click", check);
    form.addEventListener("submit", function (e) {
      if (box.hidden || !check()) { e.preventDefault(); }
    });
  }

  function oneSubmitEach() {
    var forms = document.querySelectorAll("form[method=post]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (e) {
        if (e.defaultPrevented) { return; }
        if (this.getAttribute("data-sent")) { e.preventDefault(); return; }
        this.setAttribute("data-sent", "1");
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("inbox");
    if (list) { liveInbox(list); }
    var modify = document.getElementById("modify-form");
    if (modify) { modifyForm(modify); }
    oneSubmitEach();
    tick();
    window.setInterval(tick, 1000);
  });
})();
