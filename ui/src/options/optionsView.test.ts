import { describe, expect, it } from "vitest";
import type { OptionsChain } from "../generated/bindings";
import { rowsNearMoney } from "./optionsView";
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

  it("axis ticks are round and cover the range", () => {
    expect(ticks(14.2, 21.7)).toEqual([16, 18, 20]);
    expect(ticks(0, 100, 4)).toEqual([0, 25, 50, 75, 100]);
    expect(ticks(5, 5)).toEqual([5]);
  });
});
