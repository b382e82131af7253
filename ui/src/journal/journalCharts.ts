// The journal's pictures: the equity curve with its drawdown, the calendar of
// daily P&L and the hour × weekday heatmap. Every number comes from the
// engine's Dashboard; nothing here computes a figure.

import type { DayPnl, EquityPoint, HourCell } from "../generated/bindings";
import { h } from "../lib/dom";
import { uiLocale } from "../lib/locale";
import { lineChart } from "../options/svgChart";

/** Dollars with a sign and cents: "+$1,234.56", "−$421.14", "$0.00". */
export function money(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const abs = Math.abs(v).toLocaleString(uiLocale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (Math.abs(v) < 0.005) return `$${abs}`;
  return `${v > 0 ? "+" : "−"}$${abs}`;
}

/** A rate as a percentage with one decimal: 0.8 → "80.0 %". */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)} %`;
}

/** The equity curve and, below zero, its drawdown. */
export function equityChart(points: EquityPoint[]): SVGElement {
  const t = (p: EquityPoint) => Date.parse(p.time);
  return lineChart({
    title: "Equity (net P&L) and drawdown",
    testId: "equity-curve",
    width: 520,
    height: 180,
    series: [
      { name: "equity", cls: "equity", points: points.map((p) => [t(p), p.equity]) },
      { name: "drawdown", cls: "drawdown", points: points.map((p) => [t(p), -p.drawdown]) },
    ],
    xFormat: (x) => new Date(x).toLocaleDateString(uiLocale, { month: "short", day: "numeric", timeZone: "UTC" }),
    yFormat: (y, fine) => `${y < 0 ? "−" : ""}$${Math.abs(y).toFixed(fine ? 1 : 0)}`,
  });
}

/** A cell's colour: green for a gain, red for a loss, stronger the larger. */
export function heat(v: number, max: number): string {
  if (!(max > 0) || Math.abs(v) < 0.005) return "var(--panel-2)";
  const a = 0.2 + 0.8 * Math.min(1, Math.abs(v) / max);
  return v > 0 ? `rgba(74, 222, 128, ${a.toFixed(2)})` : `rgba(248, 113, 113, ${a.toFixed(2)})`;
}

/** Each month with a trade closed, as weeks (Monday first) of days. */
export function calendarMonths(days: DayPnl[]): { month: string; weeks: (DayPnl | null)[][] }[] {
  const byDate = new Map(days.map((d) => [d.date, d]));
  const months = [...new Set(days.map((d) => d.date.slice(0, 7)))].sort();
  return months.map((m) => {
    const [y, mo] = m.split("-").map(Number) as [number, number];
    const first = new Date(Date.UTC(y, mo - 1, 1));
    const count = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    const lead = (first.getUTCDay() + 6) % 7; // Monday = 0
    const cells: (DayPnl | null)[] = Array.from({ length: lead }, () => null);
    for (let d = 1; d <= count; d++) {
      const date = `${m}-${String(d).padStart(2, "0")}`;
      cells.push(byDate.get(date) ?? { date, pnl: Number.NaN });
    }
    while (cells.length % 7) cells.push(null);
    const weeks: (DayPnl | null)[][] = [];
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
    return { month: m, weeks };
  });
}

/** The calendar of daily net P&L (days with no closed trade are blank). */
export function calendarHeatmap(days: DayPnl[]): HTMLElement {
  const max = Math.max(0, ...days.map((d) => Math.abs(d.pnl)));
  const monthName = (m: string) =>
    new Date(`${m}-01T12:00:00Z`).toLocaleDateString(uiLocale, { month: "long", year: "numeric", timeZone: "UTC" });
  return h(
    "div",
    { class: "pnl-calendar", "data-testid": "pnl-heatmap", role: "group", "aria-label": "Daily P&L calendar" },
    days.length === 0 ? h("p", { class: "muted" }, "No closed trades in this range.") : null,
    calendarMonths(days).map(({ month, weeks }) =>
      h(
        "div",
        { class: "cal-month" },
        h("div", { class: "cal-title" }, monthName(month)),
        h("div", { class: "cal-grid cal-head" }, ["M", "T", "W", "T", "F", "S", "S"].map((d) => h("span", {}, d))),
        weeks.map((w) =>
          h(
            "div",
            { class: "cal-grid" },
            w.map((d) =>
              d === null
                ? h("span", { class: "cal-day empty" })
                : h(
                    "span",
                    {
                      class: `cal-day${Number.isNaN(d.pnl) ? " none" : ""}`,
                      style: Number.isNaN(d.pnl) ? "" : `background:${heat(d.pnl, max)}`,
                      title: Number.isNaN(d.pnl) ? d.date : `${d.date}: ${money(d.pnl)}`,
                      "data-date": d.date,
                      "data-pnl": Number.isNaN(d.pnl) ? "" : String(d.pnl),
                    },
                    String(Number(d.date.slice(8))),
                  ),
            ),
          ),
        ),
      ),
    ),
  );
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Net P&L by the hour and weekday a trade was opened (display zone). */
export function hourWeekdayHeatmap(cells: HourCell[], zone: string): HTMLElement {
  if (cells.length === 0) return h("p", { class: "muted", "data-testid": "hour-heatmap" }, "No closed trades in this range.");
  const hours = cells.map((c) => c.hour);
  const [h0, h1] = [Math.min(...hours), Math.max(...hours)];
  const days = [...new Set(cells.map((c) => c.weekday))].sort((a, b) => a - b);
  const max = Math.max(...cells.map((c) => Math.abs(c.pnl)));
  const at = new Map(cells.map((c) => [`${c.weekday}|${c.hour}`, c]));
  const cols = Array.from({ length: h1 - h0 + 1 }, (_, i) => h0 + i);
  return h(
    "table",
    { class: "hour-heatmap", "data-testid": "hour-heatmap", "aria-label": `Net P&L by hour opened (${zone})` },
    h("thead", {}, h("tr", {}, h("th", {}, ""), cols.map((c) => h("th", { scope: "col" }, String(c).padStart(2, "0"))))),
    h(
      "tbody",
      {},
      days.map((d) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, WEEKDAYS[d] ?? String(d)),
          cols.map((c) => {
            const cell = at.get(`${d}|${c}`);
            return h(
              "td",
              cell
                ? { style: `background:${heat(cell.pnl, max)}`, title: `${WEEKDAYS[d]} ${String(c).padStart(2, "0")}:00 — ${cell.trades} trade(s), ${money(cell.pnl)}` }
                : {},
              cell ? String(cell.trades) : "",
            );
          }),
        ),
      ),
    ),
  );
}
