import { describe, expect, it } from "vitest";
import type { AppStatus, ConnectionStatus } from "../generated/bindings";
import { clockLabel, connectionLabel, connectionTone, createStatusBar, simulatedNow } from "./statusBar";

const conn = (state: ConnectionStatus["state"], attempt = 0, detail: string | null = null): ConnectionStatus => ({
  state,
  detail,
  since_ms: 1_700_000_000_000,
  attempt,
});

const status = (over: Partial<AppStatus> = {}): AppStatus => ({
  version: "0.1.0",
  market_mode: "demo",
  market_label: "Demo market",
  connection: conn("connecting"),
  ai_offline: true,
  ai_label: "Offline coach",
  ai_detail: "No language model in use.",
  data_dir: "/tmp/x",
  schema_version: 1,
  secret_backend_warning: null,
  settings_issues: [],
  simulated_clock: null,
  ...over,
});

describe("connection words", () => {
  it("says each state plainly", () => {
    expect(connectionLabel(conn("live"))).toBe("Live");
    expect(connectionLabel(conn("delayed"))).toBe("Delayed 15 min");
    expect(connectionLabel(conn("failed"))).toBe("Disconnected");
    expect(connectionLabel(conn("reconnecting", 3))).toBe("Reconnecting… (attempt 3)");
  });
  it("colours by severity", () => {
    expect(connectionTone("live")).toBe("ok");
    expect(connectionTone("stale")).toBe("warn");
    expect(connectionTone("failed")).toBe("bad");
  });
});

describe("status bar", () => {
  it("shows market mode, connection and AI mode under their QA test ids", () => {
    const bar = createStatusBar(status());
    document.body.replaceChildren(bar.element);
    const text = (id: string) => document.querySelector(`[data-testid=${id}]`)?.textContent;
    expect(text("status-market")).toBe("Demo market");
    expect(text("status-connection")).toBe("Connecting…");
    expect(text("status-ai")).toBe("Offline coach");
    bar.updateConnection(conn("live"));
    expect(text("status-connection")).toBe("Live");
    expect(document.querySelector<HTMLElement>("[data-testid=status-connection]")!.dataset.state).toBe("live");
  });

  it("warns when keys are kept without a keychain", () => {
    const bar = createStatusBar(status({ secret_backend_warning: "no OS keychain" }));
    document.body.replaceChildren(bar.element);
    expect(document.querySelector(".status-warn")!.textContent).toContain("without a keychain");
  });

  it("opens the connection details as a sheet", () => {
    const bar = createStatusBar(status({ connection: conn("reconnecting", 2, "connection error; retrying in 1.0 s") }));
    document.body.replaceChildren(bar.element);
    document.querySelector<HTMLButtonElement>("[data-testid=status-connection]")!.click();
    const sheet = document.querySelector<HTMLElement>("[data-testid=connection-sheet]")!;
    expect(sheet.hidden).toBe(false);
    expect(sheet.textContent).toContain("retrying in 1.0 s");
  });
});

describe("simulated clock", () => {
  it("extrapolates from the backend's answer at the replay speed", () => {
    const clock = { now_ms: 1_719_928_800_000, speed: 60, session_date: "2024-07-02" };
    expect(simulatedNow(clock, 1000, 3000)).toBe(1_719_928_800_000 + 120_000);
    expect(simulatedNow({ ...clock, speed: 0 }, 1000, 3000)).toBe(1_719_928_800_000);
  });

  it("labels the replay in New York time", () => {
    // 2024-07-02T14:00:00Z is 10:00 EDT.
    expect(clockLabel(Date.UTC(2024, 6, 2, 14, 0, 0))).toMatch(/Replay · .*Jul.*2.*10:00:00 ET/);
  });

  it("is shown only while the demo market replays", () => {
    const bar = createStatusBar(status({ simulated_clock: { now_ms: Date.UTC(2024, 6, 2, 14, 0, 0), speed: 0, session_date: "2024-07-02" } }));
    document.body.replaceChildren(bar.element);
    const el = document.querySelector<HTMLElement>("[data-testid=status-clock]")!;
    expect(el.hidden).toBe(false);
    expect(el.title).toContain("2024-07-02");
    bar.update(status());
    expect(el.hidden).toBe(true);
  });
});
