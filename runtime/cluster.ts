// Several serving processes on one port (node:cluster). On two cores one process that parses
// HTTP on its main thread and hands batches to a search thread leaves a fifth of the CPU idle
// (every hand-off is a wake-up, and a small batch split over two search threads ends unevenly);
// one process per core, each answering and searching on its own thread, keeps both busy: about
// +30% requests/s at 100k items. The primary only supervises: it forks the workers, replaces one
// that dies (and retries a replacement that cannot load), stops them all on a signal, and
// aggregates their metrics.
import cluster, { type Worker } from "node:cluster";
import type { Registry } from "prom-client";
import type { CheckedFiles, VerificationOptions } from "../shared/bundle/verify.ts";
import type { Logger } from "../shared/log.ts";
import { answerMetrics, workerMetrics } from "./cluster-metrics.ts";
import { survivesIpcErrors, tell } from "./worker-ipc.ts";

/** Messages between the primary and its workers (cluster-metrics.ts adds its own). */
type WorkerMessage =
  | { towerops: "digests-request" }
  | { towerops: "verified"; bundles: CheckedFiles[] }
  | { towerops: "ready"; url: string }
  | { towerops: "metrics-request"; id: number }
  | { towerops: "metrics"; id: number; text?: string; error?: string };

const BUNDLE_DIRS_ENV = "TOWEROPS_WORKER_BUNDLES";
// Set for the workers forked at start, whose files the primary hashes while they load.
const CHECKED_BY_PRIMARY_ENV = "TOWEROPS_WORKER_CHECKED_BY_PRIMARY";

export interface SuperviseOptions {
  workers: number;
  log: Logger;
  /**
   * Local bundle directories the primary already resolved (downloaded into the cache when the
   * source is http(s)), so workers neither download twice nor race each other into the cache.
   */
  bundleDirs: string[];
  /**
   * Hashes the bundles once, here, while the workers load their modules; each worker forked at
   * start is then told the digests (startDigests) instead of hashing the same files again. A
   * rejection stops all. A replacement hashes its files itself, since they may have changed, and
   * must still find the start's digest: the pod serves one version until it restarts.
   */
  verify?: () => Promise<CheckedFiles[]>;
  /** Wait before replacing a worker that died after it was ready. Default 1 s. */
  restartDelayMs?: number;
  /**
   * Longest wait between attempts at a replacement that keeps failing to load; the wait doubles
   * from `restartDelayMs` up to this. Default 30 s.
   */
  maxRestartDelayMs?: number;
}

/**
 * Runs the primary until every worker has exited; resolves with the process exit code. A worker
 * that exits before it was ready while no other serves (at start: a refused bundle, a port in use)
 * stops them all with code 1 rather than being forked again in a loop: the pod restarts and the old
 * version keeps serving. While others serve, one that cannot load (its bundle directory pruned
 * since, memory short) is tried again with backoff: the host keeps serving with the workers it
 * has, as a single process in its place would.
 */
export function superviseWorkers(opts: SuperviseOptions): Promise<number> {
  const { log, restartDelayMs = 1000, maxRestartDelayMs = 30_000 } = opts;
  const metrics = workerMetrics();
  const live = new Map<number, Worker>();
  const everReady = new Set<number>();
  // Replacements that failed to load since a worker last became ready: the backoff exponent.
  let failedLoads = 0;
  const pending = new Set<NodeJS.Timeout>();
  let stopping = false;
  let code = 0;
  let announced = false;
  let verified: WorkerMessage | undefined;
  // Workers that asked for the digests before the primary had them.
  const asking = new Set<Worker>();

  return new Promise((resolve) => {
    const stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      for (const t of pending) clearTimeout(t);
      log.info({ reason, workers: live.size }, "stopping serving workers");
      // Each worker drains as a single process would: readiness off, in-flight requests finish.
      for (const w of live.values()) w.process.kill("SIGTERM");
      if (live.size === 0) resolve(code);
    };

    const serving = () => [...live.keys()].filter((id) => everReady.has(id)).length;
    const forkLater = (delayMs: number) => {
      const t = setTimeout(() => {
        pending.delete(t);
        if (!stopping) fork(false);
      }, delayMs);
      pending.add(t);
    };

    const fork = (atStart: boolean) => {
      const worker = cluster.fork({
        [BUNDLE_DIRS_ENV]: JSON.stringify(opts.bundleDirs),
        ...(atStart ? { [CHECKED_BY_PRIMARY_ENV]: "1" } : {}),
      });
      live.set(worker.id, worker);
      survivesIpcErrors(worker);
      metrics.watch(worker);
      worker.on("message", (m: WorkerMessage) => {
        if (m.towerops === "digests-request") {
          if (verified) tell(worker, verified);
          else asking.add(worker);
        } else if (m.towerops === "ready") {
          everReady.add(worker.id);
          failedLoads = 0;
          if (!announced && everReady.size === opts.workers) {
            announced = true;
            log.info({ url: m.url, workers: opts.workers }, "serving workers ready");
          }
        } else if (m.towerops === "metrics-request") {
          metrics.collect().then(
            (text) => tell(worker, { towerops: "metrics", id: m.id, text }),
            (err: Error) => tell(worker, { towerops: "metrics", id: m.id, error: err.message }),
          );
        }
      });
      worker.once("exit", (exitCode, signal) => {
        live.delete(worker.id);
        if (stopping) {
          // A worker still loading has no handler yet, so the SIGTERM sent it (or the group's)
          // ends it by default: the stop asked for. Any other signal cut a drain (a SIGKILL, the
          // OOM killer), as does any signal on a worker that served: not clean.
          const asked = !everReady.has(worker.id) && (signal === "SIGTERM" || signal === "SIGINT");
          if (signal !== null && !asked)
            log.error({ worker: worker.id, signal }, "serving worker killed while draining");
          if ((signal !== null && !asked) || (exitCode !== null && exitCode !== 0)) code = 1;
          if (live.size === 0) resolve(code);
        } else if (everReady.has(worker.id)) {
          log.warn({ worker: worker.id, exitCode, signal }, "serving worker exited; starting a replacement");
          forkLater(restartDelayMs);
        } else if (serving() > 0) {
          failedLoads++;
          const retryInMs = Math.min(restartDelayMs * 2 ** (failedLoads - 1), maxRestartDelayMs);
          log.error(
            { worker: worker.id, exitCode, signal, serving: serving(), failedLoads, retryInMs },
            "serving worker failed to load; retrying while the others serve",
          );
          forkLater(retryInMs);
        } else {
          // Nothing serves, so nothing is kept by waiting: a restart says so to the orchestrator.
          log.error({ worker: worker.id, exitCode, signal }, "serving worker exited before it was ready");
          if (code === 0)
            process.stderr.write("towerops: a serving worker failed to start; its log record says why\n");
          code = 1;
          stop(
            everReady.size === 0
              ? "a worker failed to start"
              : "no worker serves and a replacement failed to start",
          );
        }
      });
    };

    for (let i = 0; i < opts.workers; i++) fork(true);
    opts.verify?.().then(
      (bundles) => {
        verified = { towerops: "verified", bundles };
        for (const w of asking) tell(w, verified);
        asking.clear();
      },
      (err: unknown) => {
        log.error({ err }, "runtime failed to start");
        process.stderr.write(`towerops: ${err instanceof Error ? err.message : String(err)}\n`);
        code = 1;
        stop("the bundle was refused");
      },
    );
    // Kept, not once: a second signal (Ctrl-C twice) would otherwise end the primary, and with it
    // every worker mid-drain. stop() ignores it.
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });
}

/** In a serving worker: the bundle directories its primary resolved, else undefined. */
export function workerBundleDirs(): string[] | undefined {
  const raw = cluster.isWorker ? process.env[BUNDLE_DIRS_ENV] : undefined;
  return raw === undefined ? undefined : (JSON.parse(raw) as string[]);
}

let verifiedByPrimary: Promise<CheckedFiles[]> | undefined;

/**
 * In a serving worker: how to verify bundle `i` against what its primary verified at start (see
 * `verify`). A replacement hashes the files as well, and is refused if they are no longer the
 * start's bundle (a directory overwritten in place), rather than serving a second version beside
 * the workers that kept the first in memory; a worker forked at start hashes those changed since
 * the primary stamped them.
 */
export function startDigests(i: number): VerificationOptions {
  verifiedByPrimary ??= new Promise((resolve) => {
    const onMessage = (m: WorkerMessage) => {
      if (m.towerops !== "verified") return;
      process.off("message", onMessage);
      resolve(m.bundles);
    };
    // Asked for, not awaited: a message sent before this listener existed would be lost.
    process.on("message", onMessage);
    process.send?.({ towerops: "digests-request" } satisfies WorkerMessage);
  });
  const checked = verifiedByPrimary.then((all) => {
    const bundle = all[i];
    if (bundle === undefined) throw new Error(`the primary verified no bundle #${i}`);
    return bundle;
  });
  return { checked, rehash: process.env[CHECKED_BY_PRIMARY_ENV] !== "1" };
}

/** Tells the primary this worker serves (no-op outside a cluster). */
export function announceReady(url: string): void {
  if (cluster.isWorker) process.send?.({ towerops: "ready", url } satisfies WorkerMessage);
}

/**
 * The exposition text of `registry`: outside a cluster the registry's own; in a worker, the sum
 * over every worker, so a scrape that lands on any one of them sees the whole pod.
 */
export function metricsText(registry: Registry): () => Promise<string> {
  if (!cluster.isWorker) return () => registry.metrics();
  answerMetrics(registry);
  let next = 0;
  return () =>
    new Promise((resolve, reject) => {
      if (!process.connected) {
        resolve(registry.metrics());
        return;
      }
      const id = next++;
      const timer = setTimeout(() => {
        process.off("message", onMessage);
        reject(new Error("the primary did not answer a metrics request in 5 s"));
      }, 5000);
      const onMessage = (m: WorkerMessage) => {
        if (m.towerops !== "metrics" || m.id !== id) return;
        process.off("message", onMessage);
        clearTimeout(timer);
        if (m.text !== undefined) resolve(m.text);
        else reject(new Error(`aggregating worker metrics failed: ${m.error}`));
      };
      process.on("message", onMessage);
      process.send?.({ towerops: "metrics-request", id } satisfies WorkerMessage);
    });
}
