import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RuntimeApiError, requestJson } from "./http.ts";
import { MAX_ANSWER_BYTES } from "./read-capped.ts";

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

describe("requestJson answers", () => {
  it("stops reading past the cap and keeps only a prefix of an answer that is not JSON", async () => {
    let sent = 0;
    const endless = await serve((_req, res) => {
      const chunk = Buffer.alloc(1 << 20, "a");
      res.on("error", () => {});
      const pump = () => {
        while (sent < 2 * MAX_ANSWER_BYTES && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.writeHead(200);
      pump();
    });
    const err = await failure(endless);
    expect(err).toMatchObject({
      status: 200,
      code: "bad_response",
      message: `${endless} answered 200 with more than 16 MiB`,
    });
    expect((err as RuntimeApiError).body).toBe("a".repeat(1024));
    expect(sent).toBeLessThan(2 * MAX_ANSWER_BYTES);

    // A declared length past the cap is refused before any of it is read.
    const declared = await serve((_req, res) =>
      res.writeHead(200, { "content-length": String(2 ** 30) }).write("a"),
    );
    expect(await failure(declared)).toMatchObject({ code: "bad_response", body: "" });

    const proxy = await serve((_req, res) => res.writeHead(503).end(`<html>${"x".repeat(5000)}</html>`));
    const page = await failure(proxy);
    expect(page).toMatchObject({
      status: 503,
      code: "bad_response",
      message: `${proxy} answered 503 with non-JSON`,
    });
    expect((page as RuntimeApiError).body).toBe(`<html>${"x".repeat(1018)}`);
  });

  it("takes an error answer's code only from the runtime's error shape, of any JSON", async () => {
    for (const body of [
      "null",
      "7",
      '"oops"',
      "[1]",
      '{"error":null}',
      '{"error":"oops"}',
      '{"error":{"code":5}}',
    ]) {
      const url = await serve((_req, res) =>
        res.writeHead(502, { "content-type": "application/json" }).end(body),
      );
      expect(await failure(url)).toMatchObject({
        name: "RuntimeApiError",
        status: 502,
        code: "bad_response",
        message: `${url}: HTTP 502`,
        body: JSON.parse(body),
      });
    }
    const stub = await serve((_req, res) =>
      res.writeHead(503).end('{"error":{"code":"not_ready","field":7}}'),
    );
    expect(await failure(stub)).toMatchObject({
      code: "not_ready",
      message: `${stub}: HTTP 503`,
      field: undefined,
    });
  });
});
