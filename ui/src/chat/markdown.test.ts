import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

function html(src: string, unverified: string[] = []): string {
  const div = document.createElement("div");
  div.append(renderMarkdown(src, unverified));
  return div.innerHTML;
}

describe("renderMarkdown", () => {
  it("renders paragraphs, emphasis, code and lists", () => {
    expect(html("**SPY** is at *512.40*.\nNext line\n\n- one\n- `two`\n\n1. a\n2. b")).toBe(
      "<p><strong>SPY</strong> is at <em>512.40</em>.<br>Next line</p><ul><li>one</li><li><code>two</code></li></ul><ol><li>a</li><li>b</li></ol>",
    );
  });

  it("never turns text into markup", () => {
    const out = html('<img src=x onerror="alert(1)"> & <script>x</script>');
    expect(out).not.toContain("<img");
    expect(out).not.toContain("<script");
    expect(out).toContain("&lt;img");
  });

  it("marks unverified numbers but not the same digits inside other numbers", () => {
    const out = html("Target 123.45, support 1123.45 and **123.45**.", ["123.45"]);
    expect(out.match(/<mark/g)?.length).toBe(2);
    expect(out).toContain("support 1123.45");
    expect(html("OR15 high on the 15m, 15 minutes in", ["15"]).match(/<mark/g)?.length).toBe(1);
  });

  it("keeps an unfinished stream readable", () => {
    expect(html("Half **bold")).toBe("<p>Half **bold</p>");
    expect(html("```\ncode")).toBe("<pre><code>code</code></pre>");
  });
});
