// The status bar: market mode, connection state and AI mode, always visible.
// QA contract: data-testid status-market, status-connection, status-ai.

import type { AppStatus, ConnectionState, ConnectionStatus } from "../generated/bindings";
import { h, replace } from "../lib/dom";
import { createBottomSheet } from "../components/bottomSheet";

const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  live: "Live",
  delayed: "Delayed 15 min",
  stale: "Stale",
  reconnecting: "Reconnecting…",
  failed: "Disconnected",
};

/** The words the status bar shows for a connection state. */
export function connectionLabel(s: ConnectionStatus): string {
  if (s.state === "reconnecting" && s.attempt > 1) return `Reconnecting… (attempt ${s.attempt})`;
  return STATE_TEXT[s.state];
}

/** Severity drives colour: ok (green), warn (amber), bad (red). */
export function connectionTone(state: ConnectionState): "ok" | "warn" | "bad" {
  switch (state) {
    case "live":
    case "delayed":
      return "ok";
    case "connecting":
    case "reconnecting":
    case "stale":
      return "warn";
    case "failed":
      return "bad";
  }
}

export interface StatusBar {
  element: HTMLElement;
  update(status: AppStatus): void;
  updateConnection(c: ConnectionStatus): void;
}

export function createStatusBar(initial: AppStatus): StatusBar {
  let status = initial;
  const market = h("span", { class: "status-item", "data-testid": "status-market" });
  const connection = h("button", {
    class: "status-item status-connection",
    type: "button",
    "data-testid": "status-connection",
    "aria-haspopup": "dialog",
  });
  const ai = h("span", { class: "status-item", "data-testid": "status-ai" });
  const warn = h("span", { class: "status-item status-warn", role: "note" });
  const version = h("span", { class: "status-item status-version" });
  const details = h("div", { class: "connection-details" });
  const sheet = createBottomSheet({ title: "Market connection", testId: "connection-sheet", content: details });

  const renderDetails = () => {
    const c = status.connection;
    replace(
      details,
      h(
        "dl",
        {},
        h("dt", {}, "Market data"),
        h("dd", {}, status.market_label),
        h("dt", {}, "Connection"),
        h("dd", {}, connectionLabel(c)),
        c.detail ? [h("dt", {}, "Detail"), h("dd", {}, c.detail)] : null,
        h("dt", {}, "Since"),
        h("dd", {}, new Date(c.since_ms).toLocaleTimeString()),
        h("dt", {}, "Coach"),
        h("dd", {}, status.ai_detail ?? status.ai_label),
      ),
    );
  };

  const render = () => {
    const c = status.connection;
    market.textContent = status.market_label;
    market.dataset.mode = status.market_mode;
    market.title =
      status.market_mode === "demo"
        ? "Simulated market data from the built-in demo market — not real prices"
        : "Market data from Massive";
    const tone = connectionTone(c.state);
    replace(connection, h("span", { class: `dot dot-${tone}`, "aria-hidden": "true" }), connectionLabel(c));
    connection.dataset.state = c.state;
    connection.dataset.tone = tone;
    connection.title = c.detail ?? connectionLabel(c);
    connection.setAttribute("aria-label", `Market connection: ${connectionLabel(c)}. Show details`);
    ai.textContent = status.ai_label;
    ai.dataset.offline = String(status.ai_offline);
    ai.title = status.ai_detail ?? "";
    const warnings = [
      status.secret_backend_warning ? "Keys stored without a keychain" : null,
      status.settings_issues.length ? `${status.settings_issues.length} setting(s) ignored` : null,
    ].filter(Boolean);
    warn.hidden = warnings.length === 0;
    warn.textContent = warnings.length ? `⚠ ${warnings.join(" · ")}` : "";
    warn.title = [status.secret_backend_warning, ...status.settings_issues.map((i) => `${i.key}: ${i.message}`)]
      .filter(Boolean)
      .join("\n");
    version.textContent = `v${status.version}`;
    if (sheet.isOpen) renderDetails();
  };

  connection.addEventListener("click", () => {
    renderDetails();
    if (sheet.isOpen) sheet.close();
    else sheet.open();
  });

  const bar = h(
    "footer",
    { class: "status-bar", role: "status", "aria-label": "Status" },
    market,
    connection,
    ai,
    warn,
    h("span", { class: "spacer" }),
    version,
  );
  const element = h("div", { class: "status-wrap" }, sheet.element, bar);
  render();
  return {
    element,
    update(next) {
      status = next;
      render();
    },
    updateConnection(c) {
      status = { ...status, connection: c };
      render();
    },
  };
}
