// The chart's clock is New York's. lightweight-charts draws times as UTC, so
// each bar's unix time is shifted by New York's UTC offset at that instant
// (EST −5 h, EDT −4 h, changing on the right days): the axis and crosshair
// then read New York wall-clock time, across DST changes, on any machine.

import type { UTCTimestamp } from "lightweight-charts";

const offsetFormat = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

const offsetCache = new Map<number, number>();

/** New York's offset from UTC at `ms`, in ms (−4 h or −5 h). */
export function nyOffsetMs(ms: number): number {
  // DST changes happen at 06:00/07:00 UTC; within a UTC hour the offset is fixed.
  const hour = Math.floor(ms / 3_600_000);
  const hit = offsetCache.get(hour);
  if (hit !== undefined) return hit;
  const parts: Record<string, number> = {};
  for (const p of offsetFormat.formatToParts(new Date(hour * 3_600_000))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const offset = wall - hour * 3_600_000;
  if (offsetCache.size > 50_000) offsetCache.clear();
  offsetCache.set(hour, offset);
  return offset;
}

/** A bar's time on the chart's axis: New York wall-clock seconds. */
export function toChartTime(ms: number): UTCTimestamp {
  return Math.round((ms + nyOffsetMs(ms)) / 1000) as UTCTimestamp;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** Crosshair label for a chart time: "Tue 2 Jul 2024 10:05 ET" (intraday) or "Tue 2 Jul 2024" (daily). */
export function crosshairLabel(chartSeconds: number, intraday: boolean): string {
  const d = new Date(chartSeconds * 1000);
  const date = `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  return intraday ? `${date} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} ET` : date;
}

/** Tick marks: the year, month or day at coarse marks, HH:MM within a day. */
export function tickLabel(chartSeconds: number, kind: "year" | "month" | "day" | "time"): string {
  const d = new Date(chartSeconds * 1000);
  switch (kind) {
    case "year":
      return String(d.getUTCFullYear());
    case "month":
      return MONTHS[d.getUTCMonth()]!;
    case "day":
      return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
    case "time":
      return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
  }
}
