// The journal: import a broker's file (with progress, a summary that names
// every skipped and unreadable line, and "import the rest"), filters, the
// figures, the equity curve, the P&L calendar, the hour × weekday heatmap,
// patterns, setups, the trades (each with its fills, notes, tags, setup,
// risk and its chart at the time) and manual entry. Every number is the
// engine's (coach_engine::journal).

import type {
  Dashboard,
  ImportSummary,
  ManualTrade,
  OptionKind,
  Stats,
  Timeframe,
  TradeFilter,
  TradeView,
} from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { uiLocale } from "../lib/locale";
import { lineChart } from "../options/svgChart";
import { calendarHeatmap, equityChart, hourWeekdayHeatmap, money, pct } from "./journalCharts";
import { drawPnl, restartPnl, subscribePnl } from "./pnlTracker";

export interface JournalView {
  element: HTMLElement;
  show(): Promise<void>;
  /** The tab was left: stop the live P&L. */
  hide(): void;
}

const BROKERS: [string, string][] = [
  ["auto", "Recognise from the file"],
  ["tastytrade", "tastytrade"],
  ["thinkorswim", "thinkorswim (Account Statement)"],
  ["ibkr", "Interactive Brokers (Flex XML or Activity CSV)"],
  ["robinhood", "Robinhood"],
  ["schwab", "Schwab"],
  ["fidelity", "Fidelity"],
  ["webull", "Webull"],
];

/** Files larger than this are refused before reading (the engine holds the whole text). */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;

/** The timeframe that shows a trade held `secs` well. */
export function timeframeFor(secs: number): Timeframe {
  if (secs < 2 * 3600) return "1m";
  if (secs < 2 * 86_400) return "5m";
  if (secs < 10 * 86_400) return "1h";
  return "1d";
}

/** One line for an import: what went in, what was already there. */
export function summaryLine(s: ImportSummary): string {
  if (s.stopped) {
    return `Nothing was imported: ${s.errors.length} row${s.errors.length === 1 ? "" : "s"} of this ${s.broker} file could not be read.`;
  }
  return `${s.broker}: ${s.rows} rows read · ${s.imported} executions imported · ${s.duplicates} already in the journal · ${s.trades_touched} trades updated`;
}

/** The zone the journal shows times in (the engine's display zone, from its dashboard). */
let displayZone = "America/New_York";

/** `YYYY-MM-DDTHH:MM` (a datetime-local value) read in `zone`, as RFC 3339 UTC ("" when that time does not exist there). */
export function zonedToIso(local: string, zone: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return "";
  const [y, mo, d, hh, mm] = m.slice(1).map(Number) as [number, number, number, number, number];
  const want = Date.UTC(y, mo - 1, d, hh, mm);
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  let guess = want;
  // Two corrections settle the zone's offset (also across a DST change).
  for (let i = 0; i < 2; i++) {
    const p = Object.fromEntries(fmt.formatToParts(new Date(guess)).map((x) => [x.type, x.value]));
    const shown = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
    guess += want - shown;
  }
  const iso = new Date(guess).toISOString().replace(".000Z", "Z");
  // A time the clocks skip (02:30 on the spring-forward day) does not exist there.
  return isoToZoned(iso, zone) === local.slice(0, 16) ? iso : "";
}

/** An RFC 3339 time as a datetime-local value in `zone`. */
export function isoToZoned(iso: string, zone: string): string {
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  const p = Object.fromEntries(fmt.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** A time in the display zone, e.g. "Jul 16, 2024, 9:45 AM". */
export function dateTime(iso: string | null, zone = displayZone): string {
  if (!iso) return "—";
  try {
    return new Date(iso).toLocaleString(uiLocale, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
  } catch {
    return new Date(iso).toLocaleString(uiLocale, { dateStyle: "medium", timeStyle: "short" });
  }
}

export function createJournalView(opts: { onOpenChart: (symbol: string, timeframe: Timeframe) => void }): JournalView {
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const summary = h("div", { class: "import-summary", "data-testid": "journal-import-summary", hidden: true });
  const progress = h("progress", { max: "1", value: "0", hidden: true, "data-testid": "journal-import-progress", "aria-label": "Import progress" });
  const broker = h("select", { id: "journal-broker", "aria-label": "Broker" }, BROKERS.map(([v, l]) => h("option", { value: v }, l)));
  const account = h("input", { id: "journal-account", placeholder: "Account (optional)", "aria-label": "Account" });
  const skipBad = h("input", { type: "checkbox", id: "journal-skip-bad" });
  const file = h("input", { type: "file", accept: ".csv,.xml,.txt,text/csv,text/xml", "data-testid": "journal-import", id: "journal-file", "aria-label": "Broker export file" });

  const filter: TradeFilter = { from: null, to: null, underlying: null, account: null, status: null, strategy: null, asset: null };
  const input = (id: string, label: string, type = "text", key: keyof TradeFilter) => {
    const el = h("input", { id, type, placeholder: label, "aria-label": label });
    el.addEventListener("change", () => {
      filter[key] = el.value.trim() || null;
      void refresh();
    });
    return el;
  };
  const filters = h(
    "div",
    { class: "journal-filters" },
    h("label", {}, "From ", input("journal-from", "From", "date", "from")),
    h("label", {}, "To ", input("journal-to", "To", "date", "to")),
    input("journal-underlying", "Underlying", "text", "underlying"),
    input("journal-account-filter", "Account", "text", "account"),
    input("journal-strategy", "Strategy (e.g. vertical)", "text", "strategy"),
  );

  const statsBox = h("div", { class: "journal-stats", "data-testid": "journal-stats" });
  const tracker = h("div", { class: "card pnl-tracker", "data-testid": "pnl-tracker" }, h("p", { class: "muted" }, "Loading P&L…"));
  let stopPnl: (() => void) | null = null;
  const follow = () => {
    if (stopPnl) restartPnl();
    else stopPnl = subscribePnl((v) => drawPnl(tracker, v));
  };
  const charts = h("div", { class: "journal-charts" });
  const insights = h("div", { class: "journal-insights" });
  const tradesBody = h("tbody", {});
  const detail = h("div", { class: "card trade-detail", hidden: true, "data-testid": "journal-trade-detail" });
  const form = tradeForm(async (trade, editing) => {
    const t = editing === null ? await ipc.journalAdd(trade) : await ipc.journalEdit(editing, trade);
    await refresh(true);
    select(t);
  });

  let trades: TradeView[] = [];
  let lastImport: { text: string; name: string } | null = null;

  async function runImport(text: string, name: string, skip: boolean): Promise<void> {
    replace(status, `Importing ${name}…`);
    progress.hidden = false;
    progress.value = 0;
    try {
      const s = await ipc.journalImport(
        text,
        name,
        { broker: broker.value, account: account.value.trim() || null, tz: null, skip_bad_rows: skip },
        (p) => {
          progress.max = Math.max(1, p.total);
          progress.value = p.done;
          replace(status, `${p.stage === "reading" ? "Reading" : "Saving"} ${name}: ${p.done} of ${p.total}`);
        },
      );
      showSummary(s, text, name);
      replace(status, "");
      await refresh(s.imported > 0);
    } catch (e) {
      showSummary(null, text, name, (e as IpcError).message);
      replace(status, "");
    } finally {
      progress.hidden = true;
    }
  }

  function showSummary(s: ImportSummary | null, text: string, name: string, failure?: string): void {
    summary.hidden = false;
    lastImport = { text, name };
    if (!s) {
      replace(summary, h("p", { class: "error", "data-field": "failure" }, `${name}: ${failure ?? "could not be imported"}`));
      return;
    }
    summary.dataset.stopped = String(s.stopped);
    replace(
      summary,
      h("p", { class: s.stopped ? "error" : "ok", "data-field": "line" }, summaryLine(s)),
      s.errors.length
        ? h(
            "div",
            {},
            h("h4", {}, `${s.errors.length} row${s.errors.length === 1 ? "" : "s"} could not be read`),
            h("ul", { class: "row-errors" }, s.errors.map((e) => h("li", { "data-line": String(e.line) }, `Line ${e.line}: ${e.message}`))),
            s.stopped
              ? h(
                  "button",
                  {
                    type: "button",
                    class: "btn",
                    "data-testid": "journal-import-rest",
                    onclick: () => lastImport && void runImport(lastImport.text, lastImport.name, true),
                  },
                  `Import the other rows (the ${s.errors.length} above stay out)`,
                )
              : null,
          )
        : null,
      s.skipped.length
        ? h(
            "details",
            {},
            h("summary", {}, `${s.skipped.length} row${s.skipped.length === 1 ? "" : "s"} skipped (not trades)`),
            h("ul", {}, s.skipped.map((k) => h("li", {}, `Line ${k.line}: ${k.reason}`))),
          )
        : null,
      s.warnings.length ? h("details", {}, h("summary", {}, `${s.warnings.length} note${s.warnings.length === 1 ? "" : "s"}`), h("ul", {}, s.warnings.map((w) => h("li", {}, w)))) : null,
    );
  }

  file.addEventListener("change", async () => {
    const f = file.files?.[0];
    if (!f) return;
    if (f.size > MAX_IMPORT_BYTES) {
      showSummary(null, "", f.name, `${(f.size / 1048576).toFixed(1)} MB is larger than the ${MAX_IMPORT_BYTES / 1048576} MB an import takes; export a shorter date range`);
      return;
    }
    const text = await f.text();
    file.value = "";
    await runImport(text, f.name, skipBad.checked);
  });

  function renderStats(s: Stats, open: number): void {
    const tile = (label: string, value: string | HTMLElement, field: string, cls = "") =>
      h("div", { class: "stat-tile", "data-field": field }, h("div", { class: "muted" }, label), h("div", { class: `stat-value num ${cls}` }, value));
    const tone = (v: number | null) => (v === null || Math.abs(v) < 0.005 ? "" : v > 0 ? "up" : "down");
    replace(
      statsBox,
      tile("Net P&L", money(s.net_pnl), "net_pnl", tone(s.net_pnl)),
      tile("Trades", `${s.trades}${open ? ` (+${open} open)` : ""}`, "trades"),
      tile("Win rate", h("span", {}, pct(s.win_rate), h("span", { class: "muted small" }, ` · ${pct(s.win_rate_excluding_breakeven)} excl. BE`)), "win_rate"),
      tile("Profit factor", s.profit_factor === null ? "—" : s.profit_factor.toFixed(2), "profit_factor"),
      tile("Expectancy", money(s.expectancy), "expectancy", tone(s.expectancy)),
      tile("Avg win / loss", h("span", {}, h("span", { class: "up" }, money(s.avg_win)), " / ", h("span", { class: "down" }, money(s.avg_loss))), "avg", "pair"),
      tile("Largest win / loss", h("span", {}, h("span", { class: "up" }, money(s.largest_win)), " / ", h("span", { class: "down" }, money(s.largest_loss))), "largest", "pair"),
      tile("Max drawdown", money(-s.max_drawdown), "max_drawdown", s.max_drawdown > 0 ? "down" : ""),
      tile("Fees", money(-s.fees), "fees"),
      tile("Avg R", s.avg_r === null ? "—" : `${s.avg_r.toFixed(2)} R (${s.trades_with_risk})`, "avg_r"),
    );
  }

  function renderDashboard(d: Dashboard): void {
    displayZone = d.display_tz;
    renderStats(d.stats, d.open_trades);
    replace(
      charts,
      h("div", { class: "card" }, equityChart(d.equity)),
      h("div", { class: "card" }, h("h3", {}, "Daily P&L"), calendarHeatmap(d.daily)),
      h("div", { class: "card" }, h("h3", {}, `Hour opened × weekday (${d.display_tz})`), hourWeekdayHeatmap(d.hour_weekday, d.display_tz)),
    );
    const groupList = (title: string, rows: [string, Stats][], testid: string) =>
      h(
        "div",
        { class: "card", "data-testid": testid },
        h("h3", {}, title),
        rows.length === 0
          ? h("p", { class: "muted" }, testid === "journal-setups" ? "Tag trades with a setup to compare them." : "No closed trades.")
          : h(
              "table",
              { class: "group-table" },
              h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "Trades"), h("th", {}, "Win rate"), h("th", {}, "Net"))),
              h(
                "tbody",
                {},
                rows.map(([k, s]) =>
                  h("tr", {}, h("td", {}, k), h("td", { class: "num" }, String(s.trades)), h("td", { class: "num" }, pct(s.win_rate)), h("td", { class: `num ${s.net_pnl > 0 ? "up" : s.net_pnl < 0 ? "down" : ""}` }, money(s.net_pnl))),
                ),
              ),
            ),
      );
    replace(
      insights,
      h(
        "div",
        { class: "card", "data-testid": "journal-patterns" },
        h("h3", {}, "Patterns"),
        d.patterns.length === 0
          ? h("p", { class: "muted" }, "No pattern stands out yet (at least 10 trades in a slice, won ≤ 35 % or ≥ 65 % of the time).")
          : h("ul", {}, d.patterns.map((p) => h("li", {}, p.text))),
      ),
      groupList("Setups, best first", d.setups, "journal-setups"),
      groupList("Strategies", d.by_strategy, "journal-strategies"),
    );
  }

  function renderTrades(): void {
    replace(
      tradesBody,
      trades.length === 0
        ? h("tr", {}, h("td", { colspan: "9", class: "muted" }, "No trades yet: import a broker's export above, or add one by hand."))
        : trades.map((t) =>
            h(
              "tr",
              {
                class: "journal-row",
                tabindex: "0",
                "data-testid": "journal-trade",
                "data-id": String(t.id),
                "data-symbol": t.symbol,
                "data-pnl": t.realized_pnl === null ? "" : String(t.realized_pnl),
                onclick: () => select(t),
                onkeydown: (ev: Event) => {
                  if ((ev as KeyboardEvent).key === "Enter") select(t);
                },
              },
              h("td", {}, dateTime(t.opened_at)),
              h("td", { class: "sym" }, t.option ? `${t.underlying} ${t.option.expiration.slice(5)} ${t.option.strike}${t.option.kind === "call" ? "C" : "P"}` : t.symbol),
              h("td", {}, t.strategy),
              h("td", {}, t.side),
              h("td", { class: "num" }, String(t.quantity)),
              h("td", { class: "num" }, t.entry_price === null ? "—" : t.entry_price.toFixed(2)),
              h("td", { class: "num" }, t.exit_price === null ? "—" : t.exit_price.toFixed(2)),
              h("td", { class: `num ${t.realized_pnl === null ? "" : t.realized_pnl > 0 ? "up" : t.realized_pnl < 0 ? "down" : ""}` }, t.realized_pnl === null ? (t.incomplete ? "no entry" : "open") : money(t.realized_pnl)),
              h("td", { class: "muted" }, t.status),
            ),
          ),
    );
  }

  function select(t: TradeView): void {
    for (const r of tradesBody.querySelectorAll<HTMLElement>("[data-testid=journal-trade]")) r.setAttribute("aria-selected", String(r.dataset.id === String(t.id)));
    detail.hidden = false;
    const notes = h("textarea", { id: "trade-notes", rows: "3", "aria-label": "Notes" }, t.notes);
    const tags = h("input", { id: "trade-tags", value: t.tags.join(", "), placeholder: "breakout, A+", "aria-label": "Tags" });
    const setup = h("input", { id: "trade-setup", value: t.setup ?? "", placeholder: "ORB, VWAP reclaim…", "aria-label": "Setup" });
    const risk = h("input", { id: "trade-risk", type: "number", step: "any", min: "0", value: t.risk === null ? "" : String(t.risk), "aria-label": "Risk in dollars" });
    const msg = h("p", { class: "form-message", hidden: true });
    const chartBox = h("div", { class: "trade-chart" }, h("p", { class: "muted" }, "Loading the chart of the time…"));
    const held = t.closed_at ? (Date.parse(t.closed_at) - Date.parse(t.opened_at)) / 1000 : 3600;
    const tf = timeframeFor(held);
    replace(
      detail,
      h(
        "div",
        { class: "page-head" },
        h("h3", {}, `${t.symbol} · ${t.strategy} · ${t.status}`),
        h(
          "div",
          { class: "form-actions" },
          h("button", { type: "button", class: "btn", "data-testid": "journal-open-chart", onclick: () => opts.onOpenChart(t.underlying, tf) }, `Open ${t.underlying} ${tf} chart`),
          t.broker === "manual" ? h("button", { type: "button", class: "btn", "data-testid": "journal-edit-trade", onclick: () => form.edit(t) }, "Edit trade") : null,
          h(
            "button",
            {
              type: "button",
              class: "btn btn-quiet",
              onclick: async () => {
                const also = t.linked.length ? ` and #${t.linked.join(", #")} (they share a fill)` : "";
                if (!confirm(`Delete trade #${t.id}${also}${t.broker === "manual" ? "" : "? Importing its file again brings it back."}`)) return;
                await ipc.journalDelete(t.id);
                detail.hidden = true;
                await refresh(true);
              },
            },
            "Delete",
          ),
        ),
      ),
      h(
        "dl",
        { class: "kv" },
        h("dt", {}, "Opened"),
        h("dd", {}, dateTime(t.opened_at)),
        h("dt", {}, "Closed"),
        h("dd", {}, dateTime(t.closed_at)),
        h("dt", {}, "Entry / exit"),
        h("dd", {}, `${t.entry_price?.toFixed(2) ?? "—"} / ${t.exit_price?.toFixed(2) ?? "—"} per share`),
        h("dt", {}, "Fees"),
        h("dd", {}, money(-t.fees)),
        h("dt", {}, "Realized P&L"),
        h("dd", { "data-field": "pnl" }, t.realized_pnl === null ? (t.incomplete ? "Unknown: the opening is not in the journal" : "Open") : `${money(t.realized_pnl)}${t.r_multiple === null ? "" : ` (${t.r_multiple.toFixed(2)} R)`}`),
        h("dt", {}, "Account"),
        h("dd", {}, `${t.broker} · ${t.account}`),
      ),
      h(
        "table",
        { class: "fills" },
        h("thead", {}, h("tr", {}, h("th", {}, "Fill"), h("th", {}, "Side"), h("th", {}, "Qty"), h("th", {}, "Price"), h("th", {}, "Fees"))),
        h(
          "tbody",
          {},
          t.executions.map((e) =>
            h("tr", {}, h("td", {}, `${dateTime(e.time)}${e.kind === "trade" ? "" : ` (${e.kind})`}`), h("td", {}, e.side), h("td", { class: "num" }, String(e.quantity)), h("td", { class: "num" }, e.price.toFixed(2)), h("td", { class: "num" }, e.fees.toFixed(2))),
          ),
        ),
      ),
      chartBox,
      h(
        "form",
        {
          class: "trade-notes-form",
          onsubmit: async (ev: Event) => {
            ev.preventDefault();
            const r = risk.value.trim() === "" ? null : Number(risk.value);
            try {
              const saved = await ipc.journalSetNotes(t.id, {
                notes: notes.value,
                tags: tags.value.split(",").map((x) => x.trim()).filter(Boolean),
                setup: setup.value.trim() || null,
                risk: r,
              });
              msg.hidden = false;
              msg.className = "form-message ok";
              replace(msg, "Saved.");
              await refresh();
              select(saved);
            } catch (e) {
              msg.hidden = false;
              msg.className = "form-message error";
              replace(msg, (e as IpcError).message);
            }
          },
        },
        h("div", { class: "field" }, h("label", { for: "trade-notes" }, "Notes"), notes),
        h("div", { class: "field-grid" }, h("div", { class: "field" }, h("label", { for: "trade-tags" }, "Tags (comma-separated)"), tags), h("div", { class: "field" }, h("label", { for: "trade-setup" }, "Setup"), setup), h("div", { class: "field" }, h("label", { for: "trade-risk" }, "Risk ($, for R)"), risk)),
        msg,
        h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "Save notes")),
      ),
    );
    void drawTradeChart(t, tf, chartBox);
    detail.scrollIntoView?.({ block: "nearest" });
  }

  /** Redraws; `changed`: trades were added, edited or deleted (the P&L tracker starts again). */
  async function refresh(changed = false): Promise<void> {
    try {
      const [list, dash] = await Promise.all([ipc.journalTrades(filter), ipc.journalDashboard(filter)]);
      trades = list;
      renderDashboard(dash);
      renderTrades();
      replace(status, "");
      if (changed || !stopPnl) follow();
    } catch (e) {
      replace(status, h("span", { class: "error" }, (e as IpcError).message));
    }
  }

  const element = h(
    "section",
    { class: "panel-page journal", "data-testid": "journal-view" },
    h("div", { class: "page-head" }, h("h2", {}, "Journal")),
    tracker,
    h(
      "div",
      { class: "card journal-import" },
      h("h3", {}, "Import a broker's export"),
      h(
        "div",
        { class: "import-row" },
        broker,
        account,
        h("label", { class: "file-pick btn" }, "Choose file…", file),
        h("label", { class: "check" }, skipBad, " Import the readable rows even if some cannot be read"),
      ),
      progress,
      status,
      summary,
    ),
    filters,
    statsBox,
    charts,
    insights,
    h(
      "div",
      { class: "card" },
      h("h3", {}, "Trades"),
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "journal-trades" },
          h("thead", {}, h("tr", {}, ["Opened", "Instrument", "Strategy", "Side", "Qty", "Entry", "Exit", "P&L", "Status"].map((c) => h("th", { scope: "col" }, c)))),
          tradesBody,
        ),
      ),
    ),
    detail,
    form.element,
  );
  return {
    element,
    show: () => refresh(),
    hide: () => {
      stopPnl?.();
      stopPnl = null;
    },
  };
}

/** The trade's underlying around the time it was open, entry and exit marked. */
async function drawTradeChart(t: TradeView, tf: Timeframe, box: HTMLElement): Promise<void> {
  const open = Date.parse(t.opened_at);
  const close = t.closed_at ? Date.parse(t.closed_at) : open + 3600_000;
  const pad = Math.max(30 * 60_000, (close - open) * 0.5);
  try {
    const data = await ipc.chartBars({ symbol: t.underlying, timeframe: tf, from_ms: open - pad, to_ms: close + pad });
    const pts: [number, number][] = data.bars.map((b) => [b.time, b.close]);
    if (pts.length < 2) {
      replace(box, h("p", { class: "muted" }, `No ${tf} bars of ${t.underlying} for that time from the market data source.`));
      return;
    }
    replace(
      box,
      lineChart({
        title: `${t.underlying} ${tf} while the trade was open (entry and exit marked)`,
        testId: "journal-trade-chart",
        width: 520,
        height: 160,
        series: [{ name: "close", cls: "equity", points: pts }],
        marks: t.closed_at ? [open, close] : [open],
        xFormat: (x) => new Date(x).toLocaleString(uiLocale, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }),
        yFormat: (y) => y.toFixed(2),
      }),
    );
    const svg = box.querySelector("svg");
    svg?.setAttribute("data-entry", String(open));
    svg?.setAttribute("data-exit", String(close));
  } catch (e) {
    replace(box, h("p", { class: "muted" }, `The chart of the time could not be loaded: ${(e as IpcError).message}`));
  }
}

/** The manual entry form (`trade-form`), with the engine's validation messages; also edits a manual trade. */
function tradeForm(onSave: (t: ManualTrade, editing: number | null) => Promise<void>): { element: HTMLElement; edit(t: TradeView): void } {
  let editing: number | null = null;
  let editingTrade: TradeView | null = null;
  const f = (id: string, label: string, attrs: Record<string, string> = {}) => {
    const el = h("input", { id, name: id, ...attrs });
    return { el, wrap: h("div", { class: "field" }, h("label", { for: id }, label), el) };
  };
  const symbol = f("mt-symbol", "Symbol", { placeholder: "SPY" });
  const kind = h("select", { id: "mt-kind", name: "mt-kind" }, h("option", { value: "stock" }, "Stock"), h("option", { value: "call" }, "Call"), h("option", { value: "put" }, "Put"));
  const strike = f("mt-strike", "Strike", { type: "number", step: "any" });
  const expiration = f("mt-expiration", "Expiration", { type: "date" });
  const side = h("select", { id: "mt-side", name: "mt-side" }, h("option", { value: "long" }, "Long (bought)"), h("option", { value: "short" }, "Short (sold)"));
  const qty = f("mt-qty", "Quantity (shares or contracts)", { type: "number", step: "any", min: "0" });
  const entry = f("mt-entry", "Entry price (per share)", { type: "number", step: "any", min: "0" });
  const opened = f("mt-opened", "Opened (display zone)", { type: "datetime-local" });
  const exit = f("mt-exit", "Exit price (empty while open)", { type: "number", step: "any", min: "0" });
  const closed = f("mt-closed", "Closed (display zone)", { type: "datetime-local" });
  const fees = f("mt-fees", "Fees ($)", { type: "number", step: "any", min: "0", value: "0" });
  const tags = f("mt-tags", "Tags", { placeholder: "breakout, A+" });
  const msg = h("p", { class: "form-message", hidden: true, role: "alert" });
  const heading = h("h3", {}, "Add a trade by hand");
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Add trade");
  const optionFields = h("div", { class: "field-grid" }, strike.wrap, expiration.wrap);
  const sync = () => (optionFields.hidden = kind.value === "stock");
  kind.addEventListener("change", sync);
  sync();
  const iso = (v: string) => (v ? zonedToIso(v, displayZone) : "");
  const num = (v: string) => (v.trim() === "" ? Number.NaN : Number(v));
  const form = h(
    "form",
    {
      class: "card trade-form",
      "data-testid": "trade-form",
      // The form names what is missing or wrong itself, as the engine does.
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const trade: ManualTrade = {
          symbol: symbol.el.value.trim(),
          option: kind.value === "stock" ? null : { kind: kind.value as OptionKind, strike: num(strike.el.value), expiration: expiration.el.value },
          side: side.value as ManualTrade["side"],
          quantity: num(qty.el.value),
          entry_price: num(entry.el.value),
          opened_at: iso(opened.el.value),
          exit_price: exit.el.value.trim() === "" ? null : num(exit.el.value),
          closed_at: closed.el.value ? iso(closed.el.value) : null,
          fees: fees.el.value.trim() === "" ? 0 : num(fees.el.value),
          account: editingTrade?.account ?? null,
          // Editing keeps the trade's notes, setup and risk (edited in its detail).
          notes: editingTrade?.notes ?? "",
          tags: tags.el.value.split(",").map((x) => x.trim()).filter(Boolean),
          setup: editingTrade?.setup ?? null,
          risk: editingTrade?.risk ?? null,
        };
        const skipped = [
          [opened.el.value !== "" && trade.opened_at === "", "Opened"],
          [closed.el.value !== "" && trade.closed_at === "", "Closed"],
        ]
          .filter(([bad]) => bad)
          .map(([, name]) => name);
        if (skipped.length) {
          msg.hidden = false;
          msg.className = "form-message error";
          replace(msg, `${skipped.join(" and ")}: that time does not exist in ${displayZone} (the clocks jump forward then).`);
          return;
        }
        const missing = [
          [trade.symbol === "", "Symbol"],
          [!Number.isFinite(trade.quantity), "Quantity"],
          [!Number.isFinite(trade.entry_price), "Entry price"],
          [trade.opened_at === "", "Opened"],
          [trade.option !== null && !Number.isFinite(trade.option.strike), "Strike"],
          [trade.option !== null && trade.option.expiration === "", "Expiration"],
          [trade.exit_price !== null && !Number.isFinite(trade.exit_price), "Exit price"],
        ]
          .filter(([bad]) => bad)
          .map(([, name]) => name);
        if (missing.length) {
          msg.hidden = false;
          msg.className = "form-message error";
          replace(msg, `Fill in: ${missing.join(", ")}.`);
          return;
        }
        try {
          await onSave(trade, editing);
          msg.hidden = false;
          msg.className = "form-message ok";
          replace(msg, editing === null ? "Trade added." : "Trade saved.");
          (form as HTMLFormElement).reset();
          editing = null;
          editingTrade = null;
          replace(heading, "Add a trade by hand");
          replace(submit, "Add trade");
          sync();
        } catch (e) {
          msg.hidden = false;
          msg.className = "form-message error";
          replace(msg, (e as IpcError).message);
        }
      },
    },
    heading,
    h("div", { class: "field-grid" }, symbol.wrap, h("div", { class: "field" }, h("label", { for: "mt-kind" }, "Instrument"), kind), h("div", { class: "field" }, h("label", { for: "mt-side" }, "Side"), side)),
    optionFields,
    h("div", { class: "field-grid" }, qty.wrap, entry.wrap, opened.wrap),
    h("div", { class: "field-grid" }, exit.wrap, closed.wrap, fees.wrap),
    tags.wrap,
    msg,
    h("div", { class: "form-actions" }, submit),
  );
  const edit = (t: TradeView) => {
    editing = t.id;
    editingTrade = t;
    replace(heading, `Edit trade #${t.id}`);
    replace(submit, "Save trade");
    symbol.el.value = t.underlying;
    kind.value = t.option ? t.option.kind : "stock";
    strike.el.value = t.option ? String(t.option.strike) : "";
    expiration.el.value = t.option?.expiration ?? "";
    side.value = t.side;
    qty.el.value = String(t.quantity);
    entry.el.value = t.entry_price === null ? "" : String(t.entry_price);
    opened.el.value = isoToZoned(t.opened_at, displayZone);
    exit.el.value = t.exit_price === null || t.status === "open" ? "" : String(t.exit_price);
    closed.el.value = t.closed_at ? isoToZoned(t.closed_at, displayZone) : "";
    fees.el.value = String(t.fees);
    tags.el.value = t.tags.join(", ");
    msg.hidden = true;
    sync();
    form.scrollIntoView?.({ block: "nearest" });
  };
  return { element: form, edit };
}
