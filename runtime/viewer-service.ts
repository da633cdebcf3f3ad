// The viewer service role: the viewer towers of the current version and the last N previous ones,
// each request naming the version it wants. This is the split deployment where viewer models and
// item indexes run on separate services and old viewer versions stay up for rollback.
import type { Express } from "express";
import type { ViewerBundle } from "../shared/bundle/bundle.ts";
import { componentLogger, type Logger } from "../shared/log.ts";
import { initTensorflow, registerBackendMetric } from "../shared/tf/backend.ts";
import { type BundleSource, type OpenedBundle, openViewerSource } from "./bundle-source.ts";
import { ApiError, bundleMismatch } from "./errors.ts";
import { createApp, finishApp, type Lifecycle, whenReady } from "./http.ts";
import { JsonRoutes, withJsonRoutes } from "./json-routes.ts";
import { keptVersions } from "./kept-versions.ts";
import { listen, type RunningServer } from "./lifecycle.ts";
import { createMetrics } from "./metrics.ts";
import { probeViewerTower, SelfCheckError } from "./self-check.ts";
import { parseEmbed, parseEmbedBatch, peekPin } from "./validate.ts";
import { ViewerEmbedder } from "./viewer-embedder.ts";

export interface ViewerServiceOptions {
  /** Current version first, then previous versions, most recent first. */
  bundles: BundleSource<ViewerBundle>[];
  /** How many previous versions to serve beside the current one. */
  keep: number;
  port?: number;
  host?: string;
  cacheDir?: string;
  maxBatch?: number;
  bodyLimit?: string;
  coalesce?: boolean;
  shutdownDelayMs?: number;
  drainTimeoutMs?: number;
  log?: Logger;
}

export interface ViewerVersionInfo {
  version: string;
  bundleDigest: string;
  dims: number;
  createdAt: string;
}

export interface ViewerServiceMetadata {
  role: "viewer";
  model: string;
  current: string;
  versions: ViewerVersionInfo[];
}

interface Served {
  info: ViewerVersionInfo;
  embedder: ViewerEmbedder;
}

function describe(b: ViewerBundle): ViewerVersionInfo {
  return {
    version: b.viewer.version,
    bundleDigest: b.digest,
    dims: b.manifest.dims,
    createdAt: b.manifest.createdAt,
  };
}

export async function startViewerService(opts: ViewerServiceOptions): Promise<RunningServer> {
  const log = opts.log ?? componentLogger("viewer-service");
  if (opts.bundles.length === 0) throw new Error("the viewer service needs at least one --bundle");
  const sources = keptVersions(opts.bundles, opts.keep, log);
  const maxBatch = opts.maxBatch ?? 256;
  const bodyLimit = opts.bodyLimit ?? "1mb";
  const metrics = createMetrics();
  const lifecycle: Lifecycle = { ready: false, draining: false };
  const opened: OpenedBundle<ViewerBundle>[] = [];
  const served = new Map<string, Served>();
  let metadata: ViewerServiceMetadata | undefined;
  const app = createApp({ metrics, log, lifecycle });
  const routes = new JsonRoutes({ metrics, log, lifecycle, bodyLimit });
  // /v1/* answers 503 not_ready until every version is loaded, so the cast never reaches a route early.
  mountViewerRoutes(app, routes, served, () => metadata as ViewerServiceMetadata, maxBatch);
  finishApp(app, metrics, log);
  // Listen first, as the ANN host does: liveness answers while bundles load.
  const running = await listen(withJsonRoutes(routes, app), lifecycle, opts, log, () => {
    for (const o of opened) o.release();
  });
  try {
    registerBackendMetric(metrics.registry, await initTensorflow());
    for (const source of sources) {
      const o = await openViewerSource(source, opts.cacheDir);
      opened.push(o);
      const b = o.bundle;
      const first = opened[0]?.bundle as ViewerBundle;
      if (b.manifest.model !== first.manifest.model) {
        throw new Error(`bundle ${b.dir} is model ${b.manifest.model}, not ${first.manifest.model}`);
      }
      if (served.has(b.viewer.version)) throw new Error(`viewer version ${b.viewer.version} given twice`);
      const embedder = new ViewerEmbedder(
        b.viewer,
        { coalesce: opts.coalesce ?? true, windowMs: 0, maxBatch },
        // The self-check's probes run before ready; they are not traffic.
        (n) => lifecycle.ready && metrics.batchSize.observe({ stage: "embed" }, n),
      );
      // The ANN host's self-check minus the index: the tower must embed.
      await probeViewerTower(embedder, b.manifest.dims, (why, cause) => {
        throw new SelfCheckError(`viewer tower ${b.viewer.version} failed its self-check: ${why}`, { cause });
      });
      served.set(b.viewer.version, { info: describe(b), embedder });
      metrics.modelInfo.set(
        { model: b.manifest.model, version: b.viewer.version, digest: b.digest, role: "viewer" },
        1,
      );
    }
  } catch (err) {
    await running.close();
    throw err;
  }

  const model = (opened[0] as OpenedBundle<ViewerBundle>).bundle.manifest.model;
  metadata = {
    role: "viewer",
    model,
    current: (opened[0] as OpenedBundle<ViewerBundle>).bundle.viewer.version,
    versions: [...served.values()].map((s) => s.info),
  };
  lifecycle.ready = true;
  log.info({ url: running.url, model, versions: [...served.keys()] }, "viewer service ready");
  return running;
}

function mountViewerRoutes(
  app: Express,
  routes: JsonRoutes,
  served: Map<string, Served>,
  metadata: () => ViewerServiceMetadata,
  maxBatch: number,
): void {
  const pick = (version: string | undefined, bundleDigest: string | undefined): Served => {
    if (version === undefined) {
      throw new ApiError(
        "missing_field",
        "version is required: name the viewer version to embed with",
        "version",
      );
    }
    const s = served.get(version);
    if (!s) {
      throw new ApiError(
        "unknown_version",
        `viewer version ${JSON.stringify(version)} is not served here`,
        "version",
        {
          availableVersions: [...served.keys()],
        },
      );
    }
    if (bundleDigest !== undefined && bundleDigest !== s.info.bundleDigest)
      throw bundleMismatch(version, bundleDigest, s.info.bundleDigest);
    return s;
  };
  /** The pinned version, checked before the body as the ANN host does: 404 or 409 whatever else is wrong. */
  const pinned = (body: unknown): void => {
    const pin = peekPin(body);
    if (pin.version !== undefined) pick(pin.version, pin.bundleDigest);
  };
  const limits = { maxBatch, maxK: 1, maxExclude: 0, dims: 0 };

  app.get("/v1/metadata", whenReady(routes.lifecycle), (_req, res) => {
    res.json(metadata());
  });
  routes.post("/v1/embed", async (body) => {
    pinned(body);
    const { viewer, version, bundleDigest } = parseEmbed(body);
    const s = pick(version, bundleDigest);
    const { info } = s;
    return {
      version: info.version,
      bundleDigest: info.bundleDigest,
      embedding: Array.from(await s.embedder.embed(viewer)),
    };
  });
  routes.post("/v1/embed/batch", async (body) => {
    pinned(body);
    const { viewers, version, bundleDigest } = parseEmbedBatch(body, limits);
    const s = pick(version, bundleDigest);
    const embeddings = await s.embedder.embedMany(viewers, (i) => `viewers[${i}]`);
    const { info } = s;
    return {
      version: info.version,
      bundleDigest: info.bundleDigest,
      embeddings: embeddings.map((e) => Array.from(e)),
    };
  });
}
