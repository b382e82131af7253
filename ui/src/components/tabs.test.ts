import { describe, expect, it } from "vitest";
import { createTabs } from "./tabs";

describe("tabs", () => {
  it("shows one panel at a time and moves with arrow keys", () => {
    const shown: string[] = [];
    const a = document.createElement("div");
    const b = document.createElement("div");
    const tabs = createTabs([
      { id: "a", label: "A", panel: a, onShow: () => shown.push("a") },
      { id: "b", label: "B", panel: b, onShow: () => shown.push("b") },
    ]);
    document.body.replaceChildren(tabs.list, tabs.panels);
    tabs.select("a");
    expect(a.parentElement!.hidden).toBe(false);
    expect(b.parentElement!.hidden).toBe(true);
    const tabA = document.querySelector<HTMLElement>("[data-testid=tab-a]")!;
    tabA.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(document.querySelector("[data-testid=tab-b]")!.getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe(document.querySelector("[data-testid=tab-b]"));
    expect(shown).toEqual(["a", "b"]);
  });
});
