// The indicator overlays the toolbar offers: which engine columns each draws,
// in which pane and how. Values come from the Rust engine; nothing here computes one.

import { LineStyle } from "lightweight-charts";

export type Pane = 0 | "rsi" | "macd";

export interface OverlayLine {
  key: string;
  colour: string;
  width?: 1 | 2;
  style?: LineStyle;
  histogram?: boolean;
}

export interface Overlay {
  id: string;
  label: string;
  pane: Pane;
  lines: OverlayLine[];
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

/** What a fresh chart shows before the user toggles anything. */
export const DEFAULT_OVERLAYS = ["ema", "vwap", "rsi", "macd"];

/** The chart pane a line goes to: panes exist only for enabled oscillators, so MACD moves up when RSI is off. */
export function paneIndex(p: Pane, enabled: ReadonlySet<string>): number {
  if (p === 0) return 0;
  if (p === "rsi") return 1;
  return enabled.has("rsi") ? 2 : 1;
}
