// A small W3C WebDriver client for the real AI Coach binary, driven through
// tauri-driver (which starts WebKitWebDriver). No fixed sleeps: every wait
// polls a condition until a deadline.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(new URL("../../..", import.meta.url).pathname);
export const APP = process.env.AI_COACH_BINARY ?? join(ROOT, "target/debug/ai-coach");
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(ROOT, "target/e2e-artifacts");
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on("error", rej);
  });
}

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeout` ms. */
export async function waitFor(fn, { timeout = 15000, interval = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Pids of running processes whose executable is `exe`. */
function processesOf(exe) {
  let target;
  try {
    target = realpathSync(exe);
  } catch {
    return [];
  }
  const pids = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/exe`) === target) pids.push(Number(d));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** A fresh, hermetic home for one app run: data, config and cache dirs in a temp folder. */
export function freshHome(prefix = "ai-coach-e2e-") {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const dirs = {
    home,
    data: join(home, "data"),
    xdgData: join(home, "xdg-data"),
    xdgConfig: join(home, "xdg-config"),
    xdgCache: join(home, "xdg-cache"),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return dirs;
}

export class App {
  /** Starts tauri-driver and a session on the app with `env` added to a clean environment. */
  static async launch({ home = freshHome(), env = {} } = {}) {
    const port = await freePort();
    // Its own native WebDriver port too (the default 4445 would be shared by two runs at once).
    const nativePort = await freePort();
    const childEnv = {
      PATH: process.env.PATH,
      HOME: home.home,
      DISPLAY: process.env.DISPLAY,
      XAUTHORITY: process.env.XAUTHORITY,
      LANG: process.env.LANG ?? "en_US.UTF-8",
      XDG_DATA_HOME: home.xdgData,
      XDG_CONFIG_HOME: home.xdgConfig,
      XDG_CACHE_HOME: home.xdgCache,
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
      COACH_DATA_DIR: home.data,
      // No keychain on CI machines: use the announced file fallback explicitly.
      COACH_SECRET_BACKEND: "file",
      RUST_LOG: "info",
      ...env,
    };
    for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
    const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
    const driver = spawn(driverBin, ["--port", String(port), "--native-port", String(nativePort)], {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let driverLog = "";
    driver.stdout.on("data", (d) => (driverLog += d));
    driver.stderr.on("data", (d) => (driverLog += d));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${base}/status`).catch(() => null))?.ok,
      { timeout: 20000, what: `tauri-driver on port ${port}` },
    ).catch((e) => {
      driver.kill();
      throw new Error(`${e.message}\n${driverLog}`);
    });
    let body;
    try {
      const res = await fetch(`${base}/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ capabilities: { alwaysMatch: { "tauri:options": { application: APP } } } }),
        signal: AbortSignal.timeout(60000),
      });
      body = await res.json();
      if (!res.ok || !body.value?.sessionId) throw new Error(JSON.stringify(body));
    } catch (e) {
      // A driver left running would keep the test runner waiting on its pipes.
      driver.kill();
      throw new Error(`could not start a session: ${e.message}\n${driverLog}`);
    }
    return new App(base, body.value.sessionId, driver, home, () => driverLog);
  }

  constructor(base, session, driver, home, log) {
    this.base = base;
    this.session = session;
    this.driver = driver;
    this.home = home;
    this.log = log;
  }

  async cmd(method, path, body) {
    const res = await fetch(`${this.base}/session/${this.session}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A command that never answers fails the test instead of hanging the suite.
      signal: AbortSignal.timeout(60000),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(`${method} ${path}: ${json.value?.error ?? res.status} ${json.value?.message ?? ""}`);
      err.webdriver = json.value?.error;
      throw err;
    }
    return json.value;
  }

  title() {
    return this.cmd("GET", "/title");
  }

  /** Runs a script in the page; `args` become `arguments[i]`. */
  exec(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  async find(css) {
    const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return v[ELEMENT];
  }

  async findAll(css) {
    const v = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return v.map((e) => e[ELEMENT]);
  }

  byTestId(id) {
    return this.find(`[data-testid="${id}"]`);
  }

  /** Waits for the element with this test id to exist and be displayed. */
  async waitForTestId(id, timeout = 15000) {
    return waitFor(
      async () => {
        const el = await this.byTestId(id);
        return (await this.cmd("GET", `/element/${el}/displayed`)) ? el : null;
      },
      { timeout, what: `[data-testid=${id}] to be displayed` },
    );
  }

  async text(el) {
    return this.cmd("GET", `/element/${el}/text`);
  }

  async textOf(id) {
    return this.text(await this.byTestId(id));
  }

  /** Waits until the text of a test id satisfies `pred` (or equals it, for a string). */
  async waitForText(id, pred, timeout = 15000) {
    const test = typeof pred === "string" ? (t) => t === pred : pred;
    return waitFor(
      async () => {
        const t = await this.textOf(id);
        return test(t) ? t : null;
      },
      { timeout, what: `[data-testid=${id}] text to match ${pred}` },
    );
  }

  async attr(el, name) {
    return this.cmd("GET", `/element/${el}/attribute/${name}`);
  }

  /** The chart container's data attributes (what is drawn: symbol, timeframe, counts). */
  async chartState() {
    return this.exec("const c = document.querySelector('[data-testid=chart]'); return c ? { ...c.dataset } : null;");
  }

  /** Calls a backend command the way the UI does and returns its answer (or {error}). */
  async invoke(cmd, args = {}) {
    return this.cmd("POST", "/execute/async", {
      script:
        "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then((v) => done({ ok: v }), (e) => done({ error: e }));",
      args: [cmd, args],
    });
  }

  async click(el) {
    await this.cmd("POST", `/element/${el}/click`, {});
  }

  async clear(el) {
    await this.cmd("POST", `/element/${el}/clear`, {});
  }

  async type(el, text) {
    await this.cmd("POST", `/element/${el}/value`, { text });
  }

  async rect(el) {
    return this.cmd("GET", `/element/${el}/rect`);
  }

  async setWindowSize(width, height) {
    return this.cmd("POST", "/window/rect", { width, height });
  }

  /** Saves a PNG of the window to the artifacts folder and returns its path. */
  async screenshot(name) {
    // Let the page paint what the last command changed before capturing it.
    await this.cmd("POST", "/execute/async", {
      script: "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
      args: [],
    });
    const b64 = await this.cmd("GET", "/screenshot");
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    writeFileSync(path, Buffer.from(b64, "base64"));
    return path;
  }

  async quit() {
    try {
      await this.cmd("DELETE", "");
    } catch {
      /* the app may already be gone */
    }
    this.driver.kill();
    await new Promise((r) => (this.driver.exitCode !== null ? r() : this.driver.once("exit", r)));
    // The app normally exits with its session. One that does not (it would keep
    // the test runner's pipes open) is stopped: tests run one app at a time.
    for (let i = 0; i < 50 && processesOf(APP).length; i++) await new Promise((r) => setTimeout(r, 100));
    const left = processesOf(APP);
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    if (left.length) console.error(`the app (pid ${left.join(", ")}) did not exit 5 s after its session ended; killed`);
  }
}
