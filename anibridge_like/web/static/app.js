// anibridge-like web UI: progressive enhancement only (every page works without it).
// - copy buttons next to read-only fields;
// - while the page's <main id="live"> carries data-refresh="N", re-fetch the page every N
//   seconds and swap the region in (paused while a field inside it has focus).
"use strict";
(function () {
  function bindCopy(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        if (!field) return;
        var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
        } else {
          field.select();
          try { document.execCommand("copy"); done(); } catch (e) { /* selected for manual copy */ }
        }
      });
    });
  }

  var timer = null;
  function schedule() {
    var live = document.getElementById("live");
    if (timer) { clearTimeout(timer); timer = null; }
    if (!live || !live.hasAttribute("data-refresh")) return;
    var seconds = Math.max(1, parseInt(live.getAttribute("data-refresh"), 10) || 2);
    timer = setTimeout(refresh, seconds * 1000);
  }
  function refresh() {
    var live = document.getElementById("live");
    var active = document.activeElement;
    if (live && active && live.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) {
      schedule();
      return;
    }
    var source = (live && live.getAttribute("data-src")) || window.location.href;
    fetch(source, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { schedule(); return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        if (fresh && live) {
          var notices = live.querySelectorAll("p.notice");
          live.innerHTML = fresh.innerHTML;
          var heading = live.querySelector("h1");
          if (heading && !live.querySelector("p.notice")) {
            for (var i = notices.length - 1; i >= 0; i--) heading.after(notices[i]);
          }
          if (fresh.hasAttribute("data-refresh")) {
            live.setAttribute("data-refresh", fresh.getAttribute("data-refresh"));
          } else {
            live.removeAttribute("data-refresh");
          }
          bindCopy(live);
        }
        schedule();
      })
      .catch(function () { schedule(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindCopy(document);
    schedule();
  });
})();
