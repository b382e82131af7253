import { describe, expect, it } from "vitest";
import type { Settings } from "../generated/bindings";
import { diffSettings, invalidMessageFor } from "./settingsView";

const base: Settings = {
  market_provider: "auto",
  massive_feed: "realtime",
  massive_rest_url: null,
  massive_ws_url: null,
  ai_mode: "auto",
  openai_base_url: null,
  model: "gpt-4o-mini",
  stale_after_secs: 30,
  reconcile_every_secs: 300,
  chart_live_updates: true,
  stream_progressive_functions: true,
  chat_timeout_secs: 60,
  journal_import_tz: "America/New_York",
  journal_display_tz: "America/New_York",
};

describe("diffSettings", () => {
  it("sends only what changed", () => {
    expect(
      diffSettings(base, { market_provider: "auto", model: "gpt-4o-mini", stale_after_secs: "30", massive_rest_url: "" }),
    ).toEqual({});
  });
  it("types numbers as numbers and leaves bad numbers for the backend to reject by name", () => {
    expect(diffSettings(base, { stale_after_secs: "45" })).toEqual({ stale_after_secs: 45 });
    expect(diffSettings(base, { stale_after_secs: "abc" })).toEqual({ stale_after_secs: "abc" });
  });
  it("sends the chart live-updates flag as a boolean", () => {
    expect(diffSettings(base, { chart_live_updates: "true" })).toEqual({});
    expect(diffSettings(base, { chart_live_updates: "false" })).toEqual({ chart_live_updates: false });
  });
  it("clears a URL with null and trims one that is set", () => {
    expect(diffSettings({ ...base, openai_base_url: "http://x" }, { openai_base_url: "  " })).toEqual({ openai_base_url: null });
    expect(diffSettings(base, { openai_base_url: " http://127.0.0.1:11434/v1 " })).toEqual({
      openai_base_url: "http://127.0.0.1:11434/v1",
    });
  });
});

describe("invalidMessageFor", () => {
  it("finds the reason for one setting in the backend's message", () => {
    const msg = "invalid settings: model: must be a model name; stale_after_secs: must be a whole number of seconds from 5 to 3600";
    expect(invalidMessageFor(msg, "stale_after_secs")).toBe("must be a whole number of seconds from 5 to 3600");
    expect(invalidMessageFor(msg, "model")).toBe("must be a model name");
    expect(invalidMessageFor(msg, "massive_feed")).toBeNull();
  });
});
