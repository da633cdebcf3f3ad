import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RuntimeApiError, requestJson } from "./http.ts";

const servers: http.Server[] = [];
const serve = async (handler: http.RequestListener) => {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const failure = (url: string, timeoutMs = 5_000) =>
  requestJson(fetch, url, undefined, { timeoutMs }).then(
    () => expect.unreachable(`${url} answered`),
    (err: unknown) => err,
  );

describe("requestJson transport failures", () => {
  it("a host that never answers, or stops half-way through its answer, is a timeout naming the URL", async () => {
    const silent = `${await serve(() => {})}/v1/metadata`;
    const stalled = `${await serve((_req, res) => res.writeHead(200).write('{"model":'))}/v1/metadata`;
    for (const url of [silent, stalled]) {
      const err = await failure(url, 200);
      expect(err).toBeInstanceOf(RuntimeApiError);
      expect(err).toMatchObject({
        status: 0,
        code: "timeout",
        message: `${url}: no complete answer within 200 ms`,
      });
      expect((err as Error).cause).toMatchObject({ name: "TimeoutError" });
    }
  });

  it("a refused or broken connection is unreachable, with the socket's error", async () => {
    const closed = await serve(() => {});
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const refused = await failure(`${closed}/v1/metadata`);
    expect(refused).toBeInstanceOf(RuntimeApiError);
    expect(refused).toMatchObject({ status: 0, code: "unreachable" });
    expect((refused as Error).message).toBe(`${closed}/v1/metadata: connection failed (ECONNREFUSED)`);
    expect((refused as Error).cause).toBeInstanceOf(TypeError);

    const reset = await serve((req, res) => {
      res.writeHead(200, { "content-length": "100" }).write("{");
      setTimeout(() => req.socket.destroy(), 20);
    });
    expect(await failure(`${reset}/v1/metadata`)).toMatchObject({ status: 0, code: "unreachable" });
  });
});
