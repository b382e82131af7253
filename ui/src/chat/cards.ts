// Cards drawn inline in an answer: the numbers a tool returned, laid out for a
// trader. Cards with a symbol open it in the center panel when clicked.

import type { Card } from "../generated/bindings";
import { h } from "../lib/dom";

type Obj = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

export function fmt(v: unknown, digits = 2): string {
  const n = num(v);
  return n === null ? "—" : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function signed(v: unknown, digits = 2, suffix = ""): string {
  const n = num(v);
  if (n === null) return "—";
  return `${n > 0 ? "+" : ""}${fmt(n, digits)}${suffix}`;
}

function row(label: string, value: string, cls = ""): HTMLElement {
  return h("div", { class: "card-row" }, h("span", { class: "muted" }, label), h("span", { class: `num ${cls}` }, value));
}

function tone(v: unknown): string {
  const n = num(v);
  return n === null || n === 0 ? "" : n > 0 ? "up" : "down";
}

function body(card: Card): HTMLElement[] {
  const d = (card.data ?? {}) as Obj;
  switch (card.card_type) {
    case "quote":
      return [
        h("div", { class: "card-big" }, h("span", { class: "num" }, fmt(d.price)), h("span", { class: `num ${tone(d.change)}` }, `${signed(d.change)} (${signed(d.change_pct, 2, "%")})`)),
        row("Day range", `${fmt(d.day_low)} – ${fmt(d.day_high)}`),
        row("Prev close", fmt(d.previous_close)),
        row("Volume", num(d.day_volume) === null ? "—" : fmt(d.day_volume, 0)),
        h("div", { class: "card-foot muted" }, `${str(d.source)} · ${str(d.as_of)}`),
      ];
    case "key_levels": {
      const list = (key: string, cls: string) =>
        ((d[key] as Obj[] | undefined) ?? []).slice(0, 3).map((l) =>
          h("div", { class: `card-row level-${cls}` }, h("span", {}, str(l.label)), h("span", { class: "num" }, fmt(l.price)), h("span", { class: `num muted` }, signed(l.distance))),
        );
      return [
        h("div", { class: "card-big" }, h("span", { class: "num" }, fmt(d.price)), h("span", { class: "muted" }, str(d.as_of))),
        h("div", { class: "card-sub" }, "Resistance"),
        ...list("resistance_nearest_first", "res"),
        h("div", { class: "card-sub" }, "Support"),
        ...list("support_nearest_first", "sup"),
      ];
    }
    case "indicators": {
      const v = (d.values ?? {}) as Obj;
      const rsi = num(v.rsi_14);
      return [
        h("div", { class: "card-big" }, h("span", {}, "RSI(14) "), h("span", { class: `num ${rsi !== null && rsi >= 70 ? "down" : rsi !== null && rsi <= 30 ? "up" : ""}` }, fmt(rsi, 1))),
        row("MACD / signal", `${fmt(v.macd_12_26_9, 3)} / ${fmt(v.macd_signal_12_26_9, 3)}`),
        row("SMA 20 / 50", `${fmt(v.sma_20)} / ${fmt(v.sma_50)}`),
        row("EMA 20", fmt(v.ema_20)),
        row("ATR 14", fmt(v.atr_14)),
        h("div", { class: "card-foot muted" }, `Close ${fmt(d.close)} · bar ${str(d.bar)}`),
      ];
    }
    case "chart":
      return [
        row("Last close", fmt(d.last_close)),
        row("Last bar", str(d.last_bar)),
        h("div", { class: "card-foot accent" }, "Open chart →"),
      ];
    case "market_status":
      return [
        h("div", { class: "card-big" }, h("span", {}, str(d.phase).replace("_", " ") || "—")),
        row("Now", str(d.now)),
        row("Next open", str(d.next_open)),
      ];
        case "options_chain": {
      const m = (d.expected_move ?? null) as Obj | null;
      const side = (q: unknown) => {
        const o = q as Obj | null;
        return o ? `${fmt(o.bid)}/${fmt(o.ask)}` : "—";
      };
            // Three strikes on each side of the money.
      const all = (d.near_the_money as Obj[] | undefined) ?? [];
      const atm = Math.max(0, all.findIndex((r) => num(r.strike) === num(d.atm_strike)));
      const rows = all.slice(Math.max(0, atm - 3), atm + 4);
      return [
        h("div", { class: "card-big" }, h("span", { class: "num" }, m ? `±${fmt(m.straddle)}` : "—"), h("span", { class: "muted" }, m ? `expected move ±${fmt(m.pct)}% · ${fmt(m.low)} – ${fmt(m.high)}` : "")),
        row("Spot / ATM IV", `${fmt(d.spot)} / ${num(d.atm_iv_pct) === null ? "—" : `${fmt(d.atm_iv_pct, 1)}%`}`),
        row("Expires", `${str(d.expiration)} (${num(d.days_to_expiry) ?? "?"} d)`),
        h(
          "table",
          { class: "mini-chain" },
          h("thead", {}, h("tr", {}, h("th", {}, "call bid/ask"), h("th", {}, "strike"), h("th", {}, "put bid/ask"))),
          h(
            "tbody",
            {},
            rows.map((r) =>
              h(
                "tr",
                { class: num(r.strike) === num(d.atm_strike) ? "atm" : "" },
                h("td", { class: "num" }, side(r.call)),
                h("td", { class: "num strike" }, fmt(r.strike)),
                h("td", { class: "num" }, side(r.put)),
              ),
            ),
          ),
        ),
      ];
    }
    case "position": {
      // Payoff-only answers give {value, at_price}; market-valued ones a number.
      const ext = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? fmt(v) : fmt((v as Obj | null)?.value));
      const g = d.greeks as Obj | undefined;
      return [
        row("Breakevens", ((d.breakevens as number[] | undefined) ?? []).map((b) => fmt(b)).join(", ") || "none"),
        row("Max gain", ext(d.max_gain)),
        row("Max loss", ext(d.max_loss)),
        row("Net debit", fmt(d.net_debit)),
        ...(d.pnl_now != null ? [row("P&L now", fmt(d.pnl_now))] : []),
        ...(g ? [row("Delta / theta", `${fmt(g.delta)} / ${fmt(g.theta)}`)] : []),
        ...(d.probability_of_profit_pct != null ? [row("Chance of profit", `${fmt(d.probability_of_profit_pct)}%`)] : []),
      ];
    }
    default:
      return [h("pre", { class: "card-json" }, JSON.stringify(d, null, 1))];
  }
}

/** The card element; `onOpen` is called for cards that carry a symbol. */
export function renderCard(card: Card, onOpen: (symbol: string, timeframe: string) => void): HTMLElement {
  const opens = Boolean(card.symbol);
  const title = h("div", { class: "chat-card-title" }, card.title);
  const attrs = {
    class: `chat-card chat-card-${card.card_type}${opens ? " clickable" : ""}`,
    "data-testid": "card",
    "data-card-type": card.card_type,
    "data-symbol": card.symbol ?? "",
  };
  if (!opens) return h("div", attrs, title, ...body(card));
  const open = () => onOpen(card.symbol!, card.timeframe ?? "5m");
  return h(
    "button",
    { ...attrs, type: "button", title: `Open ${card.symbol} ${card.timeframe ?? ""} in the chart`, onclick: open },
    title,
    ...body(card),
  );
}
