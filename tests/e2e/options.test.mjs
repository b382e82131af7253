// The options chain through the real app on the demo market: the Options tab
// shows the nearest expiration with the money centred, the range slider and
// the expiration picker change what is shown, the numbers are the engine's,
// and "Options at this strike" from a chart level lands on that strike.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { App, freshHome, waitFor } from "./lib/driver.mjs";

const START = "2024-07-02T15:00:00Z"; // Tuesday 11:00 New York

async function ready(app, what) {
  return waitFor(
    async () => {
      const d = await app.exec("const v = document.querySelector('[data-testid=options-view]'); return v ? { ...v.dataset } : null;");
      return d && d.state === "ready" ? d : null;
    },
    { what, timeout: 20000 },
  );
}

/** Drawn rows: strike, ATM flag, the call's bid cell, and which sides are shaded in the money. */
async function rows(app) {
  return app.exec(`return [...document.querySelectorAll('[data-testid=options-row]')].map((r) => ({
    strike: Number(r.dataset.strike), atm: r.dataset.atm === 'true', focus: r.classList.contains('focus'),
    callBid: r.querySelector('.side.call .oc')?.textContent, callItm: r.querySelector('.side.call').classList.contains('itm'),
    putItm: r.querySelector('.side.put').classList.contains('itm') }));`);
}

/** The drawn rows and the spot they were drawn at, read together (live ticks redraw both). */
async function drawnAtSpot(app) {
  return app.exec(`return { spot: Number(document.querySelector('[data-testid=options-view]').dataset.spot),
    rows: [...document.querySelectorAll('[data-testid=options-row]')].map((r) => ({
      strike: Number(r.dataset.strike), atm: r.dataset.atm === 'true',
      callBid: r.querySelector('.side.call .oc')?.textContent, callItm: r.querySelector('.side.call').classList.contains('itm'),
      putItm: r.querySelector('.side.put').classList.contains('itm') })) };`);
}

describe("the options chain", () => {
  let app;
  before(async () => {
    app = await App.launch({ home: freshHome(), env: { COACH_DEMO_START: START } });
  });
  after(async () => {
    await app?.quit();
  });

  it("1. opens on the nearest expiration with the money in view, shaded by moneyness, numbers from the engine", async () => {
    await app.click(await app.waitForTestId("tab-options"));
    const d = await ready(app, "the chain to load");
    assert.equal(d.symbol, "SPY");
    assert.equal(d.expiration, "2024-07-05", "Friday's weekly is the nearest");
    const options = await app.exec("return [...document.querySelectorAll('[data-testid=options-expiration] option')].map((o) => o.value);");
    assert.equal(options[0], "2024-07-05");
    assert.ok(options.length > 6, `weeklies and monthlies are listed (${options.length})`);
    const { spot, rows: drawn } = await waitFor(async () => {
      const r = await drawnAtSpot(app);
      return r.rows.some((x) => x.atm) ? r : null;
    }, { what: "the ATM row in view" });
    assert.equal(Number(d.rows), 31, "±15 strikes around the money by default");
    assert.ok(drawn.every((r, i) => i === 0 || r.strike > drawn[i - 1].strike), "ascending strikes");
    const engine = (await app.invoke("options_chain", { symbol: "SPY", expiration: null })).ok;
    // The drawn spot is the snapshot's or a live price since: within a few cents' worth of moves.
    assert.ok(Math.abs(spot - engine.spot) < 0.01 * engine.spot, `drawn spot ${spot} vs engine ${engine.spot}`);
    for (const r of drawn) {
      assert.equal(r.callItm, r.strike < spot, `${r.strike}: calls below the spot are in the money`);
      assert.equal(r.putItm, r.strike > spot, `${r.strike}: puts above the spot are in the money`);
      const row = engine.rows.find((x) => x.strike === r.strike);
      assert.equal(r.callBid, row.call.bid.toFixed(2), `${r.strike}: the call bid is the engine's`);
    }
    const nearest = engine.rows.reduce((b, r) => (Math.abs(r.strike - spot) < Math.abs(b - spot) ? r.strike : b), engine.rows[0].strike);
    assert.equal(drawn.find((r) => r.atm).strike, nearest, "the ATM row is the strike nearest the drawn spot");
    const move = await app.textOf("options-expected-move");
    assert.ok(move.includes(engine.expected_move.straddle.toFixed(2)), `the expected move is the straddle: ${move}`);
    await waitFor(() => app.exec("return !!document.querySelector('[data-testid=options-term] path.line');"), { what: "the term structure chart" });
    assert.ok(await app.exec("return document.querySelectorAll('[data-testid=options-smile] path.line').length === 2;"), "calls and puts on the smile");
    await app.screenshot("options-desktop");
  });

  it("1b. the chain follows the underlying live: repriced at the socket's price, moneyness redrawn", async () => {
    const view = await app.byTestId("options-view");
    await waitFor(async () => Number(await app.exec("return document.querySelector('[data-testid=options-view]').dataset.ticks || 0;")) >= 2, { what: "two live repricings", timeout: 30000 });
    assert.ok((await app.textOf("options-note")).includes("live"), "the note says the Greeks are live");
    const drawn = await app.exec(`
      const spot = Number(document.querySelector('[data-testid=options-view]').dataset.spot);
      return { spot, rows: [...document.querySelectorAll('[data-testid=options-row]')].map((r) => ({
        strike: Number(r.dataset.strike),
        callItm: r.querySelector('.side.call').classList.contains('itm'),
        putItm: r.querySelector('.side.put').classList.contains('itm'),
      })) };`);
    assert.ok(drawn.rows.length > 5, `${drawn.rows.length} rows drawn`);
    for (const r of drawn.rows) {
      assert.equal(r.callItm, r.strike < drawn.spot, `call ${r.strike} at spot ${drawn.spot}`);
      assert.equal(r.putItm, r.strike > drawn.spot, `put ${r.strike} at spot ${drawn.spot}`);
    }
    assert.ok(view, "the view is there");
    // A hidden chain is not followed; shown again it reloads and follows.
    await app.click(await app.byTestId("tab-chart"));
    const paused = Number(await app.exec("return document.querySelector('[data-testid=options-view]').dataset.ticks;"));
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(Number(await app.exec("return document.querySelector('[data-testid=options-view]').dataset.ticks;")), paused, "no repricing while the tab is hidden");
    await app.click(await app.byTestId("tab-options"));
    await waitFor(async () => (await app.exec("return document.querySelector('[data-testid=options-view]').dataset.state;")) === "ready" && Number(await app.exec("return document.querySelector('[data-testid=options-view]').dataset.ticks || 0;")) >= 1, { what: "live again after the tab is shown", timeout: 30000 });
  });

  it("2. the strike range and the expiration picker change the chain", async () => {
    await app.exec("const r = document.querySelector('[data-testid=options-range]'); r.value = '3'; r.dispatchEvent(new Event('input'));");
    await waitFor(async () => (await app.exec("return document.querySelector('[data-testid=options-view]').dataset.rows;")) === "7", { what: "±3 strikes" });
    const second = await app.exec("return document.querySelectorAll('[data-testid=options-expiration] option')[1].value;");
    await app.exec("const s = document.querySelector('[data-testid=options-expiration]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));", second);
    await waitFor(async () => (await app.exec("return document.querySelector('[data-testid=options-view]').dataset.expiration;")) === second, { what: `the ${second} chain` });
    const d = await ready(app, "the second expiration");
    assert.equal(d.expiration, second);
  });

  it("3. 'Options at this strike' on a chart level lands on that strike", async () => {
    await app.click(await app.byTestId("tab-chart"));
    await waitFor(async () => (await app.findAll("[data-testid=level-row]")).length > 3, { what: "the level list" });
    const level = await app.exec("const r = document.querySelectorAll('[data-testid=level-row]')[2]; r.click(); return Number(r.dataset.price);");
    await app.click(await app.waitForTestId("options-at-level"));
    await ready(app, "the chain at the level");
    const focused = await waitFor(async () => (await rows(app)).find((r) => r.focus) ?? null, { what: "the focused strike row" });
    const engine = (await app.invoke("options_chain", { symbol: "SPY", expiration: null })).ok;
    const nearest = engine.rows.reduce((b, r) => (Math.abs(r.strike - level) < Math.abs(b - level) ? r.strike : b), engine.rows[0].strike);
    assert.equal(focused.strike, nearest, `the strike nearest the level ${level}`);
    assert.equal(await app.exec("return document.querySelector('[role=tab][aria-selected=true]').textContent;"), "Options");
    await app.screenshot("options-at-level");
  });

  it("4. a position from a template: saved, analysed with what-ifs, in the portfolio Greeks; a bad leg is refused by name", async () => {
    await app.click(await app.byTestId("tab-options"));
    await app.click(await app.byTestId("options-mode-positions"));
    await app.waitForTestId("position-form");
    // A leg without a strike is refused, naming the leg.
    await app.exec("document.querySelector('[data-testid=position-name]').value = 'broken';");
    await app.exec("[...document.querySelectorAll('[data-testid=position-form] button')].find((b) => b.textContent === 'Add leg').click();");
    await app.exec("const i = document.querySelector('[data-testid=position-leg] input'); i.value = ''; i.dispatchEvent(new Event('input'));");
    await app.click(await app.byTestId("position-save"));
    await app.waitForText("position-error", (t) => t.includes("leg 1: an option needs a strike"));
    // An iron condor from the template, at the chain's mids.
    await app.exec("const s = document.querySelector('[data-testid=position-template]'); s.value = 'iron_condor'; s.dispatchEvent(new Event('change'));");
    assert.equal(await app.exec("return document.querySelectorAll('[data-testid=position-leg]').length;"), 4, "the template fills four legs");
    await app.click(await app.byTestId("position-save"));
    await waitFor(() => app.exec("return !!document.querySelector('[data-testid=analysis-breakevens]');"), { what: "the analysis", timeout: 20000 });
    const id = Number(await app.exec("return document.querySelector('[data-testid=position-analysis]').dataset.positionId;"));
    const engine = (await app.invoke("position_analyze", { id, whatIf: { spot: null, days_forward: null, iv_shift: null } })).ok;
    assert.equal(await app.textOf("analysis-breakevens"), engine.breakevens.map((b) => b.toFixed(2)).join(", "));
    assert.equal(await app.textOf("analysis-pop"), `${(engine.probability_of_profit * 100).toFixed(1)}%`);
    assert.ok(engine.max_gain > 0 && engine.max_loss < 0, "a condor has a bounded gain and loss");
    // What-if: a week later at the same price, short premium has decayed.
    const before = Number((await app.textOf("analysis-pnl")).replace(/,/g, ""));
    await app.exec("const d = document.querySelector('[data-testid=whatif-days]'); d.value = '2'; d.dispatchEvent(new Event('input'));");
    await waitFor(async () => Number((await app.textOf("analysis-pnl")).replace(/,/g, "")) > before, { what: "time decay in the what-if P&L" });
    const portfolio = (await app.invoke("portfolio_greeks")).ok;
    assert.equal(portfolio.positions, 1, "one click saved one position");
    await waitFor(async () => (await app.textOf("portfolio-delta")) === portfolio.delta.toFixed(2), { what: "the portfolio delta" });
    assert.equal(await app.textOf("portfolio-bw-delta"), portfolio.spy_beta_weighted_delta.toFixed(2));
    await app.screenshot("options-position");
  });

  it("4b. a calendar from the template: the long leg in the next expiration, analysed at the first", async () => {
    await app.waitForTestId("position-form");
    await app.exec("const s = document.querySelector('[data-testid=position-template]'); s.value = 'calendar'; s.dispatchEvent(new Event('change'));");
    // The template loads the next expiration's chain for the long leg.
    const expiries = await waitFor(async () => {
      const e = await app.exec("return [...document.querySelectorAll('[data-testid=position-leg-expiry]')].map((s) => s.value);");
      return e.length === 2 ? e : null;
    }, { what: "the calendar's two legs" });
    assert.ok(expiries[0] < expiries[1], `short near, long later: ${expiries}`);
    await app.click(await app.byTestId("position-save"));
    await waitFor(() => app.exec("return (document.querySelector('[data-testid=position-analysis] .analysis-title') || {}).textContent || '';").then((t) => (t.includes("calendar") ? t : null)), { what: "the calendar's analysis", timeout: 20000 });
    const title = await app.exec("return document.querySelector('[data-testid=position-analysis] .analysis-title').textContent;");
    assert.ok(title.includes(`first expiration ${expiries[0]}`), title);
    const id = Number(await app.exec("return document.querySelector('[data-testid=position-analysis]').dataset.positionId;"));
    const engine = (await app.invoke("position_analyze", { id, whatIf: { spot: null, days_forward: null, iv_shift: null } })).ok;
    assert.equal(engine.expiry, expiries[0]);
    assert.equal(engine.breakevens.length, 2, "a calendar breaks even on both sides of the strike");
    await waitFor(async () => (await app.textOf("analysis-breakevens")) === engine.breakevens.map((b) => b.toFixed(2)).join(", "), { what: "the drawn breakevens" });
    // No dividend in the model: the most it can lose is what it cost.
    assert.ok(Math.abs(engine.max_loss + engine.net_debit) < 1e-6, `max loss ${engine.max_loss} vs debit ${engine.net_debit}`);
    assert.ok(engine.max_gain > 0);
    await app.screenshot("options-calendar");
  });

  it("5. the phone layout keeps bid, ask, IV and delta per side", async () => {
        await app.setWindowSize(400, 820);
    await app.click(await app.byTestId("options-mode-chain"));
    const widths = await waitFor(
      () => app.exec("const r = document.querySelector('[data-testid=options-row]'); return r ? [...r.querySelectorAll('.oc')].filter((c) => c.offsetWidth > 0).length : 0;"),
      { what: "rows at phone width" },
    );
    assert.equal(widths, 8, "four numbers per side");
    const rect = await app.rect(await app.byTestId("options-chain"));
    assert.ok(rect.width <= 400, `the chain fits (${rect.width})`);
    await app.screenshot("options-phone");
  });
});
