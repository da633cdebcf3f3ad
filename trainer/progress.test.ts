import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { overlaidStream } from "../shared/log.ts";
import { logProgress, passProgress, startProgress } from "./progress.ts";

const redrawTimers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

const isTTY = Object.getOwnPropertyDescriptor(process.stderr, "isTTY");
function stderrIsTTY(value: boolean): void {
  Object.defineProperty(process.stderr, "isTTY", { value, configurable: true });
}

describe("progress bars", () => {
  afterEach(() => {
    if (isTTY) Object.defineProperty(process.stderr, "isTTY", isTTY);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  function onTerminal(): void {
    stderrIsTTY(true);
    vi.stubEnv("CI", "");
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  }

  it("log a line at most every interval off a terminal, with rate and time left", () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    let clock = 0;
    const p = logProgress("model epoch 1/3", 1000, "events", { everySeconds: 30, log, now: () => clock });
    clock = 10_000;
    p.update(100);
    expect(lines).toHaveLength(0);
    clock = 40_000;
    p.update(400);
    clock = 50_000;
    p.update(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: "progress",
      step: "model epoch 1/3",
      done: 400,
      total: 1000,
      unit: "events",
      percent: 40,
      perSecond: 10,
      etaSeconds: 60,
    });
    const off = logProgress("x", 1, "", { everySeconds: 0, log, now: () => clock });
    clock = 1e9;
    off.update(1);
    expect(lines).toHaveLength(1);
  });

  it("draw nothing off a terminal", () => {
    stderrIsTTY(false);
    const before = redrawTimers();
    startProgress("reading", 10).update(5);
    expect(redrawTimers()).toBe(before);
  });

  it("start a bar per pass and leave no redraw timer behind, even for a pass cut short", () => {
    onTerminal();
    const before = redrawTimers();
    const evaluating = passProgress("evaluating", "users");
    evaluating.update(1, 4);
    expect(redrawTimers()).toBe(before + 1);
    evaluating.update(4, 4);
    expect(redrawTimers()).toBe(before);
    evaluating.update(2, 4);
    expect(redrawTimers()).toBe(before + 1);
    evaluating.stop();
    expect(redrawTimers()).toBe(before);
    expect(process.stderr.write).toHaveBeenCalled();
  });

  it("write a log line above the bar on a terminal, the bar drawn again below it", () => {
    stderrIsTTY(true);
    vi.stubEnv("CI", "");
    const out: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((s) => out.push(String(s)) > 0);
    const log = pino(
      { base: null, timestamp: false },
      overlaidStream((line) => out.push(line)),
    );
    const bar = startProgress("exporting items", 10, "items");
    bar.update(4);
    out.length = 0;
    log.warn("only 4 of 10");
    bar.stop();
    const line = '{"level":40,"msg":"only 4 of 10"}\n';
    const at = out.indexOf(line);
    // The bar's line cleared and autowrap on, the line, then autowrap off, the cursor saved for
    // stop() to return to, and the bar.
    expect(out.slice(at - 1, at + 2)).toEqual(["\r\x1b[2K\x1b[?7h", line, "\x1b[?7l\x1b7"]);
    expect(out.slice(at + 2).join("")).toContain("4/10 items");
    out.length = 0;
    log.warn("after");
    expect(out).toEqual(['{"level":40,"msg":"after"}\n']);
  });

  it("leave log lines as they are off a terminal", () => {
    stderrIsTTY(false);
    const out: string[] = [];
    const log = pino(
      { base: null, timestamp: false },
      overlaidStream((line) => out.push(line)),
    );
    const bar = startProgress("exporting items", 10, "items");
    log.warn("only 4 of 10");
    bar.stop();
    expect(out).toEqual(['{"level":40,"msg":"only 4 of 10"}\n']);
  });
});
