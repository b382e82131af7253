// The System tab: the same check as `coach doctor`, for people.

import type { DoctorReport } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { createMetricsView } from "./metricsView";

export function renderDoctor(r: DoctorReport): HTMLElement {
  const row = (label: string, value: string | Node, ok?: boolean) =>
    h(
      "div",
      { class: "kv", "data-ok": ok === undefined ? null : String(ok) },
      h("dt", {}, label),
      h("dd", {}, ok === undefined ? null : h("span", { class: ok ? "ok" : "bad", "aria-hidden": "true" }, ok ? "✓ " : "✗ "), value),
    );
  const db = r.database;
  return h(
    "div",
    { class: "doctor", "data-testid": "doctor-report" },
    h(
      "section",
      { class: "card" },
      h("h3", {}, "Modes"),
      h("dl", {}, row("Market data", r.market_mode), row("Coach", r.ai_mode)),
    ),
    h(
      "section",
      { class: "card" },
      h("h3", {}, "Endpoints"),
      r.endpoints.length
        ? h(
            "dl",
            {},
            r.endpoints.map((e) =>
              row(
                e.name,
                h(
                  "span",
                  {},
                  `${e.detail}${e.latency_ms !== null ? ` · ${e.latency_ms} ms` : ""}`,
                  h("br"),
                  h("small", { class: "muted url" }, e.url),
                ),
                e.ok,
              ),
            ),
          )
        : h("p", { class: "muted" }, "No endpoints were checked."),
    ),
    h(
      "section",
      { class: "card" },
      h("h3", {}, "Storage"),
      h(
        "dl",
        {},
        row("Data folder", r.data_dir),
        row(
          "Database",
          db.error ?? `${db.path} · schema ${db.schema_version ?? "?"} of ${db.supported_schema_version} · ${db.journal_mode ?? "?"}`,
          db.error === null,
        ),
        row("Logs", r.log_dir ?? "not written"),
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("h3", {}, "Keys"),
      r.secret_backend_warning ? h("p", { class: "warning", role: "note" }, r.secret_backend_warning) : null,
      h(
        "dl",
        {},
        row("Stored in", r.secret_backend === "keychain" ? "OS keychain" : "file (no keychain)"),
        r.secrets.map((s) => row(s.label, s.set ? `set (${s.source === "env" ? s.env_var : s.source})` : `not set · ${s.env_var}`)),
      ),
    ),
    r.settings_issues.length
      ? h(
          "section",
          { class: "card" },
          h("h3", {}, "Settings ignored"),
          h("ul", {}, r.settings_issues.map((i) => h("li", {}, `${i.key}: ${i.message}`))),
        )
      : null,
  );
}

export function createSystemView(): { element: HTMLElement; refresh(): Promise<void> } {
  const body = h("div", { class: "system-body" }, h("p", { class: "muted" }, "Checking…"));
  const metrics = createMetricsView();
  const button = h("button", { type: "button", class: "btn", "data-testid": "doctor-run" }, "Run checks again");
  const refresh = async () => {
    button.disabled = true;
    button.textContent = "Checking…";
    void metrics.refresh();
    try {
      replace(body, renderDoctor(await ipc.doctor()));
    } catch (e) {
      replace(body, h("p", { class: "error", role: "alert" }, (e as IpcError).message));
    } finally {
      button.disabled = false;
      button.textContent = "Run checks again";
    }
  };
  button.addEventListener("click", () => void refresh());
  const element = h(
    "div",
    { class: "panel-page" },
    h("div", { class: "page-head" }, h("h2", {}, "System check"), button),
    body,
    metrics.element,
  );
  return { element, refresh };
}
