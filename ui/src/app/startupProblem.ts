// Shown instead of the app when the database cannot be used. Nothing is ever
// deleted: a damaged file is renamed beside itself, and only when the user says so.

import type { Startup } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h } from "../lib/dom";

export function renderStartupProblem(s: Exclude<Startup, { state: "ready" }>, onResolved: (next: Startup) => void): HTMLElement {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const actions: HTMLElement[] = [];
  if (s.state === "database_problem" && s.can_move_aside) {
    const btn = h(
      "button",
      { type: "button", class: "btn btn-primary", "data-testid": "move-db-aside" },
      "Move it aside and start fresh",
    );
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        onResolved(await ipc.moveDatabaseAside());
      } catch (e) {
        error.hidden = false;
        error.textContent = (e as IpcError).message;
        btn.disabled = false;
      }
    });
    actions.push(btn);
  }
  return h(
    "main",
    { class: "startup-problem", "data-testid": "startup-problem", "data-state": s.state },
    h("h1", {}, s.state === "database_problem" ? "AI Coach can't open its database" : "AI Coach could not start"),
    h("p", {}, s.message),
    s.state === "database_problem"
      ? h(
          "p",
          { class: "muted" },
          s.can_move_aside
            ? `Moving it aside renames ${s.path} to a .corrupt-<time> file in the same folder; nothing is deleted, and you can send it for recovery.`
            : "Install the newer version of AI Coach that wrote this database; it was not changed.",
        )
      : h("p", { class: "muted" }, "The log in the data folder has the details."),
    h("div", { class: "form-actions" }, actions),
    error,
  );
}
