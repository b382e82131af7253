// Key levels on the chart: every level is a price line, and the ones that fit
// get a clickable label beside the price scale (labelled lines are drawn
// bright, the rest faint). Labels never overlap; a level beyond the pane pins
// its label to the edge with an arrow.

import { LineStyle, type IChartApi, type IPriceLine, type ISeriesApi } from "lightweight-charts";
import type { Level, LevelsReport } from "../generated/bindings";
import { h, replace } from "../lib/dom";
import { labelWishes, layoutLabels } from "./levelLayout";
import { FAMILY_COLOUR, distanceText, levelFamily, levelId, testsText } from "./levelText";

const LABEL_HEIGHT = 18;

export interface LevelLines {
  labels: HTMLElement;
  tooltip: HTMLElement;
  /** Redraws the price lines from the report (after it or the selection changed). */
  draw(): void;
  /** Places the labels at the next frame (once however often it is asked). */
  schedule(): void;
  /** The chart moved within its area (an error bar came or went): measure its offset again. */
  forgetOffset(): void;
}

export function createLevelLines(opts: {
  chart: IChartApi;
  candles: ISeriesApi<"Candlestick">;
  container: HTMLElement;
  /** Phone width: labels carry the name only. */
  compact: MediaQueryList;
  report: () => LevelsReport | null;
  selected: () => string | null;
  hasBars: () => boolean;
  /** A label was clicked: select that level (or clear the selection). */
  onPick: (id: string | null) => void;
}): LevelLines {
  const { chart, candles, container } = opts;
  const labels = h("div", { class: "level-labels" });
  const tooltip = h("div", { class: "level-tooltip", role: "tooltip", hidden: true });
  let priceLines: { id: string; line: IPriceLine }[] = [];
  let labelled = new Set<string>();

  function lineStyleFor(l: Level): { color: string; lineWidth: 1 | 2; lineStyle: LineStyle; axisLabelVisible: boolean } {
    const id = levelId(l);
    const colour = FAMILY_COLOUR[levelFamily(l.kind)];
    if (id === opts.selected()) return { color: "#ffffff", lineWidth: 2, lineStyle: LineStyle.Solid, axisLabelVisible: true };
    return { color: labelled.has(id) ? colour : `${colour}40`, lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: false };
  }

  function draw(): void {
    for (const p of priceLines) candles.removePriceLine(p.line);
    priceLines = [];
    for (const l of opts.report()?.levels ?? []) {
      priceLines.push({ id: levelId(l), line: candles.createPriceLine({ price: l.price, title: "", ...lineStyleFor(l) }) });
    }
    schedule();
  }

  const labelEls = new Map<string, HTMLButtonElement>();
  // The chart's offset in its area changes only with layout (an error bar, a resize).
  let topCache: number | null = null;
  const containerTop = () => (topCache ??= container.offsetTop);
  let labelsDirty = false;
  function schedule(): void {
    if (labelsDirty) return;
    labelsDirty = true;
    requestAnimationFrame(() => {
      labelsDirty = false;
      placeLabels();
    });
  }

  let rightRoom = 0;
  let measuredTexts = "";
  let measuredWidest = 0;

  function placeLabels(): void {
    const r = opts.report();
    if (!r || !opts.hasBars()) {
      replace(labels);
      labelEls.clear();
      return;
    }
    const selected = opts.selected();
    const paneHeight = chart.panes()[0]?.getHeight() ?? container.clientHeight;
    const scaleWidth = chart.priceScale("right").width();
    const wishes = labelWishes(
      r,
      r.levels.map((l) => candles.priceToCoordinate(l.price)),
      paneHeight,
      selected,
    );
    const ys = layoutLabels(wishes, LABEL_HEIGHT, paneHeight);
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
        el.addEventListener("click", () => opts.onPick(el.dataset.id === opts.selected() ? null : (el.dataset.id ?? null)));
        el.addEventListener("mouseenter", () => {
          const lv = opts.report()?.levels.find((x) => levelId(x) === el.dataset.id);
          if (lv) showTooltip(lv, el.offsetTop + LABEL_HEIGHT / 2);
        });
        el.addEventListener("mouseleave", () => (tooltip.hidden = true));
        labelEls.set(id, el);
        labels.append(el);
      }
      const want = wishes[i]!.want;
      const off = want < 0 ? "↑ " : want > paneHeight ? "↓ " : "";
      // At phone width the label is the name only; the price is in the list and the detail.
      const text = opts.compact.matches ? `${off}${l.label}` : `${off}${l.label} ${l.price.toFixed(2)}`;
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

  for (const ev of ["pointermove", "wheel", "pointerup"]) container.addEventListener(ev, schedule, { passive: true });
  chart.timeScale().subscribeVisibleLogicalRangeChange(schedule);
  chart.timeScale().subscribeSizeChange(schedule);

  return {
    labels,
    tooltip,
    draw,
    schedule,
    forgetOffset() {
      topCache = null;
    },
  };
}
