// The lightweight-charts side of the chart: one chart with session shading,
// candles and volume on the price pane, and the enabled indicator overlays
// (the engine's columns) on their panes. Holds the bars and columns drawn.

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
  type ISeriesApi,
  type SeriesType,
  type Time,
} from "lightweight-charts";
import type { Candle } from "../generated/bindings";
import { uiLocale } from "../lib/locale";
import { crosshairLabel, tickLabel } from "./nyTime";
import { OVERLAYS, paneIndex } from "./overlays";
import { DOWN, UP, barTime, candleOf, histColour, mergeBar, pointOf, sessionOf, valueFor, volumeOf } from "./seriesPoints";

export type Columns = Map<string, (number | null)[]>;

export interface ChartSeries {
  chart: IChartApi;
  candles: ISeriesApi<"Candlestick">;
  readonly bars: Candle[];
  /** Takes a new chart's bars and indicator columns (drawn by the next `redraw`). */
  load(bars: Candle[], columns: Columns): void;
  /** Sets every series from the stored bars and columns. */
  redraw(): void;
  /** Removes every indicator series and rebuilds the enabled ones from the stored columns. */
  rebuildIndicators(): void;
  /**
   * Applies one bar (new, or the last one changing) and its indicator row.
   * Returns true when the bar went in before the last one; with `redraw` false
   * the caller redraws once after several.
   */
  applyBar(b: Candle, row: (number | null)[], keys: string[], redraw?: boolean): boolean;
}

export function createChartSeries(
  container: HTMLElement,
  opts: {
    /** The overlays switched on; the toolbar changes this set. */
    enabled: ReadonlySet<string>;
    /** The timeframe asked for last: it decides whether the axis shows times of day. */
    timeframe: () => string;
    /** Widens the candles' own price range (to keep nearby key levels in view). */
    autoscale: (own: AutoscaleInfo | null) => AutoscaleInfo | null;
    /** Called after the indicator panes change (the level labels move with the price pane). */
    onRebuilt: () => void;
  },
): ChartSeries {
  let bars: Candle[] = [];
  let columns: Columns = new Map();
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
    autoscaleInfoProvider: (original: () => AutoscaleInfo | null) => opts.autoscale(original()),
  });
  const volume = chart.addSeries(HistogramSeries, {
    priceScaleId: "volume",
    priceFormat: { type: "volume" },
    lastValueVisible: false,
    priceLineVisible: false,
  });
  chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.82, bottom: 0 }, visible: false });

  let indicatorSeries = new Map<string, ISeriesApi<SeriesType>>();

  function rebuildIndicators(): void {
    for (const s of indicatorSeries.values()) chart.removeSeries(s);
    indicatorSeries = new Map();
    // Drop panes left empty (from the bottom so indexes stay valid).
    for (let i = chart.panes().length - 1; i >= 1; i--) {
      if (chart.panes()[i]!.getSeries().length === 0) chart.removePane(i);
    }
    const times = bars.map(barTime);
    for (const o of OVERLAYS) {
      if (!opts.enabled.has(o.id)) continue;
      for (const line of o.lines) {
        const values = columns.get(line.key);
        if (!values) continue;
        const common = { lastValueVisible: false, priceLineVisible: false, title: "" };
        const pane = paneIndex(o.pane, opts.enabled);
        const s = line.histogram
          ? chart.addSeries(HistogramSeries, { ...common, color: line.colour }, pane)
          : chart.addSeries(
              LineSeries,
              { ...common, color: line.colour, lineWidth: line.width ?? 1, lineStyle: line.style ?? LineStyle.Solid, crosshairMarkerVisible: false },
              pane,
            );
        s.setData(times.map((time, i) => pointOf(time, valueFor(line.key, bars[i]!, values[i], intraday), line.histogram ? histColour(values[i]) : undefined)));
        indicatorSeries.set(line.key, s);
        if (line.key === "rsi_14") {
          [70, 30].forEach((price) => s.createPriceLine({ price, color: "#34426a", lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: true, title: "" }));
        }
      }
    }
    const panes = chart.panes();
    panes[0]?.setStretchFactor(3);
    for (let i = 1; i < panes.length; i++) panes[i]!.setStretchFactor(1);
    opts.onRebuilt();
  }

  function redraw(): void {
    intraday = opts.timeframe() !== "1d";
    chart.applyOptions({ timeScale: { timeVisible: intraday, secondsVisible: false } });
    candles.setData(bars.map(candleOf));
    volume.setData(bars.map(volumeOf));
    session.setData(bars.map((b) => sessionOf(b, intraday)));
    rebuildIndicators();
  }

  function applyBar(b: Candle, row: (number | null)[], keys: string[], redrawOlder = true): boolean {
    if (mergeBar(bars, columns, b, row, keys) === "older") {
      if (redrawOlder) redraw();
      return true;
    }
    candles.update(candleOf(b));
    volume.update(volumeOf(b));
    session.update(sessionOf(b, intraday));
    const time = barTime(b);
    for (const [key, s] of indicatorSeries) {
      const v = valueFor(key, b, row[keys.indexOf(key)], intraday);
      s.update(pointOf(time, v, key.startsWith("macd_hist") ? histColour(v) : undefined));
    }
    return false;
  }

  return {
    chart,
    candles,
    get bars() {
      return bars;
    },
    load(next, nextColumns) {
      bars = next;
      columns = nextColumns;
    },
    redraw,
    rebuildIndicators,
    applyBar,
  };
}
