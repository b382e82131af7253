// The state of one message in the chat panel, built either live from the
// ChatEvent stream or restored from SQLite. Both paths give the same view, so
// a reloaded session looks exactly as it did while it streamed.

import type { Card, ChartCard, ChatEvent, ChatMessage, MessageStatus, Phase, StoredImage, Timeframe, ToolRecord } from "../generated/bindings";

export interface Chip {
  id: string;
  name: string;
  arguments: unknown;
  status: "running" | "ok" | "error";
  ms: number | null;
  error: string | null;
  result: unknown;
}

export interface MessageView {
  /** Stable key for the list (the message id once known). */
  key: string;
  id: number | null;
  role: "user" | "assistant";
  content: string;
  /** Images the user attached. */
  images: StoredImage[];
  status: MessageStatus;
  chips: Chip[];
  cards: Card[];
  unverified: string[];
  error: string | null;
  phase: { phase: Phase; label: string } | null;
}

function chipFromRecord(t: ToolRecord): Chip {
  const ok = t.ok;
  const result = t.result as Record<string, unknown> | null;
  return {
    id: t.id,
    name: t.name,
    arguments: t.arguments,
    status: ok === true ? "ok" : ok === false ? "error" : "running",
    ms: t.ms,
    error: ok === false && result && typeof result.error === "string" ? result.error : null,
    result: t.result,
  };
}

export function fromStored(m: ChatMessage): MessageView {
  const meta = (m.meta ?? {}) as Record<string, unknown>;
  return {
    key: `m${m.id}`,
    id: m.id,
    role: m.role,
    content: m.content,
    images: m.images,
    status: m.status,
    // A stored call without a result never finished (the answer was stopped or broke off).
    chips: m.tools.map(chipFromRecord).map((c) => (c.status === "running" && m.status !== "streaming" ? { ...c, status: "error", error: "did not finish" } : c)),
    cards: m.cards,
    unverified: m.unverified.map((u) => u.text),
    error: typeof meta.error === "string" ? meta.error : null,
    phase: null,
  };
}

export function userMessage(key: string, content: string, images: StoredImage[] = []): MessageView {
  return { key, id: null, role: "user", content, images, status: "complete", chips: [], cards: [], unverified: [], error: null, phase: null };
}

export function pendingAnswer(key: string): MessageView {
  return {
    key,
    id: null,
    role: "assistant",
    content: "",
    images: [],
    status: "streaming",
    chips: [],
    cards: [],
    unverified: [],
    error: null,
    phase: { phase: "thinking", label: "Thinking…" },
  };
}

/** Applies one event to the answer being streamed (in place); returns it. */
export function applyEvent(v: MessageView, ev: ChatEvent): MessageView {
  switch (ev.type) {
    case "started":
      v.id = ev.message_id;
      v.status = "streaming";
      v.error = null;
      break;
    case "status":
      v.phase = { phase: ev.phase, label: ev.label };
      break;
    case "token":
      v.content += ev.text;
      break;
    case "tool_call":
      if (!v.chips.some((c) => c.id === ev.id)) {
        v.chips.push({ id: ev.id, name: ev.name, arguments: ev.arguments, status: "running", ms: null, error: null, result: null });
      }
      break;
    case "tool_result": {
      const chip = v.chips.find((c) => c.id === ev.id);
      const r = ev.result as Record<string, unknown> | null;
      const update: Partial<Chip> = {
        status: ev.ok ? "ok" : "error",
        ms: ev.ms,
        result: ev.result,
        error: !ev.ok && r && typeof r.error === "string" ? r.error : null,
      };
      if (chip) Object.assign(chip, update);
      else v.chips.push({ id: ev.id, name: ev.name, arguments: null, status: "running", ms: null, error: null, result: null, ...update });
      break;
    }
    case "card": {
      const { type: _t, ...card } = ev;
      v.cards.push(card);
      break;
    }
    case "grounding":
      v.unverified = ev.unverified.map((u) => u.text);
      break;
        case "done":
      v.id = ev.message_id;
      v.status = ev.status;
      v.phase = null;
      // A call still running when the answer was stopped never finished (as a reload shows it).
      for (const c of v.chips) if (c.status === "running") Object.assign(c, { status: "error", error: "did not finish" });
      break;
    case "error":
      if (ev.message_id !== null) v.id = ev.message_id;
      v.status = "interrupted";
      v.error = ev.message;
      v.phase = null;
      for (const c of v.chips) if (c.status === "running") Object.assign(c, { status: "error", error: "did not finish" });
      break;
  }
  return v;
}

/** A one-line summary of a tool's arguments for its chip ("SPY · 5m"). */
export function argsSummary(args: unknown): string {
  if (typeof args === "string") return args.length > 40 ? `${args.slice(0, 39)}…` : args;
  if (!args || typeof args !== "object") return "";
  const a = args as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof a.symbol === "string") parts.push(a.symbol.toUpperCase());
  if (typeof a.timeframe === "string") parts.push(a.timeframe);
  if (Array.isArray(a.legs)) parts.push(`${a.legs.length} leg${a.legs.length === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

/** The chart a successful show_chart call asks the center panel to open (5m unless it names a timeframe). */
export function chartToShow(ev: ChatEvent): { symbol: string; timeframe: Timeframe } | null {
  if (ev.type !== "tool_result" || !ev.ok || ev.name !== "show_chart") return null;
  // show_chart's result is its chart card's payload.
  const r = ev.result as Partial<ChartCard> | null;
  return r && typeof r.symbol === "string" ? { symbol: r.symbol, timeframe: r.timeframe ?? "5m" } : null;
}
