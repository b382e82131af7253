import { describe, expect, it } from "vitest";
import type { AlertView } from "../generated/bindings";
import { BLANK, cents, draggable, draggedPrice, expiresToIso, fieldError, grabs, isoToExpires, lineTitle, ruleText, toInput } from "./alertText";

const rule = { ...BLANK, price: 512.4 };

const view: AlertView = {
  ...rule,
  id: 7,
  state: "armed",
  created_at: "2024-07-02T14:00:00Z",
  expires_at: null,
  fires: 0,
  last_fired_at: null,
  last_price: 512,
  line: 512.4,
  distance: 0.4,
  distance_pct: 0.08,
  status_text: "0.40 below the line (0.08 %)",
};

describe("ruleText", () => {
  it("says a fixed-price crossing and how often it fires", () => {
    expect(ruleText(rule)).toBe("crosses above 512.40 · once");
    expect(ruleText({ ...rule, condition: "below", trigger: "once_per_bar", timeframe: "5m" })).toBe("is below 512.40 · once per 5m bar");
    expect(ruleText({ ...rule, trigger: "once_per_bar_close" })).toBe("crosses above 512.40 · once per 1m bar, on its close");
    expect(ruleText({ ...rule, trigger: "every", cooldown_secs: 300 })).toBe("crosses above 512.40 · every time, at most every 5 min");
    expect(ruleText({ ...rule, trigger: "every", cooldown_secs: 90 })).toBe("crosses above 512.40 · every time, at most every 90 s");
  });
  it("names a level by its label (or kind) and shows where its line is now", () => {
    const lv = { ...rule, price: null, level: "prior_day_high", level_label: "PDH", condition: "crosses_below" } as const;
    expect(ruleText(lv, 511.9)).toBe("crosses below PDH (511.90) · once");
    expect(ruleText({ ...lv, level_label: null })).toBe("crosses below prior day high · once");
  });
  it("says a channel's two prices and a move's percentage within the timeframe", () => {
    expect(ruleText({ ...rule, condition: "enters", price: 510, price2: 512 })).toBe("enters the channel 510.00 – 512.00 · once");
    expect(ruleText({ ...rule, condition: "moves_up", price: 1.5, timeframe: "15m" })).toBe("moves up 1.50 % within 15m · once");
    expect(ruleText({ ...rule, price: null })).toBe("crosses above ? · once");
  });
});

describe("fieldError", () => {
  it("finds the field a backend message names", () => {
    expect(fieldError("price: give the price of the line (or a level)")).toEqual({ field: "price", message: "give the price of the line (or a level)" });
    expect(fieldError("price2: the channel's high 510 must be above its low 512")).toEqual({ field: "price2", message: "the channel's high 510 must be above its low 512" });
    expect(fieldError("expires: must be in the future")?.field).toBe("expires");
    expect(fieldError("cooldown: an alert on a state … needs a cooldown")?.field).toBe("cooldown");
  });
  it("maps the input's own names to the form's fields and ignores other messages", () => {
    expect(fieldError("expires_at: not RFC 3339")?.field).toBe("expires");
    expect(fieldError("level_label: no level PDX")?.field).toBe("level");
    expect(fieldError("the market could not be read for SPY: timeout")).toBeNull();
    expect(fieldError("database: locked")).toBeNull();
  });
});

describe("expires (New York time)", () => {
  it("reads a datetime-local value in New York time as RFC 3339 UTC, both sides of DST", () => {
    expect(expiresToIso("2024-07-02T16:00")).toBe("2024-07-02T20:00:00Z");
    expect(expiresToIso("2024-01-15T09:30")).toBe("2024-01-15T14:30:00Z");
    expect(expiresToIso("")).toBeNull();
    expect(expiresToIso("   ")).toBeNull();
  });
  it("leaves a time the clocks skip as typed, for the backend to refuse by name", () => {
    expect(expiresToIso("2024-03-10T02:30")).toBe("2024-03-10T02:30");
  });
  it("shows a stored time back in New York time", () => {
    expect(isoToExpires("2024-07-02T20:00:00Z")).toBe("2024-07-02T16:00");
    expect(isoToExpires(null)).toBe("");
  });
});

describe("dragging a line", () => {
  it("grabs a line within 5 px only", () => {
    expect(grabs(100, 104)).toBe(true);
    expect(grabs(100, 95)).toBe(true);
    expect(grabs(100, 106)).toBe(false);
    expect(grabs(100, null)).toBe(false);
  });
  it("rounds the dropped price to cents and refuses off-scale points", () => {
    const scale = (y: number) => (y < 0 ? null : 600 - y * 0.0137);
    expect(draggedPrice(scale, 100)).toBe(598.63);
    expect(draggedPrice(scale, -1)).toBeNull();
    expect(draggedPrice(() => -3, 10)).toBeNull();
    expect(draggedPrice(() => NaN, 10)).toBeNull();
    expect(cents(512.405000001)).toBe(512.41);
  });
  it("moves only fixed-price lines and keeps the rest of the rule", () => {
    expect(draggable(view)).toBe(true);
    expect(draggable({ ...view, level: "vwap", price: null })).toBe(false);
    expect(draggable({ ...view, condition: "enters", price2: 513 })).toBe(false);
    expect(draggable({ ...view, condition: "moves_up", price: 1 })).toBe(false);
    const moved = toInput({ ...view, note: "breakout", trigger: "every", cooldown_secs: 60 }, { price: 513.1 });
    expect(moved).toEqual({
      symbol: "SPY", condition: "crosses_above", price: 513.1, price2: null, level: null, level_label: null, trigger: "every",
      timeframe: "1m", cooldown_secs: 60, rearm: null, expires_at: null, note: "breakout", origin: null,
    });
    expect(lineTitle(view)).toBe("⚑ crosses above 512.40");
  });
});
