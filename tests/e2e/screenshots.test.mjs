// Screenshot context through the real app, on the demo market with the
// offline coach (OCR by Tesseract): a file that is not an image is refused,
// a positions screenshot is dropped on the chat, previewed, removed and
// dropped again, sent; the analysis shows its phases and the extraction card;
// one field is corrected and Confirm saves it; after a reload the thumbnail,
// the confirmed card and the saved positions are there, the image enlarges,
// and a follow-up question ("what is my max loss on those?") uses them.
// Desktop and a 400 px phone width are captured.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, ROOT, waitFor } from "./lib/driver.mjs";

const START = "2024-07-02T15:00:00Z"; // 11:00 New York: regular session
const ENTER = "\uE007";
const ESCAPE = "\uE00C";
const PNG = readFileSync(join(ROOT, "tests/fixtures/screenshots/positions-dark.png")).toString("base64");

/** Drops a file on the chat composer as the OS would (a real drop event with a DataTransfer). */
function drop(app, name, type, b64) {
  return app.exec(
    `const bytes = Uint8Array.from(atob(arguments[2]), (c) => c.charCodeAt(0));
     const file = new File([bytes], arguments[0], { type: arguments[1] });
     const dt = new DataTransfer();
     dt.items.add(file);
     const target = document.querySelector('.chat-composer');
     target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
     target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
     return true;`,
    name,
    type,
    b64,
  );
}

async function lastAnswer(app) {
  return app.exec(`
    const all = document.querySelectorAll('[data-testid=chat-message][data-role=assistant]');
    const m = all[all.length - 1];
    if (!m) return null;
    return {
      status: m.dataset.status,
      text: m.querySelector('.md')?.textContent ?? '',
      chips: [...m.querySelectorAll('[data-testid=tool-chip]')].map((c) => c.dataset.tool + ':' + c.dataset.status),
      cards: [...m.querySelectorAll('[data-testid=card]')].map((c) => c.dataset.cardType),
    };`);
}

/** Messages in the conversation (the list draws only what is on screen, so the count comes from the app). */
async function answerCount(app) {
  return app.exec("return window.__coachQa.chat().messages;");
}

/** Waits for the answer sent after `after` messages to finish, then reads it (the newest message drawn). */
async function waitAnswer(app, after, timeout = 60000) {
  try {
    await waitFor(
      () => app.exec("const c = window.__coachQa.chat(); return c.messages >= arguments[0] + 2 && !c.streaming;", after),
      { timeout, what: "the answer to finish" },
    );
    return await waitFor(
      async () => {
        const last = await app.exec("const m = [...document.querySelectorAll('[data-testid=chat-message]')].pop(); return m ? m.dataset.role + '|' + m.dataset.status : null;");
        return last === "assistant|complete" ? lastAnswer(app) : null;
      },
      { what: "the finished answer to be drawn last" },
    );
  } catch (e) {
    await app.screenshot("screenshot-answer-timeout").catch(() => {});
    const last = await lastAnswer(app).catch(() => null);
    throw new Error(`${e.message}; messages: ${await answerCount(app).catch(() => "?")}, last: ${JSON.stringify(last)}`);
  }
}

/** The extraction card's fields: row:field → {value, low}. */
async function fields(app) {
  return app.exec(`
    const out = {};
    for (const f of document.querySelectorAll('[data-testid=screenshot-extraction] [data-testid=shot-field]')) {
      out[f.dataset.row + ':' + f.dataset.field] = { value: f.value, low: f.dataset.low === 'true', confidence: Number(f.dataset.confidence) };
    }
    return out;`);
}

describe("screenshot context", () => {
  let app;
  before(async () => {
    app = await App.launch({ env: { COACH_DEMO_START: START } });
  });
  after(async () => {
    await app?.quit();
  });

  it("1. a dropped screenshot becomes an extraction card; a corrected field is confirmed and saved; a reload keeps it all; a follow-up uses the positions", async () => {
    await app.waitForText("chat-mode", (t) => t === "Offline coach");
    await app.waitForTestId("chat-input");

    // Not an image: refused with a message that says why, nothing attached.
    await drop(app, "statement.pdf", "application/pdf", Buffer.from("%PDF-1.7 not an image").toString("base64"));
    await app.waitForText("chat-error", (t) => t.includes("statement.pdf") && t.includes("attach a PNG, JPEG or WebP"));
    assert.equal(await app.exec("return document.querySelectorAll('[data-testid=screenshot-preview]').length;"), 0);
    // Named .png but not one by its bytes: the engine refuses it.
    await drop(app, "fake.png", "image/png", Buffer.from("GIF89a not really").toString("base64"));
    await app.waitForText("chat-error", (t) => t.includes("fake.png") && t.includes("not a PNG, JPEG or WebP"));

    // Dropped, previewed, removed, dropped again.
    await drop(app, "positions.png", "image/png", PNG);
    await app.waitForTestId("screenshot-preview");
    await app.click(await app.byTestId("screenshot-remove"));
    await waitFor(async () => (await app.exec("return document.querySelectorAll('[data-testid=screenshot-preview]').length;")) === 0, { what: "the preview to go" });
    await drop(app, "positions.png", "image/png", PNG);
    await app.waitForTestId("screenshot-preview");
    assert.equal(await app.textOf("chat-error"), "", "the earlier error is cleared");
    await app.screenshot("screenshot-preview");

    // Phases as they show.
    await app.exec(`
      window.__phases = [];
      const phase = document.querySelector('[data-testid=chat-phase]');
      // Every value the attribute took, even several changes in one task.
      const push = (p) => { if (p !== null && window.__phases[window.__phases.length - 1] !== p) window.__phases.push(p); };
      new MutationObserver((records) => { for (const r of records) push(r.oldValue); push(phase.dataset.phase); })
        .observe(phase, { attributes: true, attributeFilter: ['data-phase'], attributeOldValue: true });`);
    const before = await answerCount(app);
    await app.type(await app.byTestId("chat-input"), "my positions" + ENTER);
    const a = await waitAnswer(app, before);
    assert.deepEqual(a.chips, ["analyze_screenshot:ok"]);
    assert.deepEqual(a.cards, ["screenshot_extraction"]);
    assert.match(a.text, /I read 3 positions from your screenshot/);
    const phases = await app.exec("return window.__phases;");
    const order = ["reading", "extracting", "checking"].map((p) => phases.indexOf(p));
    assert.ok(order.every((i) => i >= 0) && order[0] < order[1] && order[1] < order[2], `the phases in order: ${phases}`);
    assert.equal(await app.exec("return document.querySelectorAll('[data-testid=screenshot-preview]').length;"), 0, "the preview is cleared once sent");
    const thumb = await app.exec("const i = document.querySelector('[data-testid=chat-message][data-role=user] [data-testid=chat-image] img'); return i ? i.src.slice(0, 22) : null;");
    assert.equal(thumb, "data:image/png;base64,", "the user's message shows the image");
    assert.equal(await app.textOf("screenshot-reader"), "Read on this device by Tesseract OCR");

    const f = await fields(app);
    assert.deepEqual(
      Object.fromEntries(Object.entries(f).filter(([k]) => k.startsWith("0:")).map(([k, v]) => [k, v.value])),
      { "0:underlying": "AAPL", "0:kind": "call", "0:strike": "230", "0:expiration": "2024-08-16", "0:quantity": "2", "0:price": "4.35" },
    );
    assert.equal(f["1:quantity"].value, "-1", "the short SPY put is negative");
    assert.equal(f["2:kind"].value, "stock");
    await app.screenshot("screenshot-extraction-desktop");

    // Correct one field (the AAPL average price), then Confirm.
    const price = await app.find("[data-testid=shot-field][data-row='0'][data-field=price]");
    await app.clear(price);
    await app.type(price, "4.40");
    await app.click(await app.byTestId("screenshot-confirm"));
    await waitFor(() => app.exec("return document.querySelector('[data-testid=screenshot-extraction]')?.dataset.state === 'saved';"), { what: "the card to show the positions saved" });
    const saved = await app.exec("return [...document.querySelectorAll('[data-testid=screenshot-confirmed-row]')].map((r) => [...r.children].map((c) => c.textContent).join(' '));");
    assert.deepEqual(saved, ["AAPL call 230 2024-08-16 +2 4.40", "SPY put 540 2024-07-19 -1 2.10", "MSFT stock — — +100 441.20"]);
    await waitFor(() => app.exec("return !!document.querySelector('[data-testid=screenshot-saved]');"), { what: "the saved positions' card" });
    const users = await app.exec("return [...document.querySelectorAll('[data-testid=chat-message][data-role=user]')].map((m) => m.textContent);");
    assert.match(users[users.length - 1], /AAPL calls: \+2 AAPL 2024-08-16 230 call at 4\.40/);
    const positions = await app.invoke("positions_list");
    assert.deepEqual(
      positions.ok.map((p) => [p.symbol, p.legs.map((l) => `${l.kind} ${l.quantity} @ ${l.entry_price}`).join(",")]),
      [["AAPL", "call 2 @ 4.4"], ["SPY", "put -1 @ 2.1"], ["MSFT", "stock 100 @ 441.2"]],
    );

    // Reload: the thumbnail, the confirmed card and the saved positions are there.
    await app.cmd("POST", "/refresh", {});
    await waitFor(() => app.exec("return document.querySelector('[data-testid=screenshot-extraction]')?.dataset.state === 'saved';"), { what: "the confirmed card after a reload" });
    const again = await app.exec("return [...document.querySelectorAll('[data-testid=screenshot-confirmed-row]')].map((r) => [...r.children].map((c) => c.textContent).join(' '));");
    assert.deepEqual(again, saved);
    await waitFor(() => app.exec("const i = document.querySelector('[data-testid=chat-message][data-role=user] [data-testid=chat-image] img'); return i && i.complete && i.naturalWidth > 0;"), { what: "the thumbnail to load after the reload" });
    assert.equal(await app.exec("return document.querySelectorAll('[data-testid=screenshot-saved]').length;"), 1);
    assert.equal(await app.exec("return document.querySelectorAll('[data-testid=screenshot-confirm]').length;"), 0, "no Confirm on a saved card");

    // Click to enlarge; Esc closes.
    await app.click(await app.find("[data-testid=chat-message][data-role=user] [data-testid=chat-image]"));
    await waitFor(() => app.exec("const i = document.querySelector('[data-testid=image-viewer-img]'); return i && i.naturalWidth === 760;"), { what: "the full image" });
    await app.screenshot("screenshot-viewer");
    await app.type(await app.byTestId("chat-input"), ESCAPE);
    await waitFor(() => app.exec("return !document.querySelector('[data-testid=image-viewer]');"), { what: "the viewer to close" });

    // A follow-up about "those" analyses the saved positions.
    const n = await answerCount(app);
    await app.type(await app.byTestId("chat-input"), "what is my max loss on those?" + ENTER);
    const follow = await waitAnswer(app, n);
    assert.deepEqual(follow.chips, ["analyze_position:ok", "analyze_position:ok", "analyze_position:ok"], follow.text);
    assert.match(follow.text, /\*?\*?AAPL\*?\*? position: max loss/);
    await app.screenshot("screenshot-follow-up");

    // History search finds the confirmed positions in the user's words.
    await app.click(await app.byTestId("chat-history"));
    await app.type(await app.byTestId("session-search"), "AAPL calls from my screenshot");
    const hit = await waitFor(
      () => app.exec("const r = document.querySelector('[data-testid=session-row].search-hit'); return r && r.querySelector('mark') ? r.textContent : null;"),
      { what: "a search hit for the screenshot's positions" },
    );
    assert.match(hit, /AAPL calls/);
    await app.exec("document.querySelector('[data-testid=session-row].search-hit button').click();");
    await waitFor(() => app.exec("return window.__coachQa.chat().messages === 6 && [...document.querySelectorAll('[data-testid=chat-message]')].some((m) => m.textContent.includes('position: max loss'));"), { what: "the session to open from the search" });
  });

  it("2. the phone layout: a screenshot sent from a phone-width window gives a card that fits", async () => {
    await app.setWindowSize(400, 820);
    await app.exec("document.querySelector('[data-testid=chat-panel]').scrollIntoView(); document.querySelector('[data-testid=chat-new]').click();");
    await waitFor(async () => (await app.exec("return document.querySelectorAll('[data-testid=chat-message]').length")) === 0, { what: "an empty new chat" });
    const light = readFileSync(join(ROOT, "tests/fixtures/screenshots/positions-light.png")).toString("base64");
    await drop(app, "light.png", "image/png", light);
    await app.waitForTestId("screenshot-preview");
    await app.screenshot("screenshot-phone-preview");
    const n = await answerCount(app);
    await app.exec("document.querySelector('[data-testid=chat-send]').click();");
    await waitAnswer(app, n);
    await app.exec("document.querySelector('[data-testid=screenshot-extraction]').scrollIntoView();");
    const box = await app.exec("const c = document.querySelector('[data-testid=screenshot-extraction]').getBoundingClientRect(); const r = document.querySelector('[data-testid=screenshot-row]').getBoundingClientRect(); return { card: c.width, row: r.right };");
    assert.ok(box.card > 200 && box.card <= 400 && box.row <= 400, `the card and its rows fit the phone width (${JSON.stringify(box)})`);
    await app.screenshot("screenshot-phone");
  });
});
