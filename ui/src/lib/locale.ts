// WebKitGTK under LANG=C.UTF-8 reports navigator.language as "C", which is not a
// BCP 47 tag; Intl (and lightweight-charts) throw RangeError on it and the chart
// goes blank. Every locale the UI hands to Intl comes through here.

export const FALLBACK_LOCALE = "en-US";

export function safeLocale(candidate: string | undefined | null): string {
  if (!candidate) return FALLBACK_LOCALE;
  // POSIX forms such as "en_US.UTF-8" or "de_DE@euro" carry a usable tag.
  const cleaned = candidate.split(".")[0]!.split("@")[0]!.replace(/_/g, "-");
  try {
    const [canonical] = Intl.getCanonicalLocales(cleaned);
    if (!canonical || canonical.length < 2) return FALLBACK_LOCALE;
    // "C" and "POSIX" are valid-looking but mean "no locale".
    if (/^(c|posix)$/i.test(canonical)) return FALLBACK_LOCALE;
    new Intl.NumberFormat(canonical);
    return canonical;
  } catch {
    return FALLBACK_LOCALE;
  }
}

export const uiLocale: string = safeLocale(
  typeof navigator !== "undefined" ? navigator.language : undefined,
);
