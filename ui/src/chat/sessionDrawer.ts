// The conversation history: a drawer listing saved sessions (open, rename in
// place, delete with a second click to confirm) with full-text search over
// every message. The History button in the panel's header opens it.

import type { SearchHit, SessionSummary } from "../generated/bindings";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";

/** A session's last change: the time today, else the date ("Jun 3"). */
export function sessionTime(ms: number, today: Date = new Date()): string {
  const d = new Date(ms);
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString("en-US", { month: "short", day: "numeric" });
}

export interface SessionDrawer {
  element: HTMLElement;
  historyButton: HTMLButtonElement;
  /** Lists the sessions again (or the search's hits while a search is typed). */
  refresh(): Promise<void>;
  close(): void;
  /** Marks the open session's row. */
  markCurrent(): void;
}

export function createSessionDrawer(opts: {
  current: () => number | null;
  onOpen: (id: number) => void;
  /** The session was deleted in the engine. */
  onDeleted: (id: number) => void;
  onError: (message: string) => void;
}): SessionDrawer {
  const historyButton = h("button", { type: "button", class: "btn btn-quiet btn-small", "data-testid": "chat-history", "aria-expanded": "false", "aria-controls": "session-drawer" }, "History");
  const search = h("input", { type: "search", class: "session-search", "data-testid": "session-search", placeholder: "Search all conversations", "aria-label": "Search conversations" });
  const sessionList = h("ul", { class: "session-list", "aria-label": "Conversations" });
  const drawer = h("nav", { class: "session-drawer", id: "session-drawer", "data-testid": "session-drawer", hidden: true, "aria-label": "Conversation history" }, search, sessionList);

  const markCurrent = () => {
    for (const li of sessionList.querySelectorAll<HTMLElement>("[data-session-id]")) {
      li.classList.toggle("current", li.dataset.sessionId === String(opts.current()));
    }
  };

  const sessionRow = (s: SessionSummary): HTMLElement => {
    const li = h("li", { class: "session-row", "data-testid": "session-row", "data-session-id": s.id });
    const open = h("button", { type: "button", class: "session-open", onclick: () => void opts.onOpen(s.id) }, h("span", { class: "session-title" }, s.title), h("span", { class: "muted session-meta" }, `${sessionTime(s.updated_ms)} · ${s.message_count}`));
    const rename = h("button", { type: "button", class: "icon-btn", "aria-label": `Rename ${s.title}`, title: "Rename", "data-testid": "session-rename" }, "✎");
    const del = h("button", { type: "button", class: "icon-btn", "aria-label": `Delete ${s.title}`, title: "Delete", "data-testid": "session-delete" }, "✕");
    rename.addEventListener("click", () => {
      const field = h("input", { class: "session-rename-input", value: s.title, "aria-label": "New title", maxlength: 120 });
      const done = async (save: boolean) => {
        if (save && field.value.trim() && field.value.trim() !== s.title) {
          try {
            await ipc.chatRename(s.id, field.value.trim());
          } catch (e) {
            opts.onError((e as IpcError).message);
          }
        }
        void refresh();
      };
      field.addEventListener("keydown", (e) => {
        if (e.key === "Enter") void done(true);
        if (e.key === "Escape") {
          // Esc cancels the rename only; the drawer stays open.
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
        opts.onDeleted(s.id);
      } catch (e) {
        opts.onError((e as IpcError).message);
      }
      void refresh();
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
        { type: "button", class: "session-open", onclick: () => void opts.onOpen(hit.session_id) },
        h("span", { class: "session-title" }, hit.session_title),
        h("span", { class: "snippet" }, hit.snippet.map((p) => (p.hit ? h("mark", {}, p.text) : p.text))),
      ),
    );

  async function refresh(): Promise<void> {
    if (search.value.trim()) return runSearch();
    let sessions: SessionSummary[];
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
    if (!q) return refresh();
    try {
      const hits = await ipc.chatSearch(q, 50);
      // A newer query was typed while this one ran.
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

  function close(): void {
    drawer.hidden = true;
    historyButton.setAttribute("aria-expanded", "false");
  }
  historyButton.addEventListener("click", () => {
    const open = drawer.hidden;
    drawer.hidden = !open;
    historyButton.setAttribute("aria-expanded", String(open));
    if (open) {
      void refresh();
      search.focus();
    }
  });
  drawer.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      close();
      historyButton.focus();
    }
  });

  return { element: drawer, historyButton, refresh, close, markCurrent };
}
