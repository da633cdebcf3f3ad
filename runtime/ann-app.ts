// HTTP routes of the ANN host role. Every route that takes a version checks it before anything
// else: a caller holding another version's embedding must hear "409, wrong version" even when the
// other version has different dims.
import type { Express } from "express";
import type { AnnHost } from "./ann-host.ts";
import { whenReady } from "./http.ts";
import type { Hit } from "./item-search.ts";
import type { JsonRoutes } from "./json-routes.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import {
  type Limits,
  parseEmbed,
  parseEmbedBatch,
  parseRetrieve,
  parseRetrieveBatch,
  parseSearch,
  parseSearchBatch,
  peekPin,
} from "./validate.ts";

export function mountAnnRoutes(
  app: Express,
  routes: JsonRoutes,
  getHost: () => AnnHost,
  limits: Omit<Limits, "dims">,
  metrics: RuntimeMetrics,
): void {
  /** The host serving right now and its limits, after the version check. */
  const read = (body: unknown) => {
    const host = getHost();
    const pin = peekPin(body);
    host.assertVersion(pin.version, pin.bundleDigest);
    return { host, limits: { ...limits, dims: host.metadata.dims, metric: host.metadata.metric } };
  };
  const counted = (route: string, results: Hit[][]) => {
    let n = 0;
    for (const r of results) n += r.length;
    metrics.results.inc({ route }, n);
  };
  const vec = (v: Float32Array) => Array.from(v);

  app.get("/v1/metadata", whenReady(routes.lifecycle), (_req, res) => {
    res.json(getHost().metadata);
  });

  routes.post("/v1/embed", async (body) => {
    const { host } = read(body);
    const { viewer } = parseEmbed(body);
    const { viewerVersion: version, bundleDigest } = host.metadata;
    return { version, bundleDigest, embedding: vec(await host.embed(viewer)) };
  });

  routes.post("/v1/embed/batch", async (body) => {
    const { host, limits: l } = read(body);
    const { viewers } = parseEmbedBatch(body, l);
    const embeddings = await host.embedMany(viewers, (i) => `viewers[${i}]`);
    const { viewerVersion: version, bundleDigest } = host.metadata;
    return { version, bundleDigest, embeddings: embeddings.map(vec) };
  });

  routes.post("/v1/search", async (body) => {
    const { host, limits: l } = read(body);
    const query = parseSearch(body, l);
    const results = await host.search(query);
    counted("/v1/search", [results]);
    return { version: host.metadata.version, bundleDigest: host.metadata.bundleDigest, results };
  });

  routes.post("/v1/search/batch", async (body) => {
    const { host, limits: l } = read(body);
    const { queries } = parseSearchBatch(body, l);
    const results = await Promise.all(queries.map((q) => host.search(q)));
    counted("/v1/search/batch", results);
    return { version: host.metadata.version, bundleDigest: host.metadata.bundleDigest, results };
  });

  routes.post("/v1/retrieve", async (body) => {
    const { host, limits: l } = read(body);
    const { viewer, k, exclude } = parseRetrieve(body, l);
    const results = await host.search({ vector: await host.embed(viewer), k, exclude });
    counted("/v1/retrieve", [results]);
    return { version: host.metadata.version, bundleDigest: host.metadata.bundleDigest, results };
  });

  routes.post("/v1/retrieve/batch", async (body) => {
    const { host, limits: l } = read(body);
    const { requests } = parseRetrieveBatch(body, l);
    const vectors = await host.embedMany(
      requests.map((r) => r.viewer),
      (i) => `requests[${i}].viewer`,
    );
    const results = await Promise.all(
      requests.map((r, i) => host.search({ vector: vectors[i] as Float32Array, k: r.k, exclude: r.exclude })),
    );
    counted("/v1/retrieve/batch", results);
    return { version: host.metadata.version, bundleDigest: host.metadata.bundleDigest, results };
  });
}
