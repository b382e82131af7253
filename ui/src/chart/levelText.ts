// Words and numbers for key levels: the list order, the distance line, the
// family colour and the prompt "Ask coach" sends. Every number comes from the
// engine's LevelsReport; nothing here computes a level.

import type { Level, LevelKind, LevelsReport } from "../generated/bindings";

/** Nearest to the last price first; ties keep the engine's order (higher first). */
export function byDistance(levels: Level[]): Level[] {
  return levels
    .map((l, i) => ({ l, i }))
    .sort((a, b) => Math.abs(a.l.distance_pts) - Math.abs(b.l.distance_pts) || a.i - b.i)
    .map((x) => x.l);
}

export type LevelFamily = "prior" | "premarket" | "opening" | "pivot" | "vwap" | "zone" | "range";

/** The family of every kind the engine sends: a new kind fails the type check until it has one. */
const KIND_FAMILY: Record<LevelKind, LevelFamily> = {
  prior_day_high: "prior",
  prior_day_low: "prior",
  prior_day_close: "prior",
  prior_week_high: "prior",
  prior_week_low: "prior",
  prior_month_high: "prior",
  prior_month_low: "prior",
  premarket_high: "premarket",
  premarket_low: "premarket",
  or5_high: "opening",
  or5_low: "opening",
  or15_high: "opening",
  or15_low: "opening",
  or30_high: "opening",
  or30_low: "opening",
  pivot_classic: "pivot",
  pivot_fibonacci: "pivot",
  pivot_camarilla: "pivot",
  pivot_woodie: "pivot",
  vwap: "vwap",
  vwap_upper_1: "vwap",
  vwap_upper_2: "vwap",
  vwap_lower_1: "vwap",
  vwap_lower_2: "vwap",
  expected_range_high: "range",
  expected_range_low: "range",
  resistance_zone: "zone",
  support_zone: "zone",
};

/** Every level kind, in the engine's order. */
export const LEVEL_KINDS = Object.keys(KIND_FAMILY) as LevelKind[];

export function levelFamily(kind: LevelKind): LevelFamily {
  return KIND_FAMILY[kind];
}

/** Line colours per family; each is ≥ 4.5:1 against the chart background (#0b1020). */
export const FAMILY_COLOUR: Record<LevelFamily, string> = {
  prior: "#f5a524",
  premarket: "#c084fc",
  opening: "#38bdf8",
  pivot: "#a3aecb",
  vwap: "#facc15",
  zone: "#fb7185",
  range: "#34d399",
};

/** A stable identity for a level across recomputations. */
export function levelId(l: Pick<Level, "kind" | "label">): string {
  return `${l.kind}|${l.label}`;
}

const signed = (x: number, digits: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;

/** "+1.23 pts · +0.21% · 0.35 ATR" (ATR only when the engine had enough history). */
export function distanceText(l: Level): string {
  const parts = [`${signed(l.distance_pts, 2)} pts`, `${signed(l.distance_pct, 2)}%`];
  if (l.distance_atr !== null) parts.push(`${Math.abs(l.distance_atr).toFixed(2)} ATR`);
  return parts.join(" · ");
}

export function testsText(l: Level): string {
  const t = l.tests;
  if (t.touches === 0) return "Not tested today";
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  return `${n(t.touches, "test", "tests")} today: ${n(t.rejections, "rejection", "rejections")}, ${n(t.breaks, "break", "breaks")}`;
}

/** The prompt "Ask coach about this level" puts into the chat input. */
export function askCoachPrompt(report: Pick<LevelsReport, "symbol" | "price">, l: Level): string {
  const side = l.distance_pts >= 0 ? "above" : "below";
  const atr = l.distance_atr !== null ? `, ${Math.abs(l.distance_atr).toFixed(2)} ATR` : "";
  return (
    `${report.symbol} ${l.label} at ${l.price.toFixed(2)} is ${Math.abs(l.distance_pts).toFixed(2)} points ` +
    `(${Math.abs(l.distance_pct).toFixed(2)}%${atr}) ${side} the last price ${report.price.toFixed(2)}. ` +
    `${testsText(l)}; strength ${l.strength}. How should I trade around this level?`
  );
}
