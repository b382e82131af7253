// The scripted OpenAI-compatible model server (coach-llm-sim) for the coach's
// end-to-end tests: started on loopback, its replies scripted per test.
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import { join } from "node:path";
import { App, ROOT, freshHome } from "./driver.mjs";

/** The debug builds: in CARGO_TARGET_DIR when set, else target/. */
export const DEBUG_BIN = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "debug");

/** The server's binary: COACH_LLM_SIM, else the debug build. */
export const MODEL_SIM = process.env.COACH_LLM_SIM ?? join(DEBUG_BIN, "coach-llm-sim");

/** Starts the scripted model server; resolves with its base URL and process. */
export async function startModel() {
  const proc = spawn(MODEL_SIM, ["--auto-delay-ms", "60"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.once("exit", (code) => reject(new Error(`coach-llm-sim exited (${code})`)));
  });
  return { url, proc };
}

/** Queues the server's next replies (see the coach-llm-sim program's docs). */
export async function script(url, replies) {
  const res = await fetch(url.replace(/\/v1$/, "/_sim/script"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(replies),
  });
  assert.ok(res.ok, `the model server took the script (${res.status})`);
}

/** The model server and the app pointed at it (as "sim-model"), on the demo market from `start`. */
export async function launchWithModel(start) {
  const model = await startModel();
  try {
    const app = await App.launch({
      home: freshHome(),
      env: { COACH_DEMO_START: start, OPENAI_BASE_URL: model.url, COACH_MODEL: "sim-model", OPENAI_API_KEY: "sk-e2e" },
    });
    return {
      app,
      model,
      async stop() {
        await app.quit();
        model.proc.kill();
      },
    };
  } catch (e) {
    model.proc.kill();
    throw e;
  }
}
