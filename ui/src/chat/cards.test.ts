import { describe, expect, it } from "vitest";
import type { Card } from "../generated/bindings";
import { renderCard } from "./cards";

const common = { symbol: null, timeframe: null, tool_call_id: "c1" } as const;

function rows(el: HTMLElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of el.querySelectorAll(".card-row")) {
    const [label, value] = [...r.children].map((c) => c.textContent ?? "");
    out[label!] = value!;
  }
  return out;
}

describe("cards", () => {
  it("a position valued against the market shows its P&L, Greeks and chance of profit; unbounded is said in words", () => {
    const card: Card = {
      ...common,
      card_type: "position",
      title: "SPY position",
      data: {
        symbol: "SPY", spot: 569.3, expiry: "2024-07-12", days_to_expiry: 10.2, breakevens: [574.1], max_gain: "unbounded", max_loss: -410,
        net_debit: 410, pnl_now: 231.15, greeks: { delta: 50.6, gamma: 2.4852, theta: -34.83, vega: 37.98 }, probability_of_profit_pct: 39.5,
        leg_ivs_pct: [16.9], assumptions: "BSM",
      },
    };
    const r = rows(renderCard(card, () => {}));
    expect(r).toEqual({
      Breakevens: "574.10",
      "Max gain": "unbounded",
      "Max loss": "-410.00",
      "Net debit": "410.00",
      "P&L now": "231.15",
      "Delta / theta": "50.60 / -34.83",
      "Chance of profit": "39.50%",
    });
  });

  it("a payoff at expiry shows each extreme's dollars and no market figures", () => {
    const card: Card = {
      ...common,
      card_type: "position",
      title: "Position at expiry",
      data: { breakevens: [101], max_gain: { value: 900, at_price: 110 }, max_loss: { value: -100, at_price: 0 }, net_debit: 100, legs: 2, assumptions: "expiry" },
    };
    const r = rows(renderCard(card, () => {}));
    expect(r).toEqual({ Breakevens: "101.00", "Max gain": "900.00", "Max loss": "-100.00", "Net debit": "100.00" });
  });

  it("a card kept from another version is shown as stored, with its type named", () => {
    const card: Card = { ...common, card_type: "unreadable", title: "SPY quote", data: { stored_type: "quote", stored: { price: "n/a" }, reason: "invalid type" } };
    const el = renderCard(card, () => {});
    expect(el.dataset.cardType).toBe("unreadable");
    expect(el.textContent).toContain("This quote card was saved in a form this version cannot draw.");
    expect(el.querySelector("pre")?.textContent).toContain('"price": "n/a"');
  });

  it("a card with a symbol opens it at its timeframe", () => {
    const opened: string[] = [];
    const card: Card = {
      card_type: "chart", title: "QQQ · 15m chart", symbol: "QQQ", timeframe: "15m", tool_call_id: "c2",
      data: { symbol: "QQQ", timeframe: "15m", opened: true, bars: 1308, last_bar: "Tue Jul 2 10:45 ET", last_open: 456.83, last_high: 457.11, last_low: 456, last_close: 456.6 },
    };
    const el = renderCard(card, (s, tf) => opened.push(`${s} ${tf}`));
    el.click();
    expect(opened).toEqual(["QQQ 15m"]);
    expect(rows(el)["Last close"]).toBe("456.60");
  });
});
