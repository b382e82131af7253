import { describe, expect, it } from "vitest";
import type { Level, LevelKind } from "../generated/bindings";
import { askCoachPrompt, byDistance, distanceText, levelFamily, testsText } from "./levelText";

function level(kind: LevelKind, price: number, distance: number, extra: Partial<Level> = {}): Level {
  return {
    kind,
    label: kind.toUpperCase(),
    price,
    distance_pts: distance,
    distance_pct: (distance / (price - distance)) * 100,
    distance_atr: distance / 5,
    tests: { touches: 0, rejections: 0, breaks: 0 },
    strength: 1,
    provenance: "test",
    ...extra,
  };
}

describe("level text", () => {
  it("orders levels by absolute distance from the price", () => {
    const sorted = byDistance([level("prior_day_high", 110, 10), level("vwap", 99, -1), level("or5_high", 103, 3), level("pivot_classic", 97, -3)]);
    expect(sorted.map((l) => l.kind)).toEqual(["vwap", "or5_high", "pivot_classic", "prior_day_high"]);
  });

  it("names families from the engine's kinds", () => {
    expect(levelFamily("prior_day_high")).toBe("prior");
    expect(levelFamily("or15_low")).toBe("opening");
    expect(levelFamily("pivot_camarilla")).toBe("pivot");
    expect(levelFamily("vwap_upper_1")).toBe("vwap");
    expect(levelFamily("support_zone")).toBe("zone");
    expect(levelFamily("premarket_high")).toBe("premarket");
    expect(levelFamily("expected_range_high")).toBe("range");
  });

  it("writes signed distances and leaves ATR out when unknown", () => {
    expect(distanceText(level("vwap", 101.5, 1.5))).toBe("+1.50 pts · +1.50% · 0.30 ATR");
    expect(distanceText(level("vwap", 98, -2, { distance_atr: null }))).toBe("−2.00 pts · −2.00%");
  });

  it("puts the engine's numbers into the coach prompt", () => {
    const l = level("prior_day_high", 581.2, 1.23, {
      label: "PDH",
      distance_pct: 0.2121,
      distance_atr: 0.351,
      tests: { touches: 2, rejections: 1, breaks: 0 },
      strength: 3,
    });
    expect(testsText(l)).toBe("2 tests today: 1 rejection, 0 breaks");
    expect(askCoachPrompt({ symbol: "SPY", price: 579.97 }, l)).toBe(
      "SPY PDH at 581.20 is 1.23 points (0.21%, 0.35 ATR) above the last price 579.97. 2 tests today: 1 rejection, 0 breaks; strength 3. How should I trade around this level?",
    );
  });
});
