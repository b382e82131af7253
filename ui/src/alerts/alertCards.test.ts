import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AlertInput, AlertView, Card } from "../generated/bindings";

const calls: [string, unknown][] = [];
let list: AlertView[] = [];
vi.mock("@tauri-apps/api/core", () => ({
  Channel: class {},
  invoke: async (cmd: string, args: { alert?: AlertInput }) => {
    calls.push([cmd, args]);
    if (cmd === "alerts_list") return list;
    if (cmd === "alerts_create") return { ...view, id: 12, origin: args.alert!.origin };
    return null;
  },
}));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => {} }));

const { renderCard } = await import("../chat/cards");
const { alertFeed } = await import("./alertFeed");

const proposal: AlertInput = {
  symbol: "SPY", condition: "crosses_above", price: 600, price2: null, level: null, level_label: null, trigger: "once", timeframe: "1m",
  cooldown_secs: 0, rearm: null, expires_at: null, note: "", origin: "proposal:call_1",
};
const view: AlertView = {
  ...proposal, id: 3, state: "armed", created_at: "2024-07-02T14:00:00Z", expires_at: null, fires: 0, last_fired_at: null,
  last_price: 598, line: 600, distance: 2, distance_pct: 0.33, status_text: "2.00 below the line (0.33 %)",
};
const card = (saved = false): Card => ({
  symbol: "SPY", timeframe: null, tool_call_id: "call_1", title: "Proposed alert · SPY", card_type: "alert_proposal",
  data: { proposal, summary: "Alert when SPY crosses above 600.00, once, on 1m", last_price: 598, line: 600, saved, note: "Not saved yet" },
});
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("the alert proposal card", () => {
  beforeEach(() => {
    calls.length = 0;
    list = [];
    alertFeed.publish([]);
    localStorage.clear();
  });
  it("is not a button, saves only on Confirm and then says which alert", async () => {
    const el = renderCard(card(), () => {});
    expect(el.tagName).toBe("DIV");
    await flush();
    expect(calls).toEqual([]);
    const root = el.querySelector<HTMLElement>("[data-testid=alert-proposal-card]")!;
    expect(root.textContent).toContain("Alert when SPY crosses above 600.00");
    el.querySelector<HTMLButtonElement>("[data-testid=alert-proposal-confirm]")!.click();
    await flush();
    // The first alert ever, from the card too, asks the OS once for notifications.
    expect(calls).toEqual([
      ["alerts_create", { alert: proposal }],
      ["alerts_notifications", { request: true }],
    ]);
    expect(root.dataset.state).toBe("saved");
    expect(root.textContent).toContain("Saved as alert #12");
    expect(alertFeed.latest?.map((a) => a.id)).toEqual([12]);
  });
  it("Cancel saves nothing and is remembered", async () => {
    const el = renderCard(card(), () => {});
    await flush();
    el.querySelector<HTMLButtonElement>("[data-testid=alert-proposal-cancel]")!.click();
    expect(el.textContent).toContain("Cancelled");
    expect(calls).toEqual([]);
    expect(renderCard(card(), () => {}).querySelector<HTMLElement>("[data-testid=alert-proposal-card]")!.dataset.state).toBe("cancelled");
  });
  it("shows a proposal confirmed earlier as saved", async () => {
    alertFeed.publish([view]);
    const el = renderCard(card(), () => {});
    await flush();
    expect(el.querySelector<HTMLElement>("[data-testid=alert-proposal-card]")!.dataset.state).toBe("saved");
    expect(el.textContent).toContain("Saved as alert #3");
  });
});

describe("the alert status card", () => {
  it("lists its alerts and follows the feed while on screen", () => {
    const el = renderCard({ symbol: null, timeframe: null, tool_call_id: "c", title: "Alerts", card_type: "alert_status", data: { alerts: [view], live: true } }, () => {});
    document.body.append(el);
    const cells = () => [...el.querySelectorAll("tbody tr")].map((r) => [...r.children].map((c) => c.textContent));
    expect(cells()).toEqual([["SPY", "crosses above 600.00", "armed", "+2.00"]]);
    alertFeed.publish([{ ...view, state: "fired", distance: -0.5 }, { ...view, id: 99 }]);
    expect(cells()).toEqual([["SPY", "crosses above 600.00", "fired", "-0.50"]]);
    el.remove();
  });
});
