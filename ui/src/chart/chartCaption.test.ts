import { describe, expect, it } from "vitest";
import type { Candle, ChartView } from "../generated/bindings";
import { changeOf, chartAttributes, legendText } from "./chartCaption";

const bar = (time: number, open: number, close: number, volume = 1234.6): Candle => ({
  time,
  open,
  high: Math.max(open, close) + 1,
  low: Math.min(open, close) - 1,
  close,
  volume,
  vwap: null,
  extended: false,
});

const view = (bars: Candle[]): ChartView => ({
  symbol: "SPY",
  timeframe: "5m",
  bars,
  source: "memory",
  generation: 7,
  indicator_keys: [],
  indicators: [],
  older_bars: 0,
  live_updates: true,
  refresh_secs: 15,
});

describe("chart caption", () => {
  it("writes the legend with two decimals, a signed change and whole volume", () => {
    expect(legendText(bar(0, 100, 99.5)), "a down bar's change carries a true minus sign").toBe(
      "O 100.00  H 101.00  L 98.50  C 99.50  −0.50  V 1,235",
    );
    expect(legendText(bar(0, 100, 100)), "no change reads as +0.00, like an up bar").toContain("  +0.00  ");
  });

  it("compares the last close with the bar before it", () => {
    expect(changeOf([bar(0, 10, 11), bar(1, 11, 12.25)]), "a rise is up and signed +").toEqual({ text: "+1.25", up: true });
    expect(changeOf([bar(0, 10, 11), bar(1, 11, 10)]), "a fall is down").toEqual({ text: "−1.00", up: false });
    expect(changeOf([bar(0, 10, 11)]), "one bar has nothing to compare with").toBeNull();
  });

  it("tells QA what is drawn and screen readers the last price", () => {
    const bars = [bar(1_000, 10, 11), bar(2_000, 11, 12.5)];
    const attrs = chartAttributes(view(bars), bars, { loads: 2, updates: 5, fills: 1 });
    expect(Object.fromEntries(attrs.data), "the WebDriver suite reads these attributes").toEqual({
      symbol: "SPY",
      timeframe: "5m",
      bars: "2",
      loads: "2",
      updates: "5",
      fills: "1",
      lastTime: "2000",
      lastClose: "12.5",
      generation: "7",
    });
    expect(attrs.label, "the image's name says the symbol, timeframe and last close").toBe("SPY 5m candlestick chart, last 12.50");
  });

  it("describes an empty chart before anything is drawn", () => {
    const attrs = chartAttributes(null, [], { loads: 0, updates: 0, fills: 0 });
    expect(attrs.label, "no chart yet: a generic name").toBe("Price chart");
    expect(Object.fromEntries(attrs.data).generation, "generation 0 means no stream yet").toBe("0");
    expect(Object.fromEntries(attrs.data).lastClose, "no bar, no close").toBe("");
  });
});
