// Fails when the commands the shell registers (`generate_handler!` in
// src-tauri/src/lib.rs), the commands it defines (`#[tauri::command]` in
// src-tauri/src/commands.rs) and the `Command` union the UI may invoke
// (generated from coach_engine::ipc::COMMANDS) are not one and the same set.
// Run by scripts/test.sh.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (p) => readFileSync(path.join(root, p), "utf8");

const lib = read("src-tauri/src/lib.rs");
const handler = lib.slice(lib.indexOf("generate_handler!["));
const registered = [...handler.slice(0, handler.indexOf("]")).matchAll(/commands::([a-z_]+)/g)].map((m) => m[1]);

const defined = [...read("src-tauri/src/commands.rs").matchAll(/#\[tauri::command\][\s\S]*?pub async fn ([a-z_]+)|#\[tauri::command\][\s\S]*?pub fn ([a-z_]+)/g)].map(
  (m) => m[1] ?? m[2],
);

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

if (problems.length > 0) {
  console.error("The app's commands must be one set (shell, definitions, the UI's Command union):");
  for (const p of problems) console.error("  " + p);
  process.exit(1);
}
console.log(`check-commands: ${all.size} commands, registered, defined and in the UI's union`);
