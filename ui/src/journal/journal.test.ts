import { describe, expect, it } from "vitest";
import type { ImportSummary } from "../generated/bindings";
import { calendarHeatmap, calendarMonths, heat, money, pct } from "./journalCharts";
import { dateTime, isoToZoned, summaryLine, timeframeFor, zonedToIso } from "./journalView";

describe("journal", () => {
  it("writes dollars with a sign and cents, rates with one decimal", () => {
    expect(money(337.4)).toBe("+$337.40");
    expect(money(-421.14)).toBe("−$421.14");
    expect(money(1234.5)).toBe("+$1,234.50");
    expect(money(0)).toBe("$0.00");
    expect(money(null)).toBe("—");
    expect(pct(0.8)).toBe("80.0 %");
    expect(pct(null)).toBe("—");
  });

  it("lays a month out Monday first with blank days before the 1st", () => {
    const [july] = calendarMonths([{ date: "2024-07-12", pnl: 15.37 }]);
    expect(july!.month).toBe("2024-07");
    // 1 July 2024 is a Monday: no blank before it; 31 days → 5 weeks.
    expect(july!.weeks.length).toBe(5);
    expect(july!.weeks[0]![0]!.date).toBe("2024-07-01");
    expect(july!.weeks[1]![4]).toEqual({ date: "2024-07-12", pnl: 15.37 });
    const [sept] = calendarMonths([{ date: "2024-09-20", pnl: -287.27 }]);
    // 1 September 2024 is a Sunday: six blanks first.
    expect(sept!.weeks[0]!.slice(0, 6)).toEqual([null, null, null, null, null, null]);
    expect(sept!.weeks[0]![6]!.date).toBe("2024-09-01");
    const el = calendarHeatmap([{ date: "2024-07-12", pnl: 15.37 }, { date: "2024-07-19", pnl: -5 }]);
    expect(el.querySelector('[data-date="2024-07-12"]')?.getAttribute("data-pnl")).toBe("15.37");
    expect(el.querySelector('[data-date="2024-07-13"]')?.getAttribute("data-pnl")).toBe("");
    expect(heat(15.37, 15.37)).toBe("rgba(74, 222, 128, 1.00)");
    expect(heat(-5, 15.37)).toMatch(/^rgba\(248, 113, 113/);
  });

  it("says what an import did, or that it stopped", () => {
    const s: ImportSummary = { broker: "tastytrade", rows: 13, imported: 12, duplicates: 0, skipped: [], errors: [], trades_touched: 6, stopped: false, warnings: [] };
    expect(summaryLine(s)).toBe("tastytrade: 13 rows read · 12 executions imported · 0 already in the journal · 6 trades updated");
    const stopped = { ...s, imported: 0, stopped: true, errors: [{ line: 3, message: "x" }, { line: 4, message: "y" }] };
    expect(summaryLine(stopped)).toBe("Nothing was imported: 2 rows of this tastytrade file could not be read.");
  });

  it("shows times in the display zone and picks a timeframe for the holding time", () => {
    expect(dateTime("2024-07-16T13:45:03Z", "America/New_York")).toContain("9:45");
    expect(dateTime("2024-07-16T13:45:03Z", "Europe/London")).toContain("2:45");
    expect(timeframeFor(20 * 60)).toBe("1m");
    expect(timeframeFor(3 * 86_400)).toBe("1h");
    expect(timeframeFor(30 * 86_400)).toBe("1d");
  });

  it("reads a manual trade's times in the display zone, not the browser's", () => {
    expect(zonedToIso("2024-07-16T09:45", "America/New_York")).toBe("2024-07-16T13:45:00Z");
    expect(zonedToIso("2024-01-16T09:45", "America/New_York")).toBe("2024-01-16T14:45:00Z");
    expect(zonedToIso("2024-07-16T09:45", "Europe/London")).toBe("2024-07-16T08:45:00Z");
    expect(isoToZoned("2024-07-16T13:45:00Z", "America/New_York")).toBe("2024-07-16T09:45");
    expect(zonedToIso("", "America/New_York")).toBe("");
    expect(zonedToIso("2024-03-10T02:30", "America/New_York"), "skipped by the spring-forward").toBe("");
    expect(zonedToIso("2024-11-03T01:30", "America/New_York")).toBe("2024-11-03T05:30:00Z");
  });
});
