// SLA countdowns: keep "in 23 minutes" / "5 minutes ago" and the state colour current.
// The server renders the same text and state, so the page reads right without this file.
(function () {
  "use strict";

  var STATES = ["ok", "warning", "breached"];
  var EVERY_MS = 30000;
  var formatter = null;
  try {
    formatter = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, {
      numeric: "always",
      style: "long",
    });
  } catch (error) {
    formatter = null; // an old browser or an unknown language tag: keep the server's text
  }

  // Whole units to the due time, rounded as the server rounds (agent/routes.py countdown_parts).
  function parts(ms) {
    var seconds = ms / 1000;
    var minutes = Math.max(1, Math.floor(Math.abs(seconds) / 60 + 0.5));
    var sign = seconds > 0 ? 1 : -1;
    if (minutes < 90) {
      return [sign * minutes, "minute"];
    }
    if (minutes < 48 * 60) {
      return [sign * Math.floor(minutes / 60 + 0.5), "hour"];
    }
    return [sign * Math.floor(minutes / 1440 + 0.5), "day"];
  }

  function stateAt(now, due, warn) {
    if (now >= due) {
      return "breached";
    }
    if (!isNaN(warn) && now >= warn) {
      return "warning";
    }
    return "ok";
  }

  function update() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown][data-due-at]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due-at"));
      if (isNaN(due)) {
        return;
      }
      var state = stateAt(now, due, Date.parse(el.getAttribute("data-warn-at") || ""));
      // A breach the server recorded stays a breach even if this computer's clock is behind.
      if (el.getAttribute("data-state") === "breached") {
        state = "breached";
      }
      STATES.forEach(function (name) {
        el.classList.toggle("sla-" + name, name === state);
      });
      el.setAttribute("data-state", state);
      var label = el.querySelector("[data-countdown-state]");
      var text = el.getAttribute("data-label-" + state);
      if (label && text) {
        label.textContent = text;
      }
      var when = el.querySelector("[data-countdown-text]");
      if (when && formatter) {
        var p = parts(due - now);
        when.textContent = formatter.format(p[0], p[1]);
      }
    });
  }

  update();
  window.setInterval(update, EVERY_MS);
})();
