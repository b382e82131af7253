// The coach's panel: a streaming conversation with tool chips, inline cards,
// the current phase, stop and continue, and a session drawer with full-text
// search. It says plainly which coach is on (a model, or the offline coach).

import type { AppStatus, ChatEvent, SearchHit, SessionSummary } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { renderMarkdown } from "../chat/markdown";
import { renderCard } from "../chat/cards";
import { applyEvent, argsSummary, fromStored, pendingAnswer, userMessage, type Chip, type MessageView } from "../chat/model";
import { createVirtualList } from "../chat/virtualList";

export interface ChatPanel {
  element: HTMLElement;
  update(s: AppStatus): void;
  /** Puts a prompt into the input (from "Ask coach about this level") and focuses it. */
  prefill(text: string): void;
}

const LAST_SESSION_KEY = "coach.session";
const PHASE_ICON: Record<string, string> = { thinking: "…", calling: "⚙", analyzing: "◔", writing: "✎" };
const SUGGESTIONS = ["levels for SPY", "show NVDA 5m", "what is RSI on QQQ", "is the market open?"];

function when(ms: number): string {
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString("en-US", { month: "short", day: "numeric" });
}

function chipEl(c: Chip): HTMLElement {
  const icon = c.status === "running" ? h("span", { class: "spinner", "aria-hidden": "true" }) : h("span", { "aria-hidden": "true" }, c.status === "ok" ? "✓" : "✗");
  const detail = c.status === "ok" && c.ms !== null ? `${Math.round(c.ms)} ms` : c.status === "error" ? "failed" : "running";
  const args = argsSummary(c.arguments);
  return h(
    "span",
    {
      class: `tool-chip tool-${c.status}`,
      "data-testid": "tool-chip",
      "data-status": c.status,
      "data-tool": c.name,
      title: c.error ? `${c.name} failed: ${c.error}` : `${c.name} ${JSON.stringify(c.arguments)}`,
    },
    icon,
    h("span", { class: "tool-name" }, c.name),
    args ? h("span", { class: "tool-args" }, args) : null,
    h("span", { class: "tool-detail" }, detail),
  );
}

export function createChatPanel(
  initial: AppStatus,
  opts: { onOpenChart?: (symbol: string, timeframe: string) => void } = {},
): ChatPanel {
  let status = initial;
  let sessionId: number | null = null;
  let messages: MessageView[] = [];
  let streaming: MessageView | null = null;
  let streamingSession: number | null = null;
  let seq = 0;
  const openChart = (s: string, tf: string) => opts.onOpenChart?.(s, tf);

  // --- header --------------------------------------------------------------
  const mode = h("span", { class: "pill", "data-testid": "chat-mode" });
  const historyBtn = h("button", { type: "button", class: "btn btn-quiet btn-small", "data-testid": "chat-history", "aria-expanded": "false", "aria-controls": "session-drawer" }, "History");
  const newBtn = h("button", { type: "button", class: "btn btn-quiet btn-small", "data-testid": "chat-new", title: "Start a new conversation" }, "New");

  // --- message list ----------------------------------------------------------
  const renderMessage = (m: MessageView): HTMLElement => {
    const el = h("article", {
      class: `chat-msg chat-${m.role}`,
      "data-testid": "chat-message",
      "data-role": m.role,
      "data-status": m.status,
      "data-message-id": m.id ?? "",
    });
    if (m.role === "user") {
      el.append(h("div", { class: "msg-text" }, m.content));
      return el;
    }
    if (m.chips.length) el.append(h("div", { class: "tool-chips" }, m.chips.map(chipEl)));
    if (m.cards.length) el.append(h("div", { class: "chat-cards" }, m.cards.map((c) => renderCard(c, openChart))));
    const md = h("div", { class: "md" });
    md.append(renderMarkdown(m.content, m.unverified));
    if (m.status === "streaming") {
      const tail = md.lastElementChild ?? md;
      tail.append(h("span", { class: "cursor", "aria-hidden": "true" }));
    }
    el.append(md);
    if (m.unverified.length) {
      el.append(
        h(
          "p",
          { class: "grounding-note", "data-testid": "grounding-note" },
          `⚠ ${m.unverified.length === 1 ? "1 number" : `${m.unverified.length} numbers`} in this answer could not be matched to a tool result: ${m.unverified.join(", ")}`,
        ),
      );
    }
    if (m.status === "interrupted" || m.status === "cancelled") {
      const label = m.status === "cancelled" ? "Stopped." : `Interrupted${m.error ? `: ${m.error}` : "."}`;
      const cont =
        m.id !== null
          ? h("button", { type: "button", class: "btn btn-small", "data-testid": "chat-continue", onclick: () => void continueAnswer(m) }, "Continue")
          : null;
      el.append(h("div", { class: "msg-foot" }, h("span", { class: m.status === "interrupted" ? "warn-text" : "muted" }, label), cont));
    }
    return el;
  };
  const list = createVirtualList<MessageView>({
    keyOf: (m) => m.key,
    render: renderMessage,
    class: "chat-log",
    attrs: { role: "log", "aria-label": "Conversation", "data-testid": "chat-log" },
  });

  const welcome = h("div", { class: "chat-welcome", "data-testid": "chat-welcome" });
  const renderWelcome = () => {
    replace(
      welcome,
      h("p", {}, h("strong", {}, "Welcome to AI Coach. ")),
      h(
        "p",
        {},
        status.ai_offline
          ? "I'm the offline coach: no language model is in use, so my answers are templates over the numbers this app computes."
          : `I'm running on ${status.ai_label}. Every number I quote comes from a tool result the app computed; numbers I can't back are flagged.`,
      ),
      h(
        "p",
        { class: "muted" },
        status.market_mode === "demo" ? "You're on the demo market: simulated prices, not real quotes." : `Market data: ${status.market_label}.`,
      ),
      h(
        "div",
        { class: "suggestions" },
        SUGGESTIONS.map((s) => h("button", { type: "button", class: "btn btn-small suggestion", onclick: () => { input.value = s; void send(); } }, s)),
      ),
    );
  };

  // --- phase and composer ------------------------------------------------------
  const phaseEl = h("div", { class: "chat-phase", "data-testid": "chat-phase", "data-phase": "idle", hidden: true, role: "status" });
  const input = h("textarea", {
    class: "chat-input",
    rows: 2,
    "data-testid": "chat-input",
    "aria-label": "Message to the coach",
    placeholder: "Ask the coach… (Enter sends, Shift+Enter for a new line)",
  });
  const sendBtn = h("button", { type: "button", class: "btn btn-primary", "data-testid": "chat-send" }, "Send");
  const stopBtn = h("button", { type: "button", class: "btn", "data-testid": "chat-stop", hidden: true, title: "Stop the answer (Esc)" }, "Stop");
  const composerError = h("p", { class: "field-error", role: "alert", "data-testid": "chat-error" });

  // --- session drawer ----------------------------------------------------------
  const search = h("input", { type: "search", class: "session-search", "data-testid": "session-search", placeholder: "Search all conversations", "aria-label": "Search conversations" });
  const sessionList = h("ul", { class: "session-list", "aria-label": "Conversations" });
  const drawer = h("nav", { class: "session-drawer", id: "session-drawer", "data-testid": "session-drawer", hidden: true, "aria-label": "Conversation history" }, search, sessionList);

  const element = h(
    "aside",
    { class: "chat-panel", "aria-label": "Coach", "data-testid": "chat-panel" },
    h("header", { class: "panel-head" }, h("h2", {}, "Coach"), mode, h("span", { class: "spacer" }), historyBtn, newBtn),
    h("div", { class: "chat-body" }, drawer, welcome, list.element),
    h("div", { class: "chat-composer" }, phaseEl, composerError, h("div", { class: "composer-row" }, input, h("div", { class: "composer-buttons" }, sendBtn, stopBtn))),
  );

  const setItems = () => {
    welcome.hidden = messages.length > 0;
    list.element.hidden = messages.length === 0;
    list.setItems(messages);
  };

  const setPhase = (p: MessageView["phase"]) => {
    if (!p) {
      phaseEl.hidden = true;
      phaseEl.dataset.phase = "idle";
      phaseEl.replaceChildren();
      return;
    }
    phaseEl.hidden = false;
    phaseEl.dataset.phase = p.phase;
    replace(phaseEl, h("span", { class: `phase-icon phase-${p.phase}`, "aria-hidden": "true" }, PHASE_ICON[p.phase] ?? "•"), p.label);
  };

  const setBusy = (busy: boolean) => {
    sendBtn.hidden = busy;
    stopBtn.hidden = !busy;
    element.dataset.busy = String(busy);
  };

  const onEvent = (view: MessageView) => (ev: ChatEvent) => {
    if (ev.type === "started") {
      streamingSession = ev.session_id;
      if (sessionId === null) {
        sessionId = ev.session_id;
        localStorage.setItem(LAST_SESSION_KEY, String(ev.session_id));
      }
      const user = messages.find((m) => m.key === `u${view.key}`);
      if (user && ev.user_message_id !== null) user.id = ev.user_message_id;
    }
    applyEvent(view, ev);
    setPhase(view.phase);
    if (ev.type === "tool_result" && ev.ok && ev.name === "show_chart") {
      const r = ev.result as { symbol?: string; timeframe?: string };
      if (r.symbol) openChart(r.symbol, r.timeframe ?? "5m");
    }
    if (ev.type === "done" || ev.type === "error") void refreshSessions();
    list.refresh(view.key);
  };

    let resetAfterStream = false;
  const finish = (view: MessageView) => {
    if (view.status === "streaming") view.status = "interrupted";
    streaming = null;
    streamingSession = null;
    setPhase(null);
    setBusy(false);
    list.refresh(view.key);
    // The session was deleted while it answered: start afresh.
    if (resetAfterStream) {
      resetAfterStream = false;
      newChat();
    }
  };

  /** An answer still streaming in the engine (started before a reload): show it and follow it. */
  async function follow(id: number): Promise<void> {
    const last = messages[messages.length - 1];
    if (!last || last.status !== "streaming") return;
    streaming = last;
    streamingSession = id;
    setBusy(true);
    setPhase({ phase: "writing", label: "Still answering (started before the reload)…" });
    while (sessionId === id && streaming) {
      await new Promise((r) => setTimeout(r, 700));
      if (sessionId !== id) return;
      let d;
      try {
        d = await ipc.chatSession(id);
      } catch {
        break;
      }
      messages = d.messages.map(fromStored);
      const now = messages[messages.length - 1];
      streaming = now ?? null;
      setItems();
      if (!now || now.status !== "streaming") break;
    }
    if (streaming) finish(streaming);
    else {
      streamingSession = null;
      setPhase(null);
      setBusy(false);
    }
  }

  async function send(): Promise<void> {
    const prompt = input.value.trim();
    if (!prompt || streaming) return;
    composerError.textContent = "";
    const k = `live${++seq}`;
    const view = pendingAnswer(k);
    messages.push(userMessage(`u${k}`, prompt), view);
    streaming = view;
    input.value = "";
    setBusy(true);
    setPhase(view.phase);
    setItems();
    list.scrollToBottom();
    try {
      await ipc.chatSend({ session_id: sessionId, prompt }, onEvent(view));
    } catch (e) {
      const err = e as IpcError;
      // Nothing was saved: take the optimistic messages back and keep the text.
      messages = messages.filter((m) => m !== view && m.key !== `u${k}`);
      input.value = prompt;
      composerError.textContent = err.message;
      setItems();
    } finally {
      finish(view);
    }
  }

  async function continueAnswer(m: MessageView): Promise<void> {
    if (streaming || m.id === null) return;
    composerError.textContent = "";
    streaming = m;
    m.status = "streaming";
    m.error = null;
    m.phase = { phase: "thinking", label: "Thinking…" };
    setBusy(true);
    setPhase(m.phase);
    list.refresh(m.key);
    try {
      await ipc.chatContinue(m.id, onEvent(m));
    } catch (e) {
      m.status = "interrupted";
      composerError.textContent = (e as IpcError).message;
    } finally {
      finish(m);
    }
  }

  function stop(): void {
    const s = streamingSession ?? sessionId;
    if (streaming && s !== null) void ipc.chatCancel(s);
  }

  async function openSession(id: number): Promise<void> {
    if (streaming) return;
    try {
      const d = await ipc.chatSession(id);
      sessionId = id;
      messages = d.messages.map(fromStored);
      localStorage.setItem(LAST_SESSION_KEY, String(id));
      element.dataset.sessionId = String(id);
            setItems();
      list.scrollToBottom();
      closeDrawer();
      markCurrent();
      void follow(id);
    } catch (e) {
      composerError.textContent = (e as IpcError).message;
      if (localStorage.getItem(LAST_SESSION_KEY) === String(id)) localStorage.removeItem(LAST_SESSION_KEY);
    }
  }

  function newChat(): void {
    if (streaming) return;
    sessionId = null;
    messages = [];
    delete element.dataset.sessionId;
    localStorage.removeItem(LAST_SESSION_KEY);
    setItems();
    closeDrawer();
    markCurrent();
    input.focus();
  }

  // --- drawer behaviour ------------------------------------------------------
  let sessions: SessionSummary[] = [];
  const markCurrent = () => {
    for (const li of sessionList.querySelectorAll<HTMLElement>("[data-session-id]")) {
      li.classList.toggle("current", li.dataset.sessionId === String(sessionId));
    }
  };
  const sessionRow = (s: SessionSummary): HTMLElement => {
    const li = h("li", { class: "session-row", "data-testid": "session-row", "data-session-id": s.id });
    const open = h("button", { type: "button", class: "session-open", onclick: () => void openSession(s.id) }, h("span", { class: "session-title" }, s.title), h("span", { class: "muted session-meta" }, `${when(s.updated_ms)} · ${s.message_count}`));
    const rename = h("button", { type: "button", class: "icon-btn", "aria-label": `Rename ${s.title}`, title: "Rename", "data-testid": "session-rename" }, "✎");
    const del = h("button", { type: "button", class: "icon-btn", "aria-label": `Delete ${s.title}`, title: "Delete", "data-testid": "session-delete" }, "✕");
    rename.addEventListener("click", () => {
      const field = h("input", { class: "session-rename-input", value: s.title, "aria-label": "New title", maxlength: 120 });
      const done = async (save: boolean) => {
        if (save && field.value.trim() && field.value.trim() !== s.title) {
          try {
            await ipc.chatRename(s.id, field.value.trim());
          } catch (e) {
            composerError.textContent = (e as IpcError).message;
          }
        }
        void refreshSessions();
      };
      field.addEventListener("keydown", (e) => {
        if (e.key === "Enter") void done(true);
        if (e.key === "Escape") {
          e.stopPropagation();
          void done(false);
        }
      });
      field.addEventListener("blur", () => void done(true));
      li.replaceChildren(field);
      field.focus();
      field.select();
    });
    del.addEventListener("click", async () => {
      if (del.dataset.confirm !== "1") {
        del.dataset.confirm = "1";
        del.textContent = "Delete?";
        del.classList.add("danger");
        setTimeout(() => {
          del.dataset.confirm = "";
          del.textContent = "✕";
          del.classList.remove("danger");
        }, 4000);
        return;
      }
            try {
        await ipc.chatDelete(s.id);
        if (sessionId === s.id) {
          if (streaming) resetAfterStream = true;
          else newChat();
        }
      } catch (e) {
        composerError.textContent = (e as IpcError).message;
      }
      void refreshSessions();
    });
    li.append(open, h("span", { class: "session-actions" }, rename, del));
    return li;
  };
  const hitRow = (hit: SearchHit): HTMLElement =>
    h(
      "li",
      { class: "session-row search-hit", "data-testid": "session-row", "data-session-id": hit.session_id },
      h(
        "button",
        { type: "button", class: "session-open", onclick: () => void openSession(hit.session_id) },
        h("span", { class: "session-title" }, hit.session_title),
        h("span", { class: "snippet" }, hit.snippet.map((p) => (p.hit ? h("mark", {}, p.text) : p.text))),
      ),
    );

  async function refreshSessions(): Promise<void> {
    if (search.value.trim()) return runSearch();
    try {
      sessions = await ipc.chatSessions(200);
    } catch {
      return;
    }
    if (sessions.length === 0) replace(sessionList, h("li", { class: "muted empty" }, "No conversations yet."));
    else replace(sessionList, sessions.map(sessionRow));
    markCurrent();
  }

  let searchTimer = 0;
  async function runSearch(): Promise<void> {
    const q = search.value.trim();
    if (!q) return refreshSessions();
    try {
      const hits = await ipc.chatSearch(q, 50);
      if (search.value.trim() !== q) return;
      if (hits.length === 0) replace(sessionList, h("li", { class: "muted empty" }, `Nothing matches “${q}”.`));
      else replace(sessionList, hits.map(hitRow));
    } catch (e) {
      replace(sessionList, h("li", { class: "error" }, (e as IpcError).message));
    }
  }
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => void runSearch(), 150);
  });

  function closeDrawer(): void {
    drawer.hidden = true;
    historyBtn.setAttribute("aria-expanded", "false");
  }
  historyBtn.addEventListener("click", () => {
    const open = drawer.hidden;
    drawer.hidden = !open;
    historyBtn.setAttribute("aria-expanded", String(open));
    if (open) {
      void refreshSessions();
      search.focus();
    }
  });
  drawer.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      closeDrawer();
      historyBtn.focus();
    }
  });
  newBtn.addEventListener("click", newChat);

  // --- keyboard ------------------------------------------------------------
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === "Escape" && streaming) {
      e.preventDefault();
      stop();
    }
  });
  element.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && streaming) stop();
  });
  sendBtn.addEventListener("click", () => void send());
  stopBtn.addEventListener("click", stop);

  const render = (s: AppStatus) => {
    status = s;
    mode.textContent = s.ai_offline ? "Offline coach" : `Model: ${s.ai_label}`;
    mode.title = s.ai_detail ?? "";
    mode.dataset.offline = String(s.ai_offline);
    renderWelcome();
  };
  render(initial);
  setItems();
  const last = Number(localStorage.getItem(LAST_SESSION_KEY));
  if (last > 0) void openSession(last);

  // QA introspection (WebDriver): how many messages exist and how many are drawn.
  window.__coachQa = {
    ...window.__coachQa,
    chat: () => ({ sessionId, messages: messages.length, rendered: list.renderedCount(), streaming: streaming !== null }),
  };

  return {
    element,
    update: render,
    prefill(text) {
      input.value = text;
      input.focus();
      input.setSelectionRange(text.length, text.length);
      input.scrollIntoView({ block: "nearest" });
    },
  };
}
