import { describe, expect, it } from "vitest";
import type { UTCTimestamp } from "lightweight-charts";
import type { Candle } from "../generated/bindings";
import { candleOf, histColour, mergeBar, pointOf, sessionOf, valueFor, volumeOf } from "./seriesPoints";
import { toChartTime } from "./nyTime";

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 3, 14, 30); // 10:30 New York (EDT)

function bar(i: number, close = 100 + i, extra: Partial<Candle> = {}): Candle {
  return { time: T0 + i * MIN, open: 100, high: close + 1, low: 99, close, volume: 1000 + i, vwap: null, extended: false, ...extra };
}

function store(n: number) {
  const bars = Array.from({ length: n }, (_, i) => bar(i * 2));
  const columns = new Map<string, (number | null)[]>([
    ["ema_20", bars.map((_, i) => i * 10)],
    ["rsi_14", bars.map(() => 50)],
  ]);
  return { bars, columns };
}

describe("series points", () => {
  it("gives candles New York wall-clock times and the bar's prices", () => {
    const b = bar(0, 101);
    expect(candleOf(b), "the axis must read New York time, so the point's time is shifted").toEqual({
      time: toChartTime(b.time),
      open: 100,
      high: 102,
      low: 99,
      close: 101,
    });
  });

  it("colours volume by the candle's direction", () => {
    expect(volumeOf(bar(0, 101)).color, "a close above the open is an up bar").toBe("rgba(34,197,94,0.35)");
    expect(volumeOf(bar(0, 99)).color, "a close below the open is a down bar").toBe("rgba(239,68,68,0.35)");
    expect(volumeOf(bar(0, 100)).color, "an unchanged bar counts as up, like the candle").toBe("rgba(34,197,94,0.35)");
  });

  it("shades extended hours only on intraday charts", () => {
    const pre = bar(0, 101, { extended: true });
    expect(sessionOf(pre, true).color, "pre-market on a 1m chart is shaded").toBe("rgba(124,180,255,0.08)");
    expect(sessionOf(pre, false).color, "a daily bar has no session to shade").toBe("rgba(0,0,0,0)");
    expect(sessionOf(bar(0), true).color, "the regular session is not shaded").toBe("rgba(0,0,0,0)");
  });

  it("hides session VWAP outside regular hours but keeps other columns", () => {
    const pre = bar(0, 101, { extended: true });
    expect(valueFor("vwap_upper_1", pre, 100.5, true), "VWAP carries yesterday's value before the open").toBeNull();
    expect(valueFor("ema_20", pre, 100.5, true), "an EMA is valid in extended hours").toBe(100.5);
    expect(valueFor("vwap", pre, 100.5, false), "daily bars are never extended-hours bars").toBe(100.5);
  });

  it("breaks lines at missing values and colours the MACD histogram by sign", () => {
    const t = 1_700_000_000 as UTCTimestamp;
    expect(pointOf(t, null), "a warming-up indicator is a gap, not a zero").toEqual({ time: t });
    expect(pointOf(t, 0), "zero is a real value").toEqual({ time: t, value: 0 });
    expect(pointOf(t, -1, histColour(-1)), "a negative histogram bar is red").toEqual({ time: t, value: -1, color: "rgba(239,68,68,0.55)" });
    expect(histColour(undefined), "no value, no colour").toBeUndefined();
  });
});

describe("merging a streamed bar", () => {
  it("replaces the forming bar and its indicator row", () => {
    const { bars, columns } = store(3);
    const forming = bar(4, 150);
    expect(mergeBar(bars, columns, forming, [7, 60], ["ema_20", "rsi_14"]), "same time as the last bar").toBe("last");
    expect(bars, "no bar is added for an update of the forming one").toHaveLength(3);
    expect(bars[2]!.close).toBe(150);
    expect(columns.get("ema_20"), "the row replaces the last column value").toEqual([0, 10, 7]);
  });

  it("appends a new bar and pads columns the row does not cover", () => {
    const { bars, columns } = store(3);
    expect(mergeBar(bars, columns, bar(6), [1], ["ema_20", "rsi_14"]), "a later time opens a new bar").toBe("new");
    expect(bars.map((b) => b.time), "the new bar goes last").toEqual([T0, T0 + 2 * MIN, T0 + 4 * MIN, T0 + 6 * MIN]);
    expect(columns.get("rsi_14"), "a short row leaves a gap, keeping columns aligned with bars").toEqual([50, 50, 50, null]);
  });

  it("inserts an older bar in time order and keeps the columns aligned", () => {
    const { bars, columns } = store(3);
    expect(mergeBar(bars, columns, bar(1), [5, 40], ["ema_20", "rsi_14"]), "a fill after a gap lands before the last bar").toBe("older");
    expect(bars.map((b) => b.time), "bars stay sorted").toEqual([T0, T0 + MIN, T0 + 2 * MIN, T0 + 4 * MIN]);
    expect(columns.get("ema_20"), "the row is inserted at the bar's index").toEqual([0, 5, 10, 20]);
    expect(columns.get("rsi_14")).toEqual([50, 40, 50, 50]);
  });

  it("overwrites an older bar that is already stored", () => {
    const { bars, columns } = store(3);
    expect(mergeBar(bars, columns, bar(2, 42), [9, 9], ["ema_20", "rsi_14"]), "a corrected older bar still needs a redraw").toBe("older");
    expect(bars, "a corrected bar is not a second bar").toHaveLength(3);
    expect(bars[1]!.close).toBe(42);
    expect(columns.get("ema_20"), "its row replaces the old values in place").toEqual([0, 9, 20]);
  });

  it("ignores keys the chart has no column for", () => {
    const { bars, columns } = store(1);
    mergeBar(bars, columns, bar(2), [1, 2, 3], ["ema_20", "rsi_14", "sma_50"]);
    expect(columns.has("sma_50"), "a disabled indicator's column is not created by a live row").toBe(false);
  });
});
