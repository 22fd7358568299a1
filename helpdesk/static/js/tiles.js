// The supervisor's tiles kept current: on a ticket change or an SLA breach the counts are
// fetched again from tiles.json (debounced, so a burst of events costs one request).

import { debounce, getLive } from "./live.js";

const DEBOUNCE_MS = 500;
const MAX_WAIT_MS = 2500;

const live = getLive();
const root = document.querySelector("[data-live-tiles]");

if (live && root) {
  const url = root.getAttribute("data-url");
  const schedule = debounce(() => refresh(), DEBOUNCE_MS, MAX_WAIT_MS);
  // Admins hear of every client's tickets: only the one shown matters ("" shows them all).
  const client = root.getAttribute("data-client");
  live.on("ticket_updated", (payload) => {
    const ticket = payload && payload.ticket;
    if (!client || !ticket || ticket.client === client) {
      schedule();
    }
  });
  live.on("sla_breach", schedule);
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

  // Counts in the page's language, as the server renders them (Babel's grouping).
  let numbers = null;
  try {
    numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  } catch (error) {
    numbers = null;
  }

  function set(selector, value) {
    document.querySelectorAll(selector).forEach((el) => {
      el.textContent = numbers ? numbers.format(value) : String(value);
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
