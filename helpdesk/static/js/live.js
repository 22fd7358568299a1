// The page's one Socket.IO connection, shared by every live module on it.
//
// It signs in with the session cookie, reconnects by itself, and on every (re)connection
// joins again the tickets the page follows, asking only for what came after the last message
// the page has (`since_id`), so nothing is missed. Chat lines carry a `client_msg_id`; a line
// whose answer was lost with the connection is sent again once the connection is back, and
// the server stores a `client_msg_id` once, so a line is never lost and never doubled.
// Without the vendored client (window.io) getLive() answers null and pages stay plain forms.

const ACK_TIMEOUT_MS = 8000;
const ANNOUNCE_DELAY_MS = 50;

let shared;

/** The page's connection (created on first use), or null when Socket.IO is not loaded. */
export function getLive() {
  if (shared === undefined) {
    shared = typeof window.io === "function" ? new Live(window.io) : null;
  }
  return shared;
}

/** A random id for a chat line (crypto.randomUUID needs a secure context; this does not). */
export function newMessageId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

/** Replace {name} placeholders in a translated text. */
export function fill(text, values) {
  return String(text || "").replace(/\{(\w+)\}/g, (whole, key) =>
    Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole,
  );
}

/**
 * `fn` once things settle: `wait` ms after the last call, but never more than `maxWait` ms
 * after the first one, so a steady stream of events still refreshes now and then.
 */
export function debounce(fn, wait, maxWait) {
  let timer = null;
  let first = 0;
  return function schedule() {
    const now = Date.now();
    if (timer === null) {
      first = now;
    } else {
      window.clearTimeout(timer);
    }
    const delay = Math.max(0, Math.min(wait, first + maxWait - now));
    timer = window.setTimeout(() => {
      timer = null;
      fn();
    }, delay);
  };
}

/** The header's "Live" / "Reconnecting…" indicator. */
class StatusIndicator {
  constructor(element) {
    this.element = element;
    this.text = element ? element.querySelector("[data-live-status-text]") : null;
    this.announcing = false;
  }

  set(state) {
    if (!this.element || !this.text) {
      return;
    }
    this.element.hidden = false;
    this.element.setAttribute("data-state", state);
    this.text.textContent = this.element.getAttribute("data-label-" + state) || state;
    // Loading a page announces nothing; changes after it has been live are announced.
    if (state === "live" && !this.announcing) {
      this.announcing = true;
      window.setTimeout(() => this.element.setAttribute("aria-live", "polite"), ANNOUNCE_DELAY_MS);
    }
  }
}

class Live {
  constructor(io) {
    this.follows = new Map(); // ticket id -> {since(), replay(messages), refused(error)}
    this.pending = new Map(); // client_msg_id -> {payload, resolve, reject}
    this.connectHandlers = [];
    this.epoch = 0; // counts connections: an answer meant for an older one is ignored
    this.status = new StatusIndicator(document.querySelector("[data-live-status]"));
    this.status.set("connecting");
    this.socket = io({
      // WebSocket first; where a proxy blocks it, long-polling (which needs sticky sessions
      // when several server processes share the load).
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket.on("connect", () => this.connected());
    this.socket.on("disconnect", () => {
      // `active`: the client reconnects by itself; otherwise the server sent it away.
      this.status.set(this.socket.active ? "reconnecting" : "offline");
    });
    this.socket.on("connect_error", () => {
      this.status.set(this.socket.active ? "reconnecting" : "offline");
    });
  }

  /** Whether events can be sent right now. */
  get isConnected() {
    return this.socket.connected;
  }

  /** Listen to a server event. */
  on(event, handler) {
    this.socket.on(event, handler);
  }

  /** Run `handler` after every (re)connection, once the followed tickets are joined again. */
  onConnect(handler) {
    this.connectHandlers.push(handler);
  }

  /** Follow a ticket: join it now (if connected) and again after every reconnection. */
  follow(ticketId, handlers) {
    this.follows.set(ticketId, handlers);
    if (this.socket.connected) {
      this.join(ticketId, this.epoch);
    }
  }

  /** Fire-and-forget event (typing): dropped while disconnected, as it is stale by then. */
  notify(event, payload) {
    if (this.socket.connected) {
      this.socket.volatile.emit(event, payload);
    }
  }

  /** An event with an answer: resolves with the ack, rejects with its error or a lost answer. */
  request(event, payload) {
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) {
        reject({ code: "disconnected", message: "" });
        return;
      }
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (lost, ack) => {
        if (lost) {
          reject({ code: "disconnected", message: "" });
        } else if (ack && ack.ok) {
          resolve(ack);
        } else {
          reject((ack && ack.error) || { code: "server_error", message: "" });
        }
      });
    });
  }

  /** Send a chat line; `done` resolves with the stored message or rejects with the refusal. */
  send(ticketId, body, extra) {
    const clientMsgId = newMessageId();
    const payload = Object.assign({ ticket_id: ticketId, body: body, client_msg_id: clientMsgId }, extra);
    const done = new Promise((resolve, reject) => {
      this.pending.set(clientMsgId, { payload: payload, resolve: resolve, reject: reject });
    });
    if (this.socket.connected) {
      this.transmit(clientMsgId);
    }
    return { clientMsgId: clientMsgId, done: done };
  }

  async connected() {
    const epoch = ++this.epoch;
    this.status.set("live");
    await Promise.all(Array.from(this.follows.keys(), (id) => this.join(id, epoch)));
    if (epoch !== this.epoch) {
      return; // the connection dropped meanwhile; the next one does all of this again
    }
    for (const clientMsgId of this.pending.keys()) {
      this.transmit(clientMsgId);
    }
    this.connectHandlers.forEach((handler) => handler());
  }

  join(ticketId, epoch) {
    const follow = this.follows.get(ticketId);
    const payload = { ticket_id: ticketId, since_id: follow.since() };
    return new Promise((resolve) => {
      this.socket.timeout(ACK_TIMEOUT_MS).emit("join_ticket", payload, (lost, ack) => {
        if (epoch !== this.epoch) {
          resolve();
        } else if (lost) {
          // A slow answer on a live connection: ask again; a dropped one rejoins on reconnect.
          resolve(this.socket.connected ? this.join(ticketId, epoch) : undefined);
        } else if (!ack || !ack.ok) {
          if (follow.refused) {
            follow.refused((ack && ack.error) || {});
          }
          resolve();
        } else {
          follow.replay(ack.messages || []);
          // A long absence is replayed in pages: ask for the next one after the last we have.
          resolve(ack.more ? this.join(ticketId, epoch) : undefined);
        }
      });
    });
  }

  transmit(clientMsgId) {
    const item = this.pending.get(clientMsgId);
    if (!item || !this.socket.connected) {
      return;
    }
    const epoch = this.epoch;
    this.socket.timeout(ACK_TIMEOUT_MS).emit("send_message", item.payload, (lost, ack) => {
      if (this.pending.get(clientMsgId) !== item) {
        return; // answered already (a resend's answer arrived first)
      }
      if (lost) {
        // Sent again now if still connected (it was slow), else after the reconnection.
        if (epoch === this.epoch && this.socket.connected) {
          this.transmit(clientMsgId);
        }
        return;
      }
      if (ack && ack.ok) {
        this.pending.delete(clientMsgId);
        item.resolve(ack.message);
        return;
      }
      const error = (ack && ack.error) || { code: "server_error", message: "" };
      if (error.code === "rate_limited") {
        const wait = Math.max(0.5, Number(error.retry_after) || 1) * 1000;
        window.setTimeout(() => this.transmit(clientMsgId), wait);
        return;
      }
      this.pending.delete(clientMsgId);
      item.reject(error);
    });
  }
}
