// Cards drawn inline in an answer: the numbers a tool returned, laid out for a
// trader. Cards with a symbol open it in the center panel when clicked.

import type { Card, Extreme, LevelLine, Money, QuoteLine, Timeframe } from "../generated/bindings";
import { h } from "../lib/dom";
import { money } from "../journal/journalCharts";
import { liveTracker } from "../journal/pnlTracker";
import { proposalCard, statusCard } from "../alerts/alertCards";
import { extractionCard, savedCard } from "./screenshots";

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

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

/** A gain or loss: dollars, "unbounded", or (at expiry) dollars at a price. */
function extreme(v: Money | Extreme): string {
  if (v === "unbounded") return "unbounded";
  return typeof v === "number" ? fmt(v) : fmt(v.value);
}

/** Where a card is drawn: the answer it belongs to (a screenshot's Confirm names it). */
export interface CardContext {
  messageId: number | null;
  /** The answer is still streaming (a screenshot's card cannot be saved yet). */
  streaming?: boolean;
}

function body(card: Card, ctx: CardContext): HTMLElement[] {
  switch (card.card_type) {
    case "quote": {
      const d = card.data;
      return [
        h("div", { class: "card-big" }, h("span", { class: "num" }, fmt(d.price)), h("span", { class: `num ${tone(d.change)}` }, `${signed(d.change)} (${signed(d.change_pct, 2, "%")})`)),
        row("Day range", `${fmt(d.day_low)} – ${fmt(d.day_high)}`),
        row("Prev close", fmt(d.previous_close)),
        row("Volume", d.day_volume === null ? "—" : fmt(d.day_volume, 0)),
        h("div", { class: "card-foot muted" }, `${d.source} · ${d.as_of}`),
      ];
    }
    case "key_levels": {
      const d = card.data;
      const list = (levels: LevelLine[], cls: string) =>
        levels.slice(0, 3).map((l) =>
          h("div", { class: `card-row level-${cls}` }, h("span", {}, l.label), h("span", { class: "num" }, fmt(l.price)), h("span", { class: `num muted` }, signed(l.distance))),
        );
      return [
        h("div", { class: "card-big" }, h("span", { class: "num" }, fmt(d.price)), h("span", { class: "muted" }, d.as_of)),
        h("div", { class: "card-sub" }, "Resistance"),
        ...list(d.resistance_nearest_first, "res"),
        h("div", { class: "card-sub" }, "Support"),
        ...list(d.support_nearest_first, "sup"),
      ];
    }
    case "indicators": {
      const d = card.data;
      const v = d.values;
      const rsi = v.rsi_14;
      return [
        h("div", { class: "card-big" }, h("span", {}, "RSI(14) "), h("span", { class: `num ${rsi !== null && rsi >= 70 ? "down" : rsi !== null && rsi <= 30 ? "up" : ""}` }, fmt(rsi, 1))),
        row("MACD / signal", `${fmt(v.macd_12_26_9, 3)} / ${fmt(v.macd_signal_12_26_9, 3)}`),
        row("SMA 20 / 50", `${fmt(v.sma_20)} / ${fmt(v.sma_50)}`),
        row("EMA 20", fmt(v.ema_20)),
        row("ATR 14", fmt(v.atr_14)),
        h("div", { class: "card-foot muted" }, `Close ${fmt(d.close)} · bar ${d.bar}`),
      ];
    }
    case "chart": {
      const d = card.data;
      return [row("Last close", fmt(d.last_close)), row("Last bar", d.last_bar), h("div", { class: "card-foot accent" }, "Open chart →")];
    }
    case "market_status": {
      const d = card.data;
      return [h("div", { class: "card-big" }, h("span", {}, d.phase.replace(/_/g, " "))), row("Now", d.now), row("Next open", d.next_open)];
    }
    case "options_chain": {
      const d = card.data;
      const m = d.expected_move;
      const side = (q: QuoteLine | null) => (q ? `${fmt(q.bid)}/${fmt(q.ask)}` : "—");
      // Three strikes on each side of the money.
      const all = d.near_the_money;
      const atm = Math.max(0, all.findIndex((r) => r.strike === d.atm_strike));
      const rows = all.slice(Math.max(0, atm - 3), atm + 4);
      return [
        h("div", { class: "card-big" }, h("span", { class: "num" }, m ? `±${fmt(m.straddle)}` : "—"), h("span", { class: "muted" }, m ? `expected move ±${fmt(m.pct)}% · ${fmt(m.low)} – ${fmt(m.high)}` : "")),
        row("Spot / ATM IV", `${fmt(d.spot)} / ${d.atm_iv_pct === null ? "—" : `${fmt(d.atm_iv_pct, 1)}%`}`),
        row("Expires", `${d.expiration} (${d.days_to_expiry} d)`),
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
                { class: r.strike === d.atm_strike ? "atm" : "" },
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
      const d = card.data;
      const market = "spot" in d ? d : null;
      return [
        row("Breakevens", d.breakevens.map((b) => fmt(b)).join(", ") || "none"),
        row("Max gain", extreme(d.max_gain)),
        row("Max loss", extreme(d.max_loss)),
        row("Net debit", fmt(d.net_debit)),
        ...(market ? [row("P&L now", fmt(market.pnl_now)), row("Delta / theta", `${fmt(market.greeks.delta)} / ${fmt(market.greeks.theta)}`)] : []),
        ...(market && market.probability_of_profit_pct !== null ? [row("Chance of profit", `${fmt(market.probability_of_profit_pct)}%`)] : []),
      ];
    }
    case "journal": {
      const d = card.data;
      if (d.trades === 0) return [h("div", { class: "card-foot muted" }, `No closed trades for ${d.period}.`)];
      return [
        h("div", { class: "card-big" }, h("span", { class: `num ${tone(d.net_pnl)}` }, money(d.net_pnl)), h("span", { class: "muted" }, `${d.trades} trade${d.trades === 1 ? "" : "s"} · ${d.period}`)),
        row("Win rate", d.win_rate_pct === null ? "—" : `${fmt(d.win_rate_pct, 1)}% (${d.wins} of ${d.trades})`),
        row("Profit factor", d.profit_factor === null ? "—" : fmt(d.profit_factor)),
        row("Expectancy", money(d.expectancy)),
        row("Max drawdown", money(-d.max_drawdown)),
        ...d.groups.slice(0, 4).map((g) => row(g.name, `${g.trades} · ${money(g.net_pnl)}`, tone(g.net_pnl))),
        ...d.patterns.slice(0, 2).map((p) => h("div", { class: "card-foot" }, p)),
      ];
    }
    case "pnl_tracker":
      // The snapshot the coach was given, then live from the socket while on screen.
      return [liveTracker(card.data, { compact: true })];
    case "alert_proposal":
      // Confirm (the trader's click) saves it; the model never does.
      return proposalCard(card.data);
    case "alert_status":
      return statusCard(card.data);
    case "screenshot_extraction":
      // Editable until the trader's Confirm saves it; the model never does.
      return extractionCard(card.data, { messageId: ctx.messageId, toolCallId: card.tool_call_id, streaming: ctx.streaming });
    case "screenshot_saved":
      return savedCard(card.data);
    case "unreadable":
      // Stored by another version of the app: shown as it was kept.
      return [
        h("div", { class: "card-foot muted" }, `This ${card.data.stored_type.replace(/_/g, " ")} card was saved in a form this version cannot draw.`),
        h("pre", { class: "card-json" }, JSON.stringify(card.data.stored, null, 1)),
      ];
  }
}

/** The card element; `onOpen` is called for cards that carry a symbol. */
export function renderCard(card: Card, onOpen: (symbol: string, timeframe: Timeframe) => void, ctx: CardContext = { messageId: null }): HTMLElement {
  // Alert cards hold their own buttons: they are not one big button.
  const opens = Boolean(card.symbol) && card.card_type !== "alert_proposal" && card.card_type !== "alert_status";
  const title = h("div", { class: "chat-card-title" }, card.title);
  const attrs = {
    class: `chat-card chat-card-${card.card_type}${opens ? " clickable" : ""}`,
    "data-testid": "card",
    "data-card-type": card.card_type,
    "data-symbol": card.symbol ?? "",
  };
  if (!opens) return h("div", attrs, title, ...body(card, ctx));
  const open = () => onOpen(card.symbol!, card.timeframe ?? "5m");
  return h(
    "button",
    { ...attrs, type: "button", title: `Open ${card.symbol} ${card.timeframe ?? ""} in the chart`, onclick: open },
    title,
    ...body(card, ctx),
  );
}
