import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { pathExists } from "../shared/bundle/files.ts";
import { TERMINATION_MESSAGE_LIMIT, writeTerminationMessage } from "./termination.ts";

describe("writeTerminationMessage", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("writes where the kubelet mounted the file, within the size it reads", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "towerops-termination-")), "termination-log");
    await writeFile(file, "");
    vi.stubEnv("TOWEROPS_TERMINATION_LOG", file);
    await writeTerminationMessage("gate failed: recall@100 0.01 is below the floor 0.05");
    expect(await readFile(file, "utf8")).toBe("gate failed: recall@100 0.01 is below the floor 0.05");
    await writeTerminationMessage("x".repeat(10_000));
    const long = await readFile(file, "utf8");
    expect(long).toHaveLength(TERMINATION_MESSAGE_LIMIT);
    expect(long.endsWith("...")).toBe(true);
    // A file path or an id with accents, the limit falling inside a two-byte character.
    await writeTerminationMessage(`${"x".repeat(TERMINATION_MESSAGE_LIMIT - 4)}${"é".repeat(10)}`);
    const cut = await readFile(file);
    expect(new TextDecoder("utf-8", { fatal: true }).decode(cut)).toBe(
      `${"x".repeat(TERMINATION_MESSAGE_LIMIT - 4)}...`,
    );
  });

  it("writes nothing outside a pod", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "towerops-termination-")), "absent");
    vi.stubEnv("TOWEROPS_TERMINATION_LOG", file);
    await writeTerminationMessage("anything");
    expect(await pathExists(file)).toBe(false);
  });
});
