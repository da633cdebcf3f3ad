// HTTP routes of the ANN host role. Every route that takes a version checks it before anything
// else: a caller holding another version's embedding must hear "409, wrong version" even when the
// other version has different dims.
import type { Express, Request } from "express";
import type { AnnHost } from "./ann-host.ts";
import { jsonRoute } from "./http.ts";
import type { Hit } from "./item-search.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import {
  type Limits,
  parseEmbed,
  parseEmbedBatch,
  parseRetrieve,
  parseRetrieveBatch,
  parseSearch,
  parseSearchBatch,
  requireJson,
} from "./validate.ts";

function peekVersion(body: unknown): string | undefined {
  const v = (body as { version?: unknown } | null)?.version;
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

export function mountAnnRoutes(
  app: Express,
  getHost: () => AnnHost,
  limits: Omit<Limits, "dims">,
  metrics: RuntimeMetrics,
): void {
  /** Parses a body against the host serving right now, after the version check. */
  const read = (req: Request) => {
    const host = getHost();
    const body = requireJson(req.body);
    host.assertVersion(peekVersion(body));
    return { host, body, limits: { ...limits, dims: host.metadata.dims } };
  };
  const counted = (route: string, results: Hit[][]) => {
    let n = 0;
    for (const r of results) n += r.length;
    metrics.results.inc({ route }, n);
  };
  const vec = (v: Float32Array) => Array.from(v);

  app.get("/v1/metadata", (_req, res) => {
    res.json(getHost().metadata);
  });

  app.post(
    "/v1/embed",
    jsonRoute(async (req) => {
      const { host, body } = read(req);
      const { viewer } = parseEmbed(body);
      return { version: host.metadata.viewerVersion, embedding: vec(await host.embed(viewer)) };
    }),
  );

  app.post(
    "/v1/embed/batch",
    jsonRoute(async (req) => {
      const { host, body, limits: l } = read(req);
      const { viewers } = parseEmbedBatch(body, l);
      const embeddings = await host.embedMany(viewers, (i) => `viewers[${i}]`);
      return { version: host.metadata.viewerVersion, embeddings: embeddings.map(vec) };
    }),
  );

  app.post(
    "/v1/search",
    jsonRoute(async (req) => {
      const { host, body, limits: l } = read(req);
      const query = parseSearch(body, l);
      const results = await host.search(query);
      counted("/v1/search", [results]);
      return { version: host.metadata.version, results };
    }),
  );

  app.post(
    "/v1/search/batch",
    jsonRoute(async (req) => {
      const { host, body, limits: l } = read(req);
      const { queries } = parseSearchBatch(body, l);
      const results = await Promise.all(queries.map((q) => host.search(q)));
      counted("/v1/search/batch", results);
      return { version: host.metadata.version, results };
    }),
  );

  app.post(
    "/v1/retrieve",
    jsonRoute(async (req) => {
      const { host, body, limits: l } = read(req);
      const { viewer, k, exclude } = parseRetrieve(body, l);
      const results = await host.search({ vector: await host.embed(viewer), k, exclude });
      counted("/v1/retrieve", [results]);
      return { version: host.metadata.version, results };
    }),
  );

  app.post(
    "/v1/retrieve/batch",
    jsonRoute(async (req) => {
      const { host, body, limits: l } = read(req);
      const { requests } = parseRetrieveBatch(body, l);
      const vectors = await host.embedMany(
        requests.map((r) => r.viewer),
        (i) => `requests[${i}].viewer`,
      );
      const results = await Promise.all(
        requests.map((r, i) =>
          host.search({ vector: vectors[i] as Float32Array, k: r.k, exclude: r.exclude }),
        ),
      );
      counted("/v1/retrieve/batch", results);
      return { version: host.metadata.version, results };
    }),
  );
}
