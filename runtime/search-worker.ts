// Search worker entry: opens its own read-only view of the index file (pages shared with the main
// thread's view through the page cache) and answers batched searches.
import { statSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { Index } from "usearch";
import { stampChange } from "../shared/bundle/file-stamps.ts";
import { rawSearch, type SearchReply, type SearchWorkerSpec } from "./vector-search.ts";

const spec = workerData as SearchWorkerSpec;
const port = parentPort;
if (!port) throw new Error("search-worker.ts runs only as a worker thread");
const sameFile = () => {
  // Any change, a chmod's too: refused, this worker only costs the main thread its searches back.
  if (stampChange(spec.indexFile, spec.identity, statSync(spec.indexFile)))
    throw new Error(`${spec.indexFile} is no longer the index file the host verified`);
};
let index: Index;
try {
  sameFile();
  index = new Index(spec.options);
  index.view(spec.indexFile);
  // Replaced while it was being mapped: the view may hold either file.
  sameFile();
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ startError: (err as Error).message });
  throw err;
}
port.on("message", ({ id, matrix, k }: { id: number; matrix: Float32Array; k: number }) => {
  let reply: SearchReply;
  try {
    reply = { id, matches: rawSearch(index, spec.threads, matrix, k) };
  } catch (err) {
    reply = { id, error: (err as Error).message };
  }
  const m = "matches" in reply ? reply.matches : undefined;
  port.postMessage(reply, m ? ([m.keys.buffer, m.distances.buffer, m.counts.buffer] as ArrayBuffer[]) : []);
});
