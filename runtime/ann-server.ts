// startAnnHost: the programmatic entry point of the ANN host role (the CLI, the demo and the
// operator's e2e all start hosts through it).
import os from "node:os";
import { bundlePath } from "../shared/bundle/files.ts";
import { searchThreads } from "../shared/bundle/index-config.ts";
import { indexConfig } from "../shared/bundle/reader.ts";
import { componentLogger, type Logger } from "../shared/log.ts";
import { initTensorflow, registerBackendMetric, type TfBackendInfo } from "../shared/tf/backend.ts";
import { mountAnnRoutes } from "./ann-app.ts";
import { AnnHost } from "./ann-host.ts";
import { type BundleSource, type OpenedBundle, openBundleSource } from "./bundle-source.ts";
import { createApp, finishApp, type Lifecycle } from "./http.ts";
import { JsonRoutes, withJsonRoutes } from "./json-routes.ts";
import { listen, type RunningServer } from "./lifecycle.ts";
import { createMetrics } from "./metrics.ts";
import { selfCheck } from "./self-check.ts";
import { inlineSearch, SearchWorker } from "./vector-search.ts";

export interface AnnHostOptions {
  /** A bundle URI (path, file://, http(s)://) or an already opened bundle (not closed by the host). */
  bundle: BundleSource;
  /** 0 picks an ephemeral port. Default 8080. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** usearch search threads. Default: available cores, at most 4; set it to the pod's CPU limit. */
  threads?: number;
  /** Largest k a request may ask for. Default 1000. */
  maxK?: number;
  /** Where http(s) bundles are downloaded and verified. */
  cacheDir?: string;
  /** Memory-map the index (fast start, shared page cache) instead of reading it into RAM. Default true. */
  view?: boolean;
  /** Merge concurrent searches into batched calls. Default true. */
  coalesce?: boolean;
  /**
   * Search batches in a worker thread with its own view of the index file, so requests keep being
   * parsed and answered while a batch is searched. Default: whenever the index is memory-mapped
   * (`view`) from a file that exists; a loaded index is not mapped a second time.
   */
  searchWorker?: boolean;
  /** Extra wait for more requests before a batch runs; 0 = next event-loop turn. Default 0. */
  coalesceWindowMs?: number;
  /** Most queries in one batched call and in one batch request. Default 256. */
  maxBatch?: number;
  /** Largest accepted request body. Default "1mb". */
  bodyLimit?: string;
  shutdownDelayMs?: number;
  drainTimeoutMs?: number;
  log?: Logger;
}

function defaultThreads(): number {
  return Math.min(os.availableParallelism(), 4);
}

export async function startAnnHost(opts: AnnHostOptions): Promise<RunningServer> {
  const log = opts.log ?? componentLogger("ann-host");
  const requested = opts.threads ?? defaultThreads();
  // More threads than cores fail searches at random (usearch has one search context per core).
  const threads = searchThreads(requested);
  if (threads < requested)
    log.warn({ requested, threads }, "search threads capped at the cores usearch has search contexts for");
  const maxBatch = opts.maxBatch ?? 256;
  const bodyLimit = opts.bodyLimit ?? "1mb";
  const metrics = createMetrics();
  const lifecycle: Lifecycle = { ready: false, draining: false };

  let host: AnnHost | undefined;
  let opened: OpenedBundle | undefined;
  let worker: SearchWorker | undefined;
  const app = createApp({ metrics, log, lifecycle });
  const routes = new JsonRoutes({ metrics, log, lifecycle, bodyLimit });
  // /v1/* answers 503 not_ready until `host` is set, so the cast never reaches a route early.
  mountAnnRoutes(
    app,
    routes,
    () => host as AnnHost,
    { maxK: opts.maxK ?? 1000, maxBatch, maxExclude: 1000 },
    metrics,
  );
  finishApp(app, metrics, log);
  // Listen before loading: /healthz answers while a large bundle downloads and verifies (a liveness
  // probe must not kill a pod that is busy loading); /readyz stays 503 until the self-check passed.
  const running = await listen(withJsonRoutes(routes, app), lifecycle, opts, log, async () => {
    await worker?.close();
    opened?.release();
  });

  // Start-up phases are logged with the ready line: cold start is a target, so show where it goes.
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    mark = now;
  };
  let tf: TfBackendInfo;
  try {
    tf = await initTensorflow();
    registerBackendMetric(metrics.registry, tf);
    phase("tfInitMs");
    opened = await openBundleSource(opts.bundle, {
      view: opts.view ?? true,
      threads,
      cacheDir: opts.cacheDir,
    });
    phase("openBundleMs");
    const b = opened.bundle;
    const indexFile = bundlePath(b.dir, b.manifest.index.file);
    const inline = inlineSearch(b.index, threads);
    // The file as verified, not as it is now: one swapped in since would pass the worker's check.
    const file = b.stamps?.get(b.manifest.index.file);
    if (file && (opts.searchWorker ?? opts.view ?? true)) {
      const spec = { indexFile, identity: file, options: indexConfig(b.manifest), threads };
      worker = new SearchWorker(spec, inline, (err) =>
        log.warn({ err: err.message }, "search worker down; searching on the main thread"),
      );
    }
    const loaded = new AnnHost(b, {
      threads,
      search: worker?.search ?? inline,
      searchesInFlight: worker ? 2 : 1,
      batching: { coalesce: opts.coalesce ?? true, windowMs: opts.coalesceWindowMs ?? 0, maxBatch },
      // The self-check's probes run before ready; they are not traffic.
      onBatch: (stage, n) => lifecycle.ready && metrics.batchSize.observe({ stage }, n),
    });
    await selfCheck(loaded);
    phase("selfCheckMs");
    host = loaded;
  } catch (err) {
    await running.close();
    throw err;
  }
  const m = host.metadata;
  metrics.modelInfo.set({ model: m.model, version: m.version, digest: m.bundleDigest, role: "ann-host" }, 1);
  lifecycle.ready = true;
  const searchWorker = worker !== undefined;
  log.info(
    { url: running.url, ...m, threads, searchWorker, backend: tf.backend, startup: phases },
    "ANN host ready",
  );
  return running;
}
