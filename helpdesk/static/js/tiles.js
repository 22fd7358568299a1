// The supervisor's tiles kept current: on a ticket change or an SLA breach the counts are
// fetched again from tiles.json (debounced, so a burst of events costs one request).

import { getLive } from "./live.js";

const DEBOUNCE_MS = 500;

const live = getLive();
const root = document.querySelector("[data-live-tiles]");

if (live && root) {
  const url = root.getAttribute("data-url");
  let timer = null;

  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DEBOUNCE_MS);
  };
  ["ticket_updated", "sla_breach"].forEach((event) => live.on(event, schedule));
  let connections = 0;
  live.onConnect(() => {
    if (connections++ > 0) {
      schedule(); // what changed while the connection was down was never pushed
    }
  });

  async function refresh() {
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        show(await response.json());
      }
    } catch (error) {
      // Offline for a moment: the next event or reconnection asks again.
    }
  }

  function set(selector, value) {
    document.querySelectorAll(selector).forEach((el) => {
      el.textContent = String(value);
    });
  }

  function show(tiles) {
    ["open", "waiting", "breaches_today"].forEach((name) => {
      if (typeof tiles[name] === "number") {
        set('[data-tile="' + name + '"]', tiles[name]);
      }
    });
    const box = document.querySelector('[data-tile-box="breaches_today"]');
    if (box) {
      box.classList.toggle("has-breaches", tiles.breaches_today > 0);
    }
    const statuses = tiles.statuses || {};
    let total = 0;
    Object.keys(statuses).forEach((status) => {
      total += statuses[status];
      set('[data-tile-status="' + status + '"]', statuses[status]);
    });
    set('[data-tile="total"]', total);
  }
}
