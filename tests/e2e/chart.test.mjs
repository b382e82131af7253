// The live chart on the demo market, through the real app: the forming candle
// moves without a refetch, rapid switching ends on the last choice, levels are
// clickable and feed the coach, a dropped feed is flagged and recovers with no
// missing bars, and the phone layout's level sheet works.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App, freshHome, waitFor } from "./lib/driver.mjs";

const START = "2024-07-02T14:00:00Z"; // 10:00 New York: regular session
const SPEED = "5"; // simulated seconds per real second, so minutes close within the test

async function chartReady(app, symbol, timeframe, timeout = 20000) {
  return waitFor(
    async () => {
      const s = await app.chartState();
      return s && s.state === "ready" && s.symbol === symbol && s.timeframe === timeframe && Number(s.bars) > 0 ? s : null;
    },
    { timeout, what: `the chart to show ${symbol} ${timeframe}` },
  );
}

/** The demo market's base URL (its fault endpoints live there), from the System check. */
async function demoMarketUrl(app) {
  const doc = await app.invoke("doctor");
  return doc.ok.endpoints.find((e) => e.name === "Market REST").url.replace(/\/v1\/.*$/, "");
}

/** The provider's own bars (the demo market's REST, not the app's cache) as [time, o, h, l, c, v]. */
async function providerBars(app, symbol, multiplier, timespan, from, to) {
  const url = await demoMarketUrl(app);
  const res = await fetch(`${url}/v2/aggs/ticker/${symbol}/range/${multiplier}/${timespan}/${from}/${to}?limit=50000&sort=asc`);
  assert.ok(res.ok, `provider answered ${res.status}`);
  const body = await res.json();
  return (body.results ?? []).map((b) => [b.t, b.o, b.h, b.l, b.c, b.v]);
}

/** Every completed bar drawn equals the provider's bar at that time (open, high, low, close, volume). */
function assertSameBars(drawn, provider, what) {
  const byTime = new Map(provider.map((b) => [b[0], b]));
  for (const bar of drawn) {
    const want = byTime.get(bar[0]);
    assert.ok(want, `${what}: the provider has a bar at ${new Date(bar[0]).toISOString()}`);
    assert.deepEqual(bar, want, `${what}: the bar at ${new Date(bar[0]).toISOString()} (time, o, h, l, c, v)`);
  }
}

/** Starts logging every change of a test id's element into window[name] (hidden state and text). */
async function watch(app, testId, name) {
  await app.exec(
    `window[arguments[1]] = [];
     const el = document.querySelector('[data-testid=' + arguments[0] + ']');
     new MutationObserver(() => window[arguments[1]].push({ shown: !el.hidden, text: el.textContent }))
       .observe(el, { attributes: true, childList: true, characterData: true, subtree: true });`,
    testId,
    name,
  );
}

describe("the live chart", () => {
  let app;
  let home;
  before(async () => {
    home = freshHome();
    // Stale after 10 market seconds (2 s at this speed) so the fault journey sees it quickly.
    mkdirSync(home.data, { recursive: true });
    writeFileSync(join(home.data, "settings.json"), JSON.stringify({ stale_after_secs: 10 }));
    app = await App.launch({ home, env: { COACH_DEMO_START: START, COACH_DEMO_SPEED: SPEED } });
  });
  after(async () => {
    await app?.quit();
  });

  it("1. opens on candles and patches the active candle without a refetch", async () => {
    const first = await chartReady(app, "SPY", "1m");
    assert.ok(Number(first.bars) > 500, `days of minute bars are drawn (${first.bars})`);
    const loads = first.loads;
    const moved = await waitFor(
      async () => {
        const s = await app.chartState();
        return Number(s.updates) >= 3 && (s.lastClose !== first.lastClose || s.lastTime !== first.lastTime) ? s : null;
      },
      { timeout: 20000, what: "live updates to move the last candle" },
    );
    assert.equal(moved.loads, loads, "the candle moved from the socket, not from a new chart load");
    assert.ok(Number(moved.lastTime) >= Number(first.lastTime));
    await waitFor(async () => (await app.findAll("[data-testid=level-label]")).length > 3, { what: "level labels on the chart" });
    assert.equal(await app.textOf("source-badge"), "Demo");
    assert.equal(await app.textOf("live-badge"), "Live");
    await app.screenshot("chart-01-live-desktop");
  });

  it("2. ends on the last of a dozen rapid switches, title and data agreeing", async () => {
    const steps = [
      ["QQQ", null], [null, "5m"], ["AAPL", null], [null, "15m"], ["NVDA", "1h"], [null, "1d"],
      ["TSLA", null], [null, "1m"], ["MSFT", "5m"], ["IWM", null], [null, "1h"], ["QQQ", "15m"],
    ];
    const elapsed = await app.cmd("POST", "/execute/async", {
      script: `
        const done = arguments[arguments.length - 1];
        const steps = arguments[0];
        const input = document.querySelector('[data-testid=symbol-input]');
        const t0 = performance.now();
        let i = 0;
        const next = () => {
          if (i === steps.length) return done(performance.now() - t0);
          const [sym, tf] = steps[i++];
          if (sym) { input.value = sym; input.form.requestSubmit(); }
          if (tf) document.querySelector('[data-testid=timeframe-' + tf + ']').click();
          setTimeout(next, 90);
        };
        next();`,
      args: [steps],
    });
    // The pace of this script, not a speed target of the app: 90 ms apart means the
    // loads overlap. A busy CI webview delays the timers, so allow for it.
    assert.ok(elapsed < 6000, `the 12 switches were issued in quick succession (${elapsed.toFixed(0)} ms)`);
    const s = await chartReady(app, "QQQ", "15m");
    // Give any superseded answer time to arrive; it must not replace the last choice.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await app.chartState();
    assert.equal(after.symbol, "QQQ");
    assert.equal(after.timeframe, "15m");
    const title = await app.textOf("chart-title");
    assert.match(title, /^QQQ\s*15m/, `the title names what is drawn: ${title}`);
    assert.equal(await app.attr(await app.byTestId("timeframe-15m"), "aria-pressed"), "true");
    // The bars drawn are QQQ's 15-minute bars, as the provider has them.
    const drawn = await app.exec("return window.__coachQa.chart()");
    const completed = drawn.ohlcv.slice(0, -1);
    assert.ok(completed.length > 20);
    const provider = await providerBars(app, "QQQ", 15, "minute", drawn.times[0], drawn.times[drawn.times.length - 1]);
    assertSameBars(completed, provider, "QQQ 15m");
    assert.equal(await app.exec("return document.querySelector('[data-testid=chart-error]').hidden"), true);
    await app.screenshot("chart-02-after-rapid-switching");
  });

  it("3. a clicked level label is selected, detailed, and can be sent to the coach", async () => {
    await app.click(await app.byTestId("timeframe-1m"));
    await app.clear(await app.byTestId("symbol-input"));
    await app.type(await app.byTestId("symbol-input"), "SPY\uE007");
    await chartReady(app, "SPY", "1m");
    await waitFor(async () => (await app.findAll("[data-testid=level-label]")).length > 3, { what: "level labels" });
    // A level that does not move intraday (pivots, prior periods): VWAP and its bands
    // move with every bar, and the labels are redrawn whenever the levels update, so
    // the label is picked by what it is and found again before each action.
    const { price, kind } = await waitFor(
      () =>
        // The one nearest the price: a label far from it leaves the chart when
        // the price scale follows the market.
        app.exec(`const last = Number(document.querySelector('[data-testid=chart]').dataset.lastClose);
          const ls = [...document.querySelectorAll('[data-testid=level-label]')].filter((l) => /^(pivot_|prior_)/.test(l.dataset.kind));
          ls.sort((a, b) => Math.abs(Number(a.dataset.price) - last) - Math.abs(Number(b.dataset.price) - last));
          const l = ls[0];
          return l && Number.isFinite(last) ? { price: l.dataset.price, kind: l.dataset.kind } : null;`),
      { what: "the label of a fixed level" },
    );
    const onLabel = (act) =>
      waitFor(
        async () => {
          try {
            await act(await app.find(`[data-testid=level-label][data-kind="${kind}"][data-price="${price}"]`));
            return true;
          } catch (e) {
            // Redrawn between finding it and acting on it: find it again.
            if (/stale element|no such element/i.test(String(e.message ?? e))) return null;
            throw e;
          }
        },
        { what: `the ${kind} ${price} label` },
      );
    // Hover shows the level's detail next to its label (hovered again should a
    // redraw or a neighbour take the pointer first).
    const tip = await waitFor(
      async () => {
        await onLabel((label) =>
          app.cmd("POST", "/actions", {
            actions: [{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [{ type: "pointerMove", origin: { "element-6066-11e4-a52e-4f735466cecf": label }, x: 0, y: 0 }] }],
          }),
        );
        const t = await app.exec("const t = document.querySelector('.level-tooltip'); return t && !t.hidden ? t.innerText : null");
        return t && t.includes(price) ? t : null;
      },
      { what: `the hover detail of the ${kind} ${price} label` },
    );
    assert.ok(tip.includes(price), `hover shows the price: ${tip}`);
    await app.screenshot("chart-03a-level-hover");
    // Clicked until it is the selected label (a click never lands twice on it,
    // which would unselect it).
    await waitFor(
      async () => {
        const selected = await app.exec("return document.querySelector('[data-testid=level-label].selected')?.dataset.price ?? null");
        if (selected === price) return true;
        await onLabel((label) => app.click(label));
        return null;
      },
      { what: `the ${kind} ${price} label to be selected` },
    );
    const detail = await app.waitForTestId("level-detail");
    const text = await app.text(detail);
    assert.ok(text.includes(price), `the detail shows the level's price ${price}: ${text}`);
    assert.match(text, /Distance/);
    assert.match(text, /Strength/);
    const row = await app.find(`[data-testid=level-row][aria-selected=true]`);
    assert.equal(await app.attr(row, "data-price"), price, "the list selects the same level");
    assert.equal(await app.attr(row, "data-kind"), kind);
    assert.equal(
      await app.exec("return document.querySelector('[data-testid=level-label].selected')?.dataset.price"),
      price,
      "the label is highlighted",
    );
    await app.screenshot("chart-03-level-selected");
    await app.click(await app.byTestId("ask-coach-level"));
    const prompt = await app.exec("return document.querySelector('[data-testid=chat-input]').value");
    assert.ok(prompt.startsWith("SPY "), prompt);
    assert.ok(prompt.includes(price), `the prompt names the price: ${prompt}`);
    assert.equal(await app.exec("return document.activeElement.dataset.testid"), "chat-input");
    // Keyboard: the list moves with the arrows and Enter selects.
    await app.exec("document.querySelector('[data-testid=level-list]').focus()");
    await app.cmd("POST", "/actions", {
      actions: [{ type: "key", id: "kb", actions: ["\uE015", "\uE015", "\uE007"].flatMap((k) => [{ type: "keyDown", value: k }, { type: "keyUp", value: k }]) }],
    });
    const selected = await app.exec("return [...document.querySelectorAll('[data-testid=level-row]')].findIndex((r) => r.getAttribute('aria-selected') === 'true')");
    assert.ok(selected >= 0, "Enter selected the active row");
  });

  it("4. a dropped feed shows the stale badge, which clears on recovery with no missing bars", async () => {
    const url = await demoMarketUrl(app);
    await watch(app, "stale-badge", "__staleLog");
    const before = await app.exec("return window.__coachQa.chart()");
    // The feed goes silent for 40 market seconds (stale after 10), then the socket drops.
    let r = await fetch(`${url}/_sim/faults/stall?seconds=40`, { method: "POST" });
    assert.ok(r.ok);
    await app.waitForText("stale-badge", (t) => t.startsWith("Stale"), 20000);
    await app.screenshot("chart-04-stale");
    r = await fetch(`${url}/_sim/faults/drop`, { method: "POST" });
    assert.ok(r.ok);
    await waitFor(async () => (await app.exec("return document.querySelector('[data-testid=stale-badge]').hidden")) === true, {
      timeout: 30000,
      what: "the stale badge to clear",
    });
    assert.equal(await app.textOf("live-badge"), "Live");
    const log = await app.exec("return window.__staleLog");
    assert.ok(log.some((e) => e.shown && e.text.startsWith("Stale")), JSON.stringify(log));
    // Two more minutes close after recovery; then every minute since before the fault is drawn, as history has it.
    const t0 = before.times[before.times.length - 1];
    const drawn = await waitFor(
      async () => {
        const c = await app.exec("return window.__coachQa.chart()");
        return c.times[c.times.length - 1] >= t0 + 120_000 ? c : null;
      },
      { timeout: 40000, what: "the chart to move on after recovery" },
    );
    const completed = drawn.ohlcv.filter(([t]) => t >= t0 - 120_000).slice(0, -1);
    const last = completed[completed.length - 1][0];
    const provider = await providerBars(app, "SPY", 1, "minute", t0 - 120_000, last);
    assert.deepEqual(
      completed.map((b) => b[0]),
      provider.map((b) => b[0]),
      "no minute is missing after the outage",
    );
    assertSameBars(completed, provider, "SPY 1m after the outage");
    await app.screenshot("chart-05-recovered");
  });

  it("6. a failing provider shows its retries, then a clear failure with a Retry that recovers", async () => {
    const url = await demoMarketUrl(app);
    await watch(app, "chart-refresh", "__refreshLog");
    // Every REST answer is a 429 for a while: the client's own retries give up, then the chart's.
    assert.ok((await fetch(`${url}/_sim/faults/rest-429?n=1000`, { method: "POST" })).ok);
    await app.click(await app.byTestId("timeframe-1h"));
    await app.clear(await app.byTestId("symbol-input"));
    await app.type(await app.byTestId("symbol-input"), "GOOGL\uE007");
    const error = await app.waitForTestId("chart-error", 60000);
    assert.match(await app.text(error), /Couldn't load GOOGL 1h: .*429/);
    const log = (await app.exec("return window.__refreshLog")).map((e) => (e.shown ? e.text : ""));
    assert.ok(log.includes("Retrying (1/3)…") && log.includes("Retrying (3/3)…"), JSON.stringify(log));
    const s = await app.chartState();
    assert.equal(s.symbol, "SPY", "the chart that was drawn stays drawn (no blank screen)");
    // The controls describe what is drawn again (the failed request keeps its error and Retry).
    await waitFor(async () => (await app.attr(await app.byTestId(`timeframe-${s.timeframe}`), "aria-pressed")) === "true", {
      what: "the drawn chart's timeframe to be the pressed one",
    });
    assert.ok(Number(s.bars) > 0);
    await app.screenshot("chart-08-load-failed");
    assert.ok((await fetch(`${url}/_sim/faults/rest-429?n=0`, { method: "POST" })).ok);
    await app.click(await app.byTestId("chart-retry"));
    await chartReady(app, "GOOGL", "1h", 30000);
    assert.equal(await app.exec("return document.querySelector('[data-testid=chart-error]').hidden"), true);
  });

  it("5. at phone width the level list is a bottom sheet and selecting from it works", async () => {
    await app.setWindowSize(400, 820);
    await waitFor(async () => (await app.exec("return window.innerWidth")) <= 480, { what: "a phone-width viewport" });
    await app.click(await app.waitForTestId("level-sheet-open"));
    const sheet = await app.waitForTestId("level-sheet");
    // The levels of the chart on screen (recomputed after the last switch) fill the sheet.
    const rows = await waitFor(
      async () => {
        const r = await app.findAll("[data-testid=level-sheet] [data-testid=level-row]");
        return r.length > 5 ? r : null;
      },
      { what: "level rows in the sheet" },
    );
    await app.screenshot("chart-06-phone-sheet");
    // The sheet slides up (180 ms); click once it has settled with the row on screen.
    let lastTop = null;
    await waitFor(
      async () => {
        const r = await app.rect(rows[1]);
        const vh = await app.exec("return window.innerHeight");
        const settled = lastTop === r.y && r.y + r.height <= vh;
        lastTop = r.y;
        return settled;
      },
      { what: "the sheet to settle with the row on screen" },
    );
    const price = await app.attr(rows[1], "data-price");
    await app.click(rows[1]);
    const detail = await app.find("[data-testid=level-sheet] [data-testid=level-detail]");
    assert.ok((await app.text(detail)).includes(price));
    assert.ok(await app.cmd("GET", `/element/${sheet}/displayed`));
    await app.screenshot("chart-07-phone-selected");
  });
});

describe("with AI_COACH_CHART_LIVE_UPDATES off", () => {
  let app;
  before(async () => {
    app = await App.launch({ env: { COACH_DEMO_START: START, COACH_DEMO_SPEED: SPEED, AI_COACH_CHART_LIVE_UPDATES: "0" } });
  });
  after(async () => {
    await app?.quit();
  });

  it("refreshes over REST and says so", async () => {
    await chartReady(app, "SPY", "1m");
    assert.equal(await app.waitForText("live-badge", (t) => t.startsWith("REST refresh")), "REST refresh · 15 s");
    const first = await app.chartState();
    // At 5× a minute closes every 12 s; the 15 s REST refresh brings it as a fill.
    const refreshed = await waitFor(
      async () => {
        const c = await app.chartState();
        return Number(c.fills) > Number(first.fills) && Number(c.lastTime) > Number(first.lastTime) ? c : null;
      },
      { timeout: 45000, what: "a REST refresh with a new bar" },
    );
    assert.equal(refreshed.updates, first.updates, "no socket patches with the flag off");
    assert.equal(refreshed.loads, first.loads, "the refresh adds bars; it does not reload the chart");
    const drawn = await app.exec("return window.__coachQa.chart()");
    const provider = await providerBars(app, "SPY", 1, "minute", drawn.times[0], drawn.times[drawn.times.length - 1]);
    assertSameBars(drawn.ohlcv.slice(-5), provider, "SPY 1m refreshed over REST");
  });
});
