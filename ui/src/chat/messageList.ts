// The conversation as drawn: the welcome (until the first message), then a
// virtualised list of messages. An answer shows its tool chips, inline cards,
// the markdown text with a cursor while it streams, a note on numbers no tool
// result backs, and Continue when it broke off or was stopped.

import type { AppStatus, Timeframe } from "../generated/bindings";
import { h, replace } from "../lib/dom";
import { renderCard } from "./cards";
import { renderMarkdown } from "./markdown";
import { argsSummary, type Chip, type MessageView } from "./model";
import { thumbnail } from "./screenshots";
import { createVirtualList } from "./virtualList";

const SUGGESTIONS = ["levels for SPY", "show NVDA 5m", "what is RSI on QQQ", "is the market open?"];

/** The chip's trailing word: its time once done, else how it stands. */
export function chipDetail(c: Pick<Chip, "status" | "ms">): string {
  return c.status === "ok" && c.ms !== null ? `${Math.round(c.ms)} ms` : c.status === "error" ? "failed" : "running";
}

/** The warning under an answer quoting numbers no tool returned (null when all are backed). */
export function groundingNote(unverified: string[]): string | null {
  if (!unverified.length) return null;
  return `⚠ ${unverified.length === 1 ? "1 number" : `${unverified.length} numbers`} in this answer could not be matched to a tool result: ${unverified.join(", ")}`;
}

/** What the foot of an answer that did not finish says (null for other answers). */
export function endNote(m: Pick<MessageView, "status" | "error">): string | null {
  if (m.status === "cancelled") return "Stopped.";
  if (m.status === "interrupted") return `Interrupted${m.error ? `: ${m.error}` : "."}`;
  return null;
}

/** The welcome's two sentences: which coach is answering, and where the prices come from. */
export function welcomeText(status: Pick<AppStatus, "ai_offline" | "ai_label" | "market_mode" | "market_label">): { coach: string; market: string } {
  return {
    coach: status.ai_offline
      ? "I'm the offline coach: no language model is in use, so my answers are templates over the numbers this app computes."
      : `I'm running on ${status.ai_label}. Every number I quote comes from a tool result the app computed; numbers I can't back are flagged.`,
    market: status.market_mode === "demo" ? "You're on the demo market: simulated prices, not real quotes." : `Market data: ${status.market_label}.`,
  };
}

function chipEl(c: Chip): HTMLElement {
  const icon = c.status === "running" ? h("span", { class: "spinner", "aria-hidden": "true" }) : h("span", { "aria-hidden": "true" }, c.status === "ok" ? "✓" : "✗");
  const args = argsSummary(c.arguments);
  return h(
    "span",
    {
      class: `tool-chip tool-${c.status}`,
      "data-testid": "tool-chip",
      "data-status": c.status,
      "data-tool": c.name,
      title: c.error ? `${c.name} failed: ${c.error}` : `${c.name} ${JSON.stringify(c.arguments)}`,
    },
    icon,
    h("span", { class: "tool-name" }, c.name),
    args ? h("span", { class: "tool-args" }, args) : null,
    h("span", { class: "tool-detail" }, chipDetail(c)),
  );
}

export function renderMessage(m: MessageView, opts: { openChart: (symbol: string, timeframe: Timeframe) => void; onContinue: (m: MessageView) => void }): HTMLElement {
  const el = h("article", {
    class: `chat-msg chat-${m.role}`,
    "data-testid": "chat-message",
    "data-role": m.role,
    "data-status": m.status,
    "data-message-id": m.id ?? "",
  });
  if (m.role === "user") {
    if (m.images.length) el.append(h("div", { class: "msg-images" }, m.images.map((i) => thumbnail(i))));
    if (m.content) el.append(h("div", { class: "msg-text" }, m.content));
    return el;
  }
  if (m.chips.length) el.append(h("div", { class: "tool-chips" }, m.chips.map(chipEl)));
  if (m.cards.length) el.append(h("div", { class: "chat-cards" }, m.cards.map((c) => renderCard(c, opts.openChart, { messageId: m.id, streaming: m.status === "streaming" }))));
  const md = h("div", { class: "md" });
  md.append(renderMarkdown(m.content, m.unverified));
  if (m.status === "streaming") {
    const tail = md.lastElementChild ?? md;
    tail.append(h("span", { class: "cursor", "aria-hidden": "true" }));
  }
  el.append(md);
  const note = groundingNote(m.unverified);
  if (note) el.append(h("p", { class: "grounding-note", "data-testid": "grounding-note" }, note));
  const end = endNote(m);
  if (end) {
    // Continue needs the stored message to resume from.
    const cont = m.id !== null ? h("button", { type: "button", class: "btn btn-small", "data-testid": "chat-continue", onclick: () => void opts.onContinue(m) }, "Continue") : null;
    el.append(h("div", { class: "msg-foot" }, h("span", { class: m.status === "interrupted" ? "warn-text" : "muted" }, end), cont));
  }
  return el;
}

export interface MessageList {
  welcome: HTMLElement;
  /** The message log (hidden while the welcome shows). */
  element: HTMLElement;
  setItems(messages: MessageView[]): void;
  refresh(key: string): void;
  scrollToBottom(): void;
  renderedCount(): number;
  renderWelcome(status: AppStatus): void;
}

export function createMessageList(opts: {
  openChart: (symbol: string, timeframe: Timeframe) => void;
  onContinue: (m: MessageView) => void;
  onSuggestion: (prompt: string) => void;
}): MessageList {
  const list = createVirtualList<MessageView>({
    keyOf: (m) => m.key,
    render: (m) => renderMessage(m, opts),
    class: "chat-log",
    attrs: { role: "log", "aria-label": "Conversation", "data-testid": "chat-log" },
  });
  const welcome = h("div", { class: "chat-welcome", "data-testid": "chat-welcome" });

  return {
    welcome,
    element: list.element,
    setItems(messages) {
      welcome.hidden = messages.length > 0;
      list.element.hidden = messages.length === 0;
      list.setItems(messages);
    },
    refresh: (key) => list.refresh(key),
    scrollToBottom: () => list.scrollToBottom(),
    renderedCount: () => list.renderedCount(),
    renderWelcome(status) {
      const text = welcomeText(status);
      replace(
        welcome,
        h("p", {}, h("strong", {}, "Welcome to AI Coach. ")),
        h("p", {}, text.coach),
        h("p", { class: "muted" }, text.market),
        h(
          "div",
          { class: "suggestions" },
          SUGGESTIONS.map((s) => h("button", { type: "button", class: "btn btn-small suggestion", onclick: () => opts.onSuggestion(s) }, s)),
        ),
      );
    },
  };
}
