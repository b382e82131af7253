// The chart's toolbar: the symbol field (with the watchlist as suggestions),
// timeframe and indicator toggles, the refresh indicator, the source, live
// and stale badges, and the button that opens the level sheet on phones.

import type { AppStatus, ChartView, ConnectionStatus, Timeframe } from "../generated/bindings";
import { h } from "../lib/dom";
import { chartBadges } from "./chartBadges";
import { OVERLAYS } from "./overlays";

/** The toolbar's buttons, in order: every timeframe the engine has, no other. */
export const TIMEFRAMES = ["1m", "5m", "15m", "1h", "1d"] as const satisfies readonly Timeframe[];
export type TimeframeId = Timeframe;
const everyTimeframeListed: Exclude<Timeframe, (typeof TIMEFRAMES)[number]> extends never ? true : never = true;
void everyTimeframeListed;
export const WATCHLIST = ["SPY", "QQQ", "IWM", "AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META", "GOOGL"];

export interface ChartToolbar {
  element: HTMLElement;
  /** The symbol field's error line (it sits under the toolbar). */
  symbolError: HTMLElement;
  sheetOpen: HTMLButtonElement;
  pressTimeframe(tf: TimeframeId): void;
  /** Puts a symbol being opened into the field and clears what was said about the last one. */
  showSymbol(symbol: string): void;
  /** The engine refused the symbol typed. */
  refuseSymbol(message: string): void;
  /** The small "Loading…"/"Retrying…" indicator; null hides it. */
  setRefresh(text: string | null): void;
  renderBadges(status: AppStatus, connection: ConnectionStatus, view: ChartView | null): void;
  setLevelCount(count: number | null): void;
}

export function createChartToolbar(opts: {
  symbol: string;
  /** The overlays switched on; the buttons toggle it before `onOverlays`. */
  enabled: Set<string>;
  onSymbol: (symbol: string) => void;
  onTimeframe: (tf: TimeframeId) => void;
  onOverlays: () => void;
}): ChartToolbar {
  const { enabled } = opts;
  const symbolInput = h("input", {
    class: "symbol-input",
    "data-testid": "symbol-input",
    "aria-label": "Symbol",
    list: "symbol-list",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: 12,
    value: opts.symbol,
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
        if (s) opts.onSymbol(s);
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
      const b = h("button", { type: "button", class: "seg-btn", "data-testid": `timeframe-${tf}`, "aria-pressed": "false", onclick: () => opts.onTimeframe(tf) }, tf);
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
            opts.onOverlays();
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

  const element = h(
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
  );

  return {
    element,
    symbolError,
    sheetOpen,
    pressTimeframe(tf) {
      for (const [k, b] of tfButtons) b.setAttribute("aria-pressed", String(k === tf));
    },
    showSymbol(symbol) {
      symbolInput.value = symbol;
      symbolError.textContent = "";
      symbolInput.removeAttribute("aria-invalid");
    },
    refuseSymbol(message) {
      symbolError.textContent = message;
      symbolInput.setAttribute("aria-invalid", "true");
    },
    setRefresh(text) {
      refresh.hidden = text === null;
      refresh.textContent = text ?? "";
    },
    renderBadges(status, connection, view) {
      const b = chartBadges(status, connection, view);
      sourceBadgeEl.textContent = b.source.text;
      sourceBadgeEl.dataset.mode = b.source.mode;
      sourceBadgeEl.title = b.source.title;
      staleBadge.hidden = b.stale.hidden;
      staleBadge.textContent = b.stale.text;
      staleBadge.title = b.stale.title;
      liveBadge.hidden = b.live.hidden;
      liveBadge.textContent = b.live.text;
      liveBadge.dataset.mode = b.live.mode;
      liveBadge.title = b.live.title;
    },
    setLevelCount(count) {
      sheetOpen.textContent = count === null ? "Levels" : `Levels (${count})`;
    },
  };
}
