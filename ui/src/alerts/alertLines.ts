// Alerts on the chart: a dashed line for each alert of the chart's symbol
// that has one ("⚑ crosses above 512.40"). A fixed-price line can be dragged
// (press within 5 px, drag, release): the alert moves to the new price,
// rounded to cents, the rest of its rule unchanged. Level alerts follow their
// level and are not draggable. A hidden list mirrors the lines for tests.

import { LineStyle, type IChartApi, type IPriceLine, type ISeriesApi } from "lightweight-charts";
import type { AlertView } from "../generated/bindings";
import { ipc } from "../ipc";
import { h, replace } from "../lib/dom";
import { alertFeed } from "./alertFeed";
import { draggable, draggedPrice, grabs, lineTitle, toInput } from "./alertText";

export const ALERT_LINE_COLOUR = "#e879f9";

export interface AlertLines {
  /** The hidden mirror of the lines (`chart-alert-lines`). */
  list: HTMLElement;
  /** Why a dragged line did not move its alert (shown a few seconds). */
  notice: HTMLElement;
  /** Redraws for the chart's symbol (after it changed). */
  draw(): void;
  /** The lines with their y in the chart (for the QA hook). */
  positions(): { id: number; price: number; y: number | null; draggable: boolean }[];
}

export function createAlertLines(opts: {
  chart: IChartApi;
  candles: ISeriesApi<"Candlestick">;
  container: HTMLElement;
  symbol: () => string | null;
}): AlertLines {
  const { chart, candles, container } = opts;
  const list = h("ul", { class: "sr-only", "data-testid": "chart-alert-lines", "aria-hidden": "true" });
  const notice = h("p", { class: "chart-alert-notice", role: "alert", "data-testid": "chart-alert-notice", hidden: true });
  let noticeTimer = 0;
  let alerts: AlertView[] = [];
  let drawn: { alert: AlertView; line: IPriceLine }[] = [];
  let drag: { alert: AlertView; line: IPriceLine; price: number; pointerId: number } | null = null;

  const mine = () => {
    const s = opts.symbol();
    return alerts.filter((a) => a.symbol === s && a.line !== null && a.state !== "expired");
  };

  function draw(): void {
    if (drag) return; // the line being dragged stays under the pointer
    for (const d of drawn) candles.removePriceLine(d.line);
    drawn = mine().map((a) => ({
      alert: a,
      line: candles.createPriceLine({
        price: a.line!,
        color: a.state === "paused" ? `${ALERT_LINE_COLOUR}80` : ALERT_LINE_COLOUR,
        lineWidth: 1,
        lineStyle: LineStyle.LargeDashed,
        axisLabelVisible: true,
        title: lineTitle(a),
      }),
    }));
    replace(
      list,
      drawn.map((d) =>
        h("li", { "data-alert-id": d.alert.id, "data-price": d.alert.line!.toFixed(2), "data-draggable": String(draggable(d.alert)), "data-state": d.alert.state }, lineTitle(d.alert)),
      ),
    );
  }
  alertFeed.onAlerts((next) => {
    alerts = next;
    draw();
  });

  const yOf = (ev: PointerEvent | MouseEvent) => ev.clientY - container.getBoundingClientRect().top;
  const grabbed = (y: number) => drawn.find((d) => draggable(d.alert) && grabs(y, candles.priceToCoordinate(d.alert.line!)));

  // Capture phase: the chart must not start panning when a line is grabbed.
  container.addEventListener(
    "pointerdown",
    (ev) => {
      if (ev.button !== 0) return;
      const hit = grabbed(yOf(ev));
      if (!hit) return;
      ev.preventDefault();
      ev.stopPropagation();
      drag = { alert: hit.alert, line: hit.line, price: hit.alert.line!, pointerId: ev.pointerId };
      chart.applyOptions({ handleScroll: false, handleScale: false });
      container.classList.add("dragging-alert");
    },
    { capture: true },
  );
  // The mouse events that follow a grab are the drag's, not the chart's.
  for (const type of ["mousedown", "touchstart"]) {
    container.addEventListener(type, (ev) => drag && ev.stopPropagation(), { capture: true });
  }
  container.addEventListener("pointermove", (ev) => {
    if (drag) return;
    container.style.cursor = grabbed(yOf(ev)) ? "ns-resize" : "";
  });
  window.addEventListener("pointermove", (ev) => {
    if (!drag || ev.pointerId !== drag.pointerId) return;
    const p = draggedPrice((y) => candles.coordinateToPrice(y), yOf(ev));
    if (p === null) return;
    drag.price = p;
    drag.line.applyOptions({ price: p, title: lineTitle({ ...drag.alert, line: p }) });
  });
  const drop = async (ev: PointerEvent) => {
    if (!drag || ev.pointerId !== drag.pointerId) return;
    const { alert, price } = drag;
    drag = null;
    chart.applyOptions({ handleScroll: true, handleScale: true });
    container.classList.remove("dragging-alert");
    if (price === alert.price) return draw();
    try {
      alertFeed.upsert(await ipc.alertsUpdate(alert.id, toInput(alert, { price })));
    } catch (e) {
      notice.textContent = `The alert was not moved: ${(e as { message: string }).message}`;
      notice.hidden = false;
      window.clearTimeout(noticeTimer);
      noticeTimer = window.setTimeout(() => (notice.hidden = true), 6000);
      draw();
    }
  };
  window.addEventListener("pointerup", (ev) => void drop(ev));
  window.addEventListener("pointercancel", (ev) => void drop(ev));

  return {
    list,
    notice,
    draw,
    positions: () =>
      drawn.map((d) => ({ id: d.alert.id, price: d.alert.line!, y: candles.priceToCoordinate(d.alert.line!), draggable: draggable(d.alert) })),
  };
}
