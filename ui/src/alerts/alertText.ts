// Words and small sums for price alerts: a rule in words, the field a
// backend error names, datetime-local ↔ RFC 3339 (New York time, like the
// journal) and the chart's drag arithmetic. Pure: tested in alertText.test.ts.

import type { AlertInput, AlertView, Condition, LevelKind, Trigger } from "../generated/bindings";
import { isoToZoned, zonedToIso } from "../journal/journalView";

/** The zone the alerts form reads and shows times in (the market's). */
export const ALERT_ZONE = "America/New_York";

export const CONDITIONS: [Condition, string][] = [
  ["crosses_above", "crosses above"],
  ["crosses_below", "crosses below"],
  ["crosses", "crosses"],
  ["above", "is above"],
  ["below", "is below"],
  ["enters", "enters the channel"],
  ["exits", "exits the channel"],
  ["moves_up", "moves up"],
  ["moves_down", "moves down"],
];

export const TRIGGERS: [Trigger, string][] = [
  ["once", "Once"],
  ["once_per_bar", "Once per bar"],
  ["once_per_bar_close", "Once per bar, on close"],
  ["every", "Every time (with a cooldown)"],
];

/** A new alert's values before the trader changes any. */
export const BLANK: AlertInput = {
  symbol: "SPY",
  condition: "crosses_above",
  price: null,
  price2: null,
  level: null,
  level_label: null,
  trigger: "once",
  timeframe: "1m",
  cooldown_secs: 0,
  rearm: null,
  expires_at: null,
  note: "",
  origin: null,
};

const conditionWords = (c: Condition) => CONDITIONS.find(([k]) => k === c)![1];

/** A level kind in words: `prior_day_high` → "prior day high". */
export const kindWords = (k: LevelKind) => k.replace(/_/g, " ");

const price = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? "?" : v.toFixed(2));

type Rule = Pick<AlertInput, "condition" | "price" | "price2" | "level" | "level_label" | "trigger" | "timeframe" | "cooldown_secs">;

/** What the alert waits for: "crosses above 512.40", "crosses below PDH (511.90)", "enters 510.00 – 512.00". */
export function targetText(a: Rule, line: number | null = null): string {
  const words = conditionWords(a.condition);
  if (a.condition === "moves_up" || a.condition === "moves_down") return `${words} ${price(a.price)} % within ${a.timeframe}`;
  if (a.condition === "enters" || a.condition === "exits") return `${words} ${price(a.price)} – ${price(a.price2)}`;
  if (a.level) return `${words} ${a.level_label ?? kindWords(a.level)}${line !== null ? ` (${line.toFixed(2)})` : ""}`;
  return `${words} ${price(a.price)}`;
}

/** How often it fires, in words. */
export function triggerText(a: Rule): string {
  switch (a.trigger) {
    case "once":
      return "once";
    case "once_per_bar":
      return `once per ${a.timeframe} bar`;
    case "once_per_bar_close":
      return `once per ${a.timeframe} bar, on its close`;
    case "every":
      return a.cooldown_secs > 0 ? `every time, at most every ${durationText(a.cooldown_secs)}` : "every time";
  }
}

export function durationText(secs: number): string {
  if (secs % 3600 === 0) return `${secs / 3600} h`;
  if (secs % 60 === 0) return `${secs / 60} min`;
  return `${secs} s`;
}

/** The whole rule: "crosses above 512.40 · once". */
export function ruleText(a: Rule, line: number | null = null): string {
  return `${targetText(a, line)} · ${triggerText(a)}`;
}

/** The form fields a backend error can name (the message starts with "field: "). */
export const FIELDS = ["symbol", "condition", "price", "price2", "level", "trigger", "timeframe", "cooldown", "rearm", "expires", "note"] as const;
export type AlertField = (typeof FIELDS)[number];

/** "price: give the price…" → {field: "price", message: "give the price…"}; null when no known field is named. */
export function fieldError(message: string): { field: AlertField; message: string } | null {
  const m = /^([a-z0-9_]+): ([\s\S]+)$/.exec(message.trim());
  if (!m) return null;
  const name = m[1] === "level_label" ? "level" : m[1] === "expires_at" ? "expires" : m[1] === "cooldown_secs" ? "cooldown" : m[1];
  return (FIELDS as readonly string[]).includes(name!) ? { field: name as AlertField, message: m[2]! } : null;
}

/** A datetime-local value (New York time) as RFC 3339 UTC; "" stays null; a time that does not exist is "" (refused by the backend by name). */
export function expiresToIso(local: string): string | null {
  if (!local.trim()) return null;
  return zonedToIso(local, ALERT_ZONE) || local;
}

/** An RFC 3339 time as a datetime-local value in New York time. */
export function isoToExpires(iso: string | null): string {
  return iso ? isoToZoned(iso, ALERT_ZONE) : "";
}

/** A price rounded to cents. */
export const cents = (v: number) => Math.round(v * 100) / 100;

/** Whether a pointer at `y` grabs a line drawn at `lineY` (within `tolerance` px). */
export function grabs(y: number, lineY: number | null, tolerance = 5): boolean {
  return lineY !== null && Math.abs(y - lineY) <= tolerance;
}

/** The line's price where the pointer is (rounded to cents; null when off the scale or not a price). */
export function draggedPrice(priceAtY: (y: number) => number | null, y: number): number | null {
  const p = priceAtY(y);
  return p === null || !Number.isFinite(p) || p <= 0 ? null : cents(p);
}

/** The view's rule as an input (to edit or to move its line), with `patch` applied. */
export function toInput(a: AlertView, patch: Partial<AlertInput> = {}): AlertInput {
  return {
    symbol: a.symbol,
    condition: a.condition,
    price: a.price,
    price2: a.price2,
    level: a.level,
    level_label: a.level_label,
    trigger: a.trigger,
    timeframe: a.timeframe,
    cooldown_secs: a.cooldown_secs,
    rearm: a.rearm,
    expires_at: a.expires_at,
    note: a.note,
    origin: a.origin,
    ...patch,
  };
}

/** Whether the alert's line can be dragged on the chart (a fixed price; not a level, a channel or a move). */
export function draggable(a: AlertView): boolean {
  return a.level === null && a.price !== null && ["crosses_above", "crosses_below", "crosses", "above", "below"].includes(a.condition);
}

/** The chart's title for an alert line: "⚑ crosses above 512.40". */
export function lineTitle(a: AlertView): string {
  return `⚑ ${conditionWords(a.condition)} ${price(a.line)}`;
}
