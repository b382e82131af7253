// The pill in the coach's header that says which coach answers: a named
// model, or the offline coach (templates, no language model).

import type { AppStatus } from "../generated/bindings";
import { h } from "../lib/dom";

export function coachModeLabel(status: Pick<AppStatus, "ai_offline" | "ai_label">): string {
  return status.ai_offline ? "Offline coach" : `Model: ${status.ai_label}`;
}

export function createModePill(): { element: HTMLElement; render(status: AppStatus): void } {
  const element = h("span", { class: "pill", "data-testid": "chat-mode" });
  return {
    element,
    render(s) {
      element.textContent = coachModeLabel(s);
      element.title = s.ai_detail ?? "";
      element.dataset.offline = String(s.ai_offline);
    },
  };
}
