import { describe, expect, it } from "vitest";
import type { Settings } from "../generated/bindings";
import { diffSettings, emailFromForm, invalidMessageFor } from "./settingsView";

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
  alert_os_notifications: true,
  alert_webhook_url: null,
  alert_email: null,
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

describe("the Alerts section", () => {
  const email = { smtp_host: "smtp.example.com", smtp_port: "587", smtp_security: "start_tls", smtp_username: "", smtp_from: "AI Coach <a@example.com>", smtp_to: "me@example.com; desk@example.com," };
  it("sends the webhook and OS notifications like the other settings", () => {
    expect(diffSettings(base, { alert_os_notifications: "false", alert_webhook_url: " https://hooks.example.com/x " })).toEqual({
      alert_os_notifications: false,
      alert_webhook_url: "https://hooks.example.com/x",
    });
  });
  it("sends the email target whole when it changed, and null when the server is cleared", () => {
    const target = emailFromForm(email);
    expect(target).toEqual({ host: "smtp.example.com", port: 587, security: "start_tls", username: null, from: "AI Coach <a@example.com>", to: ["me@example.com", "desk@example.com"] });
    expect(diffSettings(base, email)).toEqual({ alert_email: target });
    expect(diffSettings({ ...base, alert_email: target }, email)).toEqual({});
    expect(diffSettings({ ...base, alert_email: target }, { ...email, smtp_host: " " })).toEqual({ alert_email: null });
    expect(emailFromForm({ ...email, smtp_port: "abc" })?.port).toBe(0);
  });
  it("finds an email field's reason inside alert_email's", () => {
    const msg = "invalid settings: alert_email: smtp_to: give at least one address to send alerts to";
    expect(invalidMessageFor(msg, "smtp_to")).toBe("give at least one address to send alerts to");
    expect(invalidMessageFor(msg, "smtp_host")).toBeNull();
  });
});
