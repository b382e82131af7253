// Where the user writes to the coach: the current phase of the answer, the
// last error, the text box, and Send (Stop while an answer streams).
// Enter sends, Shift+Enter breaks the line, Esc stops a streaming answer.

import type { MessageView } from "./model";
import { h, replace } from "../lib/dom";

const PHASE_ICON: Record<string, string> = { thinking: "…", calling: "⚙", analyzing: "◔", writing: "✎" };

export interface Composer {
  element: HTMLElement;
  /** The text in the box. */
  value: string;
  focus(): void;
  /** Says what went wrong (an empty string clears it). */
  showError(message: string): void;
  setPhase(p: MessageView["phase"]): void;
  /** Swaps Send for Stop while an answer streams. */
  setBusy(busy: boolean): void;
  /** Puts a prompt into the box, focused, with the caret at its end. */
  prefill(text: string): void;
}

export function createComposer(opts: { onSend: () => void; onStop: () => void; isStreaming: () => boolean }): Composer {
  const phaseEl = h("div", { class: "chat-phase", "data-testid": "chat-phase", "data-phase": "idle", hidden: true, role: "status" });
  const input = h("textarea", {
    class: "chat-input",
    rows: 2,
    "data-testid": "chat-input",
    "aria-label": "Message to the coach",
    placeholder: "Ask the coach… (Enter sends, Shift+Enter for a new line)",
  });
  const sendBtn = h("button", { type: "button", class: "btn btn-primary", "data-testid": "chat-send" }, "Send");
  const stopBtn = h("button", { type: "button", class: "btn", "data-testid": "chat-stop", hidden: true, title: "Stop the answer (Esc)" }, "Stop");
  const composerError = h("p", { class: "field-error", role: "alert", "data-testid": "chat-error" });
  const element = h("div", { class: "chat-composer" }, phaseEl, composerError, h("div", { class: "composer-row" }, input, h("div", { class: "composer-buttons" }, sendBtn, stopBtn)));

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      opts.onSend();
    } else if (e.key === "Escape" && opts.isStreaming()) {
      e.preventDefault();
      opts.onStop();
    }
  });
  sendBtn.addEventListener("click", () => opts.onSend());
  stopBtn.addEventListener("click", () => opts.onStop());

  return {
    element,
    get value() {
      return input.value;
    },
    set value(text) {
      input.value = text;
    },
    focus: () => input.focus(),
    showError(message) {
      composerError.textContent = message;
    },
    setPhase(p) {
      if (!p) {
        phaseEl.hidden = true;
        phaseEl.dataset.phase = "idle";
        phaseEl.replaceChildren();
        return;
      }
      phaseEl.hidden = false;
      phaseEl.dataset.phase = p.phase;
      replace(phaseEl, h("span", { class: `phase-icon phase-${p.phase}`, "aria-hidden": "true" }, PHASE_ICON[p.phase] ?? "•"), p.label);
    },
    setBusy(busy) {
      sendBtn.hidden = busy;
      stopBtn.hidden = !busy;
    },
    prefill(text) {
      input.value = text;
      input.focus();
      input.setSelectionRange(text.length, text.length);
      input.scrollIntoView({ block: "nearest" });
    },
  };
}
