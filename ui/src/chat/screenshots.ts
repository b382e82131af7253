// Screenshots in the chat: attaching an image (drop, paste, the file button)
// with a preview, the thumbnail in the user's message (click to enlarge), and
// the extraction card: one editable row per position, each field's confidence
// shown and the low ones highlighted, Confirm (the user's click saves them)
// and Discard. Text read from an image is shown as data, never acted on.

import type { Check, ConfirmedRow, ExtractedPosition, FieldConfidence, PositionKind, ScreenshotConfirmed, ScreenshotExtractionCard, ScreenshotSavedCard, StoredImage } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_ATTACHMENTS = 4;
const TYPES: Record<string, string> = { "image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP" };

/** Why a file cannot be attached (null when it can): the type by its name and declared type; the engine checks the bytes again. */
export function attachError(file: { name: string; type: string; size: number }): string | null {
  if (!TYPES[file.type]) {
    const what = file.type ? file.type : file.name.includes(".") ? `a .${file.name.split(".").pop()} file` : "this file";
    return `${file.name || "The file"} is ${what.startsWith("a ") || what === "this file" ? what : `of type ${what}`}; attach a PNG, JPEG or WebP screenshot.`;
  }
  if (file.size > MAX_IMAGE_BYTES) return `${file.name || "The image"} is ${(file.size / 1024 / 1024).toFixed(1)} MB; screenshots up to 10 MB are accepted.`;
  if (file.size === 0) return `${file.name || "The image"} is empty.`;
  return null;
}

const dataUrls = new Map<string, Promise<string>>();

/** A stored image as a data: URL (asked of the engine once per image). */
export function imageUrl(sha256: string): Promise<string> {
  let p = dataUrls.get(sha256);
  if (!p) {
    p = ipc.screenshotImage(sha256);
    p.catch(() => dataUrls.delete(sha256));
    dataUrls.set(sha256, p);
  }
  return p;
}

/** Remembers the data URL of an image just attached (no round trip to show it). */
export function rememberImage(sha256: string, url: string): void {
  dataUrls.set(sha256, Promise.resolve(url));
}

/** The full image over the app; Esc, the close button or a click outside closes it. */
export function openViewer(img: StoredImage): void {
  document.querySelector(".image-viewer")?.remove();
  const pic = h("img", { alt: "Attached screenshot", "data-testid": "image-viewer-img" });
  void imageUrl(img.sha256).then((u) => (pic.src = u));
  const back = document.activeElement as HTMLElement | null;
  const close = () => {
    viewer.remove();
    document.removeEventListener("keydown", onKey);
    back?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") close();
  };
  const viewer = h(
    "div",
    { class: "image-viewer", role: "dialog", "aria-modal": "true", "aria-label": "Screenshot", "data-testid": "image-viewer", onclick: (e: Event) => e.target === viewer && close() },
    h("button", { type: "button", class: "btn btn-small image-viewer-close", "data-testid": "image-viewer-close", onclick: close, "aria-label": "Close" }, "✕"),
    pic,
    h("div", { class: "muted image-viewer-meta" }, imageMeta(img)),
  );
  document.addEventListener("keydown", onKey);
  document.body.append(viewer);
  viewer.querySelector<HTMLButtonElement>("button")?.focus();
}

export function imageMeta(img: StoredImage): string {
  const size = img.bytes >= 1024 * 1024 ? `${(img.bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(img.bytes / 1024))} KB`;
  const dims = img.width && img.height ? `${img.width}×${img.height} · ` : "";
  return `${img.kind.toUpperCase()} · ${dims}${size}`;
}

/** A thumbnail that enlarges on click. */
export function thumbnail(img: StoredImage, testid = "chat-image"): HTMLElement {
  const pic = h("img", { alt: "Attached screenshot", loading: "lazy" });
  void imageUrl(img.sha256)
    .then((u) => (pic.src = u))
    .catch(() => (pic.alt = "The image is no longer in the data folder"));
  return h("button", { type: "button", class: "msg-thumb", "data-testid": testid, "data-sha256": img.sha256, title: `Enlarge (${imageMeta(img)})`, onclick: () => openViewer(img) }, pic);
}

// ---- The extraction card ----

type Field = keyof FieldConfidence;
const FIELDS: Field[] = ["underlying", "kind", "strike", "expiration", "quantity", "price"];
const LABELS: Record<Field, string> = { underlying: "Ticker", kind: "Type", strike: "Strike", expiration: "Expiry", quantity: "Qty", price: "Avg price" };

/** The row as the user confirms it, or what is missing ("row 2: the strike"). */
export function rowFrom(values: Record<Field, string>, n: number): ConfirmedRow | string {
  const kind = values.kind as PositionKind;
  const need = (what: string) => `Row ${n}: ${what}.`;
  const underlying = values.underlying.trim().toUpperCase();
  if (!underlying) return need("the ticker is missing");
  if (!["call", "put", "stock"].includes(kind)) return need("choose call, put or stock");
  const quantity = Number(values.quantity);
  if (!values.quantity.trim() || !Number.isFinite(quantity) || quantity === 0) return need("the quantity must be a non-zero number (negative for short)");
  const price = Number(values.price);
  if (!values.price.trim() || !Number.isFinite(price) || price < 0) return need("the average price must be zero or more");
  if (kind === "stock") return { underlying, kind, strike: null, expiration: null, quantity, price };
  const strike = Number(values.strike);
  if (!values.strike.trim() || !Number.isFinite(strike) || strike <= 0) return need("an option needs a strike above zero");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values.expiration.trim())) return need("an option needs an expiry (YYYY-MM-DD)");
  return { underlying, kind, strike, expiration: values.expiration.trim(), quantity, price };
}

function pct(c: number): string {
  return `${Math.round(c * 100)}%`;
}

/** A price as screens write it: 2.10, not 2.1; 4.355 stays 4.355. */
export function priceText(v: number): string {
  return Number.isInteger(Math.round(v * 1e6) / 1e4) ? v.toFixed(2) : String(v);
}

function initial(p: ExtractedPosition, f: Field): string {
  const v = p[f];
  if (v === null || v === undefined) return "";
  if (f === "price" && typeof v === "number") return priceText(v);
  return String(v);
}

function checksOf(p: ExtractedPosition, f: Field): Check[] {
  return (p.checks ?? []).filter((c) => c.field === f);
}

function fieldInput(p: ExtractedPosition, f: Field, row: number, low: number): { cell: HTMLElement; read: () => string; input: HTMLInputElement | HTMLSelectElement } {
  const c = p.confidence[f];
  const checks = checksOf(p, f);
  const isLow = c < low;
  const why = [`Confidence ${pct(c)}`, ...checks.map((k) => `${k.passed ? "✓" : "⚠"} ${k.reason}`)].join("\n");
  const common = {
    "data-testid": "shot-field",
    "data-row": row,
    "data-field": f,
    "data-confidence": c.toFixed(2),
    "data-low": String(isLow),
    "aria-label": `${LABELS[f]} of row ${row + 1}, read with ${pct(c)} confidence${isLow ? ": check it" : ""}`,
    "aria-invalid": isLow ? "true" : null,
    title: why,
  };
  let input: HTMLInputElement | HTMLSelectElement;
  if (f === "kind") {
    input = h("select", common, ["call", "put", "stock"].map((k) => h("option", { value: k, selected: p.kind === k }, k)));
    if (!p.kind) input.value = "";
  } else {
    input = h("input", {
      ...common,
      type: "text",
      value: initial(p, f),
      placeholder: f === "expiration" ? "YYYY-MM-DD" : null,
      inputmode: f === "underlying" || f === "expiration" ? null : "decimal",
      autocomplete: "off",
      spellcheck: "false",
    });
  }
  const failed = checks.some((k) => !k.passed);
  input.addEventListener("input", () => cell.classList.add("edited"));
  const cell = h(
    "label",
    { class: `shot-cell${isLow ? " low" : ""}${failed ? " failed" : ""}`, "data-field": f },
    h("span", { class: "shot-label muted" }, LABELS[f]),
    input,
    h("span", { class: `shot-conf${isLow ? " low" : ""}`, "data-testid": "shot-confidence", title: why }, `${failed ? "⚠ " : ""}${pct(c)}`),
  );
  return { cell, read: () => input.value, input };
}

const discardedKey = "coach.discardedShots";
function discarded(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(discardedKey) ?? "[]") as string[]);
  } catch {
    return new Set();
  }
}

/** What the trader typed or left out on a card, kept while the list redraws it (streaming, scrolling). */
interface Draft {
  values: Record<string, string>;
  removed: Set<number>;
}
const drafts = new Map<string, Draft>();

let confirmedHandler: ((messageId: number, r: ScreenshotConfirmed) => void) | null = null;

/** Who hears a confirmation (the conversation: it updates the card and appends the turn). */
export function onScreenshotConfirmed(fn: (messageId: number, r: ScreenshotConfirmed) => void): void {
  confirmedHandler = fn;
}

function confirmedView(d: ScreenshotExtractionCard): HTMLElement {
  const c = d.confirmed!;
  return h(
    "div",
    { class: "shot-confirmed", "data-testid": "screenshot-confirmed" },
    h(
      "table",
      { class: "shot-table-ro" },
      h("thead", {}, h("tr", {}, FIELDS.map((f) => h("th", {}, LABELS[f])))),
      h(
        "tbody",
        {},
        c.rows.map((r) =>
          h(
            "tr",
            { "data-testid": "screenshot-confirmed-row" },
            h("td", {}, r.underlying),
            h("td", {}, r.kind),
            h("td", { class: "num" }, r.strike === null ? "—" : String(r.strike)),
            h("td", {}, r.expiration ?? "—"),
            h("td", { class: "num" }, `${r.quantity > 0 ? "+" : ""}${r.quantity}`),
            h("td", { class: "num" }, priceText(r.price)),
          ),
        ),
      ),
    ),
    h("div", { class: "proposal-outcome saved", role: "status" }, `Saved as position${c.position_ids.length === 1 ? "" : "s"} ${c.position_ids.map((i) => `#${i}`).join(", ")}`),
  );
}

/** The extraction card's body: the rows to check, edit and confirm. */
export function extractionCard(d: ScreenshotExtractionCard, ctx: { messageId: number | null; toolCallId: string; streaming?: boolean }): HTMLElement[] {
  const low = d.low_confidence;
  const head = h(
    "div",
    { class: "shot-head" },
    thumbnail(d.image, "screenshot-thumb"),
    h(
      "div",
      { class: "shot-meta" },
      h("span", { class: `pill reader-${d.reader}`, "data-testid": "screenshot-reader", "data-reader": d.reader }, d.reader_label),
      h("span", { class: "muted" }, d.broker === "unknown" ? "Layout: generic table" : `Layout: ${d.broker}`),
    ),
  );
  const root = h("div", { class: "screenshot-extraction", "data-testid": "screenshot-extraction", "data-state": "proposed", "data-reader": d.reader, "data-broker": d.broker });
  const warnings = d.warnings.length ? h("ul", { class: "shot-warnings", "data-testid": "screenshot-warnings" }, d.warnings.map((w) => h("li", {}, w))) : null;
  if (d.confirmed) {
    root.dataset.state = "saved";
    replace(root, head, confirmedView(d));
    return [root];
  }
  const key = `${ctx.messageId}:${ctx.toolCallId}`;
  const outcome = h("div", { class: "proposal-outcome", role: "status", "data-testid": "screenshot-outcome" });
  if (discarded().has(key)) {
    root.dataset.state = "discarded";
    outcome.textContent = "Discarded: nothing was saved.";
    replace(root, head, outcome);
    return [root];
  }
  const draft = drafts.get(key) ?? { values: {}, removed: new Set<number>() };
  drafts.set(key, draft);
  const rows: { el: HTMLElement; read: Record<Field, () => string>; removed: boolean }[] = [];
  const body = h("div", { class: "shot-rows" });
  d.positions.forEach((p, i) => {
    const read = {} as Record<Field, () => string>;
    const inputs = {} as Record<Field, HTMLInputElement | HTMLSelectElement>;
    const cells = FIELDS.map((f) => {
      const x = fieldInput(p, f, i, low);
      read[f] = x.read;
      inputs[f] = x.input;
      const k = `${i}:${f}`;
      if (k in draft.values) {
        x.input.value = draft.values[k]!;
        x.cell.classList.add("edited");
      }
      x.input.addEventListener(f === "kind" ? "change" : "input", () => (draft.values[k] = x.input.value));
      return x.cell;
    });
    // Shares have no strike or expiry.
    const stockly = () => {
      const stock = inputs.kind.value === "stock";
      inputs.strike.disabled = inputs.expiration.disabled = stock;
      if (stock) (inputs.strike as HTMLInputElement).placeholder = "—";
    };
    inputs.kind.addEventListener("change", stockly);
    stockly();
    const entry = { el: h("div", {}), read, removed: draft.removed.has(i) };
    const remove = h(
      "button",
      {
        type: "button",
        class: "btn btn-small shot-remove",
        "data-testid": "shot-remove",
        title: "Leave this row out",
        "aria-label": `Leave row ${i + 1} out`,
        onclick: () => {
          entry.removed = !entry.removed;
          if (entry.removed) draft.removed.add(i);
          else draft.removed.delete(i);
          showRemoved();
        },
      },
      "✕",
    );
    // What the market checks found wrong, in words (hover shows every check).
    const failed = (p.checks ?? []).filter((c) => !c.passed);
    const why = failed.length ? h("ul", { class: "shot-why", "data-testid": "screenshot-failed-checks" }, failed.map((c) => h("li", {}, `⚠ ${c.reason}`))) : null;
    entry.el = h("div", { class: "shot-row", "data-testid": "screenshot-row", "data-row": i }, ...cells, remove, why);
    const showRemoved = () => {
      entry.el.classList.toggle("removed", entry.removed);
      remove.textContent = entry.removed ? "↺" : "✕";
      remove.title = entry.removed ? "Put this row back" : "Leave this row out";
      remove.setAttribute("aria-pressed", String(entry.removed));
      remove.setAttribute("aria-label", `${entry.removed ? "Put back" : "Leave out"} row ${i + 1}`);
    };
    showRemoved();
    rows.push(entry);
    body.append(entry.el);
  });
  const lowCount = d.positions.reduce((n, p) => n + FIELDS.filter((f) => p.confidence[f] < low).length, 0);
  const legend = h(
    "div",
    { class: "card-foot muted", "data-testid": "screenshot-legend" },
    lowCount ? `${lowCount} field${lowCount === 1 ? "" : "s"} below ${pct(low)} confidence ${lowCount === 1 ? "is" : "are"} highlighted: check ${lowCount === 1 ? "it" : "them"} against your screen.` : "Every field was read with good confidence; check them anyway.",
    " Hover a field for its checks. Nothing is saved until you confirm.",
  );
  // While the answer still streams the card can be edited, not saved yet.
  const confirm = h(
    "button",
    { type: "button", class: "btn btn-primary btn-small", "data-testid": "screenshot-confirm", disabled: d.positions.length === 0 || ctx.streaming === true, title: ctx.streaming ? "Wait for the answer to finish" : null },
    "Confirm and save",
  );
  const discard = h("button", { type: "button", class: "btn btn-small", "data-testid": "screenshot-discard" }, "Discard");
  const actions = h("div", { class: "proposal-actions" }, confirm, discard);
  confirm.addEventListener("click", async () => {
    if (ctx.messageId === null) return;
    outcome.className = "proposal-outcome";
    outcome.textContent = "";
    // Another answer of this conversation still streaming: it owns the session.
    if (root.closest("[data-busy]")?.getAttribute("data-busy") === "true") {
      outcome.className = "proposal-outcome error";
      outcome.textContent = "An answer is still streaming: confirm when it has finished.";
      return;
    }
    const out: ConfirmedRow[] = [];
    for (const [i, r] of rows.entries()) {
      if (r.removed) continue;
      const values = Object.fromEntries(FIELDS.map((f) => [f, r.read[f]()])) as Record<Field, string>;
      const row = rowFrom(values, i + 1);
      if (typeof row === "string") {
        outcome.className = "proposal-outcome error";
        outcome.textContent = row;
        return;
      }
      out.push(row);
    }
    if (!out.length) {
      outcome.className = "proposal-outcome error";
      outcome.textContent = "Every row is left out: there is nothing to save.";
      return;
    }
    confirm.disabled = discard.disabled = true;
    try {
      const r = await ipc.screenshotConfirm(ctx.messageId, ctx.toolCallId, out);
      drafts.delete(key);
      if (r.card.card_type === "screenshot_extraction") Object.assign(d, r.card.data);
      root.dataset.state = "saved";
      replace(root, head, confirmedView(d));
      confirmedHandler?.(ctx.messageId, r);
    } catch (e) {
      confirm.disabled = discard.disabled = false;
      outcome.className = "proposal-outcome error";
      outcome.textContent = (e as IpcError).message;
    }
  });
  discard.addEventListener("click", () => {
    drafts.delete(key);
    const s = discarded();
    s.add(key);
    localStorage.setItem(discardedKey, JSON.stringify([...s]));
    root.dataset.state = "discarded";
    outcome.className = "proposal-outcome cancelled";
    outcome.textContent = "Discarded: nothing was saved.";
    replace(root, head, outcome);
  });
  replace(root, head, body, legend, warnings, actions, outcome);
  return [root];
}

/** The positions saved from a screenshot. */
export function savedCard(d: ScreenshotSavedCard): HTMLElement[] {
  return [
    h(
      "div",
      { class: "shot-saved", "data-testid": "screenshot-saved" },
      d.positions.map((p) =>
        h(
          "div",
          { class: "card-row", "data-position-id": p.id },
          h("span", {}, `#${p.id} ${p.symbol}`),
          h(
            "span",
            { class: "num" },
            p.legs.map((l) => (l.kind === "stock" ? `${l.quantity > 0 ? "+" : ""}${l.quantity} sh @ ${priceText(l.entry_price)}` : `${l.quantity > 0 ? "+" : ""}${l.quantity} ${l.expiry} ${l.strike} ${l.kind} @ ${priceText(l.entry_price)}`)).join(" · "),
          ),
        ),
      ),
    ),
  ];
}
