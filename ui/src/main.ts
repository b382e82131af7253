import "./styles.css";
import type { Startup } from "./generated/bindings";
import { events, installErrorForwarding, ipc } from "./ipc";
import { h } from "./lib/dom";
import { mountShell } from "./app/shell";
import { renderStartupProblem } from "./app/startupProblem";

installErrorForwarding();

const root = document.getElementById("app")!;

async function show(s: Startup): Promise<void> {
  if (s.state === "ready") {
    await mountShell(root, s.status);
  } else {
    root.replaceChildren(renderStartupProblem(s, (next) => void show(next)));
  }
}

async function boot(): Promise<void> {
  let shown: Startup["state"] | null = null;
  // A restart (after a settings change) that fails swaps in the problem screen.
  await events.startup((s) => {
    if (s.state !== "ready" || shown !== "ready") {
      shown = s.state;
      void show(s);
    }
  });
  const s = await ipc.startupState();
  shown = s.state;
  await show(s);
}

boot().catch((e: unknown) => {
  root.replaceChildren(
    h("main", { class: "startup-problem" }, h("h1", {}, "AI Coach could not start"), h("p", {}, String((e as { message?: string })?.message ?? e))),
  );
});
