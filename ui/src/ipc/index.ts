// The only place the UI talks to the Rust backend. Every command is typed with
// the generated bindings; every failure becomes an IpcError {code, message}.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  ChartEvent,
  ChartOpen,
  ChartQuery,
  ChatEvent,
  ChatRequest,
  ConnectionStatus,
  IpcError,
  MetricInput,
  OptionsTick,
  PositionInput,
  WhatIf,
  SecretName,
  Startup,
  UiErrorReport,
  ErrorCode,
  Command,
  CommandArgs,
  ImportProgress,
  ImportRequest,
  ManualTrade,
  PnlTrackerView,
  TradeFilter,
  TradeNotes,
  CommandResult,
  AlertFeed,
  AlertInput,
  ConfirmedRow,
} from "../generated/bindings";

export type { ErrorCode, IpcError };

/** Every code the engine sends; the type check fails when one is missing or unknown. */
const ERROR_CODES = [
  "invalid_input",
  "not_found",
  "unavailable",
  "database",
  "superseded",
  "internal",
] as const satisfies readonly ErrorCode[];
type Unlisted = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const everyCodeListed: Unlisted extends never ? true : never = true;
void everyCodeListed;

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}

/** Turns whatever a rejected invoke gives us into an IpcError. */
export function toIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    // A code this UI does not know is a bug on one side: say so, keep the message.
    return { code: isErrorCode(code) ? code : "internal", message: String(message) };
  }
  if (e instanceof Error) return { code: "internal", message: e.message };
  return { code: "internal", message: typeof e === "string" ? e : "Unknown error" };
}

/** A command's arguments: none for commands that take none, else exactly the table's. */
type ArgsOf<C extends Command> = {} extends CommandArgs[C] ? [] : [args: CommandArgs[C]];

/** A channel whose messages go to `onMessage`. */
function channelOf<T>(onMessage: (m: T) => void): Channel<T> {
  const channel = new Channel<T>();
  channel.onmessage = onMessage;
  return channel;
}

async function call<C extends Command>(cmd: C, ...args: ArgsOf<C>): Promise<CommandResult[C]> {
  try {
    const [payload] = args as [CommandArgs[C]?];
    return await invoke<CommandResult[C]>(cmd, payload);
  } catch (e) {
    throw toIpcError(e);
  }
}

export const ipc = {
  startupState: () => call("startup_state"),
  getStatus: () => call("get_status"),
  doctor: () => call("doctor"),
  getSettings: () => call("get_settings"),
  saveSettings: (patch: CommandArgs["save_settings"]["patch"]) => call("save_settings", { patch }),
  setSecret: (name: SecretName, value: string) => call("set_secret", { name, value }),
  clearSecret: (name: SecretName) => call("clear_secret", { name }),
  moveDatabaseAside: () => call("move_database_aside"),
  reportUiError: (report: UiErrorReport) => call("report_ui_error", { report }),
  recordMetric: (metric: MetricInput) => call("record_metric", { metric }),
  recordMetrics: (metrics: MetricInput[]) => call("record_metrics", { metrics }),
  recentMetrics: (name: string, limit: number) => call("recent_metrics", { name, limit }),
  /** Opens the chart of `slot`; its live events arrive through `onEvent` (possibly before this resolves). */
  chartOpen: (slot: string, request: ChartOpen, onEvent: (e: ChartEvent) => void) =>
    call("chart_open", { slot, request, onEvent: channelOf<ChartEvent>(onEvent) }),
  chartClose: (slot: string) => call("chart_close", { slot }),
  chartBars: (query: ChartQuery) => call("chart_bars", { query }),
  /** Asks the coach; events stream through `onEvent`; resolves with the last one (done or error). */
  chatSend: (request: ChatRequest, onEvent: (e: ChatEvent) => void) =>
    call("chat_send", { request, onEvent: channelOf<ChatEvent>(onEvent) }),
  chatContinue: (messageId: number, onEvent: (e: ChatEvent) => void) =>
    call("chat_continue", { messageId, onEvent: channelOf<ChatEvent>(onEvent) }),
  chatCancel: (sessionId: number) => call("chat_cancel", { sessionId }),
  chatSessions: (limit: number) => call("chat_sessions", { limit }),
  chatSession: (id: number) => call("chat_session", { id }),
  chatRename: (id: number, title: string) => call("chat_rename", { id, title }),
  chatDelete: (id: number) => call("chat_delete", { id }),
  chatSearch: (text: string, limit: number) => call("chat_search", { text, limit }),
  optionsChain: (symbol: string, expiration: string | null) => call("options_chain", { symbol, expiration }),
  /** The chain, then live repricings at the socket's price through `onTick` (the newest follow wins). */
  optionsFollow: (symbol: string, expiration: string | null, onTick: (t: OptionsTick) => void) =>
    call("options_follow", { symbol, expiration, onEvent: channelOf<OptionsTick>(onTick) }),
  optionsUnfollow: () => call("options_unfollow"),
  optionsTermStructure: (symbol: string) => call("options_term_structure", { symbol }),
  positionsList: () => call("positions_list"),
  positionSave: (position: PositionInput) => call("position_save", { position }),
  positionDelete: (id: number) => call("position_delete", { id }),
  positionAnalyze: (id: number, whatIf: WhatIf) => call("position_analyze", { id, whatIf }),
  portfolioGreeks: () => call("portfolio_greeks"),
  /** Imports a broker file's text; `onProgress` hears "reading" then "saving" steps. */
  journalImport: (text: string, fileName: string, request: ImportRequest, onProgress: (p: ImportProgress) => void) =>
    call("journal_import", { text, fileName, request, onEvent: channelOf<ImportProgress>(onProgress) }),
  journalTrades: (filter: TradeFilter) => call("journal_trades", { filter }),
  journalDashboard: (filter: TradeFilter) => call("journal_dashboard", { filter }),
  journalSetNotes: (id: number, notes: TradeNotes) => call("journal_set_notes", { id, notes }),
  journalAdd: (trade: ManualTrade) => call("journal_add", { trade }),
  journalEdit: (id: number, trade: ManualTrade) => call("journal_edit", { id, trade }),
  journalDelete: (id: number) => call("journal_delete", { id }),
  /** The P&L tracker, then live updates through `onUpdate` (the newest follow wins). */
  pnlFollow: (onUpdate: (v: PnlTrackerView) => void) =>
    call("pnl_tracker_follow", { onEvent: channelOf<PnlTrackerView>(onUpdate) }),
  pnlUnfollow: (followId: number) => call("pnl_tracker_unfollow", { followId }),
  alertsList: () => call("alerts_list"),
  alertsCreate: (alert: AlertInput) => call("alerts_create", { alert }),
  alertsUpdate: (id: number, alert: AlertInput) => call("alerts_update", { id, alert }),
  alertsPause: (id: number, paused: boolean) => call("alerts_pause", { id, paused }),
  alertsDelete: (id: number) => call("alerts_delete", { id }),
  alertsHistory: (limit: number) => call("alerts_history", { limit }),
  alertsAttempts: (eventId: number) => call("alerts_attempts", { eventId }),
  /** The app-wide alerts follow (a new call replaces the old): the list, then feed messages through `onEvent`. */
  alertsWatch: (onEvent: (f: AlertFeed) => void) =>
    call("alerts_watch", { onEvent: channelOf<AlertFeed>(onEvent) }),
  /** Where OS notifications stand; `request` asks the OS for permission (once). */
  alertsNotifications: (request: boolean) => call("alerts_notifications", { request }),
  /** Stores an attached image (base64 or a data: URL); the same image twice is stored once. */
  screenshotPut: (data: string) => call("screenshot_put", { data }),
  /** A stored image as a data: URL. */
  screenshotImage: (sha256: string) => call("screenshot_image", { sha256 }),
  /** Saves a screenshot's positions as the user confirmed them. */
  screenshotConfirm: (messageId: number, toolCallId: string, rows: ConfirmedRow[]) =>
    call("screenshot_confirm", { messageId, toolCallId, rows }),
};

export const events = {
  marketStatus: (cb: (s: ConnectionStatus) => void): Promise<UnlistenFn> =>
    listen<ConnectionStatus>("market://status", (e) => cb(e.payload)),
  startup: (cb: (s: Startup) => void): Promise<UnlistenFn> =>
    listen<Startup>("app://startup", (e) => cb(e.payload)),
};

/** Forwards uncaught errors and unhandled rejections to the backend log (and Sentry). */
export function installErrorForwarding(target: Window = window): void {
  const send = (report: UiErrorReport) => {
    ipc.reportUiError(report).catch(() => {
      /* the backend is gone; nothing more to do */
    });
  };
  target.addEventListener("error", (ev: ErrorEvent) => {
    send({
      kind: "error",
      message: ev.message || String(ev.error ?? "unknown error"),
      source: ev.filename || null,
      line: ev.lineno || null,
      column: ev.colno || null,
      stack: ev.error instanceof Error ? (ev.error.stack ?? null) : null,
    });
  });
  target.addEventListener("unhandledrejection", (ev: PromiseRejectionEvent) => {
    const r = ev.reason;
    send({
      kind: "unhandledrejection",
      message: r instanceof Error ? r.message : toIpcError(r).message,
      source: null,
      line: null,
      column: null,
      stack: r instanceof Error ? (r.stack ?? null) : null,
    });
  });
}
