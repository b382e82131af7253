// Where the user writes to the coach: the current phase of the answer, the
// last error, the text box, screenshots attached (drop, paste or the file
// button, each previewed with a remove button), and Send (Stop while an
// answer streams). Enter sends, Shift+Enter breaks the line, Esc stops a
// streaming answer.

import type { StoredImage } from "../generated/bindings";
import type { MessageView } from "./model";
import { ipc, type IpcError } from "../ipc";
import { h, replace } from "../lib/dom";
import { MAX_ATTACHMENTS, attachError, imageMeta, rememberImage, thumbnail } from "./screenshots";

const PHASE_ICON: Record<string, string> = { thinking: "…", calling: "⚙", analyzing: "◔", writing: "✎", reading: "▣", extracting: "⌗", checking: "✓" };

/** A paperclip, drawn (the UI font has no emoji). */
function paperclip(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "attach-icon");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M16.5 6.5 8.6 14.4a2 2 0 0 0 2.8 2.8l8.1-8.1a4 4 0 0 0-5.7-5.7L5.6 11.6a6 6 0 0 0 8.5 8.5l6.4-6.4");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.8");
  path.setAttribute("stroke-linecap", "round");
  svg.append(path);
  return svg;
}

function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error("the file could not be read"));
    r.readAsDataURL(file);
  });
}

export interface Composer {
  element: HTMLElement;
  /** The text in the box. */
  value: string;
  focus(): void;
  /** Says what went wrong (an empty string clears it). */
  showError(message: string): void;
  setPhase(p: MessageView["phase"]): void;
  /** Swaps Send for Stop while an answer streams. */
  setBusy(busy: boolean): void;
  /** Puts a prompt into the box, focused, with the caret at its end. */
  prefill(text: string): void;
  /** The images attached for the next message (stored already). */
  readonly images: StoredImage[];
  /** Whether an image is still being stored. */
  readonly attaching: boolean;
  clearImages(): void;
  /** Puts images back (a send that failed). */
  restoreImages(images: StoredImage[]): void;
}

export function createComposer(opts: { onSend: () => void; onStop: () => void; isStreaming: () => boolean }): Composer {
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
  const fileInput = h("input", { type: "file", accept: "image/png,image/jpeg,image/webp", multiple: true, hidden: true, "data-testid": "chat-attach-input" });
  const attachBtn = h("button", { type: "button", class: "btn btn-icon", "data-testid": "chat-attach", title: "Attach a screenshot of your positions (PNG, JPEG or WebP, up to 10 MB); you can also drop or paste one", "aria-label": "Attach a screenshot" }, paperclip());
  const previews = h("div", { class: "attach-previews", "data-testid": "attach-previews", hidden: true });
  const element = h("div", { class: "chat-composer" }, phaseEl, composerError, previews, h("div", { class: "composer-row" }, attachBtn, fileInput, input, h("div", { class: "composer-buttons" }, sendBtn, stopBtn)));
  let images: StoredImage[] = [];
  let pending = 0;

  const drawPreviews = () => {
    previews.hidden = images.length === 0 && pending === 0;
    replace(
      previews,
      images.map((img) =>
        h(
          "div",
          { class: "attach-preview", "data-testid": "screenshot-preview", "data-sha256": img.sha256 },
          thumbnail(img, "screenshot-preview-thumb"),
          h("span", { class: "muted attach-meta" }, imageMeta(img)),
          h(
            "button",
            {
              type: "button",
              class: "btn btn-small attach-remove",
              "data-testid": "screenshot-remove",
              "aria-label": "Remove the screenshot",
              title: "Remove",
              onclick: () => {
                images = images.filter((i) => i.sha256 !== img.sha256);
                drawPreviews();
              },
            },
            "✕",
          ),
        ),
      ),
      pending ? h("div", { class: "attach-preview pending muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Attaching…") : null,
    );
  };

  async function attach(files: File[]): Promise<void> {
    composerError.textContent = "";
    for (const file of files) {
      const bad = attachError(file);
      if (bad) {
        composerError.textContent = bad;
        continue;
      }
      if (images.length + pending >= MAX_ATTACHMENTS) {
        composerError.textContent = `At most ${MAX_ATTACHMENTS} screenshots go with one message.`;
        break;
      }
      pending++;
      drawPreviews();
      try {
        const url = await readAsDataUrl(file);
        const img = await ipc.screenshotPut(url);
        rememberImage(img.sha256, url);
        if (!images.some((i) => i.sha256 === img.sha256)) images.push(img);
      } catch (e) {
        composerError.textContent = `${file.name || "The image"}: ${(e as IpcError).message ?? String(e)}`;
      } finally {
        pending--;
        drawPreviews();
      }
    }
  }

  attachBtn.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const files = [...(fileInput.files ?? [])];
    fileInput.value = "";
    void attach(files);
  });
  element.addEventListener("dragover", (e) => {
    if (!e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault();
    element.classList.add("dropping");
  });
  element.addEventListener("dragleave", (e) => {
    if (e.target === element || !element.contains(e.relatedTarget as Node | null)) element.classList.remove("dropping");
  });
  element.addEventListener("drop", (e) => {
    element.classList.remove("dropping");
    const files = [...(e.dataTransfer?.files ?? [])];
    if (!files.length) return;
    e.preventDefault();
    void attach(files);
  });
  input.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.items ?? [])].filter((i) => i.kind === "file").map((i) => i.getAsFile()).filter((f): f is File => f !== null);
    if (!files.length) return;
    e.preventDefault();
    void attach(files.map((f, i) => (f.name ? f : new File([f], `pasted-${i + 1}.${f.type.split("/")[1] ?? "png"}`, { type: f.type }))));
  });

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      opts.onSend();
    } else if (e.key === "Escape" && opts.isStreaming()) {
      e.preventDefault();
      opts.onStop();
    }
  });
  sendBtn.addEventListener("click", () => opts.onSend());
  stopBtn.addEventListener("click", () => opts.onStop());

  return {
    element,
    get value() {
      return input.value;
    },
    set value(text) {
      input.value = text;
    },
    focus: () => input.focus(),
    showError(message) {
      composerError.textContent = message;
    },
    setPhase(p) {
      if (!p) {
        phaseEl.hidden = true;
        phaseEl.dataset.phase = "idle";
        phaseEl.replaceChildren();
        return;
      }
      phaseEl.hidden = false;
      phaseEl.dataset.phase = p.phase;
      replace(phaseEl, h("span", { class: `phase-icon phase-${p.phase}`, "aria-hidden": "true" }, PHASE_ICON[p.phase] ?? "•"), p.label);
    },
    setBusy(busy) {
      sendBtn.hidden = busy;
      stopBtn.hidden = !busy;
    },
    get images() {
      return images;
    },
    get attaching() {
      return pending > 0;
    },
    clearImages() {
      images = [];
      drawPreviews();
    },
    restoreImages(list) {
      images = list;
      drawPreviews();
    },
    prefill(text) {
      input.value = text;
      input.focus();
      input.setSelectionRange(text.length, text.length);
      input.scrollIntoView({ block: "nearest" });
    },
  };
}
