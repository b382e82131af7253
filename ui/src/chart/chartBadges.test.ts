import { describe, expect, it } from "vitest";
import type { ConnectionStatus } from "../generated/bindings";
import { chartBadges, isStale, sourceBadge, staleText } from "./chartBadges";

const conn = (state: ConnectionStatus["state"], attempt = 0, detail: string | null = null): ConnectionStatus => ({ state, detail, since_ms: 0, attempt });
const demo = { market_mode: "demo" as const, market_label: "Demo market" };
const delayed = { market_mode: "massive_delayed" as const, market_label: "Massive (15 min delayed)" };

describe("chart badges", () => {
  it("flags only the states where the chart may be out of date", () => {
    expect(["stale", "reconnecting", "failed"].every((s) => isStale(s as ConnectionStatus["state"])), "no fresh ticks in these").toBe(true);
    expect(["connecting", "live", "delayed"].some((s) => isStale(s as ConnectionStatus["state"])), "delayed data is expected, not stale").toBe(false);
  });

  it("says how the feed broke and counts reconnect attempts after the first", () => {
    expect(staleText(conn("stale")), "connected but silent").toBe("Stale: no new data");
    expect(staleText(conn("reconnecting", 1)), "the first attempt needs no number").toBe("Disconnected: reconnecting…");
    expect(staleText(conn("reconnecting", 3)), "later attempts show progress").toBe("Disconnected: reconnecting (attempt 3)");
    expect(staleText(conn("live")), "a healthy feed has nothing to say").toBe("");
  });

  it("names the data source", () => {
    expect(sourceBadge("demo"), "simulated prices must never pass for real ones").toBe("Demo");
    expect(sourceBadge("massive_delayed"), "delayed quotes say how late they are").toBe("Delayed 15 min");
  });

  it("explains the demo source and passes other sources' label through", () => {
    expect(chartBadges(demo, conn("live"), null).source.title, "the demo badge warns the quotes are not real").toMatch(/not real quotes/);
    expect(chartBadges(delayed, conn("delayed"), null).source, "a real feed shows the market's own label").toEqual({
      text: "Delayed 15 min",
      mode: "massive_delayed",
      title: "Massive (15 min delayed)",
    });
  });

  it("swaps the live badge for the stale one while the feed is broken", () => {
    const b = chartBadges(demo, conn("reconnecting", 2, "socket closed"), null);
    expect(b.stale, "the stale badge shows why, with the engine's detail as its tooltip").toEqual({
      hidden: false,
      text: "Disconnected: reconnecting (attempt 2)",
      title: "socket closed",
    });
    expect(b.live.hidden, "claiming Live next to Disconnected would contradict it").toBe(true);
    expect(chartBadges(demo, conn("connecting"), null).live.hidden, "not live yet while connecting").toBe(true);
    expect(chartBadges(demo, conn("live"), null).stale.hidden, "a live feed shows no stale badge").toBe(true);
  });

  it("says whether the forming candle streams or refreshes over REST", () => {
    expect(chartBadges(demo, conn("live"), null).live, "before any chart is drawn the stream is assumed").toMatchObject({ text: "Live", mode: "stream" });
    expect(chartBadges(demo, conn("live"), { live_updates: false, refresh_secs: 30 }).live, "REST mode says how often it refreshes").toMatchObject({
      text: "REST refresh · 30 s",
      mode: "rest",
      hidden: false,
    });
  });
});
