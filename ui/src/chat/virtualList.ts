// A windowed list for long conversations: only the messages near the viewport
// are in the DOM (a 1,000-message session keeps a few dozen nodes). Heights are
// measured after render and remembered per key; unknown ones are estimated.
// When the reader is at the bottom, the list follows new content.

import { h } from "../lib/dom";

export interface Range {
  start: number;
  end: number;
  /** Height of the items before `start`. */
  top: number;
  /** Height of the items from `end` on. */
  bottom: number;
}

/** Which items intersect [scrollTop - overscan, scrollTop + viewport + overscan]. */
export function visibleRange(heights: readonly number[], scrollTop: number, viewport: number, overscan: number): Range {
  const lo = scrollTop - overscan;
  const hi = scrollTop + viewport + overscan;
  let y = 0;
  let start = heights.length;
  let top = 0;
  for (let i = 0; i < heights.length; i++) {
    if (y + heights[i]! > lo) {
      start = i;
      top = y;
      break;
    }
    y += heights[i]!;
  }
  if (start === heights.length) top = y;
  let end = start;
  y = top;
  while (end < heights.length && y < hi) {
    y += heights[end]!;
    end++;
  }
  let bottom = 0;
  for (let i = end; i < heights.length; i++) bottom += heights[i]!;
  return { start, end, top, bottom };
}

export interface VirtualList<T> {
  element: HTMLElement;
  setItems(items: T[]): void;
  /** The item with this key changed; redraw it. */
  refresh(key: string): void;
  scrollToBottom(): void;
  atBottom(): boolean;
    /** How many items are in the DOM now (for QA). */
  renderedCount(): number;
  /** Scrolls so the item with this key is in the middle of the view. */
  scrollToKey(key: string): void;
}

export function createVirtualList<T>(opts: {
  keyOf: (item: T) => string;
  render: (item: T) => HTMLElement;
  estimate?: number;
  overscan?: number;
  class?: string;
  attrs?: Record<string, string>;
}): VirtualList<T> {
  const estimate = opts.estimate ?? 96;
  const overscan = opts.overscan ?? 800;
  const topPad = h("div", { class: "vl-pad", "aria-hidden": "true" });
  const bottomPad = h("div", { class: "vl-pad", "aria-hidden": "true" });
  const host = h("div", { class: "vl-items" });
  const element = h("div", { class: opts.class ?? "vl", ...(opts.attrs ?? {}) }, topPad, host, bottomPad);
  let items: T[] = [];
  const heights = new Map<string, number>();
  const nodes = new Map<string, HTMLElement>();
  const dirty = new Set<string>();
  let frame = 0;
  let follow = true;
    let passes = 0;
  let pendingKey: string | null = null;

  /** Scrolls so `key` is in the middle of the view (the list must be laid out). */
  function centre(key: string): void {
    let y = 0;
    for (const it of items) {
      const k = opts.keyOf(it);
      const hgt = heights.get(k) ?? estimate;
      if (k === key) {
        element.scrollTop = Math.max(0, y + hgt / 2 - element.clientHeight / 2);
        return;
      }
      y += hgt;
    }
  }

  const atBottom = () => element.scrollHeight - element.scrollTop - element.clientHeight < 24;

    function layout(): void {
    frame = 0;
    if (pendingKey !== null) {
      // Size the spacers for the whole list first so the scroll position can be set.
      const total = items.reduce((sum, it) => sum + (heights.get(opts.keyOf(it)) ?? estimate), 0);
      topPad.style.height = "0px";
      bottomPad.style.height = `${total}px`;
      centre(pendingKey);
      pendingKey = null;
    }
    const keys = items.map(opts.keyOf);
    const hs = keys.map((k) => heights.get(k) ?? estimate);
    const r = visibleRange(hs, element.scrollTop, element.clientHeight || 600, overscan);
    topPad.style.height = `${r.top}px`;
    bottomPad.style.height = `${r.bottom}px`;
    const want: HTMLElement[] = [];
    const keep = new Set<string>();
    for (let i = r.start; i < r.end; i++) {
      const k = keys[i]!;
      keep.add(k);
      let el = nodes.get(k);
      if (!el || dirty.has(k)) {
        const fresh = opts.render(items[i]!);
        fresh.dataset.key = k;
        if (el && el.parentNode === host) host.replaceChild(fresh, el);
        el = fresh;
        nodes.set(k, el);
        dirty.delete(k);
      }
      want.push(el);
    }
    for (const k of [...nodes.keys()]) if (!keep.has(k)) nodes.delete(k);
    const same = host.children.length === want.length && want.every((el, i) => host.children[i] === el);
    if (!same) host.replaceChildren(...want);
    // Measure what is drawn; a change above the viewport keeps the reader's place.
    let changed = false;
    let shiftAbove = 0;
    for (const el of want) {
      const k = el.dataset.key!;
      const measured = el.offsetHeight;
      if (measured > 0 && heights.get(k) !== measured) {
        const before = heights.get(k) ?? estimate;
        heights.set(k, measured);
        changed = true;
        if (el.offsetTop + el.offsetHeight < element.scrollTop) shiftAbove += measured - before;
      }
    }
    if (follow) element.scrollTop = element.scrollHeight;
    else if (shiftAbove !== 0) element.scrollTop += shiftAbove;
    if (changed && passes++ < 3) schedule();
    else passes = 0;
  }

  function schedule(): void {
    if (frame) return;
    frame = requestAnimationFrame(layout);
  }

  element.addEventListener("scroll", () => {
    follow = atBottom();
    schedule();
  });
  if (typeof ResizeObserver !== "undefined") {
    new ResizeObserver(() => schedule()).observe(element);
  }

  return {
    element,
        setItems(next) {
      const wasBottom = follow || atBottom();
      // A new object under a known key (a reloaded message) is drawn again.
      const before = new Map(items.map((it) => [opts.keyOf(it), it]));
      for (const it of next) {
        const k = opts.keyOf(it);
        const old = before.get(k);
        if (old !== undefined && old !== it) dirty.add(k);
      }
      items = next;
      follow = wasBottom;
      schedule();
    },
    refresh(key) {
      dirty.add(key);
      if (atBottom()) follow = true;
      schedule();
    },
    scrollToBottom() {
      follow = true;
      schedule();
    },
        atBottom,
    renderedCount: () => host.children.length,
        scrollToKey(key) {
      // Applied at the next layout, once the spacers give the list its height.
      follow = false;
      pendingKey = key;
      schedule();
    },
  };
}
