// Price alerts through the real app: the panel's form marks the field a
// backend error names, then an alert is created, paused, resumed and
// deleted; from the chart's level sheet an alert is created on a level and a
// fixed-price one (its line dragged on the chart) fires on the demo market —
// a toast, the history and the row's state show it; a coach's proposal is
// saved only by the user's Confirm and shows as saved after a reload.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { App, freshHome, waitFor } from "./lib/driver.mjs";
import { launchWithModel, script } from "./lib/model.mjs";

const START = "2024-07-02T14:00:00Z"; // 10:00 New York: regular session
const SPEED = "5"; // simulated seconds per real second: price moves within seconds
const ENTER = "\uE007";

/** The alert rows as drawn: id, state pill, rule. */
async function rows(app) {
  return app.exec(`return [...document.querySelectorAll('[data-testid=alert-row]')].map((r) => ({
    id: Number(r.dataset.alertId), state: r.querySelector('[data-testid=alert-state]').textContent,
    rule: r.querySelector('[data-testid=alert-rule]').textContent, pause: r.querySelector('[data-testid=alert-pause]')?.textContent ?? null }));`);
}

async function rowState(app, id, state, timeout = 15000) {
  return waitFor(async () => (await rows(app)).find((r) => r.id === id && r.state === state), { timeout, what: `alert #${id} to be ${state}` });
}

async function setValue(app, testId, value) {
  const el = await app.byTestId(testId);
  await app.clear(el);
  if (value !== "") await app.type(el, value);
}

async function select(app, testId, value) {
  await app.exec(
    "const s = document.querySelector(`[data-testid=${arguments[0]}]`); s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true }));",
    testId,
    value,
  );
}

async function lastClose(app) {
  return waitFor(async () => Number((await app.chartState())?.lastClose) || null, { what: "the chart's last close" });
}

/** Drags from (x, y1) to (x, y2), in the chart's own coordinates, with the mouse. */
async function dragInChart(app, x, y1, y2) {
  const chart = await app.byTestId("chart");
  const r = await app.rect(chart);
  // W3C actions: an element origin's offsets are from its centre.
  const at = (y) => ({ type: "pointerMove", duration: 50, origin: { "element-6066-11e4-a52e-4f735466cecf": chart }, x: Math.round(x - r.width / 2), y: Math.round(y - r.height / 2) });
  await app.cmd("POST", "/actions", {
    actions: [
      {
        type: "pointer",
        id: "mouse",
        parameters: { pointerType: "mouse" },
        actions: [at(y1), { type: "pointerDown", button: 0 }, { ...at((y1 + y2) / 2), duration: 100 }, { ...at(y2), duration: 100 }, { type: "pointerUp", button: 0 }],
      },
    ],
  });
  await app.cmd("DELETE", "/actions").catch(() => {});
}

describe("price alerts", () => {
  let app;
  before(async () => {
    app = await App.launch({ home: freshHome(), env: { COACH_DEMO_START: START, COACH_DEMO_SPEED: SPEED } });
  });
  after(async () => {
    await app?.quit();
  });

  it("a. the form marks the field the backend names; create, pause, resume and delete", async () => {
    await app.click(await app.waitForTestId("tab-alerts"));
    await app.waitForTestId("alerts-panel");
    await setValue(app, "alert-symbol", "SPY");
    await setValue(app, "alert-price", "");
    await app.click(await app.byTestId("alert-save"));
    const marked = await waitFor(
      () => app.exec(`const p = document.querySelector('[data-testid=alert-price]'); const e = document.querySelector('[data-testid=alert-price-error]');
        return p.classList.contains('invalid') && p.getAttribute('aria-invalid') === 'true' && !e.hidden ? e.textContent : null;`),
      { what: "the price field marked invalid" },
    );
    assert.match(marked, /give the price of the line/);
    assert.deepEqual(await rows(app), [], "nothing was saved");
    await app.screenshot("alerts-01-field-error");

    const price = ((await lastClose(app)) + 40).toFixed(2);
    await setValue(app, "alert-price", price);
    await app.click(await app.byTestId("alert-save"));
    const [row] = await waitFor(async () => {
      const r = await rows(app);
      return r.length === 1 && r[0].state === "armed" ? r : null;
    }, { what: "the new alert armed" });
    assert.equal(row.rule, `crosses above ${price} · once`);
    assert.equal(await app.exec("return document.querySelector('[data-testid=alert-price]').classList.contains('invalid')"), false, "the mark is cleared");

    // The list is redrawn as live prices come (about once a second): a button
    // found just before a redraw is found again (a stale element was never clicked).
    const clickInRow = (testId) =>
      waitFor(
        async () => {
          try {
            await app.click(await app.find(`[data-testid=alert-row][data-alert-id="${row.id}"] [data-testid=${testId}]`));
            return true;
          } catch (e) {
            if (/stale element|no such element/i.test(String(e.message ?? e))) return null;
            throw e;
          }
        },
        { what: `${testId} of alert ${row.id}` },
      );
    await clickInRow("alert-pause");
    assert.equal((await rowState(app, row.id, "paused")).pause, "Resume");
    await clickInRow("alert-pause");
    assert.equal((await rowState(app, row.id, "armed")).pause, "Pause");

    await clickInRow("alert-delete");
    assert.equal((await rows(app)).length, 1, "delete asks first");
    await clickInRow("alert-delete-confirm");
    await waitFor(async () => (await rows(app)).length === 0, { what: "the row to go" });
    assert.deepEqual((await app.invoke("alerts_list")).ok, []);
  });

  it("b. from the chart: an alert on a level; a fixed-price line dragged near the price fires (toast, history, state)", async () => {
    await app.click(await app.byTestId("tab-chart"));
    // The nearest level (the list is nearest first), selected to show its actions.
    const level = await waitFor(async () => (await app.findAll("[data-testid=level-list] [data-testid=level-row]"))[0], { what: "the level list", timeout: 30000 });
    const kind = await app.attr(level, "data-kind");
    await app.click(level);
    await app.click(await app.waitForTestId("create-alert-level"));
    await app.waitForTestId("alerts-panel");
    const form = await app.exec(`const v = (t) => document.querySelector('[data-testid=' + t + ']');
      return { symbol: v('alert-symbol').value, level: v('alert-level').value, condition: v('alert-condition').value, trigger: v('alert-trigger').value,
        priceDisabled: v('alert-price').disabled, context: v('alert-form-context').textContent };`);
    assert.equal(form.symbol, "SPY");
    assert.equal(form.level, kind);
    assert.ok(["crosses_above", "crosses_below"].includes(form.condition), form.condition);
    assert.equal(form.trigger, "once");
    assert.ok(form.priceDisabled, "a level alert has no fixed price");
    assert.match(form.context, /^From the chart: /);
    await app.click(await app.byTestId("alert-save"));
    const levelAlert = await waitFor(async () => (await rows(app))[0], { what: "the level alert" });
    assert.equal(levelAlert.state, "armed");
    const stored = (await app.invoke("alerts_list")).ok.find((a) => a.id === levelAlert.id);
    assert.equal(stored.level, kind);
    assert.equal(stored.condition, form.condition);

    // A fixed-price alert far above the price, then its line dragged to just above the price.
    const last = await lastClose(app);
    await select(app, "alert-condition", "crosses");
    await setValue(app, "alert-price", (last + 3).toFixed(2));
    await app.click(await app.byTestId("alert-save"));
    const fixed = await waitFor(async () => (await rows(app)).find((r) => r.id !== levelAlert.id), { what: "the fixed-price alert" });
    await app.click(await app.byTestId("tab-chart"));
    const lines = await waitFor(async () => {
      const l = await app.exec("return [...document.querySelectorAll('[data-testid=chart-alert-lines] li')].map((li) => ({ id: Number(li.dataset.alertId), price: li.dataset.price, draggable: li.dataset.draggable }));");
      return [fixed.id, levelAlert.id].every((id) => l.some((x) => x.id === id)) ? l : null;
    }, { what: "both alerts' lines on the chart" });
    assert.equal(lines.find((l) => l.id === fixed.id).draggable, "true");
    assert.equal(lines.find((l) => l.id === levelAlert.id).draggable, "false", "a level alert follows its level");
    await app.screenshot("alerts-02-chart-lines");
    // Drag the line onto the last price: the alert moves there (rounded to cents), its rule otherwise unchanged.
    const pos = await waitFor(
      () => app.exec(`const l = window.__coachQa.alertLines().find((x) => x.id === arguments[0]);
        const y = window.__coachQa.priceY(Number(document.querySelector('[data-testid=chart]').dataset.lastClose));
        return l && l.y !== null && y !== null ? { from: l.y, to: y } : null;`, fixed.id),
      { what: "the line on screen" },
    );
    await dragInChart(app, 120, pos.from, pos.to);
    const moved = await waitFor(async () => {
      const a = (await app.invoke("alerts_list")).ok.find((x) => x.id === fixed.id);
      return a && a.price !== Number((last + 3).toFixed(2)) ? a : null;
    }, { what: "the dragged alert to move" });
    assert.equal(Math.round(moved.price * 100) / 100, moved.price, "rounded to cents");
    assert.ok(Math.abs(moved.price - last) < 2.5, `dropped near the price: ${moved.price} vs ${last}`);
    assert.equal(moved.condition, "crosses");
    assert.equal(moved.trigger, "once");

    // It fires on the demo market: a toast (on the chart tab), the history and the row's state.
    const toast = await waitFor(
      () => app.exec("const t = [...document.querySelectorAll('[data-testid=alert-toast]')].find((t) => Number(t.dataset.alertId) === arguments[0]); return t ? t.textContent : null;", fixed.id),
      { what: "the toast", timeout: 120000, interval: 250 },
    );
    assert.match(toast, /SPY/);
    assert.match(toast, /cross/i);
    await app.screenshot("alerts-03-toast");
    await app.click(await app.byTestId("tab-alerts"));
    await rowState(app, fixed.id, "fired");
    const event = await waitFor(
      () => app.exec(`const e = document.querySelector('[data-testid=alert-history] [data-testid=alert-event][data-alert-id="' + arguments[0] + '"]');
        return e ? { text: e.textContent, missed: !!e.querySelector('[data-testid=alert-missed]'),
          deliveries: [...e.querySelectorAll('[data-testid=alert-delivery]')].map((d) => d.dataset.channel + ':' + d.dataset.status) } : null;`, fixed.id),
      { what: "the event in the history" },
    );
    assert.match(event.text, /SPY/);
    assert.match(event.text, / ET/, "the time is New York time");
    assert.equal(event.missed, false);
    assert.ok(event.deliveries.some((d) => d.startsWith("in_app:")), `deliveries: ${event.deliveries}`);
    // The toast closes by hand.
    const close = await app.find(`[data-testid=alert-toast][data-alert-id="${fixed.id}"] [data-testid=alert-toast-close]`).catch(() => null);
    if (close) await app.click(close);

    await app.setWindowSize(1280, 800);
    await waitFor(async () => (await app.exec("return window.innerWidth")) > 1000, { what: "a desktop viewport" });
    await app.screenshot("alerts-04-panel-desktop");
    await app.setWindowSize(400, 820);
    await waitFor(async () => (await app.exec("return window.innerWidth")) <= 480, { what: "a phone-width viewport" });
    const layout = await app.exec(`const top = (s) => document.querySelector(s).getBoundingClientRect().top;
      return { scroll: document.documentElement.scrollWidth - window.innerWidth,
        order: [top('.alerts-form-card'), top('.alerts-list-card'), top('.alerts-history-card')] };`);
    assert.ok(layout.scroll <= 0, `no horizontal scrolling (${layout.scroll} px)`);
    assert.ok(layout.order[0] < layout.order[1] && layout.order[1] < layout.order[2], `form, list, history stack: ${layout.order}`);
    await app.screenshot("alerts-05-panel-phone");
    await app.exec("document.querySelector('.alerts-list-card').scrollIntoView()");
    await app.screenshot("alerts-06-panel-phone-list");
    await app.setWindowSize(1280, 800);
  });
});

describe("a coach's alert proposal", () => {
  let run;
  before(async () => (run = await launchWithModel(START)));
  after(() => run?.stop());

  it("c. is saved only by the user's Confirm, and shows as saved after a reload", async () => {
    const { app, model } = run;
    await app.waitForText("chat-mode", (t) => t === "Model: sim-model");
    await script(model.url, [
      { tool_calls: [{ id: "call_alert_1", name: "set_alert", arguments: JSON.stringify({ symbol: "SPY", condition: "crosses_above", price: 600 }) }] },
      { text: "I drafted the alert: confirm it on the card to save it.", pieces: 3 },
    ]);
    const input = await app.waitForTestId("chat-input");
    await app.type(input, "alert me when SPY crosses above 600" + ENTER);
    const card = await waitFor(
      () => app.exec(`const c = document.querySelector('[data-testid=alert-proposal-card]');
        return c && !c.querySelector('[data-testid=alert-proposal-confirm]').closest('[hidden]') ? { state: c.dataset.state, origin: c.dataset.origin, text: c.textContent } : null;`),
      { what: "the proposal card with Confirm", timeout: 20000 },
    );
    assert.equal(card.state, "proposed");
    assert.equal(card.origin, "proposal:call_alert_1");
    assert.match(card.text, /600\.00/);
    assert.deepEqual((await app.invoke("alerts_list")).ok, [], "nothing is saved before the click");
    await app.screenshot("alerts-07-proposal");

    await app.click(await app.byTestId("alert-proposal-confirm"));
    const outcome = await app.waitForText("alert-proposal-outcome", (t) => /^Saved as alert #\d+$/.test(t));
    const id = Number(/#(\d+)/.exec(outcome)[1]);
    const saved = (await app.invoke("alerts_list")).ok;
    assert.equal(saved.length, 1);
    assert.equal(saved[0].id, id);
    assert.equal(saved[0].origin, "proposal:call_alert_1");
    assert.equal(saved[0].price, 600);
    await app.click(await app.byTestId("tab-alerts"));
    await waitFor(async () => (await rows(app)).some((r) => r.id === id && r.state === "armed"), { what: "the alert in the panel" });

    await app.cmd("POST", "/refresh", {});
    const after = await waitFor(
      () => app.exec(`const c = document.querySelector('[data-testid=alert-proposal-card]'); return c && c.dataset.state === 'saved' ? c.textContent : null;`),
      { what: "the card to show saved after the reload", timeout: 20000 },
    );
    assert.match(after, new RegExp(`Saved as alert #${id}`));
    assert.equal(await app.exec("return document.querySelector('[data-testid=alert-proposal-card] .proposal-actions').hidden"), true, "no Confirm on a saved proposal");
    assert.equal((await app.invoke("alerts_list")).ok.length, 1);
  });
});
