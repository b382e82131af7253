// Fails when code or tests refer to a path outside the repository: every file a
// test reads lives in the checkout, so a fresh clone with nothing beside it
// passes. Run by scripts/test.sh (and so by CI) before anything is built.
//
// A relative path is resolved the way the code that holds it resolves it:
// next to CARGO_MANIFEST_DIR (or `import.meta`/`__dirname` roots) against the
// crate or package root, otherwise (include_str!, imports) against the file's
// own folder.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const root = execFileSync("git", ["rev-parse", "--show-toplevel"], { encoding: "utf8" }).trim();
const files = execFileSync(
  "git",
  ["ls-files", "--cached", "--others", "--exclude-standard", "-z"],
  { cwd: root, encoding: "utf8" },
)
  .split("\0")
  .filter((f) => /\.(rs|ts|mjs|js|sh|py|toml|json|ya?ml)$/.test(f) && !f.startsWith("node_modules/"))
  .filter((f) => existsSync(path.join(root, f)));

/** The folder of the nearest Cargo.toml or package.json above `file`. */
function packageRoot(file) {
  let dir = path.dirname(path.join(root, file));
  while (dir.startsWith(root)) {
    if (existsSync(path.join(dir, "Cargo.toml")) || existsSync(path.join(dir, "package.json"))) {
      return dir;
    }
    dir = path.dirname(dir);
  }
  return root;
}

const inside = (p) => p === root || p.startsWith(root + path.sep);
// The steering side's folder beside the checkout, spelled so that this file
// does not itself name it.
const SIDE_FOLDER = new RegExp(["\\.\\.", "shared\\b"].join("/"));

const problems = [];
for (const file of files) {
  const lines = readFileSync(path.join(root, file), "utf8").split("\n");
  lines.forEach((line, i) => {
    if (SIDE_FOLDER.test(line)) {
      problems.push(`${file}:${i + 1}: refers to the shared folder beside the checkout (copy what a test needs into tests/fixtures)`);
      return;
    }
    for (const m of line.matchAll(/["'`/]((?:\.\.\/)+)([\w.{}\-/]*)/g)) {
      // The CARGO_MANIFEST_DIR may stand on the line before the path (rustfmt splits concat!).
      const context = lines.slice(Math.max(0, i - 2), i + 1).join("\n");
      const base = /CARGO_MANIFEST_DIR/.test(context)
        ? packageRoot(file)
        : path.dirname(path.join(root, file));
      const target = path.resolve(base, m[1] + m[2]);
      if (!inside(target)) {
        problems.push(`${file}:${i + 1}: ${m[1]}${m[2]} resolves to ${target}, outside the repository`);
      }
    }
  });
}

if (problems.length > 0) {
  console.error("Paths outside the repository (every file a test reads must live in it):");
  for (const p of problems) console.error("  " + p);
  process.exit(1);
}
console.log(`check-paths: ${files.length} files, no path outside the repository`);
