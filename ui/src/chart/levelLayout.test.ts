import { describe, expect, it } from "vitest";
import { layoutLabels, type LabelWish } from "./levelLayout";

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
