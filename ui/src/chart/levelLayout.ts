// Level labels on the chart must not overlap and must stay next to their
// lines. Labels are placed in priority order (the selected level, then the
// strongest, then the nearest to the price): each takes its line's y, or the
// closest free spot within `maxShift` of it; a label that has no such spot is
// left out (its line stays, and the level list still has it).

import type { LevelsReport } from "../generated/bindings";
import { levelId } from "./levelText";

export interface LabelWish {
  /** The line's y in pixels. */
  want: number;
  /** Lower goes first. */
  priority: number;
}

/**
 * Label centres (or null for labels left out), in the order of `wishes`. No two
 * placed labels are closer than `height`; each is inside [height/2, paneHeight − height/2]
 * and within `maxShift` of its line (after clamping the line into the pane).
 */
export function layoutLabels(wishes: LabelWish[], height: number, paneHeight: number, maxShift = height): (number | null)[] {
  const lo = height / 2;
  const hi = paneHeight - height / 2;
  const out: (number | null)[] = wishes.map(() => null);
  if (hi < lo) return out;
  const order = wishes.map((w, i) => ({ ...w, i })).sort((a, b) => a.priority - b.priority || a.i - b.i);
  const placed: number[] = [];
  const free = (y: number) => placed.every((p) => Math.abs(p - y) >= height - 1e-9);
  for (const w of order) {
    const target = Math.min(hi, Math.max(lo, w.want));
    let spot: number | null = null;
    for (let d = 0; d <= maxShift && spot === null; d += 1) {
      for (const y of d === 0 ? [target] : [target - d, target + d]) {
        if (y >= lo - 1e-9 && y <= hi + 1e-9 && free(y)) {
          spot = y;
          break;
        }
      }
    }
    if (spot !== null) {
      placed.push(spot);
      out[w.i] = spot;
    }
  }
  return out;
}

/**
 * Where each level's label wants to go and how much it matters, in the order of
 * `report.levels`. `ys` are the lines' pixel positions (null where the chart
 * cannot place the price). A line beyond the pane wants the edge it is past
 * (−1 or paneHeight + 1): what is on screen decides, not the price. Priority:
 * the selected level, then on-screen levels by strength and nearness, then
 * off-screen ones by nearness.
 */
export function labelWishes(report: LevelsReport, ys: (number | null)[], paneHeight: number, selected: string | null): LabelWish[] {
  const rank = new Map(
    [...report.levels]
      .sort((a, b) => b.strength - a.strength || Math.abs(a.distance_pts) - Math.abs(b.distance_pts))
      .map((l, i) => [levelId(l), i] as const),
  );
  return report.levels.map((l, i) => {
    const y = ys[i] ?? null;
    const want = y === null ? (l.price > report.price ? -1 : paneHeight + 1) : y < 0 ? -1 : y > paneHeight ? paneHeight + 1 : y;
    const id = levelId(l);
    const off = want < 0 || want > paneHeight;
    return { want, priority: id === selected ? -1 : off ? 10_000 + Math.abs(l.distance_pts) : rank.get(id)! };
  });
}
