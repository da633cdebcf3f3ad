// Baseline for the export benchmark, run as its own process: the checkpoint's catalogue through the
// same item tower in the same batches, straight into a bare usearch index with the writer's defaults,
// then saved. No keys file, id checks, digests or fsyncs: what any export has to do at the least.
//   node bench/trainer/bare-index-build.ts <checkpoint> <index file> <batch size>
import { availableParallelism } from "node:os";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { embedItemBatches } from "../../shared/tower/item-embed.ts";
import { loadCheckpoint } from "../../trainer/export/checkpoint.ts";
import { writerDefaultIndex } from "../writer-index.ts";

const [checkpoint, indexFile, batch] = process.argv.slice(2);
if (!checkpoint || !indexFile || !batch)
  throw new Error("usage: bare-index-build.ts <checkpoint> <index> <batch>");
await initTensorflow();
const ckpt = await loadCheckpoint(checkpoint);
const index = writerDefaultIndex(ckpt.meta.dims);
const threads = availableParallelism();
async function* items() {
  for await (const itemId of ckpt.itemIds()) yield { itemId };
}
let n = 0;
let addMs = 0;
const t0 = performance.now();
for await (const b of embedItemBatches(ckpt.item, ckpt.meta.itemFeatures, items(), Number(batch))) {
  const t = performance.now();
  index.add(
    BigUint64Array.from(b.ids, (_, i) => BigInt(n + i)),
    b.vectors,
    threads,
  );
  addMs += performance.now() - t;
  n += b.ids.length;
}
index.save(indexFile);
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ items: n, seconds, addSeconds: addMs / 1000 })}\n`);
