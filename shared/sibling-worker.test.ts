import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSiblingWorker } from "./sibling-worker.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sibling-worker-test-"));
  const echo =
    'require("node:worker_threads").parentPort.postMessage(require("node:worker_threads").workerData);';
  await writeFile(path.join(dir, "echo.cjs"), echo);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("startSiblingWorker", () => {
  it("runs the sibling module with the caller's extension and hands it workerData", async () => {
    const caller = pathToFileURL(path.join(dir, "caller.cjs")).href;
    const worker = startSiblingWorker(caller, "echo", { hello: 1 });
    expect(await new Promise((r) => worker.once("message", r))).toEqual({ hello: 1 });
    await worker.terminate();
  });
});
