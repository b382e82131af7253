import { describe, expect, it } from "vitest";
import { visibleRange } from "./virtualList";

describe("visibleRange", () => {
  const hs = Array.from({ length: 1000 }, () => 100);

  it("keeps only the items near the viewport", () => {
    const r = visibleRange(hs, 50_000, 600, 400);
    expect(r.start).toBe(496); // first item ending below 49,600
    expect(r.end).toBe(510); // item 510 starts at 51,000, the edge
    expect(r.top).toBe(49_600);
    expect(r.top + (r.end - r.start) * 100 + r.bottom).toBe(100_000);
  });

  it("the top and the bottom of the list", () => {
    expect(visibleRange(hs, 0, 600, 200)).toMatchObject({ start: 0, end: 8, top: 0 });
    const r = visibleRange(hs, 99_400, 600, 200);
    expect(r.end).toBe(1000);
    expect(r.bottom).toBe(0);
  });

  it("mixed heights add up exactly and an empty list is empty", () => {
    const mixed = [40, 300, 20, 500, 80];
    const r = visibleRange(mixed, 330, 100, 0);
    expect(r).toEqual({ start: 1, end: 4, top: 40, bottom: 80 });
    expect(visibleRange([], 0, 600, 200)).toEqual({ start: 0, end: 0, top: 0, bottom: 0 });
  });
});
