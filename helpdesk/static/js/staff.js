// Every staff page: toasts for new assignments (agents) and SLA alerts (agents: warnings and
// breaches; supervisors and admins: breaches), colleagues' presence kept current, and (agents)
// a sign of life while they work the page, so only an agent really away from it goes idle.

import { fill, getLive } from "./live.js";
import { Toasts } from "./toasts.js";

const live = getLive();
const region = document.querySelector("[data-toasts]");

if (live && region) {
  const labels = JSON.parse(region.getAttribute("data-labels") || "{}");
  const viewerId = Number(region.getAttribute("data-viewer-id"));
  const role = region.getAttribute("data-role");
  const ticketUrl = (id) => region.getAttribute("data-ticket-url") + id;
  const toasts = new Toasts(region, labels);

  if (role === "agent") {
    // Keys, clicks, scrolling or touch on a visible page: "activity" at most once a minute.
    // The page's own live refreshes do not count, so an unattended queue goes idle.
    const ACTIVITY_EVERY_MS = 60 * 1000;
    let lastActivity = 0;
    const active = () => {
      const now = Date.now();
      if (!document.hidden && now - lastActivity >= ACTIVITY_EVERY_MS) {
        lastActivity = now;
        live.notify("activity", {});
      }
    };
    ["keydown", "pointerdown", "wheel", "touchstart", "focus"].forEach((name) =>
      window.addEventListener(name, active, { passive: true, capture: true }),
    );
    live.onConnect(() => {
      lastActivity = Date.now(); // connecting counts as activity on the server already
    });

    live.on("ticket_assigned", (payload) => {
      const ticket = payload && payload.ticket;
      if (!ticket || !ticket.assignee || ticket.assignee.id !== viewerId) {
        return;
      }
      const chat = ticket.channel === "chat";
      toasts.show({
        text: fill(chat ? labels.chat_assigned : labels.assigned, { reference: ticket.reference }),
        detail: ticket.subject,
        href: ticketUrl(ticket.id),
        tone: chat ? "chat" : "info",
        key: "assigned:" + ticket.id,
      });
    });
  }

  const alerts = role === "agent" ? ["sla_warning", "sla_breach"] : ["sla_breach"];
  alerts.forEach((kind) => {
    live.on(kind, (payload) => {
      if (!payload || typeof payload.ticket_id !== "number") {
        return;
      }
      toasts.show({
        text: fill(labels[kind], {
          reference: payload.reference || "#" + payload.ticket_id,
          metric: labels["metric_" + payload.metric] || payload.metric,
        }),
        href: ticketUrl(payload.ticket_id),
        tone: kind === "sla_breach" ? "danger" : "warning",
        sticky: kind === "sla_breach",
        key: kind + ":" + payload.ticket_id + ":" + payload.metric,
      });
    });
  });

  const presenceLabels = labels.presence || {};
  live.on("presence", (payload) => {
    const agent = payload && payload.agent;
    const status = payload && payload.status;
    if (!agent || !Object.prototype.hasOwnProperty.call(presenceLabels, status)) {
      return;
    }
    document.querySelectorAll('[data-presence-of="' + Number(agent.id) + '"]').forEach((el) => {
      Object.keys(presenceLabels).forEach((name) => el.classList.toggle("presence-" + name, name === status));
      const label = el.querySelector("[data-presence-label]");
      if (label) {
        label.textContent = presenceLabels[status];
      }
    });
    if (agent.id === viewerId) {
      // Set in another tab, or by the idle timer: the header switch follows.
      document.querySelectorAll('[data-presence-switch] button[name="status"]').forEach((button) => {
        button.setAttribute("aria-pressed", String(button.value === status));
      });
    }
  });
}
