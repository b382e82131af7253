import { describe, expect, it } from "vitest";
import { chipDetail, endNote, groundingNote, renderMessage, welcomeText } from "./messageList";
import { pendingAnswer } from "./model";

const noop = () => {};

describe("message text", () => {
  it("gives a finished chip its time and a failed one its outcome", () => {
    expect(chipDetail({ status: "ok", ms: 12.6 }), "a done tool shows how long it took, rounded").toBe("13 ms");
    expect(chipDetail({ status: "error", ms: 40 }), "a failure is not a timing").toBe("failed");
    expect(chipDetail({ status: "ok", ms: null }), "a result restored without a time still reads as running").toBe("running");
  });

  it("counts unbacked numbers and names them", () => {
    expect(groundingNote([]), "an answer fully backed by tools gets no note").toBeNull();
    expect(groundingNote(["999.99"]), "one number is singular").toBe("⚠ 1 number in this answer could not be matched to a tool result: 999.99");
    expect(groundingNote(["1", "2"]), "several are counted and listed").toMatch(/^⚠ 2 numbers .*: 1, 2$/);
  });

  it("says why an answer ended early", () => {
    expect(endNote({ status: "cancelled", error: null }), "the user stopped it").toBe("Stopped.");
    expect(endNote({ status: "interrupted", error: "model went away" }), "the reason is shown when known").toBe("Interrupted: model went away");
    expect(endNote({ status: "interrupted", error: null }), "without a reason the sentence still ends").toBe("Interrupted.");
    expect(endNote({ status: "complete", error: null }), "a finished answer has no foot").toBeNull();
  });

  it("tells which coach answers and where prices come from", () => {
    const offline = welcomeText({ ai_offline: true, ai_label: "x", market_mode: "demo", market_label: "Demo" });
    expect(offline.coach, "the offline coach must not pass for a model").toMatch(/^I'm the offline coach/);
    expect(offline.market, "demo prices are flagged as simulated").toMatch(/simulated prices/);
    const model = welcomeText({ ai_offline: false, ai_label: "llama3.1", market_mode: "massive_realtime", market_label: "Massive real-time" });
    expect(model.coach, "a model is named").toMatch(/^I'm running on llama3\.1\./);
    expect(model.market, "a real feed is named by its label").toBe("Market data: Massive real-time.");
  });
});

describe("message element", () => {
  it("offers Continue only for a stored answer that broke off", () => {
    const unsaved = { ...pendingAnswer("a"), status: "interrupted" as const, content: "Half" };
    const saved = { ...unsaved, id: 9 };
    const el = renderMessage(saved, { openChart: noop, onContinue: noop });
    expect(el.querySelector("[data-testid=chat-continue]"), "a saved message can be resumed").not.toBeNull();
    expect(el.querySelector(".msg-foot .warn-text")?.textContent, "an interruption is a warning").toBe("Interrupted.");
    expect(renderMessage(unsaved, { openChart: noop, onContinue: noop }).querySelector("[data-testid=chat-continue]"), "nothing to resume from without an id").toBeNull();
  });

  it("marks a streaming answer with a cursor", () => {
    const el = renderMessage({ ...pendingAnswer("s"), content: "Writing" }, { openChart: noop, onContinue: noop });
    expect(el.dataset.status, "QA waits on the status attribute").toBe("streaming");
    expect(el.querySelector(".md .cursor"), "the cursor shows the text is still coming").not.toBeNull();
  });
});
