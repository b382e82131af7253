import { describe, expect, it } from "vitest";
import type { Card, ScreenshotExtractionCard } from "../generated/bindings";
import { renderCard } from "./cards";
import { attachError, rememberImage, rowFrom } from "./screenshots";

const image = { sha256: "a".repeat(64), kind: "png" as const, bytes: 48_000, width: 760, height: 200 };
rememberImage(image.sha256, "data:image/png;base64,iVBORw0KGgo=");

function extraction(over: Partial<ScreenshotExtractionCard> = {}): Card {
  return {
    card_type: "screenshot_extraction",
    title: "2 positions from the screenshot",
    symbol: null,
    timeframe: null,
    tool_call_id: "shot_7_1",
    data: {
      image,
      reader: "ocr",
      reader_label: "Read on this device by Tesseract OCR",
      broker: "thinkorswim",
      positions: [
        {
          symbol: "AAPL240816C00230000", underlying: "AAPL", kind: "call", strike: 230, expiration: "2024-08-16", quantity: 2, price: 4.35,
          confidence: { underlying: 0.96, kind: 0.95, strike: 0.93, expiration: 0.9, quantity: 0.42, price: 0.91 },
          checks: [
            { field: "expiration", passed: true, reason: "2024-08-16 is a listed AAPL expiration" },
            { field: "strike", passed: false, reason: "231 is not listed in the AAPL 2024-08-16 chain (nearest: 230, 232.5)" },
          ],
        },
        {
          symbol: "MSFT", underlying: "MSFT", kind: "stock", strike: null, expiration: null, quantity: 100, price: 441.2,
          confidence: { underlying: 0.97, kind: 1, strike: 1, expiration: 1, quantity: 0.95, price: 0.94 },
          checks: [],
        },
      ],
      warnings: ["row 3 of the table (TSLA): the strike could not be read"],
      totals: null,
      low_confidence: 0.6,
      confirmed: null,
      note: "Nothing is saved until the user clicks Confirm.",
      ...over,
    },
  };
}

describe("screenshots", () => {
  it("only PNG, JPEG and WebP up to 10 MB attach, and a refusal says why", () => {
    expect(attachError({ name: "a.png", type: "image/png", size: 1000 })).toBeNull();
    expect(attachError({ name: "statement.pdf", type: "application/pdf", size: 1000 })).toBe("statement.pdf is of type application/pdf; attach a PNG, JPEG or WebP screenshot.");
    expect(attachError({ name: "shot.gif", type: "image/gif", size: 10 })).toContain("attach a PNG, JPEG or WebP");
    expect(attachError({ name: "big.png", type: "image/png", size: 12.5 * 1024 * 1024 })).toBe("big.png is 12.5 MB; screenshots up to 10 MB are accepted.");
  });

  it("a row is confirmed only when it is complete, and the error names the row and the field", () => {
    const ok = rowFrom({ underlying: " aapl ", kind: "call", strike: "230", expiration: "2024-08-16", quantity: "-2", price: "4.35" }, 1);
    expect(ok).toEqual({ underlying: "AAPL", kind: "call", strike: 230, expiration: "2024-08-16", quantity: -2, price: 4.35 });
    expect(rowFrom({ underlying: "AAPL", kind: "put", strike: "", expiration: "2024-08-16", quantity: "1", price: "1" }, 2)).toBe("Row 2: an option needs a strike above zero.");
    expect(rowFrom({ underlying: "AAPL", kind: "call", strike: "230", expiration: "Aug 16", quantity: "1", price: "1" }, 1)).toBe("Row 1: an option needs an expiry (YYYY-MM-DD).");
    expect(rowFrom({ underlying: "MSFT", kind: "stock", strike: "", expiration: "", quantity: "0", price: "1" }, 3)).toBe("Row 3: the quantity must be a non-zero number (negative for short).");
    expect(rowFrom({ underlying: "MSFT", kind: "stock", strike: "9", expiration: "x", quantity: "10", price: "441.2" }, 3)).toEqual({ underlying: "MSFT", kind: "stock", strike: null, expiration: null, quantity: 10, price: 441.2 });
  });

  it("the extraction card shows every field editable with its confidence, highlights the low ones and says which reader read it", () => {
    const el = renderCard(extraction(), () => {}, { messageId: 7 });
    const x = el.querySelector<HTMLElement>("[data-testid=screenshot-extraction]")!;
    expect(x.dataset.state).toBe("proposed");
    expect(el.querySelector("[data-testid=screenshot-reader]")?.textContent).toBe("Read on this device by Tesseract OCR");
    const fields = [...el.querySelectorAll<HTMLInputElement>("[data-testid=shot-field]")];
    expect(fields).toHaveLength(12);
    const low = fields.filter((f) => f.dataset.low === "true").map((f) => `${f.dataset.row}:${f.dataset.field}`);
    expect(low).toEqual(["0:quantity"]);
    const qty = fields.find((f) => f.dataset.row === "0" && f.dataset.field === "quantity")!;
    expect(qty.value).toBe("2");
    expect(qty.closest(".shot-cell")?.classList.contains("low")).toBe(true);
    expect(qty.closest(".shot-cell")?.textContent).toContain("42%");
    const exp = fields.find((f) => f.dataset.row === "0" && f.dataset.field === "expiration")!;
    expect(exp.title).toContain("✓ 2024-08-16 is a listed AAPL expiration");
    expect(el.textContent).toContain("1 field below 60% confidence is highlighted");
    expect([...el.querySelectorAll("[data-testid=screenshot-failed-checks] li")].map((l) => l.textContent)).toEqual([
      "⚠ 231 is not listed in the AAPL 2024-08-16 chain (nearest: 230, 232.5)",
    ]);
    expect(el.querySelector("[data-testid=screenshot-warnings]")?.textContent).toContain("row 3 of the table (TSLA)");
    expect(el.querySelector("[data-testid=screenshot-confirm]")).not.toBeNull();
  });

  it("a confirmed card shows what was saved and no buttons", () => {
    const el = renderCard(
      extraction({
        confirmed: {
          rows: [{ underlying: "AAPL", kind: "call", strike: 230, expiration: "2024-08-16", quantity: 2, price: 4.4 }],
          position_ids: [3],
          at_ms: 1,
          message_id: 9,
        },
      }),
      () => {},
      { messageId: 7 },
    );
    expect(el.querySelector<HTMLElement>("[data-testid=screenshot-extraction]")?.dataset.state).toBe("saved");
    expect(el.querySelector("[data-testid=screenshot-confirm]")).toBeNull();
    expect([...el.querySelectorAll("[data-testid=screenshot-confirmed-row] td")].map((t) => t.textContent)).toEqual(["AAPL", "call", "230", "2024-08-16", "+2", "4.40"]);
    expect(el.textContent).toContain("Saved as position #3");
  });

  it("what the trader typed survives a redraw (the answer streaming, the list scrolling), and Confirm waits for the answer to finish", () => {
    const first = renderCard(extraction(), () => {}, { messageId: 11, streaming: true });
    expect(first.querySelector<HTMLButtonElement>("[data-testid=screenshot-confirm]")?.disabled).toBe(true);
    const price = first.querySelector<HTMLInputElement>("[data-row='0'][data-field=price]")!;
    price.value = "4.40";
    price.dispatchEvent(new Event("input"));
    first.querySelector<HTMLButtonElement>("[data-testid=shot-remove]")!.click();
    const again = renderCard(extraction(), () => {}, { messageId: 11, streaming: false });
    expect(again.querySelector<HTMLInputElement>("[data-row='0'][data-field=price]")?.value).toBe("4.40");
    expect(again.querySelector("[data-testid=screenshot-row]")?.classList.contains("removed")).toBe(true);
    expect(again.querySelector<HTMLButtonElement>("[data-testid=screenshot-confirm]")?.disabled).toBe(false);
    const low = again.querySelector<HTMLInputElement>("[data-row='0'][data-field=quantity]")!;
    expect(low.getAttribute("aria-invalid")).toBe("true");
    expect(low.getAttribute("aria-label")).toBe("Qty of row 1, read with 42% confidence: check it");
  });
});
