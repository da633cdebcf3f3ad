import { once } from "node:events";
import { Agent, createServer, request } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { availableParallelism } from "node:os";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnnHost } from "./ann-server.ts";
import type { RunningServer } from "./lifecycle.ts";
import { fakeBundle, itemVector } from "./testing/fake-bundle.ts";
import { quietLog as log } from "./testing/quiet-log.ts";

const DIMS = 8;
const bundle = fakeBundle({ version: "v1", dims: DIMS, items: 200 });
let host: RunningServer;

const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${host.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON replies field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
const vec = (id = "item-5") => Array.from(itemVector(id, DIMS));

beforeAll(async () => {
  host = await startAnnHost({ bundle, port: 0, threads: 1, maxK: 50, bodyLimit: "16kb", log });
});
afterAll(async () => {
  await host.close();
});

describe("ANN host routes", () => {
  it("is healthy, ready and describes its bundle", async () => {
    expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${host.url}/readyz`)).json()).toEqual({ ready: true, draining: false });
    expect(await (await fetch(`${host.url}/v1/metadata`)).json()).toEqual({
      model: "demo",
      version: "v1",
      viewerVersion: "v1",
      indexVersion: "v1",
      bundleDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      dims: DIMS,
      metric: "ip",
      items: 200,
    });
  });

  it("finds an item from its own vector, honours exclude and k", async () => {
    const hit = await post("/v1/search", { vector: vec(), k: 3, version: "v1" });
    expect(hit.status).toBe(200);
    expect(hit.body.version).toBe("v1");
    expect(hit.body.results).toHaveLength(3);
    expect(hit.body.results[0].id).toBe("item-5");
    expect(hit.body.results[0].score).toBeCloseTo(1, 5);
    const excluded = await post("/v1/search", {
      vector: vec(),
      k: 3,
      version: "v1",
      exclude: ["item-5", "nope"],
    });
    expect(excluded.body.results).toHaveLength(3);
    expect(excluded.body.results.map((r: { id: string }) => r.id)).not.toContain("item-5");
  });

  it("answers 409 with both versions when the caller holds another version", async () => {
    const res = await post("/v1/search", { vector: vec(), k: 3, version: "v0" });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: "version_mismatch",
      requestedVersion: "v0",
      servedVersion: "v1",
    });
    // Even with a vector of another version's dims, the version is what the caller hears about.
    expect((await post("/v1/search", { vector: [1, 2], k: 3, version: "v0" })).status).toBe(409);
    expect((await post("/v1/retrieve", { viewer: { userId: "u" }, k: 3, version: "v0" })).status).toBe(409);
    // The right label pinned to another training run's bundle: 409 too, naming both digests.
    const otherRun = { vector: vec(), k: 3, version: "v1", bundleDigest: "f".repeat(64) };
    const mixed = await post("/v1/search", otherRun);
    expect(mixed.status).toBe(409);
    expect(mixed.body.error).toMatchObject({
      code: "version_mismatch",
      field: "bundleDigest",
      requestedDigest: "f".repeat(64),
      servedDigest: bundle.digest,
    });
    expect((await post("/v1/search", { ...otherRun, bundleDigest: bundle.digest })).status).toBe(200);
  });

  it("embeds, retrieves and serves the batch forms in the host's version", async () => {
    const embed = await post("/v1/embed", { viewer: { userId: "u1", history: ["item-7"] } });
    expect(embed.body.version).toBe("v1");
    expect(embed.body.embedding).toHaveLength(DIMS);
    const retrieve = await post("/v1/retrieve", { viewer: { userId: "u1", history: ["item-7"] }, k: 2 });
    expect(retrieve.body.results[0].id).toBe("item-7");
    const batch = await post("/v1/search/batch", {
      version: "v1",
      queries: [
        { vector: vec("item-1"), k: 1 },
        { vector: vec("item-2"), k: 4, exclude: ["item-2"] },
      ],
    });
    expect(batch.body.results[0].map((r: { id: string }) => r.id)).toEqual(["item-1"]);
    expect(batch.body.results[1]).toHaveLength(4);
    const rb = await post("/v1/retrieve/batch", {
      requests: [
        { viewer: { userId: "a", history: ["item-3"] }, k: 1 },
        { viewer: { userId: "b", history: ["item-4"] }, k: 1 },
      ],
    });
    expect(rb.body.results.flat().map((r: { id: string }) => r.id)).toEqual(["item-3", "item-4"]);
    const eb = await post("/v1/embed/batch", { viewers: [{ userId: "a" }, { userId: "b" }], version: "v1" });
    expect(eb.body.embeddings).toHaveLength(2);
  });

  it("merges concurrent searches into batched calls", async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post("/v1/search", { vector: vec(`item-${i}`), k: 1 + (i % 5), version: "v1" }),
      ),
    );
    // The index is approximate, so the reference is the same query searched alone on the same
    // index: a coalesced answer must be exactly that, whatever batch it rode in.
    results.forEach((r, i) => {
      const alone = bundle.index.search(itemVector(`item-${i}`, DIMS), 1 + (i % 5), 1);
      const expected = Array.from(alone.keys, (key) => bundle.keys.idOf(key));
      expect(r.body.results.map((hit: { id: string }) => hit.id)).toEqual(expected);
    });
    const metrics = await (await fetch(`${host.url}/metrics`)).text();
    const count = Number(/towerops_coalesced_batch_size_count\{stage="search"\} (\d+)/.exec(metrics)?.[1]);
    const sum = Number(/towerops_coalesced_batch_size_sum\{stage="search"\} (\d+)/.exec(metrics)?.[1]);
    expect(sum / count).toBeGreaterThan(1);
  });

  it("refuses one bad viewer without failing the viewers batched with it", async () => {
    const [good, bad] = await Promise.all([
      post("/v1/retrieve", { viewer: { userId: "ok", history: ["item-9"] }, k: 1 }),
      post("/v1/retrieve", { viewer: { userId: "bad-1" }, k: 1 }),
    ]);
    expect(good.body.results[0].id).toBe("item-9");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_features");
  });

  it("exports the metrics an operator watches", async () => {
    const text = await (await fetch(`${host.url}/metrics`)).text();
    expect(text).toContain(
      `towerops_model_info{model="demo",version="v1",digest="${bundle.digest}",role="ann-host"} 1`,
    );
    expect(text).toMatch(/towerops_tf_backend_info\{backend="\w+"\} 1/);
    expect(text).toMatch(
      /towerops_http_request_duration_seconds_count\{route="\/v1\/search",method="POST",status="200"\}/,
    );
    expect(text).toMatch(/towerops_http_errors_total\{route="\/v1\/search",code="version_mismatch"\}/);
    expect(text).toMatch(/towerops_search_results_total\{route="\/v1\/search"\}/);
  });
});

describe("malformed input", () => {
  const ok = { vector: vec(), k: 3, version: "v1" };
  const big = "x".repeat(20_000);
  const cases: [string, string, unknown, number, string, string?][] = [
    ["/v1/search", "malformed JSON", "{", 400, "malformed_json"],
    ["/v1/search", "truncated JSON", '{"vector": [1,', 400, "malformed_json"],
    ["/v1/search", "JSON NaN literal", '{"vector": [NaN], "k": 1, "version": "v1"}', 400, "malformed_json"],
    ["/v1/search", "bare string body", '"hello"', 400, "malformed_json"],
    ["/v1/search", "array body", [ok], 400, "invalid_type"],
    ["/v1/search", "null body", "null", 400, "malformed_json"],
    ["/v1/search", "empty object", {}, 400, "missing_field", "version"],
    ["/v1/search", "missing vector", { k: 3, version: "v1" }, 400, "missing_field", "vector"],
    ["/v1/search", "missing k", { vector: vec(), version: "v1" }, 400, "missing_field", "k"],
    ["/v1/search", "unknown field", { ...ok, extra: 1 }, 400, "unknown_field", "extra"],
    ["/v1/search", "numeric bundle digest", { ...ok, bundleDigest: 7 }, 400, "invalid_type", "bundleDigest"],
    [
      "/v1/search",
      "uppercase bundle digest",
      { ...ok, bundleDigest: "A".repeat(64) },
      400,
      "invalid_value",
      "bundleDigest",
    ],
    ["/v1/search", "too few dims", { ...ok, vector: [1, 2, 3] }, 400, "wrong_dims", "vector"],
    ["/v1/search", "too many dims", { ...ok, vector: [...vec(), 0] }, 400, "wrong_dims", "vector"],
    ["/v1/search", "all-zero vector", { ...ok, vector: vec().map(() => 0) }, 400, "invalid_value", "vector"],
    // Non-zero, but under ip every item would score 1 − dot = 1 in float32: an arbitrary slice.
    [
      "/v1/search",
      "vector of length ~1e-20",
      { ...ok, vector: vec().map((x) => x * 1e-20) },
      400,
      "invalid_value",
      "vector",
    ],
    [
      "/v1/search",
      "string in vector",
      { ...ok, vector: [...vec().slice(1), "1"] },
      400,
      "invalid_type",
      "vector[7]",
    ],
    [
      "/v1/search",
      "null in vector",
      { ...ok, vector: [null, ...vec().slice(1)] },
      400,
      "invalid_type",
      "vector[0]",
    ],
    [
      "/v1/search",
      "Infinity via 1e999",
      `{"vector":[1e999,0,0,0,0,0,0,0],"k":1,"version":"v1"}`,
      400,
      "not_finite",
      "vector[0]",
    ],
    [
      "/v1/search",
      "float32 overflow",
      { ...ok, vector: [1e39, 0, 0, 0, 0, 0, 0, 0] },
      400,
      "not_finite",
      "vector[0]",
    ],
    [
      "/v1/search",
      "each element fits float32, the scores would not",
      { ...ok, vector: Array(8).fill(-3e38) },
      400,
      "not_finite",
      "vector",
    ],
    ["/v1/search", "vector not an array", { ...ok, vector: "1,2" }, 400, "invalid_type", "vector"],
    ["/v1/search", "k = 0", { ...ok, k: 0 }, 400, "k_out_of_range", "k"],
    ["/v1/search", "negative k", { ...ok, k: -1 }, 400, "k_out_of_range", "k"],
    ["/v1/search", "k above max", { ...ok, k: 51 }, 400, "k_out_of_range", "k"],
    ["/v1/search", "fractional k", { ...ok, k: 2.5 }, 400, "invalid_type", "k"],
    // JSON.parse reads it as Infinity.
    [
      "/v1/search",
      "k = 1e309",
      JSON.stringify({ ...ok, k: 0 }).replace('"k":0', '"k":1e309'),
      400,
      "not_finite",
      "k",
    ],
    ["/v1/search", "string k", { ...ok, k: "3" }, 400, "invalid_type", "k"],
    ["/v1/search", "numeric version", { ...ok, version: 1 }, 400, "invalid_type", "version"],
    ["/v1/search", "empty version", { ...ok, version: "" }, 400, "invalid_value", "version"],
    ["/v1/search", "exclude not array", { ...ok, exclude: "item-1" }, 400, "invalid_type", "exclude"],
    ["/v1/search", "exclude with number", { ...ok, exclude: [1] }, 400, "invalid_type", "exclude[0]"],
    ["/v1/search", "body over limit", { ...ok, exclude: [big] }, 413, "body_too_large"],
    ["/v1/search", "not JSON content type", "vector=1", 400, "unsupported_media_type"],
    ["/v1/search/batch", "queries not array", { version: "v1", queries: {} }, 400, "invalid_type", "queries"],
    [
      "/v1/search/batch",
      "bad dims in a query",
      { version: "v1", queries: [{ vector: [1], k: 1 }] },
      400,
      "wrong_dims",
      "queries[0].vector",
    ],
    [
      "/v1/search/batch",
      "unknown field in a query",
      { version: "v1", queries: [{ ...ok }] },
      400,
      "unknown_field",
      "queries[0].version",
    ],
    ["/v1/embed", "missing viewer", {}, 400, "missing_field", "viewer"],
    ["/v1/embed", "viewer without userId", { viewer: {} }, 400, "missing_field", "viewer.userId"],
    ["/v1/embed", "numeric userId", { viewer: { userId: 5 } }, 400, "invalid_type", "viewer.userId"],
    [
      "/v1/embed",
      "history not array",
      { viewer: { userId: "u", history: "a" } },
      400,
      "invalid_type",
      "viewer.history",
    ],
    [
      "/v1/embed",
      "profile with object",
      { viewer: { userId: "u", profile: { age: {} } } },
      400,
      "invalid_type",
      "viewer.profile.age",
    ],
    [
      "/v1/embed",
      "unknown viewer field",
      { viewer: { userId: "u", email: "x" } },
      400,
      "unknown_field",
      "viewer.email",
    ],
    ["/v1/embed", "unencodable viewer", { viewer: { userId: "bad" } }, 400, "invalid_features", "viewer"],
    [
      "/v1/embed/batch",
      "too many viewers",
      { viewers: Array.from({ length: 300 }, () => ({ userId: "u" })) },
      400,
      "batch_too_large",
      "viewers",
    ],
    ["/v1/retrieve", "missing k", { viewer: { userId: "u" } }, 400, "missing_field", "k"],
    ["/v1/retrieve/batch", "requests missing", {}, 400, "missing_field", "requests"],
    [
      "/v1/retrieve/batch",
      "unencodable viewer in a batch",
      {
        requests: [
          { viewer: { userId: "a" }, k: 1 },
          { viewer: { userId: "bad" }, k: 1 },
        ],
      },
      400,
      "invalid_features",
      "requests[1].viewer",
    ],
    ["/v1/nope", "unknown route", {}, 404, "route_not_found"],
  ];

  it(`answers ${cases.length} distinct bad requests with precise errors and keeps serving`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const [path, name, body, status, code, field] of cases) {
      const headers: Record<string, string> =
        name === "not JSON content type" ? { "content-type": "text/plain" } : {};
      const res = await post(path, body, headers);
      expect({ name, status: res.status, code: res.body.error?.code }).toEqual({ name, status, code });
      if (field) expect({ name, field: res.body.error.field }).toEqual({ name, field });
      expect(typeof res.body.error.message).toBe("string");
    }
    const after = await post("/v1/search", ok);
    expect(after.status).toBe(200);
    expect((await fetch(`${host.url}/readyz`)).status).toBe(200);
  });
});

describe("start-up", () => {
  it("answers liveness while loading, and readiness only after the self-check", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const slow = fakeBundle({ version: "v5" });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const embed = slow.viewer.embed.bind(slow.viewer);
    slow.viewer.embed = async (viewers) => {
      await gate;
      return embed(viewers);
    };
    const starting = startAnnHost({ bundle: slow, port, threads: 1, log });
    const url = `http://127.0.0.1:${port}`;
    let health = await fetch(`${url}/healthz`).catch(() => undefined);
    while (!health) {
      await new Promise((r) => setTimeout(r, 20));
      health = await fetch(`${url}/healthz`).catch(() => undefined);
    }
    expect(health.status).toBe(200);
    const unready = await fetch(`${url}/readyz`);
    expect(unready.status).toBe(503);
    // As every 503: a keep-alive prober must not stay on a host that is still loading.
    expect(unready.headers.get("connection")).toBe("close");
    const early = await fetch(`${url}/v1/metadata`);
    expect(early.status).toBe(503);
    expect(early.headers.get("connection")).toBe("close");
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe("not_ready");
    release();
    const h = await starting;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // Counted under the route it refused, not with the 404s of paths no route has.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('towerops_http_errors_total{route="/v1/metadata",code="not_ready"} 1');
    await h.close();
  });
});

describe("shutdown", () => {
  it("drops readiness, drains in-flight requests, then stops", async () => {
    const h = await startAnnHost({
      bundle: fakeBundle({ version: "v9" }),
      port: 0,
      threads: 1,
      shutdownDelayMs: 300,
      log,
    });
    const inFlight = fetch(`${h.url}/v1/retrieve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ viewer: { userId: "u" }, k: 2 }),
    });
    const closing = h.close();
    expect((await fetch(`${h.url}/readyz`)).status).toBe(503);
    expect((await inFlight).status).toBe(200);
    await closing;
    await expect(fetch(`${h.url}/healthz`)).rejects.toThrow();
  });

  it("tells keep-alive clients to leave while draining, so none sends on a socket about to close", async () => {
    const h = await startAnnHost({
      bundle: fakeBundle({ version: "v9" }),
      port: 0,
      shutdownDelayMs: 300,
      log,
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const body = JSON.stringify({ viewer: { userId: "u" }, k: 2 });
    const retrieve = () =>
      new Promise<string | undefined>((resolve, reject) => {
        const req = request(
          `${h.url}/v1/retrieve`,
          { method: "POST", agent, headers: { "content-type": "application/json" } },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.headers.connection));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    expect(await retrieve()).toBe("keep-alive");
    const closing = h.close();
    // While the delay keeps the listener open, every answer sends the client to a new connection.
    for (let i = 0; i < 3; i++) expect(await retrieve()).toBe("close");
    await closing;
    agent.destroy();
  });

  it("answers a request that arrives on a connection accepted just before the listener closed", async () => {
    const h = await startAnnHost({ bundle: fakeBundle({ version: "v9" }), port: 0, log });
    const socket = connect(h.port, "127.0.0.1");
    await once(socket, "connect");
    // Accepted by the server, no byte of the request sent yet: a connection a client just opened.
    await new Promise((r) => setTimeout(r, 50));
    const closing = h.close();
    await new Promise((r) => setTimeout(r, 50));
    const reply = new Promise<string>((resolve, reject) => {
      let text = "";
      socket.on("data", (d) => {
        text += d;
      });
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await reply;
    expect(text).toMatch(/^HTTP\/1.1 200/);
    expect(text.toLowerCase()).toContain("connection: close");
    await closing;
  });
});

describe("search threads", () => {
  it("caps them at the available cores, with a warning, since usearch has a search context per core", async () => {
    const lines: Record<string, unknown>[] = [];
    const capturing = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const requested = availableParallelism() + 8;
    const capped = await startAnnHost({
      bundle: fakeBundle({ version: "v1" }),
      port: 0,
      threads: requested,
      log: capturing,
    });
    await capped.close();
    // It used to search on all of them, and batch searches failed at random with a 500.
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, requested, threads: availableParallelism() }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "ANN host ready", threads: availableParallelism() }),
    );
  });
});
