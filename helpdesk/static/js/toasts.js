// Toasts: short notices in the page's polite live region (role=status), each with a link
// to what it is about and a dismiss button. Alerts that matter (breaches) stay until
// dismissed; the others leave after a while, but not while pointed at or focused.

const STAY_MS = 12000;
const MAX_SHOWN = 4;
const REPEAT_MS = 3000; // one event heard through two rooms shows once

export class Toasts {
  constructor(region, labels) {
    this.region = region;
    this.labels = labels;
    this.recent = new Map();
  }

  /** Show a toast: {text, detail?, href?, tone?, sticky?, key?}. */
  show(options) {
    const key = options.key || options.text;
    const now = Date.now();
    if (this.recent.has(key) && now - this.recent.get(key) < REPEAT_MS) {
      return null;
    }
    this.recent.set(key, now);

    const toast = document.createElement("div");
    toast.className = "toast toast-" + (options.tone || "info");
    const body = document.createElement("p");
    body.className = "toast-text";
    const strong = document.createElement("strong");
    strong.textContent = options.text;
    body.append(strong);
    if (options.detail) {
      const detail = document.createElement("span");
      detail.className = "toast-detail";
      detail.setAttribute("dir", "auto");
      detail.textContent = options.detail;
      body.append(" ", detail);
    }
    toast.append(body);
    if (options.href) {
      const link = document.createElement("a");
      link.className = "toast-link";
      link.href = options.href;
      link.textContent = this.labels.open || "Open";
      toast.append(link);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", this.labels.dismiss || "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => toast.remove());
    toast.append(close);

    this.region.append(toast);
    while (this.region.children.length > MAX_SHOWN) {
      this.region.firstElementChild.remove();
    }
    if (!options.sticky) {
      this.expire(toast);
    }
    return toast;
  }

  expire(toast) {
    let timer = null;
    const start = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => toast.remove(), STAY_MS);
    };
    const hold = () => window.clearTimeout(timer);
    toast.addEventListener("mouseenter", hold);
    toast.addEventListener("focusin", hold);
    toast.addEventListener("mouseleave", start);
    toast.addEventListener("focusout", start);
    start();
  }
}
