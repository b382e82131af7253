// The dev metrics view: recent p50/p95 of the chart's and the coach's timings on this device,
// from the local metrics table (the same rows the log and Sentry receive).

import { ipc } from "../ipc";
import { h, replace } from "../lib/dom";
import { percentile } from "../lib/stats";

export const CHART_METRICS: [string, string][] = [
  ["chart.first_visible_ms", "First visible chart (from app start)"],
  ["chart.visible_ms.cold", "Chart visible, cold (from the network)"],
  ["chart.visible_ms.cached", "Chart visible, from cache"],
  ["chart.switch_ms", "Symbol/timeframe switch"],
  ["chart.ipc_ms", "· of which engine + IPC"],
  ["chart.render_ms", "· of which building the series"],
  ["chart.tick_to_chart_ms", "Tick to chart"],
  ["chat.ttft_ms", "Coach: time to first token"],
  ["chat.tool_ms", "Coach: tool call"],
];

const fmt = (v: number | null) => (v === null ? "–" : v < 10 ? v.toFixed(2) : v.toFixed(0));

export function createMetricsView(): { element: HTMLElement; refresh(): Promise<void> } {
  const body = h("div", {});
  const refresh = async () => {
    const rows = await Promise.all(
      CHART_METRICS.map(async ([name, label]) => {
        const values = (await ipc.recentMetrics(name, 500).catch(() => [])).map((m) => m.value);
        return h(
          "tr",
          { "data-metric": name },
          h("td", {}, label),
          h("td", { class: "num" }, String(values.length)),
          h("td", { class: "num" }, fmt(percentile(values, 50))),
          h("td", { class: "num" }, fmt(percentile(values, 95))),
        );
      }),
    );
    replace(
      body,
      h(
        "table",
        { class: "metrics-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Timing (ms)"), h("th", {}, "n"), h("th", {}, "p50"), h("th", {}, "p95"))),
        h("tbody", {}, rows),
      ),
    );
  };
  const element = h(
    "section",
    { class: "card", "data-testid": "metrics-view" },
    h("h3", {}, "Chart and coach performance (last 500 of each, this device)"),
    body,
  );
  return { element, refresh };
}
