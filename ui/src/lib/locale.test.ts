import { describe, expect, it } from "vitest";
import { FALLBACK_LOCALE, safeLocale } from "./locale";

describe("safeLocale", () => {
  it("falls back for the C locale that WebKitGTK reports under LANG=C.UTF-8", () => {
    expect(safeLocale("C")).toBe(FALLBACK_LOCALE);
    expect(safeLocale("POSIX")).toBe(FALLBACK_LOCALE);
    expect(safeLocale("")).toBe(FALLBACK_LOCALE);
    expect(safeLocale(undefined)).toBe(FALLBACK_LOCALE);
  });

  it("keeps valid tags and repairs POSIX spellings", () => {
    expect(safeLocale("de-DE")).toBe("de-DE");
    expect(safeLocale("en_GB.UTF-8")).toBe("en-GB");
    expect(safeLocale("fr_FR@euro")).toBe("fr-FR");
  });

  it("never returns something Intl rejects", () => {
    for (const junk of ["!!", "en-US-x-", "12", "C.UTF-8", "_"]) {
      const loc = safeLocale(junk);
      expect(() => new Intl.DateTimeFormat(loc)).not.toThrow();
    }
  });
});
