// The live chart: candles, volume, session shading, indicator overlays and
// panes (values from the Rust engine), key levels as clickable lines with
// non-overlapping labels, and the level list (beside the chart on desktop, in
// a bottom sheet at phone width).
//
// Latest request wins twice: the backend answers an older open of the slot
// with `superseded`, and the UI drops any answer or event whose request is
// not the newest. The chart is never covered while it refreshes; a small
// indicator says what is happening and a failure offers Retry.

import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  LineStyle,
  TickMarkType,
  createChart,
  type AutoscaleInfo,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type MouseEventParams,
  type SeriesType,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import type {
  AppStatus,
  ChartBar,
  ChartEvent,
  ChartView as ChartViewData,
  ConnectionStatus,
  Level,
  LevelsReport,
} from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { uiLocale } from "../lib/locale";
import { createBottomSheet } from "../components/bottomSheet";
import { crosshairLabel, tickLabel, toChartTime } from "./nyTime";
import { layoutLabels } from "./levelLayout";
import { createLevelPanel } from "./levelPanel";
import { FAMILY_COLOUR, askCoachPrompt, distanceText, levelFamily, levelId, testsText } from "./levelText";

declare global {
  interface Window {
    __coachQa?: {
      chart?: () => { symbol: string | null; timeframe: string | null; times: number[]; closes: number[]; ohlcv: number[][]; levels: number };
      chat?: () => { sessionId: number | null; messages: number; rendered: number; streaming: boolean };
    };
  }
}

export const TIMEFRAMES = ["1m", "5m", "15m", "1h", "1d"] as const;
export type TimeframeId = (typeof TIMEFRAMES)[number];
export const WATCHLIST = ["SPY", "QQQ", "IWM", "AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META", "GOOGL"];
const SLOT = "main";
const LABEL_HEIGHT = 18;
const RETRIES = 3;

type Pane = 0 | "rsi" | "macd";
interface Overlay {
  id: string;
  label: string;
  pane: Pane;
  lines: { key: string; colour: string; width?: 1 | 2; style?: LineStyle; histogram?: boolean }[];
}

export const OVERLAYS: Overlay[] = [
  { id: "ema", label: "EMA 20", pane: 0, lines: [{ key: "ema_20", colour: "#38bdf8" }] },
  { id: "sma", label: "SMA 50", pane: 0, lines: [{ key: "sma_50", colour: "#f472b6" }] },
  {
    id: "vwap",
    label: "VWAP",
    pane: 0,
    lines: [
      { key: "vwap", colour: "#facc15", width: 2 },
      { key: "vwap_upper_1", colour: "rgba(250,204,21,0.55)", style: LineStyle.Dashed },
      { key: "vwap_lower_1", colour: "rgba(250,204,21,0.55)", style: LineStyle.Dashed },
      { key: "vwap_upper_2", colour: "rgba(250,204,21,0.35)", style: LineStyle.Dotted },
      { key: "vwap_lower_2", colour: "rgba(250,204,21,0.35)", style: LineStyle.Dotted },
    ],
  },
  {
    id: "bb",
    label: "BB 20",
    pane: 0,
    lines: [
      { key: "bb_upper_20_2", colour: "rgba(167,139,250,0.8)" },
      { key: "bb_middle_20_2", colour: "rgba(167,139,250,0.5)", style: LineStyle.Dashed },
      { key: "bb_lower_20_2", colour: "rgba(167,139,250,0.8)" },
    ],
  },
  { id: "rsi", label: "RSI", pane: "rsi", lines: [{ key: "rsi_14", colour: "#7cb4ff" }] },
  {
    id: "macd",
    label: "MACD",
    pane: "macd",
    lines: [
      { key: "macd_hist_12_26_9", colour: "#64748b", histogram: true },
      { key: "macd_12_26_9", colour: "#38bdf8" },
      { key: "macd_signal_12_26_9", colour: "#f59e0b" },
    ],
  },
];

const UP = "#22c55e";
const DOWN = "#ef4444";

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

/** Is this connection state one the chart must flag? */
export function isStale(state: ConnectionStatus["state"]): boolean {
  return state === "stale" || state === "reconnecting" || state === "failed";
}

export function staleText(c: ConnectionStatus): string {
  switch (c.state) {
    case "stale":
      return "Stale: no new data";
    case "reconnecting":
      return c.attempt > 1 ? `Disconnected: reconnecting (attempt ${c.attempt})` : "Disconnected: reconnecting…";
    case "failed":
      return "Disconnected";
    default:
      return "";
  }
}

/** The label of the data-source badge. */
export function sourceBadge(mode: AppStatus["market_mode"]): string {
  return mode === "demo" ? "Demo" : mode === "massive_delayed" ? "Delayed 15 min" : "Real-time";
}

const nowMs = () => performance.timeOrigin + performance.now();

function record(name: string, value: number): void {
  if (!Number.isFinite(value)) return;
  ipc.recordMetric({ name, value, unit: "ms" }).catch(() => {
    /* metrics are best effort */
  });
}

// Per-tick latencies are batched: one IPC call every few seconds instead of one per tick.
const tickBuffer: { name: string; value: number; unit: string }[] = [];
let tickFlush: number | undefined;
function recordTick(value: number): void {
  if (!Number.isFinite(value)) return;
  tickBuffer.push({ name: "chart.tick_to_chart_ms", value, unit: "ms" });
  tickFlush ??= window.setTimeout(() => {
    tickFlush = undefined;
    ipc.recordMetrics(tickBuffer.splice(0)).catch(() => {
      /* metrics are best effort */
    });
  }, 3000);
}

function afterPaint(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
}

export function createChartView(opts: {
    initial: AppStatus;
  onAskCoach: (prompt: string) => void;
  onOptionsAtStrike?: (symbol: string, price: number) => void;
}): ChartViewApi {
  let status = opts.initial;
  let connection = status.connection;
  let symbol = "SPY";
  let timeframe: TimeframeId = "1m";
  const enabled = new Set(["ema", "vwap", "rsi", "macd"]);

  // ---- state of what is drawn
  let view: ChartViewData | null = null;
  let bars: ChartBar[] = [];
  let columns = new Map<string, (number | null)[]>();
  let report: LevelsReport | null = null;
  let selected: string | null = null;
  let request = 0;
  /** The request whose chart is on screen (its stream's events are applied). */
  let shownRequest = 0;
  let loads = 0;
  let updates = 0;
  let fills = 0;
  let firstVisibleRecorded = false;

  // ---- toolbar
  const symbolInput = h("input", {
    class: "symbol-input",
    "data-testid": "symbol-input",
    "aria-label": "Symbol",
    list: "symbol-list",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: 12,
    value: symbol,
    enterkeyhint: "go",
  });
  // Enter commits even where a datalist popup swallows implicit form submission.
  symbolInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      symbolForm.requestSubmit();
    }
  });
  const symbolError = h("span", { class: "field-error", id: "symbol-error", role: "alert", "data-testid": "symbol-error" });
  const datalist = h("datalist", { id: "symbol-list" }, WATCHLIST.map((s) => h("option", { value: s })));
  const symbolForm = h(
    "form",
    {
      class: "symbol-form",
      role: "search",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const s = symbolInput.value.trim().toUpperCase();
        if (s) void show(s, timeframe, true);
      },
    },
    symbolInput,
    datalist,
  );
  const tfButtons = new Map<TimeframeId, HTMLButtonElement>();
  const tfGroup = h(
    "div",
    { class: "seg", role: "group", "aria-label": "Timeframe" },
    TIMEFRAMES.map((tf) => {
      const b = h("button", { type: "button", class: "seg-btn", "data-testid": `timeframe-${tf}`, "aria-pressed": "false", onclick: () => void show(symbol, tf, true) }, tf);
      tfButtons.set(tf, b);
      return b;
    }),
  );
  const overlayButtons = h(
    "div",
    { class: "seg seg-overlays", role: "group", "aria-label": "Indicators" },
    OVERLAYS.map((o) =>
      h(
        "button",
        {
          type: "button",
          class: "seg-btn",
          "data-overlay": o.id,
          "aria-pressed": String(enabled.has(o.id)),
          onclick: (ev: Event) => {
            const b = ev.currentTarget as HTMLButtonElement;
            if (enabled.has(o.id)) enabled.delete(o.id);
            else enabled.add(o.id);
            b.setAttribute("aria-pressed", String(enabled.has(o.id)));
            rebuildIndicators();
          },
        },
        o.label,
      ),
    ),
  );
  const sourceBadgeEl = h("span", { class: "badge", "data-testid": "source-badge" });
  const liveBadge = h("span", { class: "badge badge-live", "data-testid": "live-badge" });
  const staleBadge = h("span", { class: "badge badge-stale", "data-testid": "stale-badge", role: "status", hidden: true });
  const refresh = h("span", { class: "chart-refresh", "data-testid": "chart-refresh", role: "status", hidden: true });
  const sheetOpen = h("button", { type: "button", class: "btn sheet-open", "data-testid": "level-sheet-open", "aria-haspopup": "dialog" }, "Levels");

  // ---- chart area
  const titleSymbol = h("span", { class: "chart-symbol" });
  const titleTf = h("span", { class: "chart-tf" });
  const titleLast = h("span", { class: "chart-last num" });
  const titleChg = h("span", { class: "chart-chg num" });
  const title = h("h2", { class: "chart-title", "data-testid": "chart-title" }, titleSymbol, titleTf, titleLast, titleChg);
  const legend = h("div", { class: "chart-legend", "data-testid": "chart-legend", "aria-hidden": "true" });
  const container = h("div", { class: "chart", "data-testid": "chart", "data-state": "loading", role: "img", "aria-label": "Price chart" });
  const labels = h("div", { class: "level-labels" });
  const tooltip = h("div", { class: "level-tooltip", role: "tooltip", hidden: true });
  const empty = h("div", { class: "chart-empty", "data-testid": "chart-empty" }, "Loading chart…");
  const errorBox = h("div", { class: "chart-error", "data-testid": "chart-error", role: "alert", hidden: true });
  const chartArea = h("div", { class: "chart-area" }, h("div", { class: "chart-head" }, title, legend), errorBox, container, labels, tooltip, empty);

  const panel = createLevelPanel({
    onSelect: (l) => {
      selected = l ? levelId(l) : null;
      drawLevels();
    },
        onAskCoach: (r, l) => opts.onAskCoach(askCoachPrompt(r, l)),
    onOptions: opts.onOptionsAtStrike ? (r, l) => opts.onOptionsAtStrike!(r.symbol, l.price) : undefined,
  });
  const side = h("aside", { class: "level-side", "aria-label": "Key levels" }, panel.element);
  const sheetBody = h("div", { class: "level-sheet-body" });
  const sheet = createBottomSheet({ title: "Key levels", testId: "level-sheet", content: sheetBody, snaps: [0.45, 0.7, 0.92] });
  sheetOpen.addEventListener("click", () => (sheet.isOpen ? sheet.close() : sheet.open(0.45)));

  const element = h(
    "section",
    { class: "chart-view", "data-testid": "chart-view", "aria-label": "Chart" },
    h(
      "div",
      { class: "chart-toolbar" },
      symbolForm,
      tfGroup,
      overlayButtons,
      h("span", { class: "spacer" }),
      refresh,
      staleBadge,
      liveBadge,
      sourceBadgeEl,
      sheetOpen,
    ),
    symbolError,
    h("div", { class: "chart-body" }, chartArea, side),
    sheet.element,
  );

  // Phone width: the level list lives in the bottom sheet.
  const phone = window.matchMedia("(max-width: 480px)");
  const placePanel = () => {
    if (phone.matches) sheetBody.append(panel.element);
    else {
      if (sheet.isOpen) sheet.close();
      side.append(panel.element);
    }
  };
  phone.addEventListener("change", placePanel);
  placePanel();

  // ---- lightweight-charts
  let intraday = true;
  const chart: IChartApi = createChart(container, {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: "#0b1020" },
      textColor: "#a3aecb",
      fontFamily: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
      panes: { separatorColor: "#25314f", separatorHoverColor: "#34426a" },
      attributionLogo: false,
    },
    // lightweight-charts throws on a locale WebKit reports as "C"; uiLocale is always a valid tag.
    localization: {
      locale: uiLocale,
      timeFormatter: (t: Time) => crosshairLabel(t as number, intraday),
    },
    grid: { vertLines: { color: "#141c36" }, horzLines: { color: "#141c36" } },
    crosshair: { mode: CrosshairMode.Normal },
    rightPriceScale: { borderColor: "#25314f" },
    timeScale: {
      borderColor: "#25314f",
      rightOffsetPixels: 24,
      tickMarkFormatter: (t: Time, type: TickMarkType) =>
        tickLabel(t as number, type === TickMarkType.Year ? "year" : type === TickMarkType.Month ? "month" : type === TickMarkType.DayOfMonth ? "day" : "time"),
    },
  });
  const session = chart.addSeries(HistogramSeries, {
    priceScaleId: "session",
    lastValueVisible: false,
    priceLineVisible: false,
    base: 0,
    autoscaleInfoProvider: () => ({ priceRange: { minValue: 0, maxValue: 1 } }),
  });
  chart.priceScale("session").applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: UP,
    downColor: DOWN,
    wickUpColor: UP,
    wickDownColor: DOWN,
    borderVisible: false,
    autoscaleInfoProvider: (original: () => AutoscaleInfo | null) => withNearbyLevels(original()),
  });
  const volume = chart.addSeries(HistogramSeries, {
    priceScaleId: "volume",
    priceFormat: { type: "volume" },
    lastValueVisible: false,
    priceLineVisible: false,
  });
  chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.82, bottom: 0 }, visible: false });

  let indicatorSeries = new Map<string, ISeriesApi<SeriesType>>();
  let priceLines: { id: string; line: IPriceLine }[] = [];

  /** The three nearest levels on each side of the price (and the selected one) widen the autoscale. */
  function nearbyLevels(): Level[] {
    if (!report) return [];
    const above = report.levels.filter((l) => l.distance_pts >= 0).sort((a, b) => a.distance_pts - b.distance_pts).slice(0, 3);
    const below = report.levels.filter((l) => l.distance_pts < 0).sort((a, b) => b.distance_pts - a.distance_pts).slice(0, 3);
    const sel = report.levels.filter((l) => levelId(l) === selected);
    return [...above, ...below, ...sel];
  }

  function withNearbyLevels(res: AutoscaleInfo | null): AutoscaleInfo | null {
    if (!res?.priceRange) return res;
    let { minValue, maxValue } = res.priceRange;
    for (const l of nearbyLevels()) {
      minValue = Math.min(minValue, l.price);
      maxValue = Math.max(maxValue, l.price);
    }
    return { ...res, priceRange: { minValue, maxValue } };
  }

  const t = (b: ChartBar) => toChartTime(b.time);
  const candleOf = (b: ChartBar) => ({ time: t(b), open: b.open, high: b.high, low: b.low, close: b.close });
  const volumeOf = (b: ChartBar) => ({ time: t(b), value: b.volume, color: b.close >= b.open ? "rgba(34,197,94,0.35)" : "rgba(239,68,68,0.35)" });
  const sessionOf = (b: ChartBar) => ({ time: t(b), value: 1, color: intraday && b.extended ? "rgba(124,180,255,0.08)" : "rgba(0,0,0,0)" });
  const pointOf = (time: UTCTimestamp, v: number | null | undefined, colour?: string) =>
    v === null || v === undefined ? { time } : colour ? { time, value: v, color: colour } : { time, value: v };

  /** Session VWAP is drawn over the regular session only (it carries the last session's value before the open). */
  function valueFor(key: string, b: ChartBar, v: number | null | undefined): number | null | undefined {
    return intraday && b.extended && key.startsWith("vwap") ? null : v;
  }

  function histColour(v: number | null | undefined): string | undefined {
    if (v === null || v === undefined) return undefined;
    return v >= 0 ? "rgba(34,197,94,0.55)" : "rgba(239,68,68,0.55)";
  }

  function paneIndex(p: Pane): number {
    if (p === 0) return 0;
    if (p === "rsi") return 1;
    return enabled.has("rsi") ? 2 : 1;
  }

  /** Removes every indicator series and rebuilds the enabled ones from the stored columns. */
  function rebuildIndicators(): void {
    for (const s of indicatorSeries.values()) chart.removeSeries(s);
    indicatorSeries = new Map();
    // Drop panes left empty (from the bottom so indexes stay valid).
    for (let i = chart.panes().length - 1; i >= 1; i--) {
      if (chart.panes()[i]!.getSeries().length === 0) chart.removePane(i);
    }
    const times = bars.map(t);
    for (const o of OVERLAYS) {
      if (!enabled.has(o.id)) continue;
      for (const line of o.lines) {
        const values = columns.get(line.key);
        if (!values) continue;
        const common = { lastValueVisible: false, priceLineVisible: false, title: "" };
        const s = line.histogram
          ? chart.addSeries(HistogramSeries, { ...common, color: line.colour }, paneIndex(o.pane))
          : chart.addSeries(
              LineSeries,
              { ...common, color: line.colour, lineWidth: line.width ?? 1, lineStyle: line.style ?? LineStyle.Solid, crosshairMarkerVisible: false },
              paneIndex(o.pane),
            );
        s.setData(times.map((time, i) => pointOf(time, valueFor(line.key, bars[i]!, values[i]), line.histogram ? histColour(values[i]) : undefined)));
        indicatorSeries.set(line.key, s);
        if (line.key === "rsi_14") {
          [70, 30].forEach((price) => s.createPriceLine({ price, color: "#34426a", lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: true, title: "" }));
        }
      }
    }
    const panes = chart.panes();
    panes[0]?.setStretchFactor(3);
    for (let i = 1; i < panes.length; i++) panes[i]!.setStretchFactor(1);
    scheduleLabels();
  }

  function setAll(): void {
    intraday = timeframe !== "1d";
    chart.applyOptions({ timeScale: { timeVisible: intraday, secondsVisible: false } });
    candles.setData(bars.map(candleOf));
    volume.setData(bars.map(volumeOf));
    session.setData(bars.map(sessionOf));
    rebuildIndicators();
  }

  /** Applies one bar (new, or the last one changing) and its indicator row. */
  /** Returns true when the bar went in before the last one (the caller redraws once). */
  function applyBar(b: ChartBar, row: (number | null)[], keys: string[], redraw = true): boolean {
    const last = bars[bars.length - 1];
    if (last && b.time < last.time) {
      // An older bar (a fill after a gap): put it in place; the series are redrawn.
      const i = bars.findIndex((x) => x.time >= b.time);
      if (bars[i]?.time === b.time) bars[i] = b;
      else bars.splice(i, 0, b);
      keys.forEach((k, j) => {
        const col = columns.get(k);
        if (!col) return;
        if (bars.length > col.length) col.splice(i, 0, row[j] ?? null);
        else col[i] = row[j] ?? null;
      });
      if (redraw) setAll();
      return true;
    }
    const same = last?.time === b.time;
    if (same) bars[bars.length - 1] = b;
    else bars.push(b);
    keys.forEach((k, j) => {
      const col = columns.get(k);
      if (!col) return;
      if (same) col[col.length - 1] = row[j] ?? null;
      else col.push(row[j] ?? null);
    });
    candles.update(candleOf(b));
    volume.update(volumeOf(b));
    session.update(sessionOf(b));
    const time = t(b);
    for (const [key, s] of indicatorSeries) {
      const v = valueFor(key, b, row[keys.indexOf(key)]);
      s.update(pointOf(time, v, key.startsWith("macd_hist") ? histColour(v) : undefined));
    }
    return false;
  }

  // ---- levels on the chart: every level is a line; labelled ones are drawn bright.
  let labelled = new Set<string>();

  function lineStyleFor(l: Level): { color: string; lineWidth: 1 | 2; lineStyle: LineStyle; axisLabelVisible: boolean } {
    const id = levelId(l);
    const colour = FAMILY_COLOUR[levelFamily(l.kind)];
    if (id === selected) return { color: "#ffffff", lineWidth: 2, lineStyle: LineStyle.Solid, axisLabelVisible: true };
    return { color: labelled.has(id) ? colour : `${colour}40`, lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: false };
  }

  function drawLevels(): void {
    for (const p of priceLines) candles.removePriceLine(p.line);
    priceLines = [];
    for (const l of report?.levels ?? []) {
      priceLines.push({ id: levelId(l), line: candles.createPriceLine({ price: l.price, title: "", ...lineStyleFor(l) }) });
    }
    scheduleLabels();
  }

  const labelEls = new Map<string, HTMLButtonElement>();
  // The chart's offset in its area changes only with layout (an error bar, a resize).
  let topCache: number | null = null;
  const containerTop = () => (topCache ??= container.offsetTop);
  new ResizeObserver(() => {
    topCache = null;
    scheduleLabels();
  }).observe(chartArea);
  let labelsDirty = false;
  function scheduleLabels(): void {
    if (labelsDirty) return;
    labelsDirty = true;
    requestAnimationFrame(() => {
      labelsDirty = false;
      placeLabels();
    });
  }

  function placeLabels(): void {
    if (!report || !bars.length) {
      replace(labels);
      labelEls.clear();
      return;
    }
    const r = report;
    const paneHeight = chart.panes()[0]?.getHeight() ?? container.clientHeight;
    const scaleWidth = chart.priceScale("right").width();
    // Priority: the selected level, then on-screen levels by strength and nearness, then off-screen ones by nearness.
    const rank = new Map(
      [...r.levels]
        .sort((a, b) => b.strength - a.strength || Math.abs(a.distance_pts) - Math.abs(b.distance_pts))
        .map((l, i) => [levelId(l), i] as const),
    );
    const wants = r.levels.map((l) => {
      const y = candles.priceToCoordinate(l.price);
      if (y === null) return l.price > r.price ? -1 : paneHeight + 1;
      // Beyond the pane: pin to the edge the line is past (what is on screen decides, not the price).
      return y < 0 ? -1 : y > paneHeight ? paneHeight + 1 : y;
    });
    const ys = layoutLabels(
      r.levels.map((l, i) => {
        const id = levelId(l);
        const off = wants[i]! < 0 || wants[i]! > paneHeight;
        return { want: wants[i]!, priority: id === selected ? -1 : off ? 10_000 + Math.abs(l.distance_pts) : rank.get(id)! };
      }),
      LABEL_HEIGHT,
      paneHeight,
    );
    const nextLabelled = new Set(r.levels.filter((_, i) => ys[i] !== null).map(levelId));
    const changed = nextLabelled.size !== labelled.size || [...nextLabelled].some((id) => !labelled.has(id));
    labelled = nextLabelled;
    if (changed) {
      for (const p of priceLines) {
        const l = r.levels.find((x) => levelId(x) === p.id);
        if (l) p.line.applyOptions(lineStyleFor(l));
      }
    }
    labels.style.right = `${scaleWidth + 4}px`;
    const head = containerTop();
    // Label elements are kept per level and moved in place, so a pointer on one
    // (hover, a click in progress, a test's reference) survives live updates.
    const keep = new Set<string>();
    r.levels.forEach((l, i) => {
      const y = ys[i];
      if (y === null || y === undefined) return;
      const id = levelId(l);
      keep.add(id);
      let b = labelEls.get(id);
      if (!b) {
        b = h("button", { type: "button", class: "level-label", "data-testid": "level-label", tabindex: -1 });
        const el = b;
        el.addEventListener("click", () => panel.select(el.dataset.id === selected ? null : (el.dataset.id ?? null)));
        el.addEventListener("mouseenter", () => {
          const lv = report?.levels.find((x) => levelId(x) === el.dataset.id);
          if (lv) showTooltip(lv, el.offsetTop + LABEL_HEIGHT / 2);
        });
        el.addEventListener("mouseleave", () => (tooltip.hidden = true));
        labelEls.set(id, el);
        labels.append(el);
      }
      const off = wants[i]! < 0 ? "↑ " : wants[i]! > paneHeight ? "↓ " : "";
      // At phone width the label is the name only; the price is in the list and the detail.
      const text = phone.matches ? `${off}${l.label}` : `${off}${l.label} ${l.price.toFixed(2)}`;
      if (b.textContent !== text) b.textContent = text;
      const cls = `level-label${id === selected ? " selected" : ""}${off ? " offscreen" : ""}`;
      if (b.className !== cls) b.className = cls;
      const top = `${head + y - LABEL_HEIGHT / 2}px`;
      if (b.style.top !== top) b.style.top = top;
      if (b.dataset.id !== id) {
        b.style.borderColor = FAMILY_COLOUR[levelFamily(l.kind)];
        b.dataset.id = id;
        b.dataset.kind = l.kind;
        b.dataset.price = l.price.toFixed(2);
      }
      const aria = `${l.label} ${l.price.toFixed(2)}, ${distanceText(l)}. Select`;
      if (b.getAttribute("aria-label") !== aria) b.setAttribute("aria-label", aria);
      b.setAttribute("aria-pressed", String(id === selected));
    });
    for (const [id, el] of labelEls) {
      if (!keep.has(id)) {
        el.remove();
        labelEls.delete(id);
      }
    }
    // Keep the newest candles clear of the labels: leave that much room right of the last bar.
    // (Widths are measured only when the labels' texts change: a read forces layout.)
    const texts = [...labelEls.values()].map((el) => el.textContent).join("|");
    if (texts !== measuredTexts) {
      measuredTexts = texts;
      measuredWidest = 0;
      for (const el of labelEls.values()) measuredWidest = Math.max(measuredWidest, el.offsetWidth);
    }
    const widest = measuredWidest;
    const room = widest ? widest + 14 : 24;
    if (Math.abs(room - rightRoom) > 4) {
      rightRoom = room;
      chart.timeScale().applyOptions({ rightOffsetPixels: room });
    }
  }
  let rightRoom = 0;
  let measuredTexts = "";
  let measuredWidest = 0;

  function showTooltip(l: Level, y: number): void {
    replace(
      tooltip,
      h("strong", {}, `${l.label} · ${l.price.toFixed(2)}`),
      h("div", {}, distanceText(l)),
      h("div", {}, testsText(l)),
      h("div", { class: "muted" }, `Strength ${l.strength} · ${l.kind.replace(/_/g, " ")}`),
    );
    tooltip.style.top = `${y + LABEL_HEIGHT / 2 + 4}px`;
    tooltip.style.right = `${chart.priceScale("right").width() + 4}px`;
    tooltip.hidden = false;
  }

  for (const ev of ["pointermove", "wheel", "pointerup"]) container.addEventListener(ev, scheduleLabels, { passive: true });
  chart.timeScale().subscribeVisibleLogicalRangeChange(scheduleLabels);
  chart.timeScale().subscribeSizeChange(scheduleLabels);

  // ---- crosshair legend
  function renderLegend(b: ChartBar | undefined): void {
    if (!b) {
      legend.textContent = "";
      return;
    }
    const chg = b.close - b.open;
    legend.textContent = `O ${b.open.toFixed(2)}  H ${b.high.toFixed(2)}  L ${b.low.toFixed(2)}  C ${b.close.toFixed(2)}  ${chg >= 0 ? "+" : "−"}${Math.abs(chg).toFixed(2)}  V ${Math.round(b.volume).toLocaleString(uiLocale)}`;
  }
  let crosshairOn = false;
  chart.subscribeCrosshairMove((p: MouseEventParams) => {
    crosshairOn = p.time !== undefined;
    if (p.time === undefined) return renderLegend(bars[bars.length - 1]);
    const i = bars.findIndex((b) => t(b) === p.time);
    renderLegend(bars[i]);
  });

  // ---- what the page says about the chart (QA reads these attributes)
  function renderMeta(): void {
    const last = bars[bars.length - 1];
    container.dataset.symbol = view?.symbol ?? "";
    container.dataset.timeframe = view?.timeframe ?? "";
    container.dataset.bars = String(bars.length);
    container.dataset.loads = String(loads);
    container.dataset.updates = String(updates);
    container.dataset.fills = String(fills);
    container.dataset.lastTime = last ? String(last.time) : "";
    container.dataset.lastClose = last ? String(last.close) : "";
    container.dataset.generation = String(view?.generation ?? 0);
    container.setAttribute("aria-label", view ? `${view.symbol} ${view.timeframe} candlestick chart${last ? `, last ${last.close.toFixed(2)}` : ""}` : "Price chart");
    const prevClose = bars.length > 1 ? bars[bars.length - 2]!.close : undefined;
    titleSymbol.textContent = view?.symbol ?? symbol;
    titleTf.textContent = view?.timeframe ?? timeframe;
    titleLast.textContent = last ? last.close.toFixed(2) : "";
    if (last && prevClose !== undefined) {
      const up = last.close >= prevClose;
      titleChg.textContent = `${up ? "+" : "−"}${Math.abs(last.close - prevClose).toFixed(2)}`;
      titleChg.className = `chart-chg num ${up ? "up" : "down"}`;
    } else titleChg.textContent = "";
    if (!crosshairOn) renderLegend(last);
    sheetOpen.textContent = report ? `Levels (${report.levels.length})` : "Levels";
  }

  function renderBadges(): void {
    sourceBadgeEl.textContent = sourceBadge(status.market_mode);
    sourceBadgeEl.dataset.mode = status.market_mode;
    sourceBadgeEl.title =
      status.market_mode === "demo" ? "Simulated prices from the built-in demo market, not real quotes" : status.market_label;
    const stale = isStale(connection.state);
    staleBadge.hidden = !stale;
    staleBadge.textContent = stale ? staleText(connection) : "";
    staleBadge.title = connection.detail ?? "";
    const streaming = view?.live_updates ?? true;
    liveBadge.hidden = stale || connection.state === "connecting";
    liveBadge.textContent = streaming ? "Live" : `REST refresh · ${view?.refresh_secs ?? 15} s`;
    liveBadge.dataset.mode = streaming ? "stream" : "rest";
    liveBadge.title = streaming ? "The forming candle updates from the market stream" : "Live updates are off: the chart refreshes over REST";
  }

  function setRefresh(text: string | null): void {
    refresh.hidden = text === null;
    refresh.textContent = text ?? "";
  }

  function showError(e: IpcError, retry: () => void): void {
    const hasChart = bars.length > 0;
    topCache = null;
    errorBox.hidden = false;
    errorBox.classList.toggle("inline", hasChart);
    replace(
      errorBox,
      h("span", {}, `Couldn't load ${symbol} ${timeframe}: ${e.message}`),
      h("button", { type: "button", class: "btn", "data-testid": "chart-retry", onclick: () => retry() }, "Retry"),
    );
    empty.hidden = true;
    container.dataset.state = "error";
  }

  // ---- loading: latest request wins
  /**
   * Opens `nextSymbol` `tf`. `quiet` re-opens what is already drawn (after a
   * newer request failed, so the engine's stream matches the screen again)
   * without touching the input or the error shown.
   */
  async function show(nextSymbol: string, tf: TimeframeId, userAction = false, quiet = false): Promise<void> {
    const started = nowMs();
    const my = ++request;
    symbol = nextSymbol;
    timeframe = tf;
    for (const [k, b] of tfButtons) b.setAttribute("aria-pressed", String(k === tf));
    if (!quiet) {
      symbolInput.value = nextSymbol;
      symbolError.textContent = "";
      symbolInput.removeAttribute("aria-invalid");
      errorBox.hidden = true;
    }
    topCache = null;
    container.dataset.state = "loading";
    container.dataset.painted = "false";
    container.dataset.pendingSymbol = nextSymbol;
    container.dataset.pendingTimeframe = tf;
    if (!bars.length) {
      empty.hidden = false;
      empty.textContent = `Loading ${nextSymbol} ${tf}…`;
    }
    for (let attempt = 0; ; attempt++) {
      if (my !== request) return;
      setRefresh(attempt === 0 ? `Loading ${nextSymbol} ${tf}…` : `Retrying (${attempt}/${RETRIES})…`);
      const queued: ChartEvent[] = [];
      let ready = false;
      // Events of the chart on screen are applied even while a newer request is
      // in flight; a newer request's events wait until its chart is drawn.
      const onEvent = (ev: ChartEvent) => {
        if (my === shownRequest) handle(ev);
        else if (my === request && !ready) queued.push(ev);
      };
      let next: ChartViewData;
      const asked = nowMs();
      try {
        next = await ipc.chartOpen(SLOT, { symbol: nextSymbol, timeframe: tf, indicators: [] }, onEvent);
      } catch (err) {
        const e = err as IpcError;
        if (my !== request || e.code === "superseded") return;
        if (quiet) {
          // Re-opening what is on screen failed too: leave the screen (and its error) as it is.
          setRefresh(null);
          container.dataset.state = "ready";
          return;
        }
        if (e.code === "unavailable" && attempt < RETRIES) {
          await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
          continue;
        }
        setRefresh(null);
        const drawnView = view;
        if (e.code === "not_found" || e.code === "invalid_input") {
          // The chart that was there stays; the input says what was wrong.
          symbolError.textContent = e.message;
          symbolInput.setAttribute("aria-invalid", "true");
          if (!drawnView) showError(e, () => void show(nextSymbol, tf, true));
        } else {
          showError(e, () => void show(nextSymbol, tf, true));
        }
        if (drawnView) {
          // The engine may have switched the slot's stream to a request the UI
          // dropped: open what is on screen again (a cache hit) so it stays live.
          container.dataset.state = "ready";
          void show(drawnView.symbol, drawnView.timeframe as TimeframeId, false, true);
        }
        return;
      }
      if (my !== request) return;
      const answered = nowMs();
      shownRequest = my;
      // Levels belong to the symbol, not the timeframe: they stay until the new stream's arrive.
      const sameSymbol = view?.symbol === next.symbol;
      view = next;
      bars = next.bars;
      columns = new Map(next.indicator_keys.map((k, i) => [k, next.indicators[i] ?? []]));
      if (!sameSymbol) {
        report = null;
        selected = null;
        panel.setReport(null, "Computing levels…");
      }
      loads++;
      setAll();
      drawLevels();
      chart.timeScale().scrollToRealTime();
      empty.hidden = bars.length > 0;
      if (!bars.length) empty.textContent = `No bars for ${next.symbol} ${next.timeframe} in this range.`;
      container.dataset.state = "ready";
      renderMeta();
      renderBadges();
      setRefresh(null);
      const drawn = nowMs();
      ready = true;
      for (const ev of queued) handle(ev);
      await afterPaint();
      if (my !== request) return;
      const visible = nowMs() - started;
      container.dataset.painted = "true";
      // Where the time went: the engine and IPC, building the series, the browser painting.
      record("chart.ipc_ms", answered - asked);
      record("chart.render_ms", drawn - answered);
      record(next.source === "network" ? "chart.visible_ms.cold" : "chart.visible_ms.cached", visible);
      if (userAction) record("chart.switch_ms", visible);
      if (!firstVisibleRecorded) {
        firstVisibleRecorded = true;
        record("chart.first_visible_ms", performance.now());
      }
      return;
    }
  }

  function handle(ev: ChartEvent): void {
    if (!view || ev.generation !== view.generation) return;
    switch (ev.type) {
      case "bar": {
        applyBar(ev.bar, ev.indicators, view.indicator_keys);
        updates++;
        recordTick(nowMs() - ev.received_ms);
        renderMeta();
        scheduleLabels();
        break;
      }
      case "fill": {
        let older = false;
        ev.bars.forEach((b, i) => (older = applyBar(b, ev.indicators[i] ?? [], view!.indicator_keys, false) || older));
        if (older) setAll();
        fills++;
        renderMeta();
        scheduleLabels();
        break;
      }
      case "levels": {
        report = ev.report;
        panel.setReport(report);
        if (selected && !report.levels.some((l) => levelId(l) === selected)) selected = null;
        drawLevels();
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
          drawLevels();
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

  renderBadges();
  renderMeta();
  // Read-only introspection for the WebDriver suite (docs/testing.md): what the chart has drawn.
  window.__coachQa = {
    ...window.__coachQa,
    chart: () => ({
      symbol: view?.symbol ?? null,
      timeframe: view?.timeframe ?? null,
      times: bars.map((b) => b.time),
      closes: bars.map((b) => b.close),
      ohlcv: bars.map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume]),
      levels: report?.levels.length ?? 0,
    }),
  };

    return {
    element,
    show,
    get symbol() {
      return symbol;
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
      scheduleLabels();
    },
  };
}
