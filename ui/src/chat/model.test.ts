import { describe, expect, it } from "vitest";
import type { Card, ChatEvent, ChatMessage } from "../generated/bindings";
import { applyEvent, argsSummary, chartToShow, fromStored, pendingAnswer } from "./model";

const card: Card = {
  card_type: "quote",
  title: "SPY quote",
  symbol: "SPY",
  timeframe: "5m",
  tool_call_id: "c1",
  data: {
    symbol: "SPY", price: 512.4, previous_close: 510, change: 2.4, change_pct: 0.47, bid: null, ask: null,
    day_open: null, day_high: null, day_low: null, day_volume: null, day_vwap: null, as_of: "Tue Jul 2 11:00 ET", source: "Demo market",
  },
};

const events: ChatEvent[] = [
  { type: "started", session_id: 1, user_message_id: 1, message_id: 2, mode: "Offline coach" },
  { type: "status", phase: "thinking", tool: null, label: "Thinking…" },
  { type: "tool_call", id: "c1", name: "get_quote", arguments: { symbol: "SPY" } },
  { type: "status", phase: "calling", tool: "get_quote", label: "Calling get_quote…" },
  { type: "tool_result", id: "c1", name: "get_quote", ok: true, result: { price: 512.4 }, ms: 12 },
  { type: "card", ...card },
  { type: "status", phase: "writing", tool: null, label: "Writing…" },
  { type: "token", text: "SPY at " },
  { type: "token", text: "512.40 or 999.99" },
  { type: "grounding", checked: 2, unverified: [{ text: "999.99", value: 999.99 }] },
  { type: "done", session_id: 1, message_id: 2, status: "complete", ttft_ms: 20, usage: null, rounds: 1 },
];

describe("message model", () => {
  it("builds the live answer from events, and a restored message gives the same view", () => {
    const live = pendingAnswer("live");
    for (const e of events) applyEvent(live, e);
    expect(live.content).toBe("SPY at 512.40 or 999.99");
    expect(live.chips).toEqual([{ id: "c1", name: "get_quote", arguments: { symbol: "SPY" }, status: "ok", ms: 12, error: null, result: { price: 512.4 } }]);
    expect(live.cards).toEqual([card]);
    expect(live.unverified).toEqual(["999.99"]);
    expect(live.phase).toBeNull();
    const stored: ChatMessage = {
      id: 2, session_id: 1, seq: 2, role: "assistant", content: live.content, images: [], status: "complete",
      tools: [{ id: "c1", name: "get_quote", arguments: { symbol: "SPY" }, raw_arguments: '{"symbol":"SPY"}', result: { price: 512.4 }, ok: true, ms: 12, round: 0 }],
      cards: [card], unverified: [{ text: "999.99", value: 999.99 }], meta: {}, created_ms: 0, updated_ms: 0,
    };
    const restored = fromStored(stored);
    expect({ ...restored, key: "" }).toEqual({ ...live, key: "" });
  });

  it("an error keeps the text, marks the answer interrupted and ends running chips", () => {
    const v = pendingAnswer("x");
    applyEvent(v, { type: "tool_call", id: "a", name: "get_key_levels", arguments: {} });
    applyEvent(v, { type: "token", text: "Half" });
    applyEvent(v, { type: "error", message: "the model stream broke off", partial_saved: true, session_id: 1, message_id: 9 });
    expect(v.status).toBe("interrupted");
    expect(v.content).toBe("Half");
    expect(v.id).toBe(9);
    expect(v.chips[0]!.status).toBe("error");
  });

  it("stopping during a tool ends its chip as a reload would show it", () => {
    const v = pendingAnswer("s");
    applyEvent(v, { type: "tool_call", id: "t", name: "get_quote", arguments: { symbol: "SPY" } });
    applyEvent(v, { type: "done", session_id: 1, message_id: 4, status: "cancelled", ttft_ms: null, usage: null, rounds: 1 });
    expect(v.chips[0]!.status).toBe("error");
    const restored = fromStored({
      id: 4, session_id: 1, seq: 2, role: "assistant", content: "", images: [], status: "cancelled",
      tools: [{ id: "t", name: "get_quote", arguments: { symbol: "SPY" }, raw_arguments: "", result: null, ok: null, ms: null, round: 0 }],
      cards: [], unverified: [], meta: {}, created_ms: 0, updated_ms: 0,
    });
    expect(restored.chips).toEqual(v.chips);
  });

  it("summarises arguments for a chip", () => {
    expect(argsSummary({ symbol: "spy", timeframe: "5m" })).toBe("SPY · 5m");
    expect(argsSummary({ legs: [{}, {}] })).toBe("2 legs");
    expect(argsSummary('{"symbol": "SPY"')).toBe('{"symbol": "SPY"');
  });

  it("opens the chart a successful show_chart names, on 5m unless told", () => {
    const result = (name: string, ok: boolean, r: unknown): ChatEvent => ({ type: "tool_result", id: "c", name, ok, result: r, ms: 1 });
    expect(chartToShow(result("show_chart", true, { symbol: "NVDA", timeframe: "15m" })), "the coach's timeframe is kept").toEqual({ symbol: "NVDA", timeframe: "15m" });
    expect(chartToShow(result("show_chart", true, { symbol: "NVDA" })), "5m is the coach's default chart").toEqual({ symbol: "NVDA", timeframe: "5m" });
    expect(chartToShow(result("show_chart", false, { symbol: "NVDA" })), "a failed call must not move the chart").toBeNull();
    expect(chartToShow(result("get_quote", true, { symbol: "NVDA" })), "other tools never open a chart").toBeNull();
    expect(chartToShow(result("show_chart", true, {})), "without a symbol there is nothing to open").toBeNull();
    expect(chartToShow(events[0]!), "only tool results count").toBeNull();
  });
});
