// The chart's timings, recorded through the backend (best effort: a metric
// that cannot be stored never disturbs the chart).

import { ipc } from "../ipc";

export const nowMs = () => performance.timeOrigin + performance.now();

export interface Metric {
  name: string;
  value: number;
}

export function recordMetric(name: string, value: number): void {
  if (!Number.isFinite(value)) return;
  ipc.recordMetric({ name, value, unit: "ms" }).catch(() => {
    /* metrics are best effort */
  });
}

// Per-tick latencies are batched: one IPC call every few seconds instead of one per tick.
const tickBuffer: { name: string; value: number; unit: string }[] = [];
let tickFlush: number | undefined;
export function recordTick(value: number): void {
  if (!Number.isFinite(value)) return;
  tickBuffer.push({ name: "chart.tick_to_chart_ms", value, unit: "ms" });
  tickFlush ??= window.setTimeout(() => {
    tickFlush = undefined;
    ipc.recordMetrics(tickBuffer.splice(0)).catch(() => {
      /* metrics are best effort */
    });
  }, 3000);
}

/** Wall-clock moments (ms) of one chart request, from the click to the painted frame. */
export interface ShownTimes {
  started: number;
  asked: number;
  answered: number;
  drawn: number;
  painted: number;
}

/**
 * Where the time of one shown chart went: the engine and IPC, building the
 * series, and the whole wait split by whether the bars came from the network.
 * `firstVisibleMs` (ms since the page started) is given only for the app's first chart.
 */
export function shownMetrics(t: ShownTimes, cold: boolean, userAction: boolean, firstVisibleMs: number | null): Metric[] {
  const visible = t.painted - t.started;
  const out: Metric[] = [
    { name: "chart.ipc_ms", value: t.answered - t.asked },
    { name: "chart.render_ms", value: t.drawn - t.answered },
    { name: cold ? "chart.visible_ms.cold" : "chart.visible_ms.cached", value: visible },
  ];
  if (userAction) out.push({ name: "chart.switch_ms", value: visible });
  if (firstVisibleMs !== null) out.push({ name: "chart.first_visible_ms", value: firstVisibleMs });
  return out;
}
