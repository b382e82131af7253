// The options chain: an expiration picker, a strike-range filter, calls and
// puts by strike (in-the-money sides shaded, the at-the-money row marked),
// IV smile and term-structure charts, and the expected move from the ATM
// straddle. Long chains are windowed (only visible rows are in the DOM).

import type { ChainRow, OptionQuote, OptionsChain, OptionsTick, TermPoint } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { createVirtualList } from "../chat/virtualList";
import { lineChart } from "./svgChart";
import { createPositionsPanel } from "./positionsPanel";

export interface OptionsView {
  element: HTMLElement;
  /** Loads `symbol` (and `expiration`, default the nearest); `focusStrike` scrolls to and marks the nearest strike. */
  show(symbol: string, expiration?: string | null, focusStrike?: number | null): Promise<void>;
  /** Stops following the chain live (the tab is hidden). */
  pause(): void;
  /** Reloads and follows the chain again if it was paused. */
  resume(): void;
}

const money = (v: number | null | undefined, d = 2) => (v == null || !Number.isFinite(v) ? "—" : v.toFixed(d));
const count = (v: number | null | undefined) => (v == null ? "—" : Math.round(v).toLocaleString("en-US"));
const pct = (v: number | null | undefined) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);

/** Rows within `each` strikes of the money (all when `each` is 0). */
/**
 * The chain after a live repricing: the tick's spot, ATM and deltas, and the
 * moneyness at that spot. Rows whose numbers changed are new objects (the
 * list redraws those); bid, ask and IV stay the snapshot's.
 */
export function applyTick(chain: OptionsChain, tick: OptionsTick): OptionsChain {
  if (tick.symbol !== chain.symbol || tick.expiration !== chain.expiration || tick.deltas.length !== chain.rows.length) return chain;
  const side = (q: OptionQuote | null, delta: number | null, itm: boolean): OptionQuote | null =>
    q && (q.delta !== delta || q.in_the_money !== itm) ? { ...q, delta, in_the_money: itm } : q;
  const rows = chain.rows.map((r, i) => {
    const [cd, pd] = tick.deltas[i]!;
    const call = side(r.call, cd, r.strike < tick.spot);
    const put = side(r.put, pd, r.strike > tick.spot);
    return call === r.call && put === r.put ? r : { ...r, call, put };
  });
  return { ...chain, spot: tick.spot, atm_strike: tick.atm_strike, rows };
}

export function rowsNearMoney(chain: OptionsChain, each: number): ChainRow[] {
  if (each <= 0) return chain.rows;
  const atm = Math.max(0, chain.rows.findIndex((r) => r.strike === chain.atm_strike));
  return chain.rows.slice(Math.max(0, atm - each), atm + each + 1);
}

function side(q: OptionQuote | null, kind: "call" | "put"): HTMLElement[] {
  const cell = (text: string, cls = "") => h("span", { class: `oc ${cls}` }, text);
  if (!q) return Array.from({ length: 7 }, () => cell(""));
  const iv = cell(pct(q.iv), q.computed ? "computed" : "");
    if (q.computed) iv.title = `IV and Greeks computed here from the ${q.price_source === "last" ? "last trade (no quote)" : "bid/ask mid"}: the provider sent none`;
  const cells = [
    cell(money(q.bid)),
    cell(money(q.ask)),
    cell(money(q.last), "wide"),
    cell(count(q.volume), "wide"),
    cell(count(q.open_interest), "wide"),
    iv,
    cell(q.delta == null ? "—" : q.delta.toFixed(2)),
  ];
  return kind === "call" ? cells : cells.reverse();
}

export function createOptionsView(): OptionsView {
  let chain: OptionsChain | null = null;
  let symbol = "SPY";
  let focus: number | null = null;
    let seq = 0;
    let paused = false;
  const termCache = new Map<string, TermPoint[]>();

  const symbolInput = h("input", { class: "symbol-input", "data-testid": "options-symbol", "aria-label": "Underlying symbol", value: symbol, maxlength: 12 });
  const form = h("form", { class: "symbol-form" }, symbolInput);
  const expSelect = h("select", { "data-testid": "options-expiration", "aria-label": "Expiration" });
  const range = h("input", { type: "range", min: 0, max: 60, step: 1, value: 15, "data-testid": "options-range", "aria-label": "Strikes each side of the money (0 = all)" });
  const rangeLabel = h("span", { class: "muted range-label" });
  const moveEl = h("span", { class: "badge", "data-testid": "options-expected-move" });
  const note = h("span", { class: "muted small", "data-testid": "options-note" });
  const errorEl = h("p", { class: "field-error", role: "alert", "data-testid": "options-error" });
  const smileHost = h("div", { class: "chart-box" });
  const termHost = h("div", { class: "chart-box" });
  const header = h(
    "div",
    { class: "chain-head", "aria-hidden": "true" },
    ...["Bid", "Ask", "Last", "Vol", "OI", "IV", "Δ"].map((t, i) => h("span", { class: `oc${i >= 2 && i <= 4 ? " wide" : ""}` }, t)),
    h("span", { class: "strike" }, "Strike"),
    ...["Δ", "IV", "OI", "Vol", "Last", "Ask", "Bid"].map((t, i) => h("span", { class: `oc${i >= 2 && i <= 4 ? " wide" : ""}` }, t)),
  );
  const list = createVirtualList<ChainRow>({
    keyOf: (r) => String(r.strike),
    estimate: 28,
    overscan: 400,
    class: "chain-rows",
    attrs: { role: "table", "aria-label": "Options chain", "data-testid": "options-chain" },
    render: (r) => {
      const atm = chain?.atm_strike === r.strike;
      const row = h(
        "div",
        {
          class: `chain-row${atm ? " atm" : ""}${focus !== null && nearest(focus) === r.strike ? " focus" : ""}`,
          role: "row",
          "data-testid": "options-row",
          "data-strike": r.strike,
          "data-atm": String(atm),
        },
        h("span", { class: `side call${r.call?.in_the_money ? " itm" : ""}` }, ...side(r.call, "call")),
        h("span", { class: "strike" }, money(r.strike)),
        h("span", { class: `side put${r.put?.in_the_money ? " itm" : ""}` }, ...side(r.put, "put")),
      );
      return row;
    },
  });

  const nearest = (price: number): number | null => {
    if (!chain || chain.rows.length === 0) return null;
    return chain.rows.reduce((best, r) => (Math.abs(r.strike - price) < Math.abs(best - price) ? r.strike : best), chain.rows[0]!.strike);
  };

    const positions = createPositionsPanel();
  const chainPart = h("div", { class: "chain-part" });
  const modeChain = h("button", { type: "button", class: "seg-btn", "aria-pressed": "true", "data-testid": "options-mode-chain" }, "Chain");
  const modePositions = h("button", { type: "button", class: "seg-btn", "aria-pressed": "false", "data-testid": "options-mode-positions" }, "Positions");
  const setMode = (pos: boolean) => {
    modeChain.setAttribute("aria-pressed", String(!pos));
    modePositions.setAttribute("aria-pressed", String(pos));
    chainPart.hidden = pos;
    positions.element.hidden = !pos;
    if (pos) void positions.refresh();
    else if (chain?.atm_strike != null) list.scrollToKey(String(focus !== null ? nearest(focus) : chain.atm_strike));
  };
  modeChain.addEventListener("click", () => setMode(false));
  modePositions.addEventListener("click", () => setMode(true));
  positions.element.hidden = true;
  const element = h(
    "section",
    { class: "options-view", "data-testid": "options-view" },
    h(
      "div",
      { class: "chart-toolbar options-toolbar" },
            h("div", { class: "seg", role: "group", "aria-label": "View" }, modeChain, modePositions),
      form,
      h("label", { class: "inline-field" }, h("span", { class: "muted" }, "Expiration"), expSelect),
      h("label", { class: "inline-field" }, h("span", { class: "muted" }, "Strikes"), range, rangeLabel),
      moveEl,
      note,
    ),
        errorEl,
    chainPart,
    positions.element,
  );
  chainPart.append(
    h("div", { class: "options-charts" }, smileHost, termHost),
    h("div", { class: "chain-labels", "aria-hidden": "true" }, h("span", {}, "Calls"), h("span", {}, "Puts")),
    header,
    list.element,
  );

  function renderChain(): void {
    if (!chain) return;
    const each = Number(range.value);
    rangeLabel.textContent = each === 0 ? "all" : `±${each}`;
    const rows = rowsNearMoney(chain, each);
    list.setItems(rows);
    const m = chain.expected_move;
    moveEl.textContent = m
      ? `Expected move ±${money(m.straddle)} (${(m.fraction * 100).toFixed(2)}%): ${money(m.low)} – ${money(m.high)}`
      : "Expected move: —";
    moveEl.title = m ? `The ${money(m.strike)} straddle (call mid + put mid)` : "";
    renderNote();
        // Out-of-the-money sides with a bid: a quote with no bid cannot pin an IV.
    const smile = (kind: "call" | "put") =>
      chain!.rows
        .filter((r) => {
          const q = r[kind];
          return q?.iv != null && (q.bid ?? 0) > 0 && (kind === "call" ? r.strike >= chain!.spot : r.strike <= chain!.spot);
        })
        .map((r) => [r.strike, (r[kind]!.iv ?? 0) * 100] as [number, number]);
    replace(
      smileHost,
      lineChart({
        title: `IV smile · ${chain.expiration}`,
        testId: "options-smile",
        series: [
          { name: "calls", cls: "calls", points: smile("call") },
          { name: "puts", cls: "puts", points: smile("put") },
        ],
        xFormat: (x) => x.toFixed(0),
        yFormat: (y, fine) => `${y.toFixed(fine ? 1 : 0)}%`,
        markX: chain.spot,
      }),
    );
    element.dataset.symbol = chain.symbol;
    element.dataset.expiration = chain.expiration;
    element.dataset.rows = String(rows.length);
  }

  let ticks = 0;
  function renderNote(): void {
    if (!chain) return;
    const live = ticks > 0;
    note.textContent = `${chain.symbol} ${money(chain.spot)}${live ? " live" : ""} · ${chain.contracts} contracts${chain.computed ? ` · IV/Greeks computed here for ${chain.computed} (marked)` : ""}`;
    note.title = live ? "Deltas and moneyness repriced at the live price from the market socket (same IVs); bid, ask and last are the snapshot's." : "";
    element.dataset.spot = String(chain.spot);
    element.dataset.ticks = String(ticks);
  }

  function onTick(my: number, t: OptionsTick): void {
    // A tick already on its way when the tab was hidden is not drawn.
    if (my !== seq || !chain || paused) return;
    const next = applyTick(chain, t);
    if (next === chain) return;
    chain = next;
    ticks += 1;
    list.setItems(rowsNearMoney(chain, Number(range.value)));
    renderNote();
  }

  function renderTerm(points: TermPoint[]): void {
    replace(
      termHost,
      lineChart({
        title: "ATM IV by expiration (days)",
        testId: "options-term",
        series: [{ name: "ATM IV", cls: "term", points: points.filter((p) => p.atm_iv != null).map((p) => [p.days, p.atm_iv! * 100]) }],
        xFormat: (x) => `${x.toFixed(0)}d`,
        yFormat: (y, fine) => `${y.toFixed(fine ? 1 : 0)}%`,
      }),
    );
  }

  async function show(sym: string, expiration: string | null = null, focusStrike: number | null = null): Promise<void> {
    const my = ++seq;
    // Loading a chain follows it live, whatever paused the last one.
    paused = false;
    symbol = sym.trim().toUpperCase();
    symbolInput.value = symbol;
    focus = focusStrike;
    errorEl.textContent = "";
    element.dataset.state = "loading";
    try {
      ticks = 0;
      const next = await ipc.optionsFollow(symbol, expiration, (t) => onTick(my, t));
      if (my !== seq) return;
            chain = next;
      positions.setChain(next);
      replace(expSelect, next.expirations.map((d) => h("option", { value: d, selected: d === next.expiration }, d)));
      if (focus !== null) {
        // Show the whole chain so the focused strike is in it.
        range.value = "0";
      }
      renderChain();
      element.dataset.state = "ready";
      const f = focus !== null ? nearest(focus) : null;
      if (f !== null) list.scrollToKey(String(f));
      else if (chain.atm_strike !== null) list.scrollToKey(String(chain.atm_strike));
            // The term structure belongs to the symbol: fetched once per symbol.
      const cached = termCache.get(symbol);
      if (cached) renderTerm(cached);
      else {
        const forSymbol = symbol;
        void ipc
          .optionsTermStructure(forSymbol)
          .then((t) => {
            termCache.set(forSymbol, t);
            if (my === seq) renderTerm(t);
          })
          .catch(() => {
            if (my === seq) renderTerm([]);
          });
      }
    } catch (e) {
      if (my !== seq) return;
            // Nothing stale stays on screen under the new symbol.
      chain = null;
      void ipc.optionsUnfollow().catch(() => undefined);
      positions.setChain(null);
      list.setItems([]);
      expSelect.replaceChildren();
      smileHost.replaceChildren();
      termHost.replaceChildren();
      moveEl.textContent = "Expected move: —";
      note.textContent = "";
      element.dataset.state = "error";
      errorEl.textContent = (e as IpcError).message;
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (symbolInput.value.trim()) void show(symbolInput.value);
  });
    expSelect.addEventListener("change", () => {
    if (chain) void show(chain.symbol, expSelect.value);
  });
    range.addEventListener("input", () => {
    renderChain();
    // Keep the money (or the asked-for strike) in view.
    const f = focus !== null ? nearest(focus) : chain?.atm_strike ?? null;
    if (f !== null) list.scrollToKey(String(f));
  });
  rangeLabel.textContent = `±${range.value}`;

  function pause(): void {
    if (paused) return;
    paused = true;
    void ipc.optionsUnfollow().catch(() => undefined);
  }
  function resume(): void {
    if (!paused) return;
    paused = false;
    if (chain) void show(chain.symbol, chain.expiration);
  }

  return { element, show, pause, resume };
}
