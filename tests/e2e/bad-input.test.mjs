// Bad input: a damaged database and bad settings are reported, and nothing is lost.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App, freshHome, waitFor } from "./lib/driver.mjs";

describe("a damaged database", () => {
  let app;
  after(async () => {
    await app?.quit();
  });

  it("is reported, moved aside only when the user agrees, and the app starts fresh", async () => {
    const home = freshHome();
    const garbage = "this file was damaged by a disk failure; it is not a database at all....";
    writeFileSync(join(home.data, "coach.db"), garbage);
    app = await App.launch({ home });
    const problem = await app.waitForTestId("startup-problem");
    assert.match(await app.text(problem), /can't open its database/);
    await app.screenshot("04-database-problem");
    assert.equal(readFileSync(join(home.data, "coach.db"), "utf8"), garbage, "nothing changes before the user decides");
    await app.click(await app.byTestId("move-db-aside"));
    await app.waitForText("status-market", "Demo market");
    const aside = readdirSync(home.data).filter((f) => f.startsWith("coach.db.corrupt-"));
    assert.equal(aside.length, 1, `the damaged file is kept beside the new one (${readdirSync(home.data)})`);
    assert.equal(readFileSync(join(home.data, aside[0]), "utf8"), garbage, "byte for byte");
  });
});

describe("settings", () => {
  let app;
  let home;
  after(async () => {
    await app?.quit();
  });

  it("ignores an unknown key with a warning, rejects a bad value by name, saves a good one", async () => {
    home = freshHome();
    const settingsPath = join(home.data, "settings.json");
    writeFileSync(settingsPath, JSON.stringify({ colour_scheme: "neon", stale_after_secs: 20 }));
    app = await App.launch({ home });
    await app.waitForTestId("status-market");
    await app.click(await app.byTestId("tab-settings"));
    await app.waitForTestId("settings-form");
    const ignored = await app.textOf("settings-ignored");
    assert.match(ignored, /colour_scheme \(unknown setting, ignored\)/, "the unknown key is named as ignored");
    assert.match(await app.textOf("status-connection"), /Live|Connecting/, "an unknown key does not stop the app");

    const stale = await app.find("#setting-stale_after_secs");
    await app.clear(stale);
    await app.type(stale, "2");
    await app.click(await app.byTestId("settings-save"));
    const msg = await app.waitForText("settings-error", (t) => t.length > 0);
    assert.match(msg, /stale_after_secs/, "the error names the setting");
    assert.match(msg, /5 to 3600/, "and says what is allowed");
    assert.equal(await app.exec("return document.querySelector('#setting-stale_after_secs').getAttribute('aria-invalid')"), "true", "the field is marked invalid");
    assert.equal(JSON.parse(readFileSync(settingsPath, "utf8")).stale_after_secs, 20, "a rejected save changes nothing");
    await app.screenshot("05-settings-rejected");

    await app.clear(stale);
    await app.type(stale, "45");
    await app.click(await app.byTestId("settings-save"));
    await app.waitForText("settings-error", (t) => t.startsWith("Saved"));
    await waitFor(() => JSON.parse(readFileSync(settingsPath, "utf8")).stale_after_secs === 45, {
      what: "settings.json to hold the new value",
    });
    await app.waitForText("status-connection", "Live", 20000);
    assert.deepEqual(
      readdirSync(home.data).filter((f) => f.includes(".tmp-")),
      [],
      "the save went through a temporary file that was renamed over settings.json",
    );
  });

  it("grants the page no file access through the store plugin", async () => {
    // Any script in the page could otherwise load and save JSON at any path,
    // the fallback key file included.
    const keyFile = join(home.data, "secrets.json");
    const load = await app.invoke("plugin:store|load", { path: keyFile, options: {} });
    assert.ok(load.error, `the store plugin's load is refused: ${JSON.stringify(load)}`);
    assert.match(String(load.error), /not allowed|permission|denied/i, "refused by the permission system");
    const ok = await app.invoke("get_status");
    assert.ok(ok.ok, "the app's own commands still answer");
  });

  it("reports a damaged settings file, keeps it, and starts on defaults", async () => {
    await app?.quit();
    home = freshHome();
    const damaged = '{"stale_after_secs": 12, "market_prov';
    writeFileSync(join(home.data, "settings.json"), damaged);
    app = await App.launch({ home });
    await app.waitForTestId("status-market");
    await app.click(await app.byTestId("tab-settings"));
    await app.waitForTestId("settings-form");
    const kept = readdirSync(home.data).filter((f) => f.startsWith("settings.json.damaged-"));
    assert.equal(kept.length, 1, `the damaged file is kept aside (${readdirSync(home.data)})`);
    assert.equal(readFileSync(join(home.data, kept[0]), "utf8"), damaged, "byte for byte");
    const ignored = await app.textOf("settings-ignored");
    assert.ok(ignored.includes(kept[0]), `the settings view names where it was kept: ${ignored}`);
  });
});
