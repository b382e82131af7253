import { describe, expect, it } from "vitest";
import type { Level, LevelKind, LevelsReport } from "../generated/bindings";
import { createLevelPanel } from "./levelPanel";

function level(kind: LevelKind, label: string, price: number, distance: number): Level {
  return {
    kind,
    label,
    price,
    distance_pts: distance,
    distance_pct: distance / 5,
    distance_atr: distance / 6,
    tests: { touches: 1, rejections: 1, breaks: 0 },
    strength: 2,
    provenance: `${label} from the test`,
  };
}

const report: LevelsReport = {
  symbol: "SPY",
  at_ms: 0,
  session: "2024-07-02",
  price: 500,
  atr: 6,
  levels: [level("prior_day_high", "PDH", 505, 5), level("vwap", "VWAP", 499, -1), level("or5_low", "OR5 low", 497, -3)],
};

function key(el: HTMLElement, k: string): void {
  el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
}

describe("level panel", () => {
  it("lists levels nearest first with the QA attributes", () => {
    const panel = createLevelPanel({ onSelect: () => {}, onAskCoach: () => {} });
    panel.setReport(report);
    const rows = [...panel.element.querySelectorAll<HTMLElement>("[data-testid=level-row]")];
    expect(rows.map((r) => r.dataset.kind)).toEqual(["vwap", "or5_low", "prior_day_high"]);
    expect(rows.map((r) => r.dataset.price)).toEqual(["499.00", "497.00", "505.00"]);
  });

  it("moves with the arrow keys and selects with Enter, showing the detail", () => {
    const picked: (Level | null)[] = [];
    const panel = createLevelPanel({ onSelect: (l) => picked.push(l), onAskCoach: () => {} });
    panel.setReport(report);
    const list = panel.element.querySelector<HTMLElement>("[data-testid=level-list]")!;
    key(list, "ArrowDown");
    key(list, "Enter");
    expect(picked.at(-1)?.label).toBe("OR5 low");
    const detail = panel.element.querySelector<HTMLElement>("[data-testid=level-detail]")!;
    expect(detail.hidden).toBe(false);
    expect(detail.textContent).toContain("497.00");
    expect(detail.textContent).toContain("1 test today: 1 rejection, 0 breaks");
    expect(panel.element.querySelector("[aria-selected=true]")?.getAttribute("data-kind")).toBe("or5_low");
    key(list, "End");
    key(list, "Enter");
    expect(picked.at(-1)?.label).toBe("PDH");
    key(list, "Escape");
    expect(picked.at(-1)).toBeNull();
    expect(detail.hidden).toBe(true);
  });

  it("sends the selected level to the coach and keeps the selection across a recompute", () => {
    const asked: string[] = [];
    const panel = createLevelPanel({ onSelect: () => {}, onAskCoach: (_, l) => asked.push(l.label) });
    panel.setReport(report);
    panel.select("vwap|VWAP");
    panel.element.querySelector<HTMLButtonElement>("[data-testid=ask-coach-level]")!.click();
    expect(asked).toEqual(["VWAP"]);
    panel.setReport({ ...report, price: 501, levels: report.levels.map((l) => ({ ...l, distance_pts: l.price - 501 })) });
    expect(panel.selected?.label).toBe("VWAP");
  });
});
