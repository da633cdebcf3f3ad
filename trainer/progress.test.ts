import { afterEach, describe, expect, it, vi } from "vitest";
import { passProgress, startProgress } from "./progress.ts";

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
});
