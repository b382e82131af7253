// The P&L tracker: today's and this week's realized P&L with a sparkline of
// the last ten days, and the open trades' unrealized P&L, live from the
// engine's follow (the socket re-marks them). One follow serves every
// tracker on screen (the Journal tab's and the coach's cards).

import type { PnlTrackerView } from "../generated/bindings";
import { ipc } from "../ipc";
import { h, replace } from "../lib/dom";
import { money } from "./journalCharts";

type Listener = (v: PnlTrackerView) => void;
const listeners = new Set<Listener>();
let latest: PnlTrackerView | null = null;
/** The follow this page started last (the engine's newest wins). */
let current: Promise<PnlTrackerView | null> | null = null;

function start(): void {
  const mine: Promise<PnlTrackerView | null> = ipc
    .pnlFollow((v) => {
      if (current === mine) publish(v);
    })
    .then((v) => {
      if (current === mine) publish(v);
      return v;
    })
    .catch(() => {
      if (current === mine) current = null;
      return null;
    });
  current = mine;
}

/** Ends this page's follow, and only it (a newer one started elsewhere is left alone). */
function stop(): void {
  const id = latest?.follow_id;
  current = null;
  latest = null;
  if (id) void ipc.pnlUnfollow(id).catch(() => {});
}

if (typeof window !== "undefined") window.addEventListener("beforeunload", () => stop());

/** Hears every tracker view from now on (the current one at once, if any); returns the way to stop. */
export function subscribePnl(cb: Listener): () => void {
  listeners.add(cb);
  if (latest) cb(latest);
  if (!current) start();
  return () => {
    listeners.delete(cb);
    // Another tracker may take over in the same turn (a redraw): stop only when none did.
    queueMicrotask(() => {
      if (listeners.size === 0 && current) stop();
    });
  };
}

/** Starts the follow again (the journal changed): the engine's newest follow replaces the old one. */
export function restartPnl(): void {
  if (listeners.size === 0) return;
  start();
}

function publish(v: PnlTrackerView): void {
  latest = v;
  for (const l of [...listeners]) l(v);
}

/** A small bar sparkline of daily P&L (green up, red down). */
export function sparkline(days: { date: string; pnl: number }[]): SVGElement {
  const NS = "http://www.w3.org/2000/svg";
  const w = 120;
  const hgt = 28;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Realized P&L, last ${days.length} days`);
  const max = Math.max(1e-9, ...days.map((d) => Math.abs(d.pnl)));
  const bw = w / Math.max(1, days.length);
  days.forEach((d, i) => {
    const bar = document.createElementNS(NS, "rect");
    const len = (Math.abs(d.pnl) / max) * (hgt / 2 - 1);
    bar.setAttribute("x", String(i * bw + 1));
    bar.setAttribute("width", String(Math.max(1, bw - 2)));
    bar.setAttribute("y", String(d.pnl >= 0 ? hgt / 2 - len : hgt / 2));
    bar.setAttribute("height", String(Math.max(0.5, len)));
    bar.setAttribute("class", d.pnl > 0 ? "up" : d.pnl < 0 ? "down" : "flat");
    const title = document.createElementNS(NS, "title");
    title.textContent = `${d.date}: ${money(d.pnl)}`;
    bar.append(title);
    svg.append(bar);
  });
  return svg;
}

const tone = (v: number) => (Math.abs(v) < 0.005 ? "" : v > 0 ? "up" : "down");

/** Draws `v` into `el` (the same element is redrawn on every update). */
export function drawPnl(el: HTMLElement, v: PnlTrackerView, opts: { compact?: boolean } = {}): void {
  el.dataset.asOf = v.as_of;
  el.dataset.unrealized = String(v.unrealized);
  replace(
    el,
    h(
      "div",
      { class: "pnl-head" },
      h("div", { class: "pnl-fig", "data-field": "today" }, h("span", { class: "muted" }, "Today"), h("span", { class: `num ${tone(v.today_realized)}` }, money(v.today_realized)), h("span", { class: "muted small" }, `${v.today_trades} closed`)),
      h("div", { class: "pnl-fig", "data-field": "week" }, h("span", { class: "muted" }, "This week"), h("span", { class: `num ${tone(v.week_realized)}` }, money(v.week_realized)), h("span", { class: "muted small" }, `${v.week_trades} closed`)),
      h("div", { class: "pnl-fig", "data-field": "unrealized" }, h("span", { class: "muted" }, "Open (unrealized)"), h("span", { class: `num ${tone(v.unrealized)}` }, money(v.unrealized)), h("span", { class: "muted small" }, `${v.open.length} open${v.unpriced ? `, ${v.unpriced} without a price` : ""}`)),
      sparkline(v.sparkline),
    ),
    v.open.length === 0
      ? null
      : h(
          "table",
          { class: "pnl-open" },
          h(
            "tbody",
            {},
            v.open.slice(0, opts.compact ? 5 : 50).map((o) =>
              h(
                "tr",
                { "data-testid": "pnl-open-row", "data-id": String(o.id), "data-mark": o.mark === null ? "" : String(o.mark), "data-unrealized": o.unrealized === null ? "" : String(o.unrealized) },
                h("td", { class: "sym" }, o.symbol),
                h("td", { class: "num" }, `${o.side === "long" ? "+" : "−"}${o.quantity}`),
                h("td", { class: "num" }, o.mark === null ? "—" : o.mark.toFixed(2)),
                h("td", { class: `num ${o.unrealized === null ? "" : tone(o.unrealized)}` }, o.unrealized === null ? "—" : money(o.unrealized)),
                opts.compact ? null : h("td", { class: "muted small" }, o.source),
              ),
            ),
          ),
        ),
  );
}

/** A live tracker element: follows while it is on screen. */
export function liveTracker(initial: PnlTrackerView | null, opts: { compact?: boolean } = {}): HTMLElement {
  const el = h("div", { class: "pnl-tracker", "data-testid": "pnl-tracker" });
  if (initial) drawPnl(el, initial, opts);
  else replace(el, h("p", { class: "muted" }, "Loading P&L…"));
  const stop = subscribePnl((v) => {
    // A tracker taken off screen (a closed tab, a windowed-out message) stops listening.
    if (!el.isConnected && el.dataset.attached === "true") {
      stop();
      return;
    }
    if (el.isConnected) el.dataset.attached = "true";
    drawPnl(el, v, opts);
  });
  return el;
}
