// Fired alerts as toasts: bottom-right (above the status bar), newest on
// top, each for about 8 s unless the pointer rests on it, closable, on any tab.

import type { AlertEvent } from "../generated/bindings";
import { h } from "../lib/dom";
import { dateTime } from "../journal/journalView";

export const TOAST_MS = 8000;

export function createToasts(): { element: HTMLElement; show(event: AlertEvent): void } {
  const element = h("div", { class: "toasts", "data-testid": "alert-toasts", role: "region", "aria-label": "Alerts", "aria-live": "polite" });
  const shown = new Set<number>();

  function show(event: AlertEvent): void {
    // A firing re-sent after a restart is shown once.
    if (shown.has(event.id)) return;
    shown.add(event.id);
    let timer = 0;
    const close = () => {
      window.clearTimeout(timer);
      toast.remove();
    };
    const arm = () => (timer = window.setTimeout(close, TOAST_MS));
    const toast = h(
      "div",
      { class: `toast${event.missed ? " missed" : ""}`, role: "status", "data-testid": "alert-toast", "data-alert-id": event.alert_id, "data-event-id": event.id },
      h(
        "div",
        { class: "toast-head" },
        h("span", { class: "toast-icon", "aria-hidden": "true" }, "⚑"),
        h("strong", { class: "toast-symbol" }, event.symbol),
        h("span", { class: "num toast-price" }, event.price.toFixed(2)),
        h("span", { class: "spacer" }),
        h("span", { class: "muted small" }, dateTime(event.at, "America/New_York")),
        h("button", { type: "button", class: "icon-btn", "aria-label": "Close", "data-testid": "alert-toast-close", onclick: close }, "✕"),
      ),
      h("div", { class: "toast-message", title: event.message }, event.missed ? h("span", { class: "badge-missed" }, "Missed while closed") : null, " ", event.message),
    );
    toast.addEventListener("mouseenter", () => window.clearTimeout(timer));
    toast.addEventListener("mouseleave", arm);
    element.prepend(toast);
    arm();
  }

  return { element, show };
}
