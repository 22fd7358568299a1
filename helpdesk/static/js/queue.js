// The agent queue without reloading: when a ticket changes, the page asks its own address
// again with `X-Fragment: rows` (the same filters, the same page) and swaps in the parts
// that changed (summary, tabs, rows). Bursts of events cost one request (debounced); a
// hidden tab catches up when it is shown again. Focus stays on the row it was in.

import { debounce, getLive } from "./live.js";

const DEBOUNCE_MS = 500;
const MAX_WAIT_MS = 2500;
const ARRIVED_MS = 4000;

const live = getLive();
const root = document.querySelector("[data-live-queue]");

if (live && root) {
  // Every agent hears of every ticket: only the clients this agent serves matter here.
  const clients = JSON.parse(root.getAttribute("data-clients") || '"*"');
  let running = false;
  let again = false;
  let stale = false;

  const schedule = debounce(() => refresh(), DEBOUNCE_MS, MAX_WAIT_MS);
  const concerns = (payload) => {
    const ticket = payload && payload.ticket;
    return clients === "*" || !ticket || clients.indexOf(ticket.client) !== -1;
  };

  ["ticket_updated", "ticket_assigned"].forEach((event) =>
    live.on(event, (payload) => {
      if (concerns(payload)) {
        schedule();
      }
    }),
  );
  // SLA alerts reach only the people concerned (assignee, followers).
  ["sla_warning", "sla_breach"].forEach((event) => live.on(event, schedule));
  let connections = 0;
  live.onConnect(() => {
    // After a reconnection, changes made meanwhile were never pushed: look again.
    if (connections++ > 0) {
      schedule();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && stale) {
      schedule();
    }
  });

  async function refresh() {
    if (document.hidden) {
      stale = true;
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = true;
    stale = false;
    try {
      const response = await fetch(window.location.href, {
        headers: { "X-Fragment": "rows", Accept: "text/html" },
        credentials: "same-origin",
        cache: "no-store",
      });
      const type = response.headers.get("Content-Type") || "";
      if (response.ok && !response.redirected && type.startsWith("text/html")) {
        swap(await response.text());
      }
    } catch (error) {
      stale = true; // offline for a moment: the next event or reconnection tries again
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  function rowIds() {
    return new Set(Array.from(document.querySelectorAll("[data-live-region] tr[data-ticket-id]"), (row) => row.getAttribute("data-ticket-id")));
  }

  function focusMark() {
    const active = document.activeElement;
    const row = active && active.closest ? active.closest("[data-live-region] [data-ticket-id]") : null;
    if (!row) {
      return null;
    }
    const inside = Array.from(row.querySelectorAll("a, button"));
    return { id: row.getAttribute("data-ticket-id"), index: inside.indexOf(active) };
  }

  function restoreFocus(mark) {
    if (!mark) {
      return;
    }
    const row = document.querySelector('[data-live-region] [data-ticket-id="' + mark.id + '"]');
    const target = row ? row.querySelectorAll("a, button")[mark.index] : null;
    if (target) {
      target.focus({ preventScroll: true });
    }
  }

  function swap(html) {
    // Parsed inertly: nothing in the answer runs; only the marked regions are taken.
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const before = rowIds();
    const mark = focusMark();
    fresh.querySelectorAll("[data-live-region]").forEach((part) => {
      const name = part.getAttribute("data-live-region");
      const current = document.querySelector('[data-live-region="' + name + '"]');
      if (current) {
        current.replaceWith(document.importNode(part, true));
      }
    });
    restoreFocus(mark);
    document.querySelectorAll("[data-live-region] tr[data-ticket-id]").forEach((row) => {
      if (!before.has(row.getAttribute("data-ticket-id"))) {
        row.classList.add("row-arrived");
        window.setTimeout(() => row.classList.remove("row-arrived"), ARRIVED_MS);
      }
    });
  }
}
