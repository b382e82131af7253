// A small SVG line chart (no library): the IV smile and the term structure.

const NS = "http://www.w3.org/2000/svg";

export interface Series {
  name: string;
  cls: string;
  points: [number, number][];
}

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Rounded tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

export function lineChart(opts: {
  series: Series[];
  width?: number;
  height?: number;
  xFormat: (x: number) => string;
    /** `fine`: the ticks are less than one unit apart (show a decimal). */
  yFormat: (y: number, fine: boolean) => string;
  markX?: number | null;
  /** More vertical marks (e.g. a trade's entry and exit). */
  marks?: number[];
  title: string;
  testId: string;
}): SVGElement {
  const w = opts.width ?? 360;
  const hgt = opts.height ?? 150;
  const pad = { l: 40, r: 8, t: 18, b: 22 };
  const all = opts.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const svg = el("svg", { viewBox: `0 0 ${w} ${hgt}`, class: "mini-chart", role: "img", "aria-label": opts.title, "data-testid": opts.testId });
  svg.append(el("text", { x: pad.l, y: 12, class: "mini-chart-title" }, opts.title));
  if (all.length < 2) {
    svg.append(el("text", { x: w / 2, y: hgt / 2, "text-anchor": "middle", class: "mini-chart-empty" }, "Not enough data"));
    return svg;
  }
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 * 0.95, y1 * 1.05 + 1e-9];
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0 || 1)) * (w - pad.l - pad.r);
  const sy = (y: number) => hgt - pad.b - ((y - y0) / (y1 - y0)) * (hgt - pad.t - pad.b);
    const yt = ticks(y0, y1);
  const fine = yt.length > 1 && yt[1]! - yt[0]! < 1;
  for (const t of yt) {
    svg.append(el("line", { x1: pad.l, x2: w - pad.r, y1: sy(t), y2: sy(t), class: "grid" }));
        svg.append(el("text", { x: pad.l - 4, y: sy(t) + 3, "text-anchor": "end", class: "axis" }, opts.yFormat(t, fine)));
  }
  for (const t of ticks(x0, x1, 5)) {
    svg.append(el("text", { x: sx(t), y: hgt - 6, "text-anchor": "middle", class: "axis" }, opts.xFormat(t)));
  }
  for (const m of [opts.markX, ...(opts.marks ?? [])]) {
    if (m != null && m >= x0 && m <= x1) svg.append(el("line", { x1: sx(m), x2: sx(m), y1: pad.t, y2: hgt - pad.b, class: "mark" }));
  }
  for (const s of opts.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) continue;
    const d = pts.map(([x, y], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join("");
    svg.append(el("path", { d, class: `line ${s.cls}`, fill: "none" }));
  }
  return svg;
}
