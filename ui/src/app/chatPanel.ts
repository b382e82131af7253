// The coach's panel: a streaming conversation with tool chips, inline cards,
// the current phase, stop and continue, and a session drawer with full-text
// search. It says plainly which coach is on (a model, or the offline coach).
// This file puts the parts together; each lives in ../chat/.

import type { AppStatus, Timeframe } from "../generated/bindings";
import { h } from "../lib/dom";
import { createComposer } from "../chat/composer";
import { createConversation } from "../chat/conversation";
import { createMessageList } from "../chat/messageList";
import { createModePill } from "../chat/modePill";
import { createSessionDrawer } from "../chat/sessionDrawer";

export interface ChatPanel {
  element: HTMLElement;
  update(s: AppStatus): void;
  /** Puts a prompt into the input (from "Ask coach about this level") and focuses it. */
  prefill(text: string): void;
}

export function createChatPanel(
  initial: AppStatus,
  opts: { onOpenChart?: (symbol: string, timeframe: Timeframe) => void } = {},
): ChatPanel {
  const openChart = (s: string, tf: Timeframe) => opts.onOpenChart?.(s, tf);

  const mode = createModePill();
  const newBtn = h("button", { type: "button", class: "btn btn-quiet btn-small", "data-testid": "chat-new", title: "Start a new conversation" }, "New");
  const list = createMessageList({
    openChart,
    onContinue: (m) => void conversation.continueAnswer(m),
    onSuggestion: (prompt) => {
      composer.value = prompt;
      void conversation.send();
    },
  });
  const composer = createComposer({
    onSend: () => void conversation.send(),
    onStop: () => conversation.stop(),
    isStreaming: () => conversation.streaming,
  });
  const drawer = createSessionDrawer({
    current: () => conversation.sessionId,
    onOpen: (id) => void conversation.openSession(id),
    onDeleted: (id) => conversation.deleted(id),
    onError: (message) => composer.showError(message),
  });

  const element = h(
    "aside",
    { class: "chat-panel", "aria-label": "Coach", "data-testid": "chat-panel" },
    h("header", { class: "panel-head" }, h("h2", {}, "Coach"), mode.element, h("span", { class: "spacer" }), drawer.historyButton, newBtn),
    h("div", { class: "chat-body" }, drawer.element, list.welcome, list.element),
    composer.element,
  );

  const conversation = createConversation({ host: element, list, composer, drawer, openChart });
  newBtn.addEventListener("click", () => conversation.newChat());
  element.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && conversation.streaming) conversation.stop();
  });

  const render = (s: AppStatus) => {
    mode.render(s);
    list.renderWelcome(s);
  };
  render(initial);
  conversation.start();

  // QA introspection (WebDriver): how many messages exist and how many are drawn.
  window.__coachQa = {
    ...window.__coachQa,
    chat: () => ({ sessionId: conversation.sessionId, messages: conversation.messageCount, rendered: list.renderedCount(), streaming: conversation.streaming }),
  };

  return {
    element,
    update: render,
    prefill: (text) => composer.prefill(text),
  };
}
