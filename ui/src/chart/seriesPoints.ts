// What each lightweight-charts series is given for a bar, and how a streamed
// bar joins the stored bars and indicator columns. Colours and gaps are
// decided here so the first draw and every live update agree.

import type { UTCTimestamp } from "lightweight-charts";
import type { Candle } from "../generated/bindings";
import { toChartTime } from "./nyTime";

export const UP = "#22c55e";
export const DOWN = "#ef4444";

export const barTime = (b: Candle): UTCTimestamp => toChartTime(b.time);

export const candleOf = (b: Candle) => ({ time: barTime(b), open: b.open, high: b.high, low: b.low, close: b.close });

export const volumeOf = (b: Candle) => ({
  time: barTime(b),
  value: b.volume,
  color: b.close >= b.open ? "rgba(34,197,94,0.35)" : "rgba(239,68,68,0.35)",
});

/** Extended hours are shaded only where the axis shows times of day. */
export const sessionOf = (b: Candle, intraday: boolean) => ({
  time: barTime(b),
  value: 1,
  color: intraday && b.extended ? "rgba(124,180,255,0.08)" : "rgba(0,0,0,0)",
});

/** A missing value is a whitespace point: the line breaks instead of dropping to zero. */
export const pointOf = (time: UTCTimestamp, v: number | null | undefined, colour?: string) =>
  v === null || v === undefined ? { time } : colour ? { time, value: v, color: colour } : { time, value: v };

/** Session VWAP is drawn over the regular session only (it carries the last session's value before the open). */
export function valueFor(key: string, b: Candle, v: number | null | undefined, intraday: boolean): number | null | undefined {
  return intraday && b.extended && key.startsWith("vwap") ? null : v;
}

export function histColour(v: number | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  return v >= 0 ? "rgba(34,197,94,0.55)" : "rgba(239,68,68,0.55)";
}

/**
 * Puts a streamed bar and its indicator row into `bars` and `columns` (in place).
 * "older": it went in before the last bar (a fill after a gap), so the series
 * must be redrawn; "last": it replaced the forming bar; "new": it was appended.
 */
export function mergeBar(
  bars: Candle[],
  columns: Map<string, (number | null)[]>,
  b: Candle,
  row: (number | null)[],
  keys: string[],
): "older" | "last" | "new" {
  const last = bars[bars.length - 1];
  if (last && b.time < last.time) {
    const i = bars.findIndex((x) => x.time >= b.time);
    if (bars[i]?.time === b.time) bars[i] = b;
    else bars.splice(i, 0, b);
    keys.forEach((k, j) => {
      const col = columns.get(k);
      if (!col) return;
      if (bars.length > col.length) col.splice(i, 0, row[j] ?? null);
      else col[i] = row[j] ?? null;
    });
    return "older";
  }
  const same = last?.time === b.time;
  if (same) bars[bars.length - 1] = b;
  else bars.push(b);
  keys.forEach((k, j) => {
    const col = columns.get(k);
    if (!col) return;
    if (same) col[col.length - 1] = row[j] ?? null;
    else col.push(row[j] ?? null);
  });
  return same ? "last" : "new";
}
