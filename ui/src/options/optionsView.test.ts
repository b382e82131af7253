import { describe, expect, it } from "vitest";
import type { OptionsChain } from "../generated/bindings";
import { applyTick, rowsNearMoney } from "./optionsView";
import { ticks } from "./svgChart";

const chain = (strikes: number[], atm: number): OptionsChain => ({
  symbol: "X", expiration: "2024-07-19", expirations: [], spot: atm, as_of_ms: 0, years: 0.1, rate: 0.045,
  atm_strike: atm, expected_move: null, computed: 0, contracts: strikes.length * 2, adjusted_skipped: 0,
  rows: strikes.map((strike) => ({ strike, call: null, put: null })),
});

describe("options view", () => {
  it("keeps the strikes around the money, or all of them", () => {
    const c = chain([90, 95, 100, 105, 110, 115], 100);
    expect(rowsNearMoney(c, 1).map((r) => r.strike)).toEqual([95, 100, 105]);
    expect(rowsNearMoney(c, 3).map((r) => r.strike)).toEqual([90, 95, 100, 105, 110, 115]);
    expect(rowsNearMoney(c, 0)).toHaveLength(6);
  });

  it("a live tick moves the spot, the deltas and the moneyness, and only changed rows are new", () => {
    const q = (delta: number, itm: boolean) => ({ ticker: "", bid: 1, ask: 1.2, mid: 1.1, last: null, volume: null, open_interest: null, iv: 0.2, delta, gamma: 0, theta: 0, vega: 0, computed: false, price_source: null, in_the_money: itm });
    const c = chain([95, 100, 105], 100);
    c.spot = 99.5;
    c.rows = [
      { strike: 95, call: q(0.8, true), put: q(-0.2, false) },
      { strike: 100, call: q(0.45, false), put: q(-0.55, true) },
      { strike: 105, call: q(0.2, false), put: q(-0.8, true) },
    ];
    const t = { symbol: "X", expiration: "2024-07-19", spot: 100.5, atm_strike: 100, event_ms: 1, deltas: [[0.8, -0.2], [0.55, -0.45], [0.2, -0.8]] as [number, number][] };
    const next = applyTick(c, t);
    expect(next.spot).toBe(100.5);
    expect(next.rows[0]).toBe(c.rows[0]);
    expect(next.rows[2]).toBe(c.rows[2]);
    expect(next.rows[1]!.call).toMatchObject({ delta: 0.55, in_the_money: true, bid: 1 });
    expect(next.rows[1]!.put).toMatchObject({ delta: -0.45, in_the_money: false });
    // A tick for another chain (a switch in flight) changes nothing.
    expect(applyTick(c, { ...t, expiration: "2024-08-16" })).toBe(c);
  });

  it("axis ticks are round and cover the range", () => {
    expect(ticks(14.2, 21.7)).toEqual([16, 18, 20]);
    expect(ticks(0, 100, 4)).toEqual([0, 25, 50, 75, 100]);
    expect(ticks(5, 5)).toEqual([5]);
  });
});

import { TEMPLATES, needsLaterChain, nextExpiration, templateLegs } from "./positionsPanel";

describe("position templates", () => {
  it("step strikes from the ATM and take the mids as entry prices", () => {
    const strikes = [90, 95, 100, 105, 110, 115, 120, 125, 130];
    const c = chain(strikes, 110);
    c.spot = 110.4;
    c.rows = strikes.map((strike) => ({
      strike,
      call: { ticker: "", bid: 1, ask: 1.2, mid: strike / 100, last: null, volume: null, open_interest: null, iv: 0.2, delta: 0.5, gamma: 0, theta: 0, vega: 0, computed: false, price_source: null, in_the_money: false },
      put: { ticker: "", bid: 1, ask: 1.2, mid: strike / 1000, last: null, volume: null, open_interest: null, iv: 0.2, delta: -0.5, gamma: 0, theta: 0, vega: 0, computed: false, price_source: null, in_the_money: false },
    }));
    const condor = templateLegs(TEMPLATES.find((t) => t.id === "iron_condor")!, c);
    expect(condor.map((l) => [l.kind, l.strike, l.quantity])).toEqual([
      ["put", 90, 1],
      ["put", 100, -1],
      ["call", 120, -1],
      ["call", 130, 1],
    ]);
    expect(condor[2]!.entry_price).toBe(1.2);
    expect(condor.every((l) => l.expiry === "2024-07-19")).toBe(true);
    const covered = templateLegs(TEMPLATES.find((t) => t.id === "covered_call")!, c);
    expect(covered[0]).toEqual({ kind: "stock", strike: null, expiry: null, quantity: 100, entry_price: 110.4 });
  });

  it("put a calendar's and a diagonal's long leg in the next expiration at its own mid", () => {
    const strikes = [100, 105, 110, 115, 120];
    const quote = (mid: number) => ({ ticker: "", bid: 1, ask: 1.2, mid, last: null, volume: null, open_interest: null, iv: 0.2, delta: 0.5, gamma: 0, theta: 0, vega: 0, computed: false, price_source: null, in_the_money: false });
    const near = chain(strikes, 110);
    near.expirations = ["2024-07-05", "2024-07-19", "2024-08-16"];
    near.rows = strikes.map((strike) => ({ strike, call: quote(strike / 100), put: quote(0) }));
    const later = chain([102, 107, 111, 118], 111);
    later.expiration = "2024-08-16";
    later.rows = [102, 107, 111, 118].map((strike) => ({ strike, call: quote(strike / 10), put: quote(0) }));
    expect(nextExpiration(near)).toBe("2024-08-16");
    const cal = TEMPLATES.find((t) => t.id === "calendar")!;
    expect(needsLaterChain(cal)).toBe(true);
    expect(needsLaterChain(TEMPLATES.find((t) => t.id === "iron_condor")!)).toBe(false);
    // Short the near ATM call; long the nearest listed strike (111 for 110) later.
    expect(templateLegs(cal, near, later).map((l) => [l.strike, l.expiry, l.quantity, l.entry_price])).toEqual([
      [110, "2024-07-19", -1, 1.1],
      [111, "2024-08-16", 1, 11.1],
    ]);
    const diag = templateLegs(TEMPLATES.find((t) => t.id === "diagonal")!, near, later);
    expect(diag.map((l) => [l.strike, l.expiry, l.quantity])).toEqual([
      [120, "2024-07-19", -1],
      [111, "2024-08-16", 1],
    ]);
  });
});
