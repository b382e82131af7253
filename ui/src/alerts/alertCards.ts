// The coach's alert cards. A proposal (set_alert) is never saved by the
// model: Confirm — the trader's click — saves it; after a reload a confirmed
// proposal shows as saved (an alert carries the proposal's origin). The
// status card (list_alerts) stays live from the app-wide feed while on screen.

import type { AlertProposalCard, AlertStatusCard, AlertView } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { alertFeed, createAlert } from "./alertFeed";
import { ruleText } from "./alertText";

const CANCELLED_KEY = "coach.alerts.cancelledProposals";

function cancelledOrigins(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(CANCELLED_KEY) ?? "[]") as string[]);
  } catch {
    return new Set();
  }
}

function rememberCancelled(origin: string): void {
  try {
    const all = [...cancelledOrigins(), origin].slice(-200);
    localStorage.setItem(CANCELLED_KEY, JSON.stringify(all));
  } catch {
    /* no storage: the card forgets after a reload */
  }
}

/** The alert saved from this proposal, if any (from the feed's list, else the backend's). */
async function savedFrom(origin: string | null): Promise<AlertView | null> {
  if (!origin) return null;
  const list = alertFeed.latest ?? (await ipc.alertsList());
  return list.find((a) => a.origin === origin) ?? null;
}

const fmt = (v: number | null) => (v === null ? "—" : v.toFixed(2));

export function proposalCard(d: AlertProposalCard): HTMLElement[] {
  const p = d.proposal;
  const outcome = h("div", { class: "proposal-outcome", "data-testid": "alert-proposal-outcome", role: "status" });
  const confirm = h("button", { type: "button", class: "btn btn-primary btn-small", "data-testid": "alert-proposal-confirm" }, "Confirm");
  const cancel = h("button", { type: "button", class: "btn btn-small", "data-testid": "alert-proposal-cancel" }, "Cancel");
  const actions = h("div", { class: "proposal-actions" }, confirm, cancel);
  const root = h(
    "div",
    { class: "alert-proposal", "data-testid": "alert-proposal-card", "data-state": "proposed", "data-origin": p.origin ?? "" },
    h("div", { class: "card-big proposal-summary" }, h("span", { class: "proposal-icon", "aria-hidden": "true" }, "⚑"), h("span", { "data-testid": "alert-proposal-summary" }, d.summary)),
    h("div", { class: "card-row" }, h("span", { class: "muted" }, "Rule"), h("span", {}, ruleText(p, d.line))),
    h("div", { class: "card-row" }, h("span", { class: "muted" }, "Line now"), h("span", { class: "num" }, fmt(d.line ?? p.price))),
    h("div", { class: "card-row" }, h("span", { class: "muted" }, "Last price"), h("span", { class: "num" }, fmt(d.last_price))),
    d.line !== null && d.last_price !== null
      ? h("div", { class: "card-row" }, h("span", { class: "muted" }, "Distance"), h("span", { class: "num" }, `${d.line - d.last_price >= 0 ? "+" : ""}${(d.line - d.last_price).toFixed(2)}`))
      : null,
    p.note ? h("div", { class: "card-foot" }, p.note) : null,
    actions,
    outcome,
  );
  const settle = (state: "saved" | "cancelled", text: string) => {
    root.dataset.state = state;
    actions.hidden = true;
    outcome.className = `proposal-outcome ${state}`;
    outcome.textContent = text;
  };
  confirm.addEventListener("click", async () => {
    confirm.disabled = cancel.disabled = true;
    try {
      const saved = await createAlert(p);
      settle("saved", `Saved as alert #${saved.id}`);
    } catch (e) {
      confirm.disabled = cancel.disabled = false;
      outcome.className = "proposal-outcome error";
      outcome.textContent = (e as IpcError).message;
    }
  });
  cancel.addEventListener("click", () => {
    if (p.origin) rememberCancelled(p.origin);
    settle("cancelled", "Cancelled");
  });
  // Already confirmed (or cancelled) in an earlier visit to this session.
  if (d.saved) settle("saved", "Saved");
  else if (p.origin && cancelledOrigins().has(p.origin)) settle("cancelled", "Cancelled");
  else {
    actions.hidden = true;
    void savedFrom(p.origin)
      .then((a) => {
        if (a) settle("saved", `Saved as alert #${a.id}`);
        else actions.hidden = false;
      })
      .catch(() => (actions.hidden = false));
  }
  return [root];
}

function statusRows(alerts: AlertView[]): HTMLElement[] {
  return alerts.map((a) =>
    h(
      "tr",
      { "data-alert-id": a.id, "data-state": a.state },
      h("td", {}, a.symbol),
      h("td", { class: "rule" }, ruleText(a, a.level ? a.line : null).split(" · ")[0]!),
      h("td", {}, h("span", { class: `state-pill state-${a.state}` }, a.state)),
      h("td", { class: "num" }, a.distance === null ? "—" : `${a.distance >= 0 ? "+" : ""}${a.distance.toFixed(2)}`),
    ),
  );
}

export function statusCard(d: AlertStatusCard): HTMLElement[] {
  const body = h("tbody", {}, statusRows(d.alerts));
  const ids = new Set(d.alerts.map((a) => a.id));
  const root = h(
    "div",
    { "data-testid": "alert-status-card", "data-live": String(d.live) },
    d.alerts.length
      ? h("table", { class: "mini-table alert-status-table" }, h("thead", {}, h("tr", {}, h("th", {}, "Symbol"), h("th", {}, "Rule"), h("th", {}, "State"), h("th", {}, "Distance"))), body)
      : h("div", { class: "card-foot muted" }, "No alerts."),
  );
  // The alerts the card listed, kept current while the card is on screen.
  const stop = alertFeed.onAlerts((all) => {
    if (!root.isConnected && root.dataset.attached === "true") {
      stop();
      return;
    }
    if (root.isConnected) root.dataset.attached = "true";
    replace(body, statusRows(all.filter((a) => ids.has(a.id))));
  });
  return [root];
}
