import { createServer, request, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiError } from "./errors.ts";
import { createApp, finishApp, type Lifecycle } from "./http.ts";
import { JsonRoutes, withJsonRoutes } from "./json-routes.ts";
import { createMetrics } from "./metrics.ts";
import { quietLog as log } from "./testing/quiet-log.ts";

const metrics = createMetrics();
const lifecycle: Lifecycle = { ready: true, draining: false };
let server: Server;
let base: string;

beforeAll(async () => {
  const app = createApp({ metrics, log, lifecycle });
  app.get("/v1/thing", (_req, res) => {
    res.json({ via: "express" });
  });
  app.get("/v1/thing/old", () => {
    throw new ApiError("version_mismatch", "requested v0 (the caller's text), serving v1", "version");
  });
  const routes = new JsonRoutes({ metrics, log, lifecycle, bodyLimit: "1kb" });
  routes.post("/v1/echo", (body) => ({ got: body }));
  routes.post("/v1/slow", async (body) => {
    await new Promise((r) => setTimeout(r, 5));
    return body;
  });
  routes.post("/v1/fail", () => {
    throw new ApiError("wrong_dims", "vector has 3 dims, expected 8", "vector");
  });
  routes.post("/v1/crash", () => {
    throw new TypeError("boom");
  });
  finishApp(app, metrics, log);
  server = createServer(withJsonRoutes(routes, app));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const JSON_TYPE = { "content-type": "application/json" };
const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { ...JSON_TYPE, ...headers },
    body,
  });
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as unknown };
};

describe("JsonRoutes", () => {
  it("answers its POST routes with JSON, case-insensitively, with a trailing slash or a query", async () => {
    for (const path of ["/v1/echo", "/V1/Echo", "/v1/echo/", "/v1/echo?x=1"]) {
      const r = await post(path, ' {"a":[1,2]}');
      expect(r).toEqual({
        status: 200,
        type: "application/json; charset=utf-8",
        body: { got: { a: [1, 2] } },
      });
    }
    expect((await post("/v1/slow", "[1]")).body).toEqual([1]);
  });

  it("treats an empty body as {}, skips a byte-order mark and accepts a utf-8 charset", async () => {
    expect((await post("/v1/echo", "")).body).toEqual({ got: {} });
    // As express.json() does: Windows tools start UTF-8 files with one.
    expect((await post("/v1/echo", '\ufeff{"a":1}')).body).toEqual({ got: { a: 1 } });
    expect((await post("/v1/echo", "{}", { "content-type": "application/json; charset=UTF-8" })).status).toBe(
      200,
    );
  });

  it("leaves other methods and paths to express", async () => {
    expect(await (await fetch(`${base}/v1/thing`)).json()).toEqual({ via: "express" });
    const get = await fetch(`${base}/v1/echo`);
    expect(get.status).toBe(404);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe("route_not_found");
    expect((await post("/v1/nope", "{}")).status).toBe(404);
  });

  it("serves an absolute-form request target by its path", async () => {
    // fetch always sends origin-form; a proxy forwarding to the host may not.
    const raw = (target: string) =>
      new Promise<{ status: string; body: string }>((resolve, reject) => {
        const { port } = server.address() as AddressInfo;
        const socket = connect(port, "127.0.0.1", () =>
          socket.end(
            `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
              `Content-Length: 7\r\nConnection: close\r\n\r\n{"a":1}`,
          ),
        );
        let text = "";
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        socket.on("error", reject);
        socket.on("close", () => {
          const [head = "", body = ""] = text.split("\r\n\r\n");
          resolve({ status: head.split("\r\n")[0] ?? "", body });
        });
      });
    for (const target of [`${base}/v1/echo`, `${base}/V1/echo/?x=1`]) {
      expect(await raw(target)).toEqual({ status: "HTTP/1.1 200 OK", body: '{"got":{"a":1}}' });
    }
    expect(await raw(`${base}/v1/nope`)).toMatchObject({
      status: "HTTP/1.1 404 Not Found",
      body: expect.stringContaining('"route_not_found"'),
    });
    // One that is no URL is left to express, which cannot route it either (its own page, not ours).
    expect((await raw("http://[bad/v1/echo")).status).toBe("HTTP/1.1 404 Not Found");
  });

  it.each([
    ["not JSON", "{", {}, 400, "malformed_json"],
    ["a bare string", '"x"', {}, 400, "malformed_json"],
    ["null", "null", {}, 400, "malformed_json"],
    ["a text content type", "{}", { "content-type": "text/plain" }, 400, "unsupported_media_type"],
    [
      "another charset",
      "{}",
      { "content-type": "application/json; charset=latin1" },
      400,
      "unsupported_media_type",
    ],
    ["a compressed body", "{}", { "content-encoding": "gzip" }, 400, "unsupported_media_type"],
    ["a body over the limit", JSON.stringify({ a: "x".repeat(2000) }), {}, 413, "body_too_large"],
    ["an ApiError from the handler", "{}", {}, 400, "wrong_dims"],
  ])("refuses %s", async (_name, body, headers, status, code) => {
    const path = code === "wrong_dims" ? "/v1/fail" : "/v1/echo";
    const r = await post(path, body, headers);
    expect(r.status).toBe(status);
    expect((r.body as { error: { code: string } }).error.code).toBe(code);
  });

  it("answers 500 internal for an unexpected throw, without its message", async () => {
    const r = await post("/v1/crash", "{}");
    expect(r).toMatchObject({
      status: 500,
      body: { error: { code: "internal", message: "internal error" } },
    });
  });

  it("refuses a body over the limit that declares no length, mid-stream", async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/v1/echo`, {
        method: "POST",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.write(`{"a":"${"x".repeat(700)}`);
      req.end(`${"y".repeat(700)}"}`);
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe("body_too_large");
  });

  it("answers 503 not_ready until the host is ready, and closes the connection", async () => {
    lifecycle.ready = false;
    try {
      const res = await fetch(`${base}/v1/echo`, { method: "POST", headers: JSON_TYPE, body: "{}" });
      expect(res.status).toBe(503);
      expect(res.headers.get("connection")).toBe("close");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_ready");
    } finally {
      lifecycle.ready = true;
    }
  });

  it("records latency by route and errors by code", async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /towerops_http_request_duration_seconds_count\{route="\/v1\/echo",method="POST",status="200"\} \d+/,
    );
    expect(text).toMatch(/towerops_http_errors_total\{route="\/v1\/fail",code="wrong_dims"\} 1/);
  });

  it("logs a refusal's code and field, not its message, on JSON and express routes alike", async () => {
    const info = vi.spyOn(log, "info");
    try {
      expect((await post("/v1/fail", "{}")).status).toBe(400);
      expect((await fetch(`${base}/v1/thing/old`)).status).toBe(409);
      expect((await fetch(`${base}/v1/nope`)).status).toBe(404);
      const lines = info.mock.calls.filter((c) => c[1] === "request refused").map((c) => c[0]);
      expect(lines).toMatchObject([
        { route: "/v1/fail", status: 400, code: "wrong_dims", field: "vector" },
        { route: "/v1/thing/old", status: 409, code: "version_mismatch", field: "version" },
        { route: "unmatched", status: 404, code: "route_not_found" },
      ]);
      expect(lines[2]).not.toHaveProperty("field");
      expect(JSON.stringify(lines)).not.toContain("caller's text");
    } finally {
      info.mockRestore();
    }
  });

  it("refuses a body limit it cannot read", () => {
    expect(() => new JsonRoutes({ metrics, log, lifecycle, bodyLimit: "1Mi" })).toThrow(/body limit/);
  });
});
