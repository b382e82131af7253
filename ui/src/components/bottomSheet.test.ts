import { describe, expect, it } from "vitest";
import { createBottomSheet, nearestSnap, stepSnap } from "./bottomSheet";

describe("snap points", () => {
  it("settles on the nearest snap point", () => {
    expect(nearestSnap(0.35)).toBe(0.3);
    expect(nearestSnap(0.5)).toBe(0.6);
    expect(nearestSnap(0.99)).toBe(0.92);
  });
  it("closes when dragged below half the lowest snap point", () => {
    expect(nearestSnap(0.1)).toBe(0);
    expect(nearestSnap(0.16)).toBe(0.3);
  });
  it("steps up and down and closes below the lowest", () => {
    expect(stepSnap(0.3, 1)).toBe(0.6);
    expect(stepSnap(0.92, 1)).toBe(0.92);
    expect(stepSnap(0.3, -1)).toBe(0);
  });
});

describe("createBottomSheet", () => {
  it("opens as a labelled dialog, takes focus, and Esc closes it and returns focus", () => {
    const opener = document.createElement("button");
    document.body.append(opener);
    opener.focus();
    let closed = 0;
    const sheet = createBottomSheet({
      title: "Levels",
      testId: "level-sheet",
      content: document.createTextNode("list"),
      onClose: () => closed++,
    });
    document.body.append(sheet.element);
    expect(sheet.element.hidden).toBe(true);
    sheet.open();
    expect(sheet.isOpen).toBe(true);
    expect(sheet.element.getAttribute("role")).toBe("dialog");
    expect(document.getElementById(sheet.element.getAttribute("aria-labelledby")!)?.textContent).toBe("Levels");
    expect(document.activeElement).toBe(sheet.element);
    sheet.element.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(sheet.isOpen).toBe(false);
    expect(sheet.element.hidden).toBe(true);
    expect(document.activeElement).toBe(opener);
    expect(closed).toBe(1);
  });

  it("arrow keys on the handle move between snap points", () => {
    const sheet = createBottomSheet({ title: "S", testId: "s", content: document.createTextNode("") });
    document.body.append(sheet.element);
    sheet.open();
    const handle = sheet.element.querySelector<HTMLButtonElement>("[data-testid=s-handle]")!;
    handle.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowUp", bubbles: true }));
    expect(sheet.snap).toBe(0.6);
    handle.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    handle.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    expect(sheet.isOpen).toBe(false);
  });
});
