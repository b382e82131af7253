// A bottom sheet for phone-width layouts: a drag handle, snap points, Esc to
// close, focus moved in on open and back on close. The level list uses it on
// phones; the status bar's connection details use it today.

import { h } from "../lib/dom";

/** Snap points as fractions of the viewport height, smallest first. */
export const DEFAULT_SNAPS = [0.3, 0.6, 0.92] as const;

/** The snap point nearest to a sheet height, or 0 (closed) when dragged below half the first. */
export function nearestSnap(fraction: number, snaps: readonly number[] = DEFAULT_SNAPS): number {
  const first = snaps[0] ?? 0.3;
  if (fraction < first / 2) return 0;
  let best = first;
  for (const s of snaps) if (Math.abs(s - fraction) < Math.abs(best - fraction)) best = s;
  return best;
}

/** The next snap up or down from the current one (keyboard and handle taps). */
export function stepSnap(current: number, dir: 1 | -1, snaps: readonly number[] = DEFAULT_SNAPS): number {
  const i = snaps.indexOf(current);
  if (i < 0) return snaps[0] ?? 0.3;
  const j = i + dir;
  if (j < 0) return 0;
  return snaps[Math.min(j, snaps.length - 1)] ?? current;
}

export interface BottomSheet {
  element: HTMLElement;
  open(snap?: number): void;
  close(): void;
  readonly isOpen: boolean;
  readonly snap: number;
}

export function createBottomSheet(opts: {
  title: string;
  testId: string;
  content: Node;
  snaps?: readonly number[];
  onClose?: () => void;
}): BottomSheet {
  const snaps = opts.snaps ?? DEFAULT_SNAPS;
  let snap = 0;
  let returnFocus: HTMLElement | null = null;
  const titleId = `${opts.testId}-title`;

  const handle = h("button", {
    class: "sheet-handle",
    type: "button",
    "aria-label": `Resize ${opts.title}; arrow keys change the height`,
    "data-testid": `${opts.testId}-handle`,
  });
  const closeBtn = h("button", { class: "sheet-close", type: "button", "aria-label": `Close ${opts.title}` }, "✕");
  const panel = h(
    "section",
    {
      class: "sheet",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": titleId,
      "data-testid": opts.testId,
      tabindex: "-1",
      hidden: true,
    },
    handle,
    h("header", { class: "sheet-header" }, h("h2", { id: titleId }, opts.title), closeBtn),
    h("div", { class: "sheet-body" }, opts.content),
  );

  const apply = () => {
    panel.hidden = snap === 0;
    panel.style.height = `${Math.round(snap * 100)}dvh`;
    panel.dataset.snap = String(snap);
  };

  const sheet: BottomSheet = {
    element: panel,
    get isOpen() {
      return snap > 0;
    },
    get snap() {
      return snap;
    },
    open(to = snaps[0] ?? 0.3) {
      returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      snap = to;
      apply();
      panel.focus();
    },
    close() {
      if (snap === 0) return;
      snap = 0;
      apply();
      returnFocus?.focus();
      opts.onClose?.();
    },
  };

  closeBtn.addEventListener("click", () => sheet.close());
  handle.addEventListener("click", () => {
    snap = snap === snaps[snaps.length - 1] ? (snaps[0] ?? snap) : stepSnap(snap, 1, snaps);
    apply();
  });
  panel.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      ev.preventDefault();
      sheet.close();
    } else if (ev.target === handle && (ev.key === "ArrowUp" || ev.key === "ArrowDown")) {
      ev.preventDefault();
      snap = stepSnap(snap, ev.key === "ArrowUp" ? 1 : -1, snaps);
      apply();
      if (snap === 0) sheet.close();
    }
  });

  // Dragging the handle follows the finger, then settles on the nearest snap point.
  let dragStartY = 0;
  let dragStartSnap = 0;
  handle.addEventListener("pointerdown", (ev) => {
    dragStartY = ev.clientY;
    dragStartSnap = snap;
    handle.setPointerCapture?.(ev.pointerId);
    panel.classList.add("dragging");
  });
  handle.addEventListener("pointermove", (ev) => {
    if (!panel.classList.contains("dragging")) return;
    const frac = dragStartSnap + (dragStartY - ev.clientY) / window.innerHeight;
    panel.style.height = `${Math.max(0, Math.min(1, frac)) * 100}dvh`;
  });
  handle.addEventListener("pointerup", (ev) => {
    if (!panel.classList.contains("dragging")) return;
    panel.classList.remove("dragging");
    const moved = Math.abs(dragStartY - ev.clientY);
    if (moved < 4) return; // a tap: the click handler steps instead
    snap = nearestSnap(dragStartSnap + (dragStartY - ev.clientY) / window.innerHeight, snaps);
    apply();
    if (snap === 0) sheet.close();
  });

  apply();
  return sheet;
}
