import { describe, expect, it } from "vitest";
import type { Level, LevelsReport } from "../generated/bindings";
import { labelWishes, layoutLabels, type LabelWish } from "./levelLayout";
import { levelId } from "./levelText";

const H = 18;
const w = (want: number, priority = 0): LabelWish => ({ want, priority });

function placedOf(ys: (number | null)[]): number[] {
  return ys.filter((y): y is number => y !== null);
}

function noOverlap(ys: (number | null)[]): boolean {
  const s = placedOf(ys).sort((a, b) => a - b);
  return s.every((y, i) => i === 0 || y - s[i - 1]! >= H - 1e-9);
}

describe("level label layout", () => {
  it("leaves labels that do not collide on their lines", () => {
    expect(layoutLabels([w(50), w(100), w(300)], H, 400)).toEqual([50, 100, 300]);
  });

  it("nudges a neighbour just enough to clear the one placed first", () => {
    const ys = layoutLabels([w(200, 0), w(205, 1)], H, 400);
    expect(ys[0]).toBe(200);
    expect(ys[1]).toBe(218);
  });

  it("leaves out what cannot sit near its line, keeping the more important label", () => {
    const ys = layoutLabels([w(200, 2), w(201, 0), w(202, 1)], H, 400);
    expect(ys[1]).toBe(201);
    expect(noOverlap(ys)).toBe(true);
    expect(placedOf(ys)).toHaveLength(3); // 183, 201, 219 are all within one label height
    const crowded = layoutLabels([w(200, 3), w(200, 0), w(200, 1), w(200, 2)], H, 400);
    expect(crowded[1]).toBe(200);
    expect(crowded[0]).toBeNull(); // the least important of four at one price
  });

  it("keeps labels inside the pane and pins lines beyond it to the edge", () => {
    const ys = layoutLabels([w(-50), w(500, 1)], H, 400);
    expect(ys).toEqual([H / 2, 400 - H / 2]);
  });

  it("holds its promises for random sets", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rnd() * 40);
      const wishes = Array.from({ length: n }, () => w(rnd() * 700 - 50, Math.floor(rnd() * 5)));
      const ys = layoutLabels(wishes, H, 600);
      expect(noOverlap(ys)).toBe(true);
      ys.forEach((y, i) => {
        if (y === null) return;
        expect(y).toBeGreaterThanOrEqual(H / 2 - 1e-9);
        expect(y).toBeLessThanOrEqual(600 - H / 2 + 1e-9);
        const target = Math.min(600 - H / 2, Math.max(H / 2, wishes[i]!.want));
        expect(Math.abs(y - target)).toBeLessThanOrEqual(H + 1e-9);
      });
      // The most important label always gets its place.
      const best = wishes.reduce((b, x, i) => (x.priority < wishes[b]!.priority ? i : b), 0);
      expect(ys[best]).not.toBeNull();
    }
  });
});

function lv(label: string, distance: number, strength = 1): Level {
  return {
    kind: "pivot_classic",
    label,
    price: 500 + distance,
    distance_pts: distance,
    distance_pct: distance / 5,
    distance_atr: null,
    tests: { touches: 0, rejections: 0, breaks: 0 },
    strength,
    provenance: "test",
  };
}

const reportOf = (levels: Level[]): LevelsReport => ({ symbol: "SPY", at_ms: 0, session: "2024-06-03", price: 500, atr: null, levels });

describe("label wishes", () => {
  it("wants the line's own y while it is on screen", () => {
    const wishes = labelWishes(reportOf([lv("A", 2), lv("B", -2)]), [100, 300], 400, null);
    expect(wishes.map((x) => x.want), "on-screen labels sit beside their lines").toEqual([100, 300]);
  });

  it("pins lines beyond the pane to the edge they are past", () => {
    const wishes = labelWishes(reportOf([lv("up", 50), lv("down", -50), lv("above", 1), lv("below", -1)]), [-20, 420, null, null], 400, null);
    expect(wishes[0]!.want, "a line scrolled above the pane pins to the top").toBe(-1);
    expect(wishes[1]!.want, "a line below the pane pins to the bottom").toBe(401);
    expect(wishes[2]!.want, "without a coordinate the price side decides: above the last price pins to the top").toBe(-1);
    expect(wishes[3]!.want, "and below the last price pins to the bottom").toBe(401);
  });

  it("ranks the selected level first, on-screen by strength then nearness, off-screen last by nearness", () => {
    const levels = [lv("weakNear", 1, 1), lv("strongFar", 8, 3), lv("strongNear", -3, 3), lv("offFar", 90, 5), lv("offNear", -60, 5), lv("picked", -9, 1)];
    const wishes = labelWishes(reportOf(levels), [190, 120, 230, -5, 999, 260], 400, levelId(levels[5]!));
    const order = wishes
      .map((w, i) => ({ p: w.priority, label: levels[i]!.label }))
      .sort((a, b) => a.p - b.p)
      .map((x) => x.label);
    expect(order, "the layout gives places in this order, so the labels a trader needs survive crowding").toEqual([
      "picked",
      "strongNear",
      "strongFar",
      "weakNear",
      "offNear",
      "offFar",
    ]);
  });
});
