// Fails when the commands the shell registers (`generate_handler!` in
// src-tauri/src/lib.rs), the commands it defines (`#[tauri::command]` in
// src-tauri/src/commands.rs) and the `Command` union the UI may invoke
// (generated from coach_engine::ipc's command table) are not one and the same
// set, or when a defined command's arguments (names, types, order) or answer
// differ from the command table (`command_table!` in
// crates/coach-engine/src/ipc.rs), which the UI's `CommandArgs` and
// `CommandResult` are generated from. Run by scripts/test.sh.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (p) => readFileSync(path.join(root, p), "utf8");

const lib = read("src-tauri/src/lib.rs");
const handler = lib.slice(lib.indexOf("generate_handler!["));
const registered = [...handler.slice(0, handler.indexOf("]")).matchAll(/commands::([a-z_]+)/g)].map((m) => m[1]);

// A type as written, without paths or spaces: `serde_json::Map<String, Value>` → `Map<String,Value>`.
const norm = (t) => t.replace(/\s+/g, "").replace(/(?:[A-Za-z_][A-Za-z0-9_]*::)+/g, "");

// Splits `a: A, b: Map<K, V>` at the top-level commas.
function params(list) {
  const out = [];
  let depth = 0;
  let cur = "";
  for (const ch of list) {
    if (ch === "<" || ch === "(") depth++;
    if (ch === ">" || ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf(":");
      return { name: p.slice(0, i).trim(), type: norm(p.slice(i + 1)) };
    });
}

const signature = (args, ret) => `(${args.map((a) => `${a.name}: ${a.type}`).join(", ")}) -> ${norm(ret)}`;

// The shell's definitions: the arguments the UI sends (not State or AppHandle) and the Ok type.
const shellSource = read("src-tauri/src/commands.rs");
const shell = new Map();
for (const m of shellSource.matchAll(/#\[tauri::command\][\s\S]*?pub (?:async )?fn ([a-z_]+)\(([\s\S]*?)\)\s*->\s*Result<([\s\S]*?),\s*IpcError>\s*\{/g)) {
  const args = params(m[2]).filter((a) => !/^(State<|AppHandle|Window|WebviewWindow)/.test(a.type));
  shell.set(m[1], signature(args, m[3]));
}
const defined = [...shell.keys()];

// The command table.
const ipcSource = read("crates/coach-engine/src/ipc.rs");
const tableStart = ipcSource.indexOf("command_table! {");
const table = new Map();
if (tableStart >= 0) {
  const body = ipcSource.slice(tableStart, ipcSource.indexOf("\n}\n", tableStart));
  for (const m of body.matchAll(/^\s*([a-z_]+)\(([^;]*)\)\s*->\s*([^;]+);/gm)) table.set(m[1], signature(params(m[2]), m[3]));
}

const bindings = read("ui/src/generated/bindings.ts");
const union = bindings.match(/export type Command = ([^;]+);/);
const generated = union ? [...union[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]) : [];

const sets = { "registered in src-tauri/src/lib.rs": registered, "defined in src-tauri/src/commands.rs": defined, "the UI's Command union": generated };
const problems = [];
const all = new Set([...registered, ...defined, ...generated]);
for (const name of all) {
  const missing = Object.entries(sets).filter(([, list]) => !list.includes(name)).map(([where]) => where);
  if (missing.length > 0) problems.push(`${name}: not ${missing.join(", not ")}`);
}
for (const [where, list] of Object.entries(sets)) {
  const dup = list.filter((n, i) => list.indexOf(n) !== i);
  if (dup.length > 0) problems.push(`${where}: listed twice: ${dup.join(", ")}`);
}
if (all.size === 0) problems.push("no commands found: the patterns no longer match the sources");
if (table.size === 0) problems.push("no command table found in crates/coach-engine/src/ipc.rs");
for (const name of all) {
  const [want, got] = [table.get(name), shell.get(name)];
  if (want === undefined) problems.push(`${name}: not in the command table (crates/coach-engine/src/ipc.rs)`);
  else if (got !== undefined && got !== want) problems.push(`${name}: the shell defines ${got}, the command table says ${want}`);
}
if ([...table.keys()].join() !== generated.join()) problems.push("the command table and the UI's Command union differ: regenerate the bindings");

if (problems.length > 0) {
  console.error("The app's commands must be one set (shell, definitions, the UI's Command union):");
  for (const p of problems) console.error("  " + p);
  process.exit(1);
}
console.log(`check-commands: ${all.size} commands, registered, defined and in the UI's union; every signature matches the command table`);
