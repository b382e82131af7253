#!/usr/bin/env node
// Chart timings in the real app (WebDriver, demo market): time to first visible
// chart cold (history fetched over REST from the demo market on loopback) and
// from cache, symbol/timeframe switch latency, and tick-to-chart latency (the
// engine's chart stream receiving an update → series.update() returned in the
// webview). The app measures these itself on every switch (the same numbers the
// dev metrics view shows); this script drives switches and reads them back.
//
//   cargo build -p ai-coach --features custom-protocol
//   xvfb-run -a -s "-screen 0 1280x800x24" node scripts/bench_chart.mjs [--ticks-seconds 60] [--speed 5] [--ticks-only]
// (AI_COACH_BINARY=target/release/ai-coach measures a release build.)

import { App, waitFor } from "../tests/e2e/lib/driver.mjs";

const arg = (name, d) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const tickSeconds = arg("--ticks-seconds", 60);
// Replay speed of the demo market: 5 gives 5 updates a second per symbol (1 is real time).
const speed = arg("--speed", 5);
const switches = !process.argv.includes("--ticks-only");
const SYMBOLS = ["SPY", "QQQ", "IWM", "AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META", "GOOGL"];
const TFS = ["1m", "5m", "15m", "1h", "1d"];

function pct(values, p) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

const app = await App.launch({ env: { COACH_DEMO_START: "2024-07-02T14:00:00Z", COACH_DEMO_SPEED: String(speed) } });
try {
  const ready = (symbol, tf) =>
    waitFor(
      async () => {
        const s = await app.chartState();
        return s && s.state === "ready" && s.painted === "true" && s.symbol === symbol && s.timeframe === tf;
      },
      { timeout: 30000, interval: 10, what: `${symbol} ${tf}` },
    );
  // Each step changes one thing (the symbol or the timeframe), as a user does.
  const go = async (symbol, tf) => {
    const now = await app.chartState();
    if (now.pendingSymbol !== symbol && now.pendingTimeframe !== tf) await go(symbol, now.pendingTimeframe);
    await app.exec(
      `const s = document.querySelector('[data-testid=chart]').dataset;
       if (s.pendingSymbol !== arguments[0]) {
         const i = document.querySelector('[data-testid=symbol-input]');
         i.value = arguments[0];
         i.form.requestSubmit();
       } else if (s.pendingTimeframe !== arguments[1]) {
         document.querySelector('[data-testid=timeframe-' + arguments[1] + ']').click();
       }`,
      symbol,
      tf,
    );
    await ready(symbol, tf);
  };
  await ready("SPY", "1m");
  // Pass 1: every symbol × timeframe once (cold: from the demo market's REST);
  // pass 2: the same again (from the in-memory cache).
  for (const pass of switches ? [1, 2] : []) {
    for (const tf of TFS) {
      await go(SYMBOLS[0], tf);
      for (const sym of SYMBOLS) await go(sym, tf);
    }
    console.error(`pass ${pass} done`);
  }
  await go("SPY", "1m");
  console.error(`collecting tick-to-chart for ${tickSeconds} s…`);
  await new Promise((r) => setTimeout(r, tickSeconds * 1000));
  const rows = [];
  for (const [name, label] of [
    ["chart.first_visible_ms", "first visible chart after app start (cold)"],
    ["chart.visible_ms.cold", "chart visible, cold (REST)"],
    ["chart.visible_ms.cached", "chart visible, from cache"],
    ["chart.switch_ms", "symbol/timeframe switch (user action → painted)"],
    ["chart.ipc_ms", "· of which engine + IPC (request → answer parsed)"],
    ["chart.render_ms", "· of which building the series (setData)"],
    ["chart.tick_to_chart_ms", "tick to chart"],
  ]) {
    const r = await app.invoke("recent_metrics", { name, limit: 5000 });
    const v = (r.ok ?? []).map((m) => m.value);
    rows.push({ label, n: v.length, p50: pct(v, 50), p95: pct(v, 95), p99: pct(v, 99), max: v.length ? Math.max(...v) : null });
  }
  const f = (x) => (x === null ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(0));
  console.log("| timing (ms) | n | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.label} | ${r.n} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.max)} |`);
} finally {
  await app.quit();
}
