// The journal through the real app: a broker's file imported through the
// file input shows its summary, trades, figures, equity curve and calendar;
// the same file again adds nothing; a file with bad rows names each line and
// imports nothing until the user asks for the rest; notes and a hand-entered
// trade are kept; the phone layout; and the offline coach answers "how did my
// SPY options do last month" with the journal's own numbers.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { App, ROOT, freshHome, waitFor } from "./lib/driver.mjs";

const START = "2024-08-14T15:00:00Z"; // Wednesday 11:00 New York: "last month" is July 2024
const FIXTURES = join(ROOT, "tests/fixtures/journal");
const ENTER = "\uE007";

/** The drawn trade rows: id, symbol and P&L as the rows carry them. */
async function rows(app) {
  return app.exec(`return [...document.querySelectorAll('[data-testid=journal-trade]')].map((r) => ({
    id: Number(r.dataset.id), symbol: r.dataset.symbol, pnl: r.dataset.pnl === '' ? null : Number(r.dataset.pnl) }));`);
}

async function importFile(app, path) {
  const before = await app.exec("return document.querySelector('[data-testid=journal-import-summary]').textContent;");
  await app.type(await app.byTestId("journal-import"), path);
  return waitFor(
    async () => {
      const t = await app.exec("const s = document.querySelector('[data-testid=journal-import-summary]'); return s.hidden ? '' : s.textContent;");
      return t && t !== before ? t : null;
    },
    { what: `the summary of ${path}`, timeout: 20000 },
  );
}

describe("the journal", () => {
  let app;
  before(async () => {
    app = await App.launch({ home: freshHome(), env: { COACH_DEMO_START: START } });
  });
  after(async () => {
    await app?.quit();
  });

  it("1. imports a tastytrade file through the file input: summary, trades, figures, equity curve, calendar", async () => {
    await app.click(await app.waitForTestId("tab-journal"));
    await app.waitForTestId("journal-view");
    const summary = await importFile(app, join(FIXTURES, "tastytrade/current.csv"));
    assert.match(summary, /tastytrade: 13 rows read · 12 executions imported · 0 already in the journal · 6 trades updated/);
    assert.match(summary, /1 row skipped \(not trades\)/);
    const drawn = await waitFor(async () => {
      const r = await rows(app);
      return r.length === 6 ? r : null;
    }, { what: "six trades" });
    // Worked by hand in crates/coach-engine/tests/engine/journal.rs.
    const pnl = Object.fromEntries(drawn.map((r) => [r.symbol, r.pnl]));
    assert.deepEqual(pnl, {
      IWM: null,
      AAPL240920C00240000: 133.87,
      AAPL240920C00230000: -421.14,
      IWM240816P00200000: 550.58,
      SPY240719C00550000: 58.72,
      MSFT: 15.37,
    });
    const engine = (await app.invoke("journal_dashboard", { filter: {} })).ok;
    assert.equal(engine.stats.net_pnl, 337.4);
    const tile = (field) => app.exec(`return document.querySelector('[data-testid=journal-stats] [data-field=${field}] .stat-value').textContent;`);
    assert.equal(await tile("net_pnl"), "+$337.40");
    // The AAPL vertical counts as one trade (−287.27).
    assert.equal(await tile("trades"), "4 (+1 open)");
    assert.match(await tile("win_rate"), /^75\.0 %/);
    assert.equal(await tile("profit_factor"), "2.17");
    assert.equal(await tile("max_drawdown"), "−$287.27");
    const curve = await app.exec("return document.querySelectorAll('[data-testid=equity-curve] path.line').length;");
    assert.equal(curve, 2, "the equity line and its drawdown");
    const days = await app.exec("return [...document.querySelectorAll('[data-testid=pnl-heatmap] [data-pnl]')].filter((d) => d.dataset.pnl !== '').map((d) => [d.dataset.date, Number(d.dataset.pnl)]);");
    assert.deepEqual(
      Object.fromEntries(days),
      { "2024-07-12": 15.37, "2024-07-19": 58.72, "2024-08-16": 550.58, "2024-09-20": -287.27 },
      "each day's closed P&L (the two AAPL legs both expired on Sep 20)",
    );
    // The P&L tracker marks the open IWM shares (300 at 200.00) at the market, then live.
    const iwm = drawn.find((r) => r.symbol === "IWM");
    const marked = await waitFor(
      () => app.exec(`const r = document.querySelector('[data-testid=pnl-tracker] [data-testid=pnl-open-row][data-id="${iwm.id}"]');
        return r && r.dataset.mark !== '' ? { mark: Number(r.dataset.mark), pnl: Number(r.dataset.unrealized), asOf: r.closest('[data-testid=pnl-tracker]').dataset.asOf } : null;`),
      { what: "the open trade marked" },
    );
    assert.equal(marked.pnl, Math.round((marked.mark - 200) * 300 * 100) / 100, "(mark − entry) × 300 shares");
    const live = await waitFor(
      () => app.exec(`const t = document.querySelector('[data-testid=pnl-tracker]'); const r = t.querySelector('[data-testid=pnl-open-row]');
        return t.dataset.asOf !== ${JSON.stringify(marked.asOf)} ? { mark: Number(r.dataset.mark), pnl: Number(r.dataset.unrealized) } : null;`),
      { what: "a live re-mark from the socket", timeout: 20000 },
    );
    assert.equal(live.pnl, Math.round((live.mark - 200) * 300 * 100) / 100);
    await app.screenshot("journal-desktop");
  });

  it("2. the same file again adds nothing", async () => {
    const summary = await importFile(app, join(FIXTURES, "tastytrade/current.csv"));
    assert.match(summary, /0 executions imported · 12 already in the journal · 0 trades updated/);
    assert.equal((await rows(app)).length, 6);
  });

  it("3. a file with bad rows names each line, imports nothing, and imports the rest only when asked", async () => {
    const summary = await importFile(app, join(FIXTURES, "webull/bad_rows.csv"));
    assert.match(summary, /Nothing was imported/);
    const lines = await app.exec("return [...document.querySelectorAll('[data-testid=journal-import-summary] [data-line]')].map((l) => l.textContent);");
    assert.ok(lines.length >= 1, "the bad lines are listed");
    for (const l of lines) assert.match(l, /^Line \d+: .+/);
    assert.equal((await rows(app)).length, 6, "nothing was written");
    await app.screenshot("journal-bad-file");
    await app.click(await app.byTestId("journal-import-rest"));
    await waitFor(async () => (await rows(app)).length > 6, { what: "the readable rows to be imported" });
    const after = await app.textOf("journal-import-summary");
    assert.match(after, /webull: .* executions imported/);
  });

  it("4. notes, tags and risk on a trade are kept; a hand-entered trade is validated and added", async () => {
    const spy = (await rows(app)).find((r) => r.symbol === "SPY240719C00550000");
    await app.click(await app.find(`[data-testid=journal-trade][data-id="${spy.id}"] td`));
    await app.waitForTestId("journal-trade-detail");
    await app.type(await app.find("#trade-notes"), "bought the VWAP reclaim");
    await app.type(await app.find("#trade-tags"), "vwap, A+");
    await app.type(await app.find("#trade-risk"), "100");
    await app.click(await app.find(".trade-notes-form button[type=submit]"));
    const saved = await waitFor(async () => {
      const t = (await app.invoke("journal_trades", { filter: { underlying: "SPY" } })).ok?.[0];
      return t && t.notes ? t : null;
    }, { what: "the notes to be saved" });
    assert.deepEqual(saved.tags, ["vwap", "A+"]);
    assert.equal(saved.r_multiple, 0.59, "58.72 / 100");
    await app.waitForText("journal-trade-detail", (t) => t.includes("(0.59 R)"));

    const form = await app.byTestId("trade-form");
    await app.click(await app.find("[data-testid=trade-form] button[type=submit]"));
    await waitFor(() => app.exec("return document.querySelector('[data-testid=trade-form] .form-message')?.textContent.includes('Fill in: Symbol');"), { what: "the missing fields named" });
    assert.ok(form);
    await app.type(await app.find("#mt-symbol"), "NVDA");
    await app.type(await app.find("#mt-qty"), "10");
    await app.type(await app.find("#mt-entry"), "120");
    await app.exec("const set = (id, v) => { const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event('input')); }; set('mt-opened', '2024-08-01T10:00'); set('mt-closed', '2024-08-02T11:00');");
    await app.type(await app.find("#mt-exit"), "125.5");
    await app.click(await app.find("[data-testid=trade-form] button[type=submit]"));
    const manual = await waitFor(
      async () => (await app.invoke("journal_trades", { filter: { account: "manual" } })).ok?.find((t) => t.symbol === "NVDA") ?? null,
      { what: "the manual trade to be saved" },
    );
    assert.equal(manual.realized_pnl, 55, "(125.50 − 120.00) × 10, no fees");
    const row = await waitFor(async () => (await rows(app)).find((r) => r.id === manual.id) ?? null, { what: "the manual trade in the list" });
    assert.equal(row.pnl, 55);
    // Edited by hand: the exit to 126.00 gives (126 − 120) × 10 = 60.00, the same trade.
    await app.click(await app.find(`[data-testid=journal-trade][data-id="${manual.id}"] td`));
    await app.click(await app.waitForTestId("journal-edit-trade"));
    const exitBox = await app.find("#mt-exit");
    await app.clear(exitBox);
    await app.type(exitBox, "126");
    await app.click(await app.find("[data-testid=trade-form] button[type=submit]"));
    const edited = await waitFor(async () => (await rows(app)).find((r) => r.id === manual.id && r.pnl === 60) ?? null, { what: "the edited trade" });
    assert.equal(edited.pnl, 60);
  });

  it("5. the offline coach answers from the journal with the same numbers as the stats", async () => {
    const input = await app.waitForTestId("chat-input");
    await app.type(input, "how did my SPY options do last month?" + ENTER);
    const answer = await waitFor(
      () =>
        app.exec(`const all = document.querySelectorAll('[data-testid=chat-message][data-role=assistant]');
          const m = all[all.length - 1];
          return m && m.dataset.status === 'complete' ? { text: m.querySelector('.md')?.textContent ?? '', cards: [...m.querySelectorAll('[data-testid=card]')].map((c) => c.dataset.cardType) } : null;`),
      { what: "the coach's answer", timeout: 20000 },
    );
    const stats = (await app.invoke("journal_dashboard", { filter: { from: "2024-07-01", to: "2024-07-31", underlying: "SPY", asset: "option" } })).ok.stats;
    assert.equal(stats.trades, 1);
    assert.equal(stats.net_pnl, 58.72);
    assert.ok(answer.text.includes("**") === false, "markdown is rendered");
    assert.match(answer.text, /2024-07-01 to 2024-07-31/);
    assert.match(answer.text, /\+58\.72/, `the journal's net P&L: ${answer.text}`);
    assert.deepEqual(answer.cards, ["journal"]);
    await app.screenshot("journal-coach");
  });

  it("6. the phone layout keeps the figures and the trades readable", async () => {
    await app.setWindowSize(400, 820);
    await app.click(await app.byTestId("tab-journal"));
    const width = await app.exec("return document.querySelector('[data-testid=journal-stats]').getBoundingClientRect().width;");
    assert.ok(width <= 400, `the figures fit (${width})`);
    const cols = await app.exec("const r = document.querySelector('[data-testid=journal-trade]'); return [...r.children].filter((c) => c.offsetWidth > 0).length;");
    assert.equal(cols, 6, "date, instrument, side, quantity, P&L and status");
    await app.screenshot("journal-phone");
  });
});
