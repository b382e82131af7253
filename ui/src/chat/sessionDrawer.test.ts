import { describe, expect, it } from "vitest";
import { sessionTime } from "./sessionDrawer";

describe("session time", () => {
  const today = new Date(2024, 5, 3, 18, 0);

  it("shows the time for a session changed today", () => {
    expect(sessionTime(new Date(2024, 5, 3, 9, 5).getTime(), today), "today the date is implied; the time tells sessions apart").toMatch(/^09:05\sAM$/u);
  });

  it("shows the date for an older session", () => {
    expect(sessionTime(new Date(2024, 5, 2, 23, 59).getTime(), today), "yesterday late is not today, whatever the hour").toBe("Jun 2");
    expect(sessionTime(new Date(2023, 5, 3, 9, 5).getTime(), today), "the same day a year ago is not today").toBe("Jun 3");
  });
});
