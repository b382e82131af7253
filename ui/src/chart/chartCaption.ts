// What the page says about the chart: the title (symbol, timeframe, last
// price and change), the OHLCV legend that follows the crosshair, and the
// chart's aria-label and data attributes (the WebDriver suite reads them).

import type { IChartApi, MouseEventParams } from "lightweight-charts";
import type { Candle, ChartView } from "../generated/bindings";
import { h } from "../lib/dom";
import { uiLocale } from "../lib/locale";
import { barTime } from "./seriesPoints";

const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;

/** "O 1.00  H 2.00  L 0.50  C 1.50  +0.50  V 1,200" for one bar. */
export function legendText(b: Candle): string {
  return `O ${b.open.toFixed(2)}  H ${b.high.toFixed(2)}  L ${b.low.toFixed(2)}  C ${b.close.toFixed(2)}  ${signed(b.close - b.open)}  V ${Math.round(b.volume).toLocaleString(uiLocale)}`;
}

/** The title's change: the last close against the bar before it (null with fewer than two bars). */
export function changeOf(bars: Candle[]): { text: string; up: boolean } | null {
  const last = bars[bars.length - 1];
  const prevClose = bars.length > 1 ? bars[bars.length - 2]!.close : undefined;
  if (!last || prevClose === undefined) return null;
  return { text: signed(last.close - prevClose), up: last.close >= prevClose };
}

export interface ChartCounts {
  loads: number;
  updates: number;
  fills: number;
}

/** The chart element's data attributes (in the order they are set) and its aria-label. */
export function chartAttributes(view: ChartView | null, bars: Candle[], counts: ChartCounts): { data: [string, string][]; label: string } {
  const last = bars[bars.length - 1];
  return {
    data: [
      ["symbol", view?.symbol ?? ""],
      ["timeframe", view?.timeframe ?? ""],
      ["bars", String(bars.length)],
      ["loads", String(counts.loads)],
      ["updates", String(counts.updates)],
      ["fills", String(counts.fills)],
      ["lastTime", last ? String(last.time) : ""],
      ["lastClose", last ? String(last.close) : ""],
      ["generation", String(view?.generation ?? 0)],
    ],
    label: view ? `${view.symbol} ${view.timeframe} candlestick chart${last ? `, last ${last.close.toFixed(2)}` : ""}` : "Price chart",
  };
}

export interface ChartCaption {
  /** The chart head: title and legend. */
  element: HTMLElement;
  /** Says what is drawn; `symbol` and `timeframe` (asked for) stand in until a chart is. */
  render(view: ChartView | null, bars: Candle[], symbol: string, timeframe: string, counts: ChartCounts): void;
}

export function createChartCaption(chart: IChartApi, container: HTMLElement, bars: () => Candle[]): ChartCaption {
  const titleSymbol = h("span", { class: "chart-symbol" });
  const titleTf = h("span", { class: "chart-tf" });
  const titleLast = h("span", { class: "chart-last num" });
  const titleChg = h("span", { class: "chart-chg num" });
  const title = h("h2", { class: "chart-title", "data-testid": "chart-title" }, titleSymbol, titleTf, titleLast, titleChg);
  const legend = h("div", { class: "chart-legend", "data-testid": "chart-legend", "aria-hidden": "true" });

  const renderLegend = (b: Candle | undefined) => (legend.textContent = b ? legendText(b) : "");
  // While the crosshair is on a bar the legend describes that bar, not the last one.
  let crosshairOn = false;
  chart.subscribeCrosshairMove((p: MouseEventParams) => {
    crosshairOn = p.time !== undefined;
    const all = bars();
    if (p.time === undefined) return void renderLegend(all[all.length - 1]);
    const i = all.findIndex((b) => barTime(b) === p.time);
    renderLegend(all[i]);
  });

  return {
    element: h("div", { class: "chart-head" }, title, legend),
    render(view, drawn, symbol, timeframe, counts) {
      const last = drawn[drawn.length - 1];
      const attrs = chartAttributes(view, drawn, counts);
      for (const [k, v] of attrs.data) container.dataset[k] = v;
      container.setAttribute("aria-label", attrs.label);
      titleSymbol.textContent = view?.symbol ?? symbol;
      titleTf.textContent = view?.timeframe ?? timeframe;
      titleLast.textContent = last ? last.close.toFixed(2) : "";
      const chg = changeOf(drawn);
      if (chg) {
        titleChg.textContent = chg.text;
        titleChg.className = `chart-chg num ${chg.up ? "up" : "down"}`;
      } else titleChg.textContent = "";
      if (!crosshairOn) renderLegend(last);
    },
  };
}
