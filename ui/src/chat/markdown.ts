// A small, safe markdown renderer for the coach's answers: it builds DOM nodes
// (never innerHTML), so nothing in a model's text can run or inject markup.
// Paragraphs, line breaks, **bold**, *italic* / _italic_, `code`, fenced code,
// "-"/"*" and "1." lists, and #–### headings. Numbers the grounding check could
// not verify are wrapped in <mark class="unverified">.

import { h } from "../lib/dom";

type Inline = Node;

/** Splits `text` around every occurrence of the unverified numbers. */
function markUnverified(text: string, unverified: readonly string[]): Inline[] {
  const needles = unverified.filter((u) => u.length > 0);
  if (needles.length === 0) return [document.createTextNode(text)];
  const out: Inline[] = [];
  let i = 0;
  while (i < text.length) {
    let best = -1;
    let needle = "";
    for (const n of needles) {
      // The first occurrence that stands alone: not inside a label or another
      // number ("OR15", "15m", "112.50").
      for (let at = text.indexOf(n, i); at >= 0; at = text.indexOf(n, at + 1)) {
        const before = at > 0 ? text[at - 1]! : " ";
        const after = text[at + n.length] ?? " ";
        if (/[A-Za-z0-9._]/.test(before) || /[A-Za-z0-9]/.test(after)) continue;
        if (best < 0 || at < best || (at === best && n.length > needle.length)) {
          best = at;
          needle = n;
        }
        break;
      }
    }
    if (best < 0) {
      out.push(document.createTextNode(text.slice(i)));
      break;
    }
    if (best > i) out.push(document.createTextNode(text.slice(i, best)));
    out.push(
      h(
        "mark",
        { class: "unverified", "data-testid": "unverified-number", title: "Unverified: no tool result or message of yours backs this number" },
        needle,
      ),
    );
    i = best + needle.length;
  }
  return out;
}

/** Inline markup: `code`, **bold**, *em*, _em_. */
export function inline(text: string, unverified: readonly string[] = []): Inline[] {
  const out: Inline[] = [];
  const re = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\b_[^_]+_\b)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(...markUnverified(text.slice(last, m.index), unverified));
    const tok = m[0];
    if (m[1]) out.push(h("code", {}, tok.slice(1, -1)));
    else if (m[2]) out.push(h("strong", {}, ...markUnverified(tok.slice(2, -2), unverified)));
    else out.push(h("em", {}, ...markUnverified(tok.slice(1, -1), unverified)));
    last = m.index + tok.length;
  }
  if (last < text.length) out.push(...markUnverified(text.slice(last), unverified));
  return out;
}

function withBreaks(lines: string[], unverified: readonly string[]): Inline[] {
  const out: Inline[] = [];
  lines.forEach((l, i) => {
    if (i > 0) out.push(h("br"));
    out.push(...inline(l, unverified));
  });
  return out;
}

/** Renders markdown `src` into a fragment of block elements. */
export function renderMarkdown(src: string, unverified: readonly string[] = []): DocumentFragment {
  const frag = document.createDocumentFragment();
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
      continue;
    }
    if (line.startsWith("```")) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.startsWith("```")) body.push(lines[i++]!);
      i++;
      frag.append(h("pre", {}, h("code", {}, body.join("\n"))));
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    if (heading) {
      frag.append(h("h4", { class: `md-h${heading[1]!.length}` }, ...inline(heading[2]!, unverified)));
      i++;
      continue;
    }
    const bullet = /^\s*[-*]\s+/;
    const numbered = /^\s*\d+[.)]\s+/;
    if (bullet.test(line) || numbered.test(line)) {
      const ordered = numbered.test(line);
      const re = ordered ? numbered : bullet;
      const list = h(ordered ? "ol" : "ul", {});
      while (i < lines.length && re.test(lines[i]!)) {
        list.append(h("li", {}, ...inline(lines[i]!.replace(re, ""), unverified)));
        i++;
      }
      frag.append(list);
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      lines[i]!.trim() !== "" &&
      !lines[i]!.startsWith("```") &&
      !/^#{1,3}\s/.test(lines[i]!) &&
      !bullet.test(lines[i]!) &&
      !numbered.test(lines[i]!)
    ) {
      para.push(lines[i++]!);
    }
    frag.append(h("p", {}, ...withBreaks(para, unverified)));
  }
  return frag;
}
