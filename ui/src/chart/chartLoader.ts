// Opening a chart, latest request wins twice: the backend answers an older
// open of the slot with `superseded`, and the loader drops any answer or event
// whose request is not the newest. The screen is never cleared while a chart
// loads; a failure keeps what is drawn and offers Retry.

import type { ChartEvent, ChartView, ErrorCode } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { nowMs, recordMetric, shownMetrics } from "./chartMetrics";
import type { TimeframeId } from "./chartToolbar";

const SLOT = "main";
const RETRIES = 3;

/** What a failed open leads to. */
export type FailureStep = "drop" | "keep" | "retry" | "refuse" | "fail";

/**
 * `drop`: a newer open replaced it, say nothing. `keep`: re-opening what is on
 * screen failed, leave the screen as it is. `retry`: the market is briefly
 * unavailable. `refuse`: the symbol or timeframe is wrong, the input says so.
 * `fail`: show the error with Retry.
 */
export function failureStep(code: ErrorCode, attempt: number, quiet: boolean): FailureStep {
  if (code === "superseded") return "drop";
  if (quiet) return "keep";
  if (code === "unavailable" && attempt < RETRIES) return "retry";
  return code === "not_found" || code === "invalid_input" ? "refuse" : "fail";
}

/** Backoff before retry `attempt + 1`: 0.5 s, 1 s, 2 s. */
export const retryDelayMs = (attempt: number) => 500 * 2 ** attempt;

/** What the loader asks of the view around it. */
export interface ChartScreen {
  /** The chart on screen (null before the first). */
  readonly drawn: ChartView | null;
  /** A request starts; `quiet` leaves the symbol field and the error shown alone. */
  loading(symbol: string, tf: TimeframeId, quiet: boolean): void;
  setRefresh(text: string | null): void;
  /** The newest request's answer. */
  draw(view: ChartView): void;
  /** An event of the chart on screen. */
  apply(ev: ChartEvent): void;
  /** The first frame with the new chart is painted. */
  painted(): void;
  /** Nothing new is drawn; what is on screen stays current. */
  settle(): void;
  refuse(message: string): void;
  fail(e: IpcError, retry: () => void): void;
}

export interface ChartLoader {
  /** Opens `symbol` `tf`. `quiet` re-opens what is already drawn (after a newer request failed, so the engine's stream matches the screen again). */
  show(symbol: string, tf: TimeframeId, userAction?: boolean, quiet?: boolean): Promise<void>;
  /** The symbol and timeframe asked for last (drawn or being loaded). */
  readonly symbol: string;
  readonly timeframe: TimeframeId;
}

function afterPaint(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
}

export function createChartLoader(screen: ChartScreen): ChartLoader {
  let symbol = "SPY";
  let timeframe: TimeframeId = "1m";
  let request = 0;
  /** The request whose chart is on screen (its stream's events are applied). */
  let shownRequest = 0;
  let firstVisibleRecorded = false;

  async function show(nextSymbol: string, tf: TimeframeId, userAction = false, quiet = false): Promise<void> {
    const started = nowMs();
    const my = ++request;
    symbol = nextSymbol;
    timeframe = tf;
    screen.loading(nextSymbol, tf, quiet);
    for (let attempt = 0; ; attempt++) {
      if (my !== request) return;
      screen.setRefresh(attempt === 0 ? `Loading ${nextSymbol} ${tf}…` : `Retrying (${attempt}/${RETRIES})…`);
      const queued: ChartEvent[] = [];
      let ready = false;
      // Events of the chart on screen are applied even while a newer request is
      // in flight; a newer request's events wait until its chart is drawn.
      const onEvent = (ev: ChartEvent) => {
        if (my === shownRequest) screen.apply(ev);
        else if (my === request && !ready) queued.push(ev);
      };
      let next: ChartView;
      const asked = nowMs();
      try {
        next = await ipc.chartOpen(SLOT, { symbol: nextSymbol, timeframe: tf, indicators: [] }, onEvent);
      } catch (err) {
        const e = err as IpcError;
        if (my !== request) return;
        const step = failureStep(e.code, attempt, quiet);
        if (step === "drop") return;
        if (step === "keep") {
          screen.setRefresh(null);
          screen.settle();
          return;
        }
        if (step === "retry") {
          await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
          continue;
        }
        screen.setRefresh(null);
        const drawnView = screen.drawn;
        // A refused symbol leaves the chart that was there; the input says what was wrong.
        if (step === "refuse") screen.refuse(e.message);
        if (step === "fail" || !drawnView) screen.fail(e, () => void show(nextSymbol, tf, true));
        if (drawnView) {
          // The engine may have switched the slot's stream to a request the UI
          // dropped: open what is on screen again (a cache hit) so it stays live.
          screen.settle();
          void show(drawnView.symbol, drawnView.timeframe, false, true);
        }
        return;
      }
      if (my !== request) return;
      const answered = nowMs();
      shownRequest = my;
      screen.draw(next);
      screen.setRefresh(null);
      const drawn = nowMs();
      ready = true;
      for (const ev of queued) screen.apply(ev);
      await afterPaint();
      if (my !== request) return;
      const painted = nowMs();
      screen.painted();
      const firstVisibleMs = firstVisibleRecorded ? null : performance.now();
      firstVisibleRecorded = true;
      for (const m of shownMetrics({ started, asked, answered, drawn, painted }, next.source === "network", userAction, firstVisibleMs)) {
        recordMetric(m.name, m.value);
      }
      return;
    }
  }

  return {
    show,
    get symbol() {
      return symbol;
    },
    get timeframe() {
      return timeframe;
    },
  };
}
