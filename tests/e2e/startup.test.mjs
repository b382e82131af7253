// Journey 1: the app starts on the demo market with the offline coach and says so.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { App, waitFor } from "./lib/driver.mjs";

describe("first start, no keys", () => {
  let app;
  before(async () => {
    // A fixed replay start makes the demo market the same on every run.
    app = await App.launch({ env: { COACH_DEMO_START: "2024-07-02T14:00:00Z" } });
  });
  after(async () => {
    await app?.quit();
  });

  it("opens a window titled AI Coach", async () => {
    await app.waitForTestId("status-market");
    assert.equal(await app.title(), "AI Coach", "the window title is part of the QA contract");
  });

  it("says plainly that the market is the demo market and the coach is offline", async () => {
    assert.equal(await app.textOf("status-market"), "Demo market");
    assert.equal(await app.textOf("status-ai"), "Offline coach");
    const mode = await app.textOf("chat-mode");
    assert.equal(mode, "Offline coach", "the chat panel repeats the AI mode");
  });

  it("labels the demo market's simulated date and time", async () => {
    const label = await app.waitForText("status-clock", (t) => t.startsWith("Replay"));
    assert.match(label, /Jul.*2.*10:0\d:\d\d ET/, `the replayed session's New York time is shown: ${label}`);
  });

  it("connects to the built-in demo market", async () => {
    const t = await app.waitForText("status-connection", "Live", 20000);
    assert.equal(t, "Live", "the in-process demo market accepts the connection");
  });

  it("creates its data directory, database and log file", async () => {
    const data = app.home.data;
    assert.ok(existsSync(join(data, "coach.db")), "the SQLite database is in the data dir");
    await waitFor(() => existsSync(join(data, "logs")) && readdirSync(join(data, "logs")).length > 0, {
      what: "a log file in <data dir>/logs",
    });
  });

  it("shows the system check with the database schema and both endpoints answering", async () => {
    await app.click(await app.byTestId("tab-system"));
    const report = await app.waitForTestId("doctor-report");
    const text = await app.text(report);
    assert.match(text, /schema (\d+) of \1 /, "the database is migrated to the current schema");
    assert.match(text, /Market REST/);
    assert.match(text, /authenticated/, "the WebSocket check authenticated against the demo market");
    // The dev metrics view shows the chart's timings from this run (the chart opened first).
    const metrics = await waitFor(
      async () => {
        await app.click(await app.byTestId("doctor-run"));
        // innerText keeps the table's cell breaks (WebDriver's element text runs cells together).
        const t = await app.exec("return document.querySelector('[data-testid=metrics-view]').innerText");
        return /First visible chart \(from app start\)\s+1\s+\d/.test(t) ? t : null;
      },
      { timeout: 20000, interval: 1000, what: "the chart's first-visible time in the metrics view" },
    );
    assert.match(metrics, /Tick to chart/);
    await app.screenshot("01-startup-desktop");
  });

  it("stacks its panels at phone width and keeps the status bar visible", async () => {
    await app.setWindowSize(400, 800);
    await waitFor(async () => (await app.exec("return window.innerWidth")) <= 480, { what: "a phone-width viewport" });
    const center = await app.rect(await app.byTestId("center-panel"));
    const chat = await app.rect(await app.byTestId("chat-panel"));
    assert.ok(chat.y >= center.y + center.height - 1, `the coach panel is below the center panel (center ${JSON.stringify(center)}, chat ${JSON.stringify(chat)})`);
    const bar = await app.rect(await app.byTestId("status-market"));
    const vh = await app.exec("return window.innerHeight");
    assert.ok(bar.y + bar.height <= vh + 1, "the status bar stays on screen");
    await app.click(await app.byTestId("status-connection"));
    await app.waitForTestId("connection-sheet");
    await app.screenshot("02-startup-phone-sheet");
    await app.exec("document.querySelector('[data-testid=connection-sheet] .sheet-close').click()");
    await app.screenshot("03-startup-phone");
  });
});
