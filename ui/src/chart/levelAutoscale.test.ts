import { describe, expect, it } from "vitest";
import type { Level, LevelsReport } from "../generated/bindings";
import { nearbyLevels, widenToLevels } from "./levelAutoscale";
import { levelId } from "./levelText";

const PRICE = 500;

function level(label: string, distance: number): Level {
  return {
    kind: "pivot_classic",
    label,
    price: PRICE + distance,
    distance_pts: distance,
    distance_pct: (distance / PRICE) * 100,
    distance_atr: null,
    tests: { touches: 0, rejections: 0, breaks: 0 },
    strength: 1,
    provenance: "test",
  };
}

function report(levels: Level[]): LevelsReport {
  return { symbol: "SPY", at_ms: 0, session: "2024-06-03", price: PRICE, atr: null, levels };
}

const ladder = [40, -1, 3, -30, 1, 2, -2, 10, -3, -20].map((d) => level(`L${d}`, d));

describe("levels kept in the price scale", () => {
  it("takes the three nearest above and below the price", () => {
    const got = nearbyLevels(report(ladder), null).map((l) => l.distance_pts);
    expect(got, "nearest above first, then nearest below; far levels would flatten the candles").toEqual([1, 2, 3, -1, -2, -3]);
  });

  it("adds the selected level even when it is far", () => {
    const far = ladder.find((l) => l.distance_pts === 40)!;
    const got = nearbyLevels(report(ladder), levelId(far));
    expect(got.at(-1), "a selected level must be on screen so its line can be seen").toBe(far);
    expect(got, "the nearest six stay too").toHaveLength(7);
  });

  it("counts a level at the price as above", () => {
    expect(nearbyLevels(report([level("AT", 0)]), null).map((l) => l.label), "distance 0 belongs to the side at or above").toEqual(["AT"]);
  });

  it("keeps nothing without a report", () => {
    expect(nearbyLevels(null, "pivot|P"), "no levels computed yet, nothing to widen for").toEqual([]);
  });
});

describe("widening the autoscale", () => {
  const base = { priceRange: { minValue: 495, maxValue: 505 } };

  it("stretches the range to the levels outside it and keeps the rest", () => {
    const res = widenToLevels({ ...base, margins: { above: 1, below: 2 } }, [level("hi", 10), level("in", 1), level("lo", -8)]);
    expect(res?.priceRange, "both ends move out just far enough to show the levels").toEqual({ minValue: 492, maxValue: 510 });
    expect(res?.margins, "the series' margins are passed through").toEqual({ above: 1, below: 2 });
  });

  it("leaves a range that already holds the levels alone", () => {
    expect(widenToLevels(base, [level("in", 2)])?.priceRange, "an inside level does not change the scale").toEqual(base.priceRange);
  });

  it("does not invent a range where the series has none", () => {
    expect(widenToLevels(null, [level("hi", 10)]), "no data in view: the chart keeps its own default").toBeNull();
  });
});
