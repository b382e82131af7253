// Positions: an entry form (with strategy templates filled from the chain),
// the saved positions, the analysis of the selected one (P&L chart with
// what-if controls for price, date and IV; max gain/loss, breakevens,
// probability of profit, Greeks) and the portfolio's Greeks.

import type { LegKind, OptionsChain, PositionAnalysis, PositionLeg, SavedPosition } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { lineChart } from "./svgChart";

export interface PositionsPanel {
  element: HTMLElement;
  /** The chain the templates use changed. */
  setChain(chain: OptionsChain | null): void;
  refresh(): Promise<void>;
}

type Template = { id: string; label: string; legs: (atm: number, step: number) => [LegKind, number, number, number?][] };

/**
 * Templates as (kind, strike offset in strike steps from the ATM, quantity,
 * expiration: 0 = the chain's, 1 = the next one listed after it).
 */
export const TEMPLATES: Template[] = [
  { id: "long_call", label: "Long call", legs: () => [["call", 0, 1]] },
  { id: "long_put", label: "Long put", legs: () => [["put", 0, 1]] },
  { id: "bull_call", label: "Bull call vertical", legs: () => [["call", 0, 1], ["call", 2, -1]] },
  { id: "bear_put", label: "Bear put vertical", legs: () => [["put", 0, 1], ["put", -2, -1]] },
  { id: "straddle", label: "Straddle", legs: () => [["call", 0, 1], ["put", 0, 1]] },
  { id: "strangle", label: "Strangle", legs: () => [["call", 2, 1], ["put", -2, 1]] },
  { id: "iron_condor", label: "Iron condor", legs: () => [["put", -4, 1], ["put", -2, -1], ["call", 2, -1], ["call", 4, 1]] },
  { id: "covered_call", label: "Covered call", legs: () => [["stock", 0, 100], ["call", 2, -1]] },
  { id: "collar", label: "Collar", legs: () => [["stock", 0, 100], ["put", -2, 1], ["call", 2, -1]] },
  { id: "calendar", label: "Call calendar", legs: () => [["call", 0, -1, 0], ["call", 0, 1, 1]] },
  { id: "diagonal", label: "Call diagonal", legs: () => [["call", 2, -1, 0], ["call", 0, 1, 1]] },
];

/** The expiration listed after the chain's, for a template's later legs. */
export function nextExpiration(chain: OptionsChain): string | null {
  return chain.expirations.find((d) => d > chain.expiration) ?? null;
}

/** True when a template has legs in the next expiration (calendar, diagonal). */
export function needsLaterChain(t: Template): boolean {
  return t.legs(0, 1).some((l) => (l[3] ?? 0) > 0);
}

/**
 * Legs for a template on `chain`: strikes stepped from the ATM, entry prices
 * at the mids. Legs in the next expiration take the same strike (or the
 * nearest listed) and their mid from `later`, that expiration's chain.
 */
export function templateLegs(t: Template, chain: OptionsChain, later: OptionsChain | null = null): PositionLeg[] {
  const strikes = chain.rows.map((r) => r.strike);
  const atmIdx = Math.max(0, strikes.indexOf(chain.atm_strike ?? strikes[0]!));
  return t.legs(0, 1).map(([kind, offset, quantity, expiryStep]) => {
    if (kind === "stock") return { kind, strike: null, expiry: null, quantity, entry_price: Number(chain.spot.toFixed(2)) };
    let row = chain.rows[Math.min(chain.rows.length - 1, Math.max(0, atmIdx + offset))]!;
    let expiry = chain.expiration;
    if ((expiryStep ?? 0) > 0 && later && later.rows.length > 0) {
      const strike = row.strike;
      row = later.rows.reduce((a, b) => (Math.abs(b.strike - strike) < Math.abs(a.strike - strike) ? b : a));
      expiry = later.expiration;
    }
    const q = kind === "call" ? row.call : row.put;
    return { kind, strike: row.strike, expiry, quantity, entry_price: Number((q?.mid ?? 0).toFixed(2)) };
  });
}

/** The kind select's value; it offers exactly the three kinds. */
function asLegKind(v: string): LegKind {
  return v === "put" || v === "stock" ? v : "call";
}

const money = (v: number | null | undefined) => (v == null ? "unbounded" : v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }));

export function createPositionsPanel(): PositionsPanel {
  let chain: OptionsChain | null = null;
  let legs: PositionLeg[] = [];
  let selected: number | null = null;
  let analysis: PositionAnalysis | null = null;
  let seq = 0;

  // --- form ----------------------------------------------------------------
  const name = h("input", { "data-testid": "position-name", "aria-label": "Position name", placeholder: "Name", maxlength: 80 });
  const template = h(
    "select",
    { "data-testid": "position-template", "aria-label": "Strategy template" },
    h("option", { value: "" }, "Template…"),
    TEMPLATES.map((t) => h("option", { value: t.id }, t.label)),
  );
  const legRows = h("tbody", {});
  const formError = h("p", { class: "field-error", role: "alert", "data-testid": "position-error" });
  const context = h("p", { class: "muted small" });
    // Saving is a click handler (Enter in a field saves too, through the form).
  const save = h("button", { type: "button", class: "btn btn-primary", "data-testid": "position-save" }, "Save position");
  const addLeg = h("button", { type: "button", class: "btn btn-small" }, "Add leg");
  const form = h(
    "form",
    { class: "position-form", "data-testid": "position-form", "aria-label": "New position" },
    h("h3", {}, "New position"),
    context,
    h("div", { class: "field-row" }, name, template),
    h(
      "table",
      { class: "legs-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Kind"), h("th", {}, "Strike"), h("th", {}, "Expiry"), h("th", {}, "Qty"), h("th", {}, "Entry"), h("th", {}, ""))),
      legRows,
    ),
    h("div", { class: "form-actions" }, addLeg, save),
    formError,
  );

  function renderLegs(): void {
    replace(
      legRows,
      legs.map((l, i) => {
        const kind = h(
          "select",
          { "aria-label": `Leg ${i + 1} kind` },
          ["call", "put", "stock"].map((k) => h("option", { value: k, selected: l.kind === k }, k)),
        );
        const strike = h("input", { type: "number", step: "any", value: l.strike ?? "", "aria-label": `Leg ${i + 1} strike`, disabled: l.kind === "stock" });
        // A copy: the chain's list is shared with the Options view.
        const dates = [...(chain?.expirations ?? [])];
        if (l.expiry && !dates.includes(l.expiry)) dates.push(l.expiry);
        const expiry = h(
          "select",
          { "aria-label": `Leg ${i + 1} expiry`, "data-testid": "position-leg-expiry", disabled: l.kind === "stock" },
          l.kind === "stock" ? h("option", { value: "" }, "—") : dates.map((d) => h("option", { value: d, selected: d === l.expiry }, d)),
        );
        expiry.addEventListener("change", () => (l.expiry = expiry.value || null));
        const qty = h("input", { type: "number", step: "any", value: l.quantity, "aria-label": `Leg ${i + 1} quantity` });
        const entry = h("input", { type: "number", step: "any", min: 0, value: l.entry_price, "aria-label": `Leg ${i + 1} entry price` });
        kind.addEventListener("change", () => {
          l.kind = asLegKind(kind.value);
          if (l.kind === "stock") Object.assign(l, { strike: null, expiry: null });
          else l.expiry = chain?.expiration ?? l.expiry;
          renderLegs();
        });
        strike.addEventListener("input", () => (l.strike = strike.value === "" ? null : Number(strike.value)));
        qty.addEventListener("input", () => (l.quantity = Number(qty.value)));
        entry.addEventListener("input", () => (l.entry_price = Number(entry.value)));
        const remove = h("button", { type: "button", class: "icon-btn", "aria-label": `Remove leg ${i + 1}`, onclick: () => { legs.splice(i, 1); renderLegs(); } }, "✕");
        return h("tr", { "data-testid": "position-leg" }, h("td", {}, kind), h("td", {}, strike), h("td", {}, expiry), h("td", {}, qty), h("td", {}, entry), h("td", {}, remove));
      }),
    );
  }

  template.addEventListener("change", () => void applyTemplate());
  async function applyTemplate(): Promise<void> {
    const t = TEMPLATES.find((x) => x.id === template.value);
    const c = chain;
    if (!t || !c) return;
    formError.textContent = "";
    let later: OptionsChain | null = null;
    if (needsLaterChain(t)) {
      const next = nextExpiration(c);
      if (!next) {
        formError.textContent = `${t.label} needs a later expiration than ${c.expiration}; none is listed.`;
        return;
      }
      try {
        later = await ipc.optionsChain(c.symbol, next);
      } catch (e) {
        formError.textContent = `${t.label}: the ${next} chain did not load (${(e as IpcError).message}).`;
        return;
      }
      // The chain or the template changed while that loaded.
      if (chain !== c || template.value !== t.id) return;
    }
    legs = templateLegs(t, c, later);
    if (!name.value.trim()) name.value = `${c.symbol} ${t.label.toLowerCase()} ${c.expiration}${later ? `/${later.expiration}` : ""}`;
    renderLegs();
  }
  addLeg.addEventListener("click", () => {
    legs.push({ kind: "call", strike: chain?.atm_strike ?? null, expiry: chain?.expiration ?? null, quantity: 1, entry_price: 0 });
    renderLegs();
  });
      let saving = false;
      form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit();
  });
  save.addEventListener("click", () => void submit());
  // A double click must not save the same position twice.
  let lastSaved: { key: string; at: number } | null = null;
  async function submit(): Promise<void> {
    if (saving) return;
    formError.textContent = "";
    if (!chain) {
      formError.textContent = "Load a chain first: the position's symbol and expiration come from it.";
      return;
    }
            const position = {
      name: name.value.trim(),
      symbol: chain.symbol,
      legs: legs.map((l) => ({ ...l, expiry: l.kind === "stock" ? null : (l.expiry ?? chain!.expiration) })),
    };
    const key = JSON.stringify(position);
    if (lastSaved && lastSaved.key === key && performance.now() - lastSaved.at < 3000) return;
    saving = true;
    save.disabled = true;
    try {
      const id = await ipc.positionSave(position);
      lastSaved = { key, at: performance.now() };
      name.value = "";
      template.value = "";
      legs = [];
      renderLegs();
      selected = id;
      await refresh();
        } catch (err) {
      formError.textContent = (err as IpcError).message;
        } finally {
      saving = false;
      save.disabled = false;
    }
  }

  // --- saved list, analysis, portfolio ----------------------------------------
  const list = h("ul", { class: "position-list", "aria-label": "Saved positions" });
  const analysisEl = h("section", { class: "position-analysis", "data-testid": "position-analysis", "aria-live": "polite" });
  const portfolioEl = h("section", { class: "portfolio-greeks card", "data-testid": "portfolio-greeks" });
  const priceIn = h("input", { type: "range", "data-testid": "whatif-price", "aria-label": "What-if underlying price" });
  const daysIn = h("input", { type: "range", min: 0, step: 1, value: 0, "data-testid": "whatif-days", "aria-label": "What-if days from now" });
  const ivIn = h("input", { type: "range", min: -20, max: 20, step: 1, value: 0, "data-testid": "whatif-iv", "aria-label": "What-if IV change in points" });
  const whatIfLabel = h("span", { class: "muted small" });

  async function analyse(whatIf = false): Promise<void> {
    if (selected === null) {
      replace(analysisEl, h("p", { class: "muted" }, "Select a saved position to analyse it."));
      return;
    }
    const my = ++seq;
    try {
      const a = await ipc.positionAnalyze(selected, whatIf && analysis
        ? { spot: Number(priceIn.value), days_forward: Number(daysIn.value), iv_shift: Number(ivIn.value) / 100 }
        : { spot: null, days_forward: null, iv_shift: null });
      if (my !== seq) return;
      if (!whatIf) {
        priceIn.min = String((a.market_spot * 0.85).toFixed(2));
        priceIn.max = String((a.market_spot * 1.15).toFixed(2));
        priceIn.step = "0.01";
        priceIn.value = String(a.market_spot);
        daysIn.max = String(Math.max(0, Math.floor(a.days_to_expiry)));
        daysIn.value = "0";
        ivIn.value = "0";
      }
      analysis = a;
      renderAnalysis(a);
    } catch (e) {
      if (my !== seq) return;
      replace(analysisEl, h("p", { class: "error" }, (e as IpcError).message));
    }
  }

  function renderAnalysis(a: PositionAnalysis): void {
    const row = (label: string, value: string, testid?: string) =>
      h("div", { class: "card-row" }, h("span", { class: "muted" }, label), h("span", { class: "num", "data-testid": testid }, value));
    whatIfLabel.textContent = `price ${Number(priceIn.value).toFixed(2)} · +${daysIn.value} d · IV ${Number(ivIn.value) >= 0 ? "+" : ""}${ivIn.value} pts`;
    analysisEl.dataset.positionId = String(a.id);
    replace(
      analysisEl,
            h("h4", { class: "analysis-title" }, `${a.name}`, h("span", { class: "muted small" }, ` · ${a.assumptions.startsWith("At the first expiration") ? "first expiration" : "expires"} ${a.expiry ?? "—"}, ${a.days_to_expiry.toFixed(1)} days`)),
      h(
        "div",
        { class: "analysis-grid" },
        row("Max gain", money(a.max_gain), "analysis-max-gain"),
        row("Max loss", money(a.max_loss), "analysis-max-loss"),
        row("Breakevens", a.breakevens.map((b) => b.toFixed(2)).join(", ") || "none", "analysis-breakevens"),
        row("Probability of profit", a.probability_of_profit == null ? "—" : `${(a.probability_of_profit * 100).toFixed(1)}%`, "analysis-pop"),
        row("Net debit", money(a.net_debit)),
        row("P&L (what-if)", money(a.pnl_now), "analysis-pnl"),
        row("Delta / Gamma", `${a.greeks.delta.toFixed(2)} / ${a.greeks.gamma.toFixed(3)}`),
        row("Theta / Vega", `${a.greeks.theta.toFixed(2)}/d / ${a.greeks.vega.toFixed(2)}`),
      ),
      lineChart({
        title: `P&L: at ${a.assumptions.startsWith("At the first expiration") ? "the first expiration" : "expiry"} (grey) and at the what-if date (blue)`,
        testId: "position-chart",
        width: 520,
        height: 190,
        series: [
          { name: "expiry", cls: "expiry", points: a.at_expiry.map((p) => [p.price, p.pnl]) },
          { name: "date", cls: "term", points: a.at_date.map((p) => [p.price, p.pnl]) },
        ],
        xFormat: (x) => x.toFixed(0),
        yFormat: (y) => y.toFixed(0),
        markX: a.spot,
      }),
      h(
        "div",
        { class: "whatif" },
        h("label", {}, "Price", priceIn),
        h("label", {}, "Days", daysIn),
        h("label", {}, "IV ±", ivIn),
        whatIfLabel,
      ),
      h("p", { class: "muted small" }, a.assumptions),
    );
  }

  let whatIfTimer = 0;
  for (const input of [priceIn, daysIn, ivIn]) {
    input.addEventListener("input", () => {
      clearTimeout(whatIfTimer);
      whatIfTimer = window.setTimeout(() => void analyse(true), 120);
    });
  }

  function renderList(positions: SavedPosition[]): void {
    if (positions.length === 0) {
      replace(list, h("li", { class: "muted empty" }, "No saved positions yet."));
      return;
    }
    replace(
      list,
      positions.map((p) =>
        h(
          "li",
          { class: `position-row${p.id === selected ? " current" : ""}`, "data-testid": "position-row", "data-position-id": p.id },
          h(
            "button",
            { type: "button", class: "session-open", onclick: () => { selected = p.id; renderList(positions); void analyse(); } },
            h("span", { class: "session-title" }, p.name),
            h("span", { class: "muted session-meta" }, `${p.symbol} · ${p.legs.length} leg${p.legs.length === 1 ? "" : "s"}`),
          ),
          h(
            "button",
            {
              type: "button",
              class: "icon-btn",
              "aria-label": `Delete ${p.name}`,
              onclick: async () => {
                await ipc.positionDelete(p.id).catch(() => undefined);
                if (selected === p.id) selected = null;
                await refresh();
              },
            },
            "✕",
          ),
        ),
      ),
    );
  }

    let portfolioSeq = 0;
  async function renderPortfolio(): Promise<void> {
    // The newest request wins (an older, quicker answer must not overwrite it).
    const my = ++portfolioSeq;
    try {
      const g = await ipc.portfolioGreeks();
      if (my !== portfolioSeq) return;
      replace(
        portfolioEl,
        h("h3", {}, `Portfolio Greeks (${g.positions} position${g.positions === 1 ? "" : "s"})`),
        h(
          "div",
          { class: "analysis-grid" },
          ...[
            ["Delta", g.delta.toFixed(2), "portfolio-delta"],
            ["Gamma", g.gamma.toFixed(3), "portfolio-gamma"],
            ["Theta / day", g.theta.toFixed(2), "portfolio-theta"],
            ["Vega / pt", g.vega.toFixed(2), "portfolio-vega"],
            ["SPY β-weighted delta", g.spy_beta_weighted_delta.toFixed(2), "portfolio-bw-delta"],
          ].map(([l, v, t]) => h("div", { class: "card-row" }, h("span", { class: "muted" }, l!), h("span", { class: "num", "data-testid": t }, v!))),
        ),
        g.by_symbol.length
          ? h("p", { class: "muted small" }, g.by_symbol.map((s) => `${s.symbol}: Δ ${s.delta.toFixed(1)}, β ${s.beta.toFixed(2)}`).join(" · "))
          : null,
        g.skipped.length ? h("p", { class: "warning small" }, `Not valued: ${g.skipped.join("; ")}`) : null,
      );
        } catch (e) {
      if (my === portfolioSeq) replace(portfolioEl, h("p", { class: "error" }, (e as IpcError).message));
    }
  }

  async function refresh(): Promise<void> {
    try {
      const positions = await ipc.positionsList();
      if (selected !== null && !positions.some((p) => p.id === selected)) selected = null;
      renderList(positions);
    } catch (e) {
      replace(list, h("li", { class: "error" }, (e as IpcError).message));
    }
    await Promise.all([analyse(), renderPortfolio()]);
  }

  const element = h(
    "div",
    { class: "positions-panel", "data-testid": "positions-panel" },
    h("div", { class: "positions-left" }, form, h("h3", {}, "Saved"), list, portfolioEl),
    h("div", { class: "positions-right" }, analysisEl),
  );
  renderLegs();

  return {
    element,
    setChain(c) {
      chain = c;
      context.textContent = c ? `${c.symbol} · expiring ${c.expiration} · spot ${c.spot.toFixed(2)} (templates use this chain's strikes and mids)` : "";
    },
    refresh,
  };
}
