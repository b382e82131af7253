// The Alerts tab: a form to create and edit an alert (backend errors mark the
// field they name), the alerts with their live state and distance (from the
// app-wide feed), the history of firings with each delivery's outcome, and
// whether OS notifications can be shown.

import type { AlertEvent, AlertInput, AlertView, DeliveryView, LevelKind, NotificationPermission, Timeframe } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { dateTime } from "../journal/journalView";
import { LEVEL_KINDS } from "../chart/levelText";
import { alertFeed, createAlert, readNotifications } from "./alertFeed";
import { ALERT_ZONE, BLANK, CONDITIONS, TRIGGERS, expiresToIso, fieldError, isoToExpires, kindWords, ruleText, toInput, type AlertField } from "./alertText";

export interface AlertsView {
  element: HTMLElement;
  /** The tab was shown: reload the history and the notification state. */
  show(): Promise<void>;
  /** Opens the form for a new alert with these values (the chart's quick action). */
  prefill(input: Partial<AlertInput>, context?: string): void;
}

const TIMEFRAMES: Timeframe[] = ["1m", "5m", "15m", "1h", "1d"];
const HISTORY_LIMIT = 50;


const CHANNEL_WORDS: Record<DeliveryView["channel"], string> = { in_app: "In app", os: "OS", webhook: "Webhook", email: "Email" };

/** A number box's value: null when empty or not a number (the backend names the field). */
const numberOf = (v: string): number | null => (v.trim() === "" || !Number.isFinite(Number(v)) ? null : Number(v));

function deliveryEl(d: DeliveryView): HTMLElement {
  const mark = d.status === "delivered" ? "✓" : d.status === "failed" ? "✗" : "…";
  return h(
    "span",
    {
      class: `delivery delivery-${d.status}`,
      "data-testid": "alert-delivery",
      "data-channel": d.channel,
      "data-status": d.status,
      title: d.detail || null,
    },
    `${mark} ${CHANNEL_WORDS[d.channel]}`,
    d.status === "failed" && d.detail ? h("span", { class: "delivery-detail" }, `: ${d.detail}${d.attempts > 1 ? ` (${d.attempts} tries)` : ""}`) : null,
  );
}

export function eventRow(e: AlertEvent): HTMLElement {
  return h(
    "li",
    { class: "alert-event", "data-testid": "alert-event", "data-event-id": e.id, "data-alert-id": e.alert_id, "data-missed": String(e.missed) },
    h(
      "div",
      { class: "alert-event-head" },
      h("time", { class: "muted num", datetime: e.at }, `${dateTime(e.at, ALERT_ZONE)} ET`),
      h("strong", {}, e.symbol),
      h("span", { class: "num" }, e.price.toFixed(2)),
      e.missed ? h("span", { class: "badge-missed", "data-testid": "alert-missed" }, "Missed while closed") : null,
    ),
    h("p", { class: "alert-event-message" }, e.message),
    e.deliveries.length ? h("div", { class: "deliveries" }, e.deliveries.map(deliveryEl)) : null,
  );
}

export function createAlertsView(): AlertsView {
  // ---- the form
  const fieldEls = new Map<AlertField, { input: HTMLInputElement | HTMLSelectElement; error: HTMLElement; wrap: HTMLElement }>();
  const field = (name: AlertField, label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string) => {
    const id = `alert-f-${name}`;
    input.id = id;
    input.dataset.testid = `alert-${name}`;
    const error = h("small", { class: "error field-error", id: `${id}-error`, "data-testid": `alert-${name}-error`, hidden: true });
    input.setAttribute("aria-describedby", `${id}-error`);
    const wrap = h("div", { class: `field field-${name}` }, h("label", { for: id }, label), input, hint ? h("small", { class: "muted" }, hint) : null, error);
    fieldEls.set(name, { input, error, wrap });
    return wrap;
  };
  const select = (options: [string, string][]) => h("select", {}, options.map(([v, l]) => h("option", { value: v }, l)));
  const symbol = h("input", { type: "text", autocomplete: "off", spellcheck: "false", autocapitalize: "characters" });
  const condition = select(CONDITIONS);
  const price = h("input", { type: "number", step: "0.01", inputmode: "decimal" });
  const price2 = h("input", { type: "number", step: "0.01", inputmode: "decimal" });
  const level = select([["", "None (a fixed price)"], ...LEVEL_KINDS.map((k): [string, string] => [k, kindWords(k)])]);
  const trigger = select(TRIGGERS);
  const timeframe = select(TIMEFRAMES.map((t) => [t, t]));
  const cooldown = h("input", { type: "number", step: "1", min: "0", inputmode: "numeric" });
  const rearm = h("input", { type: "number", step: "0.01", min: "0", inputmode: "decimal", placeholder: "¼ ATR" });
  const rearmUnit = h(
    "select",
    { "data-testid": "alert-rearm-unit", "aria-label": "Re-arm unit" },
    h("option", { value: "points" }, "points"),
    h("option", { value: "percent" }, "%"),
  );
  const expires = h("input", { type: "datetime-local" });
  const note = h("input", { type: "text", maxlength: "500" });
  const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "alert-save" }, "Create alert");
  const cancelEdit = h("button", { type: "button", class: "btn btn-quiet", "data-testid": "alert-cancel-edit", hidden: true }, "Cancel");
  const formError = h("p", { class: "form-message error", role: "alert", "data-testid": "alert-form-error", hidden: true });
  const formTitle = h("h3", {}, "New alert");
  const formContext = h("p", { class: "muted small alert-context", "data-testid": "alert-form-context", hidden: true });
  const levelNote = h("small", { class: "muted", "data-testid": "alert-level-label" });

  let editing: AlertView | null = null;
  let levelLabel: string | null = null;
  let origin: string | null = null;

  const form = h(
    "form",
    { class: "alert-form", "data-testid": "alert-form", novalidate: true },
    formTitle,
    formContext,
    h("div", { class: "alert-form-grid" }, field("symbol", "Symbol", symbol), field("condition", "When price", condition)),
    h("div", { class: "alert-form-grid" }, field("price", "Price", price), field("price2", "Channel high", price2)),
    field("level", "Or a key level (moves with the market)", level),
    levelNote,
    h("div", { class: "alert-form-grid" }, field("trigger", "Fires", trigger), field("timeframe", "Timeframe", timeframe)),
    h("div", { class: "alert-form-grid" }, field("cooldown", "Cooldown (seconds)", cooldown), field("rearm", "Re-arm after", rearm)),
    field("expires", "Expires (New York time)", expires, "Empty: never"),
    field("note", "Note", note),
    formError,
    h("div", { class: "form-actions" }, save, cancelEdit),
  );

  // The re-arm distance and its unit side by side.
  {
    const row = h("div", { class: "input-with-unit" });
    rearm.replaceWith(row);
    row.append(rearm, rearmUnit);
  }

  /** Shows only the fields the rule uses. */
  function shape(): void {
    const c = condition.value;
    const channel = c === "enters" || c === "exits";
    const move = c === "moves_up" || c === "moves_down";
    fieldEls.get("price2")!.wrap.hidden = !channel;
    fieldEls.get("level")!.wrap.hidden = channel || move;
    fieldEls.get("cooldown")!.wrap.hidden = trigger.value !== "every";
    fieldEls.get("rearm")!.wrap.hidden = move;
    const byLevel = level.value !== "" && !channel && !move;
    price.disabled = byLevel;
    form.querySelector(`label[for="alert-f-price"]`)!.textContent = move ? "Move (%)" : channel ? "Channel low" : "Price";
    levelNote.hidden = !byLevel;
    levelNote.textContent = byLevel ? (levelLabel ? `Level: ${levelLabel}` : "The level of this kind nearest the price") : "";
  }
  condition.addEventListener("change", shape);
  trigger.addEventListener("change", shape);
  level.addEventListener("change", () => {
    levelLabel = null;
    if (level.value) price.value = "";
    shape();
  });

  function clearErrors(): void {
    formError.hidden = true;
    for (const f of fieldEls.values()) {
      f.input.classList.remove("invalid");
      f.input.removeAttribute("aria-invalid");
      f.error.hidden = true;
    }
  }

  function showError(e: IpcError): void {
    clearErrors();
    const hit = fieldError(e.message);
    const f = hit ? fieldEls.get(hit.field) : undefined;
    if (hit && f && !f.wrap.hidden) {
      f.input.classList.add("invalid");
      f.input.setAttribute("aria-invalid", "true");
      f.error.textContent = hit.message;
      f.error.hidden = false;
      f.input.focus();
    } else {
      formError.textContent = e.message;
      formError.hidden = false;
    }
  }

  function fill(a: AlertInput): void {
    symbol.value = a.symbol;
    condition.value = a.condition;
    price.value = a.price === null ? "" : String(a.price);
    price2.value = a.price2 === null ? "" : String(a.price2);
    level.value = a.level ?? "";
    levelLabel = a.level_label;
    trigger.value = a.trigger;
    timeframe.value = a.timeframe;
    cooldown.value = a.cooldown_secs ? String(a.cooldown_secs) : "";
    rearm.value = a.rearm ? String(a.rearm.value) : "";
    rearmUnit.value = a.rearm?.unit ?? "points";
    expires.value = isoToExpires(a.expires_at);
    note.value = a.note;
    origin = a.origin;
    clearErrors();
    shape();
  }

  function read(): AlertInput {
    const c = condition.value as AlertInput["condition"];
    const channel = c === "enters" || c === "exits";
    const move = c === "moves_up" || c === "moves_down";
    const lv = !channel && !move && level.value ? (level.value as LevelKind) : null;
    const r = numberOf(rearm.value);
    return {
      symbol: symbol.value.trim().toUpperCase(),
      condition: c,
      price: lv ? null : numberOf(price.value),
      price2: channel ? numberOf(price2.value) : null,
      level: lv,
      level_label: lv ? levelLabel : null,
      trigger: trigger.value as AlertInput["trigger"],
      timeframe: timeframe.value as Timeframe,
      cooldown_secs: trigger.value === "every" ? Math.max(0, Math.round(numberOf(cooldown.value) ?? 0)) : 0,
      rearm: move || r === null ? null : { unit: rearmUnit.value === "percent" ? "percent" : "points", value: r },
      expires_at: expiresToIso(expires.value),
      note: note.value.trim(),
      origin,
    };
  }

  function startNew(input: AlertInput, context?: string): void {
    editing = null;
    formTitle.textContent = "New alert";
    save.textContent = "Create alert";
    cancelEdit.hidden = !context;
    formContext.hidden = !context;
    formContext.textContent = context ?? "";
    fill(input);
  }

  function startEdit(a: AlertView): void {
    editing = a;
    formTitle.textContent = `Edit alert #${a.id}`;
    save.textContent = "Save changes";
    cancelEdit.hidden = false;
    formContext.hidden = true;
    fill(toInput(a));
    form.scrollIntoView?.({ block: "nearest" });
    symbol.focus();
  }

  cancelEdit.addEventListener("click", () => startNew({ ...BLANK, symbol: symbol.value.trim().toUpperCase() || "SPY" }));

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = read();
    save.disabled = true;
    try {
      if (editing) alertFeed.upsert(await ipc.alertsUpdate(editing.id, input));
      else await createAlert(input);
      startNew({ ...BLANK, symbol: input.symbol, timeframe: input.timeframe });
    } catch (e) {
      showError(e as IpcError);
    } finally {
      save.disabled = false;
    }
  });

  // ---- the list
  const list = h("ul", { class: "alert-list", "data-testid": "alerts-list", "aria-label": "Alerts" });
  const listEmpty = h("p", { class: "muted empty", "data-testid": "alerts-empty" }, "No alerts yet. Create one here, from a level on the chart, or ask the coach.");
  const confirming = new Set<number>();
  let alerts: AlertView[] = [];

  function act(button: HTMLButtonElement, run: () => Promise<void>): void {
    button.disabled = true;
    run()
      .catch((e: IpcError) => {
        formError.textContent = e.message;
        formError.hidden = false;
      })
      .finally(() => (button.disabled = false));
  }

  function alertRow(a: AlertView): HTMLElement {
    const paused = a.state === "paused";
    const actions = confirming.has(a.id)
      ? [
          h("span", { class: "small" }, "Delete this alert?"),
          h("button", {
            type: "button",
            class: "btn btn-small btn-danger",
            "data-testid": "alert-delete-confirm",
            onclick: (ev: Event) =>
              act(ev.currentTarget as HTMLButtonElement, async () => {
                await ipc.alertsDelete(a.id);
                confirming.delete(a.id);
                alertFeed.remove(a.id);
              }),
          }, "Delete"),
          h("button", { type: "button", class: "btn btn-small btn-quiet", "data-testid": "alert-delete-cancel", onclick: () => (confirming.delete(a.id), renderList()) }, "Keep"),
        ]
      : [
          h("button", { type: "button", class: "btn btn-small", "data-testid": "alert-edit", onclick: () => startEdit(a) }, "Edit"),
          h("button", {
            type: "button",
            class: "btn btn-small",
            "data-testid": "alert-pause",
            "aria-label": `${paused ? "Resume" : "Pause"} alert #${a.id}`,
            onclick: (ev: Event) => act(ev.currentTarget as HTMLButtonElement, async () => alertFeed.upsert(await ipc.alertsPause(a.id, !paused))),
          }, paused ? "Resume" : "Pause"),
          h("button", { type: "button", class: "btn btn-small btn-quiet danger", "data-testid": "alert-delete", onclick: () => (confirming.add(a.id), renderList()) }, "Delete"),
        ];
    return h(
      "li",
      { class: `alert-row state-${a.state}${editing?.id === a.id ? " editing" : ""}`, "data-testid": "alert-row", "data-alert-id": a.id, "data-state": a.state, "data-symbol": a.symbol },
      h(
        "div",
        { class: "alert-main" },
        h("div", { class: "alert-title" }, h("strong", { class: "alert-symbol" }, a.symbol), h("span", { class: `state-pill state-${a.state}`, "data-testid": "alert-state" }, a.state)),
        h("div", { class: "alert-rule", "data-testid": "alert-rule" }, ruleText(a, a.level ? a.line : null)),
        h("div", { class: "alert-status muted small num", "data-testid": "alert-status" }, a.status_text || "—"),
        a.note ? h("div", { class: "alert-note small" }, a.note) : null,
        a.fires > 0 ? h("div", { class: "muted small" }, `Fired ${a.fires}× · last ${dateTime(a.last_fired_at, ALERT_ZONE)} ET`) : null,
      ),
      h("div", { class: "alert-actions" }, actions),
    );
  }

  function renderList(): void {
    listEmpty.hidden = alerts.length > 0;
    // Newest first, as the history.
    replace(list, [...alerts].sort((a, b) => b.id - a.id).map(alertRow));
  }
  alertFeed.onAlerts((next) => {
    alerts = next;
    if (editing && !next.some((a) => a.id === editing!.id)) startNew({ ...BLANK });
    renderList();
  });

  // ---- the history
  const history = h("ol", { class: "alert-history-list" });
  const historyEmpty = h("p", { class: "muted empty" }, "Nothing has fired yet.");
  const historyError = h("p", { class: "error", role: "alert", hidden: true });
  let loading: Promise<void> | null = null;
  let again = false;
  async function loadHistory(): Promise<void> {
    // One read at a time; a change meanwhile reads once more after it.
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        try {
          const events = await ipc.alertsHistory(HISTORY_LIMIT);
          historyError.hidden = true;
          historyEmpty.hidden = events.length > 0;
          replace(history, [...events].sort((a, b) => b.at_ms - a.at_ms || b.id - a.id).map(eventRow));
        } catch (e) {
          historyError.hidden = false;
          historyError.textContent = `History unavailable: ${(e as IpcError).message}`;
        }
      } while (again);
    })().finally(() => (loading = null));
    return loading;
  }
  alertFeed.onHistory(() => void loadHistory());
  alertFeed.onFired(() => void loadHistory());

  // ---- notifications
  const notifications = h("p", { class: "alert-notifications small", "data-testid": "alert-notifications", hidden: true });
  function showPermission(p: NotificationPermission): void {
    notifications.hidden = !p.message;
    notifications.dataset.state = p.state;
    notifications.className = `alert-notifications small ${p.state === "denied" || p.state === "off" ? "warning" : "muted"}`;
    notifications.textContent = p.message;
  }
  alertFeed.onPermission((p) => {
    if (p) showPermission(p);
    else notifications.hidden = true;
  });

  const element = h(
    "div",
    { class: "alerts-view", "data-testid": "alerts-panel" },
    h("div", { class: "page-head" }, h("h2", {}, "Alerts"), notifications),
    h(
      "div",
      { class: "alerts-grid" },
      h("section", { class: "card alerts-form-card", "aria-label": "Alert form" }, form),
      h("section", { class: "card alerts-list-card", "aria-labelledby": "alerts-list-heading" }, h("h3", { id: "alerts-list-heading" }, "Your alerts"), listEmpty, list),
      h(
        "section",
        { class: "card alerts-history-card", "data-testid": "alert-history", "aria-labelledby": "alerts-history-heading" },
        h("h3", { id: "alerts-history-heading" }, "History"),
        historyError,
        historyEmpty,
        history,
      ),
    ),
  );
  startNew({ ...BLANK });
  renderList();

  return {
    element,
    async show() {
      const list = alertFeed.latest ? null : ipc.alertsList().then(alertFeed.publish, (e: IpcError) => showError(e));
      await Promise.all([loadHistory(), readNotifications(false), list]);
    },
    prefill(input, context) {
      startNew({ ...BLANK, ...input }, context);
      save.focus();
    },
  };
}
