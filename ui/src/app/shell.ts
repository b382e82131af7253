// The app frame: a center panel with tabs, the coach panel, and the status bar.
// On a phone-width window (≤ 480 px) the panels stack (CSS) and details open
// as bottom sheets.

import type { AppStatus, Timeframe } from "../generated/bindings";
import { ipc, events } from "../ipc";
import { h } from "../lib/dom";
import { createStatusBar } from "./statusBar";
import { createSystemView } from "./systemView";
import { createSettingsView } from "./settingsView";
import { createChatPanel } from "./chatPanel";
import { createTabs } from "../components/tabs";
import { createChartView } from "../chart/chartView";
import { createOptionsView } from "../options/optionsView";
import { createJournalView } from "../journal/journalView";
import { createAlertsView } from "../alerts/alertsView";
import { alertFeed, startAlertFeed } from "../alerts/alertFeed";
import { createToasts } from "../alerts/toasts";

export async function mountShell(root: HTMLElement, initial: AppStatus): Promise<void> {
  const statusBar = createStatusBar(initial);
  let openChart: (symbol: string, timeframe: Timeframe) => void = () => {};
  const chat = createChatPanel(initial, { onOpenChart: (s, tf) => openChart(s, tf) });
  let optionsAt: (symbol: string, price: number) => void = () => {};
  let createAlert: (input: Parameters<typeof alerts.prefill>[0], context: string) => void = () => {};
  const chartView = createChartView({
    initial,
    onAskCoach: (prompt) => chat.prefill(prompt),
    onOptionsAtStrike: (s, p) => optionsAt(s, p),
    onCreateAlert: (input, context) => createAlert(input, context),
  });
  const alerts = createAlertsView();
  const toasts = createToasts();
  alertFeed.onFired((e) => toasts.show(e));
  const options = createOptionsView();
  const journal = createJournalView({ onOpenChart: (s, tf) => openChart(s, tf) });
  let optionsLoaded = false;
  const system = createSystemView();
  const refreshStatus = async () => {
    try {
      const s = await ipc.getStatus();
      statusBar.update(s);
      chat.update(s);
      chartView.update(s);
    } catch {
      /* the startup listener handles a failed restart */
    }
  };
  const followAlerts = () =>
    startAlertFeed().catch(() => {
      /* no alerts worker (a start-up problem): the panel reads the list itself */
    });
  const settings = createSettingsView(() => {
    void refreshStatus();
    void system.refresh();
    // The engine restarted with the new settings: follow its alerts.
    void followAlerts();
  });
  const tabs = createTabs([
    { id: "chart", label: "Chart", panel: chartView.element, onShow: () => chartView.resize() },
    {
      id: "options",
      label: "Options",
      panel: options.element,
      onShow: () => {
        if (!optionsLoaded) {
          optionsLoaded = true;
          void options.show(chartView.symbol ?? "SPY");
        } else options.resume();
      },
      // A hidden chain is not followed live; it reloads when shown again.
      onHide: () => options.pause(),
    },
    { id: "journal", label: "Journal", panel: journal.element, onShow: () => void journal.show(), onHide: () => journal.hide() },
    { id: "alerts", label: "Alerts", panel: alerts.element, onShow: () => void alerts.show() },
    { id: "system", label: "System", panel: system.element, onShow: () => void system.refresh() },
    { id: "settings", label: "Settings", panel: settings.element, onShow: () => void settings.load() },
  ]);

  root.replaceChildren(
    h(
      "div",
      { class: "app" },
      h(
        "header",
        { class: "app-head" },
        h("h1", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), "AI Coach"),
        tabs.list,
      ),
      h("main", { class: "center-panel", "data-testid": "center-panel" }, tabs.panels),
      chat.element,
      statusBar.element,
    ),
    toasts.element,
  );
  tabs.select("chart");
  optionsAt = (symbol, price) => {
    optionsLoaded = true;
    tabs.select("options");
    void options.show(symbol, null, price);
  };
  createAlert = (input, context) => {
    tabs.select("alerts");
    alerts.prefill(input, context);
  };
  openChart = (symbol, timeframe) => {
    tabs.select("chart");
    void chartView.show(symbol, timeframe, true);
  };
  await events.marketStatus((c) => {
    statusBar.updateConnection(c);
    chartView.updateConnection(c);
  });
  void chartView.show("SPY", "1m");
  // One app-wide alerts follow: the panel, the toasts, the chart's lines and the coach's cards listen to it.
  void followAlerts();
}
