// The conversation with the coach: sending a prompt and applying the answer's
// streamed events, Continue and Stop, following an answer that was still
// streaming before a reload, and which session is open (remembered across
// restarts). One answer streams at a time.

import type { ChatEvent, Timeframe } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import type { Composer } from "./composer";
import type { MessageList } from "./messageList";
import { applyEvent, chartToShow, fromStored, pendingAnswer, userMessage, type MessageView } from "./model";
import type { SessionDrawer } from "./sessionDrawer";
import { onScreenshotConfirmed } from "./screenshots";

const LAST_SESSION_KEY = "coach.session";

export interface Conversation {
  send(): Promise<void>;
  continueAnswer(m: MessageView): Promise<void>;
  stop(): void;
  openSession(id: number): Promise<void>;
  newChat(): void;
  /** The session `id` was deleted: leave it if it is the open one. */
  deleted(id: number): void;
  /** Draws the empty conversation, then reopens the session that was open when the app last closed. */
  start(): void;
  readonly sessionId: number | null;
  readonly messageCount: number;
  readonly streaming: boolean;
}

export function createConversation(opts: {
  /** The panel: it carries data-session-id and data-busy. */
  host: HTMLElement;
  list: MessageList;
  composer: Composer;
  drawer: Pick<SessionDrawer, "refresh" | "close" | "markCurrent">;
  openChart: (symbol: string, timeframe: Timeframe) => void;
}): Conversation {
  const { host, list, composer, drawer } = opts;
  let sessionId: number | null = null;
  let messages: MessageView[] = [];
  let streaming: MessageView | null = null;
  let streamingSession: number | null = null;
  let seq = 0;
  let resetAfterStream = false;

  const setItems = () => list.setItems(messages);

  const setBusy = (busy: boolean) => {
    composer.setBusy(busy);
    host.dataset.busy = String(busy);
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
    composer.setPhase(view.phase);
    const chart = chartToShow(ev);
    if (chart) opts.openChart(chart.symbol, chart.timeframe);
    if (ev.type === "done" || ev.type === "error") void drawer.refresh();
    list.refresh(view.key);
  };

  const finish = (view: MessageView) => {
    if (view.status === "streaming") view.status = "interrupted";
    streaming = null;
    streamingSession = null;
    composer.setPhase(null);
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
    composer.setPhase({ phase: "writing", label: "Still answering (started before the reload)…" });
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
      composer.setPhase(null);
      setBusy(false);
    }
  }

  async function send(): Promise<void> {
    const prompt = composer.value.trim();
    const images = [...composer.images];
    if ((!prompt && !images.length) || streaming) return;
    if (composer.attaching) {
      composer.showError("A screenshot is still being attached; send once it shows.");
      return;
    }
    composer.showError("");
    const k = `live${++seq}`;
    const view = pendingAnswer(k);
    messages.push(userMessage(`u${k}`, prompt, images), view);
    streaming = view;
    composer.value = "";
    composer.clearImages();
    setBusy(true);
    composer.setPhase(view.phase);
    setItems();
    list.scrollToBottom();
    try {
      await ipc.chatSend({ session_id: sessionId, prompt, images: images.map((i) => i.sha256) }, onEvent(view));
    } catch (e) {
      const err = e as IpcError;
      // Nothing was saved: take the optimistic messages back and keep the text.
      messages = messages.filter((m) => m !== view && m.key !== `u${k}`);
      composer.value = prompt;
      composer.restoreImages(images);
      composer.showError(err.message);
      setItems();
    } finally {
      finish(view);
    }
  }

  async function continueAnswer(m: MessageView): Promise<void> {
    if (streaming || m.id === null) return;
    composer.showError("");
    streaming = m;
    m.status = "streaming";
    m.error = null;
    m.phase = { phase: "thinking", label: "Thinking…" };
    setBusy(true);
    composer.setPhase(m.phase);
    list.refresh(m.key);
    try {
      await ipc.chatContinue(m.id, onEvent(m));
    } catch (e) {
      m.status = "interrupted";
      composer.showError((e as IpcError).message);
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
      host.dataset.sessionId = String(id);
      setItems();
      list.scrollToBottom();
      drawer.close();
      drawer.markCurrent();
      void follow(id);
    } catch (e) {
      composer.showError((e as IpcError).message);
      if (localStorage.getItem(LAST_SESSION_KEY) === String(id)) localStorage.removeItem(LAST_SESSION_KEY);
    }
  }

  function newChat(): void {
    if (streaming) return;
    sessionId = null;
    messages = [];
    delete host.dataset.sessionId;
    localStorage.removeItem(LAST_SESSION_KEY);
    setItems();
    drawer.close();
    drawer.markCurrent();
    composer.focus();
  }

  // A screenshot's positions were confirmed: the card shows them saved and
  // the turn that says so joins the conversation (as a reload shows it).
  onScreenshotConfirmed((messageId, r) => {
    const m = messages.find((x) => x.id === messageId);
    if (m) {
      const i = m.cards.findIndex((c) => c.tool_call_id === r.card.tool_call_id);
      if (i >= 0) m.cards[i] = r.card;
    }
    if (sessionId !== null && r.messages.every((x) => x.session_id === sessionId)) {
      messages.push(...r.messages.map(fromStored));
      setItems();
      list.scrollToBottom();
    }
    void drawer.refresh();
  });

  return {
    send,
    continueAnswer,
    stop,
    openSession,
    newChat,
    deleted(id) {
      if (sessionId !== id) return;
      if (streaming) resetAfterStream = true;
      else newChat();
    },
    start() {
      setItems();
      const last = Number(localStorage.getItem(LAST_SESSION_KEY));
      if (last > 0) void openSession(last);
    },
    get sessionId() {
      return sessionId;
    },
    get messageCount() {
      return messages.length;
    },
    get streaming() {
      return streaming !== null;
    },
  };
}
