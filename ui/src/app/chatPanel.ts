// The coach's panel. It says plainly which coach is on (a model, or the offline
// coach) and what it is grounded in.

import type { AppStatus } from "../generated/bindings";
import { h, replace } from "../lib/dom";

export interface ChatPanel {
  element: HTMLElement;
  update(s: AppStatus): void;
  /** Puts a prompt into the input (from "Ask coach about this level") and focuses it. */
  prefill(text: string): void;
}

export function createChatPanel(initial: AppStatus): ChatPanel {
  const mode = h("span", { class: "pill", "data-testid": "chat-mode" });
  const intro = h("div", { class: "chat-message", "data-role": "assistant" });
  const input = h("textarea", {
    class: "chat-input",
    rows: 3,
    "data-testid": "chat-input",
    "aria-label": "Message to the coach",
    "aria-describedby": "chat-unavailable",
    placeholder: "Ask the coach…",
  });
  const render = (s: AppStatus) => {
    mode.textContent = s.ai_label;
    mode.dataset.offline = String(s.ai_offline);
    replace(
      intro,
      h("p", {}, h("strong", {}, "Welcome to AI Coach. ")),
      h(
        "p",
        {},
        s.ai_offline
          ? "I'm the offline coach: no language model is in use, so my answers are built from templates over the numbers this app computes."
          : `I'm running on ${s.ai_label}. Every number I quote comes from a tool result the app computed.`,
      ),
      h(
        "p",
        {},
        s.market_mode === "demo"
          ? "You're on the demo market: simulated prices from a built-in market, not real quotes."
          : `Market data comes from ${s.market_label}.`,
      ),
    );
  };
  render(initial);
  const element = h(
    "aside",
    { class: "chat-panel", "aria-label": "Coach", "data-testid": "chat-panel" },
    h("header", { class: "panel-head" }, h("h2", {}, "Coach"), mode),
    h("div", { class: "chat-log", role: "log" }, intro),
    h(
      "div",
      { class: "chat-composer" },
      input,
      h("small", { id: "chat-unavailable", class: "muted" }, "You can draft a question here; sending opens when the coach's conversation tools arrive."),
    ),
  );
  return {
    element,
    update: render,
    prefill(text) {
      input.value = text;
      input.focus();
      input.setSelectionRange(text.length, text.length);
      input.scrollIntoView({ block: "nearest" });
    },
  };
}
