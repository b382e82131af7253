// The live chart: candles, volume, session shading, indicator overlays and
// panes (values from the Rust engine), key levels as clickable lines with
// non-overlapping labels, and the level list (beside the chart on desktop, in
// a bottom sheet at phone width). This file wires the parts together and
// applies the chart stream's events to them.

import type { AlertInput, AppStatus, ChartEvent, ChartView as ChartViewData, ConnectionStatus, LevelsReport } from "../generated/bindings";
import { createAlertLines } from "../alerts/alertLines";
import type { IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { createBottomSheet } from "../components/bottomSheet";
import { createChartCaption } from "./chartCaption";
import { createChartLoader, type ChartScreen } from "./chartLoader";
import { nowMs, recordTick } from "./chartMetrics";
import { createChartSeries } from "./chartSeries";
import { createChartToolbar, type TimeframeId } from "./chartToolbar";
import { nearbyLevels, widenToLevels } from "./levelAutoscale";
import { createLevelLines } from "./levelLines";
import { createLevelPanel } from "./levelPanel";
import { askCoachPrompt, levelId } from "./levelText";
import { DEFAULT_OVERLAYS } from "./overlays";

declare global {
  interface Window {
    __coachQa?: {
      chart?: () => { symbol: string | null; timeframe: string | null; times: number[]; closes: number[]; ohlcv: number[][]; levels: number };
      alertLines?: () => { id: number; price: number; y: number | null; draggable: boolean }[];
      priceY?: (price: number) => number | null;
      chat?: () => { sessionId: number | null; messages: number; rendered: number; streaming: boolean };
    };
  }
}

export interface ChartViewApi {
  element: HTMLElement;
  /** Shows a symbol/timeframe (the coach's show_chart lands here too). */
  show(symbol: string, timeframe: TimeframeId, userAction?: boolean): Promise<void>;
  update(status: AppStatus): void;
  updateConnection(c: ConnectionStatus): void;
  /** Re-measures after the tab becomes visible. */
  resize(): void;
  /** The symbol drawn (or being loaded). */
  readonly symbol: string;
}

export function createChartView(opts: {
  initial: AppStatus;
  onAskCoach: (prompt: string) => void;
  onOptionsAtStrike?: (symbol: string, price: number) => void;
  /** "Create alert" on a level: the alerts form, pre-filled (with a line saying where it came from). */
  onCreateAlert?: (input: Partial<AlertInput>, context: string) => void;
}): ChartViewApi {
  let status = opts.initial;
  let connection = status.connection;
  const enabled = new Set(DEFAULT_OVERLAYS);

  // ---- state of what is drawn
  let view: ChartViewData | null = null;
  let report: LevelsReport | null = null;
  let selected: string | null = null;
  const counts = { loads: 0, updates: 0, fills: 0 };

  const toolbar = createChartToolbar({
    symbol: "SPY",
    enabled,
    onSymbol: (s) => void loader.show(s, loader.timeframe, true),
    onTimeframe: (tf) => void loader.show(loader.symbol, tf, true),
    onOverlays: () => series.rebuildIndicators(),
  });

  const container = h("div", { class: "chart", "data-testid": "chart", "data-state": "loading", role: "img", "aria-label": "Price chart" });
  const empty = h("div", { class: "chart-empty", "data-testid": "chart-empty" }, "Loading chart…");
  const errorBox = h("div", { class: "chart-error", "data-testid": "chart-error", role: "alert", hidden: true });

  const panel = createLevelPanel({
    onSelect: (l) => {
      selected = l ? levelId(l) : null;
      lines.draw();
    },
    onAskCoach: (r, l) => opts.onAskCoach(askCoachPrompt(r, l)),
    onOptions: opts.onOptionsAtStrike ? (r, l) => opts.onOptionsAtStrike!(r.symbol, l.price) : undefined,
    onCreateAlert: opts.onCreateAlert
      ? (r, l) => {
          if (sheet.isOpen) sheet.close();
          opts.onCreateAlert!(
            {
              symbol: r.symbol,
              level: l.kind,
              level_label: l.label,
              price: null,
              condition: l.distance_pts >= 0 ? "crosses_above" : "crosses_below",
              trigger: "once",
              timeframe: loader.timeframe,
            },
            `From the chart: ${l.label} at ${l.price.toFixed(2)} (last ${r.price.toFixed(2)}).`,
          );
        }
      : undefined,
  });

  const series = createChartSeries(container, {
    enabled,
    timeframe: () => loader.timeframe,
    autoscale: (own) => widenToLevels(own, nearbyLevels(report, selected)),
    onRebuilt: () => lines.schedule(),
  });
  // Phone width: the level list lives in the bottom sheet.
  const phone = window.matchMedia("(max-width: 480px)");
  const lines = createLevelLines({
    chart: series.chart,
    candles: series.candles,
    container,
    compact: phone,
    report: () => report,
    selected: () => selected,
    hasBars: () => series.bars.length > 0,
    onPick: (id) => panel.select(id),
  });
  const caption = createChartCaption(series.chart, container, () => series.bars);
  const alertLines = createAlertLines({
    chart: series.chart,
    candles: series.candles,
    container,
    symbol: () => view?.symbol ?? null,
  });

  const chartArea = h("div", { class: "chart-area" }, caption.element, errorBox, container, lines.labels, lines.tooltip, empty, alertLines.notice, alertLines.list);
  new ResizeObserver(() => {
    lines.forgetOffset();
    lines.schedule();
  }).observe(chartArea);

  const side = h("aside", { class: "level-side", "aria-label": "Key levels" }, panel.element);
  const sheetBody = h("div", { class: "level-sheet-body" });
  const sheet = createBottomSheet({ title: "Key levels", testId: "level-sheet", content: sheetBody, snaps: [0.45, 0.7, 0.92] });
  toolbar.sheetOpen.addEventListener("click", () => (sheet.isOpen ? sheet.close() : sheet.open(0.45)));

  const element = h(
    "section",
    { class: "chart-view", "data-testid": "chart-view", "aria-label": "Chart" },
    toolbar.element,
    toolbar.symbolError,
    h("div", { class: "chart-body" }, chartArea, side),
    sheet.element,
  );

  const placePanel = () => {
    if (phone.matches) sheetBody.append(panel.element);
    else {
      if (sheet.isOpen) sheet.close();
      side.append(panel.element);
    }
  };
  phone.addEventListener("change", placePanel);
  placePanel();

  const renderMeta = () => {
    caption.render(view, series.bars, loader.symbol, loader.timeframe, counts);
    toolbar.setLevelCount(report ? report.levels.length : null);
  };
  const renderBadges = () => toolbar.renderBadges(status, connection, view);

  function showError(e: IpcError, retry: () => void): void {
    lines.forgetOffset();
    errorBox.hidden = false;
    errorBox.classList.toggle("inline", series.bars.length > 0);
    replace(
      errorBox,
      h("span", {}, `Couldn't load ${loader.symbol} ${loader.timeframe}: ${e.message}`),
      h("button", { type: "button", class: "btn", "data-testid": "chart-retry", onclick: () => retry() }, "Retry"),
    );
    empty.hidden = true;
    container.dataset.state = "error";
  }

  function handle(ev: ChartEvent): void {
    if (!view || ev.generation !== view.generation) return;
    switch (ev.type) {
      case "bar": {
        series.applyBar(ev.bar, ev.indicators, view.indicator_keys);
        counts.updates++;
        recordTick(nowMs() - ev.received_ms);
        renderMeta();
        lines.schedule();
        break;
      }
      case "fill": {
        let older = false;
        ev.bars.forEach((b, i) => (older = series.applyBar(b, ev.indicators[i] ?? [], view!.indicator_keys, false) || older));
        if (older) series.redraw();
        counts.fills++;
        renderMeta();
        lines.schedule();
        break;
      }
      case "levels": {
        report = ev.report;
        panel.setReport(report);
        if (selected && !report.levels.some((l) => levelId(l) === selected)) selected = null;
        lines.draw();
        renderMeta();
        break;
      }
      case "levels_failed": {
        if (report && report.symbol === view.symbol) {
          // The last levels of this symbol stay (list and lines agree), marked as not refreshed.
          panel.setReport(report, `Not refreshed: ${ev.message}`);
        } else {
          report = null;
          selected = null;
          panel.setReport(null, `Levels unavailable: ${ev.message}`);
          lines.draw();
        }
        break;
      }
      case "connection": {
        connection = ev.status;
        renderBadges();
        break;
      }
    }
  }

  const screen: ChartScreen = {
    get drawn() {
      return view;
    },
    loading(nextSymbol, tf, quiet) {
      toolbar.pressTimeframe(tf);
      if (!quiet) {
        toolbar.showSymbol(nextSymbol);
        errorBox.hidden = true;
      }
      lines.forgetOffset();
      container.dataset.state = "loading";
      container.dataset.painted = "false";
      container.dataset.pendingSymbol = nextSymbol;
      container.dataset.pendingTimeframe = tf;
      if (!series.bars.length) {
        empty.hidden = false;
        empty.textContent = `Loading ${nextSymbol} ${tf}…`;
      }
    },
    setRefresh: (text) => toolbar.setRefresh(text),
    draw(next) {
      // Levels belong to the symbol, not the timeframe: they stay until the new stream's arrive.
      const sameSymbol = view?.symbol === next.symbol;
      view = next;
      series.load(next.bars, new Map(next.indicator_keys.map((k, i) => [k, next.indicators[i] ?? []])));
      if (!sameSymbol) {
        report = null;
        selected = null;
        panel.setReport(null, "Computing levels…");
      }
      counts.loads++;
      series.redraw();
      lines.draw();
      if (!sameSymbol) alertLines.draw();
      series.chart.timeScale().scrollToRealTime();
      empty.hidden = series.bars.length > 0;
      if (!series.bars.length) empty.textContent = `No bars for ${next.symbol} ${next.timeframe} in this range.`;
      container.dataset.state = "ready";
      renderMeta();
      renderBadges();
    },
    apply: handle,
    painted() {
      container.dataset.painted = "true";
    },
    settle() {
      container.dataset.state = "ready";
    },
    refuse: (message) => toolbar.refuseSymbol(message),
    fail: showError,
  };
  const loader = createChartLoader(screen);

  renderBadges();
  renderMeta();
  // Read-only introspection for the WebDriver suite (docs/testing.md): what the chart has drawn.
  window.__coachQa = {
    ...window.__coachQa,
    chart: () => ({
      symbol: view?.symbol ?? null,
      timeframe: view?.timeframe ?? null,
      times: series.bars.map((b) => b.time),
      closes: series.bars.map((b) => b.close),
      ohlcv: series.bars.map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume]),
      levels: report?.levels.length ?? 0,
    }),
    alertLines: () => alertLines.positions(),
    priceY: (price: number) => series.candles.priceToCoordinate(price),
  };

  return {
    element,
    show: loader.show,
    get symbol() {
      return loader.symbol;
    },
    update(next) {
      status = next;
      connection = next.connection;
      renderBadges();
    },
    updateConnection(c) {
      connection = c;
      renderBadges();
    },
    resize() {
      lines.schedule();
    },
  };
}
