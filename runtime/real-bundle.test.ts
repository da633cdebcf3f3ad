// The runtime on bundles written by the real BundleWriter and opened by the real reader
// (http(s) sources are covered by shared/bundle/source.test.ts).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTestBundle } from "../shared/bundle/testing.ts";
import { startAnnHost } from "./ann-server.ts";
import { RetrievalClient } from "./client/client.ts";
import type { RunningServer } from "./lifecycle.ts";
import { quietLog as log } from "./testing/quiet-log.ts";
import { startViewerService } from "./viewer-service.ts";

let tmp: string;
let v1: string;
let v2: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "towerops-runtime-"));
  v1 = (await writeTestBundle(tmp, { version: "v1", items: 300 })).dir;
  v2 = (await writeTestBundle(tmp, { version: "v2", items: 300 })).dir;
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("runtime on real bundles", () => {
  it("serves a written bundle from a path and a file:// URI, with the client", async () => {
    const servers: RunningServer[] = [];
    try {
      const host = await startAnnHost({ bundle: pathToFileURL(v1).href, port: 0, threads: 1, log });
      servers.push(host);
      const vs = await startViewerService({ bundles: [v2, v1], keep: 1, port: 0, log });
      servers.push(vs);
      const meta = (await (await fetch(`${host.url}/v1/metadata`)).json()) as Record<string, unknown>;
      expect(meta).toMatchObject({
        model: "test-model",
        version: "v1",
        viewerVersion: "v1",
        items: 300,
        dims: 8,
      });
      const client = new RetrievalClient({ hostUrl: host.url, viewerUrl: vs.url });
      const res = await client.retrieve(
        { userId: "u1", history: ["item-3"], profile: { age: 0.4 } },
        { k: 5 },
      );
      expect(res.version).toBe("v1");
      expect(res.results).toHaveLength(5);
      // Features the spec does not know, or values it cannot hold, are the caller's error, named
      // precisely: "__proto__" too, which a plain assignment would have swallowed.
      for (const body of [
        JSON.stringify({ viewer: { userId: "u", profile: { shoeSize: 3 } } }),
        `{"viewer":{"userId":"u","profile":{"__proto__":1}}}`,
        // Finite as a double, Infinity as the tower's float32: the embedding would be NaN.
        `{"viewer":{"userId":"u","profile":{"age":1e39}}}`,
        // Within float32 but overflowing inside the tower's layers: a zero embedding.
        `{"viewer":{"userId":"u","profile":{"age":1e30}}}`,
      ]) {
        const bad = await fetch(`${host.url}/v1/embed`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_features");
      }
      // In a batch, the error names the request's own viewer, not its row in the tower's batch.
      const batch = await fetch(`${vs.url}/v1/embed/batch`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          version: "v1",
          viewers: [{ userId: "a" }, { userId: "b" }, { userId: "c", profile: { shoeSize: 3 } }],
        }),
      });
      expect(batch.status).toBe(400);
      expect(await batch.json()).toMatchObject({
        error: {
          code: "invalid_features",
          field: "viewers[2]",
          message: 'viewers[2]: profile: unknown feature "shoeSize"',
          reason: "unknown_feature",
        },
      });
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it("refuses to start on a missing bundle", async () => {
    await expect(startAnnHost({ bundle: path.join(tmp, "nope"), port: 0, threads: 1, log })).rejects.toThrow(
      /does not exist/,
    );
  });
});
