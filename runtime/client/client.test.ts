import { afterEach, describe, expect, it } from "vitest";
import type { HostMetadata } from "../ann-host.ts";
import { startAnnHost } from "../ann-server.ts";
import type { RunningServer } from "../lifecycle.ts";
import { fakeBundle } from "../testing/fake-bundle.ts";
import { quietLog as log } from "../testing/quiet-log.ts";
import { startViewerService, type ViewerServiceMetadata } from "../viewer-service.ts";
import { RetrievalClient, VersionMismatchError } from "./client.ts";
import { Embedding } from "./embedding.ts";

const v1 = fakeBundle({ version: "v1" });
const v2 = fakeBundle({ version: "v2" });
const running: RunningServer[] = [];
const start = async (p: Promise<RunningServer>) => {
  const s = await p;
  running.push(s);
  return s;
};
const host = (bundle = v1, port = 0) => start(startAnnHost({ bundle, port, threads: 1, log }));
const viewer = { userId: "u1", history: ["item-12"] };

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe("RetrievalClient", () => {
  it("embeds on the host and searches in the host's version", async () => {
    const client = new RetrievalClient({ hostUrl: (await host()).url });
    const embedding = await client.embed(viewer);
    expect(embedding.version).toBe("v1");
    const res = await client.search(embedding, { k: 3, exclude: ["item-0"] });
    expect(res.version).toBe("v1");
    expect(res.results[0]?.id).toBe("item-12");
    expect((await client.retrieve(viewer, { k: 1 })).results.map((r) => r.id)).toEqual(["item-12"]);
  });

  it("embeds on the viewer service with the version the host serves", async () => {
    const vs = await start(startViewerService({ bundles: [v2, v1], keep: 1, port: 0, log }));
    const client = new RetrievalClient({ hostUrl: (await host(v1)).url, viewerUrl: vs.url });
    const res = await client.retrieve(viewer, { k: 2 });
    expect(res.version).toBe("v1");
    expect(v1.viewer.calls.length).toBeGreaterThan(0);
  });

  it("refreshes and retries once when the host is swapped between embed and search", async () => {
    const vs = await start(startViewerService({ bundles: [v2, v1], keep: 1, port: 0, log }));
    const first = await host(v1);
    const client = new RetrievalClient({ hostUrl: first.url, viewerUrl: vs.url });
    const stale = await client.embed(viewer);
    await first.close();
    await host(v2, first.port);

    const err = await client.search(stale, { k: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionMismatchError);
    expect(err).toMatchObject({ status: 409, requestedVersion: "v1", servedVersion: "v2" });
    // The cached metadata was dropped: the next embedding is v2 and is accepted.
    expect((await client.search(await client.embed(viewer), { k: 1 })).version).toBe("v2");

    // retrieve() hides one swap completely: it starts with v1 metadata, hears 409, re-embeds in v2.
    const other = new RetrievalClient({ hostUrl: first.url, viewerUrl: vs.url });
    await other.metadata();
    const res = await other.retrieve(viewer, { k: 1 });
    expect(res.version).toBe("v2");
    expect(res.results[0]?.id).toBe("item-12");
  });

  it("re-reads the host when the viewer service has retired the cached version", async () => {
    // Both clients cached v1; a rollout then moved the host to v2 and the viewer service to v2 alone.
    const oldViewers = await start(startViewerService({ bundles: [v1], keep: 0, port: 0, log }));
    const first = await host(v1);
    const clients = [0, 1].map(() => new RetrievalClient({ hostUrl: first.url, viewerUrl: oldViewers.url }));
    for (const c of clients) expect((await c.metadata()).viewerVersion).toBe("v1");
    await Promise.all([first.close(), oldViewers.close()]);
    await host(v2, first.port);
    await start(startViewerService({ bundles: [v2], keep: 0, port: oldViewers.port, log }));
    const [retrieving, embedding] = clients as [RetrievalClient, RetrievalClient];

    const res = await retrieving.retrieve(viewer, { k: 1 });
    expect(res.version).toBe("v2");
    expect(res.results[0]?.id).toBe("item-12");

    // embed() alone reports the retired version and drops the cache, so the next call is served.
    const err = await embedding.embed(viewer).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionMismatchError);
    expect(err).toMatchObject({ status: 404, code: "unknown_version", requestedVersion: "v1" });
    expect((await embedding.embed(viewer)).version).toBe("v2");
  });

  it("never mixes two bundles published under one version label", async () => {
    // Two training runs, both labelled v1: the viewer service holds one, the host the other.
    const otherRun = fakeBundle({ version: "v1", run: "retrained" });
    const vs = await start(startViewerService({ bundles: [otherRun], keep: 0, port: 0, log }));
    const h = await host(v1);
    const client = new RetrievalClient({ hostUrl: h.url, viewerUrl: vs.url });
    const err = await client.retrieve(viewer, { k: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionMismatchError);
    expect(err).toMatchObject({ status: 409, field: "bundleDigest" });
    expect((err as Error).message).toMatch(/two bundles share this version label/);
    // An embedding of the right label but the other run is refused by the host too.
    const stray = await new RetrievalClient({ hostUrl: (await host(otherRun)).url }).embed(viewer);
    expect(stray.bundleDigest).toBe(otherRun.digest);
    await expect(client.search(stray, { k: 1 })).rejects.toMatchObject({
      status: 409,
      body: { error: { requestedDigest: otherRun.digest, servedDigest: v1.digest } },
    });
    // The same run on both sides retrieves as before.
    const same = await start(startViewerService({ bundles: [v1], keep: 0, port: 0, log }));
    const ok = new RetrievalClient({ hostUrl: h.url, viewerUrl: same.url });
    expect((await ok.retrieve(viewer, { k: 1 })).version).toBe("v1");
  });

  it("re-reads the metadata once for all the calls a version change refuses", async () => {
    // One Service URL whose endpoints flip from a v1 host to a v2 host at one instant.
    const [a, b] = [await host(v1), await host(v2)];
    let target = a.url;
    let reads = 0;
    const service: typeof fetch = (input, init) => {
      const url = String(input).replace("http://svc", target);
      if (url.endsWith("/v1/metadata")) reads++;
      return fetch(url, init);
    };
    const client = new RetrievalClient({ hostUrl: "http://svc", fetch: service });
    const [first, second] = [await client.embed(viewer), await client.embed(viewer)] as [
      Embedding,
      Embedding,
    ];
    target = b.url;
    // Both were in flight under v1; the first refusal starts the v2 read before the second arrives.
    await expect(client.search(first, { k: 1 })).rejects.toBeInstanceOf(VersionMismatchError);
    expect((await client.metadata()).version).toBe("v2");
    await expect(client.search(second, { k: 1 })).rejects.toBeInstanceOf(VersionMismatchError);
    expect((await client.metadata()).version).toBe("v2");
    expect(reads).toBe(2);

    // A failed read settling after refresh() began another does not drop that other one.
    let failSlowly = () => {};
    const flaky = new RetrievalClient({
      hostUrl: a.url,
      fetch: async (input, init) => {
        reads++;
        if (reads === 3) {
          await new Promise<void>((resolve) => {
            failSlowly = resolve;
          });
          throw new TypeError("fetch failed");
        }
        return fetch(input, init);
      },
    });
    const failing = flaky.metadata();
    await flaky.refresh();
    failSlowly();
    await expect(failing).rejects.toMatchObject({ code: "unreachable" });
    expect((await flaky.metadata()).version).toBe("v1");
    expect(reads).toBe(4);
  });

  it("fails the second mismatch instead of looping", async () => {
    const h = await host(v1);
    let swaps = 0;
    // A fetch that reports a different version on every metadata read simulates a host flapping.
    const flapping: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.endsWith("/v1/metadata")) {
        swaps++;
        const meta = (await (await fetch(url)).json()) as Record<string, unknown>;
        return Response.json({ ...meta, version: `v-${swaps}`, viewerVersion: `v-${swaps}` });
      }
      return fetch(input, init);
    };
    const client = new RetrievalClient({ hostUrl: h.url, fetch: flapping });
    await expect(client.retrieve(viewer, { k: 1 })).rejects.toBeInstanceOf(VersionMismatchError);
    expect(swaps).toBe(2);
  });

  it("retries once on not_ready (a worker still loading) and gives up on the second", async () => {
    const h = await host(v1);
    const notReady = () =>
      Response.json({ error: { code: "not_ready", message: "loading" } }, { status: 503 });
    // The first `refusals` search calls land on a worker that is still loading.
    const landing = (refusals: number) => {
      let calls = 0;
      const impl: typeof fetch = async (input, init) => {
        if (String(input).endsWith("/v1/search") && calls++ < refusals) return notReady();
        return fetch(input, init);
      };
      return { impl, calls: () => calls };
    };
    const once = landing(1);
    const client = new RetrievalClient({ hostUrl: h.url, fetch: once.impl });
    expect((await client.retrieve(viewer, { k: 1 })).version).toBe("v1");
    expect(once.calls()).toBe(2);
    const twice = landing(2);
    const stubborn = new RetrievalClient({ hostUrl: h.url, fetch: twice.impl });
    await expect(stubborn.retrieve(viewer, { k: 1 })).rejects.toMatchObject({
      code: "not_ready",
      status: 503,
    });
    expect(twice.calls()).toBe(2);
  });

  it("a call's signal aborts it, retries included, with the signal's own reason", async () => {
    const h = await host(v1);
    const reason = new Error("the caller gave up");
    const requests: string[] = [];
    // Like fetch, a request rejects with the signal's reason on abort.
    const hanging = (signal: AbortSignal) =>
      new Promise<Response>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    const scripted =
      (route: string, answer: (signal: AbortSignal) => Promise<Response>): typeof fetch =>
      async (input, init) => {
        const url = String(input);
        requests.push(url.slice(h.url.length));
        return url.endsWith(route) ? answer(init?.signal as AbortSignal) : fetch(input, init);
      };
    // In flight: the per-attempt timeout is far off, the caller's abort ends the call at once.
    let caller = new AbortController();
    const inFlight = new RetrievalClient({
      hostUrl: h.url,
      timeoutMs: 2_000,
      fetch: scripted("/v1/embed", (signal) => {
        setTimeout(() => caller.abort(reason), 10);
        return hanging(signal);
      }),
    });
    await expect(inFlight.retrieve(viewer, { k: 1, signal: caller.signal })).rejects.toBe(reason);
    expect(requests).toEqual(["/v1/metadata", "/v1/embed"]);

    // Between attempts: the retry a not_ready answer would get is never sent.
    requests.length = 0;
    caller = new AbortController();
    const refused = new RetrievalClient({
      hostUrl: h.url,
      fetch: scripted("/v1/search", async () => {
        caller.abort(reason);
        return Response.json({ error: { code: "not_ready", message: "loading" } }, { status: 503 });
      }),
    });
    await expect(refused.retrieve(viewer, { k: 1, signal: caller.signal })).rejects.toBe(reason);
    expect(requests).toEqual(["/v1/metadata", "/v1/embed", "/v1/search"]);
  });

  it("aborting one call's wait for the metadata leaves the shared read to the others", async () => {
    const h = await host(v1);
    let reads = 0;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = new RetrievalClient({
      hostUrl: h.url,
      fetch: async (input, init) => {
        reads++;
        await held;
        return fetch(input, init);
      },
    });
    const caller = new AbortController();
    const abandoned = client.metadata({ signal: caller.signal });
    const waiting = client.metadata();
    caller.abort();
    release();
    await expect(abandoned).rejects.toMatchObject({ name: "AbortError" });
    expect((await waiting).version).toBe("v1");
    expect(reads).toBe(1);
  });

  it("a call whose signal is already aborted leaves no failing read unhandled", async () => {
    let failRead = () => {};
    const client = new RetrievalClient({
      hostUrl: "http://127.0.0.1:9",
      fetch: () =>
        new Promise<Response>((_, reject) => {
          failRead = () => reject(new TypeError("fetch failed"));
        }),
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      for (const call of [
        () => client.embed(viewer, { signal: AbortSignal.abort() }),
        () => client.metadata({ signal: AbortSignal.abort() }),
      ])
        await expect(call()).rejects.toMatchObject({ name: "AbortError" });
      failRead();
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it("refuses a hostUrl that is not an ANN host instead of asking it for version undefined", async () => {
    const vs = await start(startViewerService({ bundles: [v1], keep: 0, port: 0, log }));
    const misdirected = new RetrievalClient({ hostUrl: vs.url });
    for (const call of [() => misdirected.metadata(), () => misdirected.retrieve(viewer, { k: 1 })]) {
      await expect(call()).rejects.toMatchObject({
        code: "bad_response",
        message: `${vs.url}/v1/metadata: hostUrl is not an ANN host: it is a viewer service`,
      });
    }
    const h = await host(v1);
    const partial = new RetrievalClient({
      hostUrl: h.url,
      fetch: async (input, init) => {
        const { bundleDigest: _, ...rest } = (await (await fetch(input, init)).json()) as HostMetadata;
        return Response.json(rest);
      },
    });
    await expect(partial.embed(viewer)).rejects.toMatchObject({
      code: "bad_response",
      message: `${h.url}/v1/metadata: hostUrl is not an ANN host: its metadata has no bundleDigest`,
    });
  });

  it("refuses NaN and Infinity before sending, as the server refuses 1e999, not as the null JSON makes them", async () => {
    const h = await host(v1);
    const sent: string[] = [];
    const client = new RetrievalClient({
      hostUrl: h.url,
      fetch: (input, init) => {
        sent.push(String(input).slice(h.url.length));
        return fetch(input, init);
      },
    });
    for (const age of [Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(client.retrieve({ userId: "u1", profile: { age } }, { k: 1 })).rejects.toMatchObject({
        name: "RuntimeApiError",
        status: 400,
        code: "not_finite",
        field: "viewer.profile.age",
        message: `${h.url}/v1/embed: viewer.profile.age must be finite (not sent)`,
      });
    }
    await expect(client.retrieve(viewer, { k: Number.POSITIVE_INFINITY })).rejects.toMatchObject({
      code: "not_finite",
      field: "k",
    });
    // The metadata the embed reads first; retrieve's k is checked before its embed, so none is sent.
    expect(sent).toEqual(["/v1/metadata"]);
  });

  it("accepts only embeddings it issued", async () => {
    const client = new RetrievalClient({ hostUrl: (await host()).url });
    const forged = { model: "demo", version: "v1", vector: new Float32Array(8) } as unknown as Embedding;
    await expect(client.search(forged, { k: 1 })).rejects.toThrow(TypeError);
    expect(() => new Embedding(Symbol("x"), "demo", "v1", "0".repeat(64), new Float32Array(8))).toThrow(
      TypeError,
    );
    const real = await client.embed(viewer);
    real.vector.fill(0);
    expect(Math.max(...real.vector)).toBeGreaterThan(0);
    expect(Object.isFrozen(real)).toBe(true);
  });
});

describe("viewer service", () => {
  it("refuses bundles of different models or a repeated version", async () => {
    const other = fakeBundle({ version: "v9", model: "other" });
    await expect(startViewerService({ bundles: [v1, other], keep: 1, port: 0, log })).rejects.toThrow(
      /model other/,
    );
    await expect(startViewerService({ bundles: [v1, v1], keep: 1, port: 0, log })).rejects.toThrow(
      /given twice/,
    );
  });

  it("serves the current and the last N versions by explicit version", async () => {
    const v3 = fakeBundle({ version: "v3" });
    const vs = await start(startViewerService({ bundles: [v3, v2, v1], keep: 1, port: 0, log }));
    const meta = (await (await fetch(`${vs.url}/v1/metadata`)).json()) as ViewerServiceMetadata;
    expect(meta.current).toBe("v3");
    expect(meta.versions.map((v) => v.version)).toEqual(["v3", "v2"]);
    const post = (body: unknown) =>
      fetch(`${vs.url}/v1/embed`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const ok = await post({ viewer, version: "v2" });
    expect(((await ok.json()) as { version: string }).version).toBe("v2");
    const unknown = await post({ viewer, version: "v1" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      error: { code: "unknown_version", field: "version", availableVersions: ["v3", "v2"] },
    });
    // A body built for a version served nowhere is told so, not what else is wrong with it.
    for (const body of [
      { viewer: { userId: 7 }, version: "v1" },
      { viewers: [], version: "v1" },
    ]) {
      const res = await fetch(`${vs.url}/v1/embed${"viewers" in body ? "/batch" : ""}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(404);
    }
    const stalePin = await post({ viewer: { userId: 7 }, version: "v2", bundleDigest: "0".repeat(64) });
    expect(stalePin.status).toBe(409);
    const missing = await post({ viewer });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("missing_field");
  });
});

describe("batch metrics", () => {
  it("count served requests only, not the start-up self-check's probes", async () => {
    const servers = [
      await host(v1),
      await start(startViewerService({ bundles: [v2, v1], keep: 1, port: 0, log })),
    ];
    const count = async (url: string, stage: string) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(
        new RegExp(`towerops_coalesced_batch_size_count\\{stage="${stage}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
      );
    };
    for (const s of servers) {
      expect([await count(s.url, "embed"), await count(s.url, "search")]).toEqual([0, 0]);
      await fetch(`${s.url}/v1/embed`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ viewer, version: "v1" }),
      });
      expect(await count(s.url, "embed")).toBe(1);
    }
  });
});
