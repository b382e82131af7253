import { describe, expect, it } from "vitest";
import { crosshairLabel, nyOffsetMs, toChartTime } from "./nyTime";

const H = 3_600_000;

describe("New York time on the chart axis", () => {
  it("uses EDT in summer and EST in winter", () => {
    expect(nyOffsetMs(Date.UTC(2024, 6, 2, 14, 0))).toBe(-4 * H);
    expect(nyOffsetMs(Date.UTC(2024, 0, 2, 15, 0))).toBe(-5 * H);
  });

  it("switches on the second Sunday of March and the first Sunday of November, at 2 a.m. local", () => {
    // 2024-03-10 02:00 EST = 07:00 UTC: clocks jump to 03:00 EDT.
    expect(nyOffsetMs(Date.UTC(2024, 2, 10, 6, 59))).toBe(-5 * H);
    expect(nyOffsetMs(Date.UTC(2024, 2, 10, 7, 0))).toBe(-4 * H);
    // 2024-11-03 02:00 EDT = 06:00 UTC: clocks fall back to 01:00 EST.
    expect(nyOffsetMs(Date.UTC(2024, 10, 3, 5, 59))).toBe(-4 * H);
    expect(nyOffsetMs(Date.UTC(2024, 10, 3, 6, 0))).toBe(-5 * H);
  });

  it("shows the regular open as 09:30 on both sides of a DST change", () => {
    const summerOpen = toChartTime(Date.UTC(2024, 6, 2, 13, 30));
    const winterOpen = toChartTime(Date.UTC(2024, 11, 2, 14, 30));
    expect(crosshairLabel(summerOpen, true)).toBe("Tue 2 Jul 2024 09:30 ET");
    expect(crosshairLabel(winterOpen, true)).toBe("Mon 2 Dec 2024 09:30 ET");
  });

  it("keeps a daily bar (midnight New York) on its own date", () => {
    const midnight = Date.UTC(2024, 6, 2, 4, 0); // 00:00 EDT
    expect(crosshairLabel(toChartTime(midnight), false)).toBe("Tue 2 Jul 2024");
  });
});
