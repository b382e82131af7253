import { describe, expect, it } from "vitest";
import { shownMetrics } from "./chartMetrics";

const times = { started: 1000, asked: 1010, answered: 1090, drawn: 1120, painted: 1150 };

describe("chart timings", () => {
  it("splits a shown chart's wait into IPC, series building and the whole", () => {
    expect(shownMetrics(times, true, false, null), "each phase is measured between its own two moments").toEqual([
      { name: "chart.ipc_ms", value: 80 },
      { name: "chart.render_ms", value: 30 },
      { name: "chart.visible_ms.cold", value: 150 },
    ]);
  });

  it("files cached loads apart from network ones", () => {
    const names = shownMetrics(times, false, false, null).map((m) => m.name);
    expect(names, "a cache hit must not dilute the cold-load figures").toContain("chart.visible_ms.cached");
    expect(names).not.toContain("chart.visible_ms.cold");
  });

  it("counts a user's switch and the app's first chart once each", () => {
    const got = shownMetrics(times, false, true, 2345);
    expect(got.find((m) => m.name === "chart.switch_ms")?.value, "a switch the user asked for is the whole wait they saw").toBe(150);
    expect(got.at(-1), "time to first chart is measured from the page's start, not the request's").toEqual({ name: "chart.first_visible_ms", value: 2345 });
    expect(shownMetrics(times, false, false, null).some((m) => m.name === "chart.switch_ms"), "programmatic opens are not switches").toBe(false);
  });
});
