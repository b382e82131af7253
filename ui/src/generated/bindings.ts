// Generated from the Rust types in crates/coach-engine by `UPDATE_BINDINGS=1 cargo test -p coach-engine bindings`.
// Do not edit by hand: CI fails when this file and the Rust types disagree.

import type { Channel } from "@tauri-apps/api/core";

export type IpcError = { code: ErrorCode, message: string, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type ErrorCode = "invalid_input" | "not_found" | "unavailable" | "database" | "superseded" | "internal";

export type AppStatus = { version: string, market_mode: MarketMode, 
/**
 * "Demo market", "Massive real-time" or "Massive delayed".
 */
market_label: string, connection: ConnectionStatus, 
/**
 * True when the chat runs without a language model.
 */
ai_offline: boolean, 
/**
 * "Offline coach" or the model name.
 */
ai_label: string, 
/**
 * Why the coach is offline, when it is.
 */
ai_detail: string | null, data_dir: string, schema_version: number, secret_backend_warning: string | null, settings_issues: Array<SettingsIssue>, 
/**
 * The demo market's clock when it is not real time (nights, weekends and
 * holidays replay the last session); `None` for real time.
 */
simulated_clock: SimulatedClock | null, };

export type SimulatedClock = { now_ms: number, speed: number, 
/**
 * The session being played, YYYY-MM-DD.
 */
session_date: string, };

export type Startup = { "state": "ready", status: AppStatus, } | { "state": "database_problem", path: string, message: string, 
/**
 * Corrupt files can be moved aside; a database from a newer app cannot be fixed here.
 */
can_move_aside: boolean, } | { "state": "failed", message: string, };

export type SecretInfo = { name: SecretName, label: string, env_var: string, set: boolean, 
/**
 * "env" when an environment variable provides it (it then wins over the stored value).
 */
source: string | null, };

export type SettingsView = { settings: Settings, issues: Array<SettingsIssue>, secrets: Array<SecretInfo>, secret_backend: SecretBackendKind, secret_backend_warning: string | null, };

export type UiErrorReport = { 
/**
 * "error" (window.onerror) or "unhandledrejection".
 */
kind: string, message: string, source: string | null, line: number | null, column: number | null, stack: string | null, };

export type MetricInput = { name: string, value: number, unit: string, };

export type Metric = { ts_ms: number, name: string, value: number, unit: string, attrs: Record<string, unknown>, };

export type ConnectionStatus = { state: ConnectionState, 
/**
 * Human words for the state: why it failed, when the next attempt is.
 */
detail: string | null, 
/**
 * When the state began, unix milliseconds.
 */
since_ms: number, 
/**
 * Reconnect attempts since the last successful connection.
 */
attempt: number, };

export type ConnectionState = "connecting" | "live" | "delayed" | "stale" | "reconnecting" | "failed";

export type MarketMode = "demo" | "massive_realtime" | "massive_delayed";

export type Settings = { market_provider: ProviderChoice, massive_feed: MassiveFeed, 
/**
 * Overrides Massive's REST host (e.g. a proxy); `None` uses the default.
 */
massive_rest_url: string | null, massive_ws_url: string | null, ai_mode: AiChoice, 
/**
 * Any OpenAI-compatible endpoint (Ollama, llama.cpp server, vLLM).
 */
openai_base_url: string | null, model: string, 
/**
 * No data for this long while the market is open marks the feed stale.
 */
stale_after_secs: number, 
/**
 * Seconds between REST reconciliation passes over live bars; 0 turns them off.
 */
reconcile_every_secs: number, 
/**
 * Feature flag AI_COACH_CHART_LIVE_UPDATES: patch the chart from the
 * socket (on), or refresh it over REST every 15 s (off, the rollback path).
 */
chart_live_updates: boolean, 
/**
 * Tool results and cards stream as each tool finishes (off: they arrive
 * with the end of the answer). Env AI_COACH_STREAM_PROGRESSIVE_FUNCTIONS wins.
 */
stream_progressive_functions: boolean, 
/**
 * How long the chat waits for the model's first byte, and between chunks.
 */
chat_timeout_secs: number, 
/**
 * The zone of journal files whose times carry none (IANA name).
 */
journal_import_tz: string, 
/**
 * The zone the journal shows times, days and hours in (IANA name).
 */
journal_display_tz: string, 
/**
 * Fired alerts also show as OS notifications.
 */
alert_os_notifications: boolean, 
/**
 * Fired alerts are POSTed here as JSON (Discord, Telegram, a bot of one's own).
 */
alert_webhook_url: string | null, 
/**
 * Fired alerts are emailed through this SMTP account (its password is
 * the `smtp_password` secret).
 */
alert_email: EmailTarget | null, };

export type SettingsIssue = { key: string, message: string, };

export type ProviderChoice = "auto" | "demo" | "massive";

export type MassiveFeed = "realtime" | "delayed";

export type AiChoice = "auto" | "offline";

export type SecretName = "massive_api_key" | "openai_api_key" | "sentry_dsn" | "smtp_password";

export type SecretBackendKind = "keychain" | "file";

export type DoctorReport = { version: string, data_dir: string, log_dir: string | null, database: DatabaseReport, market_mode: string, ai_mode: string, secret_backend: SecretBackendKind, secret_backend_warning: string | null, 
/**
 * Whether each secret is set, and where from. Never its value.
 */
secrets: Array<SecretInfo>, endpoints: Array<EndpointReport>, settings_issues: Array<SettingsIssue>, };

export type DatabaseReport = { path: string, 
/**
 * `None` when the database could not be opened (see `error`).
 */
schema_version: number | null, supported_schema_version: number, journal_mode: string | null, error: string | null, };

export type EndpointReport = { name: string, url: string, ok: boolean, detail: string, latency_ms: number | null, };

export type ChartQuery = { symbol: string, 
/**
 * 1m, 5m, 15m, 1h or 1d.
 */
timeframe: string, from_ms: number | null, to_ms: number | null, };

export type ChartData = { symbol: Symbol, timeframe: Timeframe, from_ms: number, to_ms: number, bars: Array<Candle>, source: ChartSource, 
/**
 * The request's generation within its slot (0 for slot-less loads).
 */
generation: number, };

export type Candle = { 
/**
 * Bar start, unix milliseconds.
 */
time: number, open: number, high: number, low: number, close: number, volume: number, 
/**
 * Volume-weighted average price when known.
 */
vwap: number | null, 
/**
 * Every minute in it is pre-market or after-hours.
 */
extended: boolean, };

export type ChartSource = "memory" | "database" | "network";

export type ChartOpen = { symbol: string, 
/**
 * 1m, 5m, 15m, 1h or 1d.
 */
timeframe: string, 
/**
 * Indicator specs (`ema:20`, `vwap:bands`, `macd:12:26:9`); empty means [`DEFAULT_INDICATORS`].
 */
indicators: Array<string>, };

export type ChartView = { symbol: Symbol, timeframe: Timeframe, bars: Array<Candle>, source: ChartSource, 
/**
 * The request's generation in its slot; every event of its stream carries it.
 */
generation: number, 
/**
 * Output names, in the order of each row of values.
 */
indicator_keys: Array<string>, 
/**
 * One column per key, aligned with `bars` (`null` while warming up).
 */
indicators: Array<Array<number | null>>, 
/**
 * Older bars that were loaded to warm the indicators up but not sent.
 */
older_bars: number, 
/**
 * True: the forming bar is patched from the socket. False: REST refresh every `refresh_secs`.
 */
live_updates: boolean, refresh_secs: number, };

export type ChartEvent = { "type": "bar", generation: number, bar: Candle, final: boolean, indicators: Array<number | null>, 
/**
 * Wall-clock ms when the engine's chart stream received the update
 * (for tick-to-chart latency).
 */
received_ms: number, } | { "type": "fill", generation: number, bars: Array<Candle>, indicators: Array<Array<number | null>>, } | { "type": "levels", generation: number, report: LevelsReport, } | { "type": "levels_failed", generation: number, message: string, } | { "type": "connection", generation: number, status: ConnectionStatus, };

export type Symbol = string;

export type Timeframe = "1m" | "5m" | "15m" | "1h" | "1d";

export type LegKind = "call" | "put" | "stock";

export type LevelsReport = { symbol: string, 
/**
 * The moment the levels describe (unix ms).
 */
at_ms: number, 
/**
 * The session the levels are for (New York date).
 */
session: string, price: number, 
/**
 * ATR(14) of the daily bars before today.
 */
atr: number | null, 
/**
 * Highest price first.
 */
levels: Array<Level>, };

export type Level = { 
/**
 * Stable machine name: `prior_day_high`, `pivot_classic`, `or15_low`, …
 */
kind: LevelKind, 
/**
 * Short label for the chart: `PDH`, `R1 (classic)`, `OR15 low`.
 */
label: string, price: number, 
/**
 * Signed: positive when the level is above the last price.
 */
distance_pts: number, distance_pct: number, 
/**
 * In multiples of ATR(14) on daily bars; `None` without enough history.
 */
distance_atr: number | null, tests: LevelTests, 
/**
 * 1 + the number of other levels within the confluence band.
 */
strength: number, 
/**
 * The inputs and formula that produced the price.
 */
provenance: string, };

export type LevelTests = { touches: number, rejections: number, breaks: number, };

export type LevelKind = "prior_day_high" | "prior_day_low" | "prior_day_close" | "prior_week_high" | "prior_week_low" | "prior_month_high" | "prior_month_low" | "premarket_high" | "premarket_low" | "or5_high" | "or5_low" | "or15_high" | "or15_low" | "or30_high" | "or30_low" | "pivot_classic" | "pivot_fibonacci" | "pivot_camarilla" | "pivot_woodie" | "vwap" | "vwap_upper_1" | "vwap_upper_2" | "vwap_lower_1" | "vwap_lower_2" | "expected_range_high" | "expected_range_low" | "resistance_zone" | "support_zone";

export type ChatRequest = { 
/**
 * Continue this session; none starts a new one.
 */
session_id: number | null, 
/**
 * May be empty when an image is attached.
 */
prompt: string, 
/**
 * Images stored with `screenshot_put`, by their SHA-256: each is read
 * into positions as part of the answer.
 */
images: Array<string>, };

export type ChatEvent = { "type": "started", session_id: number, user_message_id: number | null, message_id: number, 
/**
 * The model's name, or "Offline coach".
 */
mode: string, } | { "type": "status", phase: Phase, 
/**
 * The tool being called (phase `calling`).
 */
tool: string | null, 
/**
 * For people: "Thinking…", "Calling get_key_levels…".
 */
label: string, } | { "type": "token", text: string, } | { "type": "tool_call", id: string, name: string, 
/**
 * The parsed arguments; the raw text when they are not valid JSON.
 */
arguments: unknown, } | { "type": "tool_result", id: string, name: string, ok: boolean, 
/**
 * What the model was given (an `{"error": …}` object when `ok` is false).
 */
result: unknown, 
/**
 * How long the tool took, milliseconds.
 */
ms: number, } | { "type": "card" } & Card | { "type": "grounding", checked: number, unverified: Array<Unverified>, } | { "type": "done", session_id: number, message_id: number, 
/**
 * `complete` or `cancelled`.
 */
status: MessageStatus, 
/**
 * Time to first token, milliseconds (none when no text came).
 */
ttft_ms: number | null, usage: Usage | null, 
/**
 * Model requests made (tool rounds + the answer).
 */
rounds: number, } | { "type": "error", message: string, 
/**
 * Whether text that had already arrived was saved (as interrupted).
 */
partial_saved: boolean, session_id: number | null, message_id: number | null, };

export type Phase = "thinking" | "calling" | "analyzing" | "writing" | "reading" | "extracting" | "checking";

export type MessageStatus = "streaming" | "complete" | "interrupted" | "cancelled";

export type Card = { title: string, symbol: Symbol | null, timeframe: Timeframe | null, 
/**
 * The tool call that produced it.
 */
tool_call_id: string, } & ({ "card_type": "quote", "data": QuoteCard } | { "card_type": "key_levels", "data": KeyLevelsCard } | { "card_type": "indicators", "data": IndicatorsCard } | { "card_type": "chart", "data": ChartCard } | { "card_type": "market_status", "data": MarketStatusCard } | { "card_type": "options_chain", "data": OptionsChainCard } | { "card_type": "position", "data": PositionCard } | { "card_type": "journal", "data": JournalCard } | { "card_type": "pnl_tracker", "data": PnlTrackerView } | { "card_type": "alert_proposal", "data": AlertProposalCard } | { "card_type": "alert_status", "data": AlertStatusCard } | { "card_type": "screenshot_extraction", "data": ScreenshotExtractionCard } | { "card_type": "screenshot_saved", "data": ScreenshotSavedCard } | { "card_type": "unreadable", "data": UnreadableCard });

export type CardBody = { "card_type": "quote", "data": QuoteCard } | { "card_type": "key_levels", "data": KeyLevelsCard } | { "card_type": "indicators", "data": IndicatorsCard } | { "card_type": "chart", "data": ChartCard } | { "card_type": "market_status", "data": MarketStatusCard } | { "card_type": "options_chain", "data": OptionsChainCard } | { "card_type": "position", "data": PositionCard } | { "card_type": "journal", "data": JournalCard } | { "card_type": "pnl_tracker", "data": PnlTrackerView } | { "card_type": "alert_proposal", "data": AlertProposalCard } | { "card_type": "alert_status", "data": AlertStatusCard } | { "card_type": "screenshot_extraction", "data": ScreenshotExtractionCard } | { "card_type": "screenshot_saved", "data": ScreenshotSavedCard } | { "card_type": "unreadable", "data": UnreadableCard };

export type UnreadableCard = { 
/**
 * The `card_type` it was stored with.
 */
stored_type: string, 
/**
 * Its `data` as stored.
 */
stored: unknown, 
/**
 * Why it does not fit.
 */
reason: string, };

export type QuoteCard = { symbol: string, price: number, previous_close: number | null, change: number | null, change_pct: number | null, bid: number | null, ask: number | null, day_open: number | null, day_high: number | null, day_low: number | null, day_volume: number | null, day_vwap: number | null, 
/**
 * New York time of the last update, for people.
 */
as_of: string, 
/**
 * "Demo market", "Massive (live)", …
 */
source: string, };

export type KeyLevelsCard = { symbol: string, 
/**
 * The session date (YYYY-MM-DD).
 */
session: string, as_of: string, price: number, atr_14_daily: number | null, resistance_nearest_first: Array<LevelLine>, support_nearest_first: Array<LevelLine>, total_levels: number, };

export type LevelLine = { label: string, kind: LevelKind, price: number, 
/**
 * Signed points from the price (positive above).
 */
distance: number, distance_pct: number, distance_atr: number | null, strength: number, touches_today: number, rejections_today: number, breaks_today: number, };

export type IndicatorsCard = { symbol: string, timeframe: Timeframe, 
/**
 * The last completed bar, for people.
 */
bar: string, rsi_zone: string | null, close: number, bars_used: number, values: IndicatorValues, };

export type IndicatorValues = { rsi_14: number | null, macd_12_26_9: number | null, macd_signal_12_26_9: number | null, macd_hist_12_26_9: number | null, sma_20: number | null, sma_50: number | null, ema_20: number | null, atr_14: number | null, bb_upper_20_2: number | null, bb_middle_20_2: number | null, bb_lower_20_2: number | null, vwap: number | null, };

export type ChartCard = { symbol: string, timeframe: Timeframe, opened: boolean, bars: number, last_bar: string, last_open: number, last_high: number, last_low: number, last_close: number, };

export type SessionPhase = "closed" | "pre_market" | "regular" | "after_hours";

export type MarketStatusCard = { now: string, phase: SessionPhase, is_open: boolean, today_is_trading_day: boolean, today_holiday: string | null, today_open: string | null, today_close: string | null, today_early_close: boolean | null, minutes_to_close: number | null, next_open: string, 
/**
 * "Demo market", "Massive (live)", …
 */
market_data: string, };

export type OptionsChainCard = { symbol: string, expiration: string, requested_expiration: string | null, days_to_expiry: number, spot: number, atm_strike: number | null, atm_iv_pct: number | null, expected_move: ExpectedMoveLine | null, near_the_money: Array<StrikeLine>, contracts: number, iv_greeks_computed_locally: number, expirations: Array<string>, assumptions: string, };

export type ExpectedMoveLine = { straddle_strike: number, straddle: number, pct: number, low: number, high: number, };

export type StrikeLine = { strike: number, call: QuoteLine | null, put: QuoteLine | null, };

export type QuoteLine = { bid: number | null, ask: number | null, mid: number | null, iv_pct: number | null, delta: number | null, volume: number | null, open_interest: number | null, };

export type PositionCard = MarketPositionCard | PayoffCard;

export type Unbounded = "unbounded";

export type Money = number | Unbounded;

export type Extreme = { value: number, at_price: number, } | Unbounded;

export type MarketPositionCard = { symbol: string, spot: number, expiry: string | null, days_to_expiry: number, breakevens: Array<number>, max_gain: Money, max_loss: Money, net_debit: number, pnl_now: number, greeks: GreeksLine, probability_of_profit_pct: number | null, leg_ivs_pct: Array<number | null>, assumptions: string, };

export type GreeksLine = { delta: number, gamma: number, theta: number, vega: number, };

export type PayoffCard = { breakevens: Array<number>, max_gain: Extreme, max_loss: Extreme, net_debit: number, legs: number, assumptions: string, };

export type JournalCard = { 
/**
 * "2024-07-01 to 2024-07-31", "all time", …
 */
period: string, from: string | null, to: string | null, underlying: string | null, asset: string | null, strategy: string | null, trades: number, wins: number, losses: number, breakeven: number, win_rate_pct: number | null, profit_factor: number | null, expectancy: number | null, net_pnl: number, fees: number, max_drawdown: number, avg_win: number | null, avg_loss: number | null, largest_win: number | null, largest_loss: number | null, 
/**
 * Trades still open in the filter (not in the figures).
 */
open_trades: number, by: string | null, groups: Array<GroupLine>, 
/**
 * Most recent first.
 */
recent: Array<TradeLine>, 
/**
 * Computed from the trades, each naming its sample size.
 */
patterns: Array<string>, display_tz: string, };

export type AlertProposalCard = { proposal: AlertInput, 
/**
 * "Alert when SPY crosses above 512.40 (PDH), once, on 1m".
 */
summary: string, last_price: number | null, 
/**
 * The line now (a level's current price).
 */
line: number | null, 
/**
 * Always false from the tool: the model cannot save an alert.
 */
saved: boolean, note: string, };

export type AlertStatusCard = { alerts: Array<AlertView>, 
/**
 * Whether the alerts worker runs in this process (its distances are live).
 */
live: boolean, };

export type GroupLine = { name: string, trades: number, win_rate_pct: number | null, net_pnl: number, };

export type TradeLine = { id: number, symbol: string, strategy: string, side: string, status: string, opened_at: string, closed_at: string | null, realized_pnl: number | null, };

export type Usage = { prompt_tokens: number, completion_tokens: number, total_tokens: number, };

export type Unverified = { 
/**
 * As written in the answer, e.g. `$512.40` or `3.5%`.
 */
text: string, value: number, };

export type ToolRecord = { id: string, name: string, arguments: unknown, 
/**
 * The raw argument text the model sent.
 */
raw_arguments: string, result: unknown, ok: boolean | null, ms: number | null, 
/**
 * Which model request asked for it (0 = the first).
 */
round: number, };

export type Role = "user" | "assistant";

export type ChatMessage = { id: number, session_id: number, seq: number, role: Role, content: string, 
/**
 * Images the user attached (stored by content in the data directory).
 * Missing in exports made before images existed.
 */
images: Array<StoredImage>, status: MessageStatus, tools: Array<ToolRecord>, cards: Array<Card>, unverified: Array<Unverified>, 
/**
 * Model, ttft_ms, usage, error text.
 */
meta: unknown, created_ms: number, updated_ms: number, };

export type SessionSummary = { id: number, title: string, created_ms: number, updated_ms: number, message_count: number, };

export type SessionDetail = { session: SessionSummary, messages: Array<ChatMessage>, };

export type SnippetPart = { text: string, hit: boolean, };

export type SearchHit = { session_id: number, session_title: string, message_id: number, role: Role, snippet: Array<SnippetPart>, updated_ms: number, };

export type OptionsChain = { symbol: string, 
/**
 * YYYY-MM-DD.
 */
expiration: string, 
/**
 * Every listed expiration, nearest first.
 */
expirations: Array<string>, spot: number, as_of_ms: number, 
/**
 * Years to the expiration's closing bell.
 */
years: number, rate: number, 
/**
 * The strike nearest the spot.
 */
atm_strike: number | null, expected_move: ExpectedMove | null, 
/**
 * Ascending by strike.
 */
rows: Array<ChainRow>, 
/**
 * How many contracts had IV/Greeks computed here.
 */
computed: number, contracts: number, 
/**
 * Adjusted contracts (not 100 shares) left out.
 */
adjusted_skipped: number, };

export type OptionsTick = { symbol: string, expiration: string, spot: number, 
/**
 * The strike nearest the new spot.
 */
atm_strike: number | null, 
/**
 * Per row, in the chain's order: the call's and the put's delta.
 */
deltas: Array<[number | null, number | null]>, 
/**
 * The socket event's time (unix ms).
 */
event_ms: number, };

export type ChainRow = { strike: number, call: OptionQuote | null, put: OptionQuote | null, };

export type OptionQuote = { 
/**
 * OCC ticker, e.g. `O:SPY240705C00550000`.
 */
ticker: string, bid: number | null, ask: number | null, 
/**
 * (bid + ask) / 2 when both are quoted.
 */
mid: number | null, last: number | null, volume: number | null, open_interest: number | null, 
/**
 * Annualised, 0.25 = 25 %.
 */
iv: number | null, delta: number | null, gamma: number | null, 
/**
 * Per calendar day.
 */
theta: number | null, 
/**
 * Per volatility point.
 */
vega: number | null, 
/**
 * IV and Greeks were computed here because the provider sent none.
 */
computed: boolean, 
/**
 * The price they were computed from: `mid` (bid/ask) or `last` (the last trade).
 */
price_source: string | null, in_the_money: boolean, };

export type ExpectedMove = { strike: number, 
/**
 * Call mid + put mid at `strike`.
 */
straddle: number, 
/**
 * `straddle / spot`, as a fraction.
 */
fraction: number, low: number, high: number, };

export type TermPoint = { expiration: string, days: number, atm_strike: number | null, 
/**
 * The mean of the ATM call's and put's IV.
 */
atm_iv: number | null, };

export type PositionLeg = { kind: LegKind, strike: number | null, 
/**
 * YYYY-MM-DD (options).
 */
expiry: string | null, 
/**
 * Signed: + bought, − sold (contracts, or shares for stock).
 */
quantity: number, 
/**
 * Per share.
 */
entry_price: number, };

export type PositionInput = { name: string, symbol: string, legs: Array<PositionLeg>, };

export type SavedPosition = { id: number, name: string, symbol: string, legs: Array<PositionLeg>, created_ms: number, };

export type WhatIf = { 
/**
 * Underlying price instead of the market's.
 */
spot: number | null, 
/**
 * Value the position this many calendar days from now.
 */
days_forward: number | null, 
/**
 * Add to every leg's IV (0.05 = +5 vol points).
 */
iv_shift: number | null, };

export type CurvePoint = { price: number, pnl: number, };

export type GreeksView = { delta: number, gamma: number, theta: number, vega: number, };

export type PositionAnalysis = { id: number, name: string, symbol: string, expiry: string | null, 
/**
 * The market's spot (before what-ifs).
 */
market_spot: number, 
/**
 * The spot the numbers use.
 */
spot: number, days_to_expiry: number, net_debit: number, 
/**
 * `None` = unbounded.
 */
max_gain: number | null, max_loss: number | null, breakevens: Array<number>, pnl_now: number, greeks: GreeksView, probability_of_profit: number | null, leg_ivs: Array<number | null>, 
/**
 * P&L at expiry and at the what-if date, over ±3 standard deviations.
 */
at_expiry: Array<CurvePoint>, at_date: Array<CurvePoint>, assumptions: string, };

export type PortfolioGreeks = { positions: number, delta: number, gamma: number, theta: number, vega: number, 
/**
 * Σ delta × beta × spot / SPY's spot: the portfolio's delta in SPY shares.
 */
spy_beta_weighted_delta: number, 
/**
 * SPY's price used for the weighting.
 */
spy_spot: number | null, 
/**
 * Per symbol: its beta to SPY (60 daily returns) and its delta.
 */
by_symbol: Array<SymbolExposure>, 
/**
 * Positions that could not be valued, with why.
 */
skipped: Array<string>, };

export type SymbolExposure = { symbol: string, delta: number, beta: number, spot: number, };

export type ImportRequest = { 
/**
 * `None` or "auto": recognised from the file.
 */
broker: string | null, 
/**
 * The account to file it under (default: the file's).
 */
account: string | null, 
/**
 * The zone of times without one (default: the `journal_import_tz` setting).
 */
tz: string | null, 
/**
 * Import the readable rows even when some trade rows cannot be read
 * (those are listed); otherwise any bad row stops the whole file.
 */
skip_bad_rows: boolean, };

export type ImportProgress = { 
/**
 * "reading" or "saving".
 */
stage: string, done: number, total: number, };

export type ImportSummary = { broker: string, 
/**
 * Data rows read.
 */
rows: number, 
/**
 * Executions added.
 */
imported: number, 
/**
 * Executions already in the journal (a re-import or an overlapping file).
 */
duplicates: number, 
/**
 * Rows that are not trades (deposits, interest, …).
 */
skipped: Array<SkippedRow>, 
/**
 * Trade rows that could not be read; with any, nothing was imported
 * unless `skip_bad_rows` was asked.
 */
errors: Array<RowError>, 
/**
 * Trades that gained an execution.
 */
trades_touched: number, 
/**
 * True when nothing was written because of `errors`.
 */
stopped: boolean, warnings: Array<string>, };

export type SkippedRow = { line: number, reason: string, };

export type RowError = { line: number, message: string, };

export type TradeOption = { kind: OptionKind, strike: number, 
/**
 * YYYY-MM-DD.
 */
expiration: string, };

export type TradeFill = { id: number, 
/**
 * RFC 3339, UTC.
 */
time: string, side: Side, quantity: number, price: number, fees: number, kind: ExecKind, };

export type TradeView = { id: number, broker: Broker, account: string, 
/**
 * The ticker for stock, the unpadded OCC symbol for an option.
 */
symbol: string, underlying: string, 
/**
 * "stock" or "option".
 */
asset: string, option: TradeOption | null, side: Direction, quantity: number, 
/**
 * Still open (0 once closed).
 */
open_quantity: number, 
/**
 * Average price per share of the lots still open.
 */
open_price: number | null, 
/**
 * RFC 3339, UTC.
 */
opened_at: string, closed_at: string | null, status: TradeStatus, 
/**
 * Per share.
 */
entry_price: number | null, exit_price: number | null, fees: number, 
/**
 * Dollars net of fees; null while open or when the opening is not in the journal.
 */
realized_pnl: number | null, executions: Array<TradeFill>, 
/**
 * The id of the first leg of the strategy it was opened in, if any.
 */
strategy_id: number | null, 
/**
 * "vertical", "long call", "long stock", …
 */
strategy: string, 
/**
 * Closed with no opening in the journal.
 */
incomplete: boolean, 
/**
 * Trades linked to this one through shared fills (a sale that closed one
 * and opened the next, and so on): deleting one deletes them all.
 */
linked: Array<number>, notes: string, tags: Array<string>, setup: string | null, 
/**
 * Dollars risked, for R-multiples.
 */
risk: number | null, 
/**
 * P&L ÷ risk.
 */
r_multiple: number | null, };

export type TradeFilter = { 
/**
 * YYYY-MM-DD (in the display zone): a closed trade by the day it closed, an open one by the day it opened.
 */
from: string | null, to: string | null, underlying: string | null, account: string | null, 
/**
 * "open" or "closed" (closed includes expired, assigned, exercised).
 */
status: string | null, 
/**
 * A strategy name ("vertical", "long call", …).
 */
strategy: string | null, 
/**
 * "stock" or "option".
 */
asset: string | null, };

export type StatsView = { groups: { [key in string]: Stats }, trades: number, wins: number, losses: number, breakeven: number, 
/**
 * Wins over all trades.
 */
win_rate: number | null, 
/**
 * Wins over wins and losses.
 */
win_rate_excluding_breakeven: number | null, 
/**
 * Gross wins over gross losses (`None` with no losing trade).
 */
profit_factor: number | null, 
/**
 * Net P&L per trade.
 */
expectancy: number | null, avg_win: number | null, 
/**
 * Negative.
 */
avg_loss: number | null, largest_win: number | null, largest_loss: number | null, net_pnl: number, fees: number, 
/**
 * The deepest fall of the equity curve from a peak, in dollars (≥ 0).
 */
max_drawdown: number, 
/**
 * Mean of P&L ÷ risk over the trades with a risk given.
 */
avg_r: number | null, 
/**
 * How many trades had a risk given.
 */
trades_with_risk: number, };

export type DayPnl = { 
/**
 * YYYY-MM-DD in the display zone.
 */
date: string, pnl: number, };

export type Dashboard = { stats: Stats, equity: Array<EquityPoint>, daily: Array<DayPnl>, hour_weekday: Array<HourCell>, 
/**
 * By setup tag, best net P&L first.
 */
setups: Array<[string, Stats]>, by_strategy: Array<[string, Stats]>, patterns: Array<Pattern>, 
/**
 * Open trades (unrealised P&L is the P&L tracker's, from the socket).
 */
open_trades: number, 
/**
 * The zone days and hours are in.
 */
display_tz: string, };

export type PnlTrackerView = { 
/**
 * RFC 3339 UTC of the market's clock.
 */
as_of: string, display_tz: string, 
/**
 * Trades closed today (display zone), net of fees.
 */
today_realized: number, today_trades: number, 
/**
 * Since Monday.
 */
week_realized: number, week_trades: number, 
/**
 * The last ten days' realized P&L, oldest first (0 on days without a close).
 */
sparkline: Array<DayPnl>, open: Array<OpenLine>, 
/**
 * Sum of the open trades that could be marked.
 */
unrealized: number, 
/**
 * Open trades without a mark.
 */
unpriced: number, 
/**
 * The follow that sent it (0 for a snapshot): what `pnl_tracker_unfollow` ends.
 */
follow_id: number, };

export type OpenLine = { id: number, symbol: string, underlying: string, side: Direction, 
/**
 * Contracts or shares still open.
 */
quantity: number, 
/**
 * Average price per share of the open lots.
 */
entry_price: number | null, 
/**
 * Per share; `None` when the market has no price for it.
 */
mark: number | null, 
/**
 * Dollars.
 */
unrealized: number | null, 
/**
 * Where the mark came from: "last trade", "chain mid", "repriced at 512.40 (IV 18.2 %)".
 */
source: string, };

export type ManualTrade = { 
/**
 * Ticker of the stock or of the option's underlying.
 */
symbol: string, 
/**
 * Absent for stock.
 */
option: TradeOption | null, side: Direction, quantity: number, entry_price: number, 
/**
 * RFC 3339.
 */
opened_at: string, exit_price: number | null, closed_at: string | null, fees: number, account: string | null, notes: string, tags: Array<string>, setup: string | null, risk: number | null, };

export type TradeNotes = { notes: string, tags: Array<string>, setup: string | null, risk: number | null, };

export type Broker = "tastytrade" | "thinkorswim" | "ibkr" | "robinhood" | "schwab" | "fidelity" | "webull" | "manual";

export type OptionKind = "call" | "put";

export type Side = "buy" | "sell";

export type ExecKind = "trade" | "expiration" | "assignment" | "exercise";

export type Direction = "long" | "short";

export type TradeStatus = "open" | "closed" | "expired" | "assigned" | "exercised";

export type Stats = { trades: number, wins: number, losses: number, breakeven: number, 
/**
 * Wins over all trades.
 */
win_rate: number | null, 
/**
 * Wins over wins and losses.
 */
win_rate_excluding_breakeven: number | null, 
/**
 * Gross wins over gross losses (`None` with no losing trade).
 */
profit_factor: number | null, 
/**
 * Net P&L per trade.
 */
expectancy: number | null, avg_win: number | null, 
/**
 * Negative.
 */
avg_loss: number | null, largest_win: number | null, largest_loss: number | null, net_pnl: number, fees: number, 
/**
 * The deepest fall of the equity curve from a peak, in dollars (≥ 0).
 */
max_drawdown: number, 
/**
 * Mean of P&L ÷ risk over the trades with a risk given.
 */
avg_r: number | null, 
/**
 * How many trades had a risk given.
 */
trades_with_risk: number, };

export type EquityPoint = { time: string, 
/**
 * Cumulative net P&L.
 */
equity: number, 
/**
 * Below the highest equity so far (≥ 0), the start (0) counting as a peak.
 */
drawdown: number, };

export type HourCell = { 
/**
 * 0 = Monday.
 */
weekday: number, hour: number, pnl: number, trades: number, };

export type Pattern = { 
/**
 * E.g. "Your 0DTE trades opened after 14:00 lost 70 % of the time over 41 trades (net −$1,234.00)."
 */
text: string, trades: number, win_rate: number, net_pnl: number, };

export type AlertInput = { symbol: string, condition: Condition, 
/**
 * The line; a channel's low; the percentage of a move.
 */
price: number | null, 
/**
 * A channel's high.
 */
price2: number | null, 
/**
 * A level that moves with the market instead of a fixed price.
 */
level: LevelKind | null, 
/**
 * Which level of that kind (its label on the level sheet, e.g. "PDH");
 * without one, the level of that kind nearest the price when it is set.
 */
level_label: string | null, trigger: Trigger, timeframe: Timeframe, 
/**
 * With `every`: seconds between firings at least.
 */
cooldown_secs: number, 
/**
 * `None`: a quarter of ATR(14) of the timeframe.
 */
rearm: Rearm | null, 
/**
 * RFC 3339; `None` is open-ended.
 */
expires_at: string | null, note: string, 
/**
 * Where it came from when not typed in: `proposal:<tool call id>` for a
 * coach's proposal the user confirmed.
 */
origin: string | null, };

export type AlertView = { id: number, symbol: string, condition: Condition, price: number | null, price2: number | null, level: LevelKind | null, level_label: string | null, trigger: Trigger, timeframe: Timeframe, cooldown_secs: number, rearm: Rearm | null, note: string, origin: string | null, state: AlertStateName, 
/**
 * RFC 3339 UTC.
 */
created_at: string, expires_at: string | null, fires: number, last_fired_at: string | null, 
/**
 * The last price the worker saw for the symbol.
 */
last_price: number | null, 
/**
 * The trigger line now (a level's current price; the nearer edge of a channel).
 */
line: number | null, 
/**
 * Signed points from the last price to the line (positive: the line is above).
 */
distance: number | null, distance_pct: number | null, 
/**
 * In words: "0.42 below the line (0.08 %)", "re-arms at 511.90".
 */
status_text: string, };

export type AlertStateName = "armed" | "fired" | "rearming" | "expired" | "paused";

export type AlertEvent = { id: number, alert_id: number, symbol: string, condition: Condition, 
/**
 * The line at that moment (none for a move).
 */
trigger_price: number | null, 
/**
 * The tick that crossed.
 */
price: number, 
/**
 * That tick's time, RFC 3339 UTC.
 */
at: string, at_ms: number, message: string, context: AlertContext, 
/**
 * Found on start: it would have fired while the app was closed.
 */
missed: boolean, deliveries: Array<DeliveryView>, };

export type AlertContext = { 
/**
 * "crossed above 512.40 at 512.43".
 */
reason: string, level_label: string | null, 
/**
 * How the level was computed.
 */
provenance: string | null, 
/**
 * The next level in the direction price went.
 */
next_level: NextLevel | null, 
/**
 * Today's tests of the level.
 */
tests_today: LevelTests | null, 
/**
 * The bar's volume against the average of the 20 minutes before it.
 */
relative_volume: number | null, 
/**
 * Seen on a minute bar (backfilled after a drop, or replayed on start),
 * so the time is the minute's, not a trade's.
 */
from_bar: boolean, };

export type NextLevel = { label: string, price: number, 
/**
 * Signed points from the firing price.
 */
distance: number, };

export type DeliveryChannel = "in_app" | "os" | "webhook" | "email";

export type DeliveryStatus = "pending" | "delivered" | "failed";

export type DeliveryView = { channel: DeliveryChannel, status: DeliveryStatus, attempts: number, 
/**
 * The last attempt's result ("HTTP 204 from hooks.example", "451 try later").
 */
detail: string, };

export type DeliveryAttempt = { event_id: number, channel: DeliveryChannel, attempt: number, at: string, ok: boolean, detail: string, };

export type AlertFeed = { "kind": "alerts", alerts: Array<AlertView>, } | { "kind": "fired", event: AlertEvent, } | { "kind": "history" };

export type Condition = "crosses_above" | "crosses_below" | "crosses" | "above" | "below" | "enters" | "exits" | "moves_up" | "moves_down";

export type Trigger = "once" | "once_per_bar" | "once_per_bar_close" | "every";

export type Rearm = { "unit": "points", "value": number } | { "unit": "percent", "value": number };

export type EmailTarget = { host: string, port: number, security: SmtpSecurity, 
/**
 * Log in with this name (and the stored password); `None` sends without logging in.
 */
username: string | null, 
/**
 * The sender, `alerts@example.com` or `AI Coach <alerts@example.com>`.
 */
from: string, to: Array<string>, };

export type SmtpSecurity = "none" | "start_tls" | "tls";

export type NotificationState = "granted" | "denied" | "prompt" | "off";

export type NotificationPermission = { state: NotificationState, 
/**
 * What to tell the trader: "OS notifications are on", or how to allow them.
 */
message: string, };

export type StoredImage = { 
/**
 * Lower-case hex SHA-256 of the bytes: the image's name.
 */
sha256: string, kind: ImageKind, bytes: number, width: number | null, height: number | null, };

export type ImageKind = "png" | "jpeg" | "webp";

export type ScreenshotExtractionCard = { image: StoredImage, 
/**
 * "ocr" (Tesseract, on this device) or "vision" (the model).
 */
reader: string, 
/**
 * For people: "Read on this device by Tesseract OCR".
 */
reader_label: string, 
/**
 * tastytrade, thinkorswim, ibkr, robinhood, webull or unknown.
 */
broker: string, positions: Array<ExtractedPosition>, warnings: Array<string>, totals: Totals | null, 
/**
 * Fields below this confidence are highlighted for checking.
 */
low_confidence: number, 
/**
 * What the user confirmed and where it was saved.
 */
confirmed: ScreenshotConfirmation | null, note: string, };

export type ScreenshotSavedCard = { positions: Array<SavedPosition>, 
/**
 * The answer whose extraction card was confirmed.
 */
from_message_id: number, };

export type ScreenshotConfirmation = { rows: Array<ConfirmedRow>, position_ids: number[], at_ms: number, 
/**
 * The message that says what was saved.
 */
message_id: number, };

export type ConfirmedRow = { underlying: string, kind: PositionKind, 
/**
 * None for stock.
 */
strike: number | null, 
/**
 * YYYY-MM-DD; none for stock.
 */
expiration: string | null, 
/**
 * Signed: negative for short.
 */
quantity: number, 
/**
 * Average price per share.
 */
price: number, };

export type ScreenshotConfirmed = { positions: Array<SavedPosition>, 
/**
 * The extraction card, now confirmed.
 */
card: Card, 
/**
 * The two messages appended to the session: the user's confirmation
 * and the coach's receipt.
 */
messages: Array<ChatMessage>, };

export type ExtractedPosition = { 
/**
 * The OCC symbol of an option, the ticker of a stock.
 */
symbol: string, underlying: string | null, kind: PositionKind | null, strike: number | null, 
/**
 * YYYY-MM-DD.
 */
expiration: string | null, 
/**
 * Signed: negative for short.
 */
quantity: number | null, 
/**
 * Average price per share.
 */
price: number | null, confidence: FieldConfidence, 
/**
 * What the checks against the market found, each raising or lowering
 * one field's confidence (empty until checked).
 */
checks?: Array<Check>, };

export type FieldConfidence = { underlying: number, kind: number, strike: number, expiration: number, quantity: number, price: number, };

export type PositionKind = "call" | "put" | "stock";

export type Check = { 
/**
 * underlying, kind, strike, expiration, quantity or price.
 */
field: string, 
/**
 * Whether the field agreed (its confidence was raised) or not (lowered).
 */
passed: boolean, 
/**
 * For people: "2024-08-16 is a listed AAPL expiration".
 */
reason: string, };

export type Totals = { 
/**
 * The number in the quantity column of the total row.
 */
quantity: number | null, 
/**
 * Its OCR confidence, 0..1.
 */
confidence: number, };

/** Every command the app registers; `invoke` takes no other name. */
export type Command = "startup_state" | "get_status" | "doctor" | "get_settings" | "save_settings" | "set_secret" | "clear_secret" | "move_database_aside" | "report_ui_error" | "record_metric" | "record_metrics" | "recent_metrics" | "chart_open" | "chart_close" | "chart_bars" | "chat_send" | "chat_continue" | "chat_cancel" | "chat_sessions" | "chat_session" | "chat_rename" | "chat_delete" | "chat_search" | "options_chain" | "options_follow" | "options_unfollow" | "options_term_structure" | "positions_list" | "position_save" | "position_delete" | "position_analyze" | "portfolio_greeks" | "journal_import" | "journal_trades" | "journal_dashboard" | "journal_set_notes" | "journal_add" | "journal_edit" | "journal_delete" | "pnl_tracker_follow" | "pnl_tracker_unfollow" | "alerts_list" | "alerts_create" | "alerts_update" | "alerts_pause" | "alerts_delete" | "alerts_history" | "alerts_attempts" | "alerts_watch" | "alerts_notifications" | "screenshot_put" | "screenshot_image" | "screenshot_confirm";

/** Each command's arguments, as `invoke` sends them. */
export type CommandArgs = {
  startup_state: {};
  get_status: {};
  doctor: {};
  get_settings: {};
  save_settings: { patch: { [key in string]: JsonValue } };
  set_secret: { name: SecretName; value: string };
  clear_secret: { name: SecretName };
  move_database_aside: {};
  report_ui_error: { report: UiErrorReport };
  record_metric: { metric: MetricInput };
  record_metrics: { metrics: Array<MetricInput> };
  recent_metrics: { name: string; limit: number };
  chart_open: { slot: string; request: ChartOpen; onEvent: Channel<ChartEvent> };
  chart_close: { slot: string };
  chart_bars: { query: ChartQuery };
  chat_send: { request: ChatRequest; onEvent: Channel<ChatEvent> };
  chat_continue: { messageId: number; onEvent: Channel<ChatEvent> };
  chat_cancel: { sessionId: number };
  chat_sessions: { limit: number };
  chat_session: { id: number };
  chat_rename: { id: number; title: string };
  chat_delete: { id: number };
  chat_search: { text: string; limit: number };
  options_chain: { symbol: string; expiration: string | null };
  options_follow: { symbol: string; expiration: string | null; onEvent: Channel<OptionsTick> };
  options_unfollow: {};
  options_term_structure: { symbol: string };
  positions_list: {};
  position_save: { position: PositionInput };
  position_delete: { id: number };
  position_analyze: { id: number; whatIf: WhatIf };
  portfolio_greeks: {};
  journal_import: { text: string; fileName: string; request: ImportRequest; onEvent: Channel<ImportProgress> };
  journal_trades: { filter: TradeFilter };
  journal_dashboard: { filter: TradeFilter };
  journal_set_notes: { id: number; notes: TradeNotes };
  journal_add: { trade: ManualTrade };
  journal_edit: { id: number; trade: ManualTrade };
  journal_delete: { id: number };
  pnl_tracker_follow: { onEvent: Channel<PnlTrackerView> };
  pnl_tracker_unfollow: { followId: number };
  alerts_list: {};
  alerts_create: { alert: AlertInput };
  alerts_update: { id: number; alert: AlertInput };
  alerts_pause: { id: number; paused: boolean };
  alerts_delete: { id: number };
  alerts_history: { limit: number };
  alerts_attempts: { eventId: number };
  alerts_watch: { onEvent: Channel<AlertFeed> };
  alerts_notifications: { request: boolean };
  screenshot_put: { data: string };
  screenshot_image: { sha256: string };
  screenshot_confirm: { messageId: number; toolCallId: string; rows: Array<ConfirmedRow> };
};

/** What each command answers. */
export type CommandResult = {
  startup_state: Startup;
  get_status: AppStatus;
  doctor: DoctorReport;
  get_settings: SettingsView;
  save_settings: SettingsView;
  set_secret: SettingsView;
  clear_secret: SettingsView;
  move_database_aside: Startup;
  report_ui_error: null;
  record_metric: null;
  record_metrics: null;
  recent_metrics: Array<Metric>;
  chart_open: ChartView;
  chart_close: boolean;
  chart_bars: ChartData;
  chat_send: ChatEvent;
  chat_continue: ChatEvent;
  chat_cancel: boolean;
  chat_sessions: Array<SessionSummary>;
  chat_session: SessionDetail;
  chat_rename: null;
  chat_delete: null;
  chat_search: Array<SearchHit>;
  options_chain: OptionsChain;
  options_follow: OptionsChain;
  options_unfollow: null;
  options_term_structure: Array<TermPoint>;
  positions_list: Array<SavedPosition>;
  position_save: number;
  position_delete: null;
  position_analyze: PositionAnalysis;
  portfolio_greeks: PortfolioGreeks;
  journal_import: ImportSummary;
  journal_trades: Array<TradeView>;
  journal_dashboard: Dashboard;
  journal_set_notes: TradeView;
  journal_add: TradeView;
  journal_edit: TradeView;
  journal_delete: Array<number>;
  pnl_tracker_follow: PnlTrackerView;
  pnl_tracker_unfollow: null;
  alerts_list: Array<AlertView>;
  alerts_create: AlertView;
  alerts_update: AlertView;
  alerts_pause: AlertView;
  alerts_delete: null;
  alerts_history: Array<AlertEvent>;
  alerts_attempts: Array<DeliveryAttempt>;
  alerts_watch: Array<AlertView>;
  alerts_notifications: NotificationPermission;
  screenshot_put: StoredImage;
  screenshot_image: string;
  screenshot_confirm: ScreenshotConfirmed;
};
