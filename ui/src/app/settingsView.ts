// The Settings tab: validated settings (all-or-nothing saves) and API keys.
// Keys go to the OS keychain (or the announced file fallback); the UI never
// receives a stored key back, only whether one is set.

import type { EmailTarget, JsonValue, SecretInfo, Settings, SettingsView, SmtpSecurity } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";

/** The card a setting is shown in. */
type Section = "market" | "alerts";
type Common = { key: keyof Settings; label: string; help?: string; section?: Section };
type Field =
  | (Common & { kind: "select"; options: [string, string][] })
  | (Common & { kind: "bool"; options: [string, string][] })
  | (Common & { kind: "text" | "url" | "number"; placeholder?: string });

export const FIELDS: Field[] = [
  {
    key: "market_provider",
    label: "Market data",
    kind: "select",
    options: [
      ["auto", "Automatic (Massive when a key is set, else demo)"],
      ["demo", "Demo market"],
      ["massive", "Massive"],
    ],
  },
  {
    key: "massive_feed",
    label: "Massive feed",
    kind: "select",
    options: [
      ["realtime", "Real-time"],
      ["delayed", "Delayed (15 min)"],
    ],
  },
  { key: "massive_rest_url", label: "Massive REST URL", kind: "url", placeholder: "https://api.massive.com" },
  { key: "massive_ws_url", label: "Massive WebSocket URL", kind: "url", placeholder: "wss://socket.massive.com" },
  {
    key: "ai_mode",
    label: "Coach",
    kind: "select",
    options: [
      ["auto", "Automatic (a model when a key or base URL is set)"],
      ["offline", "Offline coach (no language model)"],
    ],
  },
  { key: "openai_base_url", label: "OpenAI-compatible base URL", kind: "url", placeholder: "https://api.openai.com/v1" },
  { key: "model", label: "Model", kind: "text", placeholder: "gpt-4o-mini" },
  { key: "stale_after_secs", label: "Stale after (seconds)", kind: "number", help: "5 to 3600" },
  { key: "reconcile_every_secs", label: "Check bars against history every (seconds)", kind: "number", help: "0 = off, or 10 to 86400" },
  {
    key: "chart_live_updates",
    label: "Chart live updates",
    kind: "bool",
    options: [
      ["true", "On: the forming candle updates from the market stream"],
      ["false", "Off: refresh the chart over REST every 15 s"],
    ],
    help: "AI_COACH_CHART_LIVE_UPDATES overrides this",
  },
  {
    key: "stream_progressive_functions",
    label: "Coach tool results",
    kind: "bool",
    options: [
      ["true", "As each tool finishes (progressive)"],
      ["false", "With the end of the answer"],
    ],
    help: "AI_COACH_STREAM_PROGRESSIVE_FUNCTIONS overrides this",
  },
  { key: "chat_timeout_secs", label: "Coach timeout (seconds)", kind: "number", help: "How long to wait for the model's first byte and between chunks: 5 to 600 (COACH_CHAT_TIMEOUT_SECS overrides)" },
  { key: "journal_import_tz", label: "Journal import time zone", kind: "text", placeholder: "America/New_York", help: "Times in broker files that carry no zone are read in this zone (an IANA name such as America/Chicago)" },
  { key: "journal_display_tz", label: "Journal display time zone", kind: "text", placeholder: "America/New_York", help: "The journal shows times, days and hours in this zone" },
  {
    key: "alert_os_notifications",
    label: "OS notifications",
    kind: "bool",
    section: "alerts",
    options: [
      ["true", "On: a fired alert also shows as a system notification"],
      ["false", "Off: in the app only"],
    ],
  },
  { key: "alert_webhook_url", label: "Webhook URL", kind: "url", section: "alerts", placeholder: "https://hooks.example.com/…", help: "Each firing is POSTed here as JSON (Discord, Telegram, a bot of your own). Empty: none" },
];

/** The email fields of the Alerts section (`alert_email`); the password is the `smtp_password` key. */
export const EMAIL_FIELDS: { key: string; label: string; placeholder?: string; help?: string }[] = [
  { key: "smtp_host", label: "SMTP server", placeholder: "smtp.example.com", help: "Empty: no alert emails" },
  { key: "smtp_port", label: "Port", placeholder: "587" },
  { key: "smtp_security", label: "Security" },
  { key: "smtp_username", label: "User name", placeholder: "optional" },
  { key: "smtp_from", label: "From", placeholder: "AI Coach <alerts@example.com>" },
  { key: "smtp_to", label: "To", placeholder: "me@example.com, desk@example.com", help: "One or more addresses, separated by commas" },
];

const SECURITY: [SmtpSecurity, string][] = [
  ["start_tls", "STARTTLS (port 587)"],
  ["tls", "TLS (port 465)"],
  ["none", "None (port 25, local relays only)"],
];

/** The email target the form describes; null when no server is given. A bad port stays as typed for the backend to name. */
export function emailFromForm(form: Record<string, string>): EmailTarget | null {
  const host = (form.smtp_host ?? "").trim();
  if (!host) return null;
  const port = Number((form.smtp_port ?? "").trim() || "587");
  return {
    host,
    port: Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 0,
    security: (form.smtp_security || "start_tls") as SmtpSecurity,
    username: (form.smtp_username ?? "").trim() || null,
    from: (form.smtp_from ?? "").trim(),
    to: (form.smtp_to ?? "")
      .split(/[,;]/)
      .map((t) => t.trim())
      .filter(Boolean),
  };
}

/** The email target as the form's values. */
function emailToForm(t: EmailTarget | null): Record<string, string> {
  return {
    smtp_host: t?.host ?? "",
    smtp_port: t ? String(t.port) : "",
    smtp_security: t?.security ?? "start_tls",
    smtp_username: t?.username ?? "",
    smtp_from: t?.from ?? "",
    smtp_to: t?.to.join(", ") ?? "",
  };
}

/** The changed fields only, typed as the backend expects (numbers as numbers, "" clears a URL). */
export function diffSettings(before: Settings, form: Record<string, string>): { [key: string]: JsonValue } {
  const patch: { [key: string]: JsonValue } = {};
  for (const f of FIELDS) {
    const raw = form[f.key];
    if (raw === undefined) continue;
    const old = before[f.key];
    if (f.kind === "bool") {
      const v = raw === "true";
      if (v !== old) patch[f.key] = v;
    } else if (f.kind === "number") {
      const n = raw.trim() === "" ? NaN : Number(raw);
      if (n !== old) patch[f.key] = Number.isFinite(n) ? n : raw;
    } else if (f.kind === "url") {
      const v = raw.trim();
      if (v !== (old ?? "")) patch[f.key] = v === "" ? null : v;
    } else if (raw !== old) {
      patch[f.key] = raw;
    }
  }
  if (form.smtp_host !== undefined) {
    const email = emailFromForm(form);
    if (JSON.stringify(email) !== JSON.stringify(before.alert_email ?? null)) patch.alert_email = email;
  }
  return patch;
}

/** The backend names each bad setting as `key: reason` in its message (joined by "; "). */
export function invalidMessageFor(message: string, key: string): string | null {
  const body = message.replace(/^invalid settings:\s*/, "");
  for (const part of body.split("; ")) {
    if (part.startsWith(`${key}: `)) return part.slice(key.length + 2);
    // The email target's errors name its own field: "alert_email: smtp_host: …".
    if (key.startsWith("smtp_") && part.startsWith(`alert_email: ${key}: `)) return part.slice(`alert_email: ${key}: `.length);
  }
  return null;
}

function secretRow(s: SecretInfo, onChange: (v: SettingsView) => void, showError: (e: IpcError) => void): HTMLElement {
  const input = h("input", {
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: s.set ? "•••••••• (set)" : "not set",
    "aria-label": s.label,
    "data-testid": `secret-${s.name}`,
  });
  const save = h("button", { type: "button", class: "btn" }, "Save");
  const clear = h("button", { type: "button", class: "btn btn-quiet", disabled: !s.set || s.source === "env" }, "Clear");
  save.addEventListener("click", async () => {
    try {
      onChange(await ipc.setSecret(s.name, input.value));
      input.value = "";
    } catch (e) {
      showError(e as IpcError);
    }
  });
  clear.addEventListener("click", async () => {
    try {
      onChange(await ipc.clearSecret(s.name));
    } catch (e) {
      showError(e as IpcError);
    }
  });
  const note =
    s.source === "env"
      ? `Set by ${s.env_var} in the environment, which wins over a stored key.`
      : s.set
        ? `Stored (${s.source}).`
        : `Or set ${s.env_var}.`;
  return h(
    "div",
    { class: "field" },
    h("label", {}, s.label),
    h("div", { class: "field-row" }, input, save, clear),
    h("small", { class: "muted" }, note),
  );
}

export function createSettingsView(onSaved: () => void): { element: HTMLElement; load(): Promise<void> } {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const message = h("p", { class: "form-message", role: "alert", "data-testid": "settings-error", hidden: true });

  let markInvalid: (message: string) => void = () => {};
  const showError = (e: IpcError) => {
    message.hidden = false;
    message.className = "form-message error";
    message.textContent = e.message;
    markInvalid(e.message);
    message.scrollIntoView?.({ block: "nearest" });
  };
  const showOk = (text: string) => {
    message.hidden = false;
    message.className = "form-message ok";
    message.textContent = text;
    message.scrollIntoView?.({ block: "nearest" });
  };

  const render = (view: SettingsView) => {
    const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = {};
    /** One labelled field; `key` names it in the form's values and in the backend's messages. */
    const block = (key: string, label: string, input: HTMLInputElement | HTMLSelectElement, help?: string) => {
      const id = `setting-${key}`;
      input.id = id;
      input.name = key;
      inputs[key] = input;
      const issue = view.issues.find((i) => i.key === key);
      const fieldError = h("small", { class: "error", id: `${id}-error`, hidden: !issue }, issue?.message ?? "");
      input.setAttribute("aria-describedby", `${id}-error`);
      if (issue) input.setAttribute("aria-invalid", "true");
      return h("div", { class: "field" }, h("label", { for: id }, label), input, help ? h("small", { class: "muted" }, help) : null, fieldError);
    };
    const textInput = (value: string, placeholder?: string, numeric = false) =>
      h("input", {
        type: numeric ? "number" : "text",
        inputmode: numeric ? "numeric" : null,
        placeholder: placeholder ?? null,
        value,
        spellcheck: "false",
      });
    const choice = (options: [string, string][], value: string) =>
      h("select", {}, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
    const settingBlock = (f: Field) => {
      const value = view.settings[f.key];
      if (f.kind === "select" || f.kind === "bool") return block(f.key, f.label, choice(f.options, String(value)), f.help);
      const text = value === null || value === undefined ? "" : String(value);
      return block(f.key, f.label, textInput(text, f.kind === "number" ? undefined : f.placeholder, f.kind === "number"), f.help);
    };
    const emailValues = emailToForm(view.settings.alert_email);
    const emailBlocks = EMAIL_FIELDS.map((f) =>
      block(f.key, f.label, f.key === "smtp_security" ? choice(SECURITY, emailValues[f.key]!) : textInput(emailValues[f.key]!, f.placeholder, f.key === "smtp_port"), f.help),
    );
    const smtpSecret = view.secrets.find((x) => x.name === "smtp_password");
    const onSecret = (label: string) => (v: SettingsView) => {
      render(v);
      showOk(`${label} updated.`);
      onSaved();
    };
    const form = h(
      "form",
      { class: "settings-form", "data-testid": "settings-form", novalidate: true },
      h("section", { class: "card" }, h("h3", {}, "Market and coach"), FIELDS.filter((f) => (f.section ?? "market") === "market").map(settingBlock)),
      h(
        "section",
        { class: "card", "data-testid": "settings-alerts" },
        h("h3", {}, "Alerts"),
        FIELDS.filter((f) => f.section === "alerts").map(settingBlock),
        h("h4", { class: "settings-sub" }, "Email"),
        h("div", { class: "field-grid" }, emailBlocks),
        smtpSecret ? secretRow(smtpSecret, onSecret(smtpSecret.label), showError) : null,
      ),
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "btn btn-primary", "data-testid": "settings-save" }, "Save settings")),
    );
    markInvalid = (msg: string) => {
      for (const [key, el] of Object.entries(inputs)) {
        const hit = invalidMessageFor(msg, key);
        const err = form.querySelector<HTMLElement>(`#setting-${key}-error`);
        if (hit) el.setAttribute("aria-invalid", "true");
        else el.removeAttribute("aria-invalid");
        if (err) {
          err.hidden = !hit;
          err.textContent = hit ?? "";
        }
      }
    };
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
      const patch = diffSettings(view.settings, values);
      if (Object.keys(patch).length === 0) {
        showOk("Nothing changed.");
        return;
      }
      try {
        render(await ipc.saveSettings(patch));
        showOk("Saved. The market connection and coach restarted with the new settings.");
        onSaved();
      } catch (e) {
        showError(e as IpcError);
      }
    });
    const unknown = view.issues.filter((i) => i.key !== "alert_email" && !FIELDS.some((f) => f.key === i.key));
    replace(
      body,
      unknown.length
        ? h("div", { class: "warning", role: "note", "data-testid": "settings-ignored" }, h("strong", {}, "Ignored settings: "), unknown.map((i) => `${i.key} (${i.message})`).join("; "))
        : null,
      form,
      h(
        "section",
        { class: "card" },
        h("h3", {}, "API keys"),
        view.secret_backend_warning ? h("p", { class: "warning", role: "note" }, view.secret_backend_warning) : null,
        view.secrets.filter((x) => x.name !== "smtp_password").map((x) => secretRow(x, onSecret(x.label), showError)),
      ),
    );
  };

  const load = async () => {
    try {
      render(await ipc.getSettings());
    } catch (e) {
      replace(body, h("p", { class: "error", role: "alert" }, (e as IpcError).message));
    }
  };
  const element = h("div", { class: "panel-page" }, h("div", { class: "page-head" }, h("h2", {}, "Settings")), message, body);
  return { element, load };
}
