import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChartEvent, ChartView, Timeframe } from "../generated/bindings";

// A stand-in for the backend's chart_open: each open waits until the test answers it.
interface Open {
  symbol: string;
  timeframe: string;
  onEvent: (e: ChartEvent) => void;
  answer: (v: ChartView) => void;
  refuse: (e: { code: string; message: string }) => void;
}
const opens: Open[] = [];
const metrics: string[] = [];
vi.mock("../ipc", () => ({
  ipc: {
    chartOpen: (_slot: string, req: { symbol: string; timeframe: string }, onEvent: (e: ChartEvent) => void) =>
      new Promise<ChartView>((answer, refuse) => opens.push({ ...req, onEvent, answer, refuse })),
    recordMetric: async (m: { name: string }) => void metrics.push(m.name),
    recordMetrics: async () => null,
  },
}));

const { createChartLoader, failureStep, retryDelayMs } = await import("./chartLoader");
type Screen = import("./chartLoader").ChartScreen;

function chart(symbol: string, timeframe: Timeframe = "1m", generation = 1): ChartView {
  return {
    symbol,
    timeframe,
    bars: [],
    source: "network",
    generation,
    indicator_keys: [],
    indicators: [],
    older_bars: 0,
    live_updates: true,
    refresh_secs: 15,
  };
}

const connection = (generation: number, attempt: number): ChartEvent => ({
  type: "connection",
  generation,
  status: { state: "live", detail: null, since_ms: 0, attempt },
});

/** A screen that writes down what it is asked to do. */
function recordingScreen() {
  const log: string[] = [];
  let drawn: ChartView | null = null;
  const screen: Screen = {
    get drawn() {
      return drawn;
    },
    loading: (s, tf, quiet) => void log.push(`loading ${s} ${tf}${quiet ? " quiet" : ""}`),
    setRefresh: (t) => void log.push(`refresh ${t}`),
    draw: (v) => {
      drawn = v;
      log.push(`draw ${v.symbol} ${v.timeframe}`);
    },
    apply: (ev) => void log.push(`apply ${ev.type === "connection" ? ev.status.attempt : ev.type}`),
    painted: () => void log.push("painted"),
    settle: () => void log.push("settle"),
    refuse: (m) => void log.push(`refuse ${m}`),
    fail: (e) => void log.push(`fail ${e.code}`),
  };
  return { screen, log };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

/** A loader with SPY 1m drawn (the first open, answered). */
async function withSpyDrawn() {
  const { screen, log } = recordingScreen();
  const loader = createChartLoader(screen);
  void loader.show("SPY", "1m");
  opens[0]!.answer(chart("SPY"));
  await settle();
  return { loader, log };
}

const frame = () => new Promise((r) => requestAnimationFrame(r));

beforeEach(async () => {
  // Charts drawn by earlier tests finish their paint (and record their timings) first.
  for (let i = 0; i < 3; i++) await frame();
  opens.length = 0;
  metrics.length = 0;
});
afterEach(() => vi.useRealTimers());

describe("failure policy", () => {
  it("maps each failure to what the screen does", () => {
    expect(failureStep("superseded", 0, false), "a newer open replaced this one: nothing to say").toBe("drop");
    expect(failureStep("internal", 0, true), "a quiet re-open of the drawn chart never disturbs the screen").toBe("keep");
    expect(failureStep("unavailable", 2, false), "the market is briefly away: try again").toBe("retry");
    expect(failureStep("unavailable", 3, false), "after three retries the failure is shown").toBe("fail");
    expect(failureStep("not_found", 0, false), "an unknown symbol is the input's fault").toBe("refuse");
    expect(failureStep("invalid_input", 0, false), "so is a malformed one").toBe("refuse");
    expect(failureStep("internal", 0, false), "anything else is shown with Retry").toBe("fail");
  });

  it("backs off exponentially", () => {
    expect([0, 1, 2].map(retryDelayMs), "0.5 s, 1 s, 2 s between attempts").toEqual([500, 1000, 2000]);
  });
});

describe("chart loader", () => {
  it("draws only the newest request's answer, whatever order answers come in", async () => {
    const { screen, log } = recordingScreen();
    const loader = createChartLoader(screen);
    void loader.show("SPY", "1m");
    void loader.show("QQQ", "5m", true);
    expect([loader.symbol, loader.timeframe], "the loader reports what was asked last").toEqual(["QQQ", "5m"]);
    opens[0]!.answer(chart("SPY"));
    await settle();
    expect(log.filter((l) => l.startsWith("draw")), "an answer to a replaced request is dropped").toEqual([]);
    opens[1]!.answer(chart("QQQ", "5m"));
    await settle();
    expect(log.filter((l) => l.startsWith("draw")), "the newest answer is drawn").toEqual(["draw QQQ 5m"]);
    expect(log.at(-1), "the refresh indicator goes away once the chart is drawn").toBe("refresh null");
  });

  it("says nothing when the backend supersedes an older open", async () => {
    const { screen, log } = recordingScreen();
    const loader = createChartLoader(screen);
    void loader.show("SPY", "1m");
    void loader.show("QQQ", "1m");
    opens[0]!.refuse({ code: "superseded", message: "replaced" });
    await settle();
    expect(log.some((l) => l.startsWith("fail") || l.startsWith("refuse")), "a superseded open is not an error").toBe(false);
  });

  it("holds a new chart's early events until it is drawn and keeps the old chart live meanwhile", async () => {
    const { loader, log } = await withSpyDrawn();
    void loader.show("QQQ", "1m");
    opens[0]!.onEvent(connection(1, 1));
    opens[1]!.onEvent(connection(2, 2));
    expect(log.at(-1), "the chart on screen keeps applying its stream while QQQ loads").toBe("apply 1");
    opens[1]!.answer(chart("QQQ", "1m", 2));
    await settle();
    opens[0]!.onEvent(connection(1, 3));
    const tail = log.slice(log.indexOf("draw QQQ 1m"));
    expect(tail, "QQQ's early event is applied after its bars, and SPY's stream is ignored once replaced").toEqual([
      "draw QQQ 1m",
      "refresh null",
      "apply 2",
    ]);
  });

  it("retries an unavailable market with backoff, then shows the failure", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const { screen, log } = recordingScreen();
    const loader = createChartLoader(screen);
    void loader.show("SPY", "1m", true);
    for (let i = 0; i < 4; i++) {
      opens[i]!.refuse({ code: "unavailable", message: "down" });
      await vi.advanceTimersByTimeAsync(retryDelayMs(i));
    }
    expect(opens, "one first attempt and three retries").toHaveLength(4);
    expect(log.filter((l) => l.startsWith("refresh Retrying")), "each retry is announced with its count").toEqual([
      "refresh Retrying (1/3)…",
      "refresh Retrying (2/3)…",
      "refresh Retrying (3/3)…",
    ]);
    expect(log.slice(-2), "the indicator is cleared before the error is shown").toEqual(["refresh null", "fail unavailable"]);
  });

  it("keeps the drawn chart on a refused symbol and re-opens it quietly so it stays live", async () => {
    const { loader, log } = await withSpyDrawn();
    void loader.show("ZZZZ", "1m", true);
    opens[1]!.refuse({ code: "not_found", message: "Unknown symbol ZZZZ" });
    await settle();
    expect(log.slice(log.indexOf("refuse Unknown symbol ZZZZ")), "the input says what was wrong; the chart is not replaced by an error").toEqual([
      "refuse Unknown symbol ZZZZ",
      "settle",
      "loading SPY 1m quiet",
      "refresh Loading SPY 1m…",
    ]);
    expect(opens[2]?.symbol, "the engine's stream is pointed back at the chart on screen").toBe("SPY");
    opens[2]!.refuse({ code: "internal", message: "still broken" });
    await settle();
    expect(log.slice(-2), "a failed quiet re-open leaves the screen as it is").toEqual(["refresh null", "settle"]);
  });

  it("shows the error for a refused symbol when there is no chart to keep", async () => {
    const { screen, log } = recordingScreen();
    const loader = createChartLoader(screen);
    void loader.show("ZZZZ", "1m", true);
    opens[0]!.refuse({ code: "not_found", message: "Unknown symbol ZZZZ" });
    await settle();
    expect(log.slice(-2), "with nothing on screen the input and the error box both say it").toEqual(["refuse Unknown symbol ZZZZ", "fail not_found"]);
    expect(opens, "nothing to re-open").toHaveLength(1);
  });

  it("records the timings after the paint, and time to first chart only once", async () => {
    const { screen, log } = recordingScreen();
    const loader = createChartLoader(screen);
    const first = loader.show("SPY", "1m");
    opens[0]!.answer(chart("SPY"));
    await first;
    expect(log.at(-1), "the painted flag is set once a frame with the chart has been painted").toBe("painted");
    expect(metrics, "a cold programmatic open").toEqual(["chart.ipc_ms", "chart.render_ms", "chart.visible_ms.cold", "chart.first_visible_ms"]);
    metrics.length = 0;
    const second = loader.show("QQQ", "1m", true);
    opens[1]!.answer({ ...chart("QQQ"), source: "memory" });
    await second;
    expect(metrics, "a user's switch to a cached chart; the first chart was already counted").toEqual([
      "chart.ipc_ms",
      "chart.render_ms",
      "chart.visible_ms.cached",
      "chart.switch_ms",
    ]);
  });
});
