// The coach through the real app. With a model (the scripted OpenAI-compatible
// server on loopback): phases change, a tool chip and a card arrive before the
// answer text, the answer is restored exactly after a reload, the session is
// found by search, Esc stops an answer and Continue finishes it, a broken
// stream is kept as interrupted. Offline: the templated coach opens a chart,
// and a 1,000-message session stays windowed. Phone width: the panel works.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { App, freshHome, waitFor } from "./lib/driver.mjs";
import { DEBUG_BIN, launchWithModel, script } from "./lib/model.mjs";

const START = "2024-07-02T15:00:00Z"; // 11:00 New York: regular session
const ENTER = "\uE007";
const ESCAPE = "\uE00C";

/** Types a prompt into the chat input, presses Enter, and waits for its answer to be drawn. */
async function ask(app, prompt) {
  const input = await app.waitForTestId("chat-input");
  const lastKey = "const m = [...document.querySelectorAll('[data-testid=chat-message]')].pop(); return m ? m.dataset.key + '|' + m.dataset.role : '';";
  const before = await app.exec(lastKey);
  await app.clear(input);
  await app.type(input, prompt + ENTER);
  await waitFor(
    async () => {
      const now = await app.exec(lastKey);
      return now !== before && now.endsWith("|assistant");
    },
    { what: `the answer to "${prompt}" to appear` },
  );
}

/** The last assistant message's state: status, text, chips, cards. */
async function lastAnswer(app) {
  return app.exec(`
    const all = document.querySelectorAll('[data-testid=chat-message][data-role=assistant]');
    const m = all[all.length - 1];
    if (!m) return null;
    return {
      status: m.dataset.status,
      id: m.dataset.messageId,
      text: m.querySelector('.md')?.textContent ?? '',
      chips: [...m.querySelectorAll('[data-testid=tool-chip]')].map((c) => ({ tool: c.dataset.tool, status: c.dataset.status })),
      cards: [...m.querySelectorAll('[data-testid=card]')].map((c) => c.dataset.cardType),
      unverified: m.querySelectorAll('[data-testid=unverified-number]').length,
      continue: !!m.querySelector('[data-testid=chat-continue]'),
    };`);
}

async function answerWith(app, status, timeout = 20000) {
  return waitFor(
    async () => {
      const a = await lastAnswer(app);
      return a && a.status === status ? a : null;
    },
    { timeout, what: `the answer to be ${status}` },
  );
}

describe("the coach with a model", () => {
  let app;
  let model;
  let run;
  before(async () => {
    run = await launchWithModel(START);
    ({ app, model } = run);
  });
  after(async () => {
    await run?.stop();
  });

  it("1. says which model is on, shows phases, a tool chip and a card before the answer, and restores it after a reload", async () => {
    await app.waitForText("chat-mode", (t) => t === "Model: sim-model");
    // Record every phase and, whenever the answer changes, whether a chip/card is there and how much text.
    await app.exec(`
      window.__phases = [];
      window.__timeline = [];
      const phase = document.querySelector('[data-testid=chat-phase]');
      new MutationObserver(() => { const p = phase.dataset.phase; if (window.__phases[window.__phases.length - 1] !== p) window.__phases.push(p); })
        .observe(phase, { attributes: true });
      new MutationObserver(() => {
        const all = document.querySelectorAll('[data-testid=chat-message][data-role=assistant]');
        const m = all[all.length - 1];
        if (m) window.__timeline.push({ status: m.dataset.status, chipsOk: m.querySelectorAll('[data-testid=tool-chip][data-status=ok]').length,
          cards: m.querySelectorAll('[data-testid=card]').length, text: (m.querySelector('.md')?.textContent ?? '').length });
      }).observe(document.querySelector('[data-testid=chat-log]'), { childList: true, subtree: true, attributes: true, characterData: true });`);
    // The tool's result (and card) is a large channel message: on a slow
    // machine the webview can take most of a second to take it in, and the
    // first words would land with it in one frame. The answer after the tool
    // waits 1.5 s for its first word, so the order shows on screen.
    await script(model.url, [{ auto: true }, { auto: true, first_delay_ms: 1500 }]);
    await ask(app, "key levels for SPY");
    const done = await answerWith(app, "complete");
    const phases = await app.exec("return window.__phases;");
    for (const p of ["thinking", "calling", "analyzing", "writing"]) assert.ok(phases.includes(p), `phase ${p} was shown: ${phases}`);
    assert.ok(phases.indexOf("calling") < phases.indexOf("writing"), `tools before writing: ${phases}`);
    assert.equal(phases[phases.length - 1], "idle", "the phase clears at the end");
    const timeline = await app.exec("return window.__timeline;");
    if (process.env.E2E_DEBUG) console.log(JSON.stringify(timeline));
    assert.ok(
      timeline.some((s) => s.status === "streaming" && s.chipsOk >= 1 && s.cards >= 1 && s.text === 0),
      "a finished tool chip and its card were on screen while no answer text had arrived yet",
    );
    assert.deepEqual(done.chips, [{ tool: "get_key_levels", status: "ok" }]);
    assert.deepEqual(done.cards, ["key_levels"]);
    assert.match(done.text, /SPY\s+is at \d+\.\d+/, "the answer quotes the tool's price");
    assert.equal(done.unverified, 0, "every number in the answer is backed by the tool result");
    const cardPrice = await app.exec("return document.querySelector('[data-testid=card][data-card-type=key_levels] .card-big .num').textContent;");
    const quoted = Number(/is at (\d+(?:\.\d+)?)/.exec(done.text)[1]);
    assert.equal(quoted.toFixed(2), cardPrice.replace(/,/g, ""), "the card and the answer show the same price");
    await app.screenshot("chat-answer-desktop");

    // Reload the whole page: the session reopens exactly.
    await app.cmd("POST", "/refresh", {});
    const restored = await answerWith(app, "complete");
    assert.deepEqual({ ...restored, id: undefined }, { ...done, id: undefined }, "text, chips and cards are restored exactly");
    assert.equal(restored.id, done.id);
    const users = await app.exec("return [...document.querySelectorAll('[data-testid=chat-message][data-role=user]')].map((m) => m.textContent);");
    assert.deepEqual(users, ["key levels for SPY"]);
  });

  it("2. finds the session by full-text search and opens it from the history", async () => {
    await app.click(await app.byTestId("chat-new"));
    await waitFor(async () => (await app.exec("return document.querySelectorAll('[data-testid=chat-message]').length")) === 0, { what: "an empty new chat" });
    await app.click(await app.byTestId("chat-history"));
    const rows = await waitFor(async () => {
      const r = await app.exec("return [...document.querySelectorAll('[data-testid=session-row]')].map((r) => r.textContent);");
      return r.length ? r : null;
    }, { what: "the session list" });
    assert.ok(rows[0].includes("SPY key levels"), `titled from the first exchange: ${rows}`);
    const search = await app.byTestId("session-search");
    await app.type(search, "nearest resist");
    const hit = await waitFor(
      () => app.exec("const r = document.querySelector('[data-testid=session-row].search-hit'); return r && r.querySelector('mark') ? r.textContent : null;"),
      { what: "a search hit with a highlighted word" },
    );
    assert.ok(hit.includes("SPY key levels"), hit);
    await app.screenshot("chat-search");
    await app.exec("document.querySelector('[data-testid=session-row].search-hit button').click();");
    const a = await answerWith(app, "complete");
    assert.deepEqual(a.cards, ["key_levels"], "the session opened with its card");
  });

  it("3. Esc stops an answer (kept as stopped) and Continue finishes the same message", async () => {
    await script(model.url, [{ text: "Here is a long walk through the tape, one word at a time, ".repeat(12), pieces: 120, delay_ms: 60 }]);
    await ask(app, "walk me through the tape");
    await waitFor(async () => ((await lastAnswer(app))?.text.length ?? 0) > 40, { what: "some text to stream" });
    await app.type(await app.byTestId("chat-input"), ESCAPE);
    const stopped = await answerWith(app, "cancelled");
    assert.ok(stopped.continue, "a stopped answer offers Continue");
    assert.ok(stopped.text.length < 700, "it stopped early");
    await script(model.url, [{ text: " And that is the close.", pieces: 4 }]);
    await app.click(await app.find("[data-testid=chat-message][data-status=cancelled] [data-testid=chat-continue]"));
    const finished = await answerWith(app, "complete");
    if (process.env.E2E_DEBUG) console.log(JSON.stringify({ stopped, finished, qa: await app.exec("return window.__coachQa.chat()") }));
    assert.ok(finished.text.startsWith(stopped.text.trim().slice(0, 40)), "the same message grows");
    assert.ok(finished.text.endsWith("And that is the close."), finished.text.slice(-60));
  });

    it("3b. a page reload while an answer streams keeps following it, and Stop still works", async () => {
    await script(model.url, [{ text: "Reading the tape slowly, word by word, ".repeat(20), pieces: 200, delay_ms: 50 }]);
    await ask(app, "read the tape slowly");
    await waitFor(async () => ((await lastAnswer(app))?.text.length ?? 0) > 30, { what: "some text to stream" });
    await app.cmd("POST", "/refresh", {});
    // The reopened session shows the answer still streaming, with Stop.
    await answerWith(app, "streaming");
    await waitFor(() => app.exec("return !document.querySelector('[data-testid=chat-stop]').hidden;"), { what: "Stop after the reload" });
    const grown = await waitFor(async () => {
      const a = await lastAnswer(app);
      return a && a.text.length > 120 ? a : null;
    }, { what: "the answer to keep growing after the reload" });
    assert.equal(grown.status, "streaming");
    await app.click(await app.byTestId("chat-stop"));
    const stopped = await answerWith(app, "cancelled");
    assert.ok(stopped.continue, "stopped after the reload, with Continue");
    assert.ok(await app.exec("return document.querySelector('[data-testid=chat-stop]').hidden;"), "Stop is gone");
  });

  it("4. a stream that breaks mid-answer keeps the partial text, marked interrupted", async () => {
    await script(model.url, [{ text: "SPY is holding the opening range high and buyers keep defending it", pieces: 12, delay_ms: 30, drop_after: 6 }]);
    await ask(app, "is SPY holding?");
    const a = await answerWith(app, "interrupted");
    assert.ok(a.text.length > 0, "the partial answer stays on screen");
    assert.ok(a.continue, "with a Continue action");
    const foot = await app.exec("const m = [...document.querySelectorAll('[data-testid=chat-message][data-status=interrupted]')].pop(); return m.querySelector('.msg-foot').textContent;");
    assert.match(foot, /Interrupted/);
    await app.screenshot("chat-interrupted");
  });
});

describe("the offline coach", () => {
  let app;
  let home;
  before(async () => {
    home = freshHome();
    // A long session to open: 1,000 messages imported with `coach`.
    const lines = [];
    const messages = [];
    for (let i = 0; i < 1000; i++) {
      const user = i % 2 === 0;
      messages.push({
        id: i + 1, session_id: 1, seq: i + 1, role: user ? "user" : "assistant",
        content: user ? `question ${i}: levels for SPY?` : `Answer ${i}: **SPY** held its level.\n\n- point one\n- point two`,
        status: "complete", tools: [], cards: [], unverified: [], meta: {}, created_ms: 1719932400000 + i, updated_ms: 1719932400000 + i,
      });
    }
    lines.push(JSON.stringify({ session: { id: 1, title: "A very long session", created_ms: 1719932400000, updated_ms: 1719932401000, message_count: 1000 }, messages }));
    const file = join(home.home, "long.jsonl");
    writeFileSync(file, lines.join("\n") + "\n");
    execFileSync(join(DEBUG_BIN, "coach"), ["sessions", "import", file], {
      env: { PATH: process.env.PATH, HOME: home.home, COACH_DATA_DIR: home.data, COACH_SECRET_BACKEND: "file" },
    });
    app = await App.launch({ home, env: { COACH_DEMO_START: START } });
  });
  after(async () => {
    await app?.quit();
  });

  it("5. says no model is in use, answers from templates and opens the chart it names", async () => {
    await app.waitForText("chat-mode", (t) => t === "Offline coach");
    const welcome = await app.textOf("chat-welcome");
    assert.match(welcome, /no language model is in use/);
    await ask(app, "show NVDA 5m");
    const a = await answerWith(app, "complete");
    assert.deepEqual(a.cards, ["chart"]);
    assert.match(a.text, /Offline coach: no language model is in use/);
    await waitFor(async () => {
      const s = await app.chartState();
      return s && s.symbol === "NVDA" && s.timeframe === "5m" && s.state === "ready";
    }, { what: "the chart to open on NVDA 5m" });
    await ask(app, "levels for SPY");
    const levels = await answerWith(app, "complete");
    assert.deepEqual(levels.cards, ["key_levels"]);
        await app.exec("document.querySelector('[data-testid=card][data-card-type=key_levels]').click();");
    await waitFor(async () => (await app.chartState())?.symbol === "SPY", { what: "the card to open SPY in the chart" });
    await ask(app, "SPY options for Friday");
    const options = await answerWith(app, "complete");
    assert.deepEqual(options.cards, ["options_chain"]);
    assert.match(options.text, /expiring 2024-07-05/, "Friday's expiration");
    assert.equal(options.unverified, 0, "every number comes from the chain");
    await app.screenshot("chat-offline-desktop");
  });

  it("6. a 1,000-message session is windowed: few nodes drawn, both ends reachable", async () => {
    await app.click(await app.byTestId("chat-history"));
    await waitFor(() => app.exec("return [...document.querySelectorAll('[data-testid=session-row]')].some((r) => r.textContent.includes('A very long session'))"), { what: "the long session in the list" });
    const t0 = Date.now();
    await app.exec("[...document.querySelectorAll('[data-testid=session-row]')].find((r) => r.textContent.includes('A very long session')).querySelector('button').click();");
    const qa = await waitFor(async () => {
      const s = await app.exec("return window.__coachQa.chat();");
      if (process.env.E2E_DEBUG) console.log(JSON.stringify(s), await app.textOf("chat-error"));
      return s.messages === 1000 && s.rendered > 0 ? s : null;
    }, { what: "the long session to open" });
    const openMs = Date.now() - t0;
    assert.ok(qa.rendered < 80, `only the visible part is in the DOM (${qa.rendered} of 1000)`);
    const lastText = await waitFor(() => app.exec("const m = [...document.querySelectorAll('[data-testid=chat-message]')].pop(); return m && m.textContent.includes('Answer 999') ? m.textContent : null;"), { what: "the newest message at the bottom" });
    assert.ok(lastText);
    // Jump to the top and let the window move.
    await app.exec("const l = document.querySelector('[data-testid=chat-log]'); l.scrollTop = 0; l.dispatchEvent(new Event('scroll'));");
    await waitFor(() => app.exec("return [...document.querySelectorAll('[data-testid=chat-message]')].some((m) => m.textContent.includes('question 0:'));"), { what: "the first message after scrolling to the top" });
    const after = await app.exec("return window.__coachQa.chat();");
    assert.ok(after.rendered < 80, `still windowed at the top (${after.rendered})`);
    console.log(`# long session: opened in ${openMs} ms (WebDriver round trips included), ${qa.rendered} of 1000 messages drawn`);
  });

  it("7. the phone layout: the coach panel sends and shows its answer", async () => {
    await app.setWindowSize(400, 820);
    await app.click(await app.byTestId("chat-new"));
    await ask(app, "what is RSI on QQQ");
    const a = await answerWith(app, "complete");
    assert.deepEqual(a.cards, ["indicators"]);
    await app.exec("document.querySelector('[data-testid=chat-panel]').scrollIntoView();");
    const rect = await app.rect(await app.byTestId("chat-input"));
    assert.ok(rect.width <= 400 && rect.width > 200, `the input fits the phone width (${rect.width})`);
    await app.screenshot("chat-phone");
  });
});
