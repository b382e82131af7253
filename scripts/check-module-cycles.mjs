// Fails when coach-engine's top-level modules depend on each other in a
// cycle, or when a module other than lib.rs reaches back into the crate root
// (`crate::Engine`, `crate::EngineError`): components are handed what they
// need, they never call up into the facade. Run by scripts/test.sh.
//
// A module's dependencies are the `crate::<module>` paths its files name
// (in `use` lines and inline paths), test modules included.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "crates/coach-engine/src");

/** Top-level module name → the files that make it up. */
const modules = new Map();
for (const entry of readdirSync(src)) {
  const full = path.join(src, entry);
  // lib.rs and its start-up sequence (boot.rs) are the crate root: they build
  // the components, so they alone may name Engine and its options.
  if (entry === "lib.rs" || entry === "boot.rs") continue;
  if (statSync(full).isDirectory()) {
    const files = [];
    const walk = (d) => {
      for (const e of readdirSync(d)) {
        const f = path.join(d, e);
        if (statSync(f).isDirectory()) walk(f);
        else if (f.endsWith(".rs")) files.push(f);
      }
    };
    walk(full);
    modules.set(entry, [...(modules.get(entry) ?? []), ...files]);
  } else if (entry.endsWith(".rs")) {
    const name = entry.slice(0, -3);
    modules.set(name, [...(modules.get(name) ?? []), full]);
  }
}

const problems = [];
const edges = new Map();
for (const [name, files] of modules) {
  const deps = new Set();
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const rel = path.relative(root, f);
    for (const m of text.matchAll(/crate::([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const target = m[1];
      if (modules.has(target)) {
        if (target !== name) deps.add(target);
      } else if (/^[A-Z]/.test(target)) {
        problems.push(`${rel}: names crate::${target}, the crate root; a component is handed what it needs instead`);
      }
    }
    if (/super::super::[A-Z]|\bsuper::(Engine|EngineError)\b/.test(text) && !rel.endsWith("lib.rs")) {
      problems.push(`${rel}: reaches the crate root through super::; a component is handed what it needs instead`);
    }
    // `use crate::{a, b::c}` groups.
    for (const m of text.matchAll(/use crate::\{([^}]*)\}/g)) {
      for (const part of m[1].split(",")) {
        const head = part.trim().split("::")[0];
        if (modules.has(head) && head !== name) deps.add(head);
        else if (/^[A-Z]/.test(head)) {
          problems.push(`${rel}: names crate::${head}, the crate root; a component is handed what it needs instead`);
        }
      }
    }
  }
  edges.set(name, deps);
}

// Depth-first search for a cycle; reports each one found once.
const state = new Map();
const stack = [];
const seenCycles = new Set();
function visit(n) {
  state.set(n, "open");
  stack.push(n);
  for (const d of edges.get(n) ?? []) {
    if (state.get(d) === "open") {
      const cycle = stack.slice(stack.indexOf(d)).concat(d);
      const key = [...cycle].sort().join(",");
      if (!seenCycles.has(key)) {
        seenCycles.add(key);
        problems.push(`module cycle: ${cycle.join(" → ")}`);
      }
    } else if (!state.has(d)) {
      visit(d);
    }
  }
  stack.pop();
  state.set(n, "done");
}
for (const n of edges.keys()) if (!state.has(n)) visit(n);

if (problems.length > 0) {
  console.error("coach-engine's modules must form no cycle and never reach back into the crate root:");
  for (const p of problems) console.error("  " + p);
  process.exit(1);
}
const count = [...edges.values()].reduce((a, d) => a + d.size, 0);
console.log(`check-module-cycles: ${edges.size} modules, ${count} dependencies, no cycle`);
if (process.argv.includes("--graph")) {
  for (const [n, d] of [...edges].sort()) console.log(`  ${n} → ${[...d].sort().join(", ") || "(none)"}`);
}
