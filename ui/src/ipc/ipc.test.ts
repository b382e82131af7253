import { beforeEach, describe, expect, it, vi } from "vitest";

// A hand-written stand-in for Tauri's invoke: records calls, answers with `reply`.
const calls: [string, Record<string, unknown> | undefined][] = [];
let reply: (cmd: string) => Promise<unknown> = async () => null;
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (cmd: string, args?: Record<string, unknown>) => {
    calls.push([cmd, args]);
    return reply(cmd);
  },
}));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => {} }));

const { ipc, toIpcError, installErrorForwarding } = await import("./index");

describe("toIpcError", () => {
  it("keeps the backend's code and message", () => {
    expect(toIpcError({ code: "invalid_input", message: "model: must be a model name" })).toEqual({
      code: "invalid_input",
      message: "model: must be a model name",
    });
  });
  it("wraps strings and Errors as internal errors", () => {
    expect(toIpcError("boom")).toEqual({ code: "internal", message: "boom" });
    expect(toIpcError(new Error("bad"))).toEqual({ code: "internal", message: "bad" });
  });
  it("turns a code the engine does not define into internal, keeping the message", () => {
    // The generated ErrorCode union is the contract; anything else is a bug on one side.
    expect(toIpcError({ code: "teapot", message: "short and stout" })).toEqual({
      code: "internal",
      message: "short and stout",
    });
  });
});

describe("ipc", () => {
  beforeEach(() => {
    calls.length = 0;
    reply = async () => null;
  });

  it("passes arguments under the names the Rust commands declare", async () => {
    await ipc.saveSettings({ model: "llama3.1" });
    await ipc.setSecret("massive_api_key", "k");
    expect(calls).toEqual([
      ["save_settings", { patch: { model: "llama3.1" } }],
      ["set_secret", { name: "massive_api_key", value: "k" }],
    ]);
  });

  it("rejects with an IpcError when the backend refuses", async () => {
    reply = async () => {
      throw { code: "invalid_input", message: "stale_after_secs: must be …" };
    };
    const err = await ipc.saveSettings({ stale_after_secs: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toEqual({ code: "invalid_input", message: "stale_after_secs: must be …" });
  });

  it("forwards window errors and unhandled rejections to the backend", async () => {
    installErrorForwarding(window);
    window.dispatchEvent(new ErrorEvent("error", { message: "x is undefined", filename: "main.ts", lineno: 3, colno: 7 }));
    const rejection = new Event("unhandledrejection") as PromiseRejectionEvent;
    Object.defineProperty(rejection, "reason", { value: new Error("lost promise") });
    window.dispatchEvent(rejection);
    const reports = calls.filter((c) => c[0] === "report_ui_error").map((c) => c[1]!.report);
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatchObject({ kind: "error", message: "x is undefined", source: "main.ts", line: 3, column: 7 });
    expect(reports[1]).toMatchObject({ kind: "unhandledrejection", message: "lost promise" });
  });
});
