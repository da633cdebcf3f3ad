import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAllAnswered, runLoad } from "./loadgen.ts";
import { MeasurementError } from "./measurement-error.ts";

describe("runLoad with autocannon", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "towerops-bench-loadgen-test-"));
  const bodiesFile = path.join(dir, "bodies.json");
  let server: Server;
  let url = "";
  beforeAll(async () => {
    writeFileSync(bodiesFile, JSON.stringify([{ k: 1 }]));
    // Refuses every request to /refuse, as the host refuses a body it cannot serve.
    server = createServer((req, res) => {
      req.resume().on("end", () => {
        res.statusCode = req.url === "/refuse" ? 400 : 200;
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  const load = (route: string) =>
    runLoad({ url: `${url}${route}`, concurrency: 2, seconds: 1, bodiesFile, tool: "autocannon" });

  it("counts refused requests as failures, by status, and not as throughput", async () => {
    const r = await load("/refuse");
    expect(r).toMatchObject({ ok: 0, qps: 0, failures: { "status 400": expect.any(Number) } });
    expect(() => assertAllAnswered(r, "/refuse at concurrency 2")).toThrow(MeasurementError);
    expect(() => assertAllAnswered(r, "/refuse at concurrency 2")).toThrow(
      `/refuse at concurrency 2: ${r.failures["status 400"]} requests failed (status 400: ${r.failures["status 400"]}) beside 0 answered 2xx`,
    );
  });

  it("reports a run every request of which was answered 2xx", async () => {
    const r = await load("/");
    expect(r.failures).toEqual({});
    expect(r.ok).toBeGreaterThan(0);
    // Answered on loopback in well under a millisecond: autocannon's own histogram said 0.
    expect(r.p50Ms).toBeGreaterThan(0);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    expect(() => assertAllAnswered(r, "/")).not.toThrow();
  });
});
