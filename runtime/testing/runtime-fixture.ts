// Vitest hooks for a test file of the CLI process (runtime-process.ts).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { writeTestBundle } from "../../shared/bundle/testing.ts";
import { killRuntimes } from "./runtime-process.ts";

/**
 * For a test file of the CLI: a temp directory holding one test bundle (version v1, 100 items),
 * removed after the file, and every runtime started by a test killed after it.
 */
export function useRuntimeFixture(prefix: string): { tmp(): string; bundleDir(): string } {
  let tmp = "";
  let bundleDir = "";
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), prefix));
    bundleDir = (await writeTestBundle(tmp, { version: "v1", items: 100 })).dir;
  });
  afterEach(killRuntimes);
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
  return { tmp: () => tmp, bundleDir: () => bundleDir };
}
