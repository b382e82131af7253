// The app-wide alerts follow and a tiny bus: the shell starts one
// `alerts_watch` when the app is ready; the panel, the toasts, the chart's
// alert lines and the coach's status cards listen here.

import type { AlertEvent, AlertInput, AlertView, NotificationPermission } from "../generated/bindings";
import { ipc } from "../ipc";

type Listeners = {
  alerts: Set<(alerts: AlertView[]) => void>;
  fired: Set<(event: AlertEvent) => void>;
  history: Set<() => void>;
  permission: Set<(p: NotificationPermission | null) => void>;
};

const listeners: Listeners = { alerts: new Set(), fired: new Set(), history: new Set(), permission: new Set() };
let latest: AlertView[] | null = null;

function on<K extends keyof Listeners>(kind: K, cb: Listeners[K] extends Set<infer F> ? F : never): () => void {
  (listeners[kind] as Set<typeof cb>).add(cb);
  return () => void (listeners[kind] as Set<typeof cb>).delete(cb);
}

export const alertFeed = {
  /** Every alert with live distances (now, when known, then on each change). */
  onAlerts(cb: (alerts: AlertView[]) => void): () => void {
    if (latest) cb(latest);
    return on("alerts", cb);
  },
  onFired: (cb: (event: AlertEvent) => void) => on("fired", cb),
  onHistory: (cb: () => void) => on("history", cb),
  /** The OS notification permission as last read (null: it could not be read). */
  onPermission: (cb: (p: NotificationPermission | null) => void) => on("permission", cb),
  /** The last list seen (null before the follow answered). */
  get latest(): AlertView[] | null {
    return latest;
  },
  /** A list the UI got from a command (a save, a pause): listeners see it at once. */
  publish(alerts: AlertView[]): void {
    latest = alerts;
    for (const cb of listeners.alerts) cb(alerts);
  },
  /** One alert changed (created, updated, paused): merged into the list and published. */
  upsert(alert: AlertView): void {
    const list = latest ?? [];
    const i = list.findIndex((a) => a.id === alert.id);
    alertFeed.publish(i >= 0 ? list.map((a) => (a.id === alert.id ? alert : a)) : [...list, alert]);
  },
  remove(id: number): void {
    alertFeed.publish((latest ?? []).filter((a) => a.id !== id));
  },
  fire(event: AlertEvent): void {
    for (const cb of listeners.fired) cb(event);
  },
  historyChanged(): void {
    for (const cb of listeners.history) cb();
  },
};

const ASKED_KEY = "coach.alerts.notificationsAsked";

/** Reads the OS notification permission (asking the OS with `request`) and tells the listeners. */
export async function readNotifications(request: boolean): Promise<void> {
  let p: NotificationPermission | null = null;
  try {
    p = await ipc.alertsNotifications(request);
  } catch {
    p = null;
  }
  for (const cb of listeners.permission) cb(p);
}

/** Asks the OS for notifications the first time only (the OS asks once anyway). */
async function askNotificationsOnce(): Promise<void> {
  let asked = false;
  try {
    asked = localStorage.getItem(ASKED_KEY) === "1";
    localStorage.setItem(ASKED_KEY, "1");
  } catch {
    /* no storage: ask */
  }
  await readNotifications(!asked);
}

/**
 * Saves a new alert — from the form, a chart level or a confirmed coach
 * proposal — and publishes it; the first alert ever asks the OS, once, for
 * permission to show notifications.
 */
export async function createAlert(input: AlertInput): Promise<AlertView> {
  const firstEver = (alertFeed.latest ?? []).length === 0;
  const saved = await ipc.alertsCreate(input);
  alertFeed.upsert(saved);
  if (firstEver) void askNotificationsOnce();
  return saved;
}

/** Starts (or restarts) the app-wide follow. */
export async function startAlertFeed(): Promise<void> {
  let streamed = false;
  const first = await ipc.alertsWatch((f) => {
    if (f.kind === "alerts") {
      streamed = true;
      alertFeed.publish(f.alerts);
    }
    else if (f.kind === "fired") alertFeed.fire(f.event);
    else alertFeed.historyChanged();
  });
  // A list streamed before the answer is newer than the answer.
  if (!streamed) alertFeed.publish(first);
}
