import { describe, expect, it } from "vitest";
import { DEFAULT_OVERLAYS, OVERLAYS, paneIndex } from "./overlays";

describe("overlays", () => {
  it("puts price overlays on the price pane whatever is enabled", () => {
    expect(paneIndex(0, new Set()), "EMA/VWAP share the candles' pane").toBe(0);
    expect(paneIndex(0, new Set(["rsi", "macd"])), "oscillators never move the price pane").toBe(0);
  });

  it("moves MACD up into RSI's place when RSI is off", () => {
    expect(paneIndex("rsi", new Set(["rsi", "macd"])), "RSI is the first pane under the price").toBe(1);
    expect(paneIndex("macd", new Set(["rsi", "macd"])), "MACD sits under RSI when both are on").toBe(2);
    expect(paneIndex("macd", new Set(["macd"])), "an empty RSI pane is removed, so MACD takes pane 1").toBe(1);
  });

  it("draws each engine column once and starts with overlays that exist", () => {
    const keys = OVERLAYS.flatMap((o) => o.lines.map((l) => l.key));
    expect(new Set(keys).size, "two series on one column would overwrite each other in the series map").toBe(keys.length);
    const ids = new Set(OVERLAYS.map((o) => o.id));
    for (const id of DEFAULT_OVERLAYS) expect(ids.has(id), `default overlay ${id} must have a toolbar button`).toBe(true);
  });
});
