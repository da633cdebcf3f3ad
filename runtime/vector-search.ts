// The native half of an item search: a flat query matrix in, the k nearest keys per query out.
// It runs inline (blocking the event loop for the whole batch) or in a search worker thread with
// its own read-only view of the same index file, so the main thread keeps parsing and answering
// requests while a batch is searched; on two cores that overlap is worth more than either half.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BatchMatches, Index, IndexConfig, Matches } from "usearch";

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
  options: IndexConfig;
  threads: number;
}

export type SearchReply = { id: number; matches: RawMatches } | { id: number; error: string };

/**
 * A search worker thread. If it dies, pending and later searches go to `fallback` (the main
 * thread's own index): the serving version keeps serving, only without the overlap.
 */
export class SearchWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(m: RawMatches): void; reject(e: Error): void }>();
  private readonly fallback: VectorSearch;
  private nextId = 0;
  private alive = true;

  private constructor(worker: Worker, fallback: VectorSearch) {
    this.worker = worker;
    this.fallback = fallback;
    worker.on("message", (reply: SearchReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if ("matches" in reply) p?.resolve(reply.matches);
      else p?.reject(new Error(`search worker: ${reply.error}`));
    });
    const die = () => {
      this.alive = false;
      for (const p of this.pending.values()) p.reject(new Error("search worker stopped"));
      this.pending.clear();
    };
    worker.once("error", die);
    worker.once("exit", die);
  }

  /** Starts a worker and waits until it has opened the index. */
  static start(spec: SearchWorkerSpec, fallback: VectorSearch): Promise<SearchWorker> {
    const ext = path.extname(fileURLToPath(import.meta.url));
    const worker = new Worker(new URL(`./search-worker${ext}`, import.meta.url), { workerData: spec });
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => reject(new Error(`search worker did not start: ${err.message}`));
      worker.once("error", failed);
      worker.once("message", (m: { ready: true } | { error: string }) => {
        worker.off("error", failed);
        if ("ready" in m) resolve(new SearchWorker(worker, fallback));
        else {
          void worker.terminate();
          failed(new Error(m.error));
        }
      });
    });
  }

  readonly search: VectorSearch = (matrix, k) => {
    if (!this.alive) return this.fallback(matrix, k);
    const id = this.nextId++;
    // Copied, not transferred (a batch is at most a few hundred KB): the fallback may still need it.
    return new Promise<RawMatches>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, matrix, k });
    }).catch(() => this.fallback(matrix, k));
  };

  async close(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }
}
