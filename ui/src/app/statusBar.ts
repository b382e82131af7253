// The status bar: market mode, connection state and AI mode, always visible.
// QA contract: data-testid status-market, status-connection, status-ai.

import type { AppStatus, ConnectionState, ConnectionStatus, SimulatedClock } from "../generated/bindings";
import { h, replace } from "../lib/dom";
import { uiLocale } from "../lib/locale";
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

/** The simulated time now, extrapolated from the backend's answer received at `receivedAt`. */
export function simulatedNow(clock: SimulatedClock, receivedAt: number, now: number): number {
  return clock.now_ms + Math.max(0, now - receivedAt) * clock.speed;
}

const clockFormat = new Intl.DateTimeFormat(uiLocale, {
  timeZone: "America/New_York",
  weekday: "short",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** "Replay · Tue, Jul 2, 10:05:00 ET" */
export function clockLabel(ms: number): string {
  return `Replay · ${clockFormat.format(new Date(ms))} ET`;
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
  const clock = h("span", { class: "status-item status-clock", "data-testid": "status-clock", hidden: true });
  let clockReceived = Date.now();
  let clockTimer: number | undefined;
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
        status.simulated_clock
          ? [h("dt", {}, "Market time"), h("dd", {}, `${clockLabel(simulatedNow(status.simulated_clock, clockReceived, Date.now()))} (simulated)`)]
          : null,
        h("dt", {}, "Since"),
        h("dd", {}, `${new Date(c.since_ms).toLocaleTimeString(uiLocale, { timeZone: "America/New_York" })} ET`),
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
    renderClock();
    if (sheet.isOpen) renderDetails();
  };

  function renderClock(): void {
    const sim = status.simulated_clock;
    clock.hidden = !sim;
    if (!sim) {
      if (clockTimer !== undefined) window.clearInterval(clockTimer);
      clockTimer = undefined;
      return;
    }
    clock.textContent = clockLabel(simulatedNow(sim, clockReceived, Date.now()));
    clock.title = `The real market is closed, so the demo market is replaying the session of ${sim.session_date}. Prices are simulated.`;
    if (clockTimer === undefined && sim.speed > 0) {
      clockTimer = window.setInterval(renderClock, 1000);
    }
  }

  connection.addEventListener("click", () => {
    renderDetails();
    if (sheet.isOpen) sheet.close();
    else sheet.open();
  });

  const bar = h(
    "footer",
    { class: "status-bar", role: "status", "aria-label": "Status" },
    market,
    clock,
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
      clockReceived = Date.now();
      render();
    },
    updateConnection(c) {
      status = { ...status, connection: c };
      render();
    },
  };
}
