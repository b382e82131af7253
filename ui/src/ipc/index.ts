// The only place the UI talks to the Rust backend. Every command is typed with
// the generated bindings; every failure becomes an IpcError {code, message}.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AppStatus,
  ChartData,
  ChartEvent,
  ChartOpen,
  ChartQuery,
  ChartView,
  ChatEvent,
  ChatRequest,
  ConnectionStatus,
  DoctorReport,
  IpcError,
  Metric,
  MetricInput,
  OptionsChain,
  OptionsTick,
  PortfolioGreeks,
  PositionAnalysis,
  PositionInput,
  SavedPosition,
  TermPoint,
  WhatIf,
  SearchHit,
  SessionDetail,
  SessionSummary,
  SecretName,
  SettingsView,
  Startup,
  UiErrorReport,
  ErrorCode,
  Command,
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

async function call<T>(cmd: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toIpcError(e);
  }
}

export const ipc = {
  startupState: () => call<Startup>("startup_state"),
  getStatus: () => call<AppStatus>("get_status"),
  doctor: () => call<DoctorReport>("doctor"),
  getSettings: () => call<SettingsView>("get_settings"),
  saveSettings: (patch: Record<string, unknown>) => call<SettingsView>("save_settings", { patch }),
  setSecret: (name: SecretName, value: string) => call<SettingsView>("set_secret", { name, value }),
  clearSecret: (name: SecretName) => call<SettingsView>("clear_secret", { name }),
  moveDatabaseAside: () => call<Startup>("move_database_aside"),
  reportUiError: (report: UiErrorReport) => call<null>("report_ui_error", { report }),
  recordMetric: (metric: MetricInput) => call<null>("record_metric", { metric }),
  recordMetrics: (metrics: MetricInput[]) => call<null>("record_metrics", { metrics }),
  recentMetrics: (name: string, limit: number) => call<Metric[]>("recent_metrics", { name, limit }),
  /** Opens the chart of `slot`; its live events arrive through `onEvent` (possibly before this resolves). */
  chartOpen: (slot: string, request: ChartOpen, onEvent: (e: ChartEvent) => void) => {
    const channel = new Channel<ChartEvent>();
    channel.onmessage = onEvent;
    return call<ChartView>("chart_open", { slot, request, onEvent: channel });
  },
  chartClose: (slot: string) => call<boolean>("chart_close", { slot }),
  chartBars: (query: ChartQuery) => call<ChartData>("chart_bars", { query }),
  /** Asks the coach; events stream through `onEvent`; resolves with the last one (done or error). */
  chatSend: (request: ChatRequest, onEvent: (e: ChatEvent) => void) => {
    const channel = new Channel<ChatEvent>();
    channel.onmessage = onEvent;
    return call<ChatEvent>("chat_send", { request, onEvent: channel });
  },
  chatContinue: (messageId: number, onEvent: (e: ChatEvent) => void) => {
    const channel = new Channel<ChatEvent>();
    channel.onmessage = onEvent;
    return call<ChatEvent>("chat_continue", { messageId, onEvent: channel });
  },
  chatCancel: (sessionId: number) => call<boolean>("chat_cancel", { sessionId }),
  chatSessions: (limit: number) => call<SessionSummary[]>("chat_sessions", { limit }),
  chatSession: (id: number) => call<SessionDetail>("chat_session", { id }),
  chatRename: (id: number, title: string) => call<null>("chat_rename", { id, title }),
  chatDelete: (id: number) => call<null>("chat_delete", { id }),
  chatSearch: (text: string, limit: number) => call<SearchHit[]>("chat_search", { text, limit }),
  optionsChain: (symbol: string, expiration: string | null) => call<OptionsChain>("options_chain", { symbol, expiration }),
  /** The chain, then live repricings at the socket's price through `onTick` (the newest follow wins). */
  optionsFollow: (symbol: string, expiration: string | null, onTick: (t: OptionsTick) => void) => {
    const channel = new Channel<OptionsTick>();
    channel.onmessage = onTick;
    return call<OptionsChain>("options_follow", { symbol, expiration, onEvent: channel });
  },
  optionsUnfollow: () => call<null>("options_unfollow"),
  optionsTermStructure: (symbol: string) => call<TermPoint[]>("options_term_structure", { symbol }),
  positionsList: () => call<SavedPosition[]>("positions_list"),
  positionSave: (position: PositionInput) => call<number>("position_save", { position }),
  positionDelete: (id: number) => call<null>("position_delete", { id }),
  positionAnalyze: (id: number, whatIf: WhatIf) => call<PositionAnalysis>("position_analyze", { id, whatIf }),
  portfolioGreeks: () => call<PortfolioGreeks>("portfolio_greeks"),
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
