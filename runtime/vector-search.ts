// The native half of an item search: a flat query matrix in, the k nearest keys per query out.
// It runs inline (blocking the event loop for the whole batch) or in a search worker thread with
// its own read-only view of the same index file, so the main thread keeps parsing and answering
// requests (and health probes) while a batch is searched. For throughput on a small pod, serving
// workers (cluster.ts) do better: the hand-offs here leave cores idle.
import type { Worker } from "node:worker_threads";
import type { BatchMatches, Index, IndexConfig, Matches } from "usearch";
import type { FileStamp } from "../shared/bundle/file-stamps.ts";
import { startSiblingWorker } from "../shared/sibling-worker.ts";

/** Row-major results: query i owns slots [i * k, i * k + counts[i]). */
export interface RawMatches {
  keys: BigUint64Array;
  distances: Float32Array;
  counts: BigUint64Array;
}

export type VectorSearch = (matrix: Float32Array, k: number) => RawMatches | Promise<RawMatches>;

export function rawSearch(index: Index, threads: number, matrix: Float32Array, k: number): RawMatches {
  // The typings pick the single-query overload for any Float32Array; a batch returns BatchMatches.
  const result = index.search(matrix, k, threads) as Matches | BatchMatches;
  if ("counts" in result) return result;
  return {
    keys: result.keys,
    distances: result.distances,
    counts: BigUint64Array.of(BigInt(result.keys.length)),
  };
}

export function inlineSearch(index: Index, threads: number): VectorSearch {
  return (matrix, k) => rawSearch(index, threads, matrix, k);
}

export interface SearchWorkerSpec {
  indexFile: string;
  /**
   * The file the main thread verified and opened: the worker opens the path again, and must find
   * that file there, not one put in its place or rewritten since (it would search another version's
   * items): its stamp from before it was hashed.
   */
  identity: FileStamp;
  options: IndexConfig;
  threads: number;
}

export type SearchReply = { id: number; matches: RawMatches } | { id: number; error: string };

/**
 * A search worker thread. Until it has opened the index, and for good if it fails to or dies, its
 * searches go to `fallback` (the main thread's own index): the host is ready without waiting for a
 * second view of a large index, and the serving version keeps serving, only without the overlap.
 */
export class SearchWorker {
  /** True once the worker searches; false if it could not start. */
  readonly ready: Promise<boolean>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(m: RawMatches): void; reject(e: Error): void }>();
  private readonly fallback: VectorSearch;
  private readonly dims: number;
  private readonly inflight = new Set<Promise<unknown>>();
  private nextId = 0;
  private state: "starting" | "up" | "closing" | "down" = "starting";

  constructor(spec: SearchWorkerSpec, fallback: VectorSearch, onDown: (err: Error) => void = () => {}) {
    this.fallback = fallback;
    this.dims = spec.options.dimensions;
    this.worker = startSiblingWorker(import.meta.url, "search-worker", spec);
    let started: (up: boolean) => void = () => {};
    this.ready = new Promise((resolve) => {
      started = resolve;
    });
    const down = (err: Error) => {
      // close() marks the worker down first, so only an unplanned end is reported.
      if (this.state === "down") return;
      const closing = this.state === "closing";
      this.state = "down";
      started(false);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (!closing) onDown(err);
    };
    this.worker.on("message", (m: SearchReply | { ready: true } | { startError: string }) => {
      if ("ready" in m) {
        if (this.state === "starting") this.state = "up";
        started(true);
      } else if ("startError" in m) {
        down(new Error(`search worker could not open the index: ${m.startError}`));
        void this.worker.terminate();
      } else {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if ("matches" in m) p?.resolve(m.matches);
        else p?.reject(new Error(`search worker: ${m.error}`));
      }
    });
    this.worker.once("error", down);
    this.worker.once("exit", () => down(new Error("search worker exited")));
  }

  readonly search: VectorSearch = (matrix, k) => {
    if (this.state !== "up") return this.fallback(matrix, k);
    // A lone query while the worker is idle: the round trip costs more than the search, and with
    // nothing else in flight there is nobody for a blocked event loop to keep waiting.
    if (this.inflight.size === 0 && matrix.length <= this.dims) return this.fallback(matrix, k);
    const id = this.nextId++;
    // Copied, not transferred (a batch is at most a few hundred KB): the fallback may still need it.
    const answer = new Promise<RawMatches>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, matrix, k });
    });
    this.inflight.add(answer);
    void answer.then(
      () => this.inflight.delete(answer),
      () => this.inflight.delete(answer),
    );
    return answer.catch(() => this.fallback(matrix, k));
  };

  /**
   * Stops the worker once it is idle. Terminating a worker inside a native usearch call aborts the
   * whole process (a C++ exception escapes the binding), so new searches go inline from now on and
   * the worker is terminated only after it opened the index and answered every batch it holds.
   */
  async close(): Promise<void> {
    if (this.state === "down") return;
    this.state = "closing";
    await this.ready;
    await Promise.allSettled([...this.inflight]);
    this.state = "down";
    await this.worker.terminate();
  }
}
