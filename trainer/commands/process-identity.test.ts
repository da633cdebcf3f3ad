import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { hasEnded, ownIdentity } from "./process-identity.ts";

describe("process identity", () => {
  it("names this process by kernel, pid namespace, pid and start time", async () => {
    const own = await ownIdentity();
    expect(own).toMatchObject({ pid: process.pid, pidNamespace: expect.stringMatching(/^pid:\[\d+\]$/) });
    expect(own?.boot).toMatch(/^[0-9a-f-]{36}$/);
    expect(own?.started).toMatch(/^\d+$/);
  });

  it("is sure a process has ended only when it can see where it ran", async () => {
    const own = await ownIdentity();
    if (!own) throw new Error("no /proc");
    expect(await hasEnded(own)).toBe(false);
    expect(await hasEnded(undefined)).toBe(false);
    // Another machine, or another container: its pid means nothing here.
    expect(await hasEnded({ ...own, pid: 999_999, boot: "00000000-0000-0000-0000-000000000000" })).toBe(
      false,
    );
    expect(await hasEnded({ ...own, pid: 999_999, pidNamespace: "pid:[1]" })).toBe(false);
    // This pid, started at another time: a later process reusing the number.
    expect(await hasEnded({ ...own, started: "1" })).toBe(true);
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    expect(await hasEnded({ ...own, pid: child.pid as number })).toBe(true);
  });
});
