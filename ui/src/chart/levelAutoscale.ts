// Which key levels the price scale keeps in view. Only the nearest few are
// worth squeezing the candles for; a far level would flatten the chart, and
// its label pins to the edge with an arrow instead.

import type { AutoscaleInfo } from "lightweight-charts";
import type { Level, LevelsReport } from "../generated/bindings";
import { levelId } from "./levelText";

/** The three nearest levels on each side of the price, and the selected one. */
export function nearbyLevels(report: LevelsReport | null, selected: string | null): Level[] {
  if (!report) return [];
  const above = report.levels.filter((l) => l.distance_pts >= 0).sort((a, b) => a.distance_pts - b.distance_pts).slice(0, 3);
  const below = report.levels.filter((l) => l.distance_pts < 0).sort((a, b) => b.distance_pts - a.distance_pts).slice(0, 3);
  const sel = report.levels.filter((l) => levelId(l) === selected);
  return [...above, ...below, ...sel];
}

/** The candles' own autoscale range, stretched to take in `levels`. */
export function widenToLevels(res: AutoscaleInfo | null, levels: Level[]): AutoscaleInfo | null {
  if (!res?.priceRange) return res;
  let { minValue, maxValue } = res.priceRange;
  for (const l of levels) {
    minValue = Math.min(minValue, l.price);
    maxValue = Math.max(maxValue, l.price);
  }
  return { ...res, priceRange: { minValue, maxValue } };
}
