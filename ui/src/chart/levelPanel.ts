// The key-level list and the selected level's detail. Desktop shows it beside
// the chart; at phone width the same element moves into a bottom sheet.
// Keyboard: the list is one tab stop; arrows move, Enter selects, Home/End jump.

import type { Level, LevelsReport } from "../generated/bindings";
import { h, replace } from "../lib/dom";
import { FAMILY_COLOUR, byDistance, distanceText, levelFamily, levelId, testsText } from "./levelText";

export interface LevelPanel {
  element: HTMLElement;
  setReport(report: LevelsReport | null, note?: string): void;
  select(id: string | null): void;
  readonly selected: Level | null;
  readonly report: LevelsReport | null;
}

export function createLevelPanel(opts: {
  onSelect: (l: Level | null) => void;
    onAskCoach: (report: LevelsReport, l: Level) => void;
  /** "Options at this strike": the chain of the report's symbol around the level's price. */
  onOptions?: (report: LevelsReport, l: Level) => void;
  /** "Create alert": an alert on this level. */
  onCreateAlert?: (report: LevelsReport, l: Level) => void;
}): LevelPanel {
  let report: LevelsReport | null = null;
  let rows: Level[] = [];
  let selectedId: string | null = null;
  let active = 0;

  const heading = h("h2", { id: "levels-heading" }, "Key levels");
  const meta = h("p", { class: "muted level-meta" });
  const list = h("ul", {
    class: "level-list",
    role: "listbox",
    tabindex: 0,
    "aria-labelledby": "levels-heading",
    "data-testid": "level-list",
  });
  const detail = h("section", { class: "level-detail", "data-testid": "level-detail", hidden: true });
  // Selection changes are announced once (the detail re-renders with every recompute).
  const announce = h("p", { class: "sr-only", "aria-live": "polite" });

  const rowId = (i: number) => `level-opt-${i}`;

  function renderList(): void {
    replace(
      list,
      rows.map((l, i) => {
        const fam = levelFamily(l.kind);
        const id = levelId(l);
        return h(
          "li",
          {
            id: rowId(i),
            role: "option",
            class: `level-row${i === active ? " active" : ""}`,
            "aria-selected": String(id === selectedId),
            "data-testid": "level-row",
            "data-kind": l.kind,
            "data-price": l.price.toFixed(2),
            "data-id": id,
            onclick: () => {
              active = i;
              choose(id);
            },
          },
          h("span", { class: "swatch", style: `background:${FAMILY_COLOUR[fam]}`, "aria-hidden": "true" }),
          h("span", { class: "level-name" }, l.label),
          h("span", { class: "level-price num" }, l.price.toFixed(2)),
          h("span", { class: `level-dist num ${l.distance_pts >= 0 ? "above" : "below"}` }, distanceText(l).split(" · ")[0]!),
        );
      }),
    );
    if (rows.length) list.setAttribute("aria-activedescendant", rowId(active));
    else list.removeAttribute("aria-activedescendant");
  }

  function renderDetail(): void {
    const l = rows.find((r) => levelId(r) === selectedId) ?? null;
    detail.hidden = !l || !report;
    if (!l || !report) return;
    const r = report;
    replace(
      detail,
      h("h3", {}, h("span", { class: "swatch", style: `background:${FAMILY_COLOUR[levelFamily(l.kind)]}`, "aria-hidden": "true" }), l.label),
      h(
        "dl",
        {},
        h("dt", {}, "Price"),
        h("dd", { class: "num", "data-field": "price" }, l.price.toFixed(2)),
        h("dt", {}, "Kind"),
        h("dd", { "data-field": "kind" }, l.kind.replace(/_/g, " ")),
        h("dt", {}, "Distance"),
        h("dd", { class: "num", "data-field": "distance" }, distanceText(l)),
        h("dt", {}, "Today"),
        h("dd", { "data-field": "tests" }, testsText(l)),
        h("dt", {}, "Strength"),
        h("dd", { "data-field": "strength" }, `${l.strength}${l.strength > 1 ? ` (${l.strength - 1} other level${l.strength > 2 ? "s" : ""} nearby)` : ""}`),
        h("dt", {}, "From"),
        h("dd", { "data-field": "provenance" }, l.provenance),
      ),
      h(
        "div",
        { class: "level-actions" },
        h("button", { type: "button", class: "btn", "data-testid": "ask-coach-level", onclick: () => opts.onAskCoach(r, l) }, "Ask coach about this level"),
        opts.onOptions
          ? h("button", { type: "button", class: "btn", "data-testid": "options-at-level", onclick: () => opts.onOptions!(r, l) }, "Options at this strike")
          : null,
        opts.onCreateAlert
          ? h("button", { type: "button", class: "btn", "data-testid": "create-alert-level", onclick: () => opts.onCreateAlert!(r, l) }, "Create alert")
          : null,
      ),
    );
  }

  function choose(id: string | null): void {
    selectedId = id;
    const l = rows.find((r) => levelId(r) === id);
    announce.textContent = l ? `Selected ${l.label} at ${l.price.toFixed(2)}, ${distanceText(l)}` : "Selection cleared";
    renderList();
    renderDetail();
    opts.onSelect(rows.find((r) => levelId(r) === id) ?? null);
  }

  list.addEventListener("keydown", (ev) => {
    if (!rows.length) return;
    const k = ev.key;
    if (k === "ArrowDown" || k === "ArrowUp" || k === "Home" || k === "End") {
      ev.preventDefault();
      active = k === "Home" ? 0 : k === "End" ? rows.length - 1 : Math.min(rows.length - 1, Math.max(0, active + (k === "ArrowDown" ? 1 : -1)));
      renderList();
      document.getElementById(rowId(active))?.scrollIntoView({ block: "nearest" });
    } else if (k === "Enter" || k === " ") {
      ev.preventDefault();
      choose(levelId(rows[active]!));
    } else if (k === "Escape" && selectedId) {
      ev.preventDefault();
      choose(null);
    }
  });

  const element = h("div", { class: "level-panel", "data-testid": "level-panel" }, h("header", { class: "panel-head" }, heading, meta), list, detail, announce);

  return {
    element,
    setReport(next, note) {
      report = next;
      rows = next ? byDistance(next.levels) : [];
      active = Math.min(active, Math.max(0, rows.length - 1));
      meta.textContent = note ?? (next ? `${next.symbol} · last ${next.price.toFixed(2)}${next.atr !== null ? ` · ATR ${next.atr.toFixed(2)}` : ""}` : "");
      if (selectedId && !rows.some((r) => levelId(r) === selectedId)) selectedId = null;
      renderList();
      renderDetail();
    },
    select(id) {
      const i = rows.findIndex((r) => levelId(r) === id);
      if (i >= 0) active = i;
      choose(id);
    },
    get selected() {
      return rows.find((r) => levelId(r) === selectedId) ?? null;
    },
    get report() {
      return report;
    },
  };
}
