import { describe, expect, it } from "vitest";
import { coachModeLabel } from "./modePill";

describe("coach mode pill", () => {
  it("names the model, or says plainly that none is in use", () => {
    expect(coachModeLabel({ ai_offline: true, ai_label: "llama3.1" }), "offline wins over a configured label: no model answers").toBe("Offline coach");
    expect(coachModeLabel({ ai_offline: false, ai_label: "llama3.1" }), "the model answering is named").toBe("Model: llama3.1");
  });
});
