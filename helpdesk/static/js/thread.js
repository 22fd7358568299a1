// A ticket's thread kept live: entries arrive as they are stored and are merged by id, so a
// message replayed after a reconnection, or heard both as an answer and as a broadcast, is
// shown once. Also: who is typing, "Seen" under the viewer's last message the other side
// has read, read receipts for what the viewer sees, the agent-joined notice of a chat, and
// the composer, which sends over the socket when connected and posts the form otherwise.

import { fill } from "./live.js";

const TYPING_SHOWN_MS = 6000;
const TYPING_EVERY_MS = 2500;
const NEAR_END_PX = 96;
const SVG = "http://www.w3.org/2000/svg";

function lockIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "icon icon-lock");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "12");
  svg.setAttribute("height", "12");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "1.8");
  const rect = document.createElementNS(SVG, "rect");
  Object.entries({ x: 5, y: 10.5, width: 14, height: 10, rx: 2 }).forEach(([k, v]) => rect.setAttribute(k, v));
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M8 10.5V7.5a4 4 0 0 1 8 0v3");
  svg.append(rect, path);
  return svg;
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) {
    el.className = className;
  }
  if (text !== undefined) {
    el.textContent = text;
  }
  return el;
}

export class Thread {
  constructor(root, live) {
    const data = root.dataset;
    this.root = root;
    this.live = live;
    this.ticketId = Number(data.ticketId);
    this.viewer = { id: Number(data.viewerId), name: data.viewerName || "", role: data.viewerRole || "" };
    this.requesterId = Number(data.requesterId);
    this.assigneeId = data.assigneeId ? Number(data.assigneeId) : null;
    this.staff = data.staff === "true";
    this.chat = data.chat === "true";
    this.seenUpTo = Number(data.seenUpTo) || 0;
    this.status = data.status || "";
    this.labels = JSON.parse(data.labels || "{}");
    this.scroller = root.closest("[data-chat-log]");
    const area = root.closest(".live-thread, .chat") || document;
    this.typingLine = area.querySelector("[data-typing]");
    this.announcer = area.querySelector("[data-thread-announce]");
    this.end = root.querySelector("#latest");
    this.byId = new Map();
    this.byClientId = new Map();
    this.typers = new Map();
    this.readSent = 0;
    this.lastId = 0;
    root.querySelectorAll("article.msg[data-message-id]").forEach((el) => {
      const id = Number(el.getAttribute("data-message-id"));
      this.byId.set(id, el);
      this.lastId = Math.max(this.lastId, id);
    });
    this.when = this.timeFormat(data.timezone);
  }

  timeFormat(zone) {
    const lang = document.documentElement.lang || undefined;
    try {
      return new Intl.DateTimeFormat(lang, { dateStyle: "short", timeStyle: "short", timeZone: zone });
    } catch (error) {
      return new Intl.DateTimeFormat(lang, { dateStyle: "short", timeStyle: "short" });
    }
  }

  start() {
    this.live.follow(this.ticketId, {
      since: () => this.lastId,
      replay: (messages) => messages.forEach((m) => this.add(m)),
    });
    this.live.on("message", (payload) => {
      if (payload && payload.ticket_id === this.ticketId) {
        this.add(payload.message);
      }
    });
    this.live.on("typing", (payload) => this.heardTyping(payload));
    this.live.on("read", (payload) => this.heardRead(payload));
    this.live.on("ticket_updated", (payload) => this.ticketChanged(payload && payload.ticket));
    this.live.on("ticket_assigned", (payload) => this.ticketChanged(payload && payload.ticket));
    this.live.onConnect(() => this.sendRead());
    document.addEventListener("visibilitychange", () => this.sendRead());
    window.addEventListener("focus", () => this.sendRead());
    this.renderSeen();
    this.scrollToEnd();
  }

  // --- entries -----------------------------------------------------------------------

  /** Show a stored message once, in id order; a pending line of ours becomes it. */
  add(message) {
    if (!message || typeof message.id !== "number" || this.byId.has(message.id)) {
      return;
    }
    const stick = this.nearEnd();
    const authorId = message.author ? message.author.id : null;
    const mine = authorId === this.viewer.id;
    let el = mine && message.client_msg_id ? this.byClientId.get(message.client_msg_id) : null;
    if (el) {
      this.byClientId.delete(message.client_msg_id);
      el.remove(); // placed again below, by id, as the stored entry
    }
    el = this.build(message);
    this.place(el, message.id);
    this.byId.set(message.id, el);
    this.lastId = Math.max(this.lastId, message.id);
    if (!mine) {
      this.typers.delete(authorId);
      this.renderTyping();
      if (message.author) {
        this.announce(fill(this.labels.new_message, { name: message.author.name }));
      }
      this.sendRead();
    }
    this.renderSeen();
    if (stick || mine) {
      this.scrollToEnd();
    }
  }

  /** The markup of templates/_macros.html `entry`, for a message that arrived live. */
  build(message, pending) {
    const author = message.author;
    const mine = author && author.id === this.viewer.id;
    const system = message.kind === "system";
    const classes = ["msg"];
    if (mine) classes.push("msg-mine");
    if (message.internal) classes.push("msg-internal");
    if (system) classes.push("msg-system");
    const article = element("article", classes.join(" "));
    if (typeof message.id === "number") {
      article.id = "m" + message.id;
      article.setAttribute("data-message-id", String(message.id));
    }
    if (author) {
      article.setAttribute("data-author-id", String(author.id));
    }
    const avatar = element("span", "avatar" + (message.internal ? " avatar-internal" : ""), (author ? author.name.slice(0, 1) : "•").toUpperCase());
    avatar.setAttribute("aria-hidden", "true");
    const card = element("div", "msg-card");
    const head = element("header", "msg-head");
    head.append(element("bdi", "msg-author", author ? author.name : this.labels.helpdesk));
    const tag = this.tagFor(author);
    if (tag) {
      head.append(element("span", "tag", tag));
    }
    if (message.internal) {
      const note = element("span", "tag tag-internal");
      note.append(lockIcon(), this.labels.internal || "");
      head.append(note);
    }
    const time = element("span", "msg-time");
    const stamp = new Date(message.created_at || Date.now());
    const timeEl = element("time", "", this.when.format(stamp));
    timeEl.setAttribute("datetime", stamp.toISOString());
    time.append(timeEl, " ", element("span", "muted", "(" + (this.labels.just_now || "") + ")"));
    head.append(time);
    const body = element("div", "msg-body", message.body);
    body.setAttribute("dir", "auto");
    card.append(head, body);
    article.append(avatar, card);
    if (pending) {
      article.classList.add("msg-pending");
      article.setAttribute("data-pending", "");
      article.append(element("p", "msg-state", this.labels.sending));
    }
    return article;
  }

  tagFor(author) {
    if (!author) {
      return "";
    }
    const fromRequester = author.id === this.requesterId;
    if (this.staff) {
      return fromRequester ? this.labels.requester : this.labels["role_" + author.role] || "";
    }
    return fromRequester ? "" : this.labels.support;
  }

  /** Before the first entry with a larger id or still being sent; else at the end. */
  place(el, id) {
    let before = this.end;
    for (const other of this.root.querySelectorAll("article.msg")) {
      const otherId = Number(other.getAttribute("data-message-id"));
      if (other.hasAttribute("data-pending") || (otherId && id !== null && otherId > id)) {
        before = other;
        break;
      }
    }
    this.root.insertBefore(el, before);
  }

  /** A line in the thread that is not a message (an agent joined). */
  notice(text) {
    const p = element("p", "thread-notice", text);
    this.place(p, Number.MAX_SAFE_INTEGER);
    this.scrollToEnd();
  }

  // --- sending -------------------------------------------------------------------------

  /** Send the viewer's line: shown at once as "Sending…", then as the stored message. */
  sendOwn(body, internal) {
    const sent = this.live.send(this.ticketId, body, internal ? { internal: true } : {});
    const draft = {
      id: null,
      author: this.viewer,
      body: body,
      internal: internal,
      kind: internal ? "note" : "chat",
      created_at: new Date().toISOString(),
      client_msg_id: sent.clientMsgId,
    };
    const el = this.build(draft, true);
    this.byClientId.set(sent.clientMsgId, el);
    this.root.insertBefore(el, this.end);
    this.scrollToEnd();
    sent.done.then(
      (message) => this.add(message),
      (error) => this.failed(sent.clientMsgId, error),
    );
  }

  failed(clientMsgId, error) {
    const el = this.byClientId.get(clientMsgId);
    if (!el) {
      return;
    }
    el.removeAttribute("data-pending");
    el.classList.remove("msg-pending");
    el.classList.add("msg-failed");
    const state = el.querySelector(".msg-state");
    state.textContent = fill(this.labels.not_sent, { reason: error.message || error.code || "" });
    state.setAttribute("role", "alert");
  }

  // --- typing, reading, seen -------------------------------------------------------------

  heardTyping(payload) {
    if (!payload || payload.ticket_id !== this.ticketId || !payload.user) {
      return;
    }
    if (payload.user.id === this.viewer.id) {
      return;
    }
    this.typers.set(payload.user.id, { name: payload.user.name, until: Date.now() + TYPING_SHOWN_MS });
    this.renderTyping();
    window.setTimeout(() => this.renderTyping(), TYPING_SHOWN_MS + 50);
  }

  renderTyping() {
    if (!this.typingLine) {
      return;
    }
    const now = Date.now();
    const names = [];
    this.typers.forEach((typer, id) => {
      if (typer.until > now) {
        names.push(typer.name);
      } else {
        this.typers.delete(id);
      }
    });
    const text = names.length ? fill(this.labels.typing, { name: names.join(", ") }) : "";
    if (this.typingLine.textContent !== text) {
      this.typingLine.textContent = text;
    }
  }

  /** Tell the server (so the other side) how far this viewer has read, when they can see it. */
  sendRead() {
    if (document.visibilityState !== "visible" || !this.live.isConnected) {
      return;
    }
    let newest = 0;
    this.byId.forEach((el, id) => {
      const author = Number(el.getAttribute("data-author-id"));
      if (author !== this.viewer.id && !el.classList.contains("msg-internal") && id > newest) {
        newest = id;
      }
    });
    if (!newest || newest <= this.readSent) {
      return;
    }
    this.readSent = newest;
    this.live.request("read", { ticket_id: this.ticketId, message_id: newest }).catch(() => {
      this.readSent = 0; // told again on the next message, focus or reconnection
    });
  }

  heardRead(payload) {
    if (!payload || payload.ticket_id !== this.ticketId || !payload.user) {
      return;
    }
    const reader = payload.user.id;
    // Customers see that support read them; staff see that the customer did.
    if (reader === this.viewer.id || (this.staff && reader !== this.requesterId)) {
      return;
    }
    if (payload.message_id > this.seenUpTo) {
      this.seenUpTo = payload.message_id;
      this.renderSeen();
    }
  }

  /** "Seen" under the viewer's latest message the other side has read. */
  renderSeen() {
    this.root.querySelectorAll("[data-seen]").forEach((el) => el.remove());
    let target = null;
    let targetId = 0;
    this.byId.forEach((el, id) => {
      if (el.classList.contains("msg-mine") && !el.classList.contains("msg-internal") && id <= this.seenUpTo && id > targetId) {
        target = el;
        targetId = id;
      }
    });
    if (target) {
      const seen = element("p", "msg-seen", this.labels.seen);
      seen.setAttribute("data-seen", "");
      target.append(seen);
    }
  }

  // --- the ticket itself ---------------------------------------------------------------

  ticketChanged(ticket) {
    if (!ticket || ticket.id !== this.ticketId) {
      return;
    }
    const label = (this.labels.statuses || {})[ticket.status];
    document.querySelectorAll("[data-status-badge] .badge").forEach((badge) => {
      badge.className = "badge status status-" + ticket.status;
      badge.textContent = label || ticket.status;
    });
    // The staff status select follows too, unless the agent has already picked another value.
    const select = document.querySelector("select[name=status]");
    if (select && select.value === this.status) {
      select.value = ticket.status;
    }
    this.status = ticket.status;
    const assignee = ticket.assignee || null;
    const assigneeId = assignee ? assignee.id : null;
    if (assigneeId === this.assigneeId) {
      return;
    }
    this.assigneeId = assigneeId;
    if (!assignee) {
      return;
    }
    if (!this.staff) {
      if (this.chat) {
        this.notice(fill(this.labels.joined, { name: assignee.name }));
        const line = document.querySelector("[data-chat-with]");
        if (line) {
          const avatar = element("span", "avatar avatar-agent", assignee.name.slice(0, 1).toUpperCase());
          avatar.setAttribute("aria-hidden", "true");
          line.replaceChildren(avatar, element("span", "", fill(this.labels.chatting_with, { name: assignee.name })));
        }
      }
      return;
    }
    const take = document.querySelector("[data-take-form]");
    if (take) {
      take.hidden = true; // someone took it meanwhile; reloading offers "Take it from …"
    }
    if (assigneeId !== this.viewer.id) {
      this.notice(fill(this.chat ? this.labels.accepted : this.labels.assigned_to, { name: assignee.name }));
    }
  }

  // --- helpers -------------------------------------------------------------------------

  announce(text) {
    // The chat log announces its own entries (role=log); other threads use a status line.
    if (this.announcer && !this.scroller) {
      this.announcer.textContent = text;
    }
  }

  nearEnd() {
    if (!this.scroller) {
      return false;
    }
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_END_PX;
  }

  scrollToEnd() {
    if (this.scroller) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
    }
  }
}

/** The reply form: over the socket while connected (typing included), a normal POST otherwise. */
export class Composer {
  constructor(form, thread, live) {
    this.form = form;
    this.thread = thread;
    this.live = live;
    this.box = form.querySelector("textarea[name=body]");
    this.internal = form.querySelector("input[name=internal]");
    this.typingSent = 0;
    if (!this.box) {
      return;
    }
    form.addEventListener("submit", (event) => this.submit(event));
    this.box.addEventListener("input", () => this.typed());
    if (thread.chat) {
      this.box.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey && !event.isComposing) {
          event.preventDefault();
          if (typeof form.requestSubmit === "function") {
            form.requestSubmit();
          } else {
            form.dispatchEvent(new Event("submit", { cancelable: true }));
          }
        }
      });
    }
  }

  submit(event) {
    const body = this.box.value.trim();
    if (!body || !this.live.isConnected) {
      return; // posted as a form: the server stores it or says what is wrong
    }
    event.preventDefault();
    this.form.querySelectorAll(".field-errors, .alert-error").forEach((el) => el.remove());
    this.box.removeAttribute("aria-invalid");
    this.thread.sendOwn(body, Boolean(this.internal && this.internal.checked));
    this.box.value = "";
    this.typingSent = 0;
    this.box.focus();
  }

  typed() {
    // Notes are for colleagues: writing one does not show the customer "typing…".
    if (!this.box.value.trim() || (this.internal && this.internal.checked)) {
      return;
    }
    const now = Date.now();
    if (now - this.typingSent > TYPING_EVERY_MS) {
      this.typingSent = now;
      this.live.notify("typing", { ticket_id: this.thread.ticketId });
    }
  }
}
