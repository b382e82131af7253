// The Settings tab: validated settings (all-or-nothing saves) and API keys.
// Keys go to the OS keychain (or the announced file fallback); the UI never
// receives a stored key back, only whether one is set.

import type { JsonValue, SecretInfo, Settings, SettingsView } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";

type Field =
  | { key: keyof Settings; label: string; kind: "select"; options: [string, string][]; help?: string }
  | { key: keyof Settings; label: string; kind: "bool"; options: [string, string][]; help?: string }
  | { key: keyof Settings; label: string; kind: "text" | "url" | "number"; placeholder?: string; help?: string };

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
];

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
  return patch;
}

/** The backend names each bad setting as `key: reason` in its message (joined by "; "). */
export function invalidMessageFor(message: string, key: string): string | null {
  const body = message.replace(/^invalid settings:\s*/, "");
  for (const part of body.split("; ")) {
    if (part.startsWith(`${key}: `)) return part.slice(key.length + 2);
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
    const form = h(
      "form",
      { class: "settings-form", "data-testid": "settings-form", novalidate: true },
      FIELDS.map((f) => {
        const id = `setting-${f.key}`;
        const value = view.settings[f.key];
        let input: HTMLInputElement | HTMLSelectElement;
        if (f.kind === "select" || f.kind === "bool") {
          input = h(
            "select",
            { id, name: f.key },
            f.options.map(([v, label]) => h("option", { value: v, selected: v === String(value) }, label)),
          );
        } else {
          input = h("input", {
            id,
            name: f.key,
            type: f.kind === "number" ? "number" : "text",
            inputmode: f.kind === "number" ? "numeric" : null,
            placeholder: f.kind !== "number" ? (f.placeholder ?? null) : null,
            value: value === null || value === undefined ? "" : String(value),
            spellcheck: "false",
          });
        }
        inputs[f.key] = input;
        const issue = view.issues.find((i) => i.key === f.key);
        const fieldError = h("small", { class: "error", id: `${id}-error`, hidden: !issue }, issue?.message ?? "");
        input.setAttribute("aria-describedby", `${id}-error`);
        if (issue) input.setAttribute("aria-invalid", "true");
        return h(
          "div",
          { class: "field" },
          h("label", { for: id }, f.label),
          input,
          f.help ? h("small", { class: "muted" }, f.help) : null,
          fieldError,
        );
      }),
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
    const unknown = view.issues.filter((i) => !FIELDS.some((f) => f.key === i.key));
    replace(
      body,
      unknown.length
        ? h("div", { class: "warning", role: "note", "data-testid": "settings-ignored" }, h("strong", {}, "Ignored settings: "), unknown.map((i) => `${i.key} (${i.message})`).join("; "))
        : null,
      h("section", { class: "card" }, h("h3", {}, "Market and coach"), form),
      h(
        "section",
        { class: "card" },
        h("h3", {}, "API keys"),
        view.secret_backend_warning ? h("p", { class: "warning", role: "note" }, view.secret_backend_warning) : null,
        view.secrets.map((s) =>
          secretRow(
            s,
            (v) => {
              render(v);
              showOk(`${s.label} updated.`);
              onSaved();
            },
            showError,
          ),
        ),
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
